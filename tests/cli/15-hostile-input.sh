#!/bin/bash
# Hostile input to the readers: a last line without its newline that
# fills libinih's buffer exactly (199, 399, 799 ... bytes: the buffer
# starts at 200 and doubles), in a job file and in the daemon's config,
# at start and at reload; integer expressions that overflow.
. "$(dirname "$0")/../lib.sh"

# The lengths where libinih's growing buffer ends exactly at the end of
# the file, and one on each side of them.
LENGTHS="198 199 200 398 399 400 798 799 800 1599 3199 6399 12799 25599 51199 65533"
line() { head -c "$1" /dev/zero | tr '\0' x; }	# line N: N characters

bad=""
for n in $LENGTHS; do
	f="$T_TMP/j$n.ini"
	# "; " and n-2 x: a comment of n characters, the file's last line
	printf '[j]\nworkload=null\nruntime=500ms\nthreads=2\n; %s' "$(line $((n - 2)))" > "$f"
	"$MMT" check "$f" >/dev/null 2>&1
	rc=$?
	[ $rc = 0 ] || bad="$bad $n:$rc"
done
[ -z "$bad" ]; ok $? "mmtorture check: a last line of every boundary length without its newline parses${bad:+ (length:exit$bad)}"

f="$T_TMP/j199.ini"
o=$("$MMT" run --no-results --quiet "$f" 2>&1 </dev/null); rc=$?
[ $rc = 0 ]; ok $? "mmtorture run of such a file runs it (exit $rc)"

# a key=value as the last line, not a comment: its value is read once, whole
for n in 199 399 799; do
	printf '[j]\nworkload=null\nrcu=%s' "$(head -c $((n - 4)) /dev/zero | tr '\0' ' ')memb" > "$T_TMP/k$n.ini"
	o=$("$MMT" check "$T_TMP/k$n.ini" 2>&1); rc=$?
	[ $rc = 0 ]; ok $? "a last key=value line of $n characters is read once, whole (exit $rc)"
done

# ---- integer expressions: checked arithmetic, no wrap ----
overflow() {	# overflow VALUE: refused at threads= and at a workload's integer option
	local f="$T_TMP/o.ini" o rc
	printf '[j]\nworkload=null\nthreads=%s\nobjects=%s\nfail_nth=%s\n' "$1" "$1" "$1" > "$f"
	o=$("$MMT" check "$f" 2>&1); rc=$?
	[ $rc = 1 ] &&
	printf '%s\n' "$o" | grep -qF "o.ini:3: key 'threads': '$1' overflows 64 bits: a thread count in 1..255" &&
	printf '%s\n' "$o" | grep -qF "o.ini:4: key 'objects': '$1' overflows 64 bits: an integer in 1..65536" &&
	printf '%s\n' "$o" | grep -qF "o.ini:5: key 'fail_nth': '$1' overflows 64 bits"
	r=$?
	ok $r "'$1' is refused as an overflow, at file:line:key with the bound"
	[ $r = 0 ] || diag "exit $rc:" "$o"
}
overflow '4294967296*4294967296+2'
overflow 99999999999999999999999
overflow '9223372036854775807+1'
overflow '(3037000500*3037000500)'
overflow '0-9223372036854775807-2'
printf '[j]\nworkload=null\nthreads=(1+1)*(8/4)-2+$ncpus-$ncpus\n' > "$T_TMP/e.ini"
"$MMT" check "$T_TMP/e.ini" | grep -q "threads=2 "; ok $? "an expression within the range is still computed: (1+1)*(8/4)-2 = 2"
printf '[j]\nworkload=null\nthreads=%s1%s\n' "$(printf '(%.0s' $(seq 100))" "$(printf ')%.0s' $(seq 100))" > "$T_TMP/e.ini"
o=$("$MMT" check "$T_TMP/e.ini" 2>&1); [ $? = 1 ] && printf '%s' "$o" | grep -q "e.ini:3: key 'threads'"
ok $? "parentheses nested 100 deep are refused, not recursed into without bound"

# ---- the daemon's config reader ----
S="$T_TMP/d.sock"
start_check() {	# start_check CONF: start, then stop, the daemon; its exit status
	local pid rc
	"$MMTD" --socket "$S" --state-dir "$T_TMP/state" --config "$1" >> "$T_TMP/d.log" 2>&1 &
	pid=$!
	T_CLEANUP="kill $pid 2>/dev/null;"
	for _ in $(seq 100); do
		[ -S "$S" ] && MMTORTURE_SOCKET="$S" "$MMT" status >/dev/null 2>&1 && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		# a reload of the same file: the same reader again
		kill -HUP $pid
		for _ in $(seq 50); do
			grep -q "reloaded \|keeping the running" "$T_TMP/d.log" && break
			sleep 0.1
		done
		kill -0 $pid 2>/dev/null || { wait $pid; return $?; }
		kill -TERM $pid
	fi
	wait $pid
}
bad=""
for n in 198 199 200 398 399 400 798 799 800 1023 1024 1025 1599; do
	c="$T_TMP/c$n.conf"
	printf '[daemon]\nmax_queue=8\n; %s' "$(line $((n - 2)))" > "$c"
	: > "$T_TMP/d.log"
	start_check "$c"
	rc=$?
	# up to 1024 characters the file is good (0); a longer line is refused (1)
	want=0; [ $n -gt 1024 ] && want=1
	[ $rc = $want ] || bad="$bad $n:$rc"
done
[ -z "$bad" ]; ok $? "mmtortured --config and SIGHUP: a last line of every boundary length${bad:+ (length:exit$bad)}"

done_testing
