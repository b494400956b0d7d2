/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * json.h - the JSON helpers every JSON writer and reader of mmtorture
 * uses (jansson): strings that are never refused, getters with defaults,
 * and the bug catalogue as JSON.
 *
 * Context: any thread (jansson objects are the caller's).
 */
#ifndef MT_JSON_H
#define MT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/*
 * mt_json_string - a JSON string of @s, its bytes that are not UTF-8 (a
 * path, a text cut short) made '?': jansson refuses them.  NULL only when
 * out of memory.
 */
json_t *mt_json_string(const char *s);
/* The string member @k of @o, or @def when there is none. */
const char *mt_json_str(const json_t *o, const char *k, const char *def);
/* The same, copied into @dst of @len bytes ("" when there is none). */
void mt_json_copy(const json_t *o, const char *k, char *dst, size_t len);
/* The number member @k of @o (integer or real), or @def. */
double mt_json_num(const json_t *o, const char *k, double def);
/*
 * A number of a file that may have been tampered with, as an integer:
 * @v (a value) or member @k of @o, clamped to @lo..@hi; @def when it is
 * not a number (NaN included).  Never an out-of-range conversion.
 */
int64_t mt_json_value_int(const json_t *v, int64_t lo, int64_t hi, int64_t def);
int64_t mt_json_int(const json_t *o, const char *k, int64_t lo, int64_t hi, int64_t def);
/* A count: member @k of @o, 0..@max (and 0 when it is not a number). */
uint64_t mt_json_count(const json_t *o, const char *k, uint64_t max);
uint64_t mt_json_value_count(const json_t *v, uint64_t max);

/* The catalogue of injectable bugs: [{name, model, seed, description, fires, expect}]. */
json_t *mt_bugs_json(void);

#endif /* MT_JSON_H */
