#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench-workloads.sh - whole jobs per core-second: each model workload run
# clean with delays off (delay=0 sync_delay=0) for RUNTIME at 1, 2 and 4
# threads, by one or more builds side by side, interleaved, REPEAT times,
# the median printed.
#
#   tools/bench-workloads.sh [NAME=BINDIR ...]
#
# With no argument, the build of this tree (MT_BIN or build/cc/bin).  Each
# row: operations per core-second (all operations of the job over its
# user + system CPU time, from the job process's rusage as time(1) reports
# it), the kernel's share of that CPU time, and context switches
# (voluntary + involuntary) per thousand operations, and the ratio of
# its operations per core-second to the first build's; then the
# operations per second per core, and its ratio.  A ratio is taken run
# by run (repetition i of this build over repetition i of the first, the
# same seed, run one after the other) and its median printed, the range
# of the first ratio beside it: the machine's speed drifts over minutes,
# and a ratio of two medians would carry that drift.  Environment:
# RUNTIME (default 5s), REPEAT (3), THREADS ("1 2 4"), WORKLOADS
# ("mempolicy anon_vma vma_spf"), MIX_<workload> (a mix= for every
# build, e.g. an older build's default mix, so that builds whose default
# mixes differ are compared on the same work), OPTS (job lines,
# comma-separated, for every build, after the ones above: e.g.
# OPTS=delay=0.02 runs with the selftest's delays) and OPTS_<build> (the
# same for that build alone, its name's other characters as _: e.g.
# OPTS_this=threads_per_mm=1 runs this build's tasks a process each, as
# an older build without the option did).
#
# ops/s/core is the same operations over the job's wall time and the
# cores its threads had (threads, at most the CPUs): the time a thread
# spends asleep on a lock counts in this column's denominator, not in
# ops/core-s's; the CPU time of the job's other threads (the call_rcu
# thread, the monitor) and of its set-up counts in ops/core-s's only.
set -eu

RUNTIME=${RUNTIME:-5s}
REPEAT=${REPEAT:-3}
THREADS=${THREADS:-1 2 4}
WORKLOADS=${WORKLOADS:-mempolicy anon_vma vma_spf}
here=$(cd "$(dirname "$0")/.." && pwd)

if [ $# -eq 0 ]; then
	set -- "this=${MT_BIN:-$here/build/cc/bin}"
fi
ncpu=$(nproc)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one job: prints "ops user sys ctxsw".  Repetition @4 runs seed @4 in every
# build, so that the builds are compared on the same runs (a run's cost
# moves by about a tenth with its seed: how far its VMAs split, say).
one() {
	local bin=$1 w=$2 t=$3 seed=$4 name=$5 d=$tmp/r.$RANDOM mixvar=MIX_$2 optvar
	optvar=OPTS_$(tr -c 'A-Za-z0-9_\n' _ <<< "$name")
	printf '[%s]\nworkload=%s\nthreads=%s\ndelay=0\nsync_delay=0\nruntime=%s\nseed=%s\nexpect=clean\n' \
		"$w" "$w" "$t" "$RUNTIME" "$seed" > "$tmp/job.ini"
	[ -z "${!mixvar:-}" ] || echo "mix=${!mixvar}" >> "$tmp/job.ini"
	# the options given, each in place of the line above of its key
	tr ',' '\n' <<< "${OPTS:-},${!optvar:-}" | awk -F= '
		NR == FNR { if (NF > 1) { opt[$1] = $0; order[++n] = $1 } next }
		!($1 in opt) { print }
		END { for (i = 1; i <= n; i++) if (!done[order[i]]++) print opt[order[i]] }' - "$tmp/job.ini" > "$tmp/job2.ini"
	mv "$tmp/job2.ini" "$tmp/job.ini"
	/usr/bin/time -o "$tmp/time" -f '%U %S %w %c' \
		"$bin/mmtorture" run --quiet --results "$d" "$tmp/job.ini" >/dev/null 2>&1 || true
	local ops
	ops=$(python3 -c 'import json,glob,sys
m=json.load(open(glob.glob(sys.argv[1]+"/*/metrics.json")[0]))
print(sum(m["ops"].values()), m["elapsed_seconds"])' "$d")
	read -r u s vw iv < <(tail -n 1 "$tmp/time")
	echo "$ops $u $s $((vw + iv))"
	rm -rf "$d"
}

printf '%-10s %7s %-9s %14s %8s %12s %9s %14s %9s %11s\n' workload threads build 'ops/core-s' kernel 'csw/1000op' 'vs first' \
	'ops/s/core' 'vs first' 'range'
for w in $WORKLOADS; do
	for t in $THREADS; do
		for i in $(seq "$REPEAT"); do
			for nb in "$@"; do
				echo "${nb%%=*} $(one "${nb#*=}" "$w" "$t" "$i" "${nb%%=*}")" >> "$tmp/$w.$t"
			done
		done
		first=${1%%=*}
		for nb in "$@"; do
			row=$(awk -v b="${nb%%=*}" -v f="$first" -v cores="$(( t < ncpu ? t : ncpu ))" '
			function cpu(   x) { x = $4 + $5; return x > 0 ? x : 0.01 }
			function rate() { return $2 / cpu() }
			function wallrate() { return $3 > 0 ? $2 / ($3 * cores) : 0 }
			BEGIN { n = 0; m = 0 }
			$1 == f { fr[m] = rate(); fw[m] = wallrate(); m++ }
			$1 == b {
				r[n] = rate(); k[n] = 100 * $5 / cpu(); c[n] = 1000 * $6 / ($2 ? $2 : 1)
				w[n] = wallrate(); n++
			}
			function med(a,   i, j, x) {
				for (i = 1; i < n; i++) for (j = i; j > 0 && a[j-1] > a[j]; j--) { x = a[j]; a[j] = a[j-1]; a[j-1] = x }
				return a[int(n / 2)]
			}
			# the ratio to the first build run by run (the same seed, one
			# after the other), so that the machine drifting between runs
			# does not move it; its median, and its lowest and highest
			END {
				for (i = 0; i < n; i++) {
					q[i] = fr[i] > 0 ? r[i] / fr[i] : 0; qw[i] = fw[i] > 0 ? w[i] / fw[i] : 0
				}
				lo = hi = q[0]
				for (i = 1; i < n; i++) { if (q[i] < lo) lo = q[i]; if (q[i] > hi) hi = q[i] }
				printf "%.0f %.1f %.3f %.0f %.2f %.2f %.2f", med(r), med(k), med(c), med(w), med(q), med(qw), lo
				printf " %.2f\n", hi
			}' "$tmp/$w.$t")
			read -r ops kern csw wall ratio ratiow lo hi <<< "$row"
			printf '%-10s %7d %-9s %14s %7s%% %12s %8s× %14s %8s× %11s\n' "$w" "$t" "${nb%%=*}" "$ops" "$kern" \
				"$csw" "$ratio" "$wall" "$ratiow" "$lo–$hi"
		done
	done
done
