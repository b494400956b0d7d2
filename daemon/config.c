// SPDX-License-Identifier: GPL-2.0-only
/*
 * config.c - mmtortured's configuration; see config.h.
 *
 * The rows of dconfig_opts with an `arg` are also command-line options:
 * getopt's table, the command line's checks and `--help` all come from
 * them.  Values given on the command line are kept as given and applied
 * again over every build, so that they win at a reload too.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "lib/proto/proto.h"

struct dconfig dcfg;

int config_parse_listen(const char *v, struct sockaddr_storage *ss, socklen_t *len, char *err,
			size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char host[64], *port;
	const char *colon = strrchr(v, ':');
	size_t hl;
	int rc;

	if (!colon || colon == v || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5 || atoi(colon + 1) > 65535) {
		snprintf(err, errlen, "'%s' is not ADDR:PORT (127.0.0.1:9863, [::1]:9863)", v);
		return -1;
	}
	hl = (size_t)(colon - v);
	if (v[0] == '[' && hl > 2 && v[hl - 1] == ']') {
		v++;
		hl -= 2;
	}
	if (hl >= sizeof(host)) {
		snprintf(err, errlen, "'%s': the address is too long", v);
		return -1;
	}
	memcpy(host, v, hl);
	host[hl] = '\0';
	port = (char *)colon + 1;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc || !ai || ai->ai_addrlen > sizeof(*ss)) {
		snprintf(err, errlen, "'%s' is not a numeric IPv4 or [IPv6] address: %s", host,
			 rc ? gai_strerror(rc) : "no address");
		if (ai)
			freeaddrinfo(ai);
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* metrics_listen=: empty (off), or an address config_parse_listen() takes. */
static int set_listen(const struct mt_opt *o, void *base, const char *v, char *err, size_t errlen)
{
	struct dconfig *cfg = base;
	struct sockaddr_storage ss;
	socklen_t len;

	if (strlen(v) >= sizeof(cfg->metrics_listen)) {
		snprintf(err, errlen, "'%.24s...' is longer than %zu characters", v,
			 sizeof(cfg->metrics_listen) - 1);
		return -1;
	}
	if (*v && config_parse_listen(v, &ss, &len, err, errlen))
		return -1;
	snprintf(cfg->metrics_listen, sizeof(cfg->metrics_listen), "%s", v);
	return 0;
}

#define DCFG(field) .off = offsetof(struct dconfig, field), .size = sizeof(((struct dconfig *)0)->field)

const struct mt_opt dconfig_opts[] = {
	{ "max_parallel", MT_OPT_UINT, DCFG(max_parallel), .min = 1, .max = 10000, .def = "1",
	  .arg = "max-parallel", .metavar = "N", .help = "jobs run at once" },
	{ "max_queue", MT_OPT_UINT, DCFG(max_queue), .min = 1, .max = 10000, .def = "64",
	  .arg = "max-queue", .metavar = "N", .help = "jobs waiting at most" },
	{ "group", MT_OPT_STRING, DCFG(group), .def = "mmtorture", .flags = MT_OPT_NONEMPTY,
	  .noun = "a group name", .arg = "group", .metavar = "NAME",
	  .help = "members may submit and cancel" },
	{ "socket_group", MT_OPT_STRING, DCFG(socket_group), .flags = MT_OPT_NONEMPTY,
	  .noun = "a group name", .arg = "socket-group", .metavar = "NAME",
	  .help = "group of the socket the daemon creates (default: group)" },
	{ "textfile_dir", MT_OPT_STRING, DCFG(textfile_dir), .arg = "textfile-dir", .metavar = "DIR",
	  .help = "also write mmtorture.prom there for node_exporter's textfile collector" },
	{ "textfile_interval", MT_OPT_UINT, DCFG(textfile_interval), .min = 1, .max = 3600,
	  .def = "15", .noun = "a number of seconds", .arg = "textfile-interval", .metavar = "S",
	  .help = "while a job runs, rewrite mmtorture.prom this often (it is also rewritten "
		  "when a job ends)" },
	{ "metrics_listen", MT_OPT_CUSTOM, DCFG(metrics_listen), .parse = set_listen,
	  .range = "ADDR:PORT, or empty", .arg = "metrics-listen", .metavar = "ADDR:PORT", .help = "serve Prometheus' /metrics over HTTP at this address "
	  "(127.0.0.1:9863, [::1]:9863; port 0: any free port, logged); empty: no endpoint" },
	{ "client_timeout", MT_OPT_UINT, DCFG(client_timeout), .min = 1, .max = 86400, .def = "60",
	  .noun = "a number of seconds", .arg = "client-timeout", .metavar = "S",
	  .help = "drop a client that takes longer to send a request or to read its reply, or "
		  "that is idle this long with no wait pending" },
	{ "socket", MT_OPT_STRING, DCFG(socket_path), .def = MT_DEFAULT_SOCKET, .flags =
	  MT_OPT_NONEMPTY | MT_OPT_CLI_ONLY, .arg = "socket", .metavar = "PATH",
	  .help = "control socket (systemd may pass one)" },
	{ "state_dir", MT_OPT_STRING, DCFG(state_dir), .flags = MT_OPT_NONEMPTY | MT_OPT_CLI_ONLY,
	  .arg = "state-dir", .metavar = "DIR",
	  .help = "jobs, queue and results ($STATE_DIRECTORY, else " MT_DEFAULT_STATE_DIR ")" },
	{ "config", MT_OPT_STRING, DCFG(config_path), .flags = MT_OPT_NONEMPTY | MT_OPT_CLI_ONLY,
	  .arg = "config", .metavar = "FILE",
	  .help = "the [daemon] keys below, reloaded on SIGHUP; a FILE named here must exist "
		  "(without it, " MT_DEFAULT_CONFIG " if it exists)" },
	{ .name = NULL },
};

