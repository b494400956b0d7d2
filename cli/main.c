// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - `mmtorture`: run job files in the foreground, check them, list
 * the bug catalogue and the workloads (this file: the engine in this
 * process), and talk to the daemon (client.c).
 *
 * Exit codes: 0 every expectation met; 1 usage or configuration error;
 * 2 an expectation failed (FAIL, MISSED, INCONCLUSIVE, a crash); 3 harness
 * error.  The commands that talk to the daemon: 1 also when it refuses the
 * request, 3 when it cannot be reached or cannot serve it now (busy,
 * stopping, internal); `wait` exits with the job's exit category.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/plot.h"
#include "cli/replay.h"
#include "core/bugs.h"
#include "lib/engine/jobfile.h"
#include "lib/engine/json.h"
#include "lib/engine/placement.h"
#include "lib/engine/result.h"
#include "lib/engine/runner.h"
#include "lib/engine/values.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmtorture [--socket PATH] [--json] COMMAND [ARGS]\n"
		"\n"
		"In the foreground:\n"
		"  run [--results DIR | --no-results] [--progress SECS] [--quiet] FILE...\n"
		"                      run the jobs of the job files, one after the other;\n"
		"                      results under DIR (default ./results), or none kept;\n"
		"                      a progress line every SECS (default 5, 0 none);\n"
		"                      --quiet prints nothing but errors: the exit code tells\n"
		"  check FILE...       parse job files and print the jobs, run nothing\n"
		"  replay [--run K] [--trace N] [--shrink] RESULTS_DIR\n"
		"                      run one run of a job of scheduled runs (sched=pct|random)\n"
		"                      again, step for step; say whether it reproduced\n"
		"  bugs [--json]       the catalogue of injectable bugs\n"
		"  workloads           the workloads, their roles and options\n"
		"  plot [-o FILE.png|FILE.svg] RESULTS_DIR\n"
		"                      draw a run's timeline.csv (ops/s, races and leaks, audits,\n"
		"                      the first detection) with gnuplot\n"
		"  version\n"
		"\n"
		"With the daemon (--socket PATH, or MMTORTURE_SOCKET, default %s;\n"
		"--socket and --json go before or after the command):\n"
		"  submit [--name NAME] FILE   queue a job file; prints the job ids\n"
		"  list                list jobs, queued, running and finished\n"
		"  status [ID]         the daemon, or one job with its live counters\n"
		"  cancel ID           cancel a queued or running job\n"
		"  wait ID             wait for a job; exits with its verdict's code\n"
		"  dump [json|prom]    daemon-wide metrics\n"
		"  Add --json for machine-readable output.\n"
		"\n"
		"Exit codes: 0 every expectation met, 1 usage or config error,\n"
		"2 an expectation failed (FAIL, MISSED, INCONCLUSIVE, crash), 3 harness error.\n"
		"With the daemon: 1 the daemon refused the request; 3 it cannot be reached or\n"
		"cannot serve it now (busy, stopping, internal); wait: the job's exit code.\n",
		MT_DEFAULT_SOCKET);
}

static int load_all(int nfiles, char **files, struct mt_topology *topo,
		    struct mt_jobset *sets)
{
	char err[256];
	int bad = 0;

	if (mt_topology_load(topo, err, sizeof(err))) {
		fprintf(stderr, "mmtorture: %s\n", err);
		return -1;
	}
	for (int i = 0; i < nfiles; i++) {
		struct mt_errors e = { 0 };

		if (mt_jobfile_load(files[i], topo, &sets[i], &e)) {
			mt_errors_print(&e, stderr);
			bad++;
		}
	}
	return bad ? -1 : 0;
}

