/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz.h - what the fuzz targets share: libFuzzer's entry, the machine's
 * topology (read once), and a file holding an input.
 */
#ifndef MT_FUZZ_H
#define MT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct mt_topology;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* The machine, for $ncpus and placement: a synthetic two-node one, read once. */
struct mt_topology *fuzz_topology(void);
/* A path to a file holding @data exactly (one memfd, rewritten), or NULL. */
const char *fuzz_file(const uint8_t *data, size_t size);

#endif /* MT_FUZZ_H */
