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
[ "$n" = 16 ]; ok $? "the catalogue lists all 16 names of docs/BUGS.md with model, seed and what fires"
"$MMT" bugs --json | jq -e 'length == 24 and all(.[]; .name and .model and .seed and .fires)' >/dev/null
ok $? "mmtorture bugs --json"
"$MMT" workloads | grep -q '^vma_spf - '; ok $? "mmtorture workloads lists the workloads and their options"
"$MMT" workloads | grep -q "crash .*(one of: none, segv, abort, bus)"; ok $? "mmtorture workloads prints the choices of an enum option"
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
expect_error "a bug of another model, at the bugs= line" "bad.ini:3: job 'j': bug 'rmap-no-recheck' is in the anon_vma model, which workload null does not exercise" <<'EOF'
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
expect_error "expect=detect without a detection bug, at the expect= line" "bad.ini:4: job 'j': expect=detect needs a detection bug" <<'EOF'
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
expect_error "a node the machine lacks, at the nodes= line" "bad.ini:3: job 'j': nodes '77': this machine has nodes" <<'EOF'
[j]
workload=null
nodes=77
EOF
printf '[j]\nworkload=null\nrcu=srcu\nnodes=77\n' > "$T_TMP/both.ini"
o=$("$MMT" check "$T_TMP/both.ini" 2>&1)
printf '%s\n' "$o" | grep -q "both.ini:3: key 'rcu'" && printf '%s\n' "$o" | grep -q "both.ini:4: job 'j': nodes '77'"
ok $? "a bad key does not hide the placement error of another: $(printf '%s' "$o" | tr '\n' '|')"
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
expect_error "a key given twice in a section names both lines" \
	"bad.ini:4: key 'runtime': already set at line 3: a key is given once per section" <<'EOF'
[j]
workload=null
runtime=1s
runtime=2s
EOF
expect_error "a mix= role without a weight" "bad.ini:3: key 'mix': role 'get_put' has no weight" <<'EOF'
[j]
workload=null
mix=get_put
EOF
expect_error "a mix= role twice" "bad.ini:3: key 'mix': role 'alloc' is given twice" <<'EOF'
[j]
workload=null
mix=alloc:1,get_put:2,alloc:3
EOF
expect_error "an empty mix=" "bad.ini:3: key 'mix': empty" <<'EOF'
[j]
workload=null
mix=
EOF
expect_error "bugs=, is an empty name" "bad.ini:3: key 'bugs': ',' has an empty name" <<'EOF'
[j]
workload=null
bugs=,
EOF
expect_error "a bug named twice" "bad.ini:3: key 'bugs': bug 'rmap-no-recheck' is named twice" <<'EOF'
[j]
workload=anon_vma
bugs=rmap-no-recheck,rmap-no-recheck
EOF
expect_error "threads= is 1..255, as its help says" "bad.ini:3: key 'threads': '256' is not a thread count in 1\.\.255" <<'EOF'
[j]
workload=null
threads=256
EOF
"$MMT" workloads | grep -Eq '^  threads +default 4 +worker threads .*\(1\.\.255\)$'; ok $? "the help of threads= in mmtorture workloads says 1..255"
o=$("$MMT" check "$T_TMP" 2>&1); rc=$?
[ $rc = 1 ] && [ "$o" = "$T_TMP: is a directory, not a job file" ]; ok $? "a directory is said to be one (exit $rc): $o"
printf '[j]\nwork\0load=null\n' > "$T_TMP/nul.ini"
o=$("$MMT" check "$T_TMP/nul.ini" 2>&1)
[ "$o" = "$T_TMP/nul.ini:2: a NUL byte: a job file is text" ]
ok $? "a NUL byte is reported once, with nothing that follows from it: $(printf '%s' "$o" | tr '\n' '|')"
expect_error "several errors reported at once" "bad.ini:3: key 'rcu'.*|bad.ini:4: key 'delay'" <<'EOF'
[j]
workload=null
rcu=srcu
delay=2
EOF
expect_error "null's crash= is checked when the file is read, with the choices" \
	"bad.ini:3: key 'crash': 'foo' is not one of none, segv, abort, bus" <<'EOF'
