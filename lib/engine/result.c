// SPDX-License-Identifier: GPL-2.0-only
/*
 * result.c - snapshots, verdicts, and summary.txt / metrics.json /
 * metrics.prom; see result.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/engine/engine.h"
#include "lib/engine/options.h"
#include "lib/engine/result.h"

#define PLURAL(n)	((n) == 1 ? "" : "s")

static const char *const verdict_names[MT_NVERDICTS] = {
	[MT_V_PASS] = "PASS",
	[MT_V_DETECTED] = "DETECTED",
	[MT_V_MISSED] = "MISSED",
	[MT_V_FAIL] = "FAIL",
	[MT_V_INCONCLUSIVE] = "INCONCLUSIVE",
	[MT_V_ERROR] = "ERROR",
};

const char *mt_verdict_name(enum mt_verdict v)
{
	return (unsigned int)v < MT_NVERDICTS ? verdict_names[v] : "?";
}

int mt_verdict_lookup(const char *name)
{
	for (int i = 0; i < MT_NVERDICTS; i++)
		if (!strcmp(verdict_names[i], name))
			return i;
	return -1;
}

int mt_verdict_exit(enum mt_verdict v)
{
	switch (v) {
	case MT_V_PASS:
	case MT_V_DETECTED:
		return MT_EXIT_OK;
	case MT_V_ERROR:
		return MT_EXIT_HARNESS;
	default:
		return MT_EXIT_EXPECT;
	}
}

void mt_result_snapshot(struct mt_result *res, const struct mt_job *job,
			const struct mt_region *r)
{
	uint64_t end = __atomic_load_n(&r->t_end_ns, __ATOMIC_ACQUIRE);
	uint32_t nc, nw;
	uint64_t ne;

	snprintf(res->job, sizeof(res->job), "%s", job->name);
	snprintf(res->workload, sizeof(res->workload), "%s", job->wl->name);
	snprintf(res->file, sizeof(res->file), "%s", job->file);
	res->line = job->line;
	res->seed = r->seed ? r->seed : job->seed;
	snprintf(res->rcu, sizeof(res->rcu), "%s", mt_rcu_flavor_name(job->rcu));
	res->threads = job->threads;
	res->runtime_s = (double)job->runtime_ns / 1e9;
	res->delay = job->inject.delay_prob;
	res->sync_delay = mt_inject_sync_prob(&job->inject);
	snprintf(res->bugs, sizeof(res->bugs), "%s", job->bugs_spec);
	res->expect_detect = job->expect == MT_JOB_EXPECT_DETECT;
	snprintf(res->nodes, sizeof(res->nodes), "%s", job->nodes);
	snprintf(res->mix, sizeof(res->mix), "%s", job->mix_spec);
	if (end)
		res->elapsed_s = (double)end / 1e9;
	else if (r->t_start_ns && r->phase >= MT_PHASE_RUNNING)
		res->elapsed_s = (double)(mt_now_ns() - r->t_start_ns) / 1e9;

	for (int c = 0; c < MT_NCOUNTERS; c++) {
		uint64_t f = __atomic_load_n(&r->first_ns[c], __ATOMIC_RELAXED);

		res->counters[c] = mt_counter_read(r, c);
		res->first_s[c] = f ? (double)f / 1e9 : -1;
	}
	res->nroles = job->mix.nroles;
	for (unsigned int i = 0; i < res->nroles && i < MT_MAX_OPS; i++) {
		snprintf(res->roles[i], MT_NAME_LEN, "%s", job->wl->roles[i]);
		res->weight[i] = job->mix.weight[i];
		res->ops[i] = mt_ops_read(r, i);
	}
	res->nnodes = job->plan.nnodes;
	for (int k = 0; k < job->plan.nnodes; k++) {
		res->node_id[k] = job->plan.nodes[k];
		res->node_ops[k] = 0;
		for (unsigned int i = 0; i < res->nroles; i++)
			res->node_ops[k] += mt_ops_read_node(r, i, job->plan.nodes[k]);
	}
	nc = __atomic_load_n(&r->ncaches, __ATOMIC_ACQUIRE);
	res->ncaches = nc < MT_MAX_CACHES ? nc : MT_MAX_CACHES;
	for (unsigned int i = 0; i < res->ncaches; i++) {
		struct mt_result_cache *c = &res->caches[i];

		snprintf(c->name, sizeof(c->name), "%s", r->caches[i].name);
		c->typesafe = r->caches[i].typesafe;
		c->live = mt_cache_live(r, i);
		c->allocs = mt_cache_allocs(r, i);
		c->remote_frees = mt_cache_remote_frees(r, i);
		c->leaked = r->caches[i].leaked;
	}
	nw = __atomic_load_n(&r->nwindows, __ATOMIC_ACQUIRE);
	res->nwindows = nw < MT_MAX_WINDOWS ? nw : MT_MAX_WINDOWS;
	for (unsigned int i = 0; i < res->nwindows; i++) {
		snprintf(res->windows[i].name, sizeof(res->windows[i].name), "%s",
			 r->windows[i].name);
		res->windows[i].hits = __atomic_load_n(&r->windows[i].hits, __ATOMIC_RELAXED);
		/* coverage: passes and overlaps per window (inject.h) */
		res->windows[i].passes = mt_window_passes(r, i);
		res->windows[i].overlaps = __atomic_load_n(&r->windows[i].overlaps, __ATOMIC_RELAXED);
		res->windows[i].required = r->windows[i].required;
	}
	ne = __atomic_load_n(&r->nevents, __ATOMIC_ACQUIRE);
	res->nevents_total = ne;
	res->nevents = 0;
	for (uint64_t i = 0; i < ne && i < MT_MAX_EVENTS; i++) {
		const struct mt_event *ev = &r->events[i];
		struct mt_result_event *e;

		if (!__atomic_load_n(&ev->ready, __ATOMIC_ACQUIRE))
			continue;
		e = &res->events[res->nevents++];
		e->t_s = (double)ev->t_ns / 1e9;
		snprintf(e->kind, sizeof(e->kind), "%s", mt_counter_name(ev->kind));
		snprintf(e->where, sizeof(e->where), "%s", ev->where);
		snprintf(e->what, sizeof(e->what), "%s", ev->what);
		e->thread = ev->thread;
	}
	if (r->phase == MT_PHASE_ERROR && !res->error[0])
		snprintf(res->error, sizeof(res->error), "%s", r->error);
	{
		uint64_t met = __atomic_load_n(&r->t_detect_ns, __ATOMIC_RELAXED);

		res->met_s = met ? (double)met / 1e9 : -1;
	}
}

