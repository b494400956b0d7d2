#!/bin/sh
# deps.sh - find the Debian packages mmtorture needs that are missing, and
# install them when run as root.
#
#   tools/deps.sh [build|test]      install what is missing (root), or print
#                                   the exact apt-get line to run and fail
#                                   (non-root); build: what building and
#                                   running need; test (the default): that
#                                   and what the tests need
#   tools/deps.sh --check [build|test]   never install: say what is missing
#                                   and how to install it, and fail
#   tools/deps.sh --list [build|test]    print the packages, one per line
#   tools/deps.sh --missing [build|test] print the missing ones, exit 0
#
# Nothing else on the machine is changed, with one exception that is
# undone: Debian's prometheus package (promtool, and the server the tests
# start on loopback) enables and starts a Prometheus server on :9090 when
# it is installed on a booted machine.  It is installed alone, under a
# policy-rc.d that denies every start, and its unit is then disabled
# (deb-systemd-helper, so that upgrades keep it disabled): no service is
# left enabled or running.  An existing policy-rc.d is put back after.
set -eu

# Build and run: the compiler and the libraries found through pkg-config.
BUILD_PKGS="gcc make pkg-config liburcu-dev libhwloc-dev libnuma-dev libinih-dev
libjansson-dev libsystemd-dev libmicrohttpd-dev"
# Tests: prove (perl), promtool and a Prometheus server (prometheus), jq
# for reading JSON in shell tests, socat for raw socket messages, ss
# (iproute2) to count connections, curl for HTTP, setpriv (util-linux),
# pgrep (procps), lstopo (hwloc), numactl, stress-ng (kernel mode's benchmark beside it), systemd for the service
# test, clang with libFuzzer for the fuzz targets, gnuplot for
# `mmtorture plot`, mandoc and man-db for the man pages' lint, python3
# for the hostile inputs some tests make and for make mutate.
TEST_PKGS="perl prometheus jq socat curl util-linux procps iproute2 hwloc numactl stress-ng systemd clang
libclang-rt-14-dev gnuplot-nox mandoc man-db python3"

# The one package whose installation would start a service.
SERVICE_PKGS="prometheus"

mode=install
case "${1:-}" in
--check|--list|--missing) mode=${1#--}; shift ;;
esac
set_=${1:-test}
case "$set_" in
build) PKGS=$BUILD_PKGS ;;
test) PKGS="$BUILD_PKGS $TEST_PKGS" ;;
*) echo "usage: deps.sh [--check|--list|--missing] [build|test]" >&2; exit 2 ;;
esac

missing() {
	for p in $PKGS; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ "$st" = installed ] || printf '%s\n' "$p"
	done
}

case "$mode" in
list)
	for p in $PKGS; do printf '%s\n' "$p"; done
	exit 0 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
	[ "$mode" = missing ] && exit 0
	echo "deps: not a Debian system (no dpkg-query); install by hand the equivalents of:" >&2
	echo "  $PKGS" | tr '\n' ' ' | sed 's/  */ /g; s/$/\n/' >&2
	exit 0
fi

if [ "$mode" = missing ]; then
	missing
	exit 0
fi

need=$(missing | tr '\n' ' ' | sed 's/ *$//')
[ -z "$need" ] && exit 0

line="apt-get update && apt-get install -y --no-install-recommends $need"
if [ "$mode" = check ]; then
	echo "deps: missing Debian packages: $need" >&2
	echo "deps: install them with 'make deps' as root, or run:" >&2
	echo "  $line" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: mmtorture needs packages that are not installed. As root, run:" >&2
	echo "  $line" >&2
	exit 1
fi

# fail LINE: say which command failed, with the line to run again
fail() {
	echo "deps: '$1' failed: see apt-get's messages above; to retry, as root:" >&2
	echo "  $line" >&2
	exit 1
}

plain=
services=
for p in $need; do
	case " $SERVICE_PKGS " in
	*" $p "*) services="$services $p" ;;
	*) plain="$plain $p" ;;
	esac
done

echo "deps: installing $need" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update >&2 || fail "apt-get update"
if [ -n "$plain" ]; then
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $plain >&2 ||
		fail "apt-get install -y --no-install-recommends$plain"
fi
[ -z "$services" ] && exit 0

# The service packages: installed with every start denied, then disabled.
POLICY=${DEPS_POLICY_RC_D:-/usr/sbin/policy-rc.d}	# another path: the test's
SAVED=
if [ -e "$POLICY" ]; then
	SAVED=$(mktemp "$(dirname "$POLICY")/.policy-rc.d.XXXXXX")
	cp -p "$POLICY" "$SAVED"
fi
restore_policy() {
	if [ -n "$SAVED" ]; then mv -f "$SAVED" "$POLICY"; else rm -f "$POLICY"; fi
}
trap restore_policy EXIT
printf '#!/bin/sh\n# deps.sh: no service starts while its packages install\nexit 101\n' > "$POLICY"
chmod 0755 "$POLICY"
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $services >&2 ||
	fail "apt-get install -y --no-install-recommends$services"
for p in $services; do
	unit=$p.service
	if command -v deb-systemd-helper >/dev/null 2>&1; then
		deb-systemd-helper disable "$unit" >/dev/null 2>&1 || true
	fi
	if [ -x "/etc/init.d/$p" ] && command -v update-rc.d >/dev/null 2>&1; then
		update-rc.d "$p" disable >/dev/null 2>&1 || true
	fi
	# on a booted machine, in case anything started it regardless
	if [ -d /run/systemd/system ] && systemctl is-active --quiet "$unit" 2>/dev/null; then
		systemctl stop "$unit" || true
	fi
	echo "deps: $p installed for its programs; its service $unit is left disabled and stopped" >&2
done
