// SPDX-License-Identifier: GPL-2.0-only
/*
 * jobfile.c - jobs from a job file read by the INI front end; see
 * jobfile.h.
 *
 * Values are expanded ($ncpus, $nodes) once, as the file is read.  The
 * sections are then swept in order, keeping the [global] keys in effect
 * (a later [global] overrides an earlier one, key by key), and each job is
 * built from its defaults, its workload first (so that the workload's own
 * options can be checked), then the [global] keys in effect, then its own.
 * A [global] key is classified once, where it stands: an unknown key is
 * reported there, once, and applies to no job.  Work is linear in the
 * keys of the file, times the few distinct keys a [global] can set.
 *
 * The checks across keys (placement, bugs against the workload's models,
 * expect=detect) point at the line of the key they are about, or at the
 * job's line when that key comes from a [global] (and then name the
 * [global]'s line); each runs unless a key it reads was refused, so one
 * bad key does not hide the others.  A [global] key that no job took is
 * still checked on its own: against the job keys, or against every
 * workload that has such an option.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sched.h"
#include "lib/engine/jobfile.h"
#include "lib/engine/placement.h"
#include "lib/engine/values.h"

static const struct mt_ini_limits jobfile_limits = {
	.max_line = MT_JOBFILE_MAX_LINE,
	.max_sections = MT_MAX_JOBS,
	.sections = "jobs",
	.apart = "global",
	.max_apart = MT_MAX_JOBS,
	.max_keys = MT_JOBFILE_MAX_KEYS,
	.max_name = MT_JOB_NAME_LEN - 1,
	.what = "a job file",
	.first = "[global] or [jobname]",
};

enum key_class { KEY_UNKNOWN, KEY_JOB, KEY_OPTION };

/* A [global] key in effect for the jobs after it. */
struct effect {
	const struct mt_ini_kv *kv;
	bool *applied;		/* some job took it */
};

struct parse {
	struct mt_ini ini;
	struct mt_errors *err;
	struct mt_topology *topo;
	struct effect *eff;	/* distinct keys: the latest [global] line of each */
	int neff;
	bool *applied;		/* by global kv, in file order */
	int napplied;
};

#define KEYERR(ps, kv, ...) mt_ini_key_error(&(ps)->ini, (kv), (ps)->err, __VA_ARGS__)

static bool is_global(const struct mt_ini_sec *s)
{
	return !strcmp(s->name, "global");
}

static bool any_workload_has(const char *key)
{
	for (unsigned int i = 0; wl_nth(i); i++)
		if (mt_opt_find(wl_nth(i)->opts, key))
			return true;
	return false;
}

static enum key_class classify(const char *key)
{
	if (mt_opt_find(mt_job_opts, key))
		return KEY_JOB;
	return any_workload_has(key) ? KEY_OPTION : KEY_UNKNOWN;
}

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

#define VALUE_LEN 2048

/* Expand the values of @s in place; one that cannot be is reported and made NULL. */
static void expand_section(struct parse *ps, struct mt_ini_sec *s)
{
	char v[VALUE_LEN], bad[64];

	for (int k = 0; k < s->nkv; k++) {
		struct mt_ini_kv *kv = &s->kv[k];
		int rc;

		if (!strchr(kv->value, '$'))
			continue;
		rc = expand(kv->value, v, sizeof(v), ps->topo, bad, sizeof(bad));
		if (rc == -1)
			KEYERR(ps, kv, "unknown variable %s (known: $ncpus, $nodes)", bad);
		else if (rc == -2)
			KEYERR(ps, kv, "value longer than %zu characters", sizeof(v) - 1);
		free(kv->value);
		kv->value = rc ? NULL : strdup(v);
		if (!rc && !kv->value)
			abort();
	}
}

/*
 * Apply @kv to @job.  A key that needs the workload (its options, mix=)
 * waits when the job has none.  Return: 0 applied, 1 not applied (a
 * [global] option of another workload, left to that workload's jobs; a key
 * that needs the workload), -1 an error (reported).
 */
