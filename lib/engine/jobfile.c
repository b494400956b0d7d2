// SPDX-License-Identifier: GPL-2.0-only
/*
 * jobfile.c - job files, read with libinih; see jobfile.h.
 *
 * Line numbers.  libinih's handler is not told the line it is called for
 * (Debian's build has INI_HANDLER_LINENO off), so the file is fed through
 * ini_parse_stream() with a reader of our own: it hands libinih one line
 * at a time and remembers which line that was, and it also sees section
 * headers as they go by, so that sections without keys still make jobs
 * and a [global] repeated later applies only to the jobs after it (fio's
 * rule).  Lines are read whole (getline) and handed on in pieces no
 * longer than libinih's buffer, which grows (ini_allow_realloc) up to
 * ini_max_line; a line that would not fit there is refused here with its
 * file:line, so no line is ever split into two.
 *
 * The reader also refuses what libinih would take apart silently: text
 * that is not UTF-8 (it would reach metrics.json and metrics.prom), NUL
 * bytes, and files so big that parsing them would take long (more than
 * MT_MAX_JOBS job sections, or MT_JOBFILE_MAX_KEYS keys: it stops there).
 * A UTF-8 byte order mark at the start of the file is dropped.  The lines
 * it reports are remembered, so that what follows from them is not
 * reported again: a key on such a line is not checked, a job whose
 * workload= may have been on a dropped line is not said to lack one, and
 * a key given twice around a dropped line (a lost section header) is not
 * called a duplicate.
 *
 * Parsing is two passes: the first collects every key=value with its
 * line, the second builds each job — workload first, so that the
 * workload's own options can be checked — and reports every problem.  A
 * key may be given once per section.  The checks across keys (placement,
 * bugs against the workload's models, expect=detect) point at the line of
 * the key they are about, or at the job's line when that key comes from
 * a [global] (and then name the [global]'s line); each runs unless a key
 * it reads was refused, so one bad key does not hide the others.
 * A [global] key that no job took (it follows the last job, or it is an
 * option of a workload no later job runs) is still checked on its own:
 * against the job keys, or against every workload that has such an
 * option.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/engine/jobfile.h"
#include "lib/engine/options.h"
#include "lib/engine/placement.h"

const struct mt_job_key mt_job_keys[] = {
	{ "workload", "the workload: see `mmtorture workloads`" },
	{ "threads", "worker threads, 1..255 ($ncpus, $nodes and + - * / allowed)" },
	{ "runtime", "how long to run: 30s, 5m, 2h, 1d; 0 = until cancelled" },
	{ "rcu", "RCU flavor: memb, qsbr, mb or bp" },
	{ "seed", "PRNG seed; 0 = draw one (it is printed with the results)" },
	{ "delay", "probability of a delay at each race window pass, 0..1" },
	{ "sync_delay", "probability of a delay at each generic sync point (lock release, end of an RCU read side), 0..1; default delay/10" },
	{ "delay_mode", "spin, yield, sleep or mix" },
	{ "delay_max", "longest delay, 0..1s" },
	{ "windows", "comma list of race windows where delays apply (default: all)" },
	{ "alloc_fail", "probability that a slab allocation fails, 0..1" },
	{ "fail_nth", "each worker's Nth slab allocation fails, once; 0 = off" },
	{ "audit_interval", "refcount audit at a quiesce point this often; 0 = at the end only" },
	{ "stutter", "park and restart all workers together this often; 0 = off" },
	{ "nodes", "NUMA nodes for the threads: all, 0, 0-1, 0,2" },
	{ "cpus", "PUs allowed: a list like 0-3,8; empty = all of the nodes" },
	{ "mix", "role weights: role:weight,... (default: the workload's)" },
	{ "bugs", "injected bugs, comma list of names from `mmtorture bugs`" },
	{ "expect", "clean (no race, no leak) or detect (the bugs must be caught)" },
	{ "stop_on_detect", "a detect job ends at its first detection (default 1)" },
	{ "hang_timeout", "a job without progress this long, or running this long past its runtime or its cancel, is killed as hung (default 60s; 0 = never)" },
	{ .name = NULL },
};
_Static_assert(MT_MAX_THREADS == 255, "the help of threads= says 1..255");

#define NJOBKEYS	((int)ARRAY_SIZE(mt_job_keys) - 1)

struct kv {
	char *key;
	char *value;
	int line;
	bool applied;		/* a [global] key some job took */
};

struct section {
	char name[MT_JOB_NAME_LEN];
	int line;
	bool global;
	int nglobals_before;	/* global kvs defined before this job */
	struct kv *kv;
	int nkv, cap;
};

/* A line the reader reported: @dropped when libinih did not get it. */
struct badline {
	int line;
	bool dropped;
};

struct parse {
	const char *file;
	FILE *in;		/* or: */
	const char *text;	/* when parsing a string */
	char *line;		/* the current line, read whole */
	size_t linecap;
	size_t off;		/* how much of it libinih has had */
	ssize_t len;
	int lineno;		/* the line being handed out */
	bool stopped;		/* too big: the rest is not read */
	bool eof;		/* the input is over: the reader returns NULL from now on */
	int read_errno;		/* reading the file failed: why */
	struct badline *bad;	/* lines reported while reading, in order */
	int nbad, capbad;
	int njobsec, nglobsec, nkeys;
	struct section *sec;
	int nsec, capsec;
	struct kv *globals;	/* every kv of every [global], in order */
	int nglobals, capglobals;
	struct mt_errors *err;
	struct mt_topology *topo;
};