[j]
workload=null
crash=foo
EOF
expect_error "options that must agree are checked when the file is read" \
	"bad.ini:2: job 'm': shm_maps=9 is more than shm_maps_max=4" <<'EOF'
[global]
[m]
workload=mempolicy
shm_maps=9
EOF
expect_error "keys of a [global] after the last job are checked" \
	"bad.ini:4: key 'bogus': unknown key" <<'EOF'
[j]
workload=null
[global]
bogus=1
EOF
expect_error "a [global] after the last job is an error saying it applies to no job" \
	"bad.ini:3: this \[global\] applies to no job" <<'EOF'
[j]
workload=null
[global]
runtime=5s
EOF
expect_error "a bad value in a trailing [global] is named" \
	"bad.ini:4: key 'runtime': 'forever' is not a time" <<'EOF'
[j]
workload=null
[global]
runtime=forever
EOF
expect_error "a [global] option of a workload no job runs is checked against that workload" \
	"bad.ini:2: key 'objects': '0' is not an integer in 1..65536 \(an option of workload null\)" <<'EOF'
[global]
objects=0
[j]
workload=vma_spf
EOF
expect_error "a [global] key no workload has is an unknown key" "bad.ini:2: key 'frob': unknown key" <<'EOF'
[global]
frob=1
[j]
workload=vma_spf
EOF
expect_error "text that is not UTF-8 is refused with file:line" \
	"bad.ini:1: not UTF-8 text \(byte 0xe9 at column 5\)" < <(printf '[caf\xe9]\nworkload=null\n')
expect_error "a line longer than 65533 characters is refused at its line" \
	"bad.ini:3: line of 70000 characters, at most 65533" \
	< <(printf '[j]\nworkload=null\n;%s\nruntme=1\n' "$(head -c 69999 /dev/zero | tr '\0' x)")
