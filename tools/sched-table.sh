#!/bin/bash
# sched-table.sh - how often controlled scheduling finds each detection bug
# of the catalogue: for every model bug, RUNS short runs under sched=pct
# with depth 1, 2 and 3, next to PCT's bound for that depth and to RUNS
# free-running runs of the same length (run_ops= operations per thread)
# without injected delays, each with the workload options the selftest
# gives that bug (a mix, threads_per_mm=, file_pct=), or for two bugs the
# two roles their race needs on two workers (focus()).  Prints a Markdown
# table (the one in README)
# and writes it, with every job's results, to results/sched-table-<date>/.
#
#   tools/sched-table.sh [RUNS [THREADS [RUN_OPS]]]   (make sched-table)
#   tools/sched-table.sh --table DIR   the table of an earlier run's DIR
#
# A cell is "detecting runs / runs (share)"; the bound is 1/(n k^(d-1)),
# n the scheduled threads (the workers and the RCU callback thread), k the
# steps of a run as the job measured them.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${MT_BIN:-$top/build/cc/bin}
if [ "${1:-}" = --table ]; then
	out=${2:?--table DIR}
	read -r runs threads ops seed < "$out/params" || exit 3
else
	runs=${1:-200}
	threads=${2:-3}
	ops=${3:-40}
	seed=${SEED:-20261202}
	out="$top/results/sched-table-$(date -u +%Y-%m-%dT%H-%M-%SZ)"
	mkdir -p "$out"
	echo "$runs $threads $ops $seed" > "$out/params"
fi

workload_of() {
	case $1 in
	mempolicy) echo mempolicy ;;
	anon_vma) echo anon_vma ;;
	vma) echo vma_spf ;;
	esac
}

# extras BUG: the options the selftest's job of BUG gives its workload
# (a mix, threads_per_mm=, file_pct= ...), so that the table's jobs run
# the paths the bug is on; not the keys this script sets itself.
extras() {
	awk -v sec="[$1]" '
		/^\[/ { on = ($0 == sec); next }
		on && /^[a-z_]+=/ {
			k = $0; sub(/=.*/, "", k)
			if (k !~ /^(workload|bugs|expect|threads|runtime|delay|sync_delay|seed|stop_on_detect)$/)
				print
		}' "$top/configs/selftest.ini"
}

# focus BUG: for a bug whose race needs two particular roles to meet,
# which the selftest's job leaves to a long run of the whole mix, the
# roles alone on two workers: a run of the table's length then holds
# enough of both for PCT's few preemptions to land between them.  Its
# row is marked in the table, with these options under it.
focus() {
	case $1 in
	mpol-set-no-mmap-sem) printf 'threads=2\nmix=numa_maps:50,set_mempolicy:50\n' ;;
	vma-policy-put-early) printf 'threads=2\nmix=spf:50,munmap:50\n' ;;
	esac
}

# job NAME BUG SCHED DEPTH: one job section
job() {
	local wl t
	wl=$(workload_of "$(jq -r --arg b "$2" '.[] | select(.name == $b) | .model' "$out/bugs.json")")
	t=$(focus "$2" | sed -n 's/^threads=//p')
	printf '[%s]\nworkload = %s\nbugs = %s\nexpect = detect\nthreads = %s\nruns = %s\nrun_ops = %s\nseed = %s\nstop_on_detect = 0\nruntime = 86400\n' \
		"$1" "$wl" "$2" "${t:-$threads}" "$runs" "$ops" "$seed"
	# the selftest's options, then the focus's (which win), each key once
	{ extras "$2"; focus "$2" | grep -v '^threads='; } |
		awk -F= '{ v[$1] = $0; if (!($1 in seen)) { seen[$1] = 1; o[++n] = $1 } }
			END { for (i = 1; i <= n; i++) print v[o[i]] }'
	if [ "$3" = free ]; then
		printf 'sched = free\ndelay = 0\n\n'
	else
		printf 'sched = pct\npct_depth = %s\n\n' "$4"
	fi
}

[ -s "$out/bugs.json" ] || "$bin/mmtorture" bugs --json > "$out/bugs.json" || exit 3
bugs=$(jq -r '.[] | select(.expect == "detect" and .model != "kernel") | .name' "$out/bugs.json")
if [ ! -d "$out/runs" ]; then
	{
		for b in $bugs; do
			for d in 1 2 3; do job "$b-d$d" "$b" pct $d; done
			job "$b-free" "$b" free 0
		done
	} > "$out/jobs.ini"
	"$bin/mmtorture" run --results "$out/runs" "$out/jobs.ini" > "$out/run.log" 2>&1
	rc=$?
	[ $rc -le 2 ] || { echo "sched-table: mmtorture run exited $rc (see $out/run.log)" >&2; exit 3; }
fi

cell() {	# cell JOB: "D/N (S%)"
	local m
	m=$(ls -d "$out"/runs/*Z-"$1"/metrics.json 2>/dev/null | head -1)
	[ -n "$m" ] || { echo "-"; return; }
	jq -r '.runs | "\(.detected)/\(.done) (\(if .done > 0 then (100 * .detected / .done * 10 | round / 10) else 0 end)%)"' "$m"
}
bound() {	# bound JOB DEPTH: 1/(n k^(d-1)) as a percentage
	local m k
	m=$(ls -d "$out"/runs/*Z-"$1"/metrics.json 2>/dev/null | head -1)
	[ -n "$m" ] || { echo "-"; return; }
	k=$(jq -r '.runs.pct_steps // 0' "$m")
	# n: the job's workers and the RCU callback thread
	awk -v n="$(($(jq -r '.job.threads' "$m") + 1))" -v k="$k" -v d="$2" 'BEGIN {
		if (k <= 0) { print "-"; exit }
		b = 100 / (n * k ^ (d - 1))
		printf((b >= 0.1 ? "%.3g%%\n" : "%.1e%%\n"), b)
	}'
}
steps() {
	local m
	m=$(ls -d "$out"/runs/*Z-"$1"/metrics.json 2>/dev/null | head -1)
	[ -n "$m" ] && jq -r '.runs.pct_steps' "$m" || echo "-"
}
{
	echo "| bug | k | pct d=1 | bound | pct d=2 | bound | pct d=3 | bound | free, no delays |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for b in $bugs; do
		mark=
		[ -z "$(focus "$b")" ] || mark=' †'
		printf '| `%s`%s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$b" "$mark" "$(steps "$b-d1")" \
			"$(cell "$b-d1")" "$(bound "$b-d1" 1)" "$(cell "$b-d2")" "$(bound "$b-d2" 2)" \
			"$(cell "$b-d3")" "$(bound "$b-d3" 3)" "$(cell "$b-free")"
	done
	echo
	echo "$runs runs per cell, $threads workers, run_ops=$ops, seed $seed."
	for b in $bugs; do
		[ -z "$(focus "$b")" ] || echo "† \`$b\`: $(focus "$b" | paste -sd' ')."
	done
} | tee "$out/table.md"
