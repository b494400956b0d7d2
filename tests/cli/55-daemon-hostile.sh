#!/bin/bash
# mmtortured against hostile clients and a failing disk: a full state
# directory loses no verdict; a client that trickles bytes or never reads
# is dropped after client_timeout, whatever it sends meanwhile; no user but
# root can take every slot; a hostile file pipelined by one client delays
# another client's reply by less than the stated bound; a tampered
# next_id, a queue entry without its section and one whose inner id
# differs from its name are each handled and said.
. "$(dirname "$0")/../lib.sh"

S="$T_TMP/control.sock"
STATE="$T_TMP/state"
LOG="$T_TMP/daemon.log"
export MMTORTURE_SOCKET="$S"
ROOT=false; [ "$(id -u)" = 0 ] && ROOT=true
BG=""
DPID=""
MNT=""
cleanup_set() { T_CLEANUP="kill ${DPID:-} $BG 2>/dev/null; ${MNT:+umount -l $MNT 2>/dev/null;}"; }
cleanup_set

start_daemon() {	# start_daemon [OPTIONS]: until it answers
	"$MMTD" --socket "$S" --state-dir "$STATE" --client-timeout 2 --socket-group nogroup \
		--group mmtorture-test-none "$@" >> "$LOG" 2>&1 &
	DPID=$!
	cleanup_set
	for _ in $(seq 100); do "$MMT" status >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
stop_daemon() {
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=""
	cleanup_set
}
jqt() { [ "$(jq "$@" 2>/dev/null)" = true ]; }
wait_log() {	# wait_log REGEX [TENTHS]
	for _ in $(seq "${2:-50}"); do grep -q "$1" "$LOG" && return 0; sleep 0.1; done
	return 1
}
job_field() { "$MMT" status --json "$1" 2>/dev/null | jq -r ".job.$2"; }
wait_field() {	# wait_field ID FIELD VALUE [TENTHS]
	for _ in $(seq "${4:-100}"); do [ "$(job_field "$1" "$2")" = "$3" ] && return 0; sleep 0.1; done
	return 1
}

# ---- a full state directory loses no verdict ----
if $ROOT; then
	mkdir -p "$STATE"
	mount -t tmpfs -o size=4m tmpfs "$STATE" && MNT=$STATE
	cleanup_set
fi
if [ -n "$MNT" ]; then
	start_daemon; ok $? "the daemon starts on a 4 MiB state directory"
	printf '[full]\nworkload=null\nthreads=2\nruntime=1500ms\n' > "$T_TMP/full.ini"
	id=$("$MMT" submit --json "$T_TMP/full.ini" | jq -r '.ids[0]')
	[ -e "$STATE/queue/$id.json" ]; ok $? "job $id is queued, on disk"
	wait_field "$id" state running
	# the disk fills while the job runs: its record and its results cannot be written
	dd if=/dev/zero of="$STATE/filler" bs=64k 2>/dev/null
	wait_field "$id" state finished 100; ok $? "the job finishes on a full disk"
	"$MMT" status --json "$id" | jqt '.job.verdict == "PASS" and .job.record_saved == false and
		(.job.results_error | test("No space left on device")) and .job.exit_category == 3'
	ok $? "its verdict is kept (PASS), the record not saved yet and its results' error said: $(job_field "$id" why)"
	[ -e "$STATE/queue/$id.json" ] && [ ! -e "$STATE/jobs/$id.json" ]
	ok $? "its queue entry stays while its record cannot be written"
	grep -q "job $id: cannot write its record: No space left on device: its queue entry is kept" "$LOG"
	ok $? "the log says so"
	rm -f "$STATE/filler"
	wait_log "job $id: its record is written now" 100; ok $? "once there is room, the record is written"
	[ ! -e "$STATE/queue/$id.json" ] && jq -e '.verdict == "PASS"' "$STATE/jobs/$id.json" >/dev/null
	ok $? "and the queue entry goes"
	stop_daemon
	start_daemon
	"$MMT" status --json "$id" | jqt '.job.verdict == "PASS" and .job.state == "finished"'
	ok $? "after a restart the verdict is still PASS"
	stop_daemon
	umount "$STATE" && MNT=""
	cleanup_set
	rm -rf "$STATE"
else
	skip "a full state directory: needs root to mount a small tmpfs"
fi

# ---- time, not bytes: a trickling client is dropped; slots ----
start_daemon --max-queue 1000; ok $? "the daemon starts (client_timeout 2s)"
( printf '{"cmd":"ver'; for _ in $(seq 40); do sleep 0.3; printf ' ' 2>/dev/null || exit; done ) |
	socat -t 20 - "UNIX-CONNECT:$S" >/dev/null 2>&1 &
TPID=$!
BG="$BG $TPID"; cleanup_set
t0=$(date +%s%N)
wait_log "did not send its request whole in 2s: dropped" 80
ok $? "a client that sends a byte every 0.3 s without ending its request is dropped"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $ms -lt 6000 ]; ok $? "after client_timeout, not as long as it trickles ($ms ms)"
if $ROOT; then
	SIL=""
	for _ in $(seq 9); do
		setpriv --reuid=65534 --regid=65534 --clear-groups socat -u "UNIX-CONNECT:$S" - >/dev/null 2>&1 &
		SIL="$SIL $!"
	done
	BG="$BG $SIL"; cleanup_set
	for _ in $(seq 50); do [ "$("$MMT" status --json | jq .daemon.clients)" = 9 ] && break; sleep 0.1; done
	o=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$MMT" list 2>&1); rc=$?
	[ $rc = 3 ] && printf '%s' "$o" | grep -q "busy: uid 65534 has 8 connections open, the most one user may"
	ok $? "one user holds at most 8 connections: the next is busy, and says why"
	"$MMT" list >/dev/null; ok $? "root is not limited"
	kill $SIL 2>/dev/null
	# users who may submit (here: group nogroup) fill 60 connections: the last 4 are root's
	stop_daemon
	start_daemon --client-timeout 60 --group nogroup
	SIL=""
	for u in $(seq 65520 65527); do
		for _ in $(seq 7); do
			setpriv --reuid=$u --regid=65534 --clear-groups socat -u "UNIX-CONNECT:$S" - \
				>/dev/null 2>&1 &
			SIL="$SIL $!"
		done
	done
	for _ in $(seq 4); do
		setpriv --reuid=65528 --regid=65534 --clear-groups socat -u "UNIX-CONNECT:$S" - >/dev/null 2>&1 &
		SIL="$SIL $!"
	done
	BG="$BG $SIL"; cleanup_set
	# wait for the 60 by the socket table, not by asking the daemon: a status
	# connection of root's is one of the 64 too, and while it is open the
	# 60th user of the group would be refused
	for _ in $(seq 600); do
		[ "$(ss -xH | awk -v s="$S" '$2 == "ESTAB" && $5 == s' | wc -l)" -ge 60 ] && break
		sleep 0.1
	done
	o=$(setpriv --reuid=65529 --regid=65534 --clear-groups "$MMT" list 2>&1); rc=$?
	[ $rc = 3 ] && printf '%s' "$o" | grep -q "the last 4 connections are kept for root"
	r=$?
	ok $r "60 connections of users of the group: the next is busy, the last 4 are kept for root"
	[ $r = 0 ] || { diag "exit $rc: $o; clients: $("$MMT" status --json | jq .daemon.clients)"; tail -n 8 "$LOG" | sed "s/^/# log: /"; }
	"$MMT" list >/dev/null; ok $? "and root gets one of them"
	kill $SIL 2>/dev/null
	stop_daemon
	start_daemon --max-queue 1000
