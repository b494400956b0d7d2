#!/bin/bash
# soak.sh - a long soak through the daemon: start mmtortured on a private
# socket and state directory, submit a job file (default configs/soak.ini),
# sample the daemon's RSS and the running job's every 10 s, wait for every
# job, then print the verdicts and counters and judge the RSS.
#
#   tools/soak.sh [JOBFILE]        (make soak)
#
# Output in results/soak-<date>/: rss.csv (time, daemon RSS, job RSS in
# KiB), jobs.json (every job as the daemon tells it), summary.txt.
# Exit 0 when every job PASSed with no race or leak and the daemon's RSS
# after the last job is within 10% (and 4 MiB) of its RSS after the first.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${MT_BIN:-$top/build/cc/bin}
file=${1:-$top/configs/soak.ini}
out="$top/results/soak-$(date -u +%Y-%m-%dT%H-%M-%SZ)"
mkdir -p "$out"
tmp=$(mktemp -d /tmp/mmtorture-soak.XXXXXX)
sock="$tmp/control.sock"
"$bin/mmtortured" --socket "$sock" --state-dir "$tmp/state" --max-queue 1000 \
	> "$out/daemon.log" 2>&1 &
dpid=$!
trap 'kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; rm -rf "$tmp"' EXIT
export MMTORTURE_SOCKET=$sock
for _ in $(seq 100); do "$bin/mmtorture" status >/dev/null 2>&1 && break; sleep 0.1; done
ids=$("$bin/mmtorture" submit --json "$file" | jq -r '.ids[]') || exit 3
n=$(echo "$ids" | wc -w)
echo "soak: $n jobs from $file, results in $out"
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
echo "seconds,daemon_kib,job_kib,running" > "$out/rss.csv"
t0=$(date +%s)
while :; do
	st=$("$bin/mmtorture" status --json) || break
	left=$(printf '%s' "$st" | jq '.daemon.queued + .daemon.running')
	job=$(pgrep -P "$(pgrep -P $dpid | head -1)" 2>/dev/null | head -1)
	printf '%d,%s,%s,%s\n' $(($(date +%s) - t0)) "$(rss $dpid)" "$(rss "${job:-0}")" \
		"$("$bin/mmtorture" list --json | jq -r '[.jobs[] | select(.state == "running") | .name] | join(" ")')" \
		>> "$out/rss.csv"
	[ "$left" = 0 ] && break
	sleep "${MT_SOAK_SAMPLE:-10}"
done
"$bin/mmtorture" list --json > "$out/jobs.json"
{
	printf '%-20s %-8s %-6s %8s %6s %6s\n' job verdict rcu ops races leaks
	jq -r '.jobs[] | [.name, .verdict, .rcu, .ops_total, ([.races[]] | add), ([.leaks[]] | add)] | @tsv' \
		"$out/jobs.json" | awk -F'\t' '{printf "%-20s %-8s %-6s %8.3g %6d %6d\n", $1, $2, $3, $4, $5, $6}'
	awk -F, 'NR == 2 {first = $2} NR > 1 {last = $2; if ($2 > max) max = $2}
		END {printf "daemon RSS: first %d KiB, last %d KiB, max %d KiB\n", first, last, max}' "$out/rss.csv"
	awk -F, 'NR > 1 && $3 > max {max = $3} END {printf "job process RSS: max %d KiB\n", max}' "$out/rss.csv"
	echo "elapsed: $(($(date +%s) - t0)) s"
} | tee "$out/summary.txt"
bad=$(jq '[.jobs[] | select(.verdict != "PASS" or ([.races[]] | add) > 0 or ([.leaks[]] | add) > 0)] | length' "$out/jobs.json")
# the daemon's RSS once the first job has ended, against its last
first=$(jq -r '[.jobs[] | .elapsed_seconds] | .[0] // 0' "$out/jobs.json")
flat=$(awk -F, -v after="$first" 'NR > 1 && $1 >= after && !f {f = $2} NR > 1 {l = $2}
	END {print (l <= f * 1.10 || l - f <= 4096) ? 1 : 0}' "$out/rss.csv")
echo "jobs not PASS or with races/leaks: $bad; daemon RSS flat: $([ "$flat" = 1 ] && echo yes || echo no)" |
	tee -a "$out/summary.txt"
[ "$bad" = 0 ] && [ "$flat" = 1 ]
