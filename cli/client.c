// SPDX-License-Identifier: GPL-2.0-only
/*
 * client.c - submit, list, status, cancel, wait and dump, against the
 * daemon's control socket (--socket, or $MMTORTURE_SOCKET).  Human output
 * by default; --json prints the daemon's reply as it came.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/client.h"
#include "core/counters.h"
#include "lib/engine/json.h"
#include "lib/engine/result.h"
#include "lib/engine/values.h"

/*
 * The job file's text: at most half a request, and UTF-8 text (JSON
 * carries nothing else), or NULL with *err naming the file and the line.
 */
static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, ok;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t n;

		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			nb = cap > MT_MAX_MESSAGE ? NULL : realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "%s: larger than %d bytes", path, MT_MAX_MESSAGE / 2);
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
		if (n < 4096)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	ok = mt_utf8_valid_prefix(buf, len);
	if (ok == len && strlen(buf) != len)
		ok = strlen(buf);
	if (ok < len) {
		int line = 1;

		for (size_t i = 0; i < ok; i++)
			line += buf[i] == '\n';
		snprintf(err, errlen, "%s:%d: %s (byte 0x%02x): job files are UTF-8 text", path, line,
			 buf[ok] ? "not valid UTF-8" : "a NUL byte", (unsigned char)buf[ok]);
		free(buf);
		return NULL;
	}
	return buf;
}

/* Send @req, return the reply (or NULL after printing why). */
static json_t *call(const char *sock, json_t *req)
{
	char err[256];
	json_t *rep;
	int rc, fd = mt_proto_connect(sock);

	if (fd < 0) {
		int e = errno;
		char hint[160] = "";

		if (e == EACCES || e == EPERM) {
			/* the socket's group may connect: name it when it can be seen */
			struct stat st;
			struct group *g = stat(sock, &st) ? NULL : getgrgid(st.st_gid);

			snprintf(hint, sizeof(hint), " (you need to be in group %s or root)",
				 g ? g->gr_name : "mmtorture");
		} else if (e == ENOENT || e == ECONNREFUSED) {
			snprintf(hint, sizeof(hint), " (is mmtortured running?)");
		}
		fprintf(stderr, "mmtorture: cannot connect to %s: %s%s\n", sock, strerror(e), hint);
		json_decref(req);
		return NULL;
	}
	json_object_set_new(req, "v", json_integer(MT_PROTO_VERSION));
	rc = mt_proto_send(fd, req);
	json_decref(req);
	/*
	 * A daemon that refuses the connection (busy) says why and closes at
	 * once, maybe before the request went out: its reply is still there
	 * to read, so read it before reporting the failed send.
	 */
	rep = mt_proto_recv(fd, MT_MAX_REPLY, err, sizeof(err));
	close(fd);
	if (!rep && rc)
		fprintf(stderr, "mmtorture: cannot send to %s: %s\n", sock, strerror(-rc));
	else if (!rep)
		fprintf(stderr, "mmtorture: bad reply from %s: %s\n", sock, err);
	return rep;
}

/*
 * Print a refusal.  Return: 3 if the daemon could not serve the request
 * (busy, stopping, internal: try again later), 1 if it refused it.
 */
static int refused(const json_t *rep)
{
	const char *code = json_string_value(json_object_get(rep, "code")) ?: "error";
	const json_t *d = json_object_get(rep, "details");
	size_t i;
	json_t *v;

	fprintf(stderr, "mmtorture: %s: %s\n", code,
		json_string_value(json_object_get(rep, "error")) ?: "(no message)");
	json_array_foreach(d, i, v)
		fprintf(stderr, "  %s\n", json_string_value(v));
	if (!strcmp(code, "busy") || !strcmp(code, "stopping") || !strcmp(code, "internal"))
		return MT_EXIT_HARNESS;
	return MT_EXIT_USAGE;
}

