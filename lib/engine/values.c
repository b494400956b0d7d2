// SPDX-License-Identifier: GPL-2.0-only
/*
 * values.c - values as job and config files write them; see values.h.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/compiler.h"
#include "lib/engine/values.h"

int mt_parse_time_ns(const char *s, uint64_t *ns)
{
	static const struct { const char *sfx; double mul; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
		{ "m", 60e9 }, { "h", 3600e9 }, { "d", 86400e9 }, { "", 1e9 },
	};
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isfinite(v))
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	for (unsigned int i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(end, units[i].sfx)) {
			double x = v * units[i].mul;

			if (x > 1.8e19)
				return -ERANGE;
			*ns = (uint64_t)llround(x);
			return 0;
		}
	return -EINVAL;
}

int mt_parse_bool(const char *s, bool *b)
{
	if (!strcmp(s, "1") || !strcasecmp(s, "yes") || !strcasecmp(s, "true") ||
	    !strcasecmp(s, "on")) {
		*b = true;
		return 0;
	}
	if (!strcmp(s, "0") || !strcasecmp(s, "no") || !strcasecmp(s, "false") ||
	    !strcasecmp(s, "off")) {
		*b = false;
		return 0;
	}
	return -EINVAL;
}

int mt_parse_double(const char *s, double *d)
{
	char *end;

	errno = 0;
	*d = strtod(s, &end);
	if (end == s || errno || !isfinite(*d))
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	return *end ? -EINVAL : 0;
}

int mt_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s == '-')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (end == s)
		return -EINVAL;
	if (errno)
		return -ERANGE;
	while (isspace((unsigned char)*end))
		end++;
	return *end ? -EINVAL : 0;
}

/*
 * Integer expressions: + - * / and parentheses over unsigned numbers, in
 * signed 64-bit arithmetic where every step is checked: a value that
 * leaves the range is an overflow, never a wrapped result.
 */
struct expr {
	const char *p;
	int err;		/* 0, -EINVAL (syntax, division by zero), -ERANGE */
	int depth;
};

#define EXPR_MAX_DEPTH	64	/* nested parentheses */

static int64_t expr_sum(struct expr *e);

static void expr_ws(struct expr *e)
{
	while (isspace((unsigned char)*e->p))
		e->p++;
}

static void expr_fail(struct expr *e, int err)
{
	if (!e->err)
		e->err = err;
}

static int64_t expr_atom(struct expr *e)
{
	int64_t v = 0;

	expr_ws(e);
	if (*e->p == '(') {
		if (++e->depth > EXPR_MAX_DEPTH) {
			expr_fail(e, -EINVAL);
			return 0;
		}
		e->p++;
		v = expr_sum(e);
		expr_ws(e);
		if (*e->p != ')')
			expr_fail(e, -EINVAL);
		else
			e->p++;
		e->depth--;
		return v;
	}
	if (!isdigit((unsigned char)*e->p)) {
		expr_fail(e, -EINVAL);
		return 0;
	}
	for (; isdigit((unsigned char)*e->p); e->p++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *e->p - '0', &v))
			expr_fail(e, -ERANGE);
	return v;
}

static int64_t expr_prod(struct expr *e)
{
	int64_t v = expr_atom(e);

	while (!e->err) {
		int64_t r;
		char op;

		expr_ws(e);
		op = *e->p;
		if (op != '*' && op != '/')
			break;
		e->p++;
		r = expr_atom(e);
		if (op == '*' && __builtin_mul_overflow(v, r, &v))
			expr_fail(e, -ERANGE);
		else if (op == '/' && !r)
			expr_fail(e, -EINVAL);
		else if (op == '/')
			v /= r;		/* |v| < INT64_MAX: no INT64_MIN / -1 */
	}
	return v;
}

static int64_t expr_sum(struct expr *e)
{
	int64_t v = expr_prod(e);

	while (!e->err) {
		int64_t r;
		char op;

		expr_ws(e);
		op = *e->p;
		if (op != '+' && op != '-')
			break;
		e->p++;
		r = expr_prod(e);
		if (op == '+' ? __builtin_add_overflow(v, r, &v) : __builtin_sub_overflow(v, r, &v))
			expr_fail(e, -ERANGE);
	}
	return v;
}

int mt_parse_int_expr(const char *s, uint64_t *out)
{
	struct expr e = { s, 0, 0 };
	int64_t v = expr_sum(&e);

	expr_ws(&e);
	if (!e.err && (*e.p || v < 0))
		e.err = -EINVAL;
	if (e.err)
		return e.err;
	*out = (uint64_t)v;
	return 0;
}

void mt_format_time(uint64_t ns, char *buf, size_t len)
{
	if (ns && ns % 86400000000000ull == 0)
		snprintf(buf, len, "%llud", (unsigned long long)(ns / 86400000000000ull));
	else if (ns && ns % 3600000000000ull == 0)
		snprintf(buf, len, "%lluh", (unsigned long long)(ns / 3600000000000ull));
	else if (ns && ns % 60000000000ull == 0)
		snprintf(buf, len, "%llum", (unsigned long long)(ns / 60000000000ull));
	else if (ns % 1000000000ull == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ns / 1000000000ull));
	else if (ns % 1000000ull == 0)
		snprintf(buf, len, "%llums", (unsigned long long)(ns / 1000000ull));
	else if (ns % 1000ull == 0)
		snprintf(buf, len, "%lluus", (unsigned long long)(ns / 1000ull));
	else
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
}

size_t mt_utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t mt_utf8_valid_prefix(const char *s, size_t len)
{
	size_t i = 0, k;

	while (i < len && (k = mt_utf8_seq((const unsigned char *)s + i, len - i)))
		i += k;
	return i;
}

void mt_utf8_scrub(char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; ) {
		size_t k = mt_utf8_seq((const unsigned char *)s + i, n - i);

		if (!k) {
			s[i] = '?';
			k = 1;
		}
		i += k;
	}
}

void mt_strcpy_text(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src), ok;

	if (!size)
		return;
	if (n > size - 1)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	/* invalid bytes become '?'; a character cut short at the end goes */
	for (size_t i = 0; i < n; i += ok + 1) {
		ok = mt_utf8_valid_prefix(dst + i, n - i);
		if (i + ok == n)
			break;
		if (n - (i + ok) < 4 && (unsigned char)dst[i + ok] >= 0xc2 &&
		    mt_utf8_valid_prefix(src + i + ok, strlen(src + i + ok)) > n - (i + ok)) {
			dst[i + ok] = '\0';	/* whole in @src, cut by the size */
			n = i + ok;
			break;
		}
		dst[i + ok] = '?';
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?';
}
