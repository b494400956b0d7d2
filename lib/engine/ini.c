// SPDX-License-Identifier: GPL-2.0-only
/*
 * ini.c - the INI front end on libinih; see ini.h.
 *
 * Lines are read whole (getline, or from the string) and handed to
 * libinih in pieces no longer than its buffer, which grows
 * (ini_allow_realloc) up to the line limit: a longer line is refused here
 * with its file:line, so no line is ever split in two.  At the end of the
 * input the reader returns NULL, and NULL again whenever libinih asks once
 * more (it does, after a last line without its newline that filled its
 * buffer exactly).
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "lib/engine/ini.h"
#include "lib/engine/values.h"

void mt_errors_add(struct mt_errors *e, const char *fmt, ...)
{
	char msg[sizeof(e->msg[0])];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* a [global] key applies to every job: its problem is said once */
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
	p = realloc(p, (size_t)*cap * size);
	if (!p)
		abort();	/* a file of at most max_keys lines: no recovery needed */
	return p;
}

/* The state of one read. */
struct reader {
	struct mt_ini *ini;
	const struct mt_ini_limits *lim;
	struct mt_errors *err;
	FILE *in;		/* or: */
	const char *text;
	char *line;		/* the current line, read whole */
	size_t linecap;
	size_t off;		/* how much of it libinih has had */
	size_t len;
	int lineno;		/* the line being handed out */
	int nnamed, napart;	/* sections seen, not named lim->apart and named so */
	bool eof;		/* NULL from now on */
	bool stopped;		/* too big: the rest is not read */
	int read_errno;
};

