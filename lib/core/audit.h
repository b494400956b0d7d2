/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * audit.h - the refcount audit: at a quiesce point, take the census of a
 * cache's live objects, count the owners that point to each, and compare
 * with each object's reference count.
 *
 *	struct mt_census *cs = mt_census_begin(policy_cache, &policy_census);
 *	for each task:   mt_census_own(cs, task->mempolicy, "task", task);
 *	for each VMA:    mt_census_own(cs, vma->vm_policy, "vma", vma);
 *	mt_census_end(cs);
 *
 * What it reports (the leak detectors of docs/DESIGN.md):
 *  - leaked_refs: a count above the owners found (a live object with no
 *    owner at all is one: nobody will ever put it; or, for a census whose
 *    ops say so, leaked_objects{cache}: the object itself is lost);
 *  - missing_refs: a count below the owners found, and an owner pointing
 *    to an object that is not live (its count reached zero early).
 *
 * It knows nothing of the models' bugs: only counts and owners.
 *
 * Context: a quiesce point: no thread allocates from the cache or holds a
 * transient reference (workers parked, rcu_barrier() done).
 */
#ifndef MT_AUDIT_H
#define MT_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "slab.h"

struct mt_census_ops {
	const char *what;		/* the object's name in reports: "numa_policy" */
	const char *where;		/* the reporter: "mpol_audit" */
	/* The object's reference count (raw: negative when saturated). */
	int (*count)(const void *obj);
	/* Optional: a few words on the object for reports ("mode 2, root 0x..."). */
	void (*describe)(const void *obj, char *buf, size_t len);
	/*
	 * Optional, for objects whose count does not include every user (an
	 * anon_vma counts external references only): with no owner and a
	 * zero count, is the object still in use?  Without it, such an object
	 * is fine; with it, false means nobody holds it: leaked_refs.
	 */
	bool (*in_use)(const void *obj);
	/*
	 * A live object with references and no owner at all: true counts it
	 * in leaked_objects{cache} (nothing can reach it to put it: the
	 * object is lost, whatever its count); false, in leaked_refs.
	 */
	bool orphan_is_leaked_object;
};

struct mt_census;

/* Return: the census, or NULL when out of memory (nothing is audited). */
struct mt_census *mt_census_begin(struct kmem_cache *c, const struct mt_census_ops *ops);
/*
 * mt_census_own - @who (may be NULL), a @kind, owns one reference on @obj
 * (@obj NULL: nothing owned)
 * Return: false if @obj is not a live object of the census (reported).
 */
bool mt_census_own(struct mt_census *cs, const void *obj, const char *kind, const void *who);
/* The number of live objects counted. */
unsigned long mt_census_nr(const struct mt_census *cs);
/* Is @obj one of the live objects counted? */
bool mt_census_live(const struct mt_census *cs, const void *obj);
/* Call @fn on every live object of the census. */
void mt_census_foreach(struct mt_census *cs, void (*fn)(void *obj, void *arg), void *arg);
/* Compare, report, free.  Return: the number of discrepancies reported. */
unsigned long mt_census_end(struct mt_census *cs);

#endif /* MT_AUDIT_H */