else
	skip "per-user connection limit: needs root to act as another user"
	skip "root is not limited: needs root"
	skip "the last 4 connections are kept for root: needs root"
	skip "and root gets one of them: needs root"
fi

# ---- a hostile file pipelined by one client ----
python3 - "$T_TMP/hostile.ini" <<'EOF'
import sys
# 16000 unknown [global] keys and 256 jobs: refused, every key looked at
lines = ["[global]"] + ["k%d=v" % i for i in range(16000)] + ["workload=null"]
lines += ["[j%d]" % i for i in range(256)]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
python3 - "$T_TMP/hostile.ini" "$T_TMP/pipe.txt" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
req = json.dumps({"cmd": "submit", "jobfile": text, "filename": "hostile.ini"})
open(sys.argv[2], "w").write((req + "\n") * 4)
EOF
socat -t 30 - "UNIX-CONNECT:$S" < "$T_TMP/pipe.txt" > "$T_TMP/pipe.out" 2>/dev/null &
PP=$!
BG="$BG $PP"; cleanup_set
worst=0
for _ in $(seq 20); do
	t0=$(date +%s%N)
	"$MMT" status >/dev/null 2>&1 || worst=99999
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ $ms -gt $worst ] && worst=$ms
done
wait $PP
[ "$(grep -c '"code":"bad_jobfile"' "$T_TMP/pipe.out")" = 4 ]
ok $? "four pipelined 130 KB files of 16000 unknown keys are each refused as bad_jobfile"
# the bound (README): one request's work plus one round's budget; 1 s allows a loaded machine
[ $worst -lt 1000 ]; ok $? "another client's status is answered meanwhile in at most $worst ms (bound 1000 ms)"

