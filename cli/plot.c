// SPDX-License-Identifier: GPL-2.0-only
/*
 * plot.c - `mmtorture plot RESULTS_DIR`: a picture of a run's
 * timeline.csv, drawn by gnuplot (fio2gnuplot's way: the tool writes the
 * data and the script, gnuplot draws).
 *
 * Three panels over the seconds since the job started: ops/s (all roles,
 * and each), the race and leak counters that fired (by kind; a flat line
 * saying none fired otherwise), and the audits; the first detection (a
 * detect job) or the first race or leak (any other) is a red line
 * across all three, and the teardown is shaded.  The rates are computed
 * here, from the differences of the cumulative rows, so that the script
 * gnuplot runs is plain; the data goes inline (a datablock) and the
 * script into gnuplot's standard input: no file is left anywhere.
 */
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/plot.h"
#include "lib/engine/result.h"
#include "lib/engine/timeline.h"

#define MAX_COLS	128

struct table {
	int ncols;
	char *name[MAX_COLS];
	int nrows;
	double *v;		/* nrows x ncols; the phase column holds its index in phases[] */
};

static const char *const phases[] = { "running", "audit", "teardown", "done", NULL };

static int col(const struct table *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (!strcmp(t->name[i], name))
			return i;
	return -1;
}

static double at(const struct table *t, int row, int c)
{
	return t->v[(size_t)row * (size_t)t->ncols + (size_t)c];
}

static void table_free(struct table *t)
{
	for (int i = 0; i < t->ncols; i++)
		free(t->name[i]);
	free(t->v);
}

/* Split @line at commas in place; Return: the fields, at most @max. */
static int split(char *line, char **field, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	for (char *p = line; n < max;) {
		field[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

/* Read @path.  Return: 0, or -1 with why in @err.  A last row cut short is left out. */
static int table_read(const char *path, struct table *t, char *err, size_t errlen)
{
	char *line = NULL, *field[MAX_COLS];
	size_t cap = 0, alloc = 0;
	int ph, n;
	FILE *f = fopen(path, "re");

	memset(t, 0, sizeof(*t));
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (getline(&line, &cap, f) < 0 || (n = split(line, field, MAX_COLS)) < 3 ||
	    strcmp(field[0], "t_s") || strcmp(field[1], "phase")) {
		snprintf(err, errlen, "%s: not a timeline (its first line is not t_s,phase,...)", path);
		goto fail;
	}
	t->ncols = n;
	for (int i = 0; i < n; i++)
		t->name[i] = strdup(field[i]);
	while (getline(&line, &cap, f) > 0) {
		double *row;
		char *end;

		if (!strchr(line, '\n') || split(line, field, MAX_COLS) != t->ncols)
			continue;	/* being written, or not ours */
		if ((size_t)t->nrows == alloc) {
			alloc = alloc ? 2 * alloc : 256;
			row = realloc(t->v, alloc * (size_t)t->ncols * sizeof(double));
			if (!row) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			t->v = row;
		}
		row = t->v + (size_t)t->nrows * (size_t)t->ncols;
		for (ph = 0; phases[ph] && strcmp(phases[ph], field[1]); ph++)
			;
		row[1] = ph;
		for (int i = 0; i < t->ncols; i++) {
			if (i == 1)
				continue;
			row[i] = strtod(field[i], &end);
			if (end == field[i] || *end) {
				snprintf(err, errlen, "%s: row %d, column %s: '%s' is not a number", path,
					 t->nrows + 2, t->name[i], field[i]);
				goto fail;
			}
		}
		t->nrows++;
	}
	free(line);
	fclose(f);
	if (!t->nrows) {
		snprintf(err, errlen, "%s: no rows yet", path);
		table_free(t);
		return -1;
	}
	return 0;
fail:
	free(line);
	fclose(f);
	table_free(t);
	return -1;
}

/* A gnuplot string in double quotes: a newline is a line break, anything else as it is. */
static void gp_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= ' ')
			fputc(*s, f);
	}
	fputc('"', f);
}

