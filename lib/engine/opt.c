// SPDX-License-Identifier: GPL-2.0-only
/*
 * opt.c - typed option tables; see opt.h.
 *
 * Each type has one parser and one message: a bad value says what it is
 * not and what would do ("'256' is not a thread count in 1..255"), with
 * the bounds of the row, so that the bounds are written once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/compiler.h"
#include "lib/engine/opt.h"
#include "lib/engine/values.h"

const struct mt_opt *mt_opt_find(const struct mt_opt *table, const char *name)
{
	for (const struct mt_opt *o = table; o && o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

const struct mt_opt *mt_opt_find_arg(const struct mt_opt *table, const char *arg)
{
	for (const struct mt_opt *o = table; o && o->name; o++)
		if (o->arg && !strcmp(o->arg, arg))
			return o;
	return NULL;
}

void mt_opt_choices(const struct mt_opt *o, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; o->choices && o->choices[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", o->choices[i]);
}

void mt_opt_range(const struct mt_opt *o, char *buf, size_t len)
{
	char lo[32], hi[32];

	switch (o->type) {
	case MT_OPT_UINT:
		snprintf(buf, len, "%.0f..%.0f", o->min, o->max);
		return;
	case MT_OPT_DOUBLE:
		snprintf(buf, len, "%g..%g", o->min, o->max);
		return;
	case MT_OPT_TIME:
		mt_format_time((uint64_t)o->min, lo, sizeof(lo));
		mt_format_time((uint64_t)o->max, hi, sizeof(hi));
		snprintf(buf, len, "%s..%s", lo, hi);
		return;
	case MT_OPT_BOOL:
		snprintf(buf, len, "0/1");
		return;
	case MT_OPT_ENUM:
		mt_opt_choices(o, buf, len);
		return;
	case MT_OPT_U64:
		snprintf(buf, len, "0..18446744073709551615");
		return;
	case MT_OPT_STRING:
		snprintf(buf, len, "text, at most %zu characters", o->size - 1);
		return;
	case MT_OPT_CUSTOM:
		snprintf(buf, len, "%s", o->range ? o->range : "");
		return;
	}
	buf[0] = '\0';
}

/* The noun of a bad value's message: the row's own, or the type's. */
static const char *noun(const struct mt_opt *o, const char *by_type)
{
	return o->noun ? o->noun : by_type;
}

static int set_uint(const struct mt_opt *o, void *p, const char *v, char *err, size_t errlen)
{
	uint64_t u = 0;
	char range[64];
	int rc = mt_parse_int_expr(v, &u);

	mt_opt_range(o, range, sizeof(range));
	if (rc == -ERANGE) {
		snprintf(err, errlen, "'%s' overflows 64 bits: %s in %s", v, noun(o, "an integer"),
			 range);
		return -1;
	}
	if (rc || (double)u < o->min || (double)u > o->max) {
		snprintf(err, errlen, "'%s' is not %s in %s", v, noun(o, "an integer"), range);
		return -1;
	}
	if (o->size == sizeof(uint64_t))
		*(uint64_t *)p = u;
	else
		*(unsigned int *)p = (unsigned int)u;
	return 0;
}

static int set_time(const struct mt_opt *o, void *p, const char *v, char *err, size_t errlen)
{
	uint64_t ns;
	char lo[32], hi[32];

	if (!mt_parse_time_ns(v, &ns) && (double)ns >= o->min && (double)ns <= o->max) {
		if (o->size == sizeof(uint32_t))
			*(uint32_t *)p = (uint32_t)ns;	/* a bound of at most 4.29 s */
		else
			*(uint64_t *)p = ns;
		return 0;
	}
	mt_format_time((uint64_t)o->min, lo, sizeof(lo));
	mt_format_time((uint64_t)o->max, hi, sizeof(hi));
	if (o->min > 0)
		snprintf(err, errlen, "'%s' is not %s in %s..%s (ns us ms s m h d)", v,
			 noun(o, "a time"), lo, hi);
	else
		snprintf(err, errlen, "'%s' is not %s up to %s (ns us ms s m h d)", v,
			 noun(o, "a time"), hi);
	return -1;
}