static const struct mt_ini_limits config_limits = {
	.max_line = 1024,
	.max_sections = 64,
	.sections = "sections",
	.max_keys = 1024,
	.max_name = 64,
	.what = "the config file",
	.first = "[daemon]",
};

/* The command line's values, as given: they win over the file, at reload too. */
static struct { const struct mt_opt *o; const char *value; } given[32];
static int ngiven;

static void usage(FILE *f)
{
	fprintf(f, "usage: mmtortured [OPTIONS]\n");
	mt_opt_print(dconfig_opts, MT_OPT_STYLE_ARGS, f);
	fprintf(f, "  --help                 this text\n"
		   "The command line wins over the config file.  Config file keys ([daemon]):\n");
	mt_opt_print(dconfig_opts, MT_OPT_STYLE_KEYS, f);
}

/* "max_parallel, max_queue, ...": the keys a config file may have. */
static const char *file_keys(void)
{
	static char keys[512];
	size_t off = 0;

	if (keys[0])
		return keys;
	for (const struct mt_opt *o = dconfig_opts; o->name && off < sizeof(keys); o++)
		if (!(o->flags & MT_OPT_CLI_ONLY))
			off += (size_t)snprintf(keys + off, sizeof(keys) - off, "%s%s", off ? ", " : "",
						o->name);
	return keys;
}

/* --help-man options|keys: roff rows of mmtortured(8).  Return: as config_init(). */
static int help_man(const char *what)
{
	if (!strcmp(what, "options")) {
		mt_opt_print(dconfig_opts, MT_OPT_STYLE_MAN_ARGS, stdout);
		return 1;
	}
	if (!strcmp(what, "keys")) {
		mt_opt_print(dconfig_opts, MT_OPT_STYLE_MAN, stdout);
		return 1;
	}
	fprintf(stderr, "mmtortured: --help-man options|keys\n");
	return -1;
}

/* The keys of the file's [daemon] section into @cfg.  Return: 1 read, 0 none, -1 errors. */
static int load_file(struct dconfig *cfg, const char *path, bool must_exist, struct mt_errors *err)
{
	struct mt_ini ini;
	char e[256];
	int nerr = err->n;

	if (!path || !*path)
		return 0;
	if (access(path, F_OK) && errno == ENOENT) {
		if (!must_exist)
			return 0;	/* none where it is looked for by default: the defaults */
		mt_errors_add(err, "%s: %s (a config file named by --config must exist)", path,
			      strerror(ENOENT));
		return -1;
	}
	if (mt_ini_read_file(path, &config_limits, &ini, err) && !ini.nsec) {
		mt_ini_free(&ini);
		return -1;
	}
	for (int i = 0; i < ini.nsec; i++) {
		const struct mt_ini_sec *s = &ini.sec[i];

		if (strcmp(s->name, "daemon")) {
			/* its keys are not reported again */
			mt_errors_add(err, "%s:%d: section [%s]: only [daemon] is known", path, s->line,
				      s->name);
			continue;
		}
		mt_ini_check_duplicates(&ini, s, err);
		for (int k = 0; k < s->nkv; k++) {
			const struct mt_ini_kv *kv = &s->kv[k];
			const struct mt_opt *o = mt_opt_find(dconfig_opts, kv->key);

			if (!o || (o->flags & MT_OPT_CLI_ONLY))
				mt_ini_key_error(&ini, kv, err, "unknown key (%s)", file_keys());
			else if (mt_opt_set(o, cfg, kv->value, e, sizeof(e)))
				mt_ini_key_error(&ini, kv, err, "%s", e);
		}
	}
	mt_ini_free(&ini);
	return err->n > nerr ? -1 : 1;
}