static int apply(struct parse *ps, struct mt_job *job, const struct mt_ini_kv *kv, bool from_global)
{
	const struct mt_opt *o = mt_opt_find(mt_job_opts, kv->key);
	char err[256];

	if (!kv->value)
		return -1;	/* reported when it was expanded */
	if (o) {
		if (!strcmp(kv->key, "workload"))
			return 0;	/* resolved before the other keys */
		if (!strcmp(kv->key, "mix") && !job->wl && *kv->value)
			return 1;
		if (mt_opt_set(o, job, kv->value, err, sizeof(err))) {
			KEYERR(ps, kv, "%s", err);
			return -1;
		}
		return 0;
	}
	o = job->wl ? mt_opt_find(job->wl->opts, kv->key) : NULL;
	if (!o) {
		if (!any_workload_has(kv->key)) {
			if (!from_global)
				KEYERR(ps, kv, "unknown key");
			return -1;	/* a [global]'s: said where it stands */
		}
		if (from_global || !job->wl)
			return 1;	/* an option of another workload's jobs */
		KEYERR(ps, kv, "not an option of workload %s", job->wl->name);
		return -1;
	}
	if (mt_opt_set(o, job->wl_opts, kv->value, err, sizeof(err))) {
		KEYERR(ps, kv, "%s", err);
		return -1;
	}
	return 0;
}

/* The key=value that gave a job its value of one key, as the checks across keys need it. */
struct key_src {
	const struct mt_ini_kv *kv;	/* NULL: the default */
	bool global;			/* from a [global] */
	bool bad;			/* refused: what reads it is not checked */
};

struct job_srcs {
	struct key_src key[MT_JOB_MAX_OPTS];	/* by row of mt_job_opts */
	bool opt_bad;			/* a workload option was refused: no wl->check */
};

static int job_opt_index(const char *key)
{
	const struct mt_opt *o = mt_opt_find(mt_job_opts, key);

	return o ? (int)(o - mt_job_opts) : -1;
}

static void note_src(struct job_srcs *js, const struct workload *wl, const struct mt_ini_kv *kv,
		     bool global, int rc)
{
	int k = job_opt_index(kv->key);

	if (rc == 1)
		return;
	if (k >= 0)
		js->key[k] = (struct key_src){ .kv = kv, .global = global, .bad = rc < 0 };
	else if (rc < 0 && wl && mt_opt_find(wl->opts, kv->key))
		js->opt_bad = true;
}

static const struct key_src *src_of(const struct job_srcs *js, const char *key)
{
	return &js->key[job_opt_index(key)];
}

/*
 * A problem across keys of job @s, about the key @src tells of: at that
 * key's line when the job sets it; at the job's line otherwise, naming the
 * [global] line that set it, if one did.
 */
static __printf(4, 5) void cross_error(struct parse *ps, const struct mt_ini_sec *s,
				       const struct key_src *src, const char *fmt, ...)
{
	const char *file = ps->ini.file;
	char msg[224];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (src && src->kv && !src->global)
		mt_errors_add(ps->err, "%s:%d: job '%s': %s", file, src->kv->line, s->name, msg);
	else if (src && src->kv)
		mt_errors_add(ps->err, "%s:%d: job '%s': %s; %s= comes from the [global] at line %d",
			      file, s->line, s->name, msg, src->kv->key, src->kv->line);
	else
		mt_errors_add(ps->err, "%s:%d: job '%s': %s", file, s->line, s->name, msg);
}

/* The line after the last of section @i. */
static int section_end(const struct parse *ps, int i)
{
	return i + 1 < ps->ini.nsec ? ps->ini.sec[i + 1].line : INT_MAX;
}

/*
 * Could job section @i have lost its workload= to a dropped line: in it,
 * in a [global] before it, or before the first section (a lost header)?
 */
static bool workload_maybe_dropped(const struct parse *ps, int i)
{
	const struct mt_ini *ini = &ps->ini;

	if (mt_ini_dropped_in(ini, 1, ini->nsec ? ini->sec[0].line : INT_MAX) ||
	    mt_ini_dropped_in(ini, ini->sec[i].line, section_end(ps, i) - 1))
		return true;
	for (int g = 0; g < i; g++)
		if (is_global(&ini->sec[g]) &&
		    mt_ini_dropped_in(ini, ini->sec[g].line, section_end(ps, g) - 1))
			return true;
	return false;
}

static const struct mt_ini_kv *own_key(const struct mt_ini_sec *s, const char *key)
{
	const struct mt_ini_kv *found = NULL;

	for (int i = 0; i < s->nkv; i++)
		if (!strcmp(s->kv[i].key, key))
			found = &s->kv[i];
	return found;
}

static struct effect *effect_of(struct parse *ps, const char *key)
{
	for (int i = 0; i < ps->neff; i++)
		if (!strcmp(ps->eff[i].kv->key, key))
			return &ps->eff[i];
	return NULL;
}

