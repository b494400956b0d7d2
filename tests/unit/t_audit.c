// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_audit - the refcount audit's census: silent when every count equals
 * its owners; leaked_refs for a count above its owners and for an object
 * nobody owns (leaked_objects{cache} instead when the census says an
 * orphan is a lost object); missing_refs for a count below its owners and
 * for an owner of an object that is not live; in_use for partial counts.
 */
#include <string.h>

#include "core/audit.h"
#include "core/counters.h"
#include "core/rcu.h"
#include "core/refcount.h"
#include "core/slab.h"
#include "tests/tap.h"

struct obj {
	refcount_t ref;
	bool linked;
};

static int obj_count(const void *o)
{
	return refcount_read_raw(&((const struct obj *)o)->ref);
}

static bool obj_in_use(const void *o)
{
	return ((const struct obj *)o)->linked;
}

static const struct mt_census_ops ops = { .what = "obj", .where = "t_audit", .count = obj_count };
static const struct mt_census_ops ops_orphan = {
	.what = "obj", .where = "t_audit", .count = obj_count, .orphan_is_leaked_object = true,
};
static const struct mt_census_ops ops_partial = {
	.what = "obj", .where = "t_audit", .count = obj_count, .in_use = obj_in_use,
};

int main(void)
{
	struct mt_region *R = mt_region_create(false);
	struct kmem_cache *c;
	struct obj *o[4];
	struct mt_census *cs;
	int owner;

	mt_region_use(R);
	rcu_register_thread();
	c = kmem_cache_create("t_audit_obj", sizeof(struct obj), SLAB_POISON, NULL);
	for (int i = 0; i < 4; i++) {
		o[i] = kmem_cache_zalloc(c);
		refcount_set(&o[i]->ref, i + 1);	/* i+1 owners each */
	}

	cs = mt_census_begin(c, &ops);
	ok(cs && mt_census_nr(cs) == 4 && mt_census_live(cs, o[2]), "the census finds the 4 live objects");
	for (int i = 0; i < 4; i++)
		for (int k = 0; k <= i; k++)
			mt_census_own(cs, o[i], "owner", &owner);
	ok(mt_census_end(cs) == 0 && mt_leaks_total(R) == 0, "counts equal to owners: silent");

	mt_region_reset(R);
	refcount_inc(&o[1]->ref);	/* a reference nobody owns */
	refcount_dec(&o[2]->ref);	/* an owner whose reference is gone */
	cs = mt_census_begin(c, &ops);
	for (int i = 0; i < 4; i++)
		for (int k = 0; k <= i && i != 3; k++)	/* o[3]: owned by nobody */
			mt_census_own(cs, o[i], "owner", &owner);
	ok(mt_census_end(cs) == 3, "three discrepancies");
	is_u64(mt_counter_read(R, MT_LEAKED_REFS), 2, "count above owners, and an object nobody owns: leaked_refs");
	is_u64(mt_counter_read(R, MT_MISSING_REFS), 1, "count below owners: missing_refs");

	mt_region_reset(R);
	{
		struct kmem_cache *c2 = kmem_cache_create("t_audit_orphan", sizeof(struct obj),
							  SLAB_POISON, NULL);
		struct obj *a = kmem_cache_zalloc(c2), *b = kmem_cache_zalloc(c2);
		uint64_t leaked = 0;

		refcount_set(&a->ref, 2);	/* one owner: a reference above it */
		refcount_set(&b->ref, 1);	/* no owner */
		cs = mt_census_begin(c2, &ops_orphan);
		mt_census_own(cs, a, "owner", &owner);
		ok(mt_census_end(cs) == 2, "a census whose orphans are lost objects: two discrepancies");
		is_u64(mt_counter_read(R, MT_LEAKED_REFS), 1, "count above owners: leaked_refs");
		is_u64(mt_counter_read(R, MT_LEAKED_OBJECTS), 1, "an object nobody owns: leaked_objects");
		for (uint32_t i = 0; i < R->ncaches && i < MT_MAX_CACHES; i++)
			if (!strcmp(R->caches[i].name, "t_audit_orphan"))
				leaked = R->caches[i].leaked;
		is_u64(leaked, 1, "counted in leaked_objects{t_audit_orphan}");
		kmem_cache_free(c2, a);
		kmem_cache_free(c2, b);
		kmem_cache_destroy(c2);
	}

	mt_region_reset(R);
	{
		struct obj *gone = o[0];

		kmem_cache_free(c, gone);
		cs = mt_census_begin(c, &ops);
		ok(!mt_census_own(cs, gone, "a table", NULL) &&
		   mt_counter_read(R, MT_MISSING_REFS) == 1,
		   "an owner of an object that is not live: missing_refs");
		mt_census_end(cs);
	}

	mt_region_reset(R);
	refcount_set(&o[3]->ref, 0);
	o[3]->linked = true;
	cs = mt_census_begin(c, &ops_partial);
	mt_census_own(cs, o[1], "o", NULL);
	mt_census_own(cs, o[1], "o", NULL);
	mt_census_own(cs, o[1], "o", NULL);
	mt_census_own(cs, o[2], "o", NULL);
	mt_census_own(cs, o[2], "o", NULL);
	ok(mt_census_end(cs) == 0, "a zero count, no owner, still in use: silent");
	o[3]->linked = false;
	cs = mt_census_begin(c, &ops_partial);
	mt_census_own(cs, o[1], "o", NULL);
	mt_census_own(cs, o[1], "o", NULL);
	mt_census_own(cs, o[1], "o", NULL);
	mt_census_own(cs, o[2], "o", NULL);
	mt_census_own(cs, o[2], "o", NULL);
	ok(mt_census_end(cs) == 1 && mt_counter_read(R, MT_LEAKED_REFS) == 1,
	   "a zero count, no owner, used by nothing: leaked_refs");

	for (int i = 1; i < 4; i++)
		kmem_cache_free(c, o[i]);
	kmem_cache_destroy(c);
	rcu_unregister_thread();
	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