static int cmd_check(int argc, char **argv)
{
	struct mt_topology topo;
	struct mt_jobset *sets;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "mmtorture check: no job file given\n");
		return MT_EXIT_USAGE;
	}
	sets = calloc((size_t)argc, sizeof(*sets));
	rc = load_all(argc - 1, argv + 1, &topo, sets);
	if (!rc) {
		for (int i = 0; i < argc - 1; i++) {
			printf("%s: %d job%s\n", argv[i + 1], sets[i].njobs,
			       sets[i].njobs == 1 ? "" : "s");
			for (int k = 0; k < sets[i].njobs; k++) {
				const struct mt_job *j = &sets[i].jobs[k];
				char rt[32];

				mt_format_time(j->runtime_ns, rt, sizeof(rt));
				printf("  %-28s workload=%s threads=%u runtime=%s rcu=%s expect=%s%s%s\n",
				       j->name, j->wl->name, j->threads, rt, mt_rcu_flavor_name(j->rcu),
				       mt_job_expect_name(j), j->bugs_spec[0] ? " bugs=" : "",
				       j->bugs_spec);
			}
		}
	}
	for (int i = 0; i < argc - 1; i++)
		mt_jobset_free(&sets[i]);
	free(sets);
	mt_topology_fini(&topo);
	return rc ? MT_EXIT_USAGE : MT_EXIT_OK;
}

static void summary_table(struct mt_result *res, int n)
{
	printf("\n%-36s %-10s %-13s %9s %9s %7s %7s  %s\n", "job", "workload", "verdict",
	       "elapsed", "detect", "races", "leaks", "seed");
	for (int i = 0; i < n; i++) {
		uint64_t races = 0, leaks = 0;
		char det[16] = "-";

		for (int c = 0; c < MT_NCOUNTERS; c++) {
			if (mt_counter_class(c) == MT_CLASS_RACE)
				races += res[i].counters[c];
			else if (mt_counter_class(c) == MT_CLASS_LEAK)
				leaks += res[i].counters[c];
		}
		if (res[i].detect_s >= 0)
			snprintf(det, sizeof(det), "%.3fs", res[i].detect_s);
		printf("%-36s %-10s %-13s %8.1fs %9s %7llu %7llu  %llu\n", res[i].job,
		       res[i].workload, mt_verdict_name(res[i].verdict), res[i].elapsed_s, det,
		       (unsigned long long)races, (unsigned long long)leaks,
		       (unsigned long long)res[i].seed);
	}
}

/*
 * The options of `mmtorture run` into @ro and *@quiet.  Return: -1 to go
 * on (the files start at optind), or the exit code to leave with.
 */
static int run_options(int argc, char **argv, struct mt_run_opts *ro, bool *quiet)
{
	static const struct option opts[] = {
		{ "results", required_argument, NULL, 'r' },
		{ "no-results", no_argument, NULL, 'n' },
		{ "progress", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool results = false, no_results = false;
	double secs;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:np:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (!*optarg) {
				fprintf(stderr, "mmtorture run: --results needs a directory\n");
				return MT_EXIT_USAGE;
			}
			ro->results_root = optarg;
			results = true;
			break;
		case 'n':
			no_results = true;
			break;
		case 'p':
			if (mt_parse_double(optarg, &secs) || secs < 0) {
				fprintf(stderr, "mmtorture run: --progress '%s' is not a number of seconds\n",
					optarg);
				return MT_EXIT_USAGE;
			}
			ro->progress_ns = (uint64_t)(secs * 1e9);
			break;
		case 'q':
			*quiet = true;
			break;
		case 'h':
			usage(stdout);
			return MT_EXIT_OK;
		default:
			return MT_EXIT_USAGE;
		}
	}
	if (results && no_results) {
		fprintf(stderr, "mmtorture run: --results and --no-results: give one of them\n");
		return MT_EXIT_USAGE;
	}
	if (no_results)
		ro->results_root = NULL;
	if (*quiet)
		ro->out = NULL;
	if (optind >= argc) {
		fprintf(stderr, "mmtorture run: no job file given\n");
		return MT_EXIT_USAGE;
	}
	return -1;
}

