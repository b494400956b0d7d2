// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmtortured.c - the mmtorture daemon: accepts job files on a Unix
 * socket, queues them, runs each in a child process through the engine's
 * runner, and serves status and metrics.  See daemon.h for its shape.
 *
 *   mmtortured [--socket PATH] [--state-dir DIR] [--config FILE]
 *              [--max-parallel N] [--max-queue N] [--group NAME]
 *              [--socket-group NAME] [--textfile-dir DIR] [--client-timeout S]
 *
 * The configuration is the defaults, then the config file, then the
 * command line; SIGHUP builds it again the same way, so a key removed from
 * the file returns to its default and the command line still wins.
 *
 * Signals: SIGTERM/SIGINT stop gracefully (running jobs cancelled with
 * partial results written, the queue kept for the next start); SIGHUP
 * reloads the config file; SIGUSR2 writes metrics dumps.
 *
 * systemd: socket activation (sd_listen_fds), Type=notify (READY=1,
 * STATUS=, RELOADING=1, STOPPING=1), the watchdog (WATCHDOG=1 at half of
 * WATCHDOG_USEC).  Logs go to stderr, with the journal's <N> priority
 * prefixes when stderr is the journal (JOURNAL_STREAM).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <ini.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "daemon/daemon.h"
#include "lib/engine/jobfile.h"
#include "lib/engine/options.h"

struct daemon D = { .listen_fd = -1, .signal_fd = -1 };

/* The command line's settings: they win over the config file, at reload too. */
static struct dconfig over;
static bool over_parallel, over_queue, over_timeout;

