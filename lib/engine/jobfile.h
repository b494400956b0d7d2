/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jobfile.h - fio-style INI job files.
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
 * section is a job.  Keys are the job keys (mt_job_opts) and the options
 * of the job's workload; $ncpus and $nodes expand to the PUs and NUMA
 * nodes of the machine, and integers may be expressions ($ncpus*2).  An
 * unknown key, a bad value, an unknown bug or a key given twice in one
 * section is an error naming the file, the line and the key; every error
 * of a file is reported, not only the first.
 */
#ifndef MT_JOBFILE_H
#define MT_JOBFILE_H

#include <stddef.h>
#include <stdio.h>

#include "lib/engine/ini.h"
#include "lib/engine/job.h"

#define MT_MAX_JOBS		256	/* job sections in a file; as many [global]s */
#define MT_JOBFILE_MAX_KEYS	16384	/* key=value lines in a file */
#define MT_JOBFILE_MAX_LINE	65533	/* characters in a line, without its "\r\n" */

struct mt_jobset {
	int njobs;
	struct mt_job *jobs;
	/*
	 * Each job as a file of its own: one section with every key that
	 * made it, its [global]s' folded in, values as they were expanded.
	 * What the daemon keeps of a submitted file.
	 */
	char **src;
	char path[256];
};

struct mt_topology;

/**
 * mt_jobfile_load - parse @path into @set
 * @topo: the machine, for $ncpus, $nodes and placement plans
 *
 * Context: one parse at a time (the INI front end sets libinih's globals);
 * work linear in the file, which its limits bound.
 * Return: 0, or -1 with every problem in @err ("file:line: key 'x': ...").
 */
int mt_jobfile_load(const char *path, struct mt_topology *topo,
		    struct mt_jobset *set, struct mt_errors *err);
/* The same from text (a job file submitted to the daemon); @name for messages. */
int mt_jobfile_load_string(const char *text, const char *name, struct mt_topology *topo,
			   struct mt_jobset *set, struct mt_errors *err);
void mt_jobset_free(struct mt_jobset *set);

#endif /* MT_JOBFILE_H */
