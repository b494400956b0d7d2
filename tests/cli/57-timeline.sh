#!/bin/bash
# A run's timeline as its reader meets it: timeline.csv in the results of
# `mmtorture run` and of a daemon's job, a row every timeline_interval
# with time, phase, ops by role, races and leaks by kind and audits,
# counters that only grow; a detect job's race column rising from zero;
# timeline_interval=0 keeps none.  `mmtorture plot` draws it to PNG or SVG
# with gnuplot, the first detection marked where metrics.json puts it.
. "$(dirname "$0")/../lib.sh"

R="$T_TMP/results"
cat > "$T_TMP/t.ini" <<'EOF'
[global]
timeline_interval=100ms
audit_interval=300ms
[clean]
workload=null
threads=2
runtime=1500ms
[caught]
workload=mempolicy
threads=2
runtime=1500ms
bugs=mpol-swapin-multi-put
expect=detect
stop_on_detect=0
[none]
workload=null
threads=1
runtime=300ms
timeline_interval=0
EOF
"$MMT" run --quiet --results "$R" "$T_TMP/t.ini"; ok $? "three jobs run, every expectation met"
C=$(ls -d "$R"/*-clean); D=$(ls -d "$R"/*-caught); N=$(ls -d "$R"/*-none)

head -n 1 "$C/timeline.csv" | grep -q '^t_s,phase,ops,ops_get_put,ops_replace,ops_alloc,races,leaks,refcount_underflow,.*,use_after_free,.*,leaked_objects,leaked_refs,missing_refs,audits$'
ok $? "the header: t_s, phase, ops, ops by role, races, leaks, each kind, audits"
rows=$(($(wc -l < "$C/timeline.csv") - 1))
[ "$rows" -ge 10 ] && [ "$rows" -le 20 ]; ok $? "a row every 100ms of a 1.5s job: $rows rows"
awk -F, 'NR == 1 { n = NF; for (i = 1; i <= NF; i++) if ($i == "audits") a = i; next }
	 { if ($1 <= t || $3 < ops || $a < au || NF != n) bad = 1; t = $1; ops = $3; au = $a }
	 END { exit bad || ops == 0 || au == 0 }' "$C/timeline.csv"
ok $? "time grows, ops and audits never go down and end above zero"
awk -F, 'NR > 1 { s = $4 + $5 + $6; if (s != $3) bad = 1 } END { exit bad }' "$C/timeline.csv"
ok $? "ops is the sum of the roles' ops in every row"
[ "$(tail -n 1 "$C/timeline.csv" | cut -d, -f2)" = done ] && cut -d, -f2 "$C/timeline.csv" | grep -qx running
ok $? "the phase: running rows, the last one done"
# the race kinds: the columns from refcount_underflow to the one before leaked_objects
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "races") r = i; if ($i == "leaked_objects") l = i }; next }
	 { s = 0; for (i = r + 2; i < l; i++) s += $i; if (s != $r) bad = 1 }
	 NR == 2 { first = $r } END { exit bad || !($r > first && first >= 0) }' "$D/timeline.csv"
ok $? "the detect job: races rises from row to row, and is the sum of the race kinds in each"
[ ! -e "$N/timeline.csv" ]; ok $? "timeline_interval=0: no timeline.csv"
"$MMT" check "$T_TMP/t.ini" >/dev/null && "$MMT" workloads | grep -q '^  timeline_interval '
ok $? "timeline_interval is a job key (mmtorture workloads)"
printf '[x]\nworkload=null\ntimeline_interval=soon\n' > "$T_TMP/bad.ini"
"$MMT" check "$T_TMP/bad.ini" 2>&1 | grep -q "key 'timeline_interval': 'soon' is not a time"
ok $? "a bad timeline_interval is an error naming the key"

# ---- the picture ----
if ! command -v gnuplot >/dev/null; then
	skip "gnuplot is not installed (make deps)"
else
	o=$("$MMT" plot "$D"); ok $? "mmtorture plot: $o"
	[ "$(head -c 8 "$D/timeline.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
		[ "$(stat -c %s "$D/timeline.png")" -gt 20000 ]
	ok $? "timeline.png is a PNG of some size ($(stat -c %s "$D/timeline.png") bytes)"
	first=$(jq -r .first_detection_seconds "$D/metrics.json")
	"$MMT" plot --script "$D" > "$T_TMP/plot.gp"
	grep -q "first detection at $(printf '%.3f' "$first") s" "$T_TMP/plot.gp" &&
		grep -q "set arrow 1 from $(printf '%.3f' "$first"), graph 0" "$T_TMP/plot.gp" &&
		grep -q 'title "no race, no leak"' "$T_TMP/plot.gp" && bad=1 || bad=0
	for k in $(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { h[i] = $i; if ($i == "races") r = i }; next }
			    END { for (i = r + 2; i < NF; i++) if ($i > 0) print h[i] }' "$D/timeline.csv"); do
		grep -q "title \"$k\"" "$T_TMP/plot.gp" || bad=1
	done
	[ $bad = 0 ]
	ok $? "the first detection is marked at metrics.json's $first s; each counter that fired is drawn"
	"$MMT" plot -o "$T_TMP/c.svg" "$C" >/dev/null && grep -q '<svg' "$T_TMP/c.svg" &&
		grep -q 'no race, no leak' "$T_TMP/c.svg" && grep -q 'get_put' "$T_TMP/c.svg"
	ok $? "-o FILE.svg: an SVG; a clean job says no race, no leak"
	"$MMT" plot "$N" > "$T_TMP/none.out" 2>&1; rc=$?
	[ $rc = 1 ] && grep -q "timeline.csv: No such file or directory (a job with timeline_interval=0" "$T_TMP/none.out"
	ok $? "plot of a run without a timeline: exit 1, saying why"
	mkdir -p "$T_TMP/badtl" && printf 't_s,phase,ops\n0.1,running,x\n' > "$T_TMP/badtl/timeline.csv"
	"$MMT" plot "$T_TMP/badtl" > "$T_TMP/bad.out" 2>&1; rc=$?
	[ $rc = 1 ] && grep -q "row 2, column ops: 'x' is not a number" "$T_TMP/bad.out"
	ok $? "a damaged timeline.csv: exit 1, naming row and column"
fi

# ---- the daemon's jobs have one too ----
S="$T_TMP/control.sock"
printf '[daemon]\n' > "$T_TMP/d.conf"
"$MMTD" --socket "$S" --state-dir "$T_TMP/state" --config "$T_TMP/d.conf" > "$T_TMP/d.log" 2>&1 &
DPID=$!
T_CLEANUP="kill $DPID 2>/dev/null;"
for _ in $(seq 100); do "$MMT" --socket "$S" status >/dev/null 2>&1 && break; sleep 0.1; done
printf '[djob]\nworkload=null\nthreads=2\nruntime=1s\ntimeline_interval=200ms\n' > "$T_TMP/d.ini"
"$MMT" --socket "$S" submit "$T_TMP/d.ini" >/dev/null && "$MMT" --socket "$S" wait 1 >/dev/null
ok $? "a daemon job runs"
tl="$T_TMP/state/results/1-djob/timeline.csv"
[ -s "$tl" ] && [ "$(($(wc -l < "$tl") - 1))" -ge 4 ]; ok $? "and leaves timeline.csv in its results ($(($(wc -l < "$tl" 2>/dev/null || echo 1) - 1)) rows)"
kill $DPID; wait $DPID 2>/dev/null
T_CLEANUP=""
done_testing
