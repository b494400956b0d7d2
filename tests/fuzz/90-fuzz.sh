#!/bin/bash
# The fuzz targets on their seed corpora, then each for a few seconds of
# new inputs (make fuzz runs them for long): nothing crashes, leaks or
# trips a sanitizer.
. "$(dirname "$0")/../lib.sh"

SECS=${MT_FUZZ_SECS:-4}
n=0
for src in "$MT_SRC"/tests/fuzz/fuzz_*.c; do
	t=$(basename "$src" .c)
	bin="$MT_FUZZ_BIN/$t"
	n=$((n + 1))
	if [ ! -x "$bin" ]; then
		skip "$t: not built (clang with libFuzzer is not installed)"
		skip "$t: new inputs for ${SECS}s"
		continue
	fi
	work="$T_TMP/$t"
	mkdir -p "$work"
	"$bin" -runs=0 -timeout=10 -artifact_prefix="$work/" "$MT_SRC/tests/fuzz/corpus/$t" \
		> "$work/seed.log" 2>&1
	r=$?
	ok $r "$t: every input of its seed corpus ($(ls "$MT_SRC/tests/fuzz/corpus/$t" | wc -l))"
	[ $r = 0 ] || diag "$(tail -20 "$work/seed.log")"
	"$bin" -max_total_time="$SECS" -max_len=65536 -timeout=10 -print_final_stats=1 -artifact_prefix="$work/" \
		"$work" "$MT_SRC/tests/fuzz/corpus/$t" > "$work/run.log" 2>&1
	rc=$?
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/run.log" | grep -o '[0-9]*$')
	[ $rc = 0 ] || execs=$(grep -o '#[0-9]*' "$work/run.log" | tail -1)
	ok $rc "$t: ${SECS}s of new inputs, nothing found (${execs:-?} runs)"
	[ $rc = 0 ] || diag "$(grep -A20 'ERROR\|SUMMARY' "$work/run.log" | head -40)"
done
[ $n -gt 0 ]; ok $? "there are fuzz targets ($n)"
done_testing
