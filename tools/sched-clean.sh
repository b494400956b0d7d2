#!/bin/bash
# sched-clean.sh - the correct protocols under the controlled scheduler:
# every clean model workload, RUNS short runs under sched=pct and under
# sched=random, each run from its own seed; every one must PASS (no race,
# no leak, no deadlock, every role run).  Prints one line per job and
# writes the results to results/sched-clean-<date>/.
#
#   tools/sched-clean.sh [RUNS [THREADS [RUN_OPS]]]   (make sched-clean)
#
# anon_vma runs with procs=8: its reap role runs only near the process
# limit, which the default of 24 seldom reaches in RUN_OPS operations.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${MT_BIN:-$top/build/cc/bin}
runs=${1:-1000}
threads=${2:-3}
ops=${3:-40}
seed=${SEED:-20261203}
out="$top/results/sched-clean-$(date -u +%Y-%m-%dT%H-%M-%SZ)"
mkdir -p "$out"

for wl in mempolicy anon_vma vma_spf null; do
	for mode in pct random; do
		printf '[%s-%s]\nworkload = %s\nthreads = %s\nruns = %s\nrun_ops = %s\nseed = %s\nsched = %s\nruntime = 86400\n' \
			"$wl" "$mode" "$wl" "$threads" "$runs" "$ops" "$seed" "$mode"
		[ "$wl" = anon_vma ] && printf 'procs = 8\n'
		[ "$mode" = pct ] && printf 'pct_depth = 3\n'
		echo
	done
done > "$out/jobs.ini"
"$bin/mmtorture" run --results "$out/runs" "$out/jobs.ini" > "$out/run.log" 2>&1
rc=$?
grep -E '^\[[^]]*\] (PASS|FAIL|INCONCLUSIVE|ERROR)' "$out/run.log" | tee "$out/summary.txt"
echo "results in $out"
exit $rc
