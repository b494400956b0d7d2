// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_bugs - the catalogue holds exactly the entries of docs/BUGS.md, each with
 * its model, seed, description and what should fire (all or any); names
 * parse and unknown names are refused by name.
 */
#include "core/bugs.h"
#include "tests/tap.h"

/*
 * docs/BUGS.md, transcribed: name, section, seed, and what should fire (a
 * comma: all of them; a slash: any one; NULL: a performance entry).
 */
static const struct {
	const char *name, *model, *seed, *fires;
} expected[] = {
	{ "mpol-numa-maps-leak", "mempolicy", "001", "leaked_refs, leaked_objects{numa_policy}" },
	{ "mpol-migrate-leak", "mempolicy", "001", "leaked_refs, leaked_objects{numa_policy}" },
	{ "mpol-hugetlb-interleave-put", "mempolicy", "000", "refcount_underflow / use_after_free" },
	{ "mpol-swapin-multi-put", "mempolicy", "001", "refcount_underflow / use_after_free" },
	{ "mpol-set-no-mmap-sem", "mempolicy", "001", "lock_rule, use_after_free" },
	{ "mpol-shared-lookup-no-ref", "mempolicy", "001", "use_after_free / refcount_underflow" },
	{ "mpol-unconditional-refs", "mempolicy", "000", NULL },
	{ "anon-vma-root-unpinned", "anon_vma", "002", "use_after_free / type_confusion" },
	{ "anon-vma-drop-one-level", "anon_vma", "002", "leaked_objects{anon_vma}, leaked_refs" },
	{ "anon-vma-not-typesafe", "anon_vma", "004", "type_confusion / use_after_free" },
	{ "rmap-no-recheck", "anon_vma", "004", "stale_object" },
	{ "ksm-unlocked-drop", "anon_vma", "002", "double_free / leaked_objects" },
	{ "vma-free-no-rcu", "vma", "003", "use_after_free" },
	{ "vma-get-plain-inc", "vma", "003", "refcount_inc_on_zero" },
	{ "vma-file-after-fput", "vma", "003", "use_after_free / refcount_underflow" },
	{ "vma-policy-put-early", "vma", "003", "use_after_free" },
	/* kernel mode's self-tests (docs/KERNEL.md), not in docs/BUGS.md: not historical bugs */
	{ "kernel-shm-policy-leak", "kernel", "001", "leaked_objects{shmem_inode_cache}" },
	{ "kernel-kmsg-warning", "kernel", "-", "kernel_warning" },
	{ "mpol-get-mempolicy-early-unlock", "mempolicy", "001", "use_after_free" },
	{ "mpol-get-mempolicy-no-put", "mempolicy", "001", "leaked_refs, leaked_objects{numa_policy}" },
	{ "mpol-cond-copy-keeps-shared", "mempolicy", "000",
	  "type_confusion / double_free / refcount_underflow" },
	{ "mpol-mbind-no-get", "mempolicy", "001", "use_after_free / missing_refs" },
	{ "mpol-shm-vm-policy-get", "mempolicy", "000", "leaked_refs, leaked_objects{numa_policy}" },
	{ "vma-adjust-free-next", "vma", "003", "use_after_free" },
};

int main(void)
{
	int complete = 1, detect = 0;
	mt_bugset_t set;
	char bad[64], buf[128];

	is_u64(MT_NBUGS, ARRAY_SIZE(expected), "the catalogue has %zu entries",
	       ARRAY_SIZE(expected));
	for (unsigned int i = 0; i < ARRAY_SIZE(expected); i++) {
		int b = mt_bug_lookup(expected[i].name);
		const struct mt_bug_desc *d = b >= 0 ? &mt_bug_table[b] : NULL;

		if (!d || !d->desc || !*d->desc) {
			diag("missing or without a description: %s", expected[i].name);
			complete = 0;
			continue;
		}
		if (strcmp(d->model, expected[i].model) || strncmp(d->seed, expected[i].seed, 3)) {
			diag("%s: model %s seed %s, docs/BUGS.md says %s, seed %s", d->name, d->model,
			     d->seed, expected[i].model, expected[i].seed);
			complete = 0;
		}
		if (!expected[i].fires) {
			if (d->expect != MT_EXPECT_NONE || d->nfires) {
				diag("%s: a performance entry must expect nothing", d->name);
				complete = 0;
			}
			continue;
		}
		detect++;
		mt_bug_fires_str(d, buf, sizeof(buf));
		if (strcmp(buf, expected[i].fires)) {
			diag("%s: fires \"%s\", docs/BUGS.md says \"%s\"", d->name, buf,
			     expected[i].fires);
			complete = 0;
		}
		for (int f = 0; f < d->nfires; f++)
			if (mt_counter_class(d->fires[f]) == MT_CLASS_INFO)
				complete = 0;
	}
	ok(complete, "every docs/BUGS.md entry is in the table with its model, seed, description, "
	   "and what should fire (all or any) as docs/BUGS.md says");
	is_u64(detect, 23, "23 detection bugs (two of them kernel self-tests), one performance entry");
	ok(mt_bug_table[MT_BUG_MPOL_UNCONDITIONAL_REFS].expect == MT_EXPECT_NONE,
	   "mpol-unconditional-refs expects a clean run");

	ok(mt_bugs_parse("rmap-no-recheck, vma-free-no-rcu", &set, bad, sizeof(bad)) == 0 &&
	   set == ((1u << MT_BUG_RMAP_NO_RECHECK) | (1u << MT_BUG_VMA_FREE_NO_RCU)),
	   "a comma list parses to a set");
	ok(mt_bugs_parse("", &set, bad, sizeof(bad)) == 0 && set == 0, "an empty list is no bug");
	ok(mt_bugs_parse("rmap-no-recheck,no-such-bug", &set, bad, sizeof(bad)) == -1 &&
	   !strcmp(bad, "no-such-bug"), "an unknown name is refused by name");
	ok(mt_bugs_parse("rmap-no-recheck, rmap-no-recheck", &set, bad, sizeof(bad)) == MT_BUGS_TWICE &&
	   !strcmp(bad, "rmap-no-recheck"), "a name given twice is refused by name");
	ok(mt_bugs_parse("rmap-no-recheck,,vma-free-no-rcu", &set, bad, sizeof(bad)) == MT_BUGS_EMPTY,
	   "an empty name (a comma too many) is refused");

	mt_bugs_enabled = 1u << MT_BUG_KSM_UNLOCKED_DROP;
	ok(mt_bug(MT_BUG_KSM_UNLOCKED_DROP) && !mt_bug(MT_BUG_RMAP_NO_RECHECK),
	   "the enabled set answers per bug");
	mt_bugs_enabled = 0;

	tap_done();
	return tap_exit();
}
