#!/bin/sh
# layers.sh - check that every #include runs down the layers of the tree,
# never up or across:
#
#   cli/  daemon/          the programs (neither includes the other)
#   workloads/             the plug-ins: model workloads on lib/mm,
#                          kernel workloads on lib/kernel, never both
#   lib/proto/             the control protocol's framing
#   lib/engine/            jobs, the plug-in contract, results
#   lib/mm/  lib/kernel/   the models; the kernel's evidence
#   lib/core/              refcount, slab, RCU, locks, counters ...
#
# Within daemon/, the files are layered too, in DAEMON_ORDER (from the
# bottom): a file includes the headers of the files before it only, so
# that no two call each other.
#
# Prints each include that breaks a rule, and fails if there is one.
set -u
cd "$(dirname "$0")/.." || exit 2
bad=0
DAEMON_ORDER="log config djob store carry jobs metrics http requests server mmtortured"

# rank FILE: the place of a daemon file in DAEMON_ORDER, or 99
rank() {
	n=0
	b=$(basename "$1"); b=${b%.[ch]}
	for m in $DAEMON_ORDER; do
		[ "$m" = "$b" ] && { echo $n; return; }
		n=$((n + 1))
	done
	echo 99
}

# layer NAME: what an include path or a file path belongs to
layer() {
	case "$1" in
	core/*|lib/core/*) echo core ;;
	kernel/*|lib/kernel/*) echo kernel ;;
	lib/mm/*|mm/*) echo mm ;;
	lib/engine/*) echo engine ;;
	lib/proto/*) echo proto ;;
	workloads/kernel_*) echo kworkload ;;
	workloads/*) echo workload ;;
	daemon/*) echo daemon ;;
	cli/*) echo cli ;;
	tests/*) echo tests ;;
	*) echo other ;;
	esac
}

# allowed FROM TO: may a file of layer FROM include one of layer TO?
allowed() {
	[ "$1" = "$2" ] && return 0
	case "$1:$2" in
	mm:core|kernel:core) return 0 ;;
	engine:core|engine:kernel) return 0 ;;
	proto:engine|proto:core) return 0 ;;
	workload:core|workload:mm|workload:engine) return 0 ;;
	kworkload:core|kworkload:kernel|kworkload:engine) return 0 ;;
	daemon:core|daemon:engine|daemon:proto|daemon:kernel) return 0 ;;
	cli:core|cli:engine|cli:proto) return 0 ;;
	esac
	return 1
}

out=$(mktemp)
for f in $(find lib workloads daemon cli -name '*.[ch]' | sort); do
	from=$(layer "$f")
	dir=$(dirname "$f")
	grep -n '^#include "' "$f" | while IFS= read -r line; do
		inc=$(printf '%s' "$line" | sed 's/.*#include "\([^"]*\)".*/\1/')
		case "$inc" in
		*/*) path=$inc ;;
		*) path=$dir/$inc ;;	# beside it
		esac
		to=$(layer "$path")
		if ! allowed "$from" "$to"; then
			echo "$f:${line%%:*}: includes $inc: $from may not include $to"
		elif [ "$from" = daemon ] && [ "$to" = daemon ] && [ "$(rank "$f")" -lt "$(rank "$path")" ]; then
			echo "$f:${line%%:*}: includes $inc: a daemon file includes only those below it ($DAEMON_ORDER)"
		fi
	done
done > "$out"
if [ -s "$out" ]; then
	cat "$out"
	bad=1
fi
rm -f "$out"
[ $bad = 0 ] && echo "layers: every include runs down the tree"
exit $bad
