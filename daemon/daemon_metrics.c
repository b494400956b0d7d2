// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_metrics.c - counters that never go down while the daemon runs.
 *
 * `dump prom` sums the counters of every finished job the daemon keeps in
 * memory, by job name (mt_prom_write()).  The daemon keeps at most
 * MT_DAEMON_KEEP_RESULTS finished jobs: when it lets the oldest go, its
 * share of every counter would vanish from the sums, and Prometheus would
 * read the drop as a counter reset.  So a job let go is first folded into
 * carried totals, one per series (family and labels, as mt_prom_write()
 * prints them), and every dump adds them back.
 *
 * The series are bounded: the first MT_DAEMON_CARRY_JOBS job names keep
 * their own job label; jobs of any other name are folded into
 * job="_other" (said once in the log, and in README).
 *
 * Only counter families (# TYPE ... counter) are carried: a gauge is a
 * last value, not a sum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "daemon/daemon.h"

struct carried {
	char *series;			/* family{labels} */
	size_t famlen;			/* the family name's length */
	unsigned long long value;
};

static struct carried *carry;		/* sorted by series: a family's are adjacent */
static size_t ncarry, capcarry;
static char *jobs_kept[MT_DAEMON_CARRY_JOBS];	/* job label values, as printed */
static int njobs_kept;
static bool said_other;

/* The index of @series in carry, or where it would go (*found false). */
static size_t carry_find(const char *series, size_t len, bool *found)
{
	size_t lo = 0, hi = ncarry;

	*found = false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(carry[mid].series, series, len);

		if (!c && carry[mid].series[len])
			c = 1;
		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Is @job (a label value, as printed) one that keeps its own series? */
static bool job_kept(const char *job, size_t len)
{
	for (int i = 0; i < njobs_kept; i++)
		if (strlen(jobs_kept[i]) == len && !memcmp(jobs_kept[i], job, len))
			return true;
	if (njobs_kept >= MT_DAEMON_CARRY_JOBS)
		return false;
	jobs_kept[njobs_kept] = strndup(job, len);
	return jobs_kept[njobs_kept++] != NULL;
}

/*
 * Add @value to the series of sample line @line (without its value), its
 * job label folded into "_other" when there are too many job names.
 */
static void carry_add(const char *line, size_t len, unsigned long long value)
{
	static const char other[] = "job=\"_other\"";
	const char *brace = memchr(line, '{', len), *job, *end;
	char series[1024];
	size_t n, at;
	bool found;

	if (!brace || len >= sizeof(series))
		return;
	memcpy(series, line, len);
	series[len] = '\0';
	n = len;
	job = brace + 1;
	if (!strncmp(job, "job=\"", 5)) {
		/* the label value ends at the first '"' not escaped */
		for (end = job + 5; end < line + len && *end != '"'; end++)
			if (*end == '\\')
				end++;
		if (end < line + len && !job_kept(job + 5, (size_t)(end - job - 5))) {
			size_t pre = (size_t)(job - line), post = len - (size_t)(end + 1 - line);

			if (pre + sizeof(other) - 1 + post >= sizeof(series))
				return;
			memcpy(series + pre, other, sizeof(other) - 1);
			memcpy(series + pre + sizeof(other) - 1, end + 1, post);
			n = pre + sizeof(other) - 1 + post;
			series[n] = '\0';
			if (!said_other) {
				dlog(LOG_NOTICE, "more than %d job names: the counters of older jobs "
				     "of other names are kept under job=\"_other\"",
				     MT_DAEMON_CARRY_JOBS);
				said_other = true;
			}
		}
	}
	at = carry_find(series, n, &found);
	if (found) {
		carry[at].value += value;
		return;
	}
	if (ncarry == capcarry) {
		size_t cap = capcarry ? capcarry * 2 : 256;
		struct carried *nc = realloc(carry, cap * sizeof(*nc));

		if (!nc)
			return;
		carry = nc;
		capcarry = cap;
	}
	memmove(carry + at + 1, carry + at, (ncarry - at) * sizeof(*carry));
	carry[at].series = strdup(series);
	carry[at].famlen = (size_t)(brace - line);
	carry[at].value = value;
	if (carry[at].series)
		ncarry++;
	else
		memmove(carry + at, carry + at + 1, (ncarry - at) * sizeof(*carry));
}

/* Split a sample line: Return: the length of its series, or 0 if not a sample. */
static size_t sample_split(const char *line, size_t len, unsigned long long *value)
{
	const char *sp;
	char *end;

	if (!len || line[0] == '#')
		return 0;
	for (sp = line + len; sp > line && sp[-1] != ' '; sp--)
		;
	if (sp == line)
		return 0;
	*value = strtoull(sp, &end, 10);
	if (end != line + len)
		return 0;	/* not an integer: not one of the counters carried */
	return (size_t)(sp - 1 - line);
}

static bool is_counter_type(const char *line, size_t len)
{
	return len > 7 && !strncmp(line, "# TYPE ", 7) && len > 8 &&
	       !strncmp(line + len - 8, " counter", 8);
}

void metrics_carry(const struct mt_result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool counter = false;

	if (!f)
		return;
	mt_prom_write(f, &res, 1);
	fclose(f);
	for (char *p = buf, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		size_t n, slen;
		unsigned long long v;

		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (!strncmp(p, "# TYPE ", 7))
			counter = is_counter_type(p, n);
		else if (counter && (slen = sample_split(p, n, &v)))
			carry_add(p, slen, v);
	}
	free(buf);
}

/* Print the carried series of family [@fam, @famlen) that the live text did not have. */
static void print_rest(FILE *out, const char *fam, size_t famlen, bool *used)
{
	for (size_t i = 0; i < ncarry; i++)
		if (!used[i] && carry[i].famlen == famlen && !strncmp(carry[i].series, fam, famlen)) {
			fprintf(out, "%s %llu\n", carry[i].series, carry[i].value);
			used[i] = true;
		}
}

void metrics_merge(FILE *out, const char *live)
{
	bool *used = ncarry ? calloc(ncarry, sizeof(*used)) : NULL;
	const char *fam = NULL;
	size_t famlen = 0;
	bool counter = false;

	if (ncarry && !used) {
		fputs(live, out);
		return;
	}
	for (const char *p = live, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		size_t n, slen;
		unsigned long long v;
		bool found = false;
		size_t at = 0;

		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (!strncmp(p, "# HELP ", 7) || !strncmp(p, "# TYPE ", 7)) {
			const char *name = p + 7, *sp = memchr(name, ' ', n - 7);
			size_t nlen = sp ? (size_t)(sp - name) : n - 7;

			if (!fam || nlen != famlen || strncmp(fam, name, nlen)) {
				if (fam && counter)
					print_rest(out, fam, famlen, used);
				fam = name;
				famlen = nlen;
				counter = false;
			}
			if (!strncmp(p, "# TYPE ", 7))
				counter = is_counter_type(p, n);
		} else if (counter && ncarry && (slen = sample_split(p, n, &v))) {
			char series[1024];

			if (slen < sizeof(series)) {
				memcpy(series, p, slen);
				series[slen] = '\0';
				at = carry_find(series, slen, &found);
			}
			if (found) {
				used[at] = true;
				fprintf(out, "%.*s %llu\n", (int)slen, p, v + carry[at].value);
				continue;
			}
		}
		fprintf(out, "%.*s\n", (int)n, p);
	}
	if (fam && counter)
		print_rest(out, fam, famlen, used);
	/* a family the live text lacks altogether */
	for (size_t i = 0; i < ncarry; i++)
		if (!used[i]) {
			fprintf(out, "# TYPE %.*s counter\n", (int)carry[i].famlen, carry[i].series);
			print_rest(out, carry[i].series, carry[i].famlen, used);
		}
	free(used);
}
