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
	snprintf(buf, sizeof(buf), "%u running%s%s%s, %u queued, %u finished", D.nrunning,
		 *running ? " (" : "", running, *running ? ")" : "", D.nqueued, D.nfinished);
	if (strcmp(buf, D.status_text)) {
		snprintf(D.status_text, sizeof(D.status_text), "%s", buf);
		sd_notifyf(0, "STATUS=%s", buf);
	}
}

/* ---- config ---- */

struct cfg_parse {
	struct dconfig *cfg;
	char *err;
	size_t errlen;
	const char *path;
	int bad;
};

static int cfg_handler(void *user, const char *section, const char *name, const char *value)
{
	struct cfg_parse *p = user;
	uint64_t v;

	if (strcmp(section, "daemon")) {
		if (!p->bad++)
			snprintf(p->err, p->errlen, "%s: section [%s]: only [daemon] is known", p->path,
				 section);
		return 1;
	}
	if (!strcmp(name, "max_parallel") || !strcmp(name, "max_queue")) {
		if (mt_parse_u64(value, &v) || v < 1 || v > 10000) {
			if (!p->bad++)
				snprintf(p->err, p->errlen, "%s: %s: '%s' is not an integer in 1..10000",
					 p->path, name, value);
			return 1;
		}
		*(name[4] == 'p' ? &p->cfg->max_parallel : &p->cfg->max_queue) = (unsigned int)v;
	} else if (!strcmp(name, "client_timeout")) {
		if (mt_parse_u64(value, &v) || v < 1 || v > 86400) {
			if (!p->bad++)
				snprintf(p->err, p->errlen, "%s: %s: '%s' is not a number of seconds in "
					 "1..86400", p->path, name, value);
			return 1;
		}
		p->cfg->client_timeout = (unsigned int)v;
	} else if (!strcmp(name, "group")) {
		snprintf(p->cfg->group, sizeof(p->cfg->group), "%s", value);
	} else if (!strcmp(name, "socket_group")) {
		snprintf(p->cfg->socket_group, sizeof(p->cfg->socket_group), "%s", value);
	} else if (!strcmp(name, "textfile_dir")) {
		snprintf(p->cfg->textfile_dir, sizeof(p->cfg->textfile_dir), "%s", value);
	} else if (!p->bad++) {
		snprintf(p->err, p->errlen, "%s: unknown key '%s' (max_parallel, max_queue, group, "
			 "socket_group, textfile_dir, client_timeout)", p->path, name);
	}
	return 1;
}

int daemon_load_config(struct dconfig *cfg, const char *path, char *err, size_t errlen)
{
	struct cfg_parse p = { cfg, err, errlen, path, 0 };
	int rc;

	if (!path || !*path)
		return 0;
	rc = ini_parse(path, cfg_handler, &p);
	if (rc == -1) {
		if (errno == ENOENT)
			return 0;	/* no config file: the defaults */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (rc > 0 && !p.bad) {
		snprintf(err, errlen, "%s:%d: syntax error", path, rc);
		return -1;
	}
	return p.bad ? -1 : 0;
}

/* The configuration: the defaults, then the config file, then the command line. */
static int config_build(struct dconfig *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_parallel = 1;
	cfg->max_queue = 64;
	cfg->client_timeout = MT_DAEMON_CLIENT_TIMEOUT;
	snprintf(cfg->group, sizeof(cfg->group), "mmtorture");
	if (daemon_load_config(cfg, D.config_path, err, errlen))
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
	return 0;
}

static void resolve_group(void)
{
	struct group *g = getgrnam(D.cfg.group);

	D.group_known = g != NULL;
	D.group_gid = g ? g->gr_gid : (gid_t)-1;
	if (!g)
		dlog(LOG_WARNING, "group %s does not exist: only root and uid %d may submit",
		     D.cfg.group, (int)geteuid());
}

void daemon_textfile_warn(const char *what, int err)
{
	dlog(LOG_WARNING, "textfile_dir: %s: %s: node_exporter will not see mmtorture.prom%s%s%s",
	     what, strerror(err), err == EROFS ?
	     " (under the shipped unit, ProtectSystem=strict keeps it read-only: add "
	     "ReadWritePaths=" : "", err == EROFS ? D.cfg.textfile_dir : "",
	     err == EROFS ? " in a drop-in, see README)" : "");
}

/* Can the textfile collector's file be written?  Say so now, not at the first dump. */
static void check_textfile_dir(void)
{
	if (D.cfg.textfile_dir[0] && access(D.cfg.textfile_dir, W_OK | X_OK))
		daemon_textfile_warn(D.cfg.textfile_dir, errno);
}

static void reload(void)
{
	struct dconfig n;
	char err[512];
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
	if (config_build(&n, err, sizeof(err))) {
		dlog(LOG_ERR, "reload: %s: keeping the running configuration", err);
	} else {
		bool group_changed = strcmp(n.group, D.cfg.group) != 0;
		bool sgroup_changed = strcmp(n.socket_group, D.cfg.socket_group) != 0;

		D.cfg = n;
		resolve_group();
		/* peers connected before keep their connection, with the new rule */
		server_access_changed();
		if (sgroup_changed)
			server_socket_group();
		check_textfile_dir();
		dlog(LOG_INFO, "reloaded %s: max_parallel=%u max_queue=%u group=%s%s "
		     "client_timeout=%us textfile_dir=%s", D.config_path, D.cfg.max_parallel,
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
		"  --config FILE        [daemon] max_parallel, max_queue, group, socket_group, textfile_dir\n"
		"                       (default /etc/mmtorture/mmtortured.conf; reloaded on SIGHUP)\n"
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
	char err[512];
	sigset_t mask;
	struct timespec ts;
	const char *sd;
	uint64_t v;
	int c;

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
	if (config_build(&D.cfg, err, sizeof(err))) {
		dlog(LOG_ERR, "%s", err);
		return 1;
	}
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
					if (!jobs_write_dumps())
						dlog(LOG_INFO, "metrics written to %s/metrics.prom and metrics.json%s%s",
						     D.state_dir, D.cfg.textfile_dir[0] ? " and " : "",
						     D.cfg.textfile_dir);
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