/* The job's workload, set in @job.  Return: 0, 1 none (reported), -1 refused. */
static int job_workload(struct parse *ps, int si, struct mt_job *job, struct job_srcs *js)
{
	const struct mt_ini_sec *s = &ps->ini.sec[si];
	const struct mt_ini_kv *kv = own_key(s, "workload");
	struct effect *e = kv ? NULL : effect_of(ps, "workload");
	char err[256];

	if (e) {
		kv = e->kv;
		*e->applied = true;
	}
	if (!kv) {
		if (!workload_maybe_dropped(ps, si))
			mt_errors_add(ps->err, "%s:%d: job '%s' has no workload= key", ps->ini.file,
				      s->line, s->name);
		return 1;
	}
	js->key[job_opt_index("workload")] = (struct key_src){ .kv = kv, .global = e != NULL };
	if (!kv->value)
		return -1;
	if (mt_opt_set(mt_opt_find(mt_job_opts, "workload"), job, kv->value, err, sizeof(err))) {
		KEYERR(ps, kv, "%s", err);
		return -1;
	}
	return 0;
}

/* Does workload @wl exercise the model @model? */
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

/* What holds across the keys of job @s; each check only if the keys it reads were good. */
static void check_across(struct parse *ps, const struct mt_ini_sec *s, struct mt_job *job,
			 const struct job_srcs *js)
{
	const struct workload *wl = job->wl;
	const struct key_src *bugs = src_of(js, "bugs"), *expect = src_of(js, "expect");
	const struct key_src *place[3] = { src_of(js, "nodes"), src_of(js, "cpus"),
					   src_of(js, "threads") };
	const char *bad_key = NULL;
	char err[256];

	if (!js->opt_bad && wl->check && wl->check(job->wl_opts, err, sizeof(err)))
		mt_errors_add(ps->err, "%s:%d: job '%s': %s", ps->ini.file, s->line, s->name, err);
	for (int b = 0; !bugs->bad && b < MT_NBUGS; b++) {
		const struct mt_bug_desc *d = &mt_bug_table[b];

		if ((job->bugs & (1u << b)) && !workload_has_model(wl, d->model))
			cross_error(ps, s, bugs, "bug '%s' is in the %s model, which workload %s does not exercise",
				    d->name, d->model, wl->name);
	}
	if (job->expect == MT_JOB_EXPECT_DETECT && !expect->bad && !bugs->bad) {
		bool any = false;

		for (int b = 0; b < MT_NBUGS; b++)
			any |= (job->bugs & (1u << b)) && mt_bug_table[b].expect != MT_EXPECT_NONE;
		if (!any)
			cross_error(ps, s, expect, "expect=detect needs a detection bug in bugs= (%s)",
				    job->bugs ? "the bugs named expect a clean run" : "none named");
	}
	if (job->min_audits > 1 && !job->audit_interval_ns && !src_of(js, "min_audits")->bad)
		cross_error(ps, s, src_of(js, "min_audits"),
			    "min_audits=%u needs audits while the job runs: give audit_interval=",
			    job->min_audits);
	if (job->sched != MT_SCHED_FREE && !src_of(js, "sched")->bad) {
		if (workload_has_model(wl, "kernel"))
			cross_error(ps, s, src_of(js, "sched"),
				    "sched=%s: workload %s drives the kernel, whose threads no scheduler of "
				    "ours runs one at a time; kernel workloads take sched=free",
				    mt_sched_mode_name((enum mt_sched_mode)job->sched), wl->name);
		if (job->threads > MT_SCHED_MAX_THREADS - 1 && !place[2]->bad)
			cross_error(ps, s, place[2],
				    "threads=%u: sched=%s runs at most %d workers (one more slot is the "
				    "RCU callback thread's)", job->threads,
				    mt_sched_mode_name((enum mt_sched_mode)job->sched), MT_SCHED_MAX_THREADS - 1);
	}
	if (ps->topo && !place[0]->bad && !place[1]->bad && !place[2]->bad &&
	    mt_placement_plan(ps->topo, job->nodes, job->cpus, job->threads, &job->plan, &bad_key,
			      err, sizeof(err)))
		cross_error(ps, s, src_of(js, bad_key), "%s", err);
}

/* The job as a file of its own: its section, every key that made it (jobfile.h). */
static char *job_source(const struct parse *ps, const struct mt_ini_sec *s,
			const struct mt_ini_kv *const *used, int nused)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	fprintf(f, "; job '%s' of %s, line %d\n[%s]\n", s->name, ps->ini.file, s->line, s->name);
	for (int i = 0; i < nused; i++)
		fprintf(f, "%s=%s\n", used[i]->key, used[i]->value);
	if (fclose(f))
		abort();
	return buf;
}

