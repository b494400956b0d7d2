#!/bin/bash
# bench_kernel.sh - kernel mode's ops/s, role by role, beside stress-ng's
# numa and fork stressors, in the same run on the same CPUs (a benchmark,
# not a test: `make bench` runs it as root, and says why it skips if not).
#
# Each kernel workload runs alone with one role (mix=ROLE:1), N threads on
# the CPUs 0..N-1; stress-ng runs --numa N and --fork N under the same
# taskset.  A ratio is mmtorture's ops/s over stress-ng's bogo ops/s:
# ops are not alike (one mmtorture op of a role is one protocol operation
# with its lookups, a stress-ng bogo op is its own loop), so the ratio says
# how hard each hammers the path, not which is faster.  What stress-ng
# does not check: it counts no object the kernel leaks, reads no kernel
# log, judges no coverage.
set -u
MT_SRC=${MT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
MMT=${MT_BIN:-$MT_SRC/build/cc/bin}/mmtorture
SECS=${BENCH_SECS:-4}
N=${BENCH_THREADS:-$(nproc)}
CPUS="0-$((N - 1))"
[ "$N" -le "$(nproc)" ] || CPUS="0-$(($(nproc) - 1))"

if [ "$(id -u)" -ne 0 ]; then
	echo "bench_kernel: skipped: kernel mode needs root"
	exit 0
fi
if ! command -v stress-ng >/dev/null; then
	echo "bench_kernel: skipped: stress-ng is not installed (tools/deps.sh installs it)"
	exit 0
fi
tmp=$(mktemp -d /tmp/mmtorture-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# stress-ng's bogo ops/s (real time) of one stressor
sng() {
	taskset -c "$CPUS" stress-ng --"$1" "$N" -t "${SECS}s" --metrics-brief 2>&1 |
		awk -v s="$1" '$0 ~ "stress-ng: metrc:" && $4 == s {print $9}'
}

# mmtorture's ops/s of one role of one kernel workload
mmt() {	# workload role: that role alone (an exit needs its fork beside it)
	local f="$tmp/$1-$2.ini" d="$tmp/res-$1-$2" mix="$2:1"
	[ "$2" = exit ] && mix="fork:1,exit:1"
	printf '[%s-%s]\nworkload=%s\nmix=%s\nthreads=%s\nruntime=%ss\naudit_interval=%ss\nmin_cycles=2\nexpect=clean\n' \
		"$1" "$2" "$1" "$mix" "$N" "$SECS" "$((SECS / 2))" > "$f"
	taskset -c "$CPUS" "$MMT" run --quiet --results "$d" "$f" >/dev/null 2>&1
	jq -r --arg r "$2" '(.ops[$r] // 0) / (.elapsed_seconds // 1)' "$(find "$d" -name metrics.json | head -1)" 2>/dev/null || echo 0
}

numa=$(sng numa)
fork=$(sng fork)
printf 'kernel mode vs stress-ng: %s threads/instances on CPUs %s, %ss each\n\n' "$N" "$CPUS" "$SECS"
printf '%-18s %-14s %12s   %-14s %12s %8s\n' workload role "ops/s" stress-ng "bogo ops/s" ratio
row() {	# workload role stressor stressor-rate
	local r
	r=$(mmt "$1" "$2")
	printf '%-18s %-14s %12.0f   %-14s %12.0f %8.2f\n' "$1" "$2" "$r" "--$3 $N" "$4" \
		"$(awk -v a="$r" -v b="$4" 'BEGIN { print (b > 0 ? a / b : 0) }')"
}
for role in fault set_mempolicy get_mempolicy mbind numa_maps migrate shm_churn; do
	row kernel_mempolicy "$role" numa "${numa:-0}"
done
for role in fork exit mremap mprotect ksm move_pages rmap; do
	row kernel_anon_vma "$role" fork "${fork:-0}"
done
for role in fault mmap munmap mprotect mremap; do
	row kernel_vma "$role" fork "${fork:-0}"
done
echo
echo "stress-ng counts no leaked kernel object, reads no kernel log and judges no coverage;"
echo "mmtorture's kernel mode does all three on every run (docs/KERNEL.md)."