/* Did counter @c fire?  leaked_objects{cache} looks at that cache only. */
static bool res_fired(void *arg, enum mt_counter c, const char *cache, double *first_s)
{
	const struct mt_result *res = arg;

	*first_s = res->first_s[c];
	if (c == MT_LEAKED_OBJECTS && cache) {
		for (unsigned int i = 0; i < res->ncaches; i++)
			if (!strcmp(res->caches[i].name, cache) && res->caches[i].leaked)
				return true;
		return false;
	}
	return res->counters[c] > 0;
}

static uint64_t problems(const struct mt_result *res)
{
	uint64_t n = 0;

	for (int c = 0; c < MT_NCOUNTERS; c++)
		if (mt_counter_class(c) != MT_CLASS_INFO)
			n += res->counters[c];
	return n;
}

/* The time of the first race or leak, -1 if none; its counter in @which. */
static double first_problem(const struct mt_result *res, int *which)
{
	double first = -1;

	for (int c = 0; c < MT_NCOUNTERS; c++)
		if (mt_counter_class(c) != MT_CLASS_INFO && res->first_s[c] >= 0 &&
		    (first < 0 || res->first_s[c] < first)) {
			first = res->first_s[c];
			if (which)
				*which = c;
		}
	return first;
}

static void list_fired(const struct mt_result *res, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int c = 0; c < MT_NCOUNTERS && off < len; c++)
		if (mt_counter_class(c) != MT_CLASS_INFO && res->counters[c])
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%llu", off ? ", " : "",
						mt_counter_name(c),
						(unsigned long long)res->counters[c]);
}

/* "cancelled after 1.2s of 30s: partial results" */
static void cancelled_why(const struct mt_result *res, const struct mt_job *job, char *buf,
			  size_t len)
{
	char rt[32];

	mt_format_time(job->runtime_ns, rt, sizeof(rt));
	snprintf(buf, len, "cancelled after %.1fs of %s: partial results", res->elapsed_s, rt);
}

/* How the job ended, when it was not by itself: a hang or a signal; "" if it was. */
static void abnormal_end(const struct mt_result *res, char *buf, size_t len)
{
	buf[0] = '\0';
	if (res->hung)
		snprintf(buf, len, "hung: %s, killed%s%.120s%s", res->hang,
			 res->error[0] ? " (" : "", res->error, res->error[0] ? ")" : "");
	else if (res->term_signal)
		snprintf(buf, len, "the job process died of signal %d (%s)", res->term_signal,
			 strsignal(res->term_signal));
}

/*
 * coverage: delays at the protocols' named windows (not the generic sync
 * points) during which another thread freed an object (inject.h): a
 * lookup that overlapped a free, seen by the injection itself.
 */
static uint64_t window_overlaps(const struct mt_result *res)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < res->nwindows; i++)
		if (strncmp(res->windows[i].name, "sync-", 5))
			n += res->windows[i].overlaps;
	return n;
}

