#!/bin/sh
# repeat-runs.sh - the figures of the README, measured again: not a test,
# and not part of make check (it takes minutes).
#
#   tools/repeat-runs.sh selftest [N]   configs/selftest.ini N times (10): each
#                                       job's verdicts, and the median and
#                                       slowest detection of each detect job,
#                                       as the README's table has them
#   tools/repeat-runs.sh clean [N]      every workload's clean job N times (10)
#                                       under each RCU flavor (memb, qsbr, mb,
#                                       bp): the verdicts, which must be PASS
#
# MMT (default build/cc/bin/mmtorture) is the CLI; OUT (default
# build/repeat) keeps the results.  Needs jq.
set -eu
cd "$(dirname "$0")/.."
MMT=${MMT:-build/cc/bin/mmtorture}
OUT=${OUT:-build/repeat}
what=${1:-selftest}
n=${2:-10}
mkdir -p "$OUT"

table() {	# table DIR: name verdicts median slowest, from every metrics.json below DIR
	find "$1" -name metrics.json | sort | while read -r m; do
		jq -r '[.job.name, .verdict, (.time_to_detection_seconds // -1)] | @tsv' "$m"
	done | awk -F'\t' '
		{ if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 }
		  v[$1, $2]++; verdicts[$2] = 1
		  if ($3 >= 0) { t[$1, ++nt[$1]] = $3 } }
		END {
			for (i = 1; i <= k; i++) {
				j = order[i]; s = ""
				for (vv in verdicts) if (v[j, vv]) s = s sprintf("%s %d ", vv, v[j, vv])
				m = nt[j]
				for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++)
					if (t[j, b] < t[j, a]) { x = t[j, a]; t[j, a] = t[j, b]; t[j, b] = x }
				if (m) printf "%-40s %-22s median %.3f s  slowest %.3f s\n", j, s,
					(m % 2 ? t[j, (m + 1) / 2] : (t[j, m / 2] + t[j, m / 2 + 1]) / 2), t[j, m]
				else printf "%-40s %s\n", j, s
			}
		}'
}

case "$what" in
selftest)
	rm -rf "$OUT/selftest"
	mkdir -p "$OUT/selftest"
	for i in $(seq 1 "$n"); do
		"$MMT" run --quiet --results "$OUT/selftest/run$i" configs/selftest.ini || true
	done
	table "$OUT/selftest"
	;;
clean)
	rm -rf "$OUT/clean"
	mkdir -p "$OUT/clean"
	f="$OUT/clean.ini"
	printf '[global]\nthreads=4\nruntime=3s\naudit_interval=250ms\nstutter=500ms\ndelay=0.02\nexpect=clean\n' > "$f"
	for wl in $("$MMT" workloads | sed -n 's/^\([a-z_]*\) - .*/\1/p'); do
		for rcu in memb qsbr mb bp; do
			printf '[%s-%s]\nworkload=%s\nrcu=%s\n' "$wl" "$rcu" "$wl" "$rcu" >> "$f"
			[ "$wl" = vma_spf ] && printf '[%s-rb_lock-%s]\nworkload=%s\nvma_lookup=rb_lock\nrcu=%s\n' \
				"$wl" "$rcu" "$wl" "$rcu" >> "$f"
		done
	done
	for i in $(seq 1 "$n"); do
		"$MMT" run --quiet --results "$OUT/clean/run$i" "$f" || true
	done
	table "$OUT/clean"
	;;
*)
	echo "usage: $0 selftest|clean [N]" >&2
	exit 1
	;;
esac