"$MMT" check "$T_TMP/bad.ini" 2>&1 | grep -q "bad.ini:4: key 'runtme': unknown key"
ok $? "and the line after it is read, with its own number"
expect_error "a syntax error names its line" "bad.ini:3: syntax error" <<'EOF'
[j]
workload=null
no equals sign
[k
EOF
"$MMT" check "$T_TMP/bad.ini" 2>&1 | grep -q "bad.ini:4: syntax error: '\[' without '\]'"
ok $? "so does the next one"

# a 250-character comment and a 400-character mix= line: neither is split
long=$(head -c 250 /dev/zero | tr '\0' x)
pad=$(head -c 370 /dev/zero | tr '\0' ' ')
printf '[j]\n;%s\nworkload=null\nmix=get_put:70,%sreplace:20, alloc:10\nthreads=1\nruntime=200ms\n' \
	"$long" "$pad" > "$T_TMP/long.ini"
[ "$(awk 'length($0) >= 400' "$T_TMP/long.ini" | wc -l)" = 1 ]
ok $? "a job file with a 250-character comment and a 400-character mix= line"
o=$("$MMT" check "$T_TMP/long.ini" 2>&1 >/dev/null); ok $? "parses${o:+: $o}"
"$MMT" run --results "$T_TMP/lres" "$T_TMP/long.ini" >/dev/null 2>&1
jq -e '.mix_weights == {"get_put": 70, "replace": 20, "alloc": 10}' "$T_TMP"/lres/*-j/metrics.json >/dev/null
ok $? "the long mix= line reaches the job whole"
sed -i 's/alloc:10/alloc:10, bogus:1/' "$T_TMP/long.ini"
o=$("$MMT" check "$T_TMP/long.ini" 2>&1)
printf '%s\n' "$o" | grep -q "long.ini:4: key 'mix': unknown role 'bogus'"
ok $? "an error at the end of the long line names that line: $o"

printf '\xef\xbb\xbf[global]\nworkload=null\n[j]\n' > "$T_TMP/bom.ini"
o=$("$MMT" check "$T_TMP/bom.ini" 2>&1 >/dev/null); ok $? "a file starting with a UTF-8 byte order mark parses${o:+: $o}"
printf '[j]\nworkload=mempolicy\npolicy_nodes=2\nnodes=all\n' > "$T_TMP/pn.ini"
o=$("$MMT" check "$T_TMP/pn.ini" 2>&1 >/dev/null); ok $? "mempolicy's policy_nodes= is its own option, nodes= the job key${o:+: $o}"
{ echo '[global]'; echo 'workload=null'; seq -f '[j%g]' 300000; } > "$T_TMP/many.ini"
t0=$(date +%s%N); o=$("$MMT" check "$T_TMP/many.ini" 2>&1); rc=$?; ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc = 1 ] && printf '%s\n' "$o" | grep -q "many.ini:259: more than 256 jobs" && [ $ms -lt 2000 ]
ok $? "a file of 300000 sections is refused after 256 jobs, in $ms ms"
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
"$MMT" run --progress 0.5 --results "$T_TMP/res" "$T_TMP/run.ini" > "$T_TMP/run.out" 2>&1; rc=$?
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
jq -e '.time_to_detection_seconds == null and .first_race_or_leak_seconds > 0' "$c/metrics.json" >/dev/null &&
	grep -Eq '^crasher +null +FAIL +[0-9.]+s +- ' "$T_TMP/run.out" &&
	grep -q '^first       race or leak at .* (crash)$' "$c/summary.txt"
ok $? "a clean job has no time to detection (table: -); its first race or leak is kept apart"
[ "$(grep -E '\((race|leak)\)$' "$c/summary.txt" | awk '{ print index($0, "(") }' | sort -u | wc -l)" = 1 ]
ok $? "summary.txt: the (race) and (leak) tags line up, with a first time or without"
p=$(grep -m1 '^\[first\] ' "$T_TMP/run.out")
printf '%s\n' "$p" | grep -Eq '^\[first\] +[0-9.]+s/1\.5s +[0-9]+ ops/s'; ok $? "the progress line has one unit: $p"
grep -q '^mmtorture_races_total{job_name="crasher",kind="crash"} 1$' "$c/metrics.prom"; ok $? "and in metrics.prom"
if command -v promtool >/dev/null; then
	bad=0
	for f in "$T_TMP"/res/*/metrics.prom; do
		o=$(promtool check metrics < "$f" 2>&1) || { bad=1; diag "$f:" "$o"; }
	done
	ok $bad "promtool check metrics passes on every metrics.prom"
elif [ "$(id -u)" = 0 ] && command -v dpkg-query >/dev/null; then
	ok 1 "promtool is installed (a test dependency: tools/deps.sh installs it)"
else
	skip "promtool is not installed (not root on Debian: tools/deps.sh cannot install it)"
fi
d0=$(basename "$d"); st=$(jq -r .started "$d/metrics.json" | tr : -)
[ "${d0%-first}" = "$st" ]; ok $? "the results directory is named by the job's start: $d0, started $st"
# ---- verdicts other than PASS and FAIL, each with its exit code ----
verdict_line() { grep -E "^$1 +[a-z_]+ +[A-Z]+ " "$2" | awk '{print $3}'; }

printf '[missed]\nworkload=mempolicy\nthreads=2\nruntime=500ms\nbugs=mpol-numa-maps-leak\nexpect=detect\nmix=fault:1\n' > "$T_TMP/missed.ini"
"$MMT" run --no-results "$T_TMP/missed.ini" > "$T_TMP/missed.out" 2>&1; rc=$?
[ $rc = 2 ] && [ "$(verdict_line missed "$T_TMP/missed.out")" = MISSED ] &&
	grep -q '^\[missed\] MISSED: the expected counters did not fire' "$T_TMP/missed.out"
ok $? "a detect job whose bug's path never runs (mix=fault:1) is MISSED, exit 2 (exit $rc)"

# start a job in the background, cancel it as Ctrl-C would once it runs
run_and_cancel() {	# run_and_cancel NAME: $T_TMP/NAME.ini -> NAME.out, NAME.rc
	local pid i
	"$MMT" run --results "$T_TMP/cres" "$T_TMP/$1.ini" > "$T_TMP/$1.out" 2>&1 &
	pid=$!
	for i in $(seq 100); do grep -q '^placement' "$T_TMP/$1.out" && break; sleep 0.1; done
	sleep 0.7
	kill -INT "$pid"
	wait "$pid"; echo $? > "$T_TMP/$1.rc"
}
printf '[cut]\nworkload=null\nthreads=2\nruntime=30s\n' > "$T_TMP/cut.ini"
run_and_cancel cut
[ "$(cat "$T_TMP/cut.rc")" = 2 ] && [ "$(verdict_line cut "$T_TMP/cut.out")" = INCONCLUSIVE ] &&
	grep -Eq '^\[cut\] INCONCLUSIVE: cancelled after [0-9.]+s of 30s: partial results' "$T_TMP/cut.out"
ok $? "a clean job cancelled before its runtime ended is INCONCLUSIVE, exit 2: $(grep '^\[cut\] [A-Z]' "$T_TMP/cut.out")"
jq -e '.verdict == "INCONCLUSIVE" and .cancelled == true and .exit_category == 2' "$T_TMP"/cres/*-cut/metrics.json >/dev/null
ok $? "and so says metrics.json"
printf '[forever]\nworkload=null\nthreads=2\nruntime=0\n' > "$T_TMP/forever.ini"
run_and_cancel forever
[ "$(cat "$T_TMP/forever.rc")" = 0 ] && [ "$(verdict_line forever "$T_TMP/forever.out")" = PASS ]
ok $? "a runtime=0 job is judged normally when cancelled: PASS, exit 0 ($(cat "$T_TMP/forever.rc"))"

printf '[j]\nworkload=null\nthreads=1\nruntime=300ms\n' > "$T_TMP/short.ini"
"$MMT" run --results /proc/nope "$T_TMP/short.ini" > "$T_TMP/nope.out" 2> "$T_TMP/nope.err"; rc=$?
[ $rc = 3 ] && [ "$(verdict_line j "$T_TMP/nope.out")" = ERROR ] && ! grep -q "every expectation met" "$T_TMP/nope.out" &&
	grep -q "cannot create a results directory in /proc/nope" "$T_TMP/nope.err"
ok $? "results that cannot be written: ERROR, exit 3, said on stderr (exit $rc)"
"$MMT" run --quiet --results /proc/nope "$T_TMP/short.ini" > /dev/null 2> "$T_TMP/nope.err"; rc=$?
[ $rc = 3 ] && grep -q "/proc/nope" "$T_TMP/nope.err"; ok $? "also under --quiet (exit $rc)"
grep -q "runtime 300ms," "$T_TMP/nope.out"; ok $? "a sub-second runtime prints in ms: $(grep -o 'runtime [^,]*' "$T_TMP/nope.out")"
if command -v script >/dev/null; then
	MMT="$MMT" SHORT="$T_TMP/short.ini" script -qec '"$MMT" run --no-results "$SHORT"' /dev/null > "$T_TMP/tty.out" 2>&1
	last=$(tr '\r' '\n' < "$T_TMP/tty.out" | grep -a '^\[j\] .*ops/s' | tail -1 | sed 's/\x1b\[K//')
	printf '%s\n' "$last" | grep -Eq ' [1-9][0-9]* ops/s mean .* done$'
	ok $? "on a terminal the last progress line has the job's mean rate: $last"
else
	skip "script(1) is not installed: no terminal to test the progress line on"
fi

# the watchdog: the one worker stops at 100 ms, without progress for 1 s it is killed
printf '[stuck]\nworkload=null\nthreads=1\nruntime=20s\nhang=1\nhang_timeout=1s\naudit_interval=0\n' > "$T_TMP/stuck.ini"
t0=$(date +%s); "$MMT" run --results "$T_TMP/hres" "$T_TMP/stuck.ini" > "$T_TMP/stuck.out" 2>&1; rc=$?; s=$(( $(date +%s) - t0 ))
[ $rc = 2 ] && [ "$(verdict_line stuck "$T_TMP/stuck.out")" = FAIL ] &&
	grep -q '^\[stuck\] FAIL: hung: no progress for 1s, killed' "$T_TMP/stuck.out" && [ $s -lt 10 ]
ok $? "a hung job is killed by the watchdog and said to hang, in ${s}s: $(grep '^\[stuck\] [A-Z]' "$T_TMP/stuck.out")"
jq -e '.hung == true and .races.crash == 0 and .crash_signal == 9' "$T_TMP"/hres/*-stuck/metrics.json >/dev/null
ok $? "metrics.json: hung, not counted as a crash"
printf '[late]\nworkload=null\nthreads=2\nruntime=500ms\nhang=1\nhang_timeout=1500ms\naudit_interval=0\n' > "$T_TMP/late.ini"
"$MMT" run --no-results "$T_TMP/late.ini" > "$T_TMP/late.out" 2>&1
grep -q '^\[late\] FAIL: hung: .*, killed' "$T_TMP/late.out"
ok $? "a job that cannot stop at the end of its runtime is killed too: $(grep '^\[late\] [A-Z]' "$T_TMP/late.out")"
# fault injection from the job file: each of 3 workers fails its 5th allocation, once
printf '[nth]\nworkload=mempolicy\nthreads=3\nruntime=500ms\nfail_nth=5\nexpect=clean\n' > "$T_TMP/nth.ini"
"$MMT" run --quiet --results "$T_TMP/nres" "$T_TMP/nth.ini" > /dev/null 2>&1; rc=$?
jq -e '.info.alloc_failures_injected == 3' "$T_TMP"/nres/*-nth/metrics.json >/dev/null
ok $? "fail_nth=5 with 3 workers injects 3 failures (rc $rc, $(jq .info.alloc_failures_injected "$T_TMP"/nres/*-nth/metrics.json))"
printf '[prob]\nworkload=anon_vma\nthreads=2\nruntime=500ms\nalloc_fail=0.05\nexpect=clean\n' > "$T_TMP/prob.ini"
"$MMT" run --quiet --results "$T_TMP/pres" "$T_TMP/prob.ini" > /dev/null 2>&1; rc=$?
jq -e '.info.alloc_failures_injected > 100 and .verdict == "PASS"' "$T_TMP"/pres/*-prob/metrics.json >/dev/null
ok $? "alloc_fail=0.05: failures injected from the start of the torture, the correct protocols PASS (rc $rc)"
seed=$(jq -r .seed "$d/metrics.json")
grep -q "seed $seed" "$T_TMP/run.out"; ok $? "the seed is printed at the start of the job"
printf '[again]\nworkload=null\nthreads=1\nruntime=300ms\nseed=%s\n' "$seed" > "$T_TMP/again.ini"
"$MMT" run --no-results "$T_TMP/again.ini" | grep -q "seed $seed"; ok $? "seed= repeats a run's seed"
# docs/BUGS.md is the catalogue of bugs.h, as the program prints it
"$MMT" bugs --markdown | cmp -s - "$MT_SRC/docs/BUGS.md"
ok $? "docs/BUGS.md is what mmtorture bugs --markdown prints (regenerate it when bugs.h changes)"

# min_audits: the run lasts that many audits, past its runtime if need be
printf '[a]\nworkload=null\nthreads=2\nruntime=50ms\naudit_interval=100ms\nmin_audits=4\n' > "$T_TMP/ma.ini"
"$MMT" run --quiet --results "$T_TMP/ma" "$T_TMP/ma.ini"
jq -e '.info.audits >= 4' "$T_TMP"/ma/*-a/metrics.json >/dev/null
ok $? "min_audits=4 with runtime=50ms: $(jq .info.audits "$T_TMP"/ma/*-a/metrics.json) audits"
printf '[a]\nworkload=null\nmin_audits=3\naudit_interval=0\n' > "$T_TMP/ma.ini"
o=$("$MMT" check "$T_TMP/ma.ini" 2>&1)
printf '%s' "$o" | grep -q "ma.ini:3: job 'a': min_audits=3 needs audits while the job runs"
ok $? "min_audits without audit_interval is refused at its line"

done_testing