void mt_result_judge(struct mt_result *res, const struct mt_job *job)
{
	char fired[200], end[272], cancel[96];
	/* cancelled before its runtime ended; runtime=0 runs until cancelled */
	bool partial = res->cancelled && job->runtime_ns;
	double first = -1;

	list_fired(res, fired, sizeof(fired));
	abnormal_end(res, end, sizeof(end));
	cancelled_why(res, job, cancel, sizeof(cancel));
	res->detect_s = -1;
	res->first_detect_s = -1;

	if (res->error[0] && !end[0]) {
		res->verdict = MT_V_ERROR;
		snprintf(res->why, sizeof(res->why), "harness error: %s", res->error);
		return;
	}
	if (job->expect == MT_JOB_EXPECT_DETECT) {
		double met_at;
		int met = mt_bugs_expectation(job->bugs, true, res_fired, res, &first, &met_at);

		res->first_detect_s = first;
		if (met == 1) {
			res->detect_s = res->met_s >= 0 ? res->met_s : met_at;
			res->verdict = MT_V_DETECTED;
			snprintf(res->why, sizeof(res->why), "detected in %.3fs (first counter at %.3fs): %s%s%s",
				 res->detect_s, first, fired, end[0] ? "; then " : "", end);
		} else if (partial && !end[0]) {
			res->verdict = MT_V_INCONCLUSIVE;
			snprintf(res->why, sizeof(res->why), "%s; the expectation was not met yet%s%s",
				 cancel, fired[0] ? ": fired " : "", fired);
		} else {
			res->verdict = MT_V_MISSED;
			snprintf(res->why, sizeof(res->why), "%s%s%s%s%s",
				 end, end[0] ? " before detection; " : "",
				 first >= 0 ? "only part of the expectation fired: " :
					      "the expected counters did not fire",
				 fired[0] && first < 0 ? "; fired: " : "", fired);
		}
		return;
	}

	/* expect=clean: no detection, and any race or leak is a failure */
	if (problems(res) || end[0]) {
		res->verdict = MT_V_FAIL;
		if (end[0])
			snprintf(res->why, sizeof(res->why), "%s%s%s", end, fired[0] ? "; " : "", fired);
		else
			snprintf(res->why, sizeof(res->why), "races or leaks in a clean job: %s", fired);
		return;
	}
	if (partial) {
		res->verdict = MT_V_INCONCLUSIVE;
		snprintf(res->why, sizeof(res->why), "%s (no race, no leak so far)", cancel);
		return;
	}
	for (unsigned int i = 0; i < res->nroles; i++)
		if (res->weight[i] && !res->ops[i]) {
			res->verdict = MT_V_INCONCLUSIVE;
			snprintf(res->why, sizeof(res->why), "role %s never ran", res->roles[i]);
			return;
		}
	if (job->wl->need_overlap && job->threads > 1 && !res->counters[MT_OVERLAPS] &&
	    !window_overlaps(res)) {
		res->verdict = MT_V_INCONCLUSIVE;
		snprintf(res->why, sizeof(res->why),
			 "no lookup ever overlapped a replace or free (overlaps=0)");
		return;
	}
	/* coverage: a protocol step the workload's roles must reach (inject.h) */
	for (unsigned int i = 0; i < res->nwindows; i++)
		if (res->windows[i].required && !res->windows[i].passes) {
			res->verdict = MT_V_INCONCLUSIVE;
			snprintf(res->why, sizeof(res->why), "protocol step %s never reached",
				 res->windows[i].name);
			return;
		}
	res->verdict = MT_V_PASS;
	{
		uint64_t ops = 0;

		for (unsigned int i = 0; i < res->nroles; i++)
			ops += res->ops[i];
		snprintf(res->why, sizeof(res->why),
			 "no race, no leak in %llu op%s, %llu audit%s, %llu overlap%s%s",
			 (unsigned long long)ops, PLURAL(ops),
			 (unsigned long long)res->counters[MT_AUDITS], PLURAL(res->counters[MT_AUDITS]),
			 (unsigned long long)res->counters[MT_OVERLAPS],
			 PLURAL(res->counters[MT_OVERLAPS]),
			 res->cancelled ? " (until cancelled)" : "");
	}
}

/* ---- files ---- */

/* fsync the directory that holds @path: a rename is durable once it is. */
static int sync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, err = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) && errno != EINVAL)	/* EINVAL: a file system without it */
		err = -errno;
	close(fd);
	return err;
}

int mt_write_atomic(const char *path, const char *data, size_t len)
{
	static unsigned int calls;
	char tmp[PATH_MAX];
	int fd, n, err = 0;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%d.%u", path, (int)getpid(),
		     __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED));
	if (n < 0 || n >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		/* left by a dead process that had this pid: the name is ours now */
		unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t w = write(fd, data, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		data += w;
		len -= (size_t)w;
	}
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	return sync_dir_of(path);
}

static int write_stream(const char *path, void (*fn)(const struct mt_result *, FILE *),
			const struct mt_result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f)
		return -errno;
	fn(res, f);
	fclose(f);
	rc = mt_write_atomic(path, buf, len);
	free(buf);
	return rc;
}

static void prom_one(const struct mt_result *res, FILE *f)
{
	mt_prom_write(f, &res, 1);
}

