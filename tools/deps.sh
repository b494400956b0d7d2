#!/bin/sh
# deps.sh - find the Debian packages mmtorture needs that are missing, and
# install them when run as root.
#
#   tools/deps.sh            install what is missing (root), or print the
#                            exact apt-get line to run and fail (non-root)
#   tools/deps.sh --list     print every package needed, one per line
#   tools/deps.sh --missing  print the missing ones, exit 0
set -eu

# Build: compilers and the libraries found through pkg-config.
BUILD_PKGS="gcc make pkg-config liburcu-dev libhwloc-dev libnuma-dev libinih-dev
libjansson-dev libsystemd-dev"
# Tests: prove (perl), promtool (prometheus), jq for reading JSON in shell
# tests, socat for raw socket messages, setpriv (util-linux), pgrep
# (procps), lstopo (hwloc), numactl,
# and systemd for the service test; python3 for make mutate.
TEST_PKGS="perl prometheus jq socat util-linux procps hwloc numactl systemd python3"

missing() {
	for p in $BUILD_PKGS $TEST_PKGS; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ "$st" = installed ] || printf '%s\n' "$p"
	done
}

case "${1:-}" in
--list)
	for p in $BUILD_PKGS $TEST_PKGS; do printf '%s\n' "$p"; done
	exit 0 ;;
--missing)
	missing
	exit 0 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian system (no dpkg-query); install by hand:" >&2
	echo "  $BUILD_PKGS $TEST_PKGS" >&2
	exit 0
fi

need=$(missing | tr '\n' ' ' | sed 's/ *$//')
[ -z "$need" ] && exit 0

line="apt-get update && apt-get install -y --no-install-recommends $need"
if [ "$(id -u)" -ne 0 ]; then
	echo "mmtorture needs packages that are not installed. As root, run:" >&2
	echo "  $line" >&2
	exit 1
fi
echo "deps: installing $need" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update >&2
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $need >&2
