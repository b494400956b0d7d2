#!/bin/bash
# mmtortured in the foreground on a temporary socket, driven by the
# client as a user would: submit, list, status, cancel, wait, dump; bad
# job files and malformed messages refused while the daemon goes on; a
# peer outside the group reads but cannot submit, a member of the group
# (primary or supplementary) can; clients that say nothing, send half a
# request, flood dumps or do not read their replies hold nobody up; a
# crashing job is recorded and the next runs; signals (HUP, USR2, TERM
# mid-job); a restart resumes the queue and keeps every verdict; the
# notify protocol on a fake NOTIFY_SOCKET; a daemon holding 1000 finished
# jobs: large dumps, counters that never go down.  Also what a user reads:
# config errors (every one, with file:line; a --config that does not
# exist), jobs cancelled before they ran, the counts of finished and
# cancelled jobs, the hints of the client and of the daemon's warnings.
. "$(dirname "$0")/../lib.sh"

S="$T_TMP/control.sock"
STATE="$T_TMP/state"
CONF="$T_TMP/mmtortured.conf"
NOTIFY="$T_TMP/notify.sock"
LOG="$T_TMP/daemon.log"
export MMTORTURE_SOCKET="$S"
ROOT=false; [ "$(id -u)" = 0 ] && ROOT=true
conf() {	# conf KEY=VALUE...: the config file, [daemon] and these keys
	printf '[daemon]\n' > "$CONF"
	printf '%s\n' "$@" >> "$CONF"
}
conf max_parallel=1 max_queue=8 group=mmtorture-test-none

socat -u "UNIX-RECV:$NOTIFY" "OPEN:$T_TMP/notify.log,creat,append" &
NPID=$!
BG=""		# background processes, killed at the end
cleanup_set() { T_CLEANUP="kill $NPID ${DPID:-} ${D2PID:-} $BG 2>/dev/null;"; }
cleanup_set
for _ in $(seq 50); do [ -S "$NOTIFY" ] && break; sleep 0.1; done

