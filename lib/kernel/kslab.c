// SPDX-License-Identifier: GPL-2.0-only
/*
 * kslab.c - slab object counts of the running kernel; see kslab.h for
 * what is read, why every read shrinks first, and the noise band.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/counters.h"
#include "kernel/kslab.h"
#include "kernel/kutil.h"

int64_t ks_median(const int64_t *v, unsigned int n)
{
	int64_t tmp[KS_MAX_SERIES];

	if (n > KS_MAX_SERIES)
		n = KS_MAX_SERIES;
	memcpy(tmp, v, n * sizeof(*v));
	for (unsigned int i = 1; i < n; i++)	/* insertion sort: n is small */
		for (unsigned int j = i; j && tmp[j - 1] > tmp[j]; j--) {
			int64_t t = tmp[j];

			tmp[j] = tmp[j - 1];
			tmp[j - 1] = t;
		}
	return tmp[n / 2];
}

int ks_parse_slabinfo(const char *text, const char *name, int64_t *objects)
{
	size_t n = strlen(name);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		long long active;

		if (strncmp(l, name, n) || (l[n] != ' ' && l[n] != '\t'))
			continue;
		if (sscanf(l + n, "%lld", &active) != 1)
			return -EINVAL;
		*objects = active;
		return 0;
	}
	return -ENOENT;
}

int64_t ks_self_vmas(void)
{
	char buf[65536];
	int64_t lines = 0;
	ssize_t got;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < got; i++)
			lines += buf[i] == '\n';
	close(fd);
	return got < 0 ? -1 : lines;
}

/* The other names of the merged cache @target under @root: "a, b, c". */
static void merged_names(const char *root, const char *self, const char *target,
			 char *buf, size_t len)
{
	DIR *d = opendir(root);
	struct dirent *e;
	size_t off = 0;

	buf[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d))) {
		char p[512], t[64];
		ssize_t n;

		if (e->d_name[0] == '.' || e->d_name[0] == ':' || !strcmp(e->d_name, self))
			continue;
		snprintf(p, sizeof(p), "%s/%s", root, e->d_name);
		n = readlink(p, t, sizeof(t) - 1);
		if (n <= 0)
			continue;
		t[n] = '\0';
		if (strcmp(kt_basename(t), target) || off >= len)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", e->d_name);
	}
	closedir(d);
}