static int set_enum(const struct mt_opt *o, void *p, const char *v, char *err, size_t errlen)
{
	char ch[256];

	for (unsigned int i = 0; o->choices && o->choices[i]; i++)
		if (!strcmp(o->choices[i], v)) {
			*(unsigned int *)p = i;
			return 0;
		}
	mt_opt_choices(o, ch, sizeof(ch));
	if (o->noun)
		snprintf(err, errlen, "'%s' is not %s (%s)", v, o->noun, ch);
	else
		snprintf(err, errlen, "'%s' is not one of %s", v, ch);
	return -1;
}

int mt_opt_set(const struct mt_opt *o, void *base, const char *v, char *err, size_t errlen)
{
	void *p = (char *)base + o->off;
	char range[64];
	uint64_t u;
	double d;
	bool b;
	size_t n;

	switch (o->type) {
	case MT_OPT_UINT:
		return set_uint(o, p, v, err, errlen);
	case MT_OPT_U64:
		if (mt_parse_u64(v, &u)) {
			snprintf(err, errlen, "'%s' is not %s", v,
				 noun(o, "an unsigned 64-bit integer"));
			return -1;
		}
		*(uint64_t *)p = u;
		return 0;
	case MT_OPT_DOUBLE:
		if (mt_parse_double(v, &d) || d < o->min || d > o->max) {
			mt_opt_range(o, range, sizeof(range));
			snprintf(err, errlen, "'%s' is not %s in %s", v, noun(o, "a number"), range);
			return -1;
		}
		*(double *)p = d;
		return 0;
	case MT_OPT_BOOL:
		if (mt_parse_bool(v, &b)) {
			snprintf(err, errlen, "'%s' is not a boolean (0/1, yes/no)", v);
			return -1;
		}
		*(bool *)p = b;
		return 0;
	case MT_OPT_TIME:
		return set_time(o, p, v, err, errlen);
	case MT_OPT_STRING:
		n = strlen(v);
		if (n >= o->size) {
			snprintf(err, errlen, "'%.24s...' is longer than %zu characters", v, o->size - 1);
			return -1;
		}
		if (!n && (o->flags & MT_OPT_NONEMPTY)) {
			snprintf(err, errlen, "empty: give %s", noun(o, "a value"));
			return -1;
		}
		memcpy(p, v, n + 1);
		return 0;
	case MT_OPT_ENUM:
		return set_enum(o, p, v, err, errlen);
	case MT_OPT_CUSTOM:
		return o->parse(o, base, v, err, errlen);
	}
	snprintf(err, errlen, "unknown option type");
	return -1;
}

int mt_opt_defaults(const struct mt_opt *table, void *base, char *err, size_t errlen)
{
	char e[256];

	for (const struct mt_opt *o = table; o && o->name; o++)
		if (o->def && mt_opt_set(o, base, o->def, e, sizeof(e))) {
			snprintf(err, errlen, "the default of %s: %s", o->name, e);
			return -1;
		}
	return 0;
}

/*
 * A man page's text: roff escapes for the backslash, the minus and the
 * double quote, and for a leading dot or quote, which roff would read as
 * a request.  @n: at most this many bytes of @s.  Return: the bytes written.
 */
static size_t roff_n(FILE *f, const char *s, size_t n)
{
	size_t out = 0;

	if (n && (*s == '.' || *s == '\''))
		out += (size_t)fprintf(f, "\\&");
	for (size_t i = 0; i < n && s[i]; i++) {
		if (s[i] == '\\')
			out += (size_t)fprintf(f, "\\e");
		else if (s[i] == '-')
			out += (size_t)fprintf(f, "\\-");
		else if (s[i] == '"')
			out += (size_t)fprintf(f, "\\(dq");
		else
			out += fputc(s[i], f) != EOF;
	}
	return out;
}

