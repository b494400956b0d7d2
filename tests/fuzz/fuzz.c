// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz.c - what the fuzz targets share; see fuzz.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/engine/fileio.h"
#include "lib/engine/placement.h"
#include "tests/fuzz/fuzz.h"

struct mt_topology *fuzz_topology(void)
{
	static struct mt_topology topo;
	static bool loaded;
	char err[256];

	if (!loaded) {
		setenv("HWLOC_SYNTHETIC", "numa:2 core:1 pu:1", 1);
		if (mt_topology_load(&topo, err, sizeof(err)))
			abort();
		loaded = true;
	}
	return &topo;
}

const char *fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("fuzz-input", 0);
		if (fd < 0)
			return NULL;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET) || mt_write_full(fd, data, size))
		return NULL;
	return path;
}