int config_build(struct dconfig *cfg, struct mt_errors *err)
{
	const char *sd = getenv("STATE_DIRECTORY");
	char e[256];
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (mt_opt_defaults(dconfig_opts, cfg, e, sizeof(e)))
		abort();	/* the table's own defaults */
	snprintf(cfg->config_path, sizeof(cfg->config_path), "%s", MT_DEFAULT_CONFIG);
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", sd && *sd ? sd : MT_DEFAULT_STATE_DIR);
	if (strchr(cfg->state_dir, ':'))
		*strchr(cfg->state_dir, ':') = '\0';	/* systemd lists several with ':' */
	/* where the file is: the command line's --config, so apply that first */
	for (int i = 0; i < ngiven; i++)
		if (!strcmp(given[i].o->name, "config")) {
			mt_opt_set(given[i].o, cfg, given[i].value, e, sizeof(e));
			cfg->config_explicit = true;
		}
	rc = load_file(cfg, cfg->config_path, cfg->config_explicit, err);
	if (rc < 0)
		return -1;
	for (int i = 0; i < ngiven; i++)	/* checked when they were read */
		mt_opt_set(given[i].o, cfg, given[i].value, e, sizeof(e));
	if (!cfg->socket_group[0])
		snprintf(cfg->socket_group, sizeof(cfg->socket_group), "%s", cfg->group);
	return rc;
}

int config_init(int argc, char **argv)
{
	struct option longopts[ARRAY_SIZE(given) + 3];
	struct dconfig scratch;
	char e[256];
	int n = 0, c;

	for (const struct mt_opt *o = dconfig_opts; o->name; o++)
		if (o->arg)
			longopts[n++] = (struct option){ o->arg, required_argument, NULL, 0 };
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n++] = (struct option){ "help-man", required_argument, NULL, 'm' };
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	for (;;) {
		int idx = -1;
		const struct mt_opt *o;

		c = getopt_long(argc, argv, "h", longopts, &idx);
		if (c == -1)
			break;
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == 'm')	/* the build makes mmtortured(8) from these rows */
			return help_man(optarg);
		if (c != 0 || idx < 0) {
			usage(stderr);
			return -1;
		}
		o = mt_opt_find_arg(dconfig_opts, longopts[idx].name);
		memset(&scratch, 0, sizeof(scratch));
		if (mt_opt_set(o, &scratch, optarg, e, sizeof(e))) {
			fprintf(stderr, "mmtortured: --%s: %s\n", o->arg, e);
			return -1;
		}
		if (ngiven == (int)ARRAY_SIZE(given)) {
			fprintf(stderr, "mmtortured: too many options\n");
			return -1;
		}
		given[ngiven].o = o;
		given[ngiven++].value = optarg;
	}
	if (optind < argc) {
		fprintf(stderr, "mmtortured: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* Who the daemon runs as, for messages: "user NAME (uid N)". */
static const char *self_user(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(geteuid());

	if (pw)
		snprintf(buf, len, "user %s (uid %d)", pw->pw_name, (int)geteuid());
	else
		snprintf(buf, len, "uid %d", (int)geteuid());
	return buf;
}

bool config_group_gid(gid_t *gid)
{
	static char said[sizeof(dcfg.group)];	/* the missing group last warned about */
	struct group *g = getgrnam(dcfg.group);
	char who[96];

	if (g) {
		said[0] = '\0';
		*gid = g->gr_gid;
		return true;
	}
	if (strcmp(said, dcfg.group)) {
		if (geteuid() == 0)
			dlog(LOG_WARNING, "group %s does not exist: only root may submit and cancel",
			     dcfg.group);
		else
			dlog(LOG_WARNING, "group %s does not exist: only root and %s, the daemon's "
			     "own, may submit and cancel", dcfg.group, self_user(who, sizeof(who)));
		snprintf(said, sizeof(said), "%s", dcfg.group);
	}
	return false;
}

void config_textfile_warn(const char *what, int err)
{
	const char *dir = dcfg.textfile_dir;
	char hint[1536] = "", who[96];

	if (err == EROFS)
		snprintf(hint, sizeof(hint), " (under the shipped unit, ProtectSystem=strict keeps it "
			 "read-only: add ReadWritePaths=%s in a drop-in, see README)", dir);
	else if (err == EACCES || err == EPERM)
		snprintf(hint, sizeof(hint), " (the daemon runs as %s: let it write there, e.g. "
			 "chgrp %s %s && chmod g+ws %s; under the shipped unit also add "
			 "ReadWritePaths=%s in a drop-in, see README)", self_user(who, sizeof(who)),
			 dcfg.group, dir, dir, dir);
	dlog(LOG_WARNING, "textfile_dir: %s: %s: node_exporter will not see mmtorture.prom%s",
	     what, strerror(err), hint);
}

void config_check_textfile(void)
{
	if (dcfg.textfile_dir[0] && access(dcfg.textfile_dir, W_OK | X_OK))
		config_textfile_warn(dcfg.textfile_dir, errno);
}