/*
 * Build the job of section @si.  Every key is applied and checked, also
 * when the workload is unknown; then what holds across keys is checked.
 * Return: 0, or -1 (reported).
 */
static int build_job(struct parse *ps, int si, struct mt_job *job, char **src)
{
	const struct mt_ini_sec *s = &ps->ini.sec[si];
	const struct mt_ini_kv **used;
	struct job_srcs js = { 0 };
	int nerr = ps->err->n, nused = 0, wrc;

	mt_job_defaults(job, NULL);
	wrc = job_workload(ps, si, job, &js);
	snprintf(job->name, sizeof(job->name), "%s", s->name);
	snprintf(job->file, sizeof(job->file), "%s", ps->ini.file);
	job->line = s->line;
	used = malloc((size_t)(ps->neff + s->nkv + 1) * sizeof(*used));
	if (!used)
		abort();
	if (!wrc)
		used[nused++] = js.key[job_opt_index("workload")].kv;
	for (int i = 0; i < ps->neff; i++) {
		const struct effect *e = &ps->eff[i];
		int rc;

		if (!strcmp(e->kv->key, "workload") || own_key(s, e->kv->key))
			continue;	/* the job's own wins */
		rc = apply(ps, job, e->kv, true);
		if (rc != 1)
			*e->applied = true;
		if (!rc)
			used[nused++] = e->kv;
		note_src(&js, job->wl, e->kv, true, rc);
	}
	for (int i = 0; i < s->nkv; i++) {
		int rc;

		if (!strcmp(s->kv[i].key, "workload"))
			continue;
		rc = apply(ps, job, &s->kv[i], false);
		if (!rc)
			used[nused++] = &s->kv[i];
		note_src(&js, job->wl, &s->kv[i], false, rc);
	}
	if (job->wl)
		check_across(ps, s, job, &js);
	if (job->wl && ps->err->n == nerr)
		*src = job_source(ps, s, used, nused);
	free(used);
	return job->wl && ps->err->n == nerr ? 0 : -1;
}

/*
 * A [global] key that no job took: check it on its own.  A job key is
 * applied to a job of no workload; mix= must fit some workload's roles; a
 * workload option must be valid for some workload that has it.
 */
static void check_unapplied(struct parse *ps, const struct mt_ini_kv *kv)
{
	_Alignas(16) unsigned char opts[MT_WL_OPTS_MAX];
	char err[256] = "", first[256] = "";
	const char *wname = NULL;
	struct mt_job job;
	struct wl_mix mix;

	if (!kv->value || classify(kv->key) == KEY_UNKNOWN)
		return;		/* reported already */
	if (!strcmp(kv->key, "workload")) {
		if (!wl_lookup(kv->value))
			KEYERR(ps, kv, "unknown workload '%s' (see `mmtorture workloads`)", kv->value);
		return;
	}
	if (classify(kv->key) == KEY_JOB && (strcmp(kv->key, "mix") || !*kv->value)) {
		mt_job_defaults(&job, NULL);
		apply(ps, &job, kv, true);
		return;
	}
	for (unsigned int i = 0; wl_nth(i); i++) {
		const struct workload *w = wl_nth(i);
		const struct mt_opt *o = mt_opt_find(w->opts, kv->key);

		if (strcmp(kv->key, "mix") && !o)
			continue;
		memset(opts, 0, sizeof(opts));
		if (!strcmp(kv->key, "mix") ? !wl_mix_parse(w, kv->value, &mix, err, sizeof(err)) :
		    !mt_opt_defaults(w->opts, opts, err, sizeof(err)) &&
		    !mt_opt_set(o, opts, kv->value, err, sizeof(err)))
			return;		/* valid for this one */
		if (!wname) {
			wname = w->name;
			snprintf(first, sizeof(first), "%s", err);
		}
	}
	if (!strcmp(kv->key, "mix"))
		KEYERR(ps, kv, "'%s' fits no workload's roles (see `mmtorture workloads`)", kv->value);
	else
		KEYERR(ps, kv, "%s (an option of workload %s)", first, wname);
}

/* A [global] section: its keys take effect for the jobs after it. */
static void take_globals(struct parse *ps, const struct mt_ini_sec *s, int first_kv)
{
	for (int k = 0; k < s->nkv; k++) {
		const struct mt_ini_kv *kv = &s->kv[k];
		struct effect *e;

		if (classify(kv->key) == KEY_UNKNOWN) {
			KEYERR(ps, kv, "unknown key");
			continue;
		}
		if (!kv->value)
			continue;
		e = effect_of(ps, kv->key);
		if (!e)
			e = &ps->eff[ps->neff++];
		*e = (struct effect){ .kv = kv, .applied = &ps->applied[first_kv + k] };
	}
}

