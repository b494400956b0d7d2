// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmtortured.c - the mmtorture daemon: accepts job files on a Unix
 * socket, queues them, runs each in a child process through the engine's
 * runner, and serves status and metrics.
 *
 * One thread.  Every fd is non-blocking and polled; signals arrive
 * through a signalfd.  The files, from the bottom up:
 *
 *   log.c       the log (stderr, the journal's priorities)
 *   config.c    the configuration: one option table, file and command line
 *   djob.c      one job, and its JSON view
 *   store.c     the state directory: queue, records, next_id
 *   carry.c     the counters of jobs let go from memory
 *   jobs.c      the jobs' lifecycle: submit, run (a supervisor each), end
 *   metrics.c   Prometheus text and JSON dumps, their files
 *   http.c      GET /metrics over HTTP (libmicrohttpd, polled here)
 *   requests.c  the protocol's requests, one table
 *   server.c    the socket, its connections, who may do what
 *   mmtortured.c  main: signals, the event loop, systemd
 *
 * Each calls only those below it; what must go up (a job ended: answer
 * its waiters, rewrite the textfile) goes through jobs_on_end() hooks.
 *
 * Signals: SIGTERM/SIGINT stop gracefully (running jobs cancelled with
 * partial results written, the queue kept for the next start); SIGHUP
 * reloads the config file (the metrics endpoint moves if its address
 * changed); SIGUSR2 writes metrics dumps.
 *
 * systemd: socket activation (sd_listen_fds), Type=notify (READY=1,
 * STATUS=, RELOADING=1, STOPPING=1), the watchdog (WATCHDOG=1 at half of
 * WATCHDOG_USEC).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "daemon/config.h"
#include "daemon/http.h"
#include "daemon/jobs.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/requests.h"
#include "daemon/server.h"
#include "lib/engine/placement.h"

static int signal_fd = -1;
static struct mt_topology topo;
static char status_text[256];
static bool stop;

static void notify_status(void)
{
	struct jobs_counts c;
	const char *running = jobs_running_name();
	char buf[256];

	jobs_count(&c);
	snprintf(buf, sizeof(buf), "%u running%s%s%s, %u queued, %u finished, %u cancelled",
		 c.running, *running ? " (" : "", running, *running ? ")" : "", c.queued,
		 c.finished, c.cancelled);
	if (strcmp(buf, status_text)) {
		snprintf(status_text, sizeof(status_text), "%s", buf);
		sd_notifyf(0, "STATUS=%s", buf);
	}
}

/* Log every error of @e, after @prefix. */
static void log_errors(const char *prefix, const struct mt_errors *e)
{
	int shown = e->n < (int)ARRAY_SIZE(e->msg) ? e->n : (int)ARRAY_SIZE(e->msg);

	for (int i = 0; i < shown; i++)
		dlog(LOG_ERR, "%s%s", prefix, e->msg[i]);
	if (e->n > shown)
		dlog(LOG_ERR, "%s... and %d more", prefix, e->n - shown);
}

static void reload(void)
{
	struct mt_errors err = { 0 };
	struct dconfig n;
	struct timespec ts;
	char what[320];
	bool group_changed, sgroup_changed;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
	rc = config_build(&n, &err);
	if (rc < 0 && err.n == 1) {
		dlog(LOG_ERR, "reload: %s: keeping the running configuration", err.msg[0]);
	} else if (rc < 0) {
		log_errors("reload: ", &err);
		dlog(LOG_ERR, "reload: %d errors in %s: keeping the running configuration", err.n,
		     dcfg.config_path);
	} else {
		char herr[320];
		char was[sizeof(dcfg.metrics_listen)];

		group_changed = strcmp(n.group, dcfg.group) != 0;
		sgroup_changed = strcmp(n.socket_group, dcfg.socket_group) != 0;
		snprintf(n.socket_path, sizeof(n.socket_path), "%s", dcfg.socket_path);	/* as bound */
		snprintf(was, sizeof(was), "%s", http_bound()[0] ? dcfg.metrics_listen : "");
		dcfg = n;
		/* peers connected before keep their connection, with the new rule */
		server_access_changed();
		if (sgroup_changed)
			server_socket_group();
		config_check_textfile();
		if (http_start(dcfg.metrics_listen, herr, sizeof(herr))) {
			dlog(LOG_ERR, "reload: %s: %s", herr, *was ? "serving the old address again" :
			     "no metrics endpoint");
			snprintf(dcfg.metrics_listen, sizeof(dcfg.metrics_listen), "%s", was);
			if (*was && http_start(was, herr, sizeof(herr))) {
				dlog(LOG_ERR, "reload: %s", herr);
				dcfg.metrics_listen[0] = '\0';
			}
		}
		if (rc)
			snprintf(what, sizeof(what), "%s", dcfg.config_path);
		else
			snprintf(what, sizeof(what), "the defaults and the command line (no config "
				 "file%s%s)", *dcfg.config_path ? " " : "", dcfg.config_path);
		dlog(LOG_INFO, "reloaded %s: max_parallel=%u max_queue=%u group=%s%s "
		     "client_timeout=%us textfile_dir=%s metrics_listen=%s", what, dcfg.max_parallel,
		     dcfg.max_queue, dcfg.group, group_changed ? " (changed: access checked again)" : "",
		     dcfg.client_timeout, dcfg.textfile_dir[0] ? dcfg.textfile_dir : "(none)",
		     http_bound()[0] ? http_bound() : "(none)");
		jobs_schedule();
	}
	sd_notify(0, "READY=1");
	status_text[0] = '\0';
}

/* What a job's supervisor must not keep: the daemon's sockets and signalfd. */
static void close_daemon_fds(void)
{
	server_close_all();
	http_forget();
	close(signal_fd);
}

static void on_signal(const struct signalfd_siginfo *si)
{
	struct req_ctx ctx = { .nclients = server_nconns(),
			       .socket_activated = server_socket_activated() };

	switch (si->ssi_signo) {
	case SIGTERM:
	case SIGINT:
		dlog(LOG_INFO, "signal %d: stopping", (int)si->ssi_signo);
		stop = true;
		break;
	case SIGHUP:
		reload();
		break;
	case SIGUSR2:
		metrics_write_dumps(requests_status(&ctx));	/* it says what it wrote */
		break;
	case SIGCHLD:
		jobs_reap();
		break;
	}
}

static int setup_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (signal_fd < 0)
		dlog(LOG_ERR, "signalfd: %s", strerror(errno));
	return signal_fd < 0 ? -1 : 0;
}

