// SPDX-License-Identifier: GPL-2.0-only
/*
 * access.c - the check behind every checked load (access.h): a detector
 * that knows the slab's headers and nothing else.
 */
#include "access.h"

#ifndef MT_NO_CHECKS

bool __obj_access(const void *obj, const struct kmem_cache *c, bool any, const char *where)
{
	/* any: a pseudo-object on the stack, a static default, is not checked */
	return (any ? __obj_check_any(obj, c, where) : __obj_check(obj, c, where)) != OBJ_BAD;
}

bool __obj_access_gen(const void *obj, const struct kmem_cache *c, uint32_t gen,
		      const char *where)
{
	return __obj_check_gen(obj, c, gen, where) != OBJ_BAD;
}
#endif