/* The exit code of `wait`: the job's exit category; 3 if the reply has none. */
static int wait_exit(const json_t *job)
{
	const json_t *e = json_object_get(job, "exit_category");

	if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > 3)
		return MT_EXIT_HARNESS;
	return (int)json_integer_value(e);
}

static const char *js(const json_t *o, const char *k)
{
	return mt_json_str(o, k, "-");
}

static double jnum(const json_t *o, const char *k)
{
	return mt_json_num(o, k, 0);
}

static void print_job_line(const json_t *j)
{
	const json_t *det = json_object_get(j, "time_to_detection_seconds");
	char d[16] = "-";

	if (json_is_number(det))
		snprintf(d, sizeof(d), "%.3fs", json_number_value(det));
	printf("%5lld  %-28s %-10s %-10s %-13s %8.1fs %9s\n",
	       (long long)json_integer_value(json_object_get(j, "id")), js(j, "name"),
	       js(j, "workload"), js(j, "state"), js(j, "verdict"), jnum(j, "elapsed_seconds"), d);
}

static void print_job_header(void)
{
	printf("%5s  %-28s %-10s %-10s %-13s %9s %9s\n", "id", "name", "workload", "state",
	       "verdict", "elapsed", "detect");
}

static void print_counters(const json_t *o, const char *title)
{
	const char *k;
	json_t *v;
	bool any = false;

	json_object_foreach((json_t *)o, k, v)
		if (json_integer_value(v)) {
			if (!any)
				printf("  %s:", title);
			printf(" %s=%lld", k, (long long)json_integer_value(v));
			any = true;
		}
	printf(any ? "\n" : "  %s: none\n", title);
}

/* The lines under a job's line in `status ID` and `wait ID`. */
static void print_job_details(const json_t *j)
{
	const char *bugs = json_string_value(json_object_get(j, "bugs"));
	const char *why = json_string_value(json_object_get(j, "why"));
	const char *results = json_string_value(json_object_get(j, "results"));

	if (json_object_get(j, "phase")) {
		double rt = jnum(j, "runtime_seconds");
		char of[48] = ", until cancelled";

		if (rt > 0)
			snprintf(of, sizeof(of), " of %.1fs", rt);
		printf("  phase %s, %.1fs%s\n", js(j, "phase"), jnum(j, "elapsed_seconds"), of);
	} else if (!strcmp(js(j, "state"), "queued")) {
		printf("  queued: not started yet\n");
	}
	if (why && *why)
		printf("  %s\n", why);
	if (json_string_value(json_object_get(j, "seed")))
		printf("  seed %s, %s, %lld threads%s%s\n", js(j, "seed"), js(j, "rcu"),
		       (long long)json_integer_value(json_object_get(j, "threads")),
		       bugs && *bugs ? ", bugs " : "", bugs && *bugs ? bugs : "");
	if (json_object_get(j, "ops_per_second"))
		printf("  %.0f ops/s, %lld ops\n", jnum(j, "ops_per_second"),
		       (long long)json_integer_value(json_object_get(j, "ops_total")));
	if (json_object_get(j, "races"))
		print_counters(json_object_get(j, "races"), "races");
	if (json_object_get(j, "leaks"))
		print_counters(json_object_get(j, "leaks"), "leaks");
	if (results && *results)
		printf("  results in %s\n", results);
}

/* What a command's request is built from. */
struct client_args {
	const char *cmd;
	const char *name;		/* --name */
	char **argv;			/* the arguments after the options */
	int argc;
	long long id;			/* status, cancel, wait: the job, -1 if none */
};

