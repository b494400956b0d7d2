// SPDX-License-Identifier: GPL-2.0-only
/*
 * options.c - values as job files write them (numbers with bounds,
 * booleans, times with suffixes), workload options from a descriptor's
 * table, mix weights, and job defaults.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/engine/job.h"
#include "lib/engine/options.h"

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
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	for (unsigned int i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(end, units[i].sfx)) {
			double x = v * units[i].mul;

			if (x > 1.8e19)
				return -1;
			*ns = (uint64_t)llround(x);
			return 0;
		}
	return -1;
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
	return -1;
}

int mt_parse_double(const char *s, double *d)
{
	char *end;

	errno = 0;
	*d = strtod(s, &end);
	if (end == s || errno || !isfinite(*d))
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	return *end ? -1 : 0;
}

int mt_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (end == s || errno)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	return *end ? -1 : 0;
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

char *mt_ini_feed(char *str, int num, const char *line, size_t len, size_t *off)
{
	size_t n = *off < len ? len - *off : 0;

	if (num < 1)
		return NULL;
	if (n > (size_t)num - 1)
		n = (size_t)num - 1;
	memcpy(str, line + *off, n);
	str[n] = '\0';
	*off += n;
	return str;
}

size_t mt_utf8_valid_prefix(const char *s, size_t len)
{
	size_t i = 0, k;

	while (i < len && (k = mt_utf8_seq((const unsigned char *)s + i, len - i)))
		i += k;
	return i;
}

const struct wl_opt *wl_opt_lookup(const struct workload *wl, const char *name)
{
	for (const struct wl_opt *o = wl->opts; o && o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

int wl_opt_set(const struct wl_opt *o, void *opts, const char *value,
	       char *err, size_t errlen)
{
	void *p = (char *)opts + o->off;
	double d;
	uint64_t u;
	bool b;

	switch (o->type) {
	case WL_OPT_UINT:
		if (mt_parse_u64(value, &u) || (double)u < o->min || (double)u > o->max) {
			snprintf(err, errlen, "'%s' is not an integer in %.0f..%.0f",
				 value, o->min, o->max);
			return -1;
		}
		*(unsigned int *)p = (unsigned int)u;
		return 0;
	case WL_OPT_DOUBLE:
		if (mt_parse_double(value, &d) || d < o->min || d > o->max) {
			snprintf(err, errlen, "'%s' is not a number in %g..%g", value,
				 o->min, o->max);
			return -1;
		}
		*(double *)p = d;
		return 0;
	case WL_OPT_BOOL:
		if (mt_parse_bool(value, &b)) {
			snprintf(err, errlen, "'%s' is not a boolean (0/1, yes/no)", value);
			return -1;
		}
		*(bool *)p = b;
		return 0;
	case WL_OPT_TIME:
		if (mt_parse_time_ns(value, &u) || (double)u < o->min || (double)u > o->max) {
			char lo[32], hi[32];

			mt_format_time((uint64_t)o->min, lo, sizeof(lo));
			mt_format_time((uint64_t)o->max, hi, sizeof(hi));
			snprintf(err, errlen, "'%s' is not a time in %s..%s (suffixes ns us ms s m h d)",
				 value, lo, hi);
			return -1;
		}
		*(uint64_t *)p = u;
		return 0;
	case WL_OPT_STRING:
		if (strlen(value) >= WL_OPT_STRLEN) {
			snprintf(err, errlen, "'%s' is longer than %d characters", value,
				 WL_OPT_STRLEN - 1);
			return -1;
		}
		snprintf((char *)p, WL_OPT_STRLEN, "%s", value);
		return 0;
	case WL_OPT_ENUM:
		for (unsigned int i = 0; o->choices && o->choices[i]; i++)
			if (!strcmp(o->choices[i], value)) {
				*(unsigned int *)p = i;
				return 0;
			}
		{
			char ch[160];

			wl_opt_choices_str(o, ch, sizeof(ch));
			snprintf(err, errlen, "'%s' is not one of %s", value, ch);
		}
		return -1;
	}
	snprintf(err, errlen, "unknown option type");
	return -1;
}

void wl_opt_choices_str(const struct wl_opt *o, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; o->choices && o->choices[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					o->choices[i]);
}

int wl_opts_defaults(const struct workload *wl, void *opts, char *err, size_t errlen)
{
	memset(opts, 0, wl->opts_size);
	for (const struct wl_opt *o = wl->opts; o && o->name; o++)
		if (o->def && wl_opt_set(o, opts, o->def, err, errlen))
			return -1;
	return 0;
}

unsigned int wl_nroles(const struct workload *wl)
{
	unsigned int n = 0;

	while (wl->roles && wl->roles[n])
		n++;
	return n;
}

/* "unknown role 'x' (roles: a b c)" */
static void unknown_role(const struct workload *wl, const char *name, char *err, size_t errlen)
{
	size_t off = (size_t)snprintf(err, errlen, "unknown role '%s' (roles:", name);

	for (unsigned int k = 0; wl->roles && wl->roles[k] && off < errlen; k++)
		off += (size_t)snprintf(err + off, errlen - off, " %s", wl->roles[k]);
	if (off < errlen)
		snprintf(err + off, errlen - off, ")");
}