static void event_loop(void)
{
	uint64_t watchdog_usec = 0, next_watchdog = 0;

	if (sd_watchdog_enabled(0, &watchdog_usec) <= 0)
		watchdog_usec = 0;
	while (!stop) {
		struct pollfd pfd[MT_DAEMON_MAX_CLIENTS + 3];
		struct signalfd_siginfo si;
		int n = 0, timeout = 100, ht = http_timeout_ms();
		uint64_t now;

		pfd[n++] = (struct pollfd){ .fd = signal_fd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = http_fd(), .events = POLLIN };	/* -1: ignored */
		server_fds(pfd, &n, (int)ARRAY_SIZE(pfd));
		/* requests left from the last round: look at the fds, do not sleep */
		if (server_pending())
			timeout = 0;
		else if (ht >= 0 && ht < timeout)
			timeout = ht;
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			dlog(LOG_ERR, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents & POLLIN)
			while (read(signal_fd, &si, sizeof(si)) == sizeof(si))
				on_signal(&si);
		http_run();	/* never blocks; also times out idle connections */
		server_handle(pfd + 2, n - 2);
		jobs_tick();
		metrics_tick();
		notify_status();
		now = mt_now_ns();
		if (watchdog_usec && now >= next_watchdog) {
			sd_notify(0, "WATCHDOG=1");
			next_watchdog = now + watchdog_usec * 1000 / 2;
		}
	}
}

/* Stop: the running jobs cancelled and waited for, then the clients told. */
static void shut_down(void)
{
	uint64_t until;
	struct jobs_counts c;

	sd_notify(0, "STOPPING=1");
	jobs_shutdown();
	/* whoever waits for a job that will not finish now hears why */
	server_stopping();
	for (until = mt_now_ns() + 2000000000ull; server_nconns() && mt_now_ns() < until;) {
		struct pollfd pfd[MT_DAEMON_MAX_CLIENTS + 1];
		int n = 0;

		server_fds(pfd, &n, (int)ARRAY_SIZE(pfd));
		if (!n || poll(pfd, (nfds_t)n, 100) < 0)
			break;
		server_handle(pfd, n);
	}
	server_close_all();
	http_stop();
	if (!server_socket_activated())
		unlink(dcfg.socket_path);
	jobs_count(&c);
	dlog(LOG_INFO, "stopped; %u job(s) stay queued for the next start", c.queued);
}

int main(int argc, char **argv)
{
	struct mt_errors cerr = { 0 };
	struct timespec ts;
	char err[512];
	double started;
	int rc;

	dlog_init();
	rc = config_init(argc, argv);
	if (rc)
		return rc > 0 ? 0 : 1;
	rc = config_build(&dcfg, &cerr);
	if (rc < 0) {
		log_errors("", &cerr);
		if (cerr.n > 1)
			dlog(LOG_ERR, "%d errors in %s: not started", cerr.n, dcfg.config_path);
		return 1;
	}
	if (!rc)
		dlog(LOG_INFO, "no config file%s%s: the defaults and the command line",
		     *dcfg.config_path ? " " : " (--config '')", dcfg.config_path);
	config_check_textfile();
	clock_gettime(CLOCK_REALTIME, &ts);
	started = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (mt_topology_load(&topo, err, sizeof(err))) {
		dlog(LOG_ERR, "%s", err);
		return 1;
	}
	if (mkdir(dcfg.state_dir, 0755) && errno != EEXIST) {
		dlog(LOG_ERR, "cannot create the state directory %s: %s", dcfg.state_dir, strerror(errno));
		return 1;
	}
	requests_init(started, topo.desc);
	metrics_init(started);
	if (http_start(dcfg.metrics_listen, err, sizeof(err))) {
		dlog(LOG_ERR, "%s: not started", err);
		return 1;
	}
	jobs_on_end(metrics_job_ended);
	jobs_set_close_fds(close_daemon_fds);
	if (setup_signals() || jobs_init(&topo, err, sizeof(err)) || server_init(err, sizeof(err))) {
		if (signal_fd >= 0)
			dlog(LOG_ERR, "%s", err);
		return 1;
	}
	dlog(LOG_INFO, "mmtortured %s (%s) ready on %s%s; state in %s; %s; max_parallel %u",
	     MT_VERSION, MT_GIT_REV, dcfg.socket_path,
	     server_socket_activated() ? " (from systemd)" : "", dcfg.state_dir, topo.desc,
	     dcfg.max_parallel);
	jobs_schedule();
	sd_notify(0, "READY=1");
	notify_status();
	event_loop();
	shut_down();
	mt_topology_fini(&topo);
	return 0;
}