#define rd_error(r, fmt, ...) \
	mt_errors_add((r)->err, "%s:%d: " fmt, (r)->ini->file, (r)->lineno, ##__VA_ARGS__)

static void note_bad_line(struct reader *r, bool dropped)
{
	struct mt_ini *ini = r->ini;
	struct mt_ini_badline *b = ini->nbad ? &ini->bad[ini->nbad - 1] : NULL;

	if (b && b->line == r->lineno) {
		b->dropped |= dropped;
		return;
	}
	ini->bad = grow(ini->bad, &ini->capbad, ini->nbad + 1, sizeof(*ini->bad));
	ini->bad[ini->nbad++] = (struct mt_ini_badline){ .line = r->lineno, .dropped = dropped };
}

/* The index of the first reported line at or after @line. */
static int bad_from(const struct mt_ini *ini, int line)
{
	int lo = 0, hi = ini->nbad;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (ini->bad[mid].line < line)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool mt_ini_line_reported(const struct mt_ini *ini, int line)
{
	int i = bad_from(ini, line);

	return i < ini->nbad && ini->bad[i].line == line;
}

bool mt_ini_dropped_in(const struct mt_ini *ini, int from, int to)
{
	for (int i = bad_from(ini, from); i < ini->nbad && ini->bad[i].line <= to; i++)
		if (ini->bad[i].dropped)
			return true;
	return false;
}

static void stop_reading(struct reader *r, const char *what, int max)
{
	rd_error(r, "more than %d %s: %s holds at most %d; the rest is not read", max, what,
		 r->lim->what, max);
	r->stopped = true;
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

/* A section header seen by the reader: every section is recorded here. */
static void note_section(struct reader *r)
{
	struct mt_ini *ini = r->ini;
	char *buf = strdup(r->line), *name, *end;
	struct mt_ini_sec *s;
	bool apart;

	if (!buf)
		abort();
	name = trim(buf);
	end = strchr(name, ']');
	*end = '\0';		/* the line checker found it */
	name = trim(name + 1);
	apart = r->lim->apart && !strcmp(name, r->lim->apart);
	if (++*(apart ? &r->napart : &r->nnamed) > (apart ? r->lim->max_apart : r->lim->max_sections)) {
		char what[64];

		snprintf(what, sizeof(what), apart ? "[%s] sections" : "%s",
			 apart ? r->lim->apart : r->lim->sections);
		free(buf);
		stop_reading(r, what, apart ? r->lim->max_apart : r->lim->max_sections);
		return;
	}
	if ((int)strlen(name) > r->lim->max_name)
		rd_error(r, "section name '%.*s...' is longer than %d characters", r->lim->max_name,
			 name, r->lim->max_name);
	ini->sec = grow(ini->sec, &ini->capsec, ini->nsec + 1, sizeof(*ini->sec));
	s = &ini->sec[ini->nsec++];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	s->line = r->lineno;
	free(buf);
	if (!s->name)
		abort();
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
 * Check the line just read.  A line that fails is reported and replaced
 * by an empty one (bytes that are not UTF-8: by '?'), so that libinih
 * goes on and later problems are found too.  Return: '[' a section
 * header, '=' a key, ' ' blank or a comment.
 */
static char check_line(struct reader *r)
{
	unsigned char *u = (unsigned char *)r->line;
	size_t n = r->len, content;
	const char *p;

	if (r->lineno == 1 && n >= 3 && !memcmp(u, "\xef\xbb\xbf", 3)) {
		memmove(r->line, r->line + 3, n - 2);	/* the BOM goes; the NUL stays */
		r->len = n -= 3;
	}
	for (content = n; content && (r->line[content - 1] == '\n' || r->line[content - 1] == '\r');)
		content--;
	if (strlen(r->line) != n) {
		rd_error(r, "a NUL byte: %s is text", r->lim->what);
		goto refuse;
	}
	if (content > (size_t)r->lim->max_line) {
		rd_error(r, "line of %zu characters, at most %d", content, r->lim->max_line);
		goto refuse;
	}
	p = r->line + strspn(r->line, " \t\r\n\v\f");
	if (!*p || *p == ';' || *p == '#')
		return ' ';
	for (size_t i = 0; i < content;) {
		size_t k = mt_utf8_seq(u + i, content - i);

		if (!k) {
			rd_error(r, "not UTF-8 text (byte 0x%02x at column %zu): save the file as UTF-8",
				 u[i], i + 1);
			note_bad_line(r, false);	/* read on, '?' in its place */
			r->line[i] = '?';
			k = 1;
		}
		i += k;
	}
	/* libinih's grammar, so that every syntax error is found, in order */
	if (!syntax_char(p + (*p == '['), *p == '[' ? "]" : "=:")) {
		if (*p == '[')
			rd_error(r, "syntax error: '[' without ']'");
		else
			rd_error(r, "syntax error: expected [section], key=value or a comment");
		goto refuse;
	}
	return *p == '[' ? '[' : '=';
refuse:
	note_bad_line(r, true);
	r->line[0] = '\n';
	r->line[1] = '\0';
	r->len = 1;
	return ' ';
}

/* The next line, whole, in r->line.  At the end of the input: false, from then on. */
static bool next_line(struct reader *r)
{
	ssize_t n;

	if (r->eof || r->stopped)
		return false;
	if (r->in) {
		errno = 0;
		n = getline(&r->line, &r->linecap, r->in);
		if (n < 0 && ferror(r->in))
			r->read_errno = errno ? errno : EIO;
	} else {
		const char *nl = strchr(r->text, '\n');

		n = nl ? nl - r->text + 1 : (ssize_t)strlen(r->text);
		if (n && (size_t)n + 2 > r->linecap) {
			r->linecap = (size_t)n + 2;
			r->line = realloc(r->line, r->linecap);
			if (!r->line)
				abort();
		}
		if (n) {
			memcpy(r->line, r->text, (size_t)n);
			r->line[n] = '\0';
			r->text += n;
		}
	}
	if (n <= 0) {
		r->eof = true;
		return false;
	}
	r->len = (size_t)n;
	return true;
}

/* libinih's reader: the next piece of the current line, or the next line. */
static char *reader(char *str, int num, void *stream)
{
	struct reader *r = stream;
	size_t n;

	if (num < 2)
		return NULL;
	if (!r->line || r->off >= r->len) {
		if (!next_line(r))
			return NULL;
		r->off = 0;
		r->lineno++;
		switch (check_line(r)) {
		case '[':
			note_section(r);
			break;
		case '=':
			if (++r->ini->nkeys > r->lim->max_keys)
				stop_reading(r, "keys", r->lim->max_keys);
			break;
		}
		if (r->stopped)
			return NULL;
	}
	n = r->len - r->off;
	if (n > (size_t)num - 1)
		n = (size_t)num - 1;
	memcpy(str, r->line + r->off, n);
	str[n] = '\0';
	r->off += n;
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;
	struct mt_ini *ini = r->ini;
	struct mt_ini_sec *s;

	(void)section;
	if (!ini->nsec) {
		/* unless the header was on a line dropped before */
		if (!mt_ini_dropped_in(ini, 1, r->lineno - 1))
			rd_error(r, "key '%s' outside any section: start with %s", name, r->lim->first);
		note_bad_line(r, false);
		return 1;
	}
	if (!*name) {
		rd_error(r, "syntax error: no key before '='");
		note_bad_line(r, false);
		return 1;
	}
	s = &ini->sec[ini->nsec - 1];
	s->kv = grow(s->kv, &s->cap, s->nkv + 1, sizeof(*s->kv));
	s->kv[s->nkv] = (struct mt_ini_kv){ .key = strdup(name), .value = strdup(value ? value : ""),
					    .line = r->lineno };
	if (!s->kv[s->nkv].key || !s->kv[s->nkv].value)
		abort();
	s->nkv++;
	return 1;
}

static int read_all(struct reader *r)
{
	int nerr = r->err->n, rc;

	ini_allow_multiline = false;	/* one line, one key: line numbers stay true */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = r->lim->max_line + 3;	/* the line, "\r\n", the NUL */
	ini_stop_on_first_error = false;
	rc = ini_parse_stream(reader, r, handler, r);
	if (rc > 0 && !mt_ini_line_reported(r->ini, rc))
		mt_errors_add(r->err, "%s:%d: syntax error: expected [section], key=value or a comment",
			      r->ini->file, rc);
	else if (rc < 0)
		mt_errors_add(r->err, "%s: out of memory", r->ini->file);
	if (r->read_errno)
		mt_errors_add(r->err, "%s:%d: cannot read: %s", r->ini->file, r->lineno + 1,
			      strerror(r->read_errno));
	free(r->line);
	return r->err->n > nerr ? -1 : 0;
}

int mt_ini_read_file(const char *path, const struct mt_ini_limits *lim, struct mt_ini *ini,
		     struct mt_errors *err)
{
	struct reader r = { .ini = ini, .lim = lim, .err = err };
	struct stat st;
	int rc;

	memset(ini, 0, sizeof(*ini));
	snprintf(ini->file, sizeof(ini->file), "%s", path);
	r.in = fopen(path, "r");
	if (!r.in) {
		mt_errors_add(err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (!fstat(fileno(r.in), &st) && S_ISDIR(st.st_mode)) {
		mt_errors_add(err, "%s: is a directory, not %s", path, lim->what);
		fclose(r.in);
		return -1;
	}
	rc = read_all(&r);
	fclose(r.in);
	return rc;
}

int mt_ini_read_string(const char *text, const char *name, const struct mt_ini_limits *lim,
		       struct mt_ini *ini, struct mt_errors *err)
{
	struct reader r = { .ini = ini, .lim = lim, .err = err, .text = text };

	memset(ini, 0, sizeof(*ini));
	snprintf(ini->file, sizeof(ini->file), "%s", name);
	return read_all(&r);
}

void mt_ini_free(struct mt_ini *ini)
{
	for (int i = 0; i < ini->nsec; i++) {
		for (int k = 0; k < ini->sec[i].nkv; k++) {
			free(ini->sec[i].kv[k].key);
			free(ini->sec[i].kv[k].value);
		}
		free(ini->sec[i].kv);
		free(ini->sec[i].name);
	}
	free(ini->sec);
	free(ini->bad);
	memset(ini, 0, sizeof(*ini));
}

void mt_ini_key_error(const struct mt_ini *ini, const struct mt_ini_kv *kv,
		      struct mt_errors *err, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (mt_ini_line_reported(ini, kv->line))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mt_errors_add(err, "%s:%d: key '%s': %s", ini->file, kv->line, kv->key, msg);
}

static int kv_order(const void *a, const void *b)
{
	const struct mt_ini_kv *x = *(const struct mt_ini_kv *const *)a;
	const struct mt_ini_kv *y = *(const struct mt_ini_kv *const *)b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

void mt_ini_check_duplicates(const struct mt_ini *ini, const struct mt_ini_sec *s,
			     struct mt_errors *err)
{
	const struct mt_ini_kv **v;
	int *first;

	if (s->nkv < 2)
		return;
	v = malloc((size_t)s->nkv * sizeof(*v));
	first = calloc((size_t)s->nkv, sizeof(*first));
	if (!v || !first)
		abort();
	for (int i = 0; i < s->nkv; i++)
		v[i] = &s->kv[i];
	qsort(v, (size_t)s->nkv, sizeof(*v), kv_order);
	for (int i = 1; i < s->nkv; i++)
		if (!strcmp(v[i - 1]->key, v[i]->key) &&
		    !mt_ini_dropped_in(ini, v[i - 1]->line, v[i]->line))
			first[v[i] - s->kv] = v[i - 1]->line;
	for (int i = 0; i < s->nkv; i++)	/* in the order of the file */
		if (first[i])
			mt_ini_key_error(ini, &s->kv[i], err,
					 "already set at line %d: a key is given once per section",
					 first[i]);
	free(v);
	free(first);
}
