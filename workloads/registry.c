// SPDX-License-Identifier: GPL-2.0-only
/*
 * registry.c - every workload, by name.  A workload listed here and not
 * defined fails at link time.
 */
#include <string.h>

#include "workloads/workload.h"

extern const struct workload wl_null;
extern const struct workload wl_mempolicy;
extern const struct workload wl_anon_vma;
extern const struct workload wl_vma_spf;
extern const struct workload wl_kernel_mempolicy;
extern const struct workload wl_kernel_anon_vma;
extern const struct workload wl_kernel_vma;

const struct workload *const mt_workloads[] = {
	&wl_null,
	&wl_mempolicy,
	&wl_anon_vma,
	&wl_vma_spf,
	&wl_kernel_mempolicy,
	&wl_kernel_anon_vma,
	&wl_kernel_vma,
	NULL,
};

const struct workload *wl_lookup(const char *name)
{
	for (const struct workload *const *w = mt_workloads; *w; w++)
		if (!strcmp((*w)->name, name))
			return *w;
	return NULL;
}
