#!/bin/bash
# The tree's layers (tools/layers.sh): every #include runs down from the
# programs to lib/core, the daemon's files in their order; and the check
# itself finds an include that runs up, in a copy of the tree.
. "$(dirname "$0")/../lib.sh"

o=$(sh "$MT_SRC/tools/layers.sh" 2>&1); r=$?
ok $r "every include runs down the layers: $o"
[ $r = 0 ] || diag "$o"

copy="$T_TMP/tree"
mkdir -p "$copy"
(cd "$MT_SRC" && cp -r tools lib workloads daemon cli "$copy/")
echo '#include "lib/engine/workload.h"' >> "$copy/lib/core/refcount.h"
echo '#include "daemon/server.h"' >> "$copy/daemon/store.c"
o=$(sh "$copy/tools/layers.sh" 2>&1); r=$?
[ $r = 1 ] && printf '%s\n' "$o" | grep -q "lib/core/refcount.h:.*core may not include engine" &&
	printf '%s\n' "$o" | grep -q "daemon/store.c:.*includes daemon/server.h: a daemon file includes only those below it"
ok $? "an include from lib/core up to the engine, and one from store.c to server.h, are found"
done_testing
