// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_jobfile_string - the job-file parser from text, as the daemon
 * parses a submitted file: any bytes, made a C string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/engine/jobfile.h"
#include "lib/engine/placement.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mt_errors e = { 0 };
	struct mt_jobset set;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!mt_jobfile_load_string(text, "fuzz.ini", fuzz_topology(), &set, &e))
		mt_jobset_free(&set);
	free(text);
	return 0;
}
