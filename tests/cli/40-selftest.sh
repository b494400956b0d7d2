#!/bin/bash
# The tool's proof of itself: configs/selftest.ini must detect every
# detection bug of the catalogue and pass every clean job.
. "$(dirname "$0")/../lib.sh"

"$MMT" run --results "$T_TMP/res" "$MT_SRC/configs/selftest.ini" > "$T_TMP/out" 2>&1
rc=$?
ok $rc "mmtorture run configs/selftest.ini exits 0"
for b in $("$MMT" bugs --json | jq -r '.[] | select(.expect == "detect") | .name'); do
	line=$(grep -E "^$b +" "$T_TMP/out")
	printf '%s' "$line" | grep -q " DETECTED "
	ok $? "$b: $(printf '%s' "$line" | awk '{print $3, "in", $5}')"
done
n=$(grep -cE '^clean-[^ ]+ +[a-z_]+ +PASS ' "$T_TMP/out")
wl=$("$MMT" workloads | grep -c '^[a-z_]* - ')
[ "$n" -ge "$wl" ]; ok $? "every workload has a clean job that PASSes ($n clean jobs, $wl workloads)"
[ $rc = 0 ] || sed -n '/^job  /,$p' "$T_TMP/out" | sed 's/^/# /'
done_testing
