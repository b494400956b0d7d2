// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_jobfile_file - the job-file parser from a file, bytes as they are
 * (NUL bytes, no newline at the end, lines that fill libinih's buffer).
 */
#include <stdint.h>
#include <stdio.h>

#include "lib/engine/jobfile.h"
#include "lib/engine/placement.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mt_errors e = { 0 };
	struct mt_jobset set;
	const char *path = fuzz_file(data, size);

	if (path && !mt_jobfile_load(path, fuzz_topology(), &set, &e))
		mt_jobset_free(&set);
	return 0;
}