/* A job's section header: a name, and one no other job has. */
static void check_section(struct parse *ps, int i)
{
	const struct mt_ini *ini = &ps->ini;
	const struct mt_ini_sec *s = &ini->sec[i];

	if (!*s->name)
		mt_errors_add(ps->err, "%s:%d: a job section needs a name", ini->file, s->line);
	for (int k = 0; k < i && *s->name; k++)	/* at most MT_MAX_JOBS: bounded */
		if (!strcmp(ini->sec[k].name, s->name))
			mt_errors_add(ps->err, "%s:%d: job '%s' is already defined at line %d",
				      ini->file, s->line, s->name, ini->sec[k].line);
}

static int load(struct parse *ps, struct mt_jobset *set)
{
	struct mt_ini *ini = &ps->ini;
	int njobs = 0, nglobal_kv = 0, gk = 0;

	snprintf(set->path, sizeof(set->path), "%s", ini->file);
	for (int i = 0; i < ini->nsec; i++) {
		njobs += !is_global(&ini->sec[i]);
		nglobal_kv += is_global(&ini->sec[i]) ? ini->sec[i].nkv : 0;
	}
	if (!njobs && !ps->err->n)
		mt_errors_add(ps->err, "%s: no job: add a [jobname] section with workload=", ini->file);
	set->jobs = calloc((size_t)njobs + 1, sizeof(*set->jobs));
	set->src = calloc((size_t)njobs + 1, sizeof(*set->src));
	ps->applied = calloc((size_t)nglobal_kv + 1, sizeof(*ps->applied));
	ps->eff = calloc((size_t)nglobal_kv + 1, sizeof(*ps->eff));
	if (!set->jobs || !set->src || !ps->applied || !ps->eff)
		abort();
	for (int i = 0; i < ini->nsec; i++) {	/* in the order of the file */
		if (!is_global(&ini->sec[i]))
			check_section(ps, i);
		expand_section(ps, &ini->sec[i]);
		mt_ini_check_duplicates(ini, &ini->sec[i], ps->err);
		if (is_global(&ini->sec[i])) {
			take_globals(ps, &ini->sec[i], gk);
			gk += ini->sec[i].nkv;
			continue;
		}
		build_job(ps, i, &set->jobs[set->njobs], &set->src[set->njobs]);
		set->njobs++;
	}
	gk = 0;
	for (int i = 0; i < ini->nsec; i++)
		for (int k = 0; is_global(&ini->sec[i]) && k < ini->sec[i].nkv; k++)
			if (!ps->applied[gk++])
				check_unapplied(ps, &ini->sec[i].kv[k]);
	for (int i = ini->nsec - 1; i >= 0 && is_global(&ini->sec[i]); i--)
		if (ini->sec[i].nkv && njobs)
			mt_errors_add(ps->err, "%s:%d: this [global] applies to no job: no job section follows it",
				      ini->file, ini->sec[i].line);
	free(ps->applied);
	free(ps->eff);
	mt_ini_free(ini);
	if (ps->err->n) {
		mt_jobset_free(set);
		return -1;
	}
	return 0;
}

int mt_jobfile_load(const char *path, struct mt_topology *topo, struct mt_jobset *set,
		    struct mt_errors *err)
{
	struct parse ps = { .err = err, .topo = topo };

	memset(set, 0, sizeof(*set));
	if (mt_ini_read_file(path, &jobfile_limits, &ps.ini, err) && !ps.ini.nsec) {
		mt_ini_free(&ps.ini);
		return -1;
	}
	return load(&ps, set);
}

int mt_jobfile_load_string(const char *text, const char *name, struct mt_topology *topo,
			   struct mt_jobset *set, struct mt_errors *err)
{
	struct parse ps = { .err = err, .topo = topo };

	memset(set, 0, sizeof(*set));
	mt_ini_read_string(text, name, &jobfile_limits, &ps.ini, err);
	return load(&ps, set);
}

void mt_jobset_free(struct mt_jobset *set)
{
	for (int i = 0; set->src && i < set->njobs; i++)
		free(set->src[i]);
	free(set->src);
	free(set->jobs);
	set->jobs = NULL;
	set->src = NULL;
	set->njobs = 0;
}
