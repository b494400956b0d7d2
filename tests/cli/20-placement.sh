#!/bin/bash
# Placement plans under synthetic 2- and 4-node topologies
# (HWLOC_SYNTHETIC): threads are spread over the nodes, binding is skipped
# and the plan says why; per-node op counts and remote frees are kept.
. "$(dirname "$0")/../lib.sh"

run_null() {	# run_null NAME TOPOLOGY THREADS [key=value...]
	local name=$1 topo=$2 threads=$3; shift 3
	{ printf '[%s]\nworkload=null\nthreads=%s\nruntime=700ms\n' "$name" "$threads"
	  for kv in "$@"; do printf '%s\n' "$kv"; done; } > "$T_TMP/$name.ini"
	HWLOC_SYNTHETIC="$topo" "$MMT" run --results "$T_TMP/res" "$T_TMP/$name.ini" > "$T_TMP/$name.out" 2>&1
}

run_null two "numa:2 core:2 pu:1" 4; ok $? "a job on a synthetic 2-node machine runs and passes"
grep -q "placement: 4 threads on 2 nodes, not bound:" "$T_TMP/two.out" &&
	grep -q "the topology is not this machine's (synthetic: 2 NUMA nodes, 4 PUs)" "$T_TMP/two.out"
ok $? "the plan says binding is skipped, and why"
grep -q "node 0: t0@cpu0 t2@cpu1" "$T_TMP/two.out" && grep -q "node 1: t1@cpu2 t3@cpu3" "$T_TMP/two.out"
ok $? "4 threads spread over 2 nodes, round-robin over each node's PUs"
m=$(ls -d "$T_TMP"/res/*-two)/metrics.json
jq -e '(.ops_by_node | keys) == ["0","1"] and .ops_by_node["0"] > 0 and .ops_by_node["1"] > 0' "$m" >/dev/null
ok $? "ops are counted per node"
jq -e '.info.remote_frees > 0 and ([.caches[].remote_frees] | add) > 0' "$m" >/dev/null
ok $? "objects freed on another node than they were allocated are counted ($(jq .info.remote_frees "$m"))"

run_null four "numa:4 core:2 pu:1" 8; ok $? "a job on a synthetic 4-node machine runs and passes"
ok=0
for n in 0 1 2 3; do
	c0=$((n * 2)); c1=$((n * 2 + 1))
	grep -q "node $n: t$n@cpu$c0 t$((n + 4))@cpu$c1" "$T_TMP/four.out" || ok=1
done
ok $ok "8 threads, two on each of the 4 nodes"
[ "$(jq '.ops_by_node | length' "$(ls -d "$T_TMP"/res/*-four)/metrics.json")" = 4 ]; ok $? "4 per-node op counts"

run_null some "numa:4 core:2 pu:1" 4 nodes=1-2; ok $? "nodes=1-2 on 4 nodes"
grep -q "placement: 4 threads on 2 nodes" "$T_TMP/some.out" && grep -q "node 1: t0@cpu2 t2@cpu3" "$T_TMP/some.out" &&
	grep -q "node 2: t1@cpu4 t3@cpu5" "$T_TMP/some.out" && ! grep -q "node 0:" "$T_TMP/some.out"
ok $? "only nodes 1 and 2 get threads"
run_null pus "numa:2 core:2 pu:1" 2 cpus=1,3; ok $? "cpus=1,3"
grep -q "node 0: t0@cpu1" "$T_TMP/pus.out" && grep -q "node 1: t1@cpu3" "$T_TMP/pus.out"; ok $? "cpus= limits the PUs used"

printf '[j]\nworkload=null\nnodes=5\n' > "$T_TMP/bad.ini"
o=$(HWLOC_SYNTHETIC="numa:4 core:1 pu:1" "$MMT" check "$T_TMP/bad.ini" 2>&1)
[ $? = 1 ] && printf '%s' "$o" | grep -q "nodes '5': this machine has nodes 0-3"; ok $? "a node outside the topology is an error naming the nodes there are"
printf '[j]\nworkload=null\nthreads=$nodes*3\n' > "$T_TMP/vars.ini"
HWLOC_SYNTHETIC="numa:4 core:1 pu:1" "$MMT" check "$T_TMP/vars.ini" | grep -q "threads=12"; ok $? "\$nodes is the number of nodes (4)"

bad_synthetic() {	# bad_synthetic COMMAND ARGS...: refused with hwloc's reason, nothing run
	local o rc
	o=$(HWLOC_SYNTHETIC="numa:2 bogus:3" "$MMT" "$@" 2>&1); rc=$?
	[ $rc = 1 ] && printf '%s\n' "$o" | grep -q "HWLOC_SYNTHETIC='numa:2 bogus:3' is not a topology hwloc can build: .*'bogus" &&
		! printf '%s\n' "$o" | grep -q "placement:"
	ok $? "mmtorture $1: a HWLOC_SYNTHETIC that hwloc refuses is an error (exit $rc), not the real machine: $o"
}
bad_synthetic check "$T_TMP/two.ini"
bad_synthetic run --no-results "$T_TMP/two.ini"
real=$("$MMT" run --no-results "$T_TMP/two.ini" 2>&1)
printf '%s' "$real" | grep -q "bound to their PUs"; ok $? "on the real machine the threads are bound"
done_testing