int wl_mix_parse(const struct workload *wl, const char *spec, struct wl_mix *mix,
		 char *err, size_t errlen)
{
	unsigned int nroles = wl_nroles(wl);
	bool seen[MT_MAX_OPS] = { false };
	const char *p = spec;

	memset(mix, 0, sizeof(*mix));
	mix->nroles = nroles;
	if (!spec || !*spec) {	/* every role, equally */
		for (unsigned int i = 0; i < nroles; i++)
			mix->weight[i] = 1;
		mix->total = nroles;
		return 0;
	}
	for (;;) {
		char name[64], wbuf[24];
		size_t n, wn;
		uint64_t w;
		unsigned int i;

		while (isspace((unsigned char)*p))
			p++;
		n = strcspn(p, ":,");
		if (n == 0 || n >= sizeof(name)) {
			snprintf(err, errlen, "expected role:weight in '%s'%s", spec,
				 n ? "" : ": a comma too many?");
			return -1;
		}
		memcpy(name, p, n);
		while (n && isspace((unsigned char)name[n - 1]))
			n--;
		name[n] = '\0';
		p += strcspn(p, ":,");
		for (i = 0; i < nroles; i++)
			if (!strcmp(wl->roles[i], name))
				break;
		if (i == nroles) {
			unknown_role(wl, name, err, errlen);
			return -1;
		}
		if (seen[i]) {
			snprintf(err, errlen, "role '%s' is given twice", name);
			return -1;
		}
		seen[i] = true;
		wn = *p == ':' ? strcspn(p + 1, ",") : 0;
		if (*p != ':' || !wn) {
			snprintf(err, errlen, "role '%s' has no weight: write %s:N", name, name);
			return -1;
		}
		p++;
		snprintf(wbuf, sizeof(wbuf), "%.*s", (int)(wn < sizeof(wbuf) ? wn : sizeof(wbuf) - 1), p);
		if (wn >= sizeof(wbuf) || mt_parse_u64(wbuf, &w) || w > 1000000) {
			snprintf(err, errlen, "role '%s': weight '%s%s' is not an integer in 0..1000000",
				 name, wbuf, wn >= sizeof(wbuf) ? "..." : "");
			return -1;
		}
		p += wn;
		mix->weight[i] = (uint32_t)w;
		if (!*p)
			break;
		p++;	/* the comma */
	}
	for (unsigned int i = 0; i < nroles; i++)
		mix->total += mix->weight[i];
	if (!mix->total) {
		snprintf(err, errlen, "every weight is zero");
		return -1;
	}
	return 0;
}

void mt_job_defaults(struct mt_job *job, const struct workload *wl)
{
	char err[128];

	memset(job, 0, sizeof(*job));
	snprintf(job->name, sizeof(job->name), "job");
	job->threads = 4;
	job->runtime_ns = 30ull * 1000000000ull;
	job->rcu = MT_RCU_MEMB;
	job->inject.delay_prob = 0.001;
	job->inject.sync_delay_prob = -1;	/* delay / 10 */
	job->inject.delay_mode = MT_DELAY_MIX;
	job->inject.delay_max_ns = 20000;
	job->audit_interval_ns = 5ull * 1000000000ull;
	job->expect = MT_JOB_EXPECT_CLEAN;
	job->stop_on_detect = true;
	snprintf(job->nodes, sizeof(job->nodes), "all");
	job->hang_grace_ns = 60ull * 1000000000ull;
	if (wl)
		mt_job_set_workload(job, wl, err, sizeof(err));
}

int mt_job_set_workload(struct mt_job *job, const struct workload *wl,
			char *err, size_t errlen)
{
	if (wl->opts_size > sizeof(job->wl_opts)) {
		snprintf(err, errlen, "workload %s: options too large", wl->name);
		return -1;
	}
	job->wl = wl;
	if (wl_opts_defaults(wl, job->wl_opts, err, errlen))
		return -1;
	snprintf(job->mix_spec, sizeof(job->mix_spec), "%s",
		 wl->default_mix ? wl->default_mix : "");
	return wl_mix_parse(wl, job->mix_spec, &job->mix, err, errlen);
}
