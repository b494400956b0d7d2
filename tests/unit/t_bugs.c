// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_bugs - the catalogue holds exactly the names of BUGS.md, each with a
 * model, a seed, a description and what should fire; names parse and
 * unknown names are refused by name.
 */
#include "core/bugs.h"
#include "tests/tap.h"

static const char *const expected[] = {
	"mpol-numa-maps-leak", "mpol-migrate-leak", "mpol-hugetlb-interleave-put",
	"mpol-swapin-multi-put", "mpol-set-no-mmap-sem", "mpol-shared-lookup-no-ref",
	"mpol-unconditional-refs",
	"anon-vma-root-unpinned", "anon-vma-drop-one-level", "anon-vma-not-typesafe",
	"rmap-no-recheck", "ksm-unlocked-drop",
	"vma-free-no-rcu", "vma-get-plain-inc", "vma-file-after-fput", "vma-policy-put-early",
};

int main(void)
{
	int complete = 1, detect = 0;
	mt_bugset_t set;
	char bad[64], buf[128];

	is_u64(MT_NBUGS, ARRAY_SIZE(expected), "the catalogue has %zu entries",
	       ARRAY_SIZE(expected));
	for (unsigned int i = 0; i < ARRAY_SIZE(expected); i++) {
		int b = mt_bug_lookup(expected[i]);
		const struct mt_bug_desc *d = b >= 0 ? &mt_bug_table[b] : NULL;

		if (!d || !d->model || !d->seed || !d->desc || !*d->desc) {
			diag("missing or incomplete: %s", expected[i]);
			complete = 0;
			continue;
		}
		if (d->expect != MT_EXPECT_NONE) {
			detect++;
			if (d->nfires < 1)
				complete = 0;
			for (int f = 0; f < d->nfires; f++) {
				enum mt_counter_class cls = mt_counter_class(d->fires[f]);

				if (cls == MT_CLASS_INFO)
					complete = 0;
			}
		}
	}
	ok(complete, "every BUGS.md name is in the table with model, seed, description and race/leak counters");
	is_u64(detect, 15, "15 detection bugs, one performance entry");
	ok(mt_bug_table[MT_BUG_MPOL_UNCONDITIONAL_REFS].expect == MT_EXPECT_NONE,
	   "mpol-unconditional-refs expects a clean run");

	mt_bug_fires_str(&mt_bug_table[MT_BUG_MPOL_NUMA_MAPS_LEAK], buf, sizeof(buf));
	ok(!strcmp(buf, "leaked_refs, leaked_objects{numa_policy}"), "fires: %s", buf);
	mt_bug_fires_str(&mt_bug_table[MT_BUG_VMA_FILE_AFTER_FPUT], buf, sizeof(buf));
	ok(!strcmp(buf, "use_after_free / refcount_underflow"), "fires: %s", buf);

	ok(mt_bugs_parse("rmap-no-recheck, vma-free-no-rcu", &set, bad, sizeof(bad)) == 0 &&
	   set == ((1u << MT_BUG_RMAP_NO_RECHECK) | (1u << MT_BUG_VMA_FREE_NO_RCU)),
	   "a comma list parses to a set");
	ok(mt_bugs_parse("", &set, bad, sizeof(bad)) == 0 && set == 0, "an empty list is no bug");
	ok(mt_bugs_parse("rmap-no-recheck,no-such-bug", &set, bad, sizeof(bad)) == -1 &&
	   !strcmp(bad, "no-such-bug"), "an unknown name is refused by name");

	mt_bugs_enabled = 1u << MT_BUG_KSM_UNLOCKED_DROP;
	ok(mt_bug(MT_BUG_KSM_UNLOCKED_DROP) && !mt_bug(MT_BUG_RMAP_NO_RECHECK),
	   "the enabled set answers per bug");
	mt_bugs_enabled = 0;

	tap_done();
	return tap_exit();
}
