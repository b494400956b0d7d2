/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jobfile.h - fio-style INI job files, parsed with libinih.
 *
 *	[global]
 *	runtime=30s          ; 0 = until cancelled; ns us ms s m h d
 *	rcu=memb             ; memb | qsbr | mb | bp
 *	seed=0               ; 0 = random, printed with the results
 *	delay=0.001          ; probability of a delay at a race window
 *	audit_interval=5s
 *
 *	[shm-policy-churn]
 *	workload=mempolicy
 *	threads=$ncpus
 *	nodes=all
 *	mix=fault:60,numa_maps:10,migrate:10,mbind_vma:10,set_mempolicy:10
 *	bugs=
 *	expect=clean         ; clean | detect
 *
 * [global] sections give defaults to the jobs that follow them (a
 * [global] with keys and no job after it is an error); every other
 * section is a job.  Files are UTF-8 text.  Keys are the job keys below and the options
 * of the job's workload; $ncpus and $nodes expand to the PUs and NUMA
 * nodes of the machine, and integer values may be simple expressions
 * ($ncpus*2, $nodes+1).  An unknown key, a bad value, an unknown bug or
 * a key given twice in one section is an error naming the file, the line
 * and the key; all errors of a file are reported, not only the first.
 */
#ifndef MT_JOBFILE_H
#define MT_JOBFILE_H

#include <stddef.h>
#include <stdio.h>

#include "lib/engine/job.h"

#define MT_MAX_JOBS		256	/* job sections in a file; as many [global]s */
#define MT_JOBFILE_MAX_KEYS	16384	/* key=value lines in a file */
#define MT_JOBFILE_MAX_LINE	65533	/* characters in a line, without its "\r\n" */

struct mt_errors {
	int n;
	char msg[32][256];
};

void mt_errors_add(struct mt_errors *e, const char *fmt, ...) __printf(2, 3);
void mt_errors_print(const struct mt_errors *e, FILE *f);

struct mt_jobset {
	int njobs;
	struct mt_job *jobs;
	char path[256];
};

struct mt_topology;

/*
 * mt_jobfile_load - parse @path into @set.
 * @topo: the machine, for $ncpus, $nodes and placement plans
 * Return: 0, or -1 with every problem in @err ("file:line: key 'x': ...").
 */
int mt_jobfile_load(const char *path, struct mt_topology *topo,
		    struct mt_jobset *set, struct mt_errors *err);
/* The same from text (a job file submitted to the daemon); @name for messages. */
int mt_jobfile_load_string(const char *text, const char *name, struct mt_topology *topo,
			   struct mt_jobset *set, struct mt_errors *err);
void mt_jobset_free(struct mt_jobset *set);

/* The job keys, with a line of help each (for `mmtorture check --keys`). */
struct mt_job_key {
	const char *name;
	const char *help;
};
extern const struct mt_job_key mt_job_keys[];

#endif /* MT_JOBFILE_H */
