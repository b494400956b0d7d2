/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * opt.h - typed option tables: one row per option, with its type, where
 * it lives in the struct the table describes, its bounds, default and
 * help.  Workload options, job keys, and the daemon's config file and
 * command line are all such tables (fio's struct fio_option is the
 * model), so that every value is parsed, bounded and reported in one
 * place, and `mmtorture workloads`, `check` and `--help` print from the
 * same rows.
 *
 *	static const struct mt_opt null_opts[] = {
 *		MT_OPT(struct null_opts, objects, MT_OPT_UINT, 1, 65536, "64",
 *		       "slots, each owning one refcounted object"),
 *		MT_OPT_CHOICE(struct null_opts, crash, null_crashes, "none",
 *			      "kill the job process with that signal"),
 *		{ .name = NULL },
 *	};
 *
 * Integers (MT_OPT_UINT) may be expressions (values.h); times are written
 * with suffixes and kept in nanoseconds.
 */
#ifndef MT_OPT_H
#define MT_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

enum mt_opt_type {
	MT_OPT_UINT,		/* unsigned int: an integer expression, bounds inclusive */
	MT_OPT_U64,		/* uint64_t: one number (decimal, 0x hex), bounds ignored */
	MT_OPT_DOUBLE,		/* double, bounds inclusive */
	MT_OPT_BOOL,		/* bool: 0/1, yes/no, true/false, on/off */
	MT_OPT_TIME,		/* uint64_t ns; 10ms, 2s, 1m; bounds in ns */
	MT_OPT_STRING,		/* char[size] */
	MT_OPT_ENUM,		/* unsigned int: the index of the value in choices */
	MT_OPT_CUSTOM,		/* ->parse does it */
};

struct mt_opt;

/* A parser of a custom option.  Return: 0, or -1 with a message in @err. */
typedef int (*mt_opt_parse_fn)(const struct mt_opt *o, void *base, const char *value,
			       char *err, size_t errlen);

struct mt_opt {
	const char *name;	/* as a job or config file writes it */
	enum mt_opt_type type;
	size_t off;		/* the field, in the struct the table describes */
	size_t size;		/* MT_OPT_STRING: the buffer's size */
	double min, max;	/* numbers, times (ns) */
	const char *def;	/* the default, as a file would write it; NULL: zero */
	const char *help;
	const char *noun;	/* "a thread count": what a bad value is not; NULL: by type */
	const char *const *choices;	/* MT_OPT_ENUM: the values, NULL-terminated */
	mt_opt_parse_fn parse;	/* MT_OPT_CUSTOM */
	const char *range;	/* MT_OPT_CUSTOM: its values, for help ("role:weight,...") */
	const char *arg;	/* the long command-line option ("max-parallel"), or NULL */
	const char *metavar;	/* its argument in --help: "N", "DIR" */
	unsigned int flags;
};

#define MT_OPT_NONEMPTY	0x1	/* MT_OPT_STRING: may not be empty */
#define MT_OPT_CLI_ONLY	0x2	/* on the command line only, not in a file */

#define MT_OPT_NAMED(nm, st, field, typ, lo, hi, dflt, hlp) \
	{ .name = (nm), .type = (typ), .off = offsetof(st, field), \
	  .size = sizeof(((st *)0)->field), \
	  .min = (lo), .max = (hi), .def = (dflt), .help = (hlp) }
#define MT_OPT(st, field, typ, lo, hi, dflt, hlp) \
	MT_OPT_NAMED(#field, st, field, typ, lo, hi, dflt, hlp)
/* One value of a fixed set, checked when the file is read. */
#define MT_OPT_CHOICE(st, field, chs, dflt, hlp) \
	{ .name = #field, .type = MT_OPT_ENUM, .off = offsetof(st, field), \
	  .size = sizeof(((st *)0)->field), .def = (dflt), .help = (hlp), .choices = (chs) }

/* The row named @name in @table (terminated by { NULL }), or NULL. */
const struct mt_opt *mt_opt_find(const struct mt_opt *table, const char *name);
/* The row whose command-line option is @arg, or NULL. */
const struct mt_opt *mt_opt_find_arg(const struct mt_opt *table, const char *arg);

/**
 * mt_opt_set - parse @value into @o's field of @base
 *
 * Context: any.  The value is taken whole (blanks around it trimmed by the
 * reader); a bad one leaves the field as it was.
 * Return: 0, or -1 with "'value' is not a thread count in 1..255" (or
 * the like) in @err.
 */
int mt_opt_set(const struct mt_opt *o, void *base, const char *value, char *err,
	       size_t errlen);
/* Set every field of @table in @base to its default.  Return: 0, or -1 with @err. */
int mt_opt_defaults(const struct mt_opt *table, void *base, char *err, size_t errlen);

/* What @o takes, for help and messages: "1..255", "0..1", "memb, qsbr, mb, bp". */
void mt_opt_range(const struct mt_opt *o, char *buf, size_t len);
/* The choices of an enum option, "none, segv, abort, bus". */
void mt_opt_choices(const struct mt_opt *o, char *buf, size_t len);

enum mt_opt_style {
	MT_OPT_STYLE_KEYS,	/* "  name       default  help (range)" */
	MT_OPT_STYLE_ARGS,	/* "  --arg N    help (default)", command-line rows only */
	MT_OPT_STYLE_MAN,	/* roff: .TP, name=range in bold and italics, help, default */
	MT_OPT_STYLE_MAN_ARGS,	/* roff: .TP, --arg METAVAR, help, default; command-line rows */
};
/*
 * Print @table in @style: the rows of a --help, `mmtorture workloads` or a
 * man page (the man pages' option sections are made from these rows at
 * build time, so that they say what the program does).
 */
void mt_opt_print(const struct mt_opt *table, enum mt_opt_style style, FILE *f);

/* @text as man page text: escaped for roff, in lines of at most about 72 bytes. */
void mt_opt_roff(FILE *f, const char *text);

#endif /* MT_OPT_H */