static void roff(FILE *f, const char *s)
{
	roff_n(f, s, strlen(s));
}

void mt_opt_roff(FILE *f, const char *text)
{
	size_t col = 0;

	for (const char *p = text; *p;) {
		size_t w;

		while (*p == ' ')
			p++;
		w = strcspn(p, " ");
		if (!w)
			break;
		if (col && col + 1 + w > 72) {
			fputc('\n', f);
			col = 0;
		} else if (col) {
			fputc(' ', f);
			col++;
		}
		col += roff_n(f, p, w);
		p += w;
	}
}

/* .TP, then the tag line .BI "BOLD" "ITALIC", then the help and the default. */
static void man_row(FILE *f, const char *bold, const char *italic, const struct mt_opt *o,
		    const char *range)
{
	char text[1024];

	fputs(".TP\n.BI \"", f);
	roff(f, bold);
	fputs("\" \"", f);
	roff(f, italic);
	fputs("\"\n", f);
	if (o->type == MT_OPT_ENUM)
		snprintf(text, sizeof(text), "%s: one of %s.", o->help, range);
	else if (range[0] && o->type != MT_OPT_STRING && strcmp(range, italic))
		snprintf(text, sizeof(text), "%s (%s).", o->help, range);
	else
		snprintf(text, sizeof(text), "%s.", o->help);
	mt_opt_roff(f, text);
	if (o->def && *o->def) {
		fputs("\nDefault: \\fB", f);
		roff(f, o->def);
		fputs("\\fR.", f);
	}
	fputc('\n', f);
}

/* What a man page shows a key to take: the metavar, or by type. */
static const char *man_value(const struct mt_opt *o, const char *range)
{
	switch (o->type) {
	case MT_OPT_UINT: return "N";
	case MT_OPT_U64: return "N";
	case MT_OPT_DOUBLE: return "X";
	case MT_OPT_BOOL: return "0|1";
	case MT_OPT_TIME: return "TIME";
	case MT_OPT_STRING: return o->metavar ? o->metavar : "TEXT";
	case MT_OPT_ENUM: return "NAME";
	case MT_OPT_CUSTOM: return range[0] ? range : "VALUE";
	}
	return "VALUE";
}

void mt_opt_print(const struct mt_opt *table, enum mt_opt_style style, FILE *f)
{
	for (const struct mt_opt *o = table; o && o->name; o++) {
		char range[256], left[64];

		mt_opt_range(o, range, sizeof(range));
		switch (style) {
		case MT_OPT_STYLE_KEYS:
			if (o->flags & MT_OPT_CLI_ONLY)
				continue;
			fprintf(f, "  %-18s default %-8s %s", o->name, o->def && *o->def ? o->def : "-",
				o->help);
			if (o->type == MT_OPT_ENUM)
				fprintf(f, " (one of: %s)\n", range);
			else
				fprintf(f, range[0] && o->type != MT_OPT_STRING ? " (%s)\n" : "\n", range);
			break;
		case MT_OPT_STYLE_ARGS:
			if (!o->arg)
				continue;
			snprintf(left, sizeof(left), "--%s %s", o->arg, o->metavar ? o->metavar : "VALUE");
			fprintf(f, "  %-22s %s", left, o->help);
			if (o->def && *o->def)
				fprintf(f, " (default %s)", o->def);
			fputc('\n', f);
			break;
		case MT_OPT_STYLE_MAN:
			if (o->flags & MT_OPT_CLI_ONLY)
				continue;
			snprintf(left, sizeof(left), "%s=", o->name);
			man_row(f, left, man_value(o, range), o, range);
			break;
		case MT_OPT_STYLE_MAN_ARGS:
			if (!o->arg)
				continue;
			snprintf(left, sizeof(left), "--%s ", o->arg);
			man_row(f, left, o->metavar ? o->metavar : "VALUE", o, range);
			break;
		}
	}
}
