#!/bin/bash
# Every workload on the correct protocols under every RCU flavor, short:
# each job must PASS (no race, no leak, every role ran).
. "$(dirname "$0")/../lib.sh"

# the models' workloads; kernel mode (kernel_*, root) is 70-kernel.sh's
wls=$("$MMT" workloads | sed -n 's/^\([a-z_]*\) - .*/\1/p' | grep -v '^kernel_')
[ -n "$wls" ]; ok $? "workloads: $(echo $wls)"
f="$T_TMP/clean.ini"
printf '[global]\nthreads=4\nruntime=1500ms\naudit_interval=300ms\nstutter=500ms\ndelay=0.01\nexpect=clean\n' > "$f"
for wl in $wls; do
	for rcu in memb qsbr mb bp; do
		printf '[%s-%s]\nworkload=%s\nrcu=%s\n' "$wl" "$rcu" "$wl" "$rcu" >> "$f"
	done
done
"$MMT" run --no-results "$f" > "$T_TMP/out" 2>&1
rc=$?
for wl in $wls; do
	for rcu in memb qsbr mb bp; do
		line=$(grep -E "^$wl-$rcu +" "$T_TMP/out")
		printf '%s' "$line" | grep -q " PASS "
		ok $? "$wl under rcu=$rcu: $(printf '%s' "$line" | awk '{print $3, "races=" $6, "leaks=" $7, "seed=" $8}')"
	done
done
[ $rc = 0 ]; ok $? "mmtorture run exits 0 (exit $rc)"
# what failed, where a CI log shows it
[ "$T_FAILED" = 0 ] || { sed -n '/^job  /,$p' "$T_TMP/out"; grep -E '^\[[^]]+\] [A-Z]+: ' "$T_TMP/out"; } >&2
done_testing