static int build_submit(const struct client_args *a, json_t *req)
{
	char err[300], *text;

	if (a->argc != 1) {
		fprintf(stderr, "mmtorture submit: give one job file\n");
		return MT_EXIT_USAGE;
	}
	text = read_file(a->argv[0], err, sizeof(err));
	if (!text) {
		fprintf(stderr, "mmtorture submit: %s\n", err);
		return MT_EXIT_USAGE;
	}
	json_object_set_new(req, "jobfile", json_string(text));
	free(text);
	/* the file name goes along for messages: its valid UTF-8 part */
	json_object_set_new(req, "filename", json_stringn(a->argv[0],
			    mt_utf8_valid_prefix(a->argv[0], strlen(a->argv[0]))));
	if (a->name && mt_utf8_valid_prefix(a->name, strlen(a->name)) != strlen(a->name)) {
		fprintf(stderr, "mmtorture submit: --name '%s' is not valid UTF-8\n", a->name);
		return MT_EXIT_USAGE;
	}
	if (a->name)
		json_object_set_new(req, "name", json_string(a->name));
	return MT_EXIT_OK;
}

static int build_id(const struct client_args *a, json_t *req)
{
	if (a->id >= 0)
		json_object_set_new(req, "id", json_integer(a->id));
	else if (strcmp(a->cmd, "status")) {
		fprintf(stderr, "mmtorture %s: give a job id\n", a->cmd);
		return MT_EXIT_USAGE;
	}
	return MT_EXIT_OK;
}

static int build_dump(const struct client_args *a, json_t *req)
{
	const char *fmt = a->argc ? a->argv[0] : "prom";

	if (strcmp(fmt, "prom") && strcmp(fmt, "json")) {
		fprintf(stderr, "mmtorture dump: format '%s': prom or json\n", fmt);
		return MT_EXIT_USAGE;
	}
	json_object_set_new(req, "format", json_string(fmt));
	return MT_EXIT_OK;
}

static int print_submit(const struct client_args *a, const json_t *rep)
{
	size_t i;
	json_t *j;

	json_array_foreach(json_object_get(rep, "jobs"), i, j)
		printf("submitted job %lld: %s (workload %s), %s\n",
		       (long long)json_integer_value(json_object_get(j, "id")), js(j, "name"),
		       js(j, "workload"), js(j, "state"));
	return MT_EXIT_OK;
}

static int print_list(const struct client_args *a, const json_t *rep)
{
	size_t i;
	json_t *j;

	if (!json_array_size(json_object_get(rep, "jobs")))
		printf("no jobs\n");
	else
		print_job_header();
	json_array_foreach(json_object_get(rep, "jobs"), i, j)
		print_job_line(j);
	return MT_EXIT_OK;
}

static int print_status(const struct client_args *a, const json_t *rep)
{
	const json_t *d = json_object_get(rep, "daemon"), *j = json_object_get(rep, "job");

	if (a->id >= 0 || !strcmp(a->cmd, "wait")) {
		print_job_header();
		print_job_line(j);
		print_job_details(j);
		return !strcmp(a->cmd, "wait") ? wait_exit(j) : MT_EXIT_OK;
	}
	printf("mmtortured %s, up %.0fs, pid %lld\n", js(d, "version"), jnum(d, "uptime_seconds"),
	       (long long)json_integer_value(json_object_get(d, "pid")));
	printf("  jobs: %lld running, %lld queued, %lld finished, %lld cancelled "
	       "(max_parallel %lld)\n",
	       (long long)json_integer_value(json_object_get(d, "running")),
	       (long long)json_integer_value(json_object_get(d, "queued")),
	       (long long)json_integer_value(json_object_get(d, "finished")),
	       (long long)json_integer_value(json_object_get(d, "cancelled")),
	       (long long)json_integer_value(json_object_get(d, "max_parallel")));
	printf("  state directory: %s\n", js(d, "state_directory"));
	return MT_EXIT_OK;
}

static int print_cancel(const struct client_args *a, const json_t *rep)
{
	printf("job %lld: %s\n", a->id, js(rep, "message"));
	return MT_EXIT_OK;
}

