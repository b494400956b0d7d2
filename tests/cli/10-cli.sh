#!/bin/bash
# The foreground CLI as a user meets it: the catalogue, job-file errors
# naming file, line and key, a run with its results files (parsed, and
# checked by promtool where it is installed), and crash isolation.
. "$(dirname "$0")/../lib.sh"

out=$("$MMT" version); ok $? "mmtorture version: $out"
"$MMT" bugs > "$T_TMP/bugs.txt"; ok $? "mmtorture bugs"
n=0
for b in mpol-numa-maps-leak mpol-migrate-leak mpol-hugetlb-interleave-put mpol-swapin-multi-put \
	 mpol-set-no-mmap-sem mpol-shared-lookup-no-ref mpol-unconditional-refs anon-vma-root-unpinned \
	 anon-vma-drop-one-level anon-vma-not-typesafe rmap-no-recheck ksm-unlocked-drop \
	 vma-free-no-rcu vma-get-plain-inc vma-file-after-fput vma-policy-put-early; do
	grep -q "^$b " "$T_TMP/bugs.txt" && n=$((n + 1))
done
[ "$n" = 16 ]; ok $? "the catalogue lists all 16 names of BUGS.md with model, seed and what fires"
"$MMT" bugs --json | jq -e 'length == 16 and all(.[]; .name and .model and .seed and .fires)' >/dev/null
ok $? "mmtorture bugs --json"
"$MMT" workloads | grep -q '^vma_spf - '; ok $? "mmtorture workloads lists the workloads and their options"
"$MMT" frobnicate >/dev/null 2>&1; [ $? = 1 ]; ok $? "an unknown command exits 1"
"$MMT" run >/dev/null 2>&1; [ $? = 1 ]; ok $? "run without a file exits 1"

# ---- errors name file, line and key ----
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
expect_error "unknown key: file:line: key" "bad.ini:3: key 'runtme': unknown key" <<'EOF'
[j]
workload=null
runtme=5s
EOF
expect_error "bad time value" "bad.ini:3: key 'runtime': '5 parsecs' is not a time" <<'EOF'
[j]
workload=null
runtime=5 parsecs
EOF
expect_error "unknown bug name" "bad.ini:4: key 'bugs': unknown bug 'rmap-no-rechek'" <<'EOF'
[global]
workload=vma_spf