# The command line sets max_queue 7 (the file says 8) and a short client
# timeout, so that idle clients are dropped within the test.
start_daemon() {	# start_daemon [MORE OPTIONS]
	NOTIFY_SOCKET="$NOTIFY" WATCHDOG_USEC=400000 "$MMTD" --socket "$S" --state-dir "$STATE" \
		--config "$CONF" --socket-group nogroup --textfile-dir "$T_TMP/textfile" \
		--max-queue 7 --client-timeout 4 "$@" >> "$LOG" 2>&1 &
	DPID=$!
	cleanup_set
	for _ in $(seq 100); do "$MMT" status >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
jqt() {	# jqt FILTER [FILE]: the filter says true (jq -e passes on no input at all)
	[ "$(jq "$@" 2>/dev/null)" = true ]
}
raw() {	# raw LINE: send one raw line, print the reply line
	printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:${2:-$S}"
}
job_state() { "$MMT" status --json "$1" | jq -r .job.state; }
wait_state() {	# wait_state ID STATE
	for _ in $(seq 200); do [ "$(job_state "$1")" = "$2" ] && return 0; sleep 0.1; done
	return 1
}
wait_log() {	# wait_log REGEX [TENTHS]: until the daemon's log has it
	for _ in $(seq "${2:-50}"); do grep -q "$1" "$LOG" && return 0; sleep 0.1; done
	return 1
}
notify_since() { tail -c +$(($1 + 1)) "$T_TMP/notify.log"; }
notify_size() { stat -c %s "$T_TMP/notify.log"; }
hup() {	# hup: reload, and wait until it is done (its last line is logged)
	local re="reloaded \|keeping the running configuration" n
	n=$(grep -c "$re" "$LOG")
	kill -HUP $DPID
	for _ in $(seq 50); do [ "$(grep -c "$re" "$LOG")" -gt "$n" ] && return 0; sleep 0.1; done
	return 1
}
clients() { "$MMT" status --json 2>/dev/null | jq -r '.daemon.clients // empty'; }
wait_clients() {	# wait_clients N: until the daemon counts N connections (this one too)
	for _ in $(seq 50); do [ "$(clients)" = "$1" ] && return 0; sleep 0.1; done
	return 1
}

# ---- the config file, before anything starts ----
o=$(timeout 5 "$MMTD" --socket "$T_TMP/x.sock" --state-dir "$T_TMP/x" --config "$T_TMP/nope.conf" 2>&1); rc=$?
[ $rc = 1 ] && printf '%s' "$o" | grep -q "nope.conf: No such file or directory (a config file named by --config must exist)"
ok $? "a --config that does not exist: the daemon does not start, and says why"
printf '[daemon]\nmax_paralel=2\nmax_queue=abc\n[demon]\nx=1\noops\n' > "$T_TMP/bad.conf"
o=$(timeout 5 "$MMTD" --socket "$T_TMP/x.sock" --state-dir "$T_TMP/x" --config "$T_TMP/bad.conf" 2>&1); rc=$?
[ $rc = 1 ] && printf '%s' "$o" | grep -q "bad.conf:2: key 'max_paralel': unknown key" &&
	printf '%s' "$o" | grep -q "bad.conf:3: key 'max_queue': 'abc' is not an integer in 1..10000" &&
	printf '%s' "$o" | grep -q "bad.conf:4: section \[demon\]: only \[daemon\] is known" &&
	printf '%s' "$o" | grep -q "bad.conf:6: syntax error" && printf '%s' "$o" | grep -q "4 errors in"
ok $? "a bad config: every error, each with file:line"
[ ! -e "$T_TMP/x.sock" ] && [ ! -e "$T_TMP/x" ]; ok $? "and nothing was created"
o=$(timeout 5 "$MMTD" --socket "$T_TMP/x.sock" --state-dir "$T_TMP/x" --config "$T_TMP" 2>&1); rc=$?
[ $rc = 1 ] && printf '%s' "$o" | grep -q "is a directory"; ok $? "a --config that is a directory: refused"

mkdir -p "$T_TMP/textfile"
start_daemon; ok $? "the daemon starts and answers on $S"
for _ in $(seq 50); do [ "$(grep -o WATCHDOG=1 "$T_TMP/notify.log" | wc -l)" -ge 2 ] && break; sleep 0.1; done
grep -q "READY=1" "$T_TMP/notify.log"; ok $? "READY=1 on NOTIFY_SOCKET once the socket is ready"
grep -q "STATUS=0 running, 0 queued, 0 finished" "$T_TMP/notify.log"; ok $? "STATUS= says what runs and waits"
[ "$(grep -o WATCHDOG=1 "$T_TMP/notify.log" | wc -l)" -ge 2 ]; ok $? "WATCHDOG=1 at half of WATCHDOG_USEC"
[ "$(stat -c %a "$S")" = 660 ]; ok $? "the socket is mode 0660"
"$MMT" status | grep -q "0 running, 0 queued, 0 finished, 0 cancelled"; ok $? "mmtorture status"
[ "$("$MMT" list)" = "no jobs" ]; ok $? "an empty list says: no jobs"
"$MMT" --socket "$S" --json status | jqt .ok && MMTORTURE_SOCKET= "$MMT" --json --socket="$S" list | jqt .ok
ok $? "--socket and --json also go before the command"
o=$("$MMT" --socket "$S" run x.ini 2>&1); [ $? = 1 ] && printf '%s' "$o" | grep -q "not with run"
ok $? "but --socket only with the commands that talk to the daemon"
grep -q "group mmtorture-test-none does not exist: only root may submit and cancel" "$LOG" && ! grep -q "uid 0 may" "$LOG"
ok $? "the daemon as root, its group missing: only root may submit, said once"
raw '{"cmd":"version"}' | jqt '.ok and .protocol == 1'; ok $? "version: protocol 1"
"$MMT" status --json | jqt '.daemon.max_queue == 7'; ok $? "the command line wins over the config file"

# ---- refusals; the daemon goes on ----
printf '[j]\nworkload=null\nthreads=zero\n' > "$T_TMP/bad.ini"
o=$("$MMT" submit "$T_TMP/bad.ini" 2>&1); rc=$?
[ $rc = 1 ] && printf '%s' "$o" | grep -q "bad.ini:3: key 'threads': 'zero' is not a thread count"
ok $? "a bad job file is refused, naming file:line:key"
raw 'this is not json' | jqt '.ok == false and .code == "bad_json"'; ok $? "not JSON: bad_json"
raw '[1,2]' | jqt '.code == "bad_request"'; ok $? "not an object: bad_request"
raw '{"cmd":"frobnicate"}' | jqt '.code == "unknown_command"'; ok $? "unknown command: unknown_command"
raw '{"cmd":"status","v":9}' | jqt '.code == "bad_version"'; ok $? "another protocol version: bad_version"
printf '{"cmd":"list"}\0\n' | socat -t 5 - "UNIX-CONNECT:$S" |
	jqt '.code == "bad_json" and (.error | test("may not contain NUL bytes"))'
ok $? "a NUL byte in a request: bad_json, said so"
raw '{"cmd":"list\u0000"}' | jqt '.code == "bad_json" and (.error | test("may not contain NUL characters")) and (.error | test("JSON_") | not)'
ok $? "a \\u0000 in a request: bad_json, said without jansson's words"
raw '{"cmd":"status","id":"seven"}' | jqt '.code == "bad_request"'; ok $? "a bad id: bad_request"
raw '{"cmd":"wait","id":999}' | jqt '.code == "not_found"'; ok $? "an unknown job: not_found"
"$MMT" wait 999 2>/dev/null; [ $? = 1 ]; ok $? "a refusal exits 1"
# one byte over, and no more: a client still writing when the daemon closes
# gets EPIPE, and socat then leaves without reading the reply
head -c 1048577 /dev/zero | tr "\0" x | socat -t 5 - "UNIX-CONNECT:$S" 2>/dev/null | jqt '.code == "too_large"'
ok $? "a request over 1 MiB: too_large"
# 20000 sections in one request: refused before the parser compares them all
t0=$(date +%s%N)
{ printf '{"cmd":"submit","jobfile":"'; yes '[a]\n' | head -n 20000 | tr -d '\n'; printf '"}\n'; } |
	socat -t 10 - "UNIX-CONNECT:$S" | jqt '.code == "bad_jobfile" and (.error | test("20000 sections"))'
ok $? "a job file of 20000 sections is refused"
[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 3000 ]; ok $? "at once"
printf '[caf\xe9]\nworkload=null\n' > "$T_TMP/latin1.ini"
o=$("$MMT" submit "$T_TMP/latin1.ini" 2>&1); rc=$?
[ $rc = 1 ] && printf '%s' "$o" | grep -q "latin1.ini:1: not valid UTF-8"
ok $? "a job file that is not UTF-8 is refused by the client, naming it"
printf '{"cmd":"submit","jobfile":"[a]\\nworkload=null\\n","name":"caf\xe9"}\n' | socat -t 5 - "UNIX-CONNECT:$S" |
	jqt '.code == "bad_json"'; ok $? "a name that is not UTF-8: bad_json"
raw '{"cmd":"submit","jobfile":"[a]\nworkload=null\n","name":"a\u0001b"}' | jqt '.code == "bad_request"'
ok $? "a name with a control character: bad_request"
"$MMT" bugs --bogus >/dev/null 2>&1; [ $? = 1 ]; ok $? "mmtorture bugs --bogus: a usage error"
"$MMT" list extra >/dev/null 2>&1; [ $? = 1 ]; ok $? "mmtorture list extra: a usage error"
# a client that connects and says nothing must not hold anyone up
socat -u "UNIX-CONNECT:$S" - >/dev/null 2>&1 &
SLOW=$!
BG="$BG $SLOW"; cleanup_set
"$MMT" list >/dev/null; ok $? "a silent client does not block others"
kill -0 $DPID; ok $? "the daemon is still running after the malformed messages"

# ---- who may do what ----
printf '[ro]\nworkload=null\nthreads=1\nruntime=200ms\n' > "$T_TMP/ro.ini"
chmod 644 "$T_TMP/ro.ini"
o=$("$MMT" run --quiet --no-results "$T_TMP/ro.ini"); rc=$?
[ $rc = 0 ] && [ -z "$o" ]; ok $? "run --quiet prints nothing; the exit code tells"
o=$("$MMT" run --no-results --results "$T_TMP/r" "$T_TMP/ro.ini" 2>&1); rc=$?
[ $rc = 1 ] && printf '%s' "$o" | grep -q "\-\-results and \-\-no-results"; ok $? "run --results with --no-results: a usage error"
"$MMT" help | grep -q -- "--quiet prints nothing but errors"; ok $? "the usage says what --quiet does"
GRP=$(getent group | awk -F: '$3 > 0 && $3 < 65534 { print $1; exit }')
GID=$(getent group "$GRP" | cut -d: -f3)
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
MEMBER="setpriv --reuid=65534 --regid=65534 --groups=$GID"	# in the group by SO_PEERGROUPS
if $ROOT && [ -n "$GRP" ]; then
	$NOBODY "$MMT" list >/dev/null 2>&1; ok $? "a peer outside the group (nobody) can list"
	$NOBODY "$MMT" dump prom >/dev/null 2>&1; ok $? "and dump"
	o=$($NOBODY "$MMT" submit "$T_TMP/ro.ini" 2>&1); rc=$?
	[ $rc = 1 ] && printf '%s' "$o" | grep -q "permission_denied: uid 65534 may only read"
	ok $? "but not submit (permission_denied)"
	o=$($NOBODY "$MMT" cancel 1 2>&1)
	printf '%s' "$o" | grep -q permission_denied; ok $? "nor cancel"
	conf max_parallel=1 max_queue=8 "group=$GRP"
	hup
	o=$($MEMBER "$MMT" submit --json "$T_TMP/ro.ini" 2>&1); ok $? "a member of group $GRP by a supplementary group (SO_PEERGROUPS) submits"
	RO=$(printf '%s' "$o" | jq '.ids[0]')
	o=$(setpriv --reuid=65534 --regid="$GID" --groups=65534 "$MMT" cancel 999999 2>&1)
	printf '%s' "$o" | grep -q "not_found"; ok $? "a member by its primary group may cancel"
	# a peer connected as a member, and the group changes under it
	coproc ACC { $MEMBER socat - "UNIX-CONNECT:$S" 2>/dev/null; }
	APID=$ACC_PID AIN=${ACC[0]} AOUT=${ACC[1]}
	printf '{"cmd":"cancel","id":999999}\n' >&"$AOUT"
	l1=; read -r -t 5 l1 <&"$AIN"
	conf max_parallel=1 max_queue=8 group=mmtorture-test-none
	hup
	printf '{"cmd":"cancel","id":999999}\n' 2>/dev/null >&"$AOUT"
	l2=; read -r -t 5 l2 <&"$AIN"
	printf '%s' "$l1" | jqt '.code == "not_found"' &&
		printf '%s' "$l2" | jqt '.code == "permission_denied"'
	ok $? "a reload that changes the group checks connected peers again"
	eval "exec $AOUT>&-"
	wait "$APID" 2>/dev/null
	"$MMT" wait "$RO" >/dev/null 2>&1; [ $? != 3 ]; ok $? "the member's job ran"
else
	for t in "nobody can list" "and dump" "but not submit" "nor cancel" "a member submits (SO_PEERGROUPS)" \
		 "a member by its primary group" "a reload checks connected peers again" "the member's job ran"; do
		skip "$t: needs root to act as other users (setpriv)"
	done
fi

# ---- connections: half a request, silent clients, slots ----
kill $SLOW
wait_clients 1
coproc HALF { socat - "UNIX-CONNECT:$S" 2>/dev/null; }
HPID=$HALF_PID HIN=${HALF[0]} HOUT=${HALF[1]}
printf '{"cmd":"vers' >&"$HOUT"
wait_clients 2	# the half-sent one, and this status
"$MMT" status >/dev/null; ok $? "a half-sent request holds nobody up"
printf 'ion"}\n' >&"$HOUT"
l=; read -r -t 5 l <&"$HIN"; printf '%s' "$l" | jqt '.protocol == 1'
ok $? "and is answered when its end arrives"
printf '{"cmd":' 2>/dev/null >&"$HOUT"	# half again, then nothing: dropped
SIL=""
silent() {	# silent N [PREFIX...]: N clients that connect and say nothing
	local n=$1; shift
	for _ in $(seq "$n"); do "$@" socat -u "UNIX-CONNECT:$S" - >/dev/null 2>&1 & SIL="$SIL $!"; done
	BG="$BG $SIL"; cleanup_set
}
if $ROOT; then
	# read-only peers: at most 8 of one uid, 32 in all
	for u in 65534 65533 65532 65531; do
		silent 8 setpriv --reuid=$u --regid=65534 --clear-groups
	done
	wait_clients 34; ok $? "32 silent read-only clients of 4 users connect"
	o=$(setpriv --reuid=65530 --regid=65534 --clear-groups "$MMT" list 2>&1); rc=$?
	[ $rc = 3 ] && printf '%s' "$o" | grep -q "busy: too many read-only clients"
	ok $? "the 33rd read-only client is refused: busy (exit 3), and sees why"
	"$MMT" list >/dev/null; ok $? "root still gets a slot"
	silent 30
	wait_clients 64; ok $? "64 connections"
else
	silent 62
	wait_clients 64; ok $? "64 connections"
	skip "32 silent read-only clients: needs root to act as another user"
	skip "the 33rd read-only client is refused: needs root"
	skip "root still gets a slot: needs root"
fi
silent 1	# the 64th
# On a loaded machine the first silent clients may reach client_timeout
# before the 65th tries: keep 64 others connected while it does.
for _ in $(seq 50); do
	o=$("$MMT" status 2>&1); rc=$?; [ $rc = 3 ] && break
	n=$(clients); [ -n "$n" ] && [ "$n" -lt 65 ] && silent $((65 - n))
	sleep 0.1
done
[ $rc = 3 ] && printf '%s' "$o" | grep -q "busy: too many clients"; ok $? "the 65th: busy (exit 3), and sees why"
wait_clients 1; ok $? "silent clients are dropped after client_timeout"
grep -q "sent nothing for 4s: dropped" "$LOG"; ok $? "the log says so"
for _ in $(seq 20); do kill -0 "$HPID" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$HPID" 2>/dev/null && grep -q "did not send its request whole in 4s: dropped" "$LOG"
ok $? "so is a client that sends half a request and goes quiet"

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
SURV_DIR=$("$MMT" status --json "$SURV" | jq -r .job.results)
d=$SURV_DIR
[ -s "$d/metrics.json" ] && [ -s "$d/summary.txt" ] && [ -s "$d/metrics.prom" ] && [ -s "$d/job.log" ]
ok $? "results in the state directory: $d"

# a wait, then more requests on the same connection: answered in order
W=$("$MMT" submit --json "$T_TMP/ro.ini" | jq '.ids[0]')
printf '{"cmd":"wait","id":%s}\n{"cmd":"version"}\n' "$W" | socat -t 10 - "UNIX-CONNECT:$S" > "$T_TMP/wv"
[ "$(jq -s 'length == 2 and .[0].job.id == '"$W"' and .[1].protocol == 1' "$T_TMP/wv")" = true ]
ok $? "a request after a pending wait is answered once the wait is"

# a queued job's file is kept before it is acknowledged; when it cannot be, it is refused
N=$(cat "$STATE/next_id")
mkdir -p "$STATE/queue/$N.json/x"	# where the queue entry would go: it cannot be written
o=$("$MMT" submit "$T_TMP/ro.ini" 2>&1); rc=$?
[ $rc = 3 ] && printf '%s' "$o" | grep -q "internal: cannot keep the job in the queue"
ok $? "a submit that cannot be saved is refused: internal (exit 3)"
"$MMT" status --json "$N" 2>/dev/null | jqt .ok; [ $? != 0 ]; ok $? "and the job is not kept"
rm -rf "$STATE/queue/$N.json"

# an earlier run's results (the daemon died during it) are never the new run's
N=$(cat "$STATE/next_id")
mkdir -p "$STATE/results/$N-stale"
cp "$SURV_DIR/metrics.json" "$STATE/results/$N-stale/"	# a PASS
printf '[stale]\nworkload=null\nthreads=1\nruntime=30s\n' > "$T_TMP/stale.ini"
STALE=$("$MMT" submit --json "$T_TMP/stale.ini" | jq '.ids[0]')
wait_state "$STALE" running
SUP=$(pgrep -P $DPID)
[ -n "$SUP" ] && kill -KILL $SUP
"$MMT" wait "$STALE" > "$T_TMP/wait3"; rc=$?
[ $rc = 3 ] && grep -q "died of signal 9" "$T_TMP/wait3"
ok $? "a run that dies before writing results is an ERROR, not an earlier run's PASS"

# ---- status of a running job, cancel ----
printf '[long]\nworkload=mempolicy\nthreads=2\nruntime=60s\n' > "$T_TMP/long.ini"
LONG=$("$MMT" submit --json "$T_TMP/long.ini" | jq '.ids[0]')
wait_state "$LONG" running; ok $? "the long job runs"
for _ in $(seq 100); do
	"$MMT" status --json "$LONG" | jqt '.job.ops_per_second > 0' && break
	sleep 0.1
done
"$MMT" status --json "$LONG" | jqt '.job.ops_total > 0 and .job.ops_per_second > 0 and
	(.job.races | has("refcount_underflow")) and ([.job.races[]] | add) == 0'
ok $? "status ID shows live counters of the running job"
"$MMT" status --json "$LONG" | jqt '.job.phase == "running"'; ok $? "and its phase by name"
"$MMT" status "$LONG" | grep -q "ops/s"; ok $? "status ID, for humans"
"$MMT" status "$LONG" | grep -Eq "^  phase running, [0-9.]+s of 60\.0s$"; ok $? "with its phase, and its elapsed time of its runtime"
# the queue, while the long job runs: full, not enough room, a file that never fits
{ printf '[global]\nworkload=null\nthreads=1\nruntime=100ms\n'; for i in 1 2 3 4 5 6 7 8; do printf '[q%d]\n' $i; done; } > "$T_TMP/q8.ini"
head -n 11 "$T_TMP/q8.ini" > "$T_TMP/q7.ini"
head -n 6 "$T_TMP/q8.ini" > "$T_TMP/q2.ini"
Q=$("$MMT" submit --json "$T_TMP/q7.ini" | jq -r '.ids[]' | tr '\n' ' ')
set -- $Q
[ $# = 7 ]; ok $? "7 jobs queued behind the running one"
Q1=$1
o=$("$MMT" submit "$T_TMP/ro.ini" 2>&1); [ $? = 1 ] && printf '%s' "$o" | grep -q "queue_full: the queue is full (7 jobs waiting, max_queue 7)"
ok $? "a full queue says so"
[ "$("$MMT" cancel "$Q1")" = "job $Q1: cancelled before it ran" ]; ok $? "cancel a queued job"
o=$("$MMT" submit "$T_TMP/q2.ini" 2>&1); [ $? = 1 ] && printf '%s' "$o" | grep -q "room for 1 more job (6 of at most 7 waiting): $T_TMP/q2.ini has 2"
ok $? "a file of 2 jobs with room for 1: says so"
o=$("$MMT" submit "$T_TMP/q8.ini" 2>&1); [ $? = 1 ] && printf '%s' "$o" | grep -q "q8.ini has 8 jobs, and the queue takes at most 7 (max_queue)"
ok $? "a file of more jobs than the queue takes: says so"
shift; for id in "$@"; do "$MMT" cancel "$id" >/dev/null; done
"$MMT" status "$Q1" > "$T_TMP/qs"
grep -q "^  cancelled before it ran$" "$T_TMP/qs" && ! grep -q "seed\|results in" "$T_TMP/qs" && [ "$(wc -l < "$T_TMP/qs")" = 3 ]
ok $? "status of a job cancelled before it ran: one clean line"
"$MMT" wait "$Q1" > "$T_TMP/qw"; [ $? = 2 ] && cmp -s "$T_TMP/qs" "$T_TMP/qw"; ok $? "wait: the same, exit 2"
"$MMT" list | grep -Eq "^ +$Q1 +q1 +null +cancelled +CANCELLED "; ok $? "list: cancelled, verdict CANCELLED"
o=$("$MMT" cancel "$Q1" 2>&1); [ $? = 1 ] && [ "$o" = "mmtorture: cancelled: job $Q1 was already cancelled before it ran" ]
ok $? "cancelling it again: it was already cancelled"
grep -q "STATUS=1 running (long), 0 queued" "$T_TMP/notify.log"; ok $? "STATUS= names the running job"
"$MMT" cancel "$LONG" >/dev/null; ok $? "cancel"
"$MMT" wait "$LONG" >/dev/null
[ "$(job_state "$LONG")" = cancelled ]; ok $? "the job is cancelled"
o=$("$MMT" cancel "$LONG" 2>&1); printf '%s' "$o" | grep -q "cancelled: job $LONG was already cancelled while it ran"
ok $? "cancelling it again: it was already cancelled while it ran"
d=$("$MMT" status --json "$LONG" | jq -r .job.results)
jqt '.cancelled == true and .elapsed_seconds < 30' "$d/metrics.json"; ok $? "with partial results written"

# ---- metrics ----
"$MMT" dump prom > "$T_TMP/dump.prom"; ok $? "dump prom"
grep -q '^mmtorture_build_info{version=' "$T_TMP/dump.prom" && grep -q '^mmtorture_jobs{state="finished"}' "$T_TMP/dump.prom" &&
	grep -q '^mmtorture_verdicts_total{verdict="FAIL"} 1$' "$T_TMP/dump.prom" &&
	grep -q '^mmtorture_races_total{job_name="crasher",kind="crash"} 1$' "$T_TMP/dump.prom"
ok $? "it has build_info, jobs by state, verdict counts and the jobs' counters"
grep -q '^mmtorture_verdicts_total{verdict="CANCELLED"} 7$' "$T_TMP/dump.prom" &&
	"$MMT" status --json | jqt '.daemon.verdicts.CANCELLED == 7'
ok $? "the jobs cancelled before they ran: verdict CANCELLED, in dump prom and status"
fin=$(sed -n 's/^mmtorture_jobs{state="finished"} //p' "$T_TMP/dump.prom")
can=$(sed -n 's/^mmtorture_jobs{state="cancelled"} //p' "$T_TMP/dump.prom")
[ "$can" = 8 ] && "$MMT" status | grep -q " $fin finished, $can cancelled" &&
	"$MMT" status --json | jqt ".daemon.finished == $fin and .daemon.cancelled == $can" &&
	grep -q "STATUS=0 running, 0 queued, $fin finished, $can cancelled" "$T_TMP/notify.log"
ok $? "status, STATUS= and dump prom agree: $fin finished, $can cancelled"
if command -v promtool >/dev/null; then
	promtool check metrics < "$T_TMP/dump.prom" >/dev/null 2>&1; ok $? "promtool check metrics: clean"
else
	skip "promtool is not installed"
fi
"$MMT" dump json | jqt '.format_version == 1 and (.results | length) >= 3 and .daemon.verdicts.PASS >= 1'
ok $? "dump json: format_version, results, verdicts"
kill -USR2 $DPID; wait_log "metrics written"
[ -s "$STATE/metrics.prom" ] && [ -s "$STATE/metrics.json" ] && [ -s "$T_TMP/textfile/mmtorture.prom" ]
ok $? "SIGUSR2 writes the dumps, and the textfile collector's file"
grep -q "metrics written: $STATE/metrics.prom, $STATE/metrics.json, $T_TMP/textfile/mmtorture.prom$" "$LOG"
ok $? "the log names the files written"

# ---- reload ----
pos=$(notify_size)
warned=$(grep -c "group mmtorture-test-none does not exist" "$LOG")
conf max_parallel=2 max_queue=8 group=mmtorture-test-none
hup
"$MMT" status | grep -q "max_parallel 2"; ok $? "SIGHUP reloads the config (max_parallel 2)"
[ "$(grep -c "group mmtorture-test-none does not exist" "$LOG")" = "$warned" ]; ok $? "a reload does not warn again of the same missing group"
for _ in $(seq 50); do notify_since "$pos" | grep -q 'READY=1' && break; sleep 0.1; done
[ "$(notify_since "$pos" | grep -o 'RELOADING=1\|READY=1' | tr '\n' ' ')" = "RELOADING=1 READY=1 " ]
ok $? "RELOADING=1, then READY=1, for this reload"
"$MMT" status --json | jqt '.daemon.max_queue == 7'; ok $? "the command line still wins after a reload"
printf '[daemon]\nmax_parallel=lots\nmax_queue=\n' > "$CONF"
hup
"$MMT" status | grep -q "max_parallel 2" && grep -q "reload: $CONF:2: key 'max_parallel': 'lots'" "$LOG" &&
	grep -q "reload: $CONF:3: key 'max_queue': '' is not" "$LOG" &&
	grep -q "reload: 2 errors in $CONF: keeping the running configuration" "$LOG"
ok $? "a bad config on reload is refused, every error said, the running one kept"
mv "$CONF" "$CONF.away"
hup
"$MMT" status | grep -q "max_parallel 2" &&
	grep -q "reload: $CONF: No such file or directory .*: keeping the running configuration" "$LOG"
ok $? "a --config removed: the reload says so, the running one kept"
mv "$CONF.away" "$CONF"
conf max_queue=8 group=mmtorture-test-none
hup
"$MMT" status | grep -q "max_parallel 1"; ok $? "a key removed from the file returns to its default"

# ---- SIGTERM mid-job, restart resumes the queue ----
printf '[global]\nworkload=null\nthreads=2\n[t-long]\nruntime=60s\n[t-next]\nruntime=1s\n[t-last]\nruntime=1s\n' > "$T_TMP/term.ini"
"$MMT" submit "$T_TMP/term.ini" >/dev/null
TL=$("$MMT" list --json | jq '[.jobs[] | select(.name == "t-long")][0].id')
TN=$("$MMT" list --json | jq '[.jobs[] | select(.name == "t-next")][0].id')
wait_state "$TL" running
for _ in $(seq 100); do "$MMT" status --json "$TL" | jqt '.job.ops_total > 0' && break; sleep 0.1; done
"$MMT" wait "$TN" > "$T_TMP/waitq" 2>&1 &
WQ=$!
wait_clients 2	# the wait, and this status
kill -TERM $DPID
for _ in $(seq 100); do kill -0 $DPID 2>/dev/null || break; sleep 0.1; done
! kill -0 $DPID 2>/dev/null; ok $? "SIGTERM stops the daemon"
wait $DPID; ok $? "with exit status 0"
grep -q "STOPPING=1" "$T_TMP/notify.log"; ok $? "STOPPING=1 sent"
wait $WQ; rc=$?
[ $rc = 3 ] && grep -q "stopping: the daemon is stopping: job $TN is queued" "$T_TMP/waitq"
ok $? "a client waiting for a queued job hears that the daemon stops (exit 3)"
d=$(jq -r .results "$STATE/jobs/$TL.json")
jqt '.cancelled == true' "$d/metrics.json"; ok $? "the running job was cancelled with partial results"
[ "$(ls "$STATE/queue" | wc -l)" = 2 ]; ok $? "the two queued jobs are kept in the state directory"
start_daemon --textfile-dir "$T_TMP/no/such/dir"; ok $? "the daemon starts again"
grep -q "textfile_dir: $T_TMP/no/such/dir: No such file or directory" "$LOG"; ok $? "it warns that textfile_dir cannot be written"
"$MMT" list > "$T_TMP/list2" 2>&1; grep -Eq "t-next +null +(queued|running|finished)" "$T_TMP/list2"; ok $? "the queue is back";
"$MMT" wait "$STALE" > "$T_TMP/wait4"; rc=$?
[ $rc = 3 ] && grep -q "died of signal 9" "$T_TMP/wait4"; ok $? "a job that ended in ERROR without results keeps its verdict"
for id in $(ls "$STATE/queue" | sed 's/\.json$//'); do "$MMT" wait "$id" >/dev/null || true; done
[ "$("$MMT" list --json | jq '[.jobs[] | select(.name == "t-next" or .name == "t-last") | select(.verdict == "PASS")] | length')" = 2 ]
ok $? "and its jobs run to PASS after the restart"
grep -q "resuming 2 queued job(s)" "$LOG"; ok $? "the log says the queue resumed"
"$MMT" dump prom | grep -q '^mmtorture_verdicts_total{verdict="CANCELLED"} 7$'; ok $? "the jobs cancelled before they ran are still counted"
kill -TERM $DPID; wait $DPID
[ ! -e "$S" ]; ok $? "the daemon removes its socket on exit"
DPID=

# ---- a daemon that does not run as root ----
if $ROOT; then
	NB="$T_TMP/nb"
	mkdir -p "$NB" "$T_TMP/tf-root"; chmod 777 "$NB"; chmod 755 "$T_TMP/tf-root"
	printf '[daemon]\ngroup=mmtorture-test-none\n' > "$NB/conf"
	$NOBODY "$MMTD" --socket "$NB/s" --state-dir "$NB/state" --config "$NB/conf" \
		--textfile-dir "$T_TMP/tf-root" > "$NB/log" 2>&1 &
	NBPID=$!
	BG="$BG $NBPID"; cleanup_set
	for _ in $(seq 50); do grep -q "ready on" "$NB/log" && break; sleep 0.1; done
	who="user $(getent passwd 65534 | cut -d: -f1) (uid 65534)"
	grep -q "group mmtorture-test-none does not exist: only root and $who, the daemon's own, may submit" "$NB/log"
	ok $? "not root, its group missing: only root and the daemon's user may submit"
	grep -q "textfile_dir: $T_TMP/tf-root: Permission denied: .*runs as $who: .*chmod g+ws $T_TMP/tf-root.*ReadWritePaths=$T_TMP/tf-root" "$NB/log"
	ok $? "a textfile_dir it may not write: the hint names the user, the permissions and ReadWritePaths"
	kill $NBPID; wait $NBPID 2>/dev/null
else
	skip "a daemon as another user: needs root"
	skip "textfile_dir not writable for the daemon's user: needs root"
fi

# ---- a daemon with 1000 finished jobs ----
S2="$T_TMP/many.sock"
ST2="$T_TMP/many"
LOG2="$T_TMP/many.log"
mkdir -p "$ST2/jobs" "$ST2/results/old"
jq '.job.name = "old"' "$SURV_DIR/metrics.json" > "$ST2/results/old/metrics.json"
for i in $(seq 1000); do
	printf '{"id":%d,"name":"old","section":"old","workload":"null","filename":"old.ini","state":"finished","submitted":1,"submitter":0,"results":"%s"}\n' \
		"$i" "$ST2/results/old" > "$ST2/jobs/$i.json"
done
# no --config: the default file, which may be missing
DEFCONF=/etc/mmtorture/mmtortured.conf
set --
[ -e "$DEFCONF" ] && printf '[daemon]\n' > "$T_TMP/empty.conf" && set -- --config "$T_TMP/empty.conf"
$ROOT && [ -n "$GRP" ] && set -- "$@" --socket-group "$GRP"
"$MMTD" --socket "$S2" --state-dir "$ST2" --client-timeout 3 "$@" > "$LOG2" 2>&1 &
D2PID=$!
cleanup_set
for _ in $(seq 100); do raw '{"cmd":"version"}' "$S2" >/dev/null 2>&1 && break; sleep 0.1; done
if [ ! -e "$DEFCONF" ]; then
	kill -HUP $D2PID
	for _ in $(seq 50); do grep -q "reloaded" "$LOG2" && break; sleep 0.1; done
	grep -q "no config file $DEFCONF: the defaults" "$LOG2" &&
		grep -q "reloaded the defaults and the command line (no config file $DEFCONF)" "$LOG2" &&
		! grep -q "reloaded $DEFCONF" "$LOG2"
	ok $? "no config file at the default path: fine, and the reload does not claim to have read it"
else
	skip "$DEFCONF exists here: the daemon without it is not tried"
fi
if $ROOT && [ -n "$GRP" ]; then
	o=$($NOBODY "$MMT" --socket "$S2" list 2>&1); rc=$?
	[ $rc = 3 ] && printf '%s' "$o" | grep -q "cannot connect to $S2: Permission denied (you need to be in group $GRP or root)"
	ok $? "a user who may not reach the socket is told which group it takes"
else
	skip "a user who may not reach the socket: needs root"
fi
o=$("$MMT" --socket "$T_TMP/no.sock" list 2>&1)
printf '%s' "$o" | grep -q "No such file or directory (is mmtortured running?)"; ok $? "no socket: is mmtortured running?"
export MMTORTURE_SOCKET="$S2"
"$MMT" dump --json json > "$T_TMP/big.json"; ok $? "dump json of 1000 jobs"
[ "$(stat -c %s "$T_TMP/big.json")" -gt 2200000 ] && jqt '.metrics.results | length == 1000' "$T_TMP/big.json"
ok $? "a reply of $(($(stat -c %s "$T_TMP/big.json") / 1024)) KiB, read whole"
"$MMT" dump prom > "$T_TMP/p1.prom"

# floods: one client sends 300 KB of dump requests and never reads, one reads
(yes '{"cmd":"dump","format":"json"}' | head -c 300000; sleep 8) 2>/dev/null | socat -u - "UNIX-CONNECT:$S2" >/dev/null 2>&1 &
BG="$BG $!"
yes '{"cmd":"dump","format":"prom"}' | head -n 40 | socat -t 20 - "UNIX-CONNECT:$S2" > "$T_TMP/flood.out" 2>/dev/null &
FL=$!
BG="$BG $FL"; cleanup_set
worst=0
for _ in $(seq 6); do
	sleep 0.2
	t0=$(date +%s%N)
	raw '{"cmd":"version"}' "$S2" >/dev/null 2>&1
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$ms" -gt "$worst" ] && worst=$ms
done
[ "$worst" -lt 500 ]; ok $? "floods of dumps delay another client's version by ${worst} ms at most (< 500)"
wait $FL
[ "$(jq -s 'map(select(.ok and .format == "prom")) | length' "$T_TMP/flood.out")" = 40 ]
ok $? "the client that reads gets its 40 replies"
for _ in $(seq 60); do grep -q "did not read its reply for 3s: dropped" "$LOG2" && break; sleep 0.1; done
grep -q "did not read its reply for 3s: dropped" "$LOG2"; ok $? "the client that does not read its replies is dropped"
rss=$(awk '/^VmRSS/ { print $2 }' /proc/$D2PID/status)
[ "$rss" -lt 300000 ]; ok $? "the daemon holds $((rss / 1024)) MiB"

# a new job finishes, the oldest is let go from memory: no counter goes down
printf '[new]\nworkload=null\nthreads=1\nruntime=100ms\n' > "$T_TMP/new.ini"
NEW=$("$MMT" submit --json "$T_TMP/new.ini" | jq '.ids[0]')
"$MMT" wait "$NEW" >/dev/null; ok $? "a new job runs"
"$MMT" dump prom > "$T_TMP/p2.prom"
[ "$("$MMT" dump --json json | jq '.metrics.results | length')" = 1000 ]; ok $? "1000 finished jobs are kept in memory"
grep -q '^mmtorture_job_runs_total{job_name="old",verdict="PASS"} 1000$' "$T_TMP/p2.prom"; ok $? "the runs of a job let go are still counted"
awk 'FNR == NR { if ($1 ~ /_total[{]/) v[$1] = $2; next }
     $1 in v { seen++; if ($2 + 0 < v[$1] + 0) { print "down: " $1 " " v[$1] " -> " $2; bad = 1 } }
     END { exit bad || seen == 0 }' "$T_TMP/p1.prom" "$T_TMP/p2.prom"
ok $? "no counter of dump prom went down"
if command -v promtool >/dev/null; then
	promtool check metrics < "$T_TMP/p2.prom" >/dev/null 2>&1; ok $? "promtool check metrics: clean"
else
	skip "promtool is not installed"
fi
kill -TERM $D2PID; wait $D2PID; ok $? "it stops cleanly"
D2PID=
done_testing
