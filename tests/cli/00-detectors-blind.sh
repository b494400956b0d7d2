#!/bin/sh
# The bug registry only chooses code paths in the models: no detector may
# read it.  Every C file of lib/ and workloads/ is read with its comments
# stripped (the compiler's preprocessor, without expanding anything), and
# sorted into:
#  - detector files: those that report (mt_report(), mt_vreport()), count
#    in a census (mt_census_*()) or saturate a refcount
#    (refcount_warn_saturate()), or classify a bad access
#    (mt_slab_report_bad_access());
#  - switch files: those that name the registry (mt_bug(), MT_BUG_*,
#    mt_bugs_enabled), but for the registry itself (lib/core/bugs.[ch])
#    and the engine's two executors, which judge verdicts by it and count
#    a crashed worker or run (lib/engine/engine.c, lib/engine/runs.c).
# Then: (1) no detector file names the registry; (2) no switch file holds
# a detector; (3) in a switch file, no statement that a switch chooses
# calls a check (the line that names the switch and the next one are free
# of checked loads, object checks, lock assertions and audits), so that a
# check is never skipped because a bug is on.  The files are found, not
# listed: a new detector file is covered the day it is written.
cd "${MT_SRC:-$(dirname "$0")/../..}" || exit 1
echo "1..5"
CC=${CC:-cc}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

REGISTRY='mt_bug\(|MT_BUG_|mt_bugs_enabled|mt_bug_table|mt_bug_lookup|core/bugs\.h'
DETECTOR='mt_report\(|mt_vreport\(|mt_census_[a-z]+\(|refcount_warn_saturate\(|mt_slab_report_bad_access\('
CHECK='\<(obj_(access|access_any|read|read_any|read_gen|copy|copy_any|check|check_gen|valid)|__obj_check|__obj_access|(pol|vma|file|page|mm|task|av|avc|info|sn|pt|item)_read|pol_copy|av_read_gen|lockdep_assert[a-z_]*|mpol_put_check|anon_vma_root_check|page_mapcount_check|rcu_dereference_check|[a-z_]*_audit[a-z_]*)\('

strip() {
	# comments out, nothing expanded; line numbers kept for reports
	"$CC" -fpreprocessed -dD -E "$1" 2>/dev/null | grep -v '^# [0-9]'
}

ndet=0 nsw=0 bad1= bad2= bad3=
for f in $(ls lib/*/*.[ch] workloads/*.[ch] | sort); do
	s="$tmp/$(echo "$f" | tr / _)"
	strip "$f" > "$s"
	if [ ! -s "$s" ]; then
		bad1="$bad1 $f(unreadable)"
		continue
	fi
	case "$f" in
	lib/core/bugs.[ch]|lib/engine/engine.c|lib/engine/runs.c) continue ;;
	esac
	isdet=$(grep -cE "$DETECTOR" "$s")
	issw=$(grep -cE "$REGISTRY" "$s")
	if [ "$isdet" -gt 0 ]; then
		ndet=$((ndet + 1))
		echo "$f" >> "$tmp/detectors"
		[ "$issw" -gt 0 ] && bad1="$bad1 $f"
	fi
	if [ "$issw" -gt 0 ]; then
		nsw=$((nsw + 1))
		echo "$f" >> "$tmp/switches"
		[ "$isdet" -gt 0 ] && bad2="$bad2 $f"
		# the line naming a switch, and the statement after it
		hits=$(grep -nE -A1 "$REGISTRY" "$s" | grep -E "$CHECK" | sed "s|^|$f:|")
		[ -n "$hits" ] && bad3="$bad3
$hits"
	fi
done

if [ -z "$bad1" ]; then
	echo "ok 1 - no detector file reads the bug registry ($ndet files: $(tr '\n' ' ' < "$tmp/detectors"))"
else
	echo "not ok 1 - a detector file reads the bug registry:$bad1"
fi
if [ -z "$bad2" ]; then
	echo "ok 2 - no file that switches bugs holds a detector ($nsw files: $(tr '\n' ' ' < "$tmp/switches"))"
else
	echo "not ok 2 - a file that switches bugs holds a detector:$bad2"
fi
if [ -z "$bad3" ]; then
	echo "ok 3 - no check is chosen by a bug switch"
else
	echo "not ok 3 - a check sits in a statement a bug switch chooses:"
	printf '%s\n' "$bad3" | sed '/^$/d; s/^/# /'
fi
# the test must see what it claims to: the files of each kind it knows of
for f in lib/core/slab.c lib/core/refcount.c lib/core/locks.c lib/core/audit.c \
	 lib/mm/mempolicy_audit.c lib/mm/anon_vma_audit.c lib/mm/mm_audit.c; do
	grep -qx "$f" "$tmp/detectors" 2>/dev/null || missing="$missing $f"
done
if [ -z "$missing" ] && [ "$ndet" -ge 10 ]; then
	echo "ok 4 - the detectors are found ($ndet files)"
else
	echo "not ok 4 - detector files not found:$missing ($ndet found)"
fi
missing=
for f in lib/mm/mempolicy.c lib/mm/anon_vma.c lib/mm/rmap.c lib/mm/ksm.c lib/mm/vma.c \
	 lib/mm/shared_policy.c lib/mm/shmem.c; do
	grep -qx "$f" "$tmp/switches" 2>/dev/null || missing="$missing $f"
done
if [ -z "$missing" ]; then
	echo "ok 5 - the switch files are found ($nsw files)"
else
	echo "not ok 5 - switch files not found:$missing"
fi