bugs=rmap-no-rechek
[j]
EOF
expect_error "a bug of another model" "job 'j': bug 'rmap-no-recheck' is in the anon_vma model, which workload null does not exercise" <<'EOF'
[j]
workload=null
bugs=rmap-no-recheck
expect=detect
EOF
expect_error "workload option out of bounds" "bad.ini:3: key 'objects': '0' is not an integer in 1..65536" <<'EOF'
[j]
workload=null
objects=0
EOF
expect_error "an option of another workload" "bad.ini:3: key 'tasks': not an option of workload null" <<'EOF'
[j]
workload=null
tasks=3
EOF
expect_error "unknown workload" "bad.ini:2: key 'workload': unknown workload 'nul'" <<'EOF'
[j]
workload=nul
EOF
expect_error "expect=detect without a detection bug" "expect=detect needs a detection bug" <<'EOF'
[j]
workload=mempolicy
bugs=mpol-unconditional-refs
expect=detect
EOF
expect_error "a mix naming a role the workload lacks" "bad.ini:3: key 'mix': unknown role 'fork'" <<'EOF'
[j]
workload=null
mix=fork:3
EOF
expect_error "a node the machine lacks" "job 'j': nodes '7': this machine has nodes" <<'EOF'
[j]
workload=null
nodes=7
EOF
expect_error "syntax error" "bad.ini:2: syntax error" <<'EOF'
[j]
this line has no equals sign
workload=null
EOF
expect_error "unknown variable" "bad.ini:3: key 'threads': unknown variable \\\$ncpu" <<'EOF'
[j]
workload=null
threads=$ncpu
EOF
expect_error "several errors reported at once" "bad.ini:3: key 'rcu'.*|bad.ini:4: key 'delay'" <<'EOF'
[j]
workload=null
rcu=srcu
delay=2
EOF
o=$(printf '[j]\nworkload=null\nrcu=srcu\ndelay=2\n' > "$T_TMP/two.ini"; "$MMT" check "$T_TMP/two.ini" 2>&1)
[ "$(printf '%s\n' "$o" | grep -c 'two.ini:')" = 2 ]; ok $? "both errors of one file are named"
printf '%s\n' "[j]" "workload=null" "threads=\$ncpus*2+1" "runtime=1.5m" > "$T_TMP/vars.ini"
o=$("$MMT" check "$T_TMP/vars.ini"); ok $? "\$ncpus expressions and time suffixes parse"
printf '%s\n' "$o" | grep -q "threads=$(( $(nproc) * 2 + 1 )) runtime=90s"; ok $? "threads=\$ncpus*2+1 is $(( $(nproc) * 2 + 1 )), 1.5m is 90s"
"$MMT" check "$MT_SRC"/configs/*.ini >/dev/null; ok $? "every shipped config parses"

# ---- a run, its results and crash isolation ----
cat > "$T_TMP/run.ini" <<'EOF'
[global]
workload=null
threads=3
runtime=1500ms
audit_interval=300ms

[first]
[crasher]
crash=segv
crash_after=200ms
[after-the-crash]
rcu=qsbr
EOF
"$MMT" run --results "$T_TMP/res" "$T_TMP/run.ini" > "$T_TMP/run.out" 2>&1; rc=$?
[ $rc = 2 ]; ok $? "a run with a crashing job exits 2 (an expectation failed)"
grep -Eq '^first +null +PASS' "$T_TMP/run.out"; ok $? "the first job PASSes"
grep -Eq '^crasher +null +FAIL' "$T_TMP/run.out" && grep -q 'died of signal 11' "$T_TMP/run.out"
ok $? "the crashing job is recorded as a crash (signal 11) and FAILs"
grep -Eq '^after-the-crash +null +PASS' "$T_TMP/run.out"; ok $? "the job after the crash runs and PASSes"
d=$(ls -d "$T_TMP"/res/*-first | head -1)
[ -s "$d/summary.txt" ] && [ -s "$d/metrics.json" ] && [ -s "$d/metrics.prom" ]
ok $? "results/<date>-<job>/ holds summary.txt, metrics.json, metrics.prom"
jq -e '.format_version == 1 and .verdict == "PASS" and (.seed | test("^[0-9]+$")) and .job.workload == "null"' "$d/metrics.json" >/dev/null
ok $? "metrics.json parses: format_version, verdict, seed"
c=$(ls -d "$T_TMP"/res/*-crasher)
jq -e '.crash_signal == 11 and .races.crash == 1' "$c/metrics.json" >/dev/null; ok $? "the crash is in metrics.json"
grep -q '^mmtorture_races_total{job="crasher",kind="crash"} 1$' "$c/metrics.prom"; ok $? "and in metrics.prom"
if command -v promtool >/dev/null; then
	bad=0
	for f in "$T_TMP"/res/*/metrics.prom; do promtool check metrics < "$f" >/dev/null 2>&1 || bad=1; done
	ok $bad "promtool check metrics passes on every metrics.prom"
else
	skip "promtool is not installed"
fi
seed=$(jq -r .seed "$d/metrics.json")
grep -q "seed $seed" "$T_TMP/run.out"; ok $? "the seed is printed at the start of the job"
printf '[again]\nworkload=null\nthreads=1\nruntime=300ms\nseed=%s\n' "$seed" > "$T_TMP/again.ini"
"$MMT" run --no-results "$T_TMP/again.ini" | grep -q "seed $seed"; ok $? "seed= repeats a run's seed"
done_testing