int mt_result_write_dir(struct mt_result *res, const char *dir)
{
	char path[PATH_MAX];
	json_t *j;
	char *txt;
	int rc;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	snprintf(res->dir, sizeof(res->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/summary.txt", dir);
	if ((rc = write_stream(path, mt_result_summary, res)))
		return rc;
	snprintf(path, sizeof(path), "%s/metrics.prom", dir);
	if ((rc = write_stream(path, prom_one, res)))
		return rc;
	j = mt_result_to_json(res);
	txt = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	if (!txt)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/metrics.json", dir);
	rc = mt_write_atomic(path, txt, strlen(txt));
	free(txt);
	return rc;
}

void mt_result_summary(const struct mt_result *res, FILE *f)
{
	char rt[32];
	double first;
	int which = 0;

	fprintf(f, "mmtorture %s - job %s (workload %s)\n", MT_VERSION, res->job, res->workload);
	if (res->file[0])
		fprintf(f, "defined at  %s:%d\n", res->file, res->line);
	fprintf(f, "started     %s\n", res->started);
	fprintf(f, "verdict     %s: %s\n", mt_verdict_name(res->verdict), res->why);
	fprintf(f, "seed        %llu   (seed=%llu repeats this run's random choices)\n",
		(unsigned long long)res->seed, (unsigned long long)res->seed);
	mt_format_time((uint64_t)llround(res->runtime_s * 1e9), rt, sizeof(rt));
	fprintf(f, "settings    threads=%u rcu=%s runtime=%s delay=%g sync_delay=%g expect=%s nodes=%s\n",
		res->threads, res->rcu, res->runtime_s > 0 ? rt : "0 (until cancelled)", res->delay,
		res->sync_delay,
		res->expect_detect ? "detect" : "clean", res->nodes);
	if (res->bugs[0])
		fprintf(f, "bugs        %s\n", res->bugs);
	if (res->mix[0])
		fprintf(f, "mix         %s\n", res->mix);
	fprintf(f, "elapsed     %.3fs%s\n", res->elapsed_s, res->cancelled ? " (cancelled)" : "");
	if (res->expect_detect && res->detect_s >= 0)
		fprintf(f, "detected    at %.3fs, when the expectation was met (first expected counter at %.3fs)\n",
			res->detect_s, res->first_detect_s);
	else if (res->expect_detect && res->first_detect_s >= 0)
		fprintf(f, "detected    partly: first expected counter at %.3fs\n", res->first_detect_s);
	if (!res->expect_detect && (first = first_problem(res, &which)) >= 0)
		fprintf(f, "first       race or leak at %.3fs (%s)\n", first, mt_counter_name(which));
	if (res->hung)
		fprintf(f, "hung        %s: killed by the watchdog (signal %d)\n", res->hang,
			res->term_signal);
	else if (res->term_signal)
		fprintf(f, "crash       signal %d (%s)\n", res->term_signal, strsignal(res->term_signal));
	if (res->error[0])
		fprintf(f, "error       %s\n", res->error);
	if (res->placement[0])
		fprintf(f, "%s", res->placement);

	fprintf(f, "\n%-22s %14s %12s\n", "counter", "value", "first (s)");
	for (int c = 0; c < MT_NCOUNTERS; c++) {
		if (mt_counter_class(c) == MT_CLASS_INFO && !res->counters[c])
			continue;
		fprintf(f, "%-22s %14llu", mt_counter_name(c), (unsigned long long)res->counters[c]);
		if (mt_counter_class(c) == MT_CLASS_INFO) {
			fputc('\n', f);
			continue;
		}
		if (res->first_s[c] >= 0)
			fprintf(f, " %12.3f", res->first_s[c]);
		else
			fprintf(f, " %12s", "-");
		fprintf(f, "  %s\n", mt_counter_class(c) == MT_CLASS_RACE ? "(race)" : "(leak)");
	}
	fprintf(f, "\n%-22s %14s %8s\n", "role", "ops", "weight");
	for (unsigned int i = 0; i < res->nroles; i++)
		fprintf(f, "%-22s %14llu %8u\n", res->roles[i], (unsigned long long)res->ops[i],
			res->weight[i]);
	if (res->nnodes) {
		fprintf(f, "\n%-22s %14s\n", "node", "ops");
		for (int k = 0; k < res->nnodes; k++)
			fprintf(f, "node %-17d %14llu\n", res->node_id[k],
				(unsigned long long)res->node_ops[k]);
	}
	if (res->ncaches) {
		fprintf(f, "\n%-20s %9s %12s %8s %12s %8s\n", "cache", "typesafe", "allocs",
			"live", "remote frees", "leaked");
		for (unsigned int i = 0; i < res->ncaches; i++) {
			const struct mt_result_cache *c = &res->caches[i];

			fprintf(f, "%-20s %9s %12llu %8lld %12llu %8llu\n", c->name,
				c->typesafe ? "yes" : "no", (unsigned long long)c->allocs,
				(long long)c->live, (unsigned long long)c->remote_frees,
				(unsigned long long)c->leaked);
		}
	}
	if (res->nwindows) {
		/* coverage: every window, sync point and step (inject.h) */
		fprintf(f, "\n%-40s %12s %10s %10s\n", "race window (* a required step)", "passes",
			"delays", "overlaps");
		for (unsigned int i = 0; i < res->nwindows; i++)
			fprintf(f, "%-38s %s %12llu %10llu %10llu\n", res->windows[i].name,
				res->windows[i].required ? " *" : "  ",
				(unsigned long long)res->windows[i].passes,
				(unsigned long long)res->windows[i].hits,
				(unsigned long long)res->windows[i].overlaps);
	}
	if (res->nevents) {
		fprintf(f, "\nfirst %u of %llu detector reports:\n", res->nevents,
			(unsigned long long)res->nevents_total);
		for (unsigned int i = 0; i < res->nevents; i++) {
			const struct mt_result_event *e = &res->events[i];

			fprintf(f, "  %8.3fs %-20s t%-3d %s: %s\n", e->t_s, e->kind, e->thread,
				e->where, e->what);
		}
	}
}

/* ---- JSON ---- */

/* Replace the bytes of @s that are not UTF-8 (a text cut short, say) by '?'. */
static void utf8_scrub(char *s)
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

json_t *mt_json_string(const char *s)
{
	json_t *j = json_string(s);
	char *c;

	if (j || !(c = strdup(s)))
		return j;
	utf8_scrub(c);
	j = json_string(c);
	free(c);
	return j;
}

json_t *mt_result_to_json(const struct mt_result *res)
{
	json_t *j = json_object(), *job = json_object(), *races = json_object();
	json_t *leaks = json_object(), *info = json_object(), *first = json_object();
	json_t *ops = json_object(), *mix = json_object(), *nodes = json_object();
	json_t *caches = json_array(), *windows = json_object(), *events = json_array();
	double first_s;

	json_object_set_new(j, "format_version", json_integer(MT_RESULT_FORMAT_VERSION));
	json_object_set_new(j, "tool", json_string("mmtorture"));
	json_object_set_new(j, "version", json_string(MT_VERSION));
	json_object_set_new(job, "name", mt_json_string(res->job));
	json_object_set_new(job, "workload", mt_json_string(res->workload));
	json_object_set_new(job, "file", mt_json_string(res->file));
	json_object_set_new(job, "line", json_integer(res->line));
	json_object_set_new(job, "threads", json_integer(res->threads));
	json_object_set_new(job, "rcu", json_string(res->rcu));
	json_object_set_new(job, "runtime_seconds", json_real(res->runtime_s));
	json_object_set_new(job, "delay", json_real(res->delay));
	json_object_set_new(job, "sync_delay", json_real(res->sync_delay));
	json_object_set_new(job, "bugs", mt_json_string(res->bugs));
	json_object_set_new(job, "expect", json_string(res->expect_detect ? "detect" : "clean"));
	json_object_set_new(job, "nodes", mt_json_string(res->nodes));
	json_object_set_new(job, "mix", mt_json_string(res->mix));
	json_object_set_new(j, "job", job);

	/* a string: 64-bit seeds do not survive JSON readers that use doubles */
	json_object_set_new(j, "seed", json_sprintf("%llu", (unsigned long long)res->seed));
	json_object_set_new(j, "started", mt_json_string(res->started));
	json_object_set_new(j, "verdict", json_string(mt_verdict_name(res->verdict)));
	json_object_set_new(j, "why", mt_json_string(res->why));
	json_object_set_new(j, "exit_category", json_integer(mt_verdict_exit(res->verdict)));
	json_object_set_new(j, "crash_signal", res->term_signal ?
			    json_integer(res->term_signal) : json_null());
	json_object_set_new(j, "hung", json_boolean(res->hung));
	json_object_set_new(j, "hang", res->hung ? mt_json_string(res->hang) : json_null());
	json_object_set_new(j, "cancelled", json_boolean(res->cancelled));
	json_object_set_new(j, "error", res->error[0] ? mt_json_string(res->error) : json_null());
	json_object_set_new(j, "elapsed_seconds", json_real(res->elapsed_s));
	json_object_set_new(j, "time_to_detection_seconds",
			    res->detect_s >= 0 ? json_real(res->detect_s) : json_null());
	json_object_set_new(j, "first_detection_seconds",
			    res->first_detect_s >= 0 ? json_real(res->first_detect_s) : json_null());
	first_s = first_problem(res, NULL);
	json_object_set_new(j, "first_race_or_leak_seconds",
			    first_s >= 0 ? json_real(first_s) : json_null());
	json_object_set_new(j, "placement", mt_json_string(res->placement));

	for (int c = 0; c < MT_NCOUNTERS; c++) {
		json_t *dst = mt_counter_class(c) == MT_CLASS_RACE ? races :
			      mt_counter_class(c) == MT_CLASS_LEAK ? leaks : info;

		json_object_set_new(dst, mt_counter_name(c), json_integer((json_int_t)res->counters[c]));
		if (res->first_s[c] >= 0)
			json_object_set_new(first, mt_counter_name(c), json_real(res->first_s[c]));
	}
	json_object_set_new(j, "races", races);
	json_object_set_new(j, "leaks", leaks);
	json_object_set_new(j, "info", info);
	json_object_set_new(j, "first_seconds", first);
	for (unsigned int i = 0; i < res->nroles; i++) {
		json_object_set_new(ops, res->roles[i], json_integer((json_int_t)res->ops[i]));
		json_object_set_new(mix, res->roles[i], json_integer(res->weight[i]));
	}
	json_object_set_new(j, "ops", ops);
	json_object_set_new(j, "mix_weights", mix);
	for (int k = 0; k < res->nnodes; k++) {
		char id[16];

		snprintf(id, sizeof(id), "%d", res->node_id[k]);
		json_object_set_new(nodes, id, json_integer((json_int_t)res->node_ops[k]));
	}
	json_object_set_new(j, "ops_by_node", nodes);
	for (unsigned int i = 0; i < res->ncaches; i++) {
		const struct mt_result_cache *c = &res->caches[i];

		json_array_append_new(caches, json_pack("{s:s, s:b, s:I, s:I, s:I, s:I}",
			"name", c->name, "typesafe", c->typesafe, "live", (json_int_t)c->live,
			"allocs", (json_int_t)c->allocs, "remote_frees", (json_int_t)c->remote_frees,
			"leaked", (json_int_t)c->leaked));
	}
	json_object_set_new(j, "caches", caches);
	/* the windows where delays were injected; every window is in coverage */
	for (unsigned int i = 0; i < res->nwindows; i++)
		if (res->windows[i].hits)
			json_object_set_new(windows, res->windows[i].name,
					    json_integer((json_int_t)res->windows[i].hits));
	json_object_set_new(j, "race_windows", windows);
	{
		/* coverage: passes, delays, overlaps, required, per window (inject.h) */
		json_t *cov = json_object();

		for (unsigned int i = 0; i < res->nwindows; i++)
			json_object_set_new(cov, res->windows[i].name,
				json_pack("{s:I, s:I, s:I, s:b}",
					  "passes", (json_int_t)res->windows[i].passes,
					  "delays", (json_int_t)res->windows[i].hits,
					  "overlaps", (json_int_t)res->windows[i].overlaps,
					  "required", res->windows[i].required));
		json_object_set_new(j, "coverage", cov);
	}
	for (unsigned int i = 0; i < res->nevents; i++) {
		const struct mt_result_event *e = &res->events[i];

		json_array_append_new(events, json_pack("{s:f, s:s, s:o, s:o, s:i}",
			"t_seconds", e->t_s, "kind", e->kind, "where", mt_json_string(e->where),
			"what", mt_json_string(e->what), "thread", e->thread));
	}
	json_object_set_new(j, "events", events);
	json_object_set_new(j, "events_total", json_integer((json_int_t)res->nevents_total));
	return j;
}

static void jstr(const json_t *o, const char *k, char *dst, size_t len)
{
	const char *s = json_string_value(json_object_get(o, k));

	snprintf(dst, len, "%s", s ? s : "");
}

static double jnum(const json_t *o, const char *k, double def)
{
	const json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : def;
}

int mt_result_from_json(const json_t *j, struct mt_result *res)
{
	const json_t *job = json_object_get(j, "job"), *v;
	const char *key;
	int verdict;
	char vs[16];

	memset(res, 0, sizeof(*res));
	if (!json_is_object(j) || json_integer_value(json_object_get(j, "format_version")) !=
	    MT_RESULT_FORMAT_VERSION || !json_is_object(job))
		return -1;
	jstr(job, "name", res->job, sizeof(res->job));
	jstr(job, "workload", res->workload, sizeof(res->workload));
	jstr(job, "file", res->file, sizeof(res->file));
	res->line = (int)jnum(job, "line", 0);
	res->threads = (unsigned int)jnum(job, "threads", 0);
	jstr(job, "rcu", res->rcu, sizeof(res->rcu));
	res->runtime_s = jnum(job, "runtime_seconds", 0);
	res->delay = jnum(job, "delay", 0);
	res->sync_delay = jnum(job, "sync_delay", 0);
	jstr(job, "bugs", res->bugs, sizeof(res->bugs));
	jstr(job, "nodes", res->nodes, sizeof(res->nodes));
	jstr(job, "mix", res->mix, sizeof(res->mix));
	{
		char e[8];

		jstr(job, "expect", e, sizeof(e));
		res->expect_detect = !strcmp(e, "detect");
	}
	{
		char s[32];

		jstr(j, "seed", s, sizeof(s));
		res->seed = strtoull(s, NULL, 10);
	}
	jstr(j, "started", res->started, sizeof(res->started));
	jstr(j, "verdict", vs, sizeof(vs));
	verdict = mt_verdict_lookup(vs);
	if (verdict < 0)
		return -1;
	res->verdict = (enum mt_verdict)verdict;
	jstr(j, "why", res->why, sizeof(res->why));
	res->term_signal = (int)jnum(j, "crash_signal", 0);
	res->hung = json_is_true(json_object_get(j, "hung"));
	jstr(j, "hang", res->hang, sizeof(res->hang));
	res->cancelled = json_is_true(json_object_get(j, "cancelled"));
	jstr(j, "error", res->error, sizeof(res->error));
	res->elapsed_s = jnum(j, "elapsed_seconds", 0);
	res->detect_s = jnum(j, "time_to_detection_seconds", -1);
	res->first_detect_s = jnum(j, "first_detection_seconds", -1);
	res->met_s = res->expect_detect ? res->detect_s : -1;
	jstr(j, "placement", res->placement, sizeof(res->placement));
	for (int c = 0; c < MT_NCOUNTERS; c++) {
		const char *cls = mt_counter_class(c) == MT_CLASS_RACE ? "races" :
				  mt_counter_class(c) == MT_CLASS_LEAK ? "leaks" : "info";

		res->counters[c] = (uint64_t)jnum(json_object_get(j, cls), mt_counter_name(c), 0);
		res->first_s[c] = jnum(json_object_get(j, "first_seconds"), mt_counter_name(c), -1);
	}
	json_object_foreach((json_t *)json_object_get(j, "ops"), key, v) {
		if (res->nroles >= MT_MAX_OPS)
			break;
		snprintf(res->roles[res->nroles], MT_NAME_LEN, "%s", key);
		res->ops[res->nroles] = (uint64_t)json_number_value(v);
		res->weight[res->nroles] =
			(uint32_t)jnum(json_object_get(j, "mix_weights"), key, 0);
		res->nroles++;
	}
	json_object_foreach((json_t *)json_object_get(j, "ops_by_node"), key, v) {
		if (res->nnodes >= MT_MAX_NODES)
			break;
		res->node_id[res->nnodes] = atoi(key);
		res->node_ops[res->nnodes++] = (uint64_t)json_number_value(v);
	}
	{
		size_t i;
		json_t *c;

		json_array_foreach(json_object_get(j, "caches"), i, c) {
			struct mt_result_cache *rc;

			if (res->ncaches >= MT_MAX_CACHES)
				break;
			rc = &res->caches[res->ncaches++];
			jstr(c, "name", rc->name, sizeof(rc->name));
			rc->typesafe = json_is_true(json_object_get(c, "typesafe"));
			rc->live = (int64_t)jnum(c, "live", 0);
			rc->allocs = (uint64_t)jnum(c, "allocs", 0);
			rc->remote_frees = (uint64_t)jnum(c, "remote_frees", 0);
			rc->leaked = (uint64_t)jnum(c, "leaked", 0);
		}
		json_array_foreach(json_object_get(j, "events"), i, c) {
			struct mt_result_event *e;

			if (res->nevents >= MT_MAX_EVENTS)
				break;
			e = &res->events[res->nevents++];
			e->t_s = jnum(c, "t_seconds", 0);
			jstr(c, "kind", e->kind, sizeof(e->kind));
			jstr(c, "where", e->where, sizeof(e->where));
			jstr(c, "what", e->what, sizeof(e->what));
			e->thread = (int)jnum(c, "thread", 0);
		}
	}
	/* coverage (inject.h) has every window; race_windows, of older files, the delayed ones */
	json_object_foreach((json_t *)json_object_get(j, json_object_get(j, "coverage") ?
						      "coverage" : "race_windows"), key, v) {
		if (res->nwindows >= MT_MAX_WINDOWS)
			break;
		snprintf(res->windows[res->nwindows].name, sizeof(res->windows[0].name), "%s", key);
		if (json_is_object(v)) {
			res->windows[res->nwindows].hits = (uint64_t)jnum(v, "delays", 0);
			res->windows[res->nwindows].passes = (uint64_t)jnum(v, "passes", 0);
			res->windows[res->nwindows].overlaps = (uint64_t)jnum(v, "overlaps", 0);
			res->windows[res->nwindows].required =
				json_is_true(json_object_get(v, "required"));
		} else {
			res->windows[res->nwindows].hits = (uint64_t)json_number_value(v);
		}
		res->nwindows++;
	}
	res->nevents_total = (uint64_t)jnum(j, "events_total", res->nevents);
	return 0;
}

/* ---- Prometheus text ---- */

static void prom_label(FILE *f, const char *label)
{
	char buf[MT_JOB_NAME_LEN + 128], *s = buf;

	snprintf(buf, sizeof(buf), "%s", label);
	utf8_scrub(buf);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Indices of the first result of each job name: results merged by name. */
static int unique_jobs(const struct mt_result *const *res, int n, int *first)
{
	int u = 0;

	for (int i = 0; i < n; i++) {
		int k;

		for (k = 0; k < u; k++)
			if (!strcmp(res[first[k]]->job, res[i]->job))
				break;
		if (k == u)
			first[u++] = i;
	}
	return u;
}

#define FOR_SAME_JOB(res, n, f, i) \
	for (int i = 0; i < (n); i++) if (!strcmp((res)[i]->job, (res)[f]->job))

void mt_prom_write(FILE *f, const struct mt_result *const *res, int n)
{
	int *first = calloc((size_t)(n ? n : 1), sizeof(int));
	int u = unique_jobs(res, n, first);

	const char *fam_name = NULL;
#define LABEL_JOB(k) do { fprintf(f, "%s{job=\"", fam_name); prom_label(f, res[first[k]]->job); fputs("\"", f); } while (0)

	prom_family(f, fam_name = "mmtorture_ops_total", "counter", "Operations done by the job's workers, by role.");
	for (int k = 0; k < u; k++) {
		const struct mt_result *r0 = res[first[k]];

		for (unsigned int o = 0; o < r0->nroles; o++) {
			uint64_t v = 0;

			FOR_SAME_JOB(res, n, first[k], i)
				for (unsigned int q = 0; q < res[i]->nroles; q++)
					if (!strcmp(res[i]->roles[q], r0->roles[o]))
						v += res[i]->ops[q];
			LABEL_JOB(k);
			fputs(",workload=\"", f);
			prom_label(f, r0->workload);
			fprintf(f, "\",op=\"%s\"} %llu\n", r0->roles[o], (unsigned long long)v);
		}
	}

	static const struct { enum mt_counter_class cls; const char *name, *help; } fam[] = {
		{ MT_CLASS_RACE, "mmtorture_races_total", "Race detector reports, by kind (any is a failure in a clean job)." },
		{ MT_CLASS_LEAK, "mmtorture_leaks_total", "Leak detector reports, by kind (any is a failure in a clean job)." },
		{ MT_CLASS_INFO, "mmtorture_events_total", "Informational events (not failures), by kind." },
	};
	for (unsigned int fi = 0; fi < ARRAY_SIZE(fam); fi++) {
		prom_family(f, fam_name = fam[fi].name, "counter", fam[fi].help);
		for (int k = 0; k < u; k++)
			for (int c = 0; c < MT_NCOUNTERS; c++) {
				uint64_t v = 0;

				if (mt_counter_class(c) != fam[fi].cls)
					continue;
				FOR_SAME_JOB(res, n, first[k], i)
					v += res[i]->counters[c];
				LABEL_JOB(k);
				fprintf(f, ",kind=\"%s\"} %llu\n", mt_counter_name(c),
					(unsigned long long)v);
			}
	}

	prom_family(f, fam_name = "mmtorture_objects_live", "gauge", "Objects allocated and not freed, by cache, at the last snapshot.");
	for (int k = 0; k < u; k++) {
		const struct mt_result *last = res[first[k]];

		FOR_SAME_JOB(res, n, first[k], i)
			last = res[i];
		for (unsigned int c = 0; c < last->ncaches; c++) {
			LABEL_JOB(k);
			fprintf(f, ",cache=\"%s\"} %lld\n", last->caches[c].name,
				(long long)last->caches[c].live);
		}
	}
	for (int fam2 = 0; fam2 < 2; fam2++) {
		prom_family(f, fam_name = fam2 ? "mmtorture_remote_frees_total" : "mmtorture_leaked_objects_total",
			    "counter", fam2 ?
			    "Objects freed on another node than the one that allocated them, by cache." :
			    "Objects still live at teardown, by cache.");
		for (int k = 0; k < u; k++) {
			const struct mt_result *r0 = res[first[k]];

			for (unsigned int c = 0; c < r0->ncaches; c++) {
				uint64_t v = 0;

				FOR_SAME_JOB(res, n, first[k], i)
					for (unsigned int q = 0; q < res[i]->ncaches; q++)
						if (!strcmp(res[i]->caches[q].name, r0->caches[c].name))
							v += fam2 ? res[i]->caches[q].remote_frees :
								    res[i]->caches[q].leaked;
				LABEL_JOB(k);
				fprintf(f, ",cache=\"%s\"} %llu\n", r0->caches[c].name,
					(unsigned long long)v);
			}
		}
	}

	prom_family(f, fam_name = "mmtorture_node_ops_total", "counter", "Operations done by threads placed on each NUMA node.");
	for (int k = 0; k < u; k++) {
		const struct mt_result *r0 = res[first[k]];

		for (int nd = 0; nd < r0->nnodes; nd++) {
			uint64_t v = 0;

			FOR_SAME_JOB(res, n, first[k], i)
				for (int q = 0; q < res[i]->nnodes; q++)
					if (res[i]->node_id[q] == r0->node_id[nd])
						v += res[i]->node_ops[q];
			LABEL_JOB(k);
			fprintf(f, ",node=\"%d\"} %llu\n", r0->node_id[nd], (unsigned long long)v);
		}
	}

	prom_family(f, fam_name = "mmtorture_delays_injected_total", "counter", "Delays injected at each race window.");
	for (int k = 0; k < u; k++) {
		const struct mt_result *r0 = res[first[k]];

		for (unsigned int w = 0; w < r0->nwindows; w++) {
			uint64_t v = 0;

			if (!r0->windows[w].hits)
				continue;	/* coverage only: no delay there, no series */
			FOR_SAME_JOB(res, n, first[k], i)
				for (unsigned int q = 0; q < res[i]->nwindows; q++)
					if (!strcmp(res[i]->windows[q].name, r0->windows[w].name))
						v += res[i]->windows[q].hits;
			LABEL_JOB(k);
			fputs(",window=\"", f);
			prom_label(f, r0->windows[w].name);
			fprintf(f, "\"} %llu\n", (unsigned long long)v);
		}
	}

	prom_family(f, fam_name = "mmtorture_job_runs_total", "counter", "Runs of the job, by verdict.");
	for (int k = 0; k < u; k++)
		for (int v = 0; v < MT_NVERDICTS; v++) {
			uint64_t cnt = 0;

			FOR_SAME_JOB(res, n, first[k], i)
				cnt += res[i]->verdict == (enum mt_verdict)v;
			LABEL_JOB(k);
			fprintf(f, ",verdict=\"%s\"} %llu\n", mt_verdict_name(v),
				(unsigned long long)cnt);
		}

	prom_family(f, fam_name = "mmtorture_job_duration_seconds", "gauge", "How long the last run of the job ran.");
	for (int k = 0; k < u; k++) {
		const struct mt_result *last = res[first[k]];

		FOR_SAME_JOB(res, n, first[k], i)
			last = res[i];
		LABEL_JOB(k);
		fprintf(f, "} %.6f\n", last->elapsed_s);
	}
	prom_family(f, fam_name = "mmtorture_time_to_detection_seconds", "gauge",
		    "Time from start to the detection (expectation met) of the last run of a detect job (absent if none).");
	for (int k = 0; k < u; k++) {
		const struct mt_result *last = res[first[k]];

		FOR_SAME_JOB(res, n, first[k], i)
			last = res[i];
		if (last->detect_s < 0)
			continue;
		LABEL_JOB(k);
		fprintf(f, "} %.6f\n", last->detect_s);
	}
	free(first);
#undef LABEL_JOB
}
