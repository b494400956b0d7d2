/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ini.h - the INI front end of job files and of the daemon's config file,
 * on libinih: every section and key=value with its line, every problem
 * collected (not only the first) with its file:line.
 *
 * Debian's libinih tells its handler no line number, so the input is fed
 * through ini_parse_stream() with a reader of our own, one line at a time:
 * it knows which line libinih is on, sees section headers go by (so that
 * a section without keys is still recorded), and refuses what libinih
 * would take apart silently: a NUL byte, a line over the limit, text that
 * is not UTF-8 (reported, and read on with '?' in place of the bad
 * bytes), a syntax error (reported, and the line handed on empty so that
 * the lines after it are still read), and input so big that reading it
 * would take long (more sections or keys than the limits: reading stops
 * there).  A UTF-8 byte order mark at the start is dropped.
 *
 * The lines it reported are remembered, so that what follows from them is
 * not reported again (mt_ini_key_error() is silent on such a line), and a
 * caller can ask whether a line that libinih never saw lay between two
 * others (a lost section header makes no duplicate).
 */
#ifndef MT_INI_H
#define MT_INI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/compiler.h"

/* Problems found in a file, each "file:line: what"; the first 32 are kept. */
struct mt_errors {
	int n;
	char msg[32][256];
};

void mt_errors_add(struct mt_errors *e, const char *fmt, ...) __printf(2, 3);
void mt_errors_print(const struct mt_errors *e, FILE *f);

struct mt_ini_kv {
	char *key;
	char *value;		/* trimmed, as libinih gives it */
	int line;
};

struct mt_ini_sec {
	char *name;
	int line;
	struct mt_ini_kv *kv;
	int nkv, cap;
};

struct mt_ini_badline {
	int line;
	bool dropped;		/* libinih did not get it */
};

struct mt_ini {
	char file[256];		/* the name in messages */
	struct mt_ini_sec *sec;
	int nsec, capsec;
	int nkeys;
	struct mt_ini_badline *bad;	/* in line order */
	int nbad, capbad;
};

struct mt_ini_limits {
	int max_line;		/* characters on a line, without "\r\n" */
	int max_sections;	/* sections not named @apart */
	const char *sections;	/* what they are, for messages: "jobs" */
	const char *apart;	/* a section name counted apart ("global"), or NULL */
	int max_apart;		/* at most this many of those */
	int max_keys;
	int max_name;		/* characters in a section name */
	const char *what;	/* "a job file", "the config file": for messages */
	const char *first;	/* how a file starts: "[global] or [jobname]", "[daemon]" */
};

/*
 * mt_ini_read_file / mt_ini_read_string - read @path, or @text named
 * @name, into @ini
 *
 * Context: sets libinih's parsing globals; one reader at a time.
 * Return: 0, or -1 when a problem was added to @err (@ini holds what
 * could be read all the same; free it with mt_ini_free()).
 */
int mt_ini_read_file(const char *path, const struct mt_ini_limits *lim, struct mt_ini *ini,
		     struct mt_errors *err);
int mt_ini_read_string(const char *text, const char *name, const struct mt_ini_limits *lim,
		       struct mt_ini *ini, struct mt_errors *err);
void mt_ini_free(struct mt_ini *ini);

/* Was @line reported while reading?  Then what follows from it is not reported again. */
bool mt_ini_line_reported(const struct mt_ini *ini, int line);
/* Did a line of @from..@to never reach libinih (it may have held a header or a key)? */
bool mt_ini_dropped_in(const struct mt_ini *ini, int from, int to);

/* "file:line: key 'k': ...", unless the key's line was reported already. */
void mt_ini_key_error(const struct mt_ini *ini, const struct mt_ini_kv *kv,
		      struct mt_errors *err, const char *fmt, ...) __printf(4, 5);
/*
 * A key given twice in section @s is an error at the second, naming the
 * first (no silent last-wins), unless a line that libinih never saw lies
 * between them (it may have been a section header).
 */
void mt_ini_check_duplicates(const struct mt_ini *ini, const struct mt_ini_sec *s,
			     struct mt_errors *err);

#endif /* MT_INI_H */