/*
 * Run the @total jobs of @sets one after the other, until the end or an
 * interrupt, into @res.  Return: how many ran; the worst exit in *@worst.
 */
static int run_sets(struct mt_jobset *sets, int nfiles, struct mt_region *region,
		    struct mt_run_opts *ro, struct mt_result *res, int *worst)
{
	int n = 0;

	for (int i = 0; i < nfiles && !interrupted; i++)
		for (int k = 0; k < sets[i].njobs && !interrupted; k++) {
			int rc;

			if (ro->out)
				printf("\n");
			ro->job_src = sets[i].src[k];
			rc = mt_run_job(&sets[i].jobs[k], region, ro, &res[n]);
			n++;
			if (rc == MT_EXIT_HARNESS || (rc == MT_EXIT_EXPECT && *worst != MT_EXIT_HARNESS))
				*worst = rc;
		}
	return n;
}

static int cmd_run(int argc, char **argv)
{
	struct mt_run_opts ro = { .results_root = "results", .out = stdout,
				  .progress_ns = 5000000000ull, .cancel = &interrupted };
	struct mt_topology topo;
	struct mt_jobset *sets;
	struct mt_result *res;
	struct mt_region *region;
	struct sigaction sa = { .sa_handler = on_signal };
	int total = 0, n, worst = MT_EXIT_OK, nfiles;
	bool quiet = false;

	if ((n = run_options(argc, argv, &ro, &quiet)) >= 0)
		return n;
	nfiles = argc - optind;
	sets = calloc((size_t)nfiles, sizeof(*sets));
	if (!sets || load_all(nfiles, argv + optind, &topo, sets)) {
		free(sets);
		return sets ? MT_EXIT_USAGE : MT_EXIT_HARNESS;
	}
	for (int i = 0; i < nfiles; i++)
		total += sets[i].njobs;
	res = calloc((size_t)total, sizeof(*res));
	region = mt_region_create(true);
	if (!res || !region) {
		fprintf(stderr, "mmtorture run: out of memory\n");
		return MT_EXIT_HARNESS;
	}
	ro.tty = ro.out && isatty(fileno(ro.out));
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!quiet)
		printf("mmtorture %s: %d job%s from %d file%s; machine: %s\n", MT_VERSION, total,
		       total == 1 ? "" : "s", nfiles, nfiles == 1 ? "" : "s", topo.desc);
	n = run_sets(sets, nfiles, region, &ro, res, &worst);
	if (!quiet)
		summary_table(res, n);
	if (n < total) {
		fprintf(quiet ? stderr : stdout, "interrupted: %d of %d jobs not run\n", total - n,
			total);
		if (worst == MT_EXIT_OK)
			worst = MT_EXIT_EXPECT;
	}
	if (!quiet)
		printf("\n%s\n", worst == MT_EXIT_OK ? "every expectation met" :
		       worst == MT_EXIT_EXPECT ? "an expectation failed" : "harness error");
	for (int i = 0; i < nfiles; i++)
		mt_jobset_free(&sets[i]);
	free(sets);
	free(res);
	mt_region_destroy(region);
	mt_topology_fini(&topo);
	return worst;
}

/*
 * docs/BUGS.md: the catalogue as Markdown, one table per model, made from
 * bugs.h by `mmtorture bugs --markdown` (tests/cli/10-cli.sh checks that
 * the committed file is what the program prints).
 */