struct picture {
	const char *out;	/* the image */
	bool svg;
	const struct mt_result *res;	/* NULL: no metrics.json */
	double mark;		/* the first detection, or first race or leak; -1: none */
	const char *mark_what;
};

/*
 * The data gnuplot reads: t, ops/s, ops/s of each role, then the other
 * columns as they are.  No rate after the workers stopped (at @t_end,
 * -1 if unknown; or the row before was in teardown already): NaN, a gap.
 */
static void write_data(FILE *f, const struct table *t, int ops, int nroles, double t_end)
{
	for (int r = 0; r < t->nrows; r++) {
		double t1 = at(t, r, 0), t0 = r ? at(t, r - 1, 0) : 0, dt = t1 - t0;
		bool stopped = (r && at(t, r - 1, 1) >= 2) || (t_end > 0 && t0 >= t_end);

		/* the workers stopped in this interval: their rate is over the time they ran */
		if (t_end > t0 && t_end < t1)
			dt = t_end - t0;

		fprintf(f, "%.3f", t1);
		for (int c = ops; c < ops + 1 + nroles; c++) {
			double d = at(t, r, c) - (r ? at(t, r - 1, c) : 0);

			if (stopped)
				fputs(" NaN", f);
			else
				fprintf(f, " %.6g", dt > 0 ? d / dt : 0);
		}
		for (int c = ops + 1 + nroles; c < t->ncols; c++)
			fprintf(f, " %.0f", at(t, r, c));
		fputc('\n', f);
	}
}

