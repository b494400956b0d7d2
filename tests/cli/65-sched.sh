#!/bin/bash
# Controlled scheduling as a user meets it: what a job file may not ask
# for, a job of many short scheduled runs and its coverage, the exact
# replay of a recorded run, and a run that stops taking steps.
. "$(dirname "$0")/../lib.sh"

expect_error() {	# expect_error DESCRIPTION PATTERN <<< job file
	local f="$T_TMP/bad.ini" o rc
	cat > "$f"
	o=$("$MMT" check "$f" 2>&1); rc=$?
	if [ $rc = 1 ] && printf '%s\n' "$o" | grep -qE "$2"; then
		ok 0 "$1"
	else
		ok 1 "$1"; diag "exit $rc, output:" "$o"
	fi
}
expect_error "a kernel workload under sched=pct is refused, at the sched= line" \
	"bad.ini:3: job 'k': sched=pct: workload kernel_vma drives the kernel" <<'EOF'
[k]
workload = kernel_vma
sched = pct
EOF
expect_error "sched=random with 64 workers is refused: the scheduler runs 63 and the callback thread" \
	"bad.ini:4: job 'm': threads=64: sched=random runs at most 63 workers" <<'EOF'
[m]
workload = null
sched = random
threads = 64
EOF
expect_error "pct_depth=0 is refused" "bad.ini:4: key 'pct_depth'" <<'EOF'
[p]
workload = null
sched = pct
pct_depth = 0
EOF

# ---- many short runs ----
cat > "$T_TMP/runs.ini" <<'EOF'
[r]
workload = null
sched = random
threads = 3
runs = 20
run_ops = 30
seed = 42
EOF
"$MMT" run --results "$T_TMP/res" --progress 0 "$T_TMP/runs.ini" > "$T_TMP/runs.out" 2>&1
ok $? "20 scheduled runs of the null workload: exit 0"
d=$(ls -d "$T_TMP"/res/*-r | head -1)
m="$d/metrics.json"
jq -e '.verdict == "PASS" and .runs.sched == "random" and .runs.done == 20 and
       .runs.steps_min > 0 and .runs.steps_max >= .runs.steps_min and .runs.point_pairs_max > 0 and
       .runs.hit_step_bound == 0 and (.runs.records | length) >= 1' "$m" >/dev/null
ok $? "metrics.json: runs done, steps per run, point pairs, runs at their bound ($(jq -c '.runs | {done, steps_min, steps_max, point_pairs_max}' "$m" 2>&1))"
jq -e '.job.rcu == "sched"' "$m" >/dev/null
ok $? "the results name the RCU the scheduled runs used: $(jq -r .job.rcu "$m")"

# ---- exact replay ----
o=$("$MMT" replay "$d" 2>&1); rc=$?
[ $rc = 0 ] && printf '%s\n' "$o" | grep -q "reproduced"
ok $? "replay of run 0 reproduces: $(printf '%s' "$o" | head -1)"
"$MMT" run --results "$T_TMP/res2" --progress 0 "$T_TMP/runs.ini" > /dev/null 2>&1
d2=$(ls -d "$T_TMP"/res2/*-r | head -1)
[ "$(jq -c '.runs | del(.records[].seed) | {steps_min, steps_max, steps_mean, preemptions_mean, point_pairs_max, r: .records}' "$m")" = \
  "$(jq -c '.runs | del(.records[].seed) | {steps_min, steps_max, steps_mean, preemptions_mean, point_pairs_max, r: .records}' "$d2/metrics.json")" ]
ok $? "the same job file and seed give the same runs, step for step"
# A bug's runs, each replayed: the frees and allocations of a model with
# bugs switched on, every thread's slab given back at its exit, and the
# runs that go on after their first detection must follow from the seed.
cat > "$T_TMP/bug.ini" <<'EOF'
[b]
workload = mempolicy
bugs = mpol-swapin-multi-put
expect = detect
stop_on_detect = 0
sched = pct
pct_depth = 1
threads = 3
runs = 10
run_ops = 40
seed = 20261202
EOF
"$MMT" run --results "$T_TMP/resb" --progress 0 "$T_TMP/bug.ini" > /dev/null 2>&1
db=$(ls -d "$T_TMP"/resb/*-b | head -1)
runs=$(jq -r '[.runs.records[] | select(.detected) | .run] | join(" ")' "$db/metrics.json")
bad=
for k in $runs; do
	"$MMT" replay --run "$k" "$db" 2>&1 | head -1 | grep -q ": reproduced" || bad="$bad $k"
done
[ -n "$runs" ] && [ -z "$bad" ]
ok $? "every detecting run of a mempolicy bug's job replays exactly (runs: ${runs:-none}${bad:+; not reproduced:$bad})"
o=$("$MMT" replay --run 7 "$d" 2>&1); rc=$?
[ $rc = 1 ] && printf '%s\n' "$o" | grep -q "run 7 has no record"
ok $? "replay of a run that was not recorded says so: $o"

# ---- a run that stops taking steps ----
cat > "$T_TMP/stall.ini" <<'EOF'
[st]
workload = null
hang = 1
sched = random
threads = 2
runs = 2
run_ops = 100000000
hang_timeout = 3s
EOF
o=$("$MMT" run --no-results --progress 0 "$T_TMP/stall.ini" 2>&1); rc=$?
[ $rc = 3 ] && printf '%s\n' "$o" | grep -q "ERROR: harness error: run 0 (seed [0-9]*) stalled: no scheduling point for 1 s after step [0-9]*, thread 0"
ok $? "a run that waits where the scheduler cannot see ends as an ERROR naming run, step and thread (exit $rc)"

# ---- the runs die with the runner ----
sed -i 's/hang_timeout = 3s/hang_timeout = 600s/' "$T_TMP/stall.ini"
"$MMT" run --no-results --progress 0 "$T_TMP/stall.ini" > /dev/null 2>&1 &
cli=$!
for _ in $(seq 100); do [ "$(pgrep -f "$T_TMP/stall.ini" | wc -l)" -ge 3 ] && break; sleep 0.05; done
n=$(pgrep -f "$T_TMP/stall.ini" | wc -l)
kill -9 $cli; wait $cli 2>/dev/null
for _ in $(seq 100); do pgrep -f "$T_TMP/stall.ini" >/dev/null || break; sleep 0.05; done
! pgrep -f "$T_TMP/stall.ini" >/dev/null
ok $? "a killed runner leaves no job or run process behind ($n before, $(pgrep -f "$T_TMP/stall.ini" | wc -l) after)"

done_testing