static void bugs_markdown(void)
{
	const char *models[MT_NBUGS];
	int nmodels = 0;
	char fires[128];

	printf("# The catalogue of injectable bugs\n\n"
	       "Each entry is a historical or plausible mistake in the protocols of\n"
	       "`PROTOCOLS.md`. A job turns one on with `bugs=NAME`; the model (or the\n"
	       "kernel workload, for the `kernel` entries) then runs the broken code path\n"
	       "instead of the correct one, and the detectors, which never read the\n"
	       "switches, must catch it. `expect=detect` jobs judge it: every counter of\n"
	       "an entry that fires \"a, b\" (all of them), one of \"a / b\" (any).\n"
	       "Names are stable: results and job files refer to them.\n\n"
	       "This file is made by `mmtorture bugs --markdown` from `lib/core/bugs.h`.\n");
	for (int b = 0; b < MT_NBUGS; b++) {
		int m;

		for (m = 0; m < nmodels && strcmp(models[m], mt_bug_table[b].model); m++)
			;
		if (m == nmodels)
			models[nmodels++] = mt_bug_table[b].model;
	}
	for (int m = 0; m < nmodels; m++) {
		printf("\n## %s\n\n| name | seed | the broken code | should fire |\n|---|---|---|---|\n",
		       models[m]);
		for (int b = 0; b < MT_NBUGS; b++) {
			const struct mt_bug_desc *d = &mt_bug_table[b];

			if (strcmp(d->model, models[m]))
				continue;
			mt_bug_fires_str(d, fires, sizeof(fires));
			printf("| `%s` | %.3s | %s | %s |\n", d->name, d->seed, d->desc,
			       d->expect == MT_EXPECT_NONE ? "none (`expect=clean`)" : fires);
		}
	}
}

static int cmd_bugs(int argc, char **argv)
{
	bool json = false, md = false;
	char fires[128];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			json = true;
		} else if (!strcmp(argv[i], "--markdown")) {
			md = true;
		} else {
			fprintf(stderr, "mmtorture bugs: unexpected argument '%s' (bugs [--json | "
				"--markdown])\n", argv[i]);
			return MT_EXIT_USAGE;
		}
	}
	if (json) {
		json_t *a = mt_bugs_json();
		char *s = json_dumps(a, JSON_INDENT(2));

		puts(s);
		free(s);
		json_decref(a);
		return 0;
	}
	if (md) {
		bugs_markdown();
		return 0;
	}
	printf("%-28s %-10s %-26s %s\n", "name", "model", "seed", "what fires");
	for (int b = 0; b < MT_NBUGS; b++) {
		const struct mt_bug_desc *d = &mt_bug_table[b];

		mt_bug_fires_str(d, fires, sizeof(fires));
		printf("%-28s %-10s %-26s %s\n", d->name, d->model, d->seed, fires);
		printf("    %s\n", d->desc);
	}
	return 0;
}

static int cmd_workloads(void)
{
	for (unsigned int i = 0; wl_nth(i); i++) {
		const struct workload *wl = wl_nth(i);

		printf("%s - %s\n  roles:", wl->name, wl->desc);
		for (unsigned int r = 0; wl->roles[r]; r++)
			printf(" %s", wl->roles[r]);
		printf("\n  default mix: %s\n  models: %s\n", wl->default_mix ? wl->default_mix : "(equal)",
		       wl->models && *wl->models ? wl->models : "(none)");
		mt_opt_print(wl->opts, MT_OPT_STYLE_KEYS, stdout);
		printf("\n");
	}
	printf("job keys:\n");
	mt_opt_print(mt_job_opts, MT_OPT_STYLE_KEYS, stdout);
	return 0;
}

/*
 * `mmtorture man-keys jobs|workloads`: the rows of mmtorture.jobfile(5),
 * in roff, from the same tables as `mmtorture workloads`.  Used by the
 * build to make the man page; not listed in the usage.
 */
