// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_request - the daemon's request path: one request line, as a client
 * sends it, through the request table, the job-file parser and the queue
 * of a daemon whose state directory is a temporary one.  No job starts
 * (max_parallel 0, a value the option table never lets a user give), and
 * the queue holds 8: what is submitted is parsed, queued, or refused.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/jobs.h"
#include "daemon/requests.h"
#include "tests/fuzz/fuzz.h"

static char dir[] = "/tmp/mmtorture-fuzz.XXXXXX";

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* The temporary state directory goes with the fuzzer. */
static void remove_dir(void)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	struct mt_errors e = { 0 };
	char *argv[] = { "mmtortured", NULL };
	char err[256];

	if (!mkdtemp(dir) || config_init(1, argv) || config_build(&dcfg, &e) < 0)
		abort();
	atexit(remove_dir);
	snprintf(dcfg.state_dir, sizeof(dcfg.state_dir), "%s", dir);
	dcfg.max_parallel = 0;
	dcfg.max_queue = 8;
	requests_init(0, "fuzz");
	if (jobs_init(fuzz_topology(), err, sizeof(err)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct req_ctx c = { .uid = 0, .privileged = true, .nclients = 1 };
	json_t *reply;

	if (!ready) {
		setup();
		ready = true;
	}
	reply = requests_handle(&c, (const char *)data, size);
	json_decref(reply);
	return 0;
}
