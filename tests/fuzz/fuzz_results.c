// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_results - the results reader: a metrics.json as the daemon reads
 * the results of earlier runs at start.
 */
#include <stdint.h>
#include <stdlib.h>

#include "lib/engine/result.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mt_result res;
	json_error_t je;
	json_t *j = json_loadb((const char *)data, size, 0, &je);

	if (j)
		mt_result_from_json(j, &res);
	json_decref(j);
	return 0;
}