static void write_script(FILE *f, const struct table *t, const struct picture *p)
{
	int ops = col(t, "ops"), races = col(t, "races"), audits = col(t, "audits");
	int nroles = races - ops - 1, fired = 0;
	double tmax = at(t, t->nrows - 1, 0), teardown = -1, most = 0;
	/* data file columns (1-based): 1 t, 2 ops/s, 3.. roles, then races.. as in the table */
	int dcol_races = 3 + nroles;

	/* the workers' end, from metrics.json; else the first row past it */
	if (p->res && p->res->elapsed_s > 0)
		teardown = p->res->elapsed_s;
	for (int r = 0; r < t->nrows && teardown < 0; r++)
		if (at(t, r, 1) >= 2)	/* teardown or done */
			teardown = at(t, r, 0);
	if (p->svg)
		fputs("set terminal svg size 900,720 dynamic font 'sans,11' noenhanced\n", f);
	else
		fputs("set terminal pngcairo size 900,720 font 'sans,10' noenhanced\n", f);
	/* the data inline, as a datablock: the script is whole, no file beside it */
	fputs("$data << EOD\n", f);
	write_data(f, t, 2, nroles, p->res ? p->res->elapsed_s : -1);
	fputs("EOD\nset output ", f);
	gp_string(f, p->out);
	fputs("\nset datafile separator whitespace\nset grid lc rgb '#dddddd'\n"
	      "set key outside right top vertical samplen 2 font ',9'\n"
	      "set lmargin at screen 0.09\nset rmargin at screen 0.79\n", f);
	fprintf(f, "set xrange [0:%.3f]\n", tmax > 0 ? tmax * 1.02 : 1);
	if (teardown >= 0 && teardown < tmax)
		fprintf(f, "set object 1 rect from %.3f, graph 0 to graph 1, graph 1 fc rgb '#eeeeee' "
			   "fs solid 1.0 noborder behind\n", teardown);
	if (p->mark >= 0) {
		fprintf(f, "set arrow 1 from %.3f, graph 0 to %.3f, graph 1 nohead lc rgb '#cc0000' "
			   "lw 2 dt 2 front\n", p->mark, p->mark);
	}
	fputs("set multiplot layout 3,1 title ", f);
	if (p->res) {
		char title[1024];

		snprintf(title, sizeof(title), "%s (workload %s): %s\n%.160s", p->res->job,
			 p->res->workload, mt_verdict_name(p->res->verdict), p->res->why);
		gp_string(f, title);
	} else {
		gp_string(f, "timeline");
	}
	fputs(" font ',11'\n", f);

	/* 1: ops/s */
	fputs("set ylabel 'ops/s'\nset format y '%.1s%c'\nset yrange [0:*]\n", f);
	if (p->mark >= 0) {
		char what[96];

		bool late = p->mark > 0.6 * tmax;	/* then the text goes left of the line */

		snprintf(what, sizeof(what), late ? "%s at %.3f s " : " %s at %.3f s", p->mark_what,
			 p->mark);
		fprintf(f, "set label 1 ");
		gp_string(f, what);
		fprintf(f, " at %.3f, graph 0.92 %s tc rgb '#cc0000' front\n", p->mark,
			late ? "right" : "left");
	}
	if (teardown >= 0 && teardown < tmax)
		fprintf(f, "set label 2 'teardown ' at %.3f, graph 0.08 right tc rgb '#777777'\n",
			teardown);
	fputs("plot $data using 1:2 with lines lw 2.5 lc rgb '#1f4e9c' title 'all roles'", f);
	for (int i = 0; i < nroles; i++) {
		fputs(", $data using 1:", f);
		fprintf(f, "%d with lines lw 1.2 title ", 3 + i);
		gp_string(f, t->name[ops + 1 + i] + 4);		/* "ops_" */
	}
	fputs("\nunset label 1\nunset label 2\n", f);

	/* 2: the race and leak counters that fired */
	for (int c = races + 2; c < audits; c++) {
		fired += at(t, t->nrows - 1, c) > 0;
		if (at(t, t->nrows - 1, c) > most)
			most = at(t, t->nrows - 1, c);
	}
	/* 1.5k, 2.0M for large counts; small ones as they are */
	fprintf(f, "set ylabel 'races, leaks'\nset format y '%s'\nset yrange [0:%s]\nplot ",
		most >= 10000 ? "%.1s%c" : "%g", fired ? "*" : "1");
	fired = 0;
	for (int c = races + 2; c < audits; c++) {
		if (at(t, t->nrows - 1, c) <= 0)
			continue;
		fprintf(f, "%s$data using 1:%d with steps lw 2 title ", fired++ ? ", " : "",
			dcol_races + (c - races));
		gp_string(f, t->name[c]);
	}
	if (!fired)
		fputs("0 with lines lw 2 lc rgb '#2e8b57' title 'no race, no leak'", f);
	fputs("\n", f);

	/* 3: the audits */
	fprintf(f, "set ylabel 'audits'\nset xlabel 'seconds since the job started'\n"
		   "set format y '%%g'\nset yrange [0:%s]\nplot $data", at(t, t->nrows - 1, audits) > 0 ? "*" : "1");
	fprintf(f, " using 1:%d with steps lw 2 lc rgb '#6a3d9a' title 'audits run'\n",
		dcol_races + (audits - races));
	fputs("unset multiplot\n", f);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mmtorture plot [-o FILE.png|FILE.svg] [--script] RESULTS_DIR\n"
		   "  draws RESULTS_DIR/timeline.csv (default: RESULTS_DIR/timeline.png) with gnuplot;\n"
		   "  --script prints the gnuplot script, its data inline, and draws nothing\n");
}

