#!/bin/bash
# The tool's proof of itself: configs/selftest.ini must detect every
# detection bug of the catalogue, each in its own detect job, and pass
# every clean job, with a clean job for every workload.  The verdicts are
# read from each job's metrics.json and from the summary table.  When
# anything fails, the summary table and every verdict line go to stderr,
# so that a CI log shows what failed.
. "$(dirname "$0")/../lib.sh"

if ! command -v jq >/dev/null; then
	ok 1 "jq is installed (a test dependency: tools/deps.sh installs it)"
	done_testing
	exit 1
fi
F0=$T_FAILED

"$MMT" run --results "$T_TMP/res" "$MT_SRC/configs/selftest.ini" > "$T_TMP/out" 2>&1
rc=$?
ok $rc "mmtorture run configs/selftest.ini exits 0 (exit $rc)"
jq -s . "$T_TMP"/res/*/metrics.json > "$T_TMP/all.json" 2>/dev/null || echo '[]' > "$T_TMP/all.json"
njobs=$("$MMT" check "$MT_SRC/configs/selftest.ini" | sed -n 's/.*: \([0-9]*\) jobs\{0,1\}$/\1/p')
[ "$(jq length "$T_TMP/all.json")" = "$njobs" ]
ok $? "a metrics.json for each of its $njobs jobs"

table_verdict() { grep -E "^$1 +[a-z_]+ +[A-Z]+ " "$T_TMP/out" | awk '{print $3}'; }

# the kernel's self-tests (model kernel) are configs/kernel.ini's, tested by 70-kernel.sh
for b in $("$MMT" bugs --json | jq -r '.[] | select(.expect == "detect" and .model != "kernel") | .name'); do
	sel=$(jq -c --arg b "$b" '[.[] | select(.job.expect == "detect" and .job.bugs == $b)]' "$T_TMP/all.json")
	n=$(printf '%s' "$sel" | jq length)
	name=$(printf '%s' "$sel" | jq -r '.[0].job.name // "-"')
	v=$(printf '%s' "$sel" | jq -r '.[0].verdict // "-"')
	t=$(printf '%s' "$sel" | jq -r '.[0].time_to_detection_seconds |
		if . == null then "-" else (. * 1000 | round / 1000 | tostring) end')
	[ "$n" = 1 ] && [ "$v" = DETECTED ] && [ "$(table_verdict "$name")" = DETECTED ]
	ok $? "$b: job $name (of $n with bugs=$b expect=detect) $v in ${t}s; table: $(table_verdict "$name")"
done

nclean=0
for name in $(jq -r '.[] | select(.job.expect == "clean") | .job.name' "$T_TMP/all.json"); do
	v=$(jq -r --arg n "$name" '.[] | select(.job.name == $n) | .verdict' "$T_TMP/all.json")
	[ "$v" = PASS ] && [ "$(table_verdict "$name")" = PASS ]
	ok $? "clean job $name: $v"
	nclean=$((nclean + 1))
done
[ $nclean -gt 0 ]; ok $? "$nclean clean jobs"
for wl in $("$MMT" workloads | sed -n 's/^\([a-z_]*\) - .*/\1/p' | grep -v '^kernel_'); do
	n=$(jq --arg w "$wl" '[.[] | select(.job.expect == "clean" and .job.workload == $w and .verdict == "PASS")] | length' "$T_TMP/all.json")
	[ "$n" -ge 1 ]; ok $? "workload $wl has a clean job that PASSes ($n)"
done

if [ "$T_FAILED" -gt "$F0" ]; then
	{
		echo "selftest: exit $rc; the summary and every verdict:"
		sed -n '/^job  /,$p' "$T_TMP/out"
		grep -E '^\[[^]]+\] ([A-Z]+:|cannot|mmtorture)' "$T_TMP/out"
		grep '^mmtorture: ' "$T_TMP/out"
	} >&2
fi
done_testing
