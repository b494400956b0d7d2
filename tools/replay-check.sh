#!/bin/bash
# replay-check.sh - exact replay, measured: replay N detecting runs (100)
# taken in turn from the results directories given (jobs of scheduled
# runs, e.g. those of make sched-table), and count how many reproduced --
# the same steps, preemptions, counts digest and first detection step.
#
#   tools/replay-check.sh [-n N] RESULTS_DIR...
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${MT_BIN:-$top/build/cc/bin}
n=100
if [ "${1:-}" = -n ]; then n=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [-n N] RESULTS_DIR..." >&2; exit 2; }

picks=()
round=0
# one detecting run of each directory in turn, until N
while [ ${#picks[@]} -lt "$n" ]; do
	added=0
	for d in "$@"; do
		[ ${#picks[@]} -lt "$n" ] || break
		k=$(jq -r --argjson i "$round" '[.runs.records[] | select(.detected)][$i].run // empty' \
			"$d/metrics.json" 2>/dev/null)
		[ -n "$k" ] || continue
		picks+=("$d $k")
		added=1
	done
	[ $added = 1 ] || break
	round=$((round + 1))
done
ok=0
for p in "${picks[@]}"; do
	read -r d k <<< "$p"
	line=$("$bin/mmtorture" replay --run "$k" "$d" 2>&1 | head -1)
	case $line in
	*": reproduced"*) ok=$((ok + 1)) ;;
	*) echo "NOT reproduced: $(basename "$d") run $k: $line" ;;
	esac
done
echo "replayed ${#picks[@]} detecting runs of $# jobs: $ok reproduced"
[ "$ok" = ${#picks[@]} ]
