/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * access.h - checked loads: the check KASAN puts on every load from the
 * heap, for the objects the models share between threads.
 *
 * A model reads a field of an object another thread may free -- a
 * policy, a VMA, a file, an anon_vma, a page -- through one of these
 * instead of a plain load:
 *
 *	mode = obj_read(pol, policy_cache, mode);
 *
 * The field is loaded first (READ_ONCE()), and then the object is
 * checked (slab.h's obj_check(): the page still the cache's, the object
 * live, or free but typesafe): a load that raced with the free is caught
 * as well as one that came after it.  A bad access is counted where it
 * happened (use_after_free, type_confusion; stale_object for a changed
 * generation with obj_read_gen()), and the reader gets the field as zero
 * -- a NULL pointer, a zero count -- never the poison, so that it goes on
 * and bails out where a NULL would make it bail, as a kernel with KASAN
 * in multi-shot mode goes on after its report.  Nothing here knows a bug
 * of the catalogue: it checks what it is given, at every use.
 *
 *  obj_read(o, c, f)       a scalar field of an object of cache @c
 *  obj_copy(o, c, f)       an aggregate field (a nodemask), copied whole
 *  obj_read_any(o, c, f)   the same, for a pointer that may also be to
 *                          memory that is no slab object at all (an
 *                          on-stack pseudo-VMA, a static default): such
 *                          memory is not checked
 *  obj_read_gen(o, c, g, f)  a typesafe object reached through a handle
 *                          that recorded its generation @g
 *  obj_access(o, c)        the check alone, before a use that is not a
 *                          load of one field (a walk, a lock, a put)
 *
 * rcu_dereference_sync(p) is rcu_dereference() as a generic sync point
 * ("sync-rcu-dereference", inject.h): the reader may be delayed between
 * loading an RCU-protected pointer and using it.
 *
 * Context: any; obj_check() reads the slab's page and object headers
 * only, without a lock.
 */
#ifndef MT_ACCESS_H
#define MT_ACCESS_H

#include <string.h>

#include "compiler.h"
#include "inject.h"
#include "rcu.h"
#include "slab.h"

#ifndef MT_NO_CHECKS
/*
 * __obj_access - may @obj, expected to be an object of @c, be used now?
 * @any: memory that is not slab memory at all is not checked (true)
 * Return: true if live (or free in a typesafe cache); false if the access
 * was bad, which is then counted where it happened.
 */
static inline bool __obj_access(const void *obj, const struct kmem_cache *c, bool any,
				const char *where)
{
	return (any ? __obj_check_any(obj, c, where) : __obj_check(obj, c, where)) != OBJ_BAD;
}

/* The same, and the object must still have generation @gen. */
static inline bool __obj_access_gen(const void *obj, const struct kmem_cache *c, uint32_t gen,
				    const char *where)
{
	return __obj_check_gen(obj, c, gen, where) != OBJ_BAD;
}
#else
/* The benchmark's build without the checks (Makefile CHECKS=0): every use is allowed. */
#define __obj_access(o, c, any, where)		((void)(o), (void)(c), true)
#define __obj_access_gen(o, c, gen, where)	((void)(o), (void)(c), (void)(gen), true)
#endif

#define obj_access(o, c)	__obj_access((o), (c), false, __func__)
#define obj_access_any(o, c)	__obj_access((o), (c), true, __func__)

/* Unique local names, so that checked loads nest (a load in the index of another). */
#define __ACC_CAT2(a, b)	a##b
#define __ACC_CAT(a, b)		__ACC_CAT2(a, b)
#define __ACC_O(u)		__ACC_CAT(__acc_o, u)
#define __ACC_V(u)		__ACC_CAT(__acc_v, u)

/* Load @field of @o into V, then run @check (an expression on O): zero V if it fails. */
#define __obj_checked_load(o, field, check, O, V) ({			\
	__auto_type O = (o);						\
	__auto_type V = READ_ONCE(O->field);				\
	if (unlikely(!(check)))						\
		memset(&V, 0, sizeof(V));				\
	V;								\
})
#define __obj_read(o, c, any, field, u)					\
	__obj_checked_load(o, field, __obj_access(__ACC_O(u), (c), (any), __func__), \
			   __ACC_O(u), __ACC_V(u))
#define obj_read(o, c, field)		__obj_read((o), (c), false, field, __COUNTER__)
#define obj_read_any(o, c, field)	__obj_read((o), (c), true, field, __COUNTER__)
#define __obj_read_gen(o, c, gen, field, u)				\
	__obj_checked_load(o, field, __obj_access_gen(__ACC_O(u), (c), (gen), __func__), \
			   __ACC_O(u), __ACC_V(u))
#define obj_read_gen(o, c, gen, field)	__obj_read_gen((o), (c), (gen), field, __COUNTER__)

/* An aggregate field: a plain copy, then the check. */
#define __obj_copy_u(o, c, any, field, O, V) ({				\
	__auto_type O = (o);						\
	__auto_type V = O->field;					\
	barrier();							\
	if (unlikely(!__obj_access(O, (c), (any), __func__)))		\
		memset(&V, 0, sizeof(V));				\
	V;								\
})
#define __obj_copy(o, c, any, field, u)					\
	__obj_copy_u(o, c, any, field, __ACC_O(u), __ACC_V(u))
#define obj_copy(o, c, field)		__obj_copy((o), (c), false, field, __COUNTER__)
#define obj_copy_any(o, c, field)	__obj_copy((o), (c), true, field, __COUNTER__)

#define rcu_dereference_sync(p) ({					\
	__auto_type __rd_p = rcu_dereference(p);			\
	race_window("sync-rcu-dereference");				\
	__rd_p;								\
})

#endif /* MT_ACCESS_H */
