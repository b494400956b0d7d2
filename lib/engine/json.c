// SPDX-License-Identifier: GPL-2.0-only
/*
 * json.c - JSON helpers; see json.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bugs.h"
#include "lib/engine/json.h"
#include "lib/engine/values.h"

json_t *mt_json_string(const char *s)
{
	json_t *j = json_string(s);
	char *c;

	if (j || !(c = strdup(s)))
		return j;
	mt_utf8_scrub(c);
	j = json_string(c);
	free(c);
	return j;
}

const char *mt_json_str(const json_t *o, const char *k, const char *def)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : def;
}

void mt_json_copy(const json_t *o, const char *k, char *dst, size_t len)
{
	snprintf(dst, len, "%s", mt_json_str(o, k, ""));
}

double mt_json_num(const json_t *o, const char *k, double def)
{
	const json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : def;
}

int64_t mt_json_value_int(const json_t *v, int64_t lo, int64_t hi, int64_t def)
{
	double d;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		return i < lo ? lo : i > hi ? hi : (int64_t)i;
	}
	if (!json_is_real(v))
		return def;
	d = json_real_value(v);
	if (d != d)
		return def;
	if (d <= (double)lo)
		return lo;
	if (d >= (double)hi)
		return hi;
	return (int64_t)d;
}

int64_t mt_json_int(const json_t *o, const char *k, int64_t lo, int64_t hi, int64_t def)
{
	return mt_json_value_int(json_object_get(o, k), lo, hi, def);
}

uint64_t mt_json_value_count(const json_t *v, uint64_t max)
{
	int64_t hi = max > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)max;

	return (uint64_t)mt_json_value_int(v, 0, hi, 0);
}

uint64_t mt_json_count(const json_t *o, const char *k, uint64_t max)
{
	return mt_json_value_count(json_object_get(o, k), max);
}

json_t *mt_bugs_json(void)
{
	json_t *a = json_array();
	char fires[128];

	for (int b = 0; b < MT_NBUGS; b++) {
		const struct mt_bug_desc *d = &mt_bug_table[b];

		mt_bug_fires_str(d, fires, sizeof(fires));
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
			"name", d->name, "model", d->model, "seed", d->seed,
			"description", d->desc, "fires", fires,
			"expect", d->expect == MT_EXPECT_NONE ? "clean" : "detect"));
	}
	return a;
}