# ---- the state directory, tampered ----
stop_daemon
printf '9223372036854775806\n' > "$STATE/next_id"
: > "$LOG"
start_daemon
printf '[tamper]\nworkload=null\nthreads=1\nruntime=100ms\n' > "$T_TMP/t.ini"
id=$("$MMT" submit --json "$T_TMP/t.ini" | jq -r '.ids[0]')
[ "$id" -gt 0 ] && [ "$id" -lt 100000 ] && "$MMT" status "$id" >/dev/null
ok $? "a next_id near INT64_MAX: the next job gets a small, reachable id ($id)"
grep -q "next_id says 9223372036854775806, beyond the largest job id" "$LOG"; ok $? "and the log says why"
"$MMT" wait "$id" >/dev/null
stop_daemon
# a queue entry of the format before, whose section its file lacks
printf '{"id": 900, "name": "lost", "section": "lost", "workload": "null", "filename": "old.ini", "jobfile": "[other]\\nworkload=null\\n", "submitter": 0, "submitted": 1}\n' > "$STATE/queue/900.json"
# a queue entry whose inner id differs from its name
printf '{"id": 7, "name": "renamed", "section": "renamed", "workload": "null", "filename": "r.ini", "job": "[renamed]\\nworkload=null\\nthreads=1\\nruntime=100ms\\n", "submitter": 0, "submitted": 1}\n' > "$STATE/queue/901.json"
: > "$LOG"
start_daemon
"$MMT" status --json 900 | jqt '.job.verdict == "ERROR" and (.job.why | test("section \\[lost\\], which its job file does not have"))'
ok $? "a queue entry without its section: ERROR, saying which section: $(job_field 900 why)"
grep -q "job 900: its queue entry .*queue/900.json names section \[lost\]" "$LOG"; ok $? "and the log names the file"
[ ! -e "$STATE/queue/900.json" ] && [ -e "$STATE/jobs/900.json" ]; ok $? "its record replaces the queue entry"
grep -q "queue/901.json says it is job 7: taken as job 901" "$LOG"; ok $? "an inner id that differs from the name: said"
"$MMT" wait 901 >/dev/null; rc=$?
[ $rc = 0 ] && [ ! -e "$STATE/queue/901.json" ] && ! "$MMT" status 7 >/dev/null 2>&1
ok $? "it runs as job 901 and its queue file is removed (exit $rc)"
stop_daemon

done_testing