void dlog(int prio, const char *fmt, ...)
{
	static const char *const names[] = { "emerg", "alert", "crit", "error", "warning",
					      "notice", "info", "debug" };
	va_list ap;

	if (D.journal)
		fprintf(stderr, "<%d>", prio);
	else
		fprintf(stderr, "mmtortured: %s: ", names[prio & 7]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void dstrcpy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src), ok;

	if (!size)
		return;
	if (n > size - 1)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	/* invalid bytes become '?'; a character cut short at the end goes */
	for (size_t i = 0; i < n; i += ok + 1) {
		ok = mt_utf8_valid_prefix(dst + i, n - i);
		if (i + ok == n)
			break;
		if (n - (i + ok) < 4 && (unsigned char)dst[i + ok] >= 0xc2 &&
		    mt_utf8_valid_prefix(src + i + ok, strlen(src + i + ok)) > n - (i + ok)) {
			dst[i + ok] = '\0';	/* whole in @src, cut by the size */
			n = i + ok;
			break;
		}
		dst[i + ok] = '?';
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?';
}

/* Is stderr the journal?  (systemd sets JOURNAL_STREAM=dev:ino for it.) */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && !fstat(STDERR_FILENO, &st) &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void daemon_notify_status(void)
{
	char buf[256];
	const char *running = "";

	for (struct djob *j = D.jobs; j; j = j->next)
		if (j->state == JOB_RUNNING) {
			running = j->name;
			break;
		}
	snprintf(buf, sizeof(buf), "%u running%s%s%s, %u queued, %u finished, %u cancelled",
		 D.nrunning, *running ? " (" : "", running, *running ? ")" : "", D.nqueued,
		 D.nfinished, D.ncancelled);
	if (strcmp(buf, D.status_text)) {
		snprintf(D.status_text, sizeof(D.status_text), "%s", buf);
		sd_notifyf(0, "STATUS=%s", buf);
	}
}

/* ---- config ---- */

#define CFG_MAX_LINE	1024	/* characters on a line of the config file */

/*
 * The config file is fed to libinih line by line (ini_parse_stream() with
 * a reader of our own), so that every problem is reported with its
 * file:line: Debian's libinih tells its handler no line number.  Lines
 * libinih would refuse are checked here first, reported, and handed on
 * empty, so that the lines after them are still checked.
 */
struct cfg_parse {
	struct dconfig *cfg;
	struct mt_errors *err;
	const char *path;
	FILE *in;
	char *line;		/* the current line, read whole */
	size_t linecap, off;	/* how much of it libinih has had */
	ssize_t len;
	int lineno;
	bool eof;		/* the file is over: NULL from now on */
};

#define cfg_error(p, fmt, ...) \
	mt_errors_add((p)->err, "%s:%d: " fmt, (p)->path, (p)->lineno, ##__VA_ARGS__)

/* Check the line just read; one that fails is reported and replaced by an empty one. */
static void cfg_check_line(struct cfg_parse *p)
{
	char *s = p->line, *e;
	size_t n = (size_t)p->len;

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (strlen(s) < n)
		cfg_error(p, "a NUL byte: the config file is text");
	else if (n > CFG_MAX_LINE)
		cfg_error(p, "a line of %zu characters, at most %d", n, CFG_MAX_LINE);
	else if (mt_utf8_valid_prefix(s, n) < n)
		cfg_error(p, "not UTF-8 text");
	else {
		s += strspn(s, " \t\v\f");
		if (s >= p->line + n || *s == ';' || *s == '#')
			return;
		if (*s != '[')
			e = s + strcspn(s, "=:");
		else if ((e = strchr(s, ']')) && e < p->line + n) {
			size_t len;

			s += 1 + strspn(s + 1, " \t");
			for (len = (size_t)(e - s); len && (s[len - 1] == ' ' || s[len - 1] == '\t'); len--)
				;
			/* its keys are not reported again: the handler skips them */
			if (len != 6 || strncmp(s, "daemon", 6))
				cfg_error(p, "section [%.*s]: only [daemon] is known", (int)len, s);
			return;
		}
		if (e && *e && e < p->line + n)
			return;
		cfg_error(p, "syntax error: expected [daemon], key = value or a comment");
	}
	strcpy(p->line, "\n");
	p->len = 1;
}

static char *cfg_reader(char *str, int num, void *stream)
{
	struct cfg_parse *p = stream;

	if (!p->line || p->off >= (size_t)p->len) {
		ssize_t n;

		/* libinih may ask again after a NULL: the last line is not handed out twice */
		if (p->eof)
			return NULL;
		errno = 0;
		n = getline(&p->line, &p->linecap, p->in);
		if (n < 0) {
			if (ferror(p->in))
				mt_errors_add(p->err, "%s: %s", p->path, strerror(errno ?: EIO));
			p->eof = true;
			return NULL;
		}
		p->len = n;
		p->off = 0;
		p->lineno++;
		cfg_check_line(p);
	}
	return mt_ini_feed(str, num, p->line, (size_t)p->len, &p->off);
}

/* Copy a string value, or say why not. */
static void cfg_string(struct cfg_parse *p, char *dst, size_t size, const char *name,
		       const char *value, bool may_be_empty)
{
	if (!*value && !may_be_empty)
		cfg_error(p, "%s: empty", name);
	else if (strlen(value) >= size)
		cfg_error(p, "%s: longer than %zu bytes", name, size - 1);
	else
		snprintf(dst, size, "%s", value);
}

static int cfg_handler(void *user, const char *section, const char *name, const char *value)
{
	struct cfg_parse *p = user;
	uint64_t v;

	if (!*section) {
		cfg_error(p, "key '%s' before any section: start the file with [daemon]", name);
		return 1;
	}
	if (strcmp(section, "daemon"))
		return 1;	/* said at its header */
	if (!strcmp(name, "max_parallel") || !strcmp(name, "max_queue")) {
		if (mt_parse_u64(value, &v) || v < 1 || v > 10000)
			cfg_error(p, "%s: '%s' is not an integer in 1..10000", name, value);
		else
			*(name[4] == 'p' ? &p->cfg->max_parallel : &p->cfg->max_queue) = (unsigned int)v;
	} else if (!strcmp(name, "client_timeout")) {
		if (mt_parse_u64(value, &v) || v < 1 || v > 86400)
			cfg_error(p, "%s: '%s' is not a number of seconds in 1..86400", name, value);
		else
			p->cfg->client_timeout = (unsigned int)v;
	} else if (!strcmp(name, "group")) {
		cfg_string(p, p->cfg->group, sizeof(p->cfg->group), name, value, false);
	} else if (!strcmp(name, "socket_group")) {
		cfg_string(p, p->cfg->socket_group, sizeof(p->cfg->socket_group), name, value, false);
	} else if (!strcmp(name, "textfile_dir")) {
		cfg_string(p, p->cfg->textfile_dir, sizeof(p->cfg->textfile_dir), name, value, true);
	} else {
		cfg_error(p, "unknown key '%s' (max_parallel, max_queue, group, socket_group, "
			  "textfile_dir, client_timeout)", name);
	}
	return 1;
}

int daemon_load_config(struct dconfig *cfg, const char *path, bool must_exist,
		       struct mt_errors *err)
{
	struct cfg_parse p = { .cfg = cfg, .err = err, .path = path };
	struct stat st;
	int rc, nerr = err->n;

	if (!path || !*path)
		return 0;
	p.in = fopen(path, "r");
	if (!p.in && errno == ENOENT && !must_exist)
		return 0;	/* no config file where it is looked for by default: the defaults */
	if (!p.in || fstat(fileno(p.in), &st)) {
		int e = errno;

		mt_errors_add(err, "%s: %s%s", path, strerror(e),
			      e == ENOENT ? " (a config file named by --config must exist)" : "");
		if (p.in)
			fclose(p.in);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		mt_errors_add(err, "%s: is a directory, not a config file", path);
		fclose(p.in);
		return -1;
	}
	ini_allow_multiline = false;	/* one line, one key: line numbers stay true */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = CFG_MAX_LINE + 3;	/* the line, "\r\n", the NUL */
	ini_stop_on_first_error = false;
	rc = ini_parse_stream(cfg_reader, &p, cfg_handler, &p);
	free(p.line);
	fclose(p.in);
	if (rc > 0 && err->n == nerr)	/* libinih's own, if the lines checked above missed it */
		mt_errors_add(err, "%s:%d: syntax error", path, rc);
	else if (rc < 0)
		mt_errors_add(err, "%s: out of memory", path);
	return err->n > nerr ? -1 : 1;
}

/*
 * The configuration: the defaults, then the config file, then the command
 * line.  Return: 1 when the config file was read, 0 when there is none,
 * -1 with @err filled.
 */
static int config_build(struct dconfig *cfg, struct mt_errors *err)
{
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->max_parallel = 1;
	cfg->max_queue = 64;
	cfg->client_timeout = MT_DAEMON_CLIENT_TIMEOUT;
	snprintf(cfg->group, sizeof(cfg->group), "mmtorture");
	rc = daemon_load_config(cfg, D.config_path, D.config_explicit, err);
	if (rc < 0)
		return -1;
	if (over_parallel)
		cfg->max_parallel = over.max_parallel;
	if (over_queue)
		cfg->max_queue = over.max_queue;
	if (over_timeout)
		cfg->client_timeout = over.client_timeout;
	if (over.group[0])
		snprintf(cfg->group, sizeof(cfg->group), "%s", over.group);
	if (over.socket_group[0])
		snprintf(cfg->socket_group, sizeof(cfg->socket_group), "%s", over.socket_group);
	if (!cfg->socket_group[0])
		snprintf(cfg->socket_group, sizeof(cfg->socket_group), "%s", cfg->group);
	if (over.textfile_dir[0])
		snprintf(cfg->textfile_dir, sizeof(cfg->textfile_dir), "%s", over.textfile_dir);
	return rc;
}

/* Log every error of @e, after @prefix. */
static void log_errors(int prio, const char *prefix, const struct mt_errors *e)
{
	int shown = e->n < (int)ARRAY_SIZE(e->msg) ? e->n : (int)ARRAY_SIZE(e->msg);

	for (int i = 0; i < shown; i++)
		dlog(prio, "%s%s", prefix, e->msg[i]);
	if (e->n > shown)
		dlog(prio, "%s... and %d more", prefix, e->n - shown);
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

static void resolve_group(void)
{
	static char said[sizeof(D.cfg.group)];	/* the missing group last warned about */
	struct group *g = getgrnam(D.cfg.group);
	char who[96];

	D.group_known = g != NULL;
	D.group_gid = g ? g->gr_gid : (gid_t)-1;
	if (g) {
		said[0] = '\0';
	} else if (strcmp(said, D.cfg.group)) {
		if (geteuid() == 0)
			dlog(LOG_WARNING, "group %s does not exist: only root may submit and cancel",
			     D.cfg.group);
		else
			dlog(LOG_WARNING, "group %s does not exist: only root and %s, the daemon's "
			     "own, may submit and cancel", D.cfg.group, self_user(who, sizeof(who)));
		snprintf(said, sizeof(said), "%s", D.cfg.group);
	}
}

void daemon_textfile_warn(const char *what, int err)
{
	const char *dir = D.cfg.textfile_dir;
	char hint[1536] = "", who[96];

	if (err == EROFS)
		snprintf(hint, sizeof(hint), " (under the shipped unit, ProtectSystem=strict keeps it "
			 "read-only: add ReadWritePaths=%s in a drop-in, see README)", dir);
	else if (err == EACCES || err == EPERM)
		snprintf(hint, sizeof(hint), " (the daemon runs as %s: let it write there, e.g. "
			 "chgrp %s %s && chmod g+ws %s; under the shipped unit also add "
			 "ReadWritePaths=%s in a drop-in, see README)", self_user(who, sizeof(who)),
			 D.cfg.group, dir, dir, dir);
	dlog(LOG_WARNING, "textfile_dir: %s: %s: node_exporter will not see mmtorture.prom%s",
	     what, strerror(err), hint);
}

/* Can the textfile collector's file be written?  Say so now, not at the first dump. */
static void check_textfile_dir(void)
{
	if (D.cfg.textfile_dir[0] && access(D.cfg.textfile_dir, W_OK | X_OK))
		daemon_textfile_warn(D.cfg.textfile_dir, errno);
}

static void reload(void)
{
	struct mt_errors err = { 0 };
	struct dconfig n;
	struct timespec ts;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
	rc = config_build(&n, &err);
	if (rc < 0) {
		if (err.n == 1) {
			dlog(LOG_ERR, "reload: %s: keeping the running configuration", err.msg[0]);
		} else {
			log_errors(LOG_ERR, "reload: ", &err);
			dlog(LOG_ERR, "reload: %d errors in %s: keeping the running configuration",
			     err.n, D.config_path);
		}
	} else {
		bool group_changed = strcmp(n.group, D.cfg.group) != 0;
		bool sgroup_changed = strcmp(n.socket_group, D.cfg.socket_group) != 0;
		char what[320];

		D.cfg = n;
		resolve_group();
		/* peers connected before keep their connection, with the new rule */
		server_access_changed();
		if (sgroup_changed)
			server_socket_group();
		check_textfile_dir();
		if (rc)
			snprintf(what, sizeof(what), "%s", D.config_path);
		else
			snprintf(what, sizeof(what), "the defaults and the command line (no config "
				 "file%s%s)", *D.config_path ? " " : "", D.config_path);
		dlog(LOG_INFO, "reloaded %s: max_parallel=%u max_queue=%u group=%s%s "
		     "client_timeout=%us textfile_dir=%s", what, D.cfg.max_parallel,
		     D.cfg.max_queue, D.cfg.group, group_changed ? " (changed: access checked again)" : "",
		     D.cfg.client_timeout, D.cfg.textfile_dir[0] ? D.cfg.textfile_dir : "(none)");
		jobs_schedule();
	}
	sd_notify(0, "READY=1");
	D.status_text[0] = '\0';
	daemon_notify_status();
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mmtortured [OPTIONS]\n"
		"  --socket PATH        control socket (default %s; systemd may pass one)\n"
		"  --state-dir DIR      jobs, queue and results ($STATE_DIRECTORY, else /var/lib/mmtorture)\n"
		"  --config FILE        [daemon] max_parallel, max_queue, group, socket_group, textfile_dir,\n"
		"                       client_timeout; reloaded on SIGHUP.  A FILE named here must exist;\n"
		"                       without --config, /etc/mmtorture/mmtortured.conf if it exists\n"
		"  --max-parallel N     jobs run at once (default 1)\n"
		"  --max-queue N        jobs waiting at most (default 64)\n"
		"  --group NAME         members may submit and cancel (default mmtorture)\n"
		"  --socket-group NAME  group of the socket the daemon creates (default: --group)\n"
		"  --textfile-dir DIR   also write mmtorture.prom there for node_exporter\n"
		"  --client-timeout S   drop a client idle this long, no wait pending (default %d)\n"
		"The command line wins over the config file.\n",
		MT_DEFAULT_SOCKET, MT_DAEMON_CLIENT_TIMEOUT);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "max-parallel", required_argument, NULL, 'p' },
		{ "max-queue", required_argument, NULL, 'q' },
		{ "group", required_argument, NULL, 'g' },
		{ "socket-group", required_argument, NULL, 'G' },
		{ "textfile-dir", required_argument, NULL, 't' },
		{ "client-timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mt_errors cerr = { 0 };
	char err[512];
	sigset_t mask;
	struct timespec ts;
	const char *sd;
	uint64_t v;
	int c, rc;

	D.journal = stderr_is_journal();
	snprintf(D.config_path, sizeof(D.config_path), "/etc/mmtorture/mmtortured.conf");
	snprintf(D.socket_path, sizeof(D.socket_path), "%s", MT_DEFAULT_SOCKET);
	sd = getenv("STATE_DIRECTORY");
	snprintf(D.state_dir, sizeof(D.state_dir), "%s", sd && *sd ? sd : "/var/lib/mmtorture");
	if (strchr(D.state_dir, ':'))
		*strchr(D.state_dir, ':') = '\0';	/* systemd lists several with ':' */

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			snprintf(D.socket_path, sizeof(D.socket_path), "%s", optarg);
			break;
		case 'd':
			snprintf(D.state_dir, sizeof(D.state_dir), "%s", optarg);
			break;
		case 'c':
			snprintf(D.config_path, sizeof(D.config_path), "%s", optarg);
			D.config_explicit = true;	/* then it must exist */
			break;
		case 'p':
		case 'q':
			if (mt_parse_u64(optarg, &v) || v < 1 || v > 10000) {
				fprintf(stderr, "mmtortured: --%s '%s': an integer in 1..10000\n",
					c == 'p' ? "max-parallel" : "max-queue", optarg);
				return 1;
			}
			if (c == 'p')
				over.max_parallel = (unsigned int)v, over_parallel = true;
			else
				over.max_queue = (unsigned int)v, over_queue = true;
			break;
		case 'T':
			if (mt_parse_u64(optarg, &v) || v < 1 || v > 86400) {
				fprintf(stderr, "mmtortured: --client-timeout '%s': seconds in 1..86400\n",
					optarg);
				return 1;
			}
			over.client_timeout = (unsigned int)v, over_timeout = true;
			break;
		case 'g':
			snprintf(over.group, sizeof(over.group), "%s", optarg);
			break;
		case 'G':
			snprintf(over.socket_group, sizeof(over.socket_group), "%s", optarg);
			break;
		case 't':
			snprintf(over.textfile_dir, sizeof(over.textfile_dir), "%s", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mmtortured: unexpected argument '%s'\n", argv[optind]);
		return 1;
	}
	rc = config_build(&D.cfg, &cerr);
	if (rc < 0) {
		log_errors(LOG_ERR, "", &cerr);
		if (cerr.n > 1)
			dlog(LOG_ERR, "%d errors in %s: not started", cerr.n, D.config_path);
		return 1;
	}
	if (!rc)
		dlog(LOG_INFO, "no config file%s%s: the defaults and the command line",
		     *D.config_path ? " " : " (--config '')", D.config_path);
	resolve_group();
	check_textfile_dir();

	clock_gettime(CLOCK_REALTIME, &ts);
	D.started = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (mt_topology_load(&D.topo, err, sizeof(err))) {
		dlog(LOG_ERR, "%s", err);
		return 1;
	}
	if (mkdir(D.state_dir, 0755) && errno != EEXIST) {
		dlog(LOG_ERR, "cannot create the state directory %s: %s", D.state_dir, strerror(errno));
		return 1;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	D.signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (D.signal_fd < 0) {
		dlog(LOG_ERR, "signalfd: %s", strerror(errno));
		return 1;
	}
	if (jobs_init(err, sizeof(err)) || server_init(err, sizeof(err))) {
		dlog(LOG_ERR, "%s", err);
		return 1;
	}
	if (sd_watchdog_enabled(0, &D.watchdog_usec) <= 0)
		D.watchdog_usec = 0;
	dlog(LOG_INFO, "mmtortured %s (%s) ready on %s%s; state in %s; %s; max_parallel %u",
	     MT_VERSION, MT_GIT_REV, D.socket_path, D.socket_activated ? " (from systemd)" : "",
	     D.state_dir, D.topo.desc, D.cfg.max_parallel);
	jobs_schedule();
	sd_notify(0, "READY=1");
	daemon_notify_status();

	while (!D.stopping) {
		struct pollfd pfd[MT_DAEMON_MAX_CLIENTS + 2];
		int n = 0;
		uint64_t now;

		pfd[n++] = (struct pollfd){ .fd = D.signal_fd, .events = POLLIN };
		server_fds(pfd, &n, (int)ARRAY_SIZE(pfd));
		/* requests left from the last round: look at the fds, do not sleep */
		if (poll(pfd, (nfds_t)n, server_pending() ? 0 : 100) < 0 && errno != EINTR) {
			dlog(LOG_ERR, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(D.signal_fd, &si, sizeof(si)) == sizeof(si)) {
				switch (si.ssi_signo) {
				case SIGTERM:
				case SIGINT:
					dlog(LOG_INFO, "signal %d: stopping", (int)si.ssi_signo);
					D.stopping = true;
					break;
				case SIGHUP:
					reload();
					break;
				case SIGUSR2:
					jobs_write_dumps();	/* it says what it wrote */
					break;
				case SIGCHLD:
					jobs_reap();
					break;
				}
			}
		}
		server_handle(pfd + 1, n - 1);
		jobs_tick();
		now = mt_now_ns();
		if (D.watchdog_usec && now >= D.next_watchdog_ns) {
			sd_notify(0, "WATCHDOG=1");
			D.next_watchdog_ns = now + D.watchdog_usec * 1000 / 2;
		}
	}

	sd_notify(0, "STOPPING=1");
	jobs_shutdown();
	{
		/* give waiting clients their replies */
		uint64_t until = mt_now_ns() + 2000000000ull;

		while (server_ncfds() && mt_now_ns() < until) {
			struct pollfd pfd[MT_DAEMON_MAX_CLIENTS + 1];
			int n = 0;

			server_fds(pfd, &n, (int)ARRAY_SIZE(pfd));
			if (!n || poll(pfd, (nfds_t)n, 100) < 0)
				break;
			server_handle(pfd, n);
		}
	}
	server_close_all();
	if (!D.socket_activated)
		unlink(D.socket_path);
	dlog(LOG_INFO, "stopped; %u job(s) stay queued for the next start", D.nqueued);
	mt_topology_fini(&D.topo);
	return 0;
}