static int cmd_man_keys(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "jobs")) {
		mt_opt_print(mt_job_opts, MT_OPT_STYLE_MAN, stdout);
		return 0;
	}
	if (argc != 2 || strcmp(argv[1], "workloads")) {
		fprintf(stderr, "usage: mmtorture man-keys jobs|workloads\n");
		return MT_EXIT_USAGE;
	}
	for (unsigned int i = 0; wl_nth(i); i++) {
		const struct workload *wl = wl_nth(i);
		char text[1024];
		size_t off;

		printf(".SS %s\n", wl->name);
		snprintf(text, sizeof(text), "%s.", wl->desc);
		mt_opt_roff(stdout, text);
		fputs("\n.br\nRoles:\n", stdout);
		off = 0;
		for (unsigned int r = 0; wl->roles[r] && off < sizeof(text); r++)
			off += (size_t)snprintf(text + off, sizeof(text) - off, "%s%s", r ? ", " : "",
						wl->roles[r]);
		mt_opt_roff(stdout, text);
		/* the mix with blanks after its commas, so that it can be wrapped */
		fputs(".\n.br\nDefault mix:\n", stdout);
		off = 0;
		for (const char *m = wl->default_mix ? wl->default_mix : "every role equally";
		     *m && off + 2 < sizeof(text); m++) {
			text[off++] = *m;
			if (*m == ',')
				text[off++] = ' ';
		}
		text[off] = '\0';
		mt_opt_roff(stdout, text);
		fputs(".\n", stdout);
		mt_opt_print(wl->opts, MT_OPT_STYLE_MAN, stdout);
	}
	return 0;
}

/*
 * The options that may come before the command: --socket PATH (-s) and
 * --json (-j), as the command's own options parse them.  Return: how many
 * arguments they take (argv[1]...), or -1 after saying what is wrong.
 */
static int global_opts(int argc, char **argv, bool *json, const char **sock)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--json") || !strcmp(a, "-j")) {
			*json = true;
		} else if (!strncmp(a, "--socket=", 9)) {
			*sock = a + 9;
		} else if (!strcmp(a, "--socket") || !strcmp(a, "-s")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "mmtorture: %s needs a socket path\n", a);
				return -1;
			}
			*sock = argv[++i];
		} else {
			break;	/* --help, --version: commands of their own */
		}
	}
	return i - 1;
}

int main(int argc, char **argv)
{
	const char *cmd, *sock = NULL;
	bool json = false;
	int nglobal;

	nglobal = global_opts(argc, argv, &json, &sock);
	if (nglobal < 0)
		return MT_EXIT_USAGE;
	if (argc < 2 + nglobal) {
		usage(stderr);
		return MT_EXIT_USAGE;
	}
	if (nglobal) {
		/* the command first, then the options given before it: its own now */
		cmd = argv[1 + nglobal];
		memmove(argv + 2, argv + 1, (size_t)nglobal * sizeof(*argv));
		argv[1] = (char *)cmd;
		if (sock && !mt_client_is_command(cmd)) {
			fprintf(stderr, "mmtorture: --socket goes with the commands that talk to the "
				"daemon, not with %s\n", cmd);
			return MT_EXIT_USAGE;
		}
		if (json && !mt_client_is_command(cmd) && strcmp(cmd, "bugs")) {
			fprintf(stderr, "mmtorture: --json goes with bugs and the commands that talk "
				"to the daemon, not with %s\n", cmd);
			return MT_EXIT_USAGE;
		}
	}
	cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(cmd, "replay"))
		return mt_cli_replay(argc - 1, argv + 1);
	if (!strcmp(cmd, "bugs"))
		return cmd_bugs(argc - 1, argv + 1);
	if (!strcmp(cmd, "workloads")) {
		if (argc > 2) {
			fprintf(stderr, "mmtorture workloads: unexpected argument '%s'\n", argv[2]);
			return MT_EXIT_USAGE;
		}
		return cmd_workloads();
	}
	if (!strcmp(cmd, "plot"))
		return mt_plot_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "man-keys"))
		return cmd_man_keys(argc - 1, argv + 1);
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("mmtorture %s (%s)\n", MT_VERSION, MT_GIT_REV);
		return 0;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (mt_client_is_command(cmd))
		return mt_client_main(argc - 1, argv + 1);
	fprintf(stderr, "mmtorture: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return MT_EXIT_USAGE;
}
