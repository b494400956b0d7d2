// SPDX-License-Identifier: GPL-2.0-only
/*
 * timeline.c - timeline.csv of a job; see timeline.h.
 *
 * Each row is written whole with one fprintf and flushed, so that a
 * reader (a plot drawn while the job runs, a job that is killed) sees
 * whole rows only, but for the last.
 */
#include <errno.h>
#include <string.h>

#include "lib/engine/timeline.h"

static bool counted(int c)
{
	return mt_counter_class(c) != MT_CLASS_INFO;
}

int mt_timeline_open(struct mt_timeline *tl, const char *dir, const struct mt_job *job)
{
	memset(tl, 0, sizeof(*tl));
	if (!dir || !*dir || !job->timeline_ns)
		return 0;
	snprintf(tl->path, sizeof(tl->path), "%s/%s", dir, MT_TIMELINE_FILE);
	tl->f = fopen(tl->path, "we");
	if (!tl->f)
		return -errno;
	tl->job = job;
	tl->interval_ns = job->timeline_ns;
	tl->limit = MT_TIMELINE_ROWS;
	fputs("t_s,phase,ops", tl->f);
	for (unsigned int i = 0; i < job->mix.nroles && i < MT_MAX_OPS; i++)
		fprintf(tl->f, ",ops_%s", job->wl->roles[i]);
	fputs(",races,leaks", tl->f);
	for (int c = 0; c < MT_NCOUNTERS; c++)
		if (counted(c))
			fprintf(tl->f, ",%s", mt_counter_name(c));
	fputs(",audits\n", tl->f);
	if (fflush(tl->f)) {
		int err = errno ? -errno : -EIO;

		fclose(tl->f);
		tl->f = NULL;
		return err;
	}
	return 0;
}

/*
 * One row from the live region.  The region's counters move while they
 * are read: each total is the sum of the values read for its row, so
 * that a row adds up.  @last: the job's end; a row the same as the one
 * before but for its time is left out.
 */
static int row(struct mt_timeline *tl, const struct mt_region *r, uint64_t now, bool last)
{
	uint64_t ops[MT_MAX_OPS], cnt[MT_NCOUNTERS], ops_sum = 0, races = 0, leaks = 0;
	unsigned int nroles = tl->job->mix.nroles < MT_MAX_OPS ? tl->job->mix.nroles : MT_MAX_OPS;
	char line[sizeof(tl->last)];
	size_t off;

	for (unsigned int i = 0; i < nroles; i++)
		ops_sum += ops[i] = mt_ops_read(r, i);
	for (int c = 0; c < MT_NCOUNTERS; c++) {
		cnt[c] = mt_counter_read(r, c);
		if (mt_counter_class(c) == MT_CLASS_RACE)
			races += cnt[c];
		else if (mt_counter_class(c) == MT_CLASS_LEAK)
			leaks += cnt[c];
	}
	off = (size_t)snprintf(line, sizeof(line), "%.3f,%s,%llu", (double)(now - r->t_start_ns) / 1e9,
			       mt_phase_name(__atomic_load_n(&r->phase, __ATOMIC_ACQUIRE)),
			       (unsigned long long)ops_sum);
	for (unsigned int i = 0; i < nroles && off < sizeof(line); i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, ",%llu", (unsigned long long)ops[i]);
	if (off < sizeof(line))
		off += (size_t)snprintf(line + off, sizeof(line) - off, ",%llu,%llu",
					(unsigned long long)races, (unsigned long long)leaks);
	for (int c = 0; c < MT_NCOUNTERS && off < sizeof(line); c++)
		if (counted(c))
			off += (size_t)snprintf(line + off, sizeof(line) - off, ",%llu",
						(unsigned long long)cnt[c]);
	if (off < sizeof(line))
		snprintf(line + off, sizeof(line) - off, ",%llu\n", (unsigned long long)cnt[MT_AUDITS]);
	if (last && tl->rows && !strcmp(strchr(line, ','), strchr(tl->last, ',')))
		return 0;
	memcpy(tl->last, line, sizeof(line));
	if (fputs(line, tl->f) < 0 || fflush(tl->f)) {
		int err = errno ? -errno : -EIO;

		fclose(tl->f);
		tl->f = NULL;
		return err;
	}
	if (++tl->rows >= tl->limit) {	/* see the top of timeline.h */
		tl->interval_ns *= 2;
		tl->limit += MT_TIMELINE_ROWS;
	}
	return 0;
}

int mt_timeline_tick(struct mt_timeline *tl, const struct mt_region *r, uint64_t now)
{
	uint32_t phase;

	if (!tl->f)
		return 0;
	phase = __atomic_load_n(&r->phase, __ATOMIC_ACQUIRE);
	if (phase < MT_PHASE_RUNNING || phase > MT_PHASE_DONE)
		return 0;
	if (!tl->next_ns)
		tl->next_ns = r->t_start_ns;	/* the first row at the start */
	if (now < tl->next_ns)
		return 0;
	tl->next_ns += tl->interval_ns;
	if (tl->next_ns <= now)		/* behind (a stopped supervisor): no burst of rows */
		tl->next_ns = now + tl->interval_ns;
	return row(tl, r, now, false);
}

int mt_timeline_close(struct mt_timeline *tl, const struct mt_region *r)
{
	int rc = 0;

	if (!tl->f)
		return 0;
	if (tl->rows)	/* the last row: the counters as the job left them */
		rc = row(tl, r, mt_now_ns(), true);
	if (tl->f && fclose(tl->f) && !rc)
		rc = errno ? -errno : -EIO;
	tl->f = NULL;
	return rc;
}