/* Run gnuplot with @script on its standard input.  Return: 0, or -1 (said why). */
static int run_gnuplot(const char *script, size_t len)
{
	int status, fd[2];
	pid_t pid;

	fflush(NULL);
	if (pipe(fd)) {
		fprintf(stderr, "mmtorture plot: pipe: %s\n", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		dup2(fd[0], STDIN_FILENO);
		close(fd[0]);
		close(fd[1]);
		execlp("gnuplot", "gnuplot", (char *)NULL);
		if (errno == ENOENT)
			fprintf(stderr, "mmtorture plot: gnuplot is not installed (Debian: "
				"apt-get install gnuplot-nox)\n");
		else
			fprintf(stderr, "mmtorture plot: gnuplot: %s\n", strerror(errno));
		_exit(127);
	}
	close(fd[0]);
	if (pid < 0) {
		close(fd[1]);
		fprintf(stderr, "mmtorture plot: cannot run gnuplot: %s\n", strerror(errno));
		return -1;
	}
	/* a gnuplot that fails early closes its end: EPIPE, not SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd[1], script + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd[1]);
	if (waitpid(pid, &status, 0) != pid) {
		fprintf(stderr, "mmtorture plot: gnuplot: %s\n", strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 127)
			fprintf(stderr, "mmtorture plot: gnuplot failed (status %d)\n", status);
		return -1;
	}
	return 0;
}

int mt_plot_main(int argc, char **argv)
{
	char path[PATH_MAX], out[PATH_MAX], err[PATH_MAX + 128], *script = NULL;
	size_t len = 0;
	const char *dir = NULL, *o = NULL;
	struct mt_result res;
	struct picture p = { .mark = -1 };
	bool only_script = false;
	struct table t;
	json_error_t je;
	json_t *j;
	FILE *f;
	int rc = MT_EXIT_HARNESS;

	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc)
			o = argv[++i];
		else if (!strcmp(argv[i], "--script"))
			only_script = true;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || dir) {
			usage(stderr);
			return MT_EXIT_USAGE;
		} else
			dir = argv[i];
	}
	if (!dir) {
		usage(stderr);
		return MT_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, MT_TIMELINE_FILE);
	if (access(path, F_OK)) {
		fprintf(stderr, "mmtorture plot: %s: %s (a job with timeline_interval=0, or not a "
			"results directory)\n", path, strerror(errno));
		return MT_EXIT_USAGE;
	}
	if (table_read(path, &t, err, sizeof(err))) {
		fprintf(stderr, "mmtorture plot: %s\n", err);
		return MT_EXIT_USAGE;
	}
	if (col(&t, "ops") != 2 || col(&t, "races") < 3 || col(&t, "audits") <= col(&t, "races") + 1) {
		fprintf(stderr, "mmtorture plot: %s: its columns are not a timeline's\n", path);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/metrics.json", dir);
	if ((j = json_load_file(path, 0, &je)) && !mt_result_from_json(j, &res)) {
		p.res = &res;
		if (res.expect_detect && res.first_detect_s >= 0) {
			p.mark = res.first_detect_s;
			p.mark_what = "first detection";
		} else if ((p.mark = mt_result_first_problem(&res, NULL)) >= 0) {
			p.mark_what = "first race or leak";
		}
	}
	json_decref(j);
	if (o)
		snprintf(out, sizeof(out), "%s", o);
	else
		snprintf(out, sizeof(out), "%s/timeline.png", dir);
	p.out = out;
	p.svg = strlen(out) > 4 && !strcmp(out + strlen(out) - 4, ".svg");
	if (!(f = open_memstream(&script, &len))) {
		fprintf(stderr, "mmtorture plot: out of memory\n");
		goto out;
	}
	write_script(f, &t, &p);
	if (fclose(f)) {
		fprintf(stderr, "mmtorture plot: out of memory\n");
		goto out;
	}
	if (only_script) {
		fwrite(script, 1, len, stdout);
		rc = 0;
	} else if (!run_gnuplot(script, len)) {
		printf("%s: %d rows, %.1f s%s%s", out, t.nrows, at(&t, t.nrows - 1, 0),
		       p.mark >= 0 ? "; " : "", p.mark >= 0 ? p.mark_what : "");
		if (p.mark >= 0)
			printf(" at %.3f s", p.mark);
		putchar('\n');
		rc = 0;
	}
out:
	free(script);
	table_free(&t);
	return rc;
}
