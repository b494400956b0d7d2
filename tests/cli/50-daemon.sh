#!/bin/bash
# mmtortured in the foreground on a temporary socket, driven by the
# client as a user would: submit, list, status, cancel, wait, dump; bad
# job files and malformed messages refused while the daemon goes on; a
# peer outside the group reads but cannot submit; a crashing job is
# recorded and the next runs; signals (HUP, USR2, TERM mid-job); a
# restart resumes the queue; the notify protocol on a fake NOTIFY_SOCKET.
. "$(dirname "$0")/../lib.sh"

S="$T_TMP/control.sock"
STATE="$T_TMP/state"
CONF="$T_TMP/mmtortured.conf"
NOTIFY="$T_TMP/notify.sock"
export MMTORTURE_SOCKET="$S"
printf '[daemon]\nmax_parallel=1\nmax_queue=8\ngroup=mmtorture-test-none\n' > "$CONF"

socat -u "UNIX-RECV:$NOTIFY" "OPEN:$T_TMP/notify.log,creat,append" &
NPID=$!
T_CLEANUP="kill $NPID 2>/dev/null;"
for _ in $(seq 50); do [ -S "$NOTIFY" ] && break; sleep 0.1; done

start_daemon() {
	NOTIFY_SOCKET="$NOTIFY" WATCHDOG_USEC=400000 "$MMTD" --socket "$S" --state-dir "$STATE" \
		--config "$CONF" --socket-group nogroup --textfile-dir "$T_TMP/textfile" \
		>> "$T_TMP/daemon.log" 2>&1 &
	DPID=$!
	T_CLEANUP="kill $NPID $DPID 2>/dev/null;"
	for _ in $(seq 100); do "$MMT" status >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
raw() {	# raw LINE: send one raw line, print the reply line
	printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$S"
}
job_state() { "$MMT" status --json "$1" | jq -r .job.state; }
wait_state() {	# wait_state ID STATE
	for _ in $(seq 200); do [ "$(job_state "$1")" = "$2" ] && return 0; sleep 0.1; done
	return 1
}

mkdir -p "$T_TMP/textfile"
start_daemon; ok $? "the daemon starts and answers on $S"
sleep 0.5
grep -q "READY=1" "$T_TMP/notify.log"; ok $? "READY=1 on NOTIFY_SOCKET once the socket is ready"
grep -q "STATUS=0 running, 0 queued, 0 finished" "$T_TMP/notify.log"; ok $? "STATUS= says what runs and waits"
[ "$(grep -o WATCHDOG=1 "$T_TMP/notify.log" | wc -l)" -ge 2 ]; ok $? "WATCHDOG=1 at half of WATCHDOG_USEC"
[ "$(stat -c %a "$S")" = 660 ]; ok $? "the socket is mode 0660"
"$MMT" status | grep -q "0 running, 0 queued"; ok $? "mmtorture status"
raw '{"cmd":"version"}' | jq -e '.ok and .protocol == 1' >/dev/null; ok $? "version: protocol 1"

# ---- refusals; the daemon goes on ----
printf '[j]\nworkload=null\nthreads=zero\n' > "$T_TMP/bad.ini"
o=$("$MMT" submit "$T_TMP/bad.ini" 2>&1); rc=$?
[ $rc = 1 ] && printf '%s' "$o" | grep -q "bad.ini:3: key 'threads': 'zero' is not a thread count"
ok $? "a bad job file is refused, naming file:line:key"
raw 'this is not json' | jq -e '.ok == false and .code == "bad_json"' >/dev/null; ok $? "not JSON: bad_json"
raw '[1,2]' | jq -e '.code == "bad_request"' >/dev/null; ok $? "not an object: bad_request"
raw '{"cmd":"frobnicate"}' | jq -e '.code == "unknown_command"' >/dev/null; ok $? "unknown command: unknown_command"
raw '{"cmd":"status","v":9}' | jq -e '.code == "bad_version"' >/dev/null; ok $? "another protocol version: bad_version"
raw '{"cmd":"status","id":"seven"}' | jq -e '.code == "bad_request"' >/dev/null; ok $? "a bad id: bad_request"
raw '{"cmd":"wait","id":999}' | jq -e '.code == "not_found"' >/dev/null; ok $? "an unknown job: not_found"
head -c 1100000 /dev/zero | tr "\0" x | socat -t 5 - "UNIX-CONNECT:$S" 2>/dev/null | jq -e '.code == "too_large"' >/dev/null
ok $? "a request over 1 MiB: too_large"
# a client that connects and says nothing must not hold anyone up
socat -u "UNIX-CONNECT:$S" - < <(sleep 30) >/dev/null &
SLOW=$!
T_CLEANUP="kill $NPID $DPID $SLOW 2>/dev/null;"
"$MMT" list >/dev/null; ok $? "a silent client does not block others"
kill -0 $DPID; ok $? "the daemon is still running after the malformed messages"

# ---- who may do what ----
printf '[ro]\nworkload=null\nthreads=1\nruntime=1s\n' > "$T_TMP/ro.ini"
chmod 644 "$T_TMP/ro.ini"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$MMT" list >/dev/null 2>&1
ok $? "a peer outside the group (nobody) can list"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$MMT" dump prom >/dev/null 2>&1
ok $? "and dump"
o=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$MMT" submit "$T_TMP/ro.ini" 2>&1); rc=$?
[ $rc = 1 ] && printf '%s' "$o" | grep -q "permission_denied: uid 65534 may only read"
ok $? "but not submit (permission_denied)"
o=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$MMT" cancel 1 2>&1)
printf '%s' "$o" | grep -q permission_denied; ok $? "nor cancel"

# ---- jobs: a crash is recorded and the next one runs ----
cat > "$T_TMP/jobs.ini" <<'EOF'
[global]
workload=null
threads=2
runtime=1s
[crasher]
crash=abort
crash_after=200ms
[survivor]
EOF
o=$("$MMT" submit "$T_TMP/jobs.ini"); ok $? "submit two jobs"
ids=$(printf '%s' "$o" | sed -n 's/^submitted job \([0-9]*\):.*/\1/p' | tr '\n' ' ')
set -- $ids
CRASH=$1 SURV=$2
"$MMT" list | grep -Eq "^ +$CRASH +crasher +null +(running|queued|finished)"; ok $? "list shows the jobs"
"$MMT" wait "$CRASH" > "$T_TMP/wait1"; rc=$?
[ $rc = 2 ] && grep -q "died of signal 6" "$T_TMP/wait1"; ok $? "the crashing job is recorded (signal 6); wait exits 2"
"$MMT" wait "$SURV" > "$T_TMP/wait2"; ok $? "the next job runs and PASSes; wait exits 0"
kill -0 $DPID; ok $? "the daemon survives the crash"
d=$("$MMT" status --json "$SURV" | jq -r .job.results)
[ -s "$d/metrics.json" ] && [ -s "$d/summary.txt" ] && [ -s "$d/metrics.prom" ] && [ -s "$d/job.log" ]
ok $? "results in the state directory: $d"

# ---- status of a running job, cancel ----
printf '[long]\nworkload=mempolicy\nthreads=2\nruntime=60s\n' > "$T_TMP/long.ini"
LONG=$("$MMT" submit --json "$T_TMP/long.ini" | jq '.ids[0]')
wait_state "$LONG" running; ok $? "the long job runs"
sleep 1.5
"$MMT" status --json "$LONG" | jq -e '.job.ops_total > 0 and .job.ops_per_second > 0 and (.job.races | length) == 8' >/dev/null
ok $? "status ID shows live counters of the running job"
"$MMT" status "$LONG" | grep -q "ops/s"; ok $? "status ID, for humans"
"$MMT" cancel "$LONG" >/dev/null; ok $? "cancel"
"$MMT" wait "$LONG" >/dev/null
[ "$(job_state "$LONG")" = cancelled ]; ok $? "the job is cancelled"
d=$("$MMT" status --json "$LONG" | jq -r .job.results)
jq -e '.cancelled == true and .elapsed_seconds < 30' "$d/metrics.json" >/dev/null; ok $? "with partial results written"

# ---- metrics ----
"$MMT" dump prom > "$T_TMP/dump.prom"; ok $? "dump prom"
grep -q '^mmtorture_build_info{version=' "$T_TMP/dump.prom" && grep -q '^mmtorture_jobs{state="finished"}' "$T_TMP/dump.prom" &&
	grep -q '^mmtorture_verdicts_total{verdict="FAIL"} 1$' "$T_TMP/dump.prom" &&
	grep -q '^mmtorture_races_total{job="crasher",kind="crash"} 1$' "$T_TMP/dump.prom"
ok $? "it has build_info, jobs by state, verdict counts and the jobs' counters"
if command -v promtool >/dev/null; then
	promtool check metrics < "$T_TMP/dump.prom" >/dev/null 2>&1; ok $? "promtool check metrics: clean"
else
	skip "promtool is not installed"
fi
"$MMT" dump json | jq -e '.format_version == 1 and (.results | length) >= 3 and .daemon.verdicts.PASS >= 1' >/dev/null
ok $? "dump json: format_version, results, verdicts"
kill -USR2 $DPID; sleep 0.5
[ -s "$STATE/metrics.prom" ] && [ -s "$STATE/metrics.json" ] && [ -s "$T_TMP/textfile/mmtorture.prom" ]
ok $? "SIGUSR2 writes the dumps, and the textfile collector's file"

# ---- reload ----
printf '[daemon]\nmax_parallel=2\nmax_queue=8\ngroup=mmtorture-test-none\n' > "$CONF"
kill -HUP $DPID; sleep 0.5
"$MMT" status | grep -q "max_parallel 2"; ok $? "SIGHUP reloads the config (max_parallel 2)"
grep -q "RELOADING=1" "$T_TMP/notify.log"; ok $? "RELOADING=1 then READY=1 around the reload"
printf '[daemon]\nmax_parallel=lots\n' > "$CONF"
kill -HUP $DPID; sleep 0.5
"$MMT" status | grep -q "max_parallel 2" && grep -q "reload: .*max_parallel: 'lots'" "$T_TMP/daemon.log"
ok $? "a bad config on reload is refused, the running one kept"
printf '[daemon]\nmax_parallel=1\nmax_queue=8\ngroup=mmtorture-test-none\n' > "$CONF"
kill -HUP $DPID; sleep 0.3

# ---- SIGTERM mid-job, restart resumes the queue ----
printf '[global]\nworkload=null\nthreads=2\n[t-long]\nruntime=60s\n[t-next]\nruntime=1s\n[t-last]\nruntime=1s\n' > "$T_TMP/term.ini"
"$MMT" submit "$T_TMP/term.ini" >/dev/null
TL=$("$MMT" list --json | jq '[.jobs[] | select(.name == "t-long")][0].id')
wait_state "$TL" running; sleep 1
kill -TERM $DPID
for _ in $(seq 100); do kill -0 $DPID 2>/dev/null || break; sleep 0.1; done
! kill -0 $DPID 2>/dev/null; ok $? "SIGTERM stops the daemon"
wait $DPID; ok $? "with exit status 0"
grep -q "STOPPING=1" "$T_TMP/notify.log"; ok $? "STOPPING=1 sent"
d=$(jq -r .results "$STATE/jobs/$TL.json")
jq -e '.cancelled == true' "$d/metrics.json" >/dev/null; ok $? "the running job was cancelled with partial results"
[ "$(ls "$STATE/queue" | wc -l)" = 2 ]; ok $? "the two queued jobs are kept in the state directory"
start_daemon; ok $? "the daemon starts again"
"$MMT" list > "$T_TMP/list2" 2>&1; grep -Eq "t-next +null +(queued|running|finished)" "$T_TMP/list2"; ok $? "the queue is back";
for id in $(ls "$STATE/queue" | sed 's/\.json$//'); do "$MMT" wait "$id" >/dev/null || true; done
[ "$("$MMT" list --json | jq '[.jobs[] | select(.name == "t-next" or .name == "t-last") | select(.verdict == "PASS")] | length')" = 2 ]
ok $? "and its jobs run to PASS after the restart"
grep -q "resuming 2 queued job(s)" "$T_TMP/daemon.log"; ok $? "the log says the queue resumed"
kill -TERM $DPID; wait $DPID
[ ! -e "$S" ]; ok $? "the daemon removes its socket on exit"
done_testing