static int print_dump(const struct client_args *a, const json_t *rep)
{
	const char *t = json_string_value(json_object_get(rep, "text"));
	char *s;

	if (t) {
		fputs(t, stdout);
		return MT_EXIT_OK;
	}
	s = json_dumps(json_object_get(rep, "metrics"), JSON_INDENT(2) | JSON_SORT_KEYS);
	puts(s);
	free(s);
	return MT_EXIT_OK;
}

/* The commands: how many arguments, how the request is made, how the reply is printed. */
static const struct client_cmd {
	const char *name;
	int maxargs;
	bool takes_id;
	int (*build)(const struct client_args *a, json_t *req);
	int (*print)(const struct client_args *a, const json_t *rep);
} client_cmds[] = {
	{ "submit", 1, false, build_submit, print_submit },
	{ "list", 0, false, NULL, print_list },
	{ "status", 1, true, build_id, print_status },
	{ "cancel", 1, true, build_id, print_cancel },
	{ "wait", 1, true, build_id, print_status },
	{ "dump", 1, false, build_dump, print_dump },
};

bool mt_client_is_command(const char *cmd)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(client_cmds); i++)
		if (!strcmp(client_cmds[i].name, cmd))
			return true;
	return false;
}

/* The job id of @s.  Return: 0, or the usage error said. */
static int parse_id(const char *cmd, const char *s, long long *id)
{
	char *end;

	errno = 0;
	*id = strtoll(s, &end, 10);
	if (*end || *id < 0 || errno) {
		fprintf(stderr, "mmtorture %s: '%s' is not a job id\n", cmd, s);
		return MT_EXIT_USAGE;
	}
	return MT_EXIT_OK;
}

int mt_client_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("MMTORTURE_SOCKET");
	struct client_args a = { .cmd = argv[0], .id = -1 };
	const struct client_cmd *cc = NULL;
	bool json = false;
	json_t *req, *rep;
	int c, rc;

	for (unsigned int i = 0; i < ARRAY_SIZE(client_cmds); i++)
		if (!strcmp(client_cmds[i].name, a.cmd))
			cc = &client_cmds[i];
	if (!sock || !*sock)
		sock = MT_DEFAULT_SOCKET;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:jn:", opts, NULL)) != -1) {
		if (c == 's')
			sock = optarg;
		else if (c == 'j')
			json = true;
		else if (c == 'n')
			a.name = optarg;
		else
			return MT_EXIT_USAGE;
	}
	a.argv = argv + optind;
	a.argc = argc - optind;
	if (!cc)
		return MT_EXIT_USAGE;
	if (a.argc > cc->maxargs) {
		fprintf(stderr, "mmtorture %s: unexpected argument '%s'\n", a.cmd, a.argv[cc->maxargs]);
		return MT_EXIT_USAGE;
	}
	if (a.name && strcmp(a.cmd, "submit")) {
		fprintf(stderr, "mmtorture %s: --name goes with submit\n", a.cmd);
		return MT_EXIT_USAGE;
	}
	if (cc->takes_id && a.argc && (rc = parse_id(a.cmd, a.argv[0], &a.id)))
		return rc;
	req = json_pack("{s:s}", "cmd", a.cmd);
	if (cc->build && (rc = cc->build(&a, req))) {
		json_decref(req);
		return rc;
	}
	rep = call(sock, req);
	if (!rep)
		return MT_EXIT_HARNESS;
	if (!json_is_true(json_object_get(rep, "ok"))) {
		rc = refused(rep);
		if (json) {
			char *t = json_dumps(rep, JSON_COMPACT);

			puts(t);
			free(t);
		}
	} else if (json) {
		char *t = json_dumps(rep, JSON_INDENT(2) | JSON_SORT_KEYS);

		puts(t);
		free(t);
		rc = !strcmp(a.cmd, "wait") ? wait_exit(json_object_get(rep, "job")) : MT_EXIT_OK;
	} else {
		rc = cc->print(&a, rep);
	}
	json_decref(rep);
	return rc;
}
