#!/bin/sh
# The bug registry only chooses code paths in the models: no detector may
# read it.  The detectors are lib/core (refcount, slab, locks, rcu,
# counters, inject); only bugs.[ch] there may name the registry.
cd "${MT_SRC:-$(dirname "$0")/../..}" || exit 1
echo "1..2"
hits=$(grep -nE 'mt_bug(\(|_table|_lookup|s_)|MT_BUG_' lib/core/*.c lib/core/*.h |
	grep -vE '^lib/core/bugs\.[ch]:' || true)
if [ -z "$hits" ]; then
	echo "ok 1 - no detector in lib/core reads the bug registry"
else
	echo "not ok 1 - a detector reads the bug registry:"
	printf '%s\n' "$hits" | sed 's/^/# /'
fi
n=$(ls lib/core/*.c | wc -l)
if [ "$n" -ge 9 ]; then
	echo "ok 2 - checked $n files of lib/core"
else
	echo "not ok 2 - only $n files in lib/core: wrong directory?"
fi