int ks_init(struct ks_set *s, const char *root, const char *slabinfo,
	    const char *const *names, unsigned int n, char *err, size_t errlen)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	snprintf(s->root, sizeof(s->root), "%s", root ? root : "/sys/kernel/slab");
	snprintf(s->slabinfo, sizeof(s->slabinfo), "%s", slabinfo ? slabinfo : "/proc/slabinfo");
	s->sysfs = !stat(s->root, &st) && S_ISDIR(st.st_mode);
	if (n > KS_MAX_CACHES)
		n = KS_MAX_CACHES;
	for (unsigned int i = 0; i < n; i++) {
		struct ks_cache *c = &s->c[i];
		char p[512], t[64];
		ssize_t len;

		snprintf(c->name, sizeof(c->name), "%s", names[i]);
		c->self_vmas = !strcmp(c->name, "vm_area_struct");
		if (!s->sysfs)
			continue;
		snprintf(p, sizeof(p), "%s/%s", s->root, c->name);
		if (lstat(p, &st))
			continue;
		c->present = true;
		len = readlink(p, t, sizeof(t) - 1);
		if (len > 0) {
			t[len] = '\0';
			snprintf(c->target, sizeof(c->target), "%s", kt_basename(t));
			merged_names(s->root, c->name, c->target, c->merged_with,
				     sizeof(c->merged_with));
			c->merged = c->merged_with[0] != '\0';
		}
	}
	s->n = n;
	{
		int64_t v[KS_MAX_CACHES];
		int rc = ks_read(s, v);

		if (rc) {
			snprintf(err, errlen, "cannot read the slab counts (%s/*/objects or %s): %s",
				 s->root, s->slabinfo, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int ks_read(struct ks_set *s, int64_t *out)
{
	char *info = NULL;
	int rc = 0;

	if (!s->sysfs) {
		static char text[1 << 20];
		ssize_t got = kt_read_file(s->slabinfo, text, sizeof(text));

		if (got < 0)
			return (int)got;
		info = text;
	}
	for (unsigned int i = 0; i < s->n; i++) {
		struct ks_cache *c = &s->c[i];
		char p[512], buf[256];
		long long v;

		out[i] = 0;
		if (info) {
			c->present = !ks_parse_slabinfo(info, c->name, &out[i]);
		} else if (c->present) {
			snprintf(p, sizeof(p), "%s/%s/shrink", s->root, c->name);
			kt_write_file(p, "1");	/* best effort: the count is still a count */
			snprintf(p, sizeof(p), "%s/%s/objects", s->root, c->name);
			if ((rc = (int)kt_read_file(p, buf, sizeof(buf))) < 0)
				return rc;
			if (sscanf(buf, "%lld", &v) != 1)
				return -EINVAL;
			out[i] = v;
		}
		if (c->present && c->self_vmas) {
			int64_t own = ks_self_vmas();

			if (own > 0)
				out[i] -= own;
		}
	}
	return 0;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };

	nanosleep(&ts, NULL);
}

/*
 * A window: @samples reads @gap_ns apart, each after a shrink; the least
 * of them is the count.  A read only ever counts too much: an allocation
 * on another CPU between the shrink and the read takes a slab as its CPU
 * slab again, and every free object of that slab counts as in use until
 * the next flush.  Nothing makes a read count too little.
 */
static int window(struct ks_set *s, unsigned int samples, uint64_t gap_ns, int64_t *least)
{
	int64_t v[KS_MAX_CACHES];
	int rc;

	for (unsigned int k = 0; k < (samples ? samples : 1); k++) {
		if (k)
			sleep_ns(gap_ns);
		if ((rc = ks_read(s, v)))
			return rc;
		for (unsigned int i = 0; i < s->n; i++)
			if (!k || v[i] < least[i])
				least[i] = v[i];
	}
	return 0;
}

/* Two windows: their least is the count, their difference is noise measured. */
static int window_pair(struct ks_set *s, unsigned int samples, uint64_t gap_ns, int64_t *out)
{
	int64_t a[KS_MAX_CACHES], b[KS_MAX_CACHES];
	int rc;

	if ((rc = window(s, samples, gap_ns, a)) || (rc = window(s, samples, gap_ns, b)))
		return rc;
	for (unsigned int i = 0; i < s->n; i++) {
		int64_t d = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];

		if (d > s->c[i].spread)
			s->c[i].spread = d;
		out[i] = a[i] < b[i] ? a[i] : b[i];
	}
	return 0;
}

int ks_baseline(struct ks_set *s, unsigned int samples, uint64_t gap_ns)
{
	int64_t first[KS_MAX_CACHES], second[KS_MAX_CACHES];
	int rc;

	/* two pairs: the noise of the machine before the job, then the baseline */
	if ((rc = window_pair(s, samples, gap_ns, first)) ||
	    (rc = window_pair(s, samples, gap_ns, second)))
		return rc;
	for (unsigned int i = 0; i < s->n; i++) {
		int64_t d = first[i] > second[i] ? first[i] - second[i] : second[i] - first[i];

		if (d > s->c[i].spread)
			s->c[i].spread = d;
		s->c[i].base = first[i] < second[i] ? first[i] : second[i];
		s->c[i].n = 0;
	}
	return 0;
}

int ks_measure(struct ks_set *s, uint64_t settle_ns, unsigned int samples,
	       uint64_t gap_ns, bool *settled)
{
	int64_t prev[KS_MAX_CACHES], cur[KS_MAX_CACHES], med[KS_MAX_CACHES];
	uint64_t until = mt_now_ns() + settle_ns;
	unsigned int calm = 0;
	int rc;

	*settled = false;
	if ((rc = window(s, samples, gap_ns, prev)))
		return rc;
	/* deferred frees (RCU, task work, workqueues) land: three calm windows in a row */
	while (mt_now_ns() < until) {
		bool moved = false;

		if ((rc = window(s, samples, gap_ns, cur)))
			return rc;
		for (unsigned int i = 0; i < s->n; i++) {
			int64_t d = cur[i] - prev[i];

			moved |= (d < 0 ? -d : d) > 2 * s->c[i].spread + 1;
			prev[i] = cur[i];
		}
		calm = moved ? 0 : calm + 1;
		if (calm >= 3) {
			*settled = true;
			break;
		}
	}
	if ((rc = window_pair(s, samples, gap_ns, med)))
		return rc;
	for (unsigned int i = 0; i < s->n; i++) {
		struct ks_cache *c = &s->c[i];

		if (c->n < KS_MAX_SERIES) {
			c->m[c->n] = med[i];
			c->settled[c->n] = *settled;
			c->n++;
		} else {	/* keep the first and the latest */
			c->m[KS_MAX_SERIES - 1] = med[i];
		}
	}
	return 0;
}

void ks_judge(const struct ks_cache *c, unsigned int min_n, struct ks_verdict *v)
{
	unsigned int n = c->n < KS_MAX_SERIES ? c->n : KS_MAX_SERIES;
	bool grows = true;

	memset(v, 0, sizeof(*v));
	v->band = 2 * c->spread + 1;
	if (!c->present || !n)
		return;
	v->excess = c->m[n - 1] - c->base;
	v->enough = n >= min_n;
	if (!v->enough)
		return;
	/*
	 * A leak grows with the cycles: up at every measurement, by more than
	 * the band on the whole.  A process of the machine that starts (a step)
	 * or comes and goes (noise) does not.
	 */
	int64_t dmin = INT64_MAX, dmax = 0;

	for (unsigned int i = 1; i < n; i++) {
		int64_t d = c->m[i] - c->m[i - 1];

		grows &= d > 0;
		dmin = d < dmin ? d : dmin;
		dmax = d > dmax ? d : dmax;
	}
	/* and steadily: what a cycle leaks, it leaks again; noise that happens to rise does not */
	if (!grows || dmax - dmin > v->band + dmin / 2 || v->excess <= v->band ||
	    c->m[n - 1] - c->m[0] <= (int64_t)(n - 1) * v->band)
		return;
	if (c->merged)
		v->unattributed = true;
	else
		v->leak = true;
}
