// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_config - the daemon's config file reader, as `mmtortured --config
 * FILE` and SIGHUP read it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "daemon/config.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool started;
	struct mt_errors e = { 0 };
	struct dconfig cfg;
	const char *path = fuzz_file(data, size);

	if (!path)
		return 0;
	if (!started) {
		char *argv[] = { "mmtortured", "--config", (char *)path, NULL };

		if (config_init(3, argv))
			return 0;
		started = true;
	}
	config_build(&cfg, &e);
	return 0;
}