void mt_errors_add(struct mt_errors *e, const char *fmt, ...)
{
	char msg[sizeof(e->msg[0])];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* a [global] key is applied to every job: say its problem once */
	for (int i = 0; i < e->n && i < (int)ARRAY_SIZE(e->msg); i++)
		if (!strcmp(e->msg[i], msg))
			return;
	if (e->n < (int)ARRAY_SIZE(e->msg))
		memcpy(e->msg[e->n], msg, sizeof(msg));
	e->n++;
}

void mt_errors_print(const struct mt_errors *e, FILE *f)
{
	int shown = e->n < (int)ARRAY_SIZE(e->msg) ? e->n : (int)ARRAY_SIZE(e->msg);

	for (int i = 0; i < shown; i++)
		fprintf(f, "%s\n", e->msg[i]);
	if (e->n > shown)
		fprintf(f, "... and %d more\n", e->n - shown);
}

static void *grow(void *p, int *cap, int need, size_t size)
{
	if (need <= *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	if (*cap < need)
		*cap = need;
	return realloc(p, (size_t)*cap * size);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Stop reading: the file is too big to be a job file. */
static void stop_reading(struct parse *ps, const char *what, int max)
{
	mt_errors_add(ps->err, "%s:%d: more than %d %s: a job file holds at most %d; the rest is not read",
		      ps->file, ps->lineno, max, what, max);
	ps->stopped = true;
}

/* Remember that the line being read was reported; @dropped: libinih does not get it. */
static void note_bad_line(struct parse *ps, bool dropped)
{
	struct badline *b = ps->nbad ? &ps->bad[ps->nbad - 1] : NULL;

	if (b && b->line == ps->lineno) {
		b->dropped |= dropped;
		return;
	}
	ps->bad = grow(ps->bad, &ps->capbad, ps->nbad + 1, sizeof(*ps->bad));
	ps->bad[ps->nbad++] = (struct badline){ .line = ps->lineno, .dropped = dropped };
}

/* The index of the first reported line at or after @line (they are in order). */
static int bad_line_from(const struct parse *ps, int line)
{
	int lo = 0, hi = ps->nbad;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (ps->bad[mid].line < line)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Was @line reported already?  Then a problem of its key follows from that one. */
static bool line_reported(const struct parse *ps, int line)
{
	int i = bad_line_from(ps, line);

	return i < ps->nbad && ps->bad[i].line == line;
}

/* Was a line in @from..@to dropped (it may have held a section header or a key)? */
static bool dropped_in(const struct parse *ps, int from, int to)
{
	for (int i = bad_line_from(ps, from); i < ps->nbad && ps->bad[i].line <= to; i++)
		if (ps->bad[i].dropped)
			return true;
	return false;
}

/* A section header seen by the reader: every section is recorded here. */
static void note_section(struct parse *ps, const char *line)
{
	char buf[256], *name, *end;
	struct section *s;
	bool global;

	snprintf(buf, sizeof(buf), "%s", line);
	name = trim(buf);
	if (*name != '[')
		return;
	end = strchr(name, ']');
	if (!end)
		return;		/* libinih reports it */
	*end = '\0';
	name = trim(name + 1);
	global = !strcmp(name, "global");
	if (global ? ++ps->nglobsec > MT_MAX_JOBS : ++ps->njobsec > MT_MAX_JOBS) {
		stop_reading(ps, global ? "[global] sections" : "jobs", MT_MAX_JOBS);
		return;
	}
	ps->sec = grow(ps->sec, &ps->capsec, ps->nsec + 1, sizeof(*ps->sec));
	s = &ps->sec[ps->nsec++];
	memset(s, 0, sizeof(*s));
	if (strlen(name) >= sizeof(s->name))
		mt_errors_add(ps->err, "%s:%d: section name '%.*s...' is longer than %d characters",
			      ps->file, ps->lineno, MT_JOB_NAME_LEN, name, MT_JOB_NAME_LEN - 1);
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->line = ps->lineno;
	s->global = global;
	s->nglobals_before = ps->nglobals;
	if (!s->global && !*name)
		mt_errors_add(ps->err, "%s:%d: a job section needs a name", ps->file, ps->lineno);
	/* at most MT_MAX_JOBS sections: bounded */
	for (int i = 0; i < ps->nsec - 1 && !s->global; i++)
		if (!strcmp(ps->sec[i].name, s->name))
			mt_errors_add(ps->err, "%s:%d: job '%s' is already defined at line %d",
				      ps->file, ps->lineno, s->name, ps->sec[i].line);
}

/*
 * The next line, whole, in ps->line.  At the end of the input, false, and
 * false again at every call after it: libinih may ask once more after a
 * NULL (a last line that filled its buffer exactly), and the line it had
 * last must not be handed out again.
 */
static bool next_line(struct parse *ps)
{
	if (ps->eof)
		return false;
	if (ps->in) {
		ssize_t n;

		errno = 0;
		n = getline(&ps->line, &ps->linecap, ps->in);
		if (n < 0) {
			if (ferror(ps->in))
				ps->read_errno = errno ? errno : EIO;
			ps->eof = true;
			return false;
		}
		ps->len = n;
		return true;
	}
	if (!*ps->text) {
		ps->eof = true;
		return false;
	}
	{
		const char *nl = strchr(ps->text, '\n');
		size_t n = nl ? (size_t)(nl - ps->text + 1) : strlen(ps->text);

		if (n + 2 > ps->linecap) {
			ps->linecap = n + 2;
			ps->line = realloc(ps->line, ps->linecap);
		}
		memcpy(ps->line, ps->text, n);
		ps->line[n] = '\0';
		ps->len = (ssize_t)n;
		ps->text += n;
	}
	return true;
}

/* The first of @chars in @s before an inline comment (" ;"), or NULL. */
static const char *syntax_char(const char *s, const char *chars)
{
	bool was_space = false;

	for (const char *c = s; *c; c++) {
		if (strchr(chars, *c))
			return c;
		if (*c == ';' && was_space)
			return NULL;
		was_space = isspace((unsigned char)*c);
	}
	return NULL;
}

/*
 * Check the line just read; a line that fails is reported and replaced
 * by an empty one (bytes that are not UTF-8: by '?'), so that libinih
 * goes on and later problems are found too.  Return: what
 * is on it: '[' a section, '=' anything else libinih parses, ' ' blank
 * or a comment.
 */
static char check_line(struct parse *ps)
{
	const unsigned char *u = (const unsigned char *)ps->line;
	size_t n = (size_t)ps->len, content = n;
	const char *p;

	if (ps->lineno == 1 && n >= 3 && !memcmp(u, "\xef\xbb\xbf", 3)) {
		memmove(ps->line, ps->line + 3, n - 2);		/* the BOM, and keep the NUL */
		ps->len -= 3;
		n -= 3;
		content = n;
	}
	while (content && (ps->line[content - 1] == '\n' || ps->line[content - 1] == '\r'))
		content--;
	if (strlen(ps->line) != n) {
		mt_errors_add(ps->err, "%s:%d: a NUL byte: a job file is text", ps->file, ps->lineno);
		goto refuse;
	}
	if (content > MT_JOBFILE_MAX_LINE) {
		mt_errors_add(ps->err, "%s:%d: line of %zu characters, at most %d", ps->file,
			      ps->lineno, content, MT_JOBFILE_MAX_LINE);
		goto refuse;
	}
	p = ps->line + strspn(ps->line, " \t\r\n\v\f");
	if (!*p || *p == ';' || *p == '#')
		return ' ';
	for (size_t i = 0; i < content; ) {
		size_t k = mt_utf8_seq(u + i, content - i);

		if (!k) {
			mt_errors_add(ps->err, "%s:%d: not UTF-8 text (byte 0x%02x at column %zu): save the file as UTF-8",
				      ps->file, ps->lineno, u[i], i + 1);
			/* go on with '?' in its place: the rest of the file is still checked */
			note_bad_line(ps, false);
			ps->line[i] = '?';
			k = 1;
		}
		i += k;
	}
	/* libinih's grammar, so that every syntax error is found, in order */
	if (!syntax_char(p + (*p == '['), *p == '[' ? "]" : "=:")) {
		mt_errors_add(ps->err, *p == '[' ? "%s:%d: syntax error: '[' without ']'" :
			      "%s:%d: syntax error: expected [section], key=value or a comment",
			      ps->file, ps->lineno);
		goto refuse;
	}
	return *p == '[' ? '[' : '=';
refuse:
	note_bad_line(ps, true);
	ps->line[0] = '\n';
	ps->line[1] = '\0';
	ps->len = 1;
	return ' ';
}

/* libinih's reader: the next piece of the current line, or the next line. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;

	if (!ps->line || ps->off >= (size_t)ps->len) {
		if (ps->stopped || !next_line(ps))
			return NULL;
		ps->off = 0;
		ps->lineno++;
		switch (check_line(ps)) {
		case '[':
			note_section(ps, ps->line);
			break;
		case '=':
			if (++ps->nkeys > MT_JOBFILE_MAX_KEYS)
				stop_reading(ps, "keys", MT_JOBFILE_MAX_KEYS);
			break;
		}
		if (ps->stopped)
			return NULL;
	}
	return mt_ini_feed(str, num, ps->line, (size_t)ps->len, &ps->off);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	struct section *s;
	struct kv kv = { .line = ps->lineno };

	if (!ps->nsec) {
		/* unless the section header was on a line dropped before */
		if (!dropped_in(ps, 1, ps->lineno - 1))
			mt_errors_add(ps->err, "%s:%d: key '%s' outside any section: start with [global] or [jobname]",
				      ps->file, ps->lineno, name);
		note_bad_line(ps, false);
		return 1;
	}
	if (!*name) {
		mt_errors_add(ps->err, "%s:%d: syntax error: no key before '='", ps->file, ps->lineno);
		note_bad_line(ps, false);
		return 1;
	}
	s = &ps->sec[ps->nsec - 1];
	kv.key = strdup(name);
	kv.value = strdup(value ? value : "");
	if (s->global) {
		ps->globals = grow(ps->globals, &ps->capglobals, ps->nglobals + 1, sizeof(kv));
		ps->globals[ps->nglobals++] = kv;
	}
	s->kv = grow(s->kv, &s->cap, s->nkv + 1, sizeof(kv));
	s->kv[s->nkv++] = kv;
	(void)section;
	return 1;
}

/* ---- values ---- */

/*
 * Replace $ncpus and $nodes.  Return: -1 on an unknown $variable (named
 * in @bad), -2 when the result does not fit in @len.
 */
static int expand(const char *in, char *out, size_t len, const struct mt_topology *t,
		  char *bad, size_t badlen)
{
	size_t o = 0;

	while (*in && o + 1 < len) {
		if (*in == '$') {
			const char *v = in + 1;
			size_t n = 0;
			char num[16];

			while (isalnum((unsigned char)v[n]) || v[n] == '_')
				n++;
			if (n == 5 && !strncmp(v, "ncpus", 5))
				snprintf(num, sizeof(num), "%d", t ? t->npus : 1);
			else if (n == 5 && !strncmp(v, "nodes", 5))
				snprintf(num, sizeof(num), "%d", t ? t->nnodes : 1);
			else {
				snprintf(bad, badlen, "$%.*s", (int)n, v);
				return -1;
			}
			if (o + strlen(num) >= len)
				return -2;
			for (char *c = num; *c; c++)
				out[o++] = *c;
			in = v + n;
			continue;
		}
		out[o++] = *in++;
	}
	out[o] = '\0';
	return *in ? -2 : 0;
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

/* Return: 0, -EINVAL (not an expression, or negative), -ERANGE (overflows 64 bits). */
static int parse_uint_expr(const char *s, uint64_t *out)
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

/* ---- building jobs ---- */

static bool is_any_workload_option(const char *k)
{
	for (const struct workload *const *w = mt_workloads; *w; w++)
		if (wl_opt_lookup(*w, k))
			return true;
	return false;
}

/* "file:line: key 'k': ...", unless the line was reported already (by the reader). */
static __printf(3, 4) void key_error(struct parse *ps, const struct kv *kv, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (line_reported(ps, kv->line))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mt_errors_add(ps->err, "%s:%d: key '%s': %s", ps->file, kv->line, kv->key, msg);
}

#define KEYERR(fmt, ...) key_error(ps, kv, fmt, ##__VA_ARGS__)

static int set_time(struct parse *ps, const struct kv *kv, const char *v, uint64_t *dst,
		    uint64_t max)
{
	uint64_t ns;

	if (mt_parse_time_ns(v, &ns) || ns > max) {
		char m[32];

		mt_format_time(max, m, sizeof(m));
		KEYERR("'%s' is not a time up to %s (ns us ms s m h d)", v, m);
		return -1;
	}
	*dst = ns;
	return 0;
}

static int set_str(struct parse *ps, const struct kv *kv, const char *v, char *dst,
		   size_t size)
{
	size_t n = strlen(v);

	if (n >= size) {
		KEYERR("value longer than %zu characters", size - 1);
		return -1;
	}
	memcpy(dst, v, n + 1);
	return 0;
}

static int set_prob(struct parse *ps, const struct kv *kv, const char *v, double *dst)
{
	double d;

	if (mt_parse_double(v, &d) || d < 0 || d > 1) {
		KEYERR("'%s' is not a probability in 0..1", v);
		return -1;
	}
	*dst = d;
	return 0;
}

#define VALUE_LEN 2048

/* @kv's value with its variables expanded, trimmed.  Return: 0, or -1 (reported). */
static int key_value(struct parse *ps, const struct kv *kv, char *v, size_t len)
{
	char bad[64], *t;

	switch (expand(kv->value, v, len, ps->topo, bad, sizeof(bad))) {
	case -1:
		KEYERR("unknown variable %s (known: $ncpus, $nodes)", bad);
		return -1;
	case -2:
		KEYERR("value longer than %zu characters", len - 1);
		return -1;
	}
	t = trim(v);
	memmove(v, t, strlen(t) + 1);
	return 0;
}

/* mix= with no value: the workload's default mix is had by leaving the key out. */
static bool mix_empty(struct parse *ps, const struct kv *kv, const char *v)
{
	if (*v)
		return false;
	KEYERR("empty: give role:weight,... or leave the key out for the workload's mix");
	return true;
}

/* Set workload option @o from @v (expanded); integers may be expressions. */
static int set_wl_opt(const struct wl_opt *o, void *opts, char *v, size_t len,
		      char *err, size_t errlen)
{
	uint64_t u;
	int rc;

	if (o->type == WL_OPT_UINT && (rc = parse_uint_expr(v, &u)) == -ERANGE) {
		snprintf(err, errlen, "'%s' overflows 64 bits: an integer in %.0f..%.0f", v,
			 o->min, o->max);
		return -1;
	}
	if (o->type == WL_OPT_UINT && !rc)
		snprintf(v, len, "%llu", (unsigned long long)u);
	return wl_opt_set(o, opts, v, err, errlen);
}

/* The index of job key @k in mt_job_keys, or -1. */
static int job_key_index(const char *k)
{
	for (int i = 0; i < NJOBKEYS; i++)
		if (!strcmp(mt_job_keys[i].name, k))
			return i;
	return -1;
}

static bool is_job_key(const char *k)
{
	return job_key_index(k) >= 0;
}

/* bugs=: catalogue names separated by commas, each once; empty: none. */
static int set_bugs(struct parse *ps, const struct kv *kv, const char *v, mt_bugset_t *set)
{
	char name[64];

	switch (mt_bugs_parse(v, set, name, sizeof(name))) {
	case 0:
		return 0;
	case MT_BUGS_EMPTY:
		KEYERR("'%s' has an empty name: a comma too many?", v);
		break;
	case MT_BUGS_TWICE:
		KEYERR("bug '%s' is named twice", name);
		break;
	default:
		KEYERR("unknown bug '%s' (see `mmtorture bugs`%s)", name,
		       strpbrk(name, " \t") ? "; names are separated by commas" : "");
		break;
	}
	return -1;
}

/*
 * Apply @kv to @job.  A job of no workload (none is known, or the key is
 * checked on its own) takes the job keys but mix= and the workload
 * options, which it cannot check.  Return: 0 applied, 1 not applied (a
 * [global] option of another workload, left to that workload's jobs; or
 * a key that needs the workload), -1 an error (reported).
 */
static int apply_key(struct parse *ps, struct mt_job *job, const struct kv *kv, bool from_global)
{
	char v[VALUE_LEN], err[256];
	uint64_t u;
	int x;

	if (key_value(ps, kv, v, sizeof(v)))
		return -1;

	if (!strcmp(kv->key, "workload"))
		return 0;	/* resolved before the other keys */
	if (!strcmp(kv->key, "threads")) {
		if ((x = parse_uint_expr(v, &u)) || u < 1 || u > MT_MAX_THREADS) {
			KEYERR("'%s' %s a thread count in 1..%d", kv->value,
			       x == -ERANGE ? "overflows 64 bits:" : "is not", MT_MAX_THREADS);
			return -1;
		}
		job->threads = (unsigned int)u;
	} else if (!strcmp(kv->key, "runtime")) {
		return set_time(ps, kv, v, &job->runtime_ns, 365ull * 86400 * 1000000000ull);
	} else if (!strcmp(kv->key, "rcu")) {
		if ((x = mt_rcu_flavor_lookup(v)) < 0) {
			KEYERR("'%s' is not an RCU flavor (memb, qsbr, mb, bp)", v);
			return -1;
		}
		job->rcu = (enum mt_rcu_flavor)x;
	} else if (!strcmp(kv->key, "seed")) {
		if (mt_parse_u64(v, &job->seed)) {
			KEYERR("'%s' is not an unsigned 64-bit integer", v);
			return -1;
		}
	} else if (!strcmp(kv->key, "delay")) {
		return set_prob(ps, kv, v, &job->inject.delay_prob);
	} else if (!strcmp(kv->key, "sync_delay")) {
		return set_prob(ps, kv, v, &job->inject.sync_delay_prob);
	} else if (!strcmp(kv->key, "delay_mode")) {
		if ((x = mt_delay_mode_lookup(v)) < 0) {
			KEYERR("'%s' is not a delay mode (spin, yield, sleep, mix)", v);
			return -1;
		}
		job->inject.delay_mode = (enum mt_delay_mode)x;
	} else if (!strcmp(kv->key, "delay_max")) {
		if (set_time(ps, kv, v, &u, 1000000000ull))
			return -1;
		job->inject.delay_max_ns = (uint32_t)u;
	} else if (!strcmp(kv->key, "windows")) {
		for (const char *c = v; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr("-_,. ", *c)) {
				KEYERR("'%s' is not a comma list of window names", v);
				return -1;
			}
		if (set_str(ps, kv, v, job->windows, sizeof(job->windows)))
			return -1;
		job->inject.windows = job->windows[0] ? job->windows : NULL;
	} else if (!strcmp(kv->key, "alloc_fail")) {
		return set_prob(ps, kv, v, &job->inject.alloc_fail_prob);
	} else if (!strcmp(kv->key, "fail_nth")) {
		if ((x = parse_uint_expr(v, &job->inject.fail_nth))) {
			KEYERR("'%s' %s", v, x == -ERANGE ? "overflows 64 bits" :
			       "is not an unsigned integer");
			return -1;
		}
	} else if (!strcmp(kv->key, "audit_interval")) {
		return set_time(ps, kv, v, &job->audit_interval_ns, 86400ull * 1000000000ull);
	} else if (!strcmp(kv->key, "stutter")) {
		return set_time(ps, kv, v, &job->stutter_ns, 86400ull * 1000000000ull);
	} else if (!strcmp(kv->key, "hang_timeout")) {
		return set_time(ps, kv, v, &job->hang_grace_ns, 86400ull * 1000000000ull);
	} else if (!strcmp(kv->key, "nodes")) {
		return set_str(ps, kv, v, job->nodes, sizeof(job->nodes));
	} else if (!strcmp(kv->key, "cpus")) {
		return set_str(ps, kv, v, job->cpus, sizeof(job->cpus));
	} else if (!strcmp(kv->key, "mix")) {
		if (mix_empty(ps, kv, v) || set_str(ps, kv, v, job->mix_spec, sizeof(job->mix_spec)))
			return -1;
		if (!job->wl)
			return 1;
		if (wl_mix_parse(job->wl, v, &job->mix, err, sizeof(err))) {
			KEYERR("%s", err);
			return -1;
		}
	} else if (!strcmp(kv->key, "bugs")) {
		if (set_str(ps, kv, v, job->bugs_spec, sizeof(job->bugs_spec)) ||
		    set_bugs(ps, kv, v, &job->bugs))
			return -1;
	} else if (!strcmp(kv->key, "expect")) {
		if (!strcmp(v, "clean"))
			job->expect = MT_JOB_EXPECT_CLEAN;
		else if (!strcmp(v, "detect"))
			job->expect = MT_JOB_EXPECT_DETECT;
		else {
			KEYERR("'%s' is not an expectation (clean, detect)", v);
			return -1;
		}
	} else if (!strcmp(kv->key, "stop_on_detect")) {
		if (mt_parse_bool(v, &job->stop_on_detect)) {
			KEYERR("'%s' is not a boolean (0/1, yes/no)", v);
			return -1;
		}
	} else {
		const struct wl_opt *o = job->wl ? wl_opt_lookup(job->wl, kv->key) : NULL;

		if (!o) {
			if ((from_global || !job->wl) && is_any_workload_option(kv->key))
				return 1;	/* an option of another workload's jobs */
			if (is_any_workload_option(kv->key))
				KEYERR("not an option of workload %s", job->wl->name);
			else
				KEYERR("unknown key");
			return -1;
		}
		if (set_wl_opt(o, job->wl_opts, v, sizeof(v), err, sizeof(err))) {
			KEYERR("%s", err);
			return -1;
		}
	}
	return 0;
}

/*
 * A [global] key that no job took: check it on its own.  A job key is
 * applied to a job of no workload (mix= must fit some workload's roles);
 * a workload option must be valid for some workload that has it.
 */
static void check_unapplied(struct parse *ps, const struct kv *kv)
{
	_Alignas(16) unsigned char opts[MT_WL_OPTS_MAX];
	char v[VALUE_LEN], err[256] = "", first[256] = "";
	const struct workload *const *w;
	const char *wname = NULL;
	struct mt_job job;
	struct wl_mix mix;

	if (!is_job_key(kv->key) && !is_any_workload_option(kv->key)) {
		KEYERR("unknown key");
		return;
	}
	if (is_job_key(kv->key) && strcmp(kv->key, "mix") && strcmp(kv->key, "workload")) {
		mt_job_defaults(&job, NULL);
		apply_key(ps, &job, kv, true);
		return;
	}
	if (key_value(ps, kv, v, sizeof(v)) || (!strcmp(kv->key, "mix") && mix_empty(ps, kv, v)))
		return;
	if (!strcmp(kv->key, "workload")) {
		if (!wl_lookup(v))
			KEYERR("unknown workload '%s' (see `mmtorture workloads`)", v);
		return;
	}
	for (w = mt_workloads; *w; w++) {
		const struct wl_opt *o = wl_opt_lookup(*w, kv->key);
		char vw[VALUE_LEN];

		if (strcmp(kv->key, "mix") && !o)
			continue;
		snprintf(vw, sizeof(vw), "%s", v);
		if (!strcmp(kv->key, "mix") ? !wl_mix_parse(*w, vw, &mix, err, sizeof(err)) :
		    !wl_opts_defaults(*w, opts, err, sizeof(err)) &&
		    !set_wl_opt(o, opts, vw, sizeof(vw), err, sizeof(err)))
			return;		/* valid for this one */
		if (!wname) {
			wname = (*w)->name;
			snprintf(first, sizeof(first), "%s", err);
		}
	}
	if (!strcmp(kv->key, "mix"))
		KEYERR("'%s' fits no workload's roles (see `mmtorture workloads`)", v);
	else
		KEYERR("%s (an option of workload %s)", first, wname);
}

/* Does workload @wl exercise the model of bug @b? */
static bool workload_has_model(const struct workload *wl, const char *model)
{
	const char *m = wl->models;
	size_t n = strlen(model);

	while (m && *m) {
		if (!strncmp(m, model, n) && (m[n] == ',' || !m[n]))
			return true;
		m = strchr(m, ',');
		if (m)
			m++;
	}
	return false;
}

/* The key=value that gave a job its value of one key, as the checks across keys need it. */
struct key_src {
	const struct kv *kv;	/* NULL: the default */
	bool global;		/* from a [global] */
	bool bad;		/* refused: what reads it is not checked */
};

/* Where the checks across a job's keys read them. */
struct job_srcs {
	struct key_src key[NJOBKEYS];	/* by index in mt_job_keys */
	bool opt_bad;			/* a workload option was refused: no wl->check */
};

static void note_src(struct job_srcs *js, const struct workload *wl, const struct kv *kv,
		     bool global, int rc)
{
	int k = job_key_index(kv->key);

	if (rc == 1)
		return;		/* not applied */
	if (k >= 0)
		js->key[k] = (struct key_src){ .kv = kv, .global = global, .bad = rc < 0 };
	else if (rc < 0 && wl && wl_opt_lookup(wl, kv->key))
		js->opt_bad = true;
}

static const struct key_src *src_of(const struct job_srcs *js, const char *key)
{
	return &js->key[job_key_index(key)];
}

/*
 * A problem across keys of job @s, about the key @src tells of: at that
 * key's line when the job sets it; at the job's line otherwise, naming
 * the [global] line that set it, if one did.
 */
static __printf(4, 5) void cross_error(struct parse *ps, const struct section *s,
				       const struct key_src *src, const char *fmt, ...)
{
	char msg[224];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (src && src->kv && !src->global)
		mt_errors_add(ps->err, "%s:%d: job '%s': %s", ps->file, src->kv->line, s->name, msg);
	else if (src && src->kv)
		mt_errors_add(ps->err, "%s:%d: job '%s': %s; %s= comes from the [global] at line %d",
			      ps->file, s->line, s->name, msg, src->kv->key, src->kv->line);
	else
		mt_errors_add(ps->err, "%s:%d: job '%s': %s", ps->file, s->line, s->name, msg);
}

/* The line after the last of section @i. */
static int section_end(const struct parse *ps, int i)
{
	return i + 1 < ps->nsec ? ps->sec[i + 1].line : INT_MAX;
}

/*
 * Could job section @i have lost its workload= to a dropped line: in it,
 * in a [global] before it, or before the first section (a lost header)?
 */
static bool workload_maybe_dropped(const struct parse *ps, int i)
{
	if (dropped_in(ps, 1, ps->nsec ? ps->sec[0].line : INT_MAX) ||
	    dropped_in(ps, ps->sec[i].line, section_end(ps, i) - 1))
		return true;
	for (int g = 0; g < i; g++)
		if (ps->sec[g].global && dropped_in(ps, ps->sec[g].line, section_end(ps, g) - 1))
			return true;
	return false;
}

static const struct workload *job_workload(struct parse *ps, int si)
{
	const struct section *s = &ps->sec[si];
	const struct kv *wkv = NULL;
	const struct workload *wl;
	char v[VALUE_LEN];

	for (int i = 0; i < s->nglobals_before; i++)
		if (!strcmp(ps->globals[i].key, "workload"))
			wkv = &ps->globals[i];
	for (int i = 0; i < s->nkv; i++)
		if (!strcmp(s->kv[i].key, "workload"))
			wkv = &s->kv[i];
	if (!wkv) {
		if (!workload_maybe_dropped(ps, si))
			mt_errors_add(ps->err, "%s:%d: job '%s' has no workload= key", ps->file,
				      s->line, s->name);
		return NULL;
	}
	if (key_value(ps, wkv, v, sizeof(v)))
		return NULL;
	wl = wl_lookup(v);
	if (!wl) {
		char list[160] = "";
		size_t off = 0;

		for (const struct workload *const *w = mt_workloads; *w && off < sizeof(list); w++)
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
						off ? ", " : "", (*w)->name);
		key_error(ps, wkv, "unknown workload '%s' (known: %s)", v, list);
	}
	return wl;
}

/*
 * Build the job of section @si.  Every key is applied and checked, also
 * when the workload is unknown; then what holds across keys is checked,
 * each check only if the keys it reads were not refused.
 * Return: 0, or -1 (reported).
 */
static int build_job(struct parse *ps, int si, struct mt_job *job)
{
	struct section *s = &ps->sec[si];
	const struct workload *wl = job_workload(ps, si);
	const struct key_src *bugs, *expect, *place[3];
	struct job_srcs js = { 0 };
	const char *bad_key = NULL;
	char err[256];
	int nerr = ps->err->n;

	mt_job_defaults(job, NULL);
	if (wl && mt_job_set_workload(job, wl, err, sizeof(err))) {
		mt_errors_add(ps->err, "%s:%d: job '%s': workload %s: %s", ps->file, s->line,
			      s->name, wl->name, err);
		return -1;
	}
	snprintf(job->name, sizeof(job->name), "%s", s->name);
	snprintf(job->file, sizeof(job->file), "%s", ps->file);
	job->line = s->line;
	for (int i = 0; i < s->nglobals_before; i++) {
		int rc = apply_key(ps, job, &ps->globals[i], true);

		if (rc != 1)
			ps->globals[i].applied = true;
		note_src(&js, wl, &ps->globals[i], true, rc);
	}
	for (int i = 0; i < s->nkv; i++)
		note_src(&js, wl, &s->kv[i], false, apply_key(ps, job, &s->kv[i], false));

	/* what holds across keys */
	bugs = src_of(&js, "bugs");
	expect = src_of(&js, "expect");
	if (wl && !js.opt_bad && wl->check && wl->check(job->wl_opts, err, sizeof(err)))
		mt_errors_add(ps->err, "%s:%d: job '%s': %s", ps->file, s->line, s->name, err);
	for (int b = 0; wl && !bugs->bad && b < MT_NBUGS; b++) {
		const struct mt_bug_desc *d = &mt_bug_table[b];

		if ((job->bugs & (1u << b)) && !workload_has_model(wl, d->model))
			cross_error(ps, s, bugs, "bug '%s' is in the %s model, which workload %s does not exercise",
				    d->name, d->model, wl->name);
	}
	if (job->expect == MT_JOB_EXPECT_DETECT && !expect->bad && !bugs->bad) {
		bool any = false;

		for (int b = 0; b < MT_NBUGS; b++)
			if ((job->bugs & (1u << b)) && mt_bug_table[b].expect != MT_EXPECT_NONE)
				any = true;
		if (!any)
			cross_error(ps, s, expect, "expect=detect needs a detection bug in bugs= (%s)",
				    job->bugs ? "the bugs named expect a clean run" : "none named");
	}
	place[0] = src_of(&js, "nodes");
	place[1] = src_of(&js, "cpus");
	place[2] = src_of(&js, "threads");
	if (ps->topo && !place[0]->bad && !place[1]->bad && !place[2]->bad &&
	    mt_placement_plan(ps->topo, job->nodes, job->cpus, job->threads, &job->plan,
			      &bad_key, err, sizeof(err)))
		cross_error(ps, s, src_of(&js, bad_key), "%s", err);
	return wl && ps->err->n == nerr ? 0 : -1;
}

static int kv_order(const void *a, const void *b)
{
	const struct kv *x = *(const struct kv *const *)a, *y = *(const struct kv *const *)b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/*
 * A key given twice in one section is an error at the second, naming
 * the first (fio's strictness: no silent last-wins), unless a dropped
 * line between them may have been a section header.
 */
static void check_duplicates(struct parse *ps, const struct section *s)
{
	const struct kv **v;
	int *first;

	if (s->nkv < 2)
		return;
	v = malloc((size_t)s->nkv * sizeof(*v));
	first = calloc((size_t)s->nkv, sizeof(*first));
	if (!v || !first) {
		mt_errors_add(ps->err, "%s: out of memory", ps->file);
		goto out;
	}
	for (int i = 0; i < s->nkv; i++)
		v[i] = &s->kv[i];
	qsort(v, (size_t)s->nkv, sizeof(*v), kv_order);
	for (int i = 1; i < s->nkv; i++)
		if (!strcmp(v[i - 1]->key, v[i]->key) && !dropped_in(ps, v[i - 1]->line, v[i]->line))
			first[v[i] - s->kv] = v[i - 1]->line;
	for (int i = 0; i < s->nkv; i++)	/* in the order of the file */
		if (first[i])
			key_error(ps, &s->kv[i], "already set at line %d: a key is given once per section",
				  first[i]);
out:
	free(v);
	free(first);
}

static int load(struct parse *ps, struct mt_jobset *set)
{
	int rc, njobs = 0;

	memset(set, 0, sizeof(*set));
	snprintf(set->path, sizeof(set->path), "%s", ps->file);
	ini_allow_multiline = false;	/* one line, one key: line numbers stay true */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = MT_JOBFILE_MAX_LINE + 3;	/* the line, "\r\n", the NUL */
	ini_stop_on_first_error = false;
	rc = ini_parse_stream(reader, ps, handler, ps);
	if (rc > 0) {
		/* libinih's own syntax error: it counts lines as our reader hands them */
		mt_errors_add(ps->err, "%s:%d: syntax error: expected [section], key=value or a comment",
			      ps->file, rc);
	} else if (rc < 0) {
		mt_errors_add(ps->err, "%s: cannot parse (%s)", ps->file,
			      rc == -1 ? "cannot open" : "out of memory");
	}
	if (ps->read_errno)
		mt_errors_add(ps->err, "%s:%d: cannot read: %s", ps->file, ps->lineno + 1,
			      strerror(ps->read_errno));
	for (int i = 0; i < ps->nsec; i++)
		njobs += !ps->sec[i].global;
	if (!njobs && !ps->err->n)
		mt_errors_add(ps->err, "%s: no job: add a [jobname] section with workload=", ps->file);
	if (njobs) {	/* at most MT_MAX_JOBS: the reader stops there */
		set->jobs = calloc((size_t)njobs, sizeof(*set->jobs));
		if (!set->jobs)
			mt_errors_add(ps->err, "%s: out of memory", ps->file);
	}
	for (int i = 0; i < ps->nsec; i++) {	/* in the order of the file */
		check_duplicates(ps, &ps->sec[i]);
		if (!ps->sec[i].global && set->jobs)
			build_job(ps, i, &set->jobs[set->njobs++]);
	}
	/* [global] keys no job took are checked all the same */
	for (int i = 0; i < ps->nglobals; i++)
		if (!ps->globals[i].applied)
			check_unapplied(ps, &ps->globals[i]);
	for (int i = ps->nsec - 1; i >= 0 && ps->sec[i].global; i--)
		if (ps->sec[i].nkv && njobs)
			mt_errors_add(ps->err, "%s:%d: this [global] applies to no job: no job section follows it",
				      ps->file, ps->sec[i].line);
	for (int i = 0; i < ps->nsec; i++) {
		for (int k = 0; k < ps->sec[i].nkv; k++) {
			free(ps->sec[i].kv[k].key);
			free(ps->sec[i].kv[k].value);
		}
		free(ps->sec[i].kv);
	}
	free(ps->sec);
	free(ps->globals);
	free(ps->bad);
	free(ps->line);
	if (ps->err->n) {
		mt_jobset_free(set);
		return -1;
	}
	return 0;
}

int mt_jobfile_load(const char *path, struct mt_topology *topo,
		    struct mt_jobset *set, struct mt_errors *err)
{
	struct parse ps = { .file = path, .err = err, .topo = topo };
	struct stat st;
	int rc;

	memset(set, 0, sizeof(*set));
	ps.in = fopen(path, "r");
	if (!ps.in) {
		mt_errors_add(err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (!fstat(fileno(ps.in), &st) && S_ISDIR(st.st_mode)) {
		mt_errors_add(err, "%s: is a directory, not a job file", path);
		fclose(ps.in);
		return -1;
	}
	rc = load(&ps, set);
	fclose(ps.in);
	return rc;
}

int mt_jobfile_load_string(const char *text, const char *name, struct mt_topology *topo,
			   struct mt_jobset *set, struct mt_errors *err)
{
	struct parse ps = { .file = name, .text = text, .err = err, .topo = topo };

	return load(&ps, set);
}

void mt_jobset_free(struct mt_jobset *set)
{
	free(set->jobs);
	set->jobs = NULL;
	set->njobs = 0;
}
