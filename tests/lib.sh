# tests/lib.sh - TAP for the shell tests, and where things are.
#   . "$(dirname "$0")/../lib.sh"
set -u
MT_SRC=${MT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
MT_BIN=${MT_BIN:-$MT_SRC/build/cc/bin}
MMT="$MT_BIN/mmtorture"
MMTD="$MT_BIN/mmtortured"
T_N=0
T_FAILED=0
T_TMP=$(mktemp -d /tmp/mmtorture-test.XXXXXX)
chmod 755 "$T_TMP"
T_CLEANUP=""
t_cleanup() { eval "$T_CLEANUP"; rm -rf "$T_TMP"; }
trap t_cleanup EXIT

ok() {	# ok CONDITION-STATUS DESCRIPTION  (pass $? or a test command's status)
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAILED=$((T_FAILED + 1))
	fi
}
check() {	# check DESCRIPTION COMMAND...
	local d=$1; shift
	"$@"
	ok $? "$d"
}
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
skip() { T_N=$((T_N + 1)); echo "ok $T_N # SKIP $1"; }
done_testing() { echo "1..$T_N"; [ "$T_FAILED" -eq 0 ]; }
