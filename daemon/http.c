// SPDX-License-Identifier: GPL-2.0-only
/*
 * http.c - the /metrics endpoint; see http.h.
 *
 * libmicrohttpd in its external epoll mode: the daemon's poll() watches
 * one fd (MHD's epoll fd) and calls MHD_run(), which never blocks, each
 * round; so every request is answered on the daemon's thread, which owns
 * the jobs list, and the text is made fresh for each scrape by
 * metrics_prom() (finished jobs, carried totals, live snapshots of the
 * running jobs), followed by the process_* families of client libraries.
 *
 * It is a network endpoint, so it is bounded: GET or HEAD of /metrics
 * only (405 for another method, 404 for another path), at most
 * MAX_CONNS connections (MAX_PER_IP from one address), each closed after
 * CONN_TIMEOUT_S without traffic, a request's headers in at most
 * CONN_MEMORY bytes.  A client that trickles its request can hold a
 * connection for as long as it keeps sending, but not more than
 * MAX_PER_IP of them, and never the control socket or the jobs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>

#include "daemon/config.h"
#include "daemon/http.h"
#include "daemon/log.h"
#include "daemon/metrics.h"

#define MAX_CONNS	16
#define MAX_PER_IP	8
#define CONN_TIMEOUT_S	10
#define CONN_MEMORY	(32 * 1024)

static struct MHD_Daemon *mhd;
static char serving[sizeof(dcfg.metrics_listen)];	/* as configured */
static char bound[96];					/* as bound */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	dlog(LOG_WARNING, "metrics endpoint: %s", msg);
}

/* The process_* families, as Prometheus' client libraries name them. */
static void process_families(FILE *f)
{
	unsigned long long utime = 0, stime = 0, vsize = 0;
	long long rss = 0;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	char buf[1024], *p;
	int nfds = 0;
	FILE *st = fopen("/proc/self/stat", "re");
	DIR *d;

	if (st) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, st);

		buf[n] = '\0';
		fclose(st);
		/* after the command's ")": state is field 3; utime 14, stime 15, vsize 23, rss 24 */
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
				 "%*d %*d %*d %*d %*d %*d %*u %llu %lld", &utime, &stime, &vsize,
				 &rss) != 4)
			utime = stime = vsize = 0, rss = 0;
	}
	if ((d = opendir("/proc/self/fd"))) {
		for (struct dirent *e; (e = readdir(d));)
			nfds += e->d_name[0] != '.';
		nfds--;		/* the directory's own */
		closedir(d);
	}
	fprintf(f, "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
		   "# TYPE process_cpu_seconds_total counter\n"
		   "process_cpu_seconds_total %.2f\n", tck > 0 ? (double)(utime + stime) / (double)tck : 0);
	fprintf(f, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
		   "# TYPE process_resident_memory_bytes gauge\n"
		   "process_resident_memory_bytes %lld\n", rss * (page > 0 ? page : 4096));
	fprintf(f, "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
		   "# TYPE process_virtual_memory_bytes gauge\n"
		   "process_virtual_memory_bytes %llu\n", vsize);
	fprintf(f, "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
		   "# TYPE process_start_time_seconds gauge\n"
		   "process_start_time_seconds %.3f\n", metrics_started());
	fprintf(f, "# HELP process_open_fds Number of open file descriptors.\n"
		   "# TYPE process_open_fds gauge\n"
		   "process_open_fds %d\n", nfds > 0 ? nfds : 0);
	if (!getrlimit(RLIMIT_NOFILE, &rl))
		fprintf(f, "# HELP process_max_fds Maximum number of open file descriptors.\n"
			   "# TYPE process_max_fds gauge\n"
			   "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
}

/* The scrape: metrics_prom() and the process families, one buffer. */
static char *render(size_t *len)
{
	char *prom = metrics_prom(), *buf = NULL;
	FILE *f;

	*len = 0;
	if (!prom)
		return NULL;
	f = open_memstream(&buf, len);
	if (!f) {
		free(prom);
		return NULL;
	}
	fputs(prom, f);
	process_families(f);
	free(prom);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req)
{
	struct MHD_Response *r;
	enum MHD_Result rc;
	char *body;
	size_t len;

	(void)cls;
	(void)version;
	(void)upload;
	(void)req;
	*upload_size = 0;	/* a body, if any, is not read */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n");
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n");
	body = render(&len);
	if (!body)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

/* "127.0.0.1:9863" or "[::1]:9863" of the listening socket. */
static void describe_bound(void)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_LISTEN_FD);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[INET6_ADDRSTRLEN] = "?";

	snprintf(bound, sizeof(bound), "%s", serving);
	if (!info || getsockname(info->listen_fd, (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(bound, sizeof(bound), "[%s]:%u", a, ntohs(s6->sin6_port));
	} else if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(bound, sizeof(bound), "%s:%u", a, ntohs(s4->sin_port));
	}
}

/* Loopback only is the advice: say so when another address is served. */
static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	return ss->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

int http_start(const char *listen, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	if (mhd && !strcmp(listen, serving))
		return 0;
	http_stop();
	if (!*listen)
		return 0;
	if (config_parse_listen(listen, &ss, &sl, err, errlen))
		return -1;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
			       MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,	/* first: MHD wants it so */
			       MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			       MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNS,
			       MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)MAX_PER_IP,
			       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_TIMEOUT_S,
			       MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
			       MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)MAX_CONNS,
			       MHD_OPTION_END);
	if (!mhd) {
		snprintf(err, errlen, "metrics_listen %s: cannot serve HTTP there%s%s", listen,
			 errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	snprintf(serving, sizeof(serving), "%s", listen);
	describe_bound();
	dlog(LOG_INFO, "metrics endpoint: http://%s/metrics%s", bound, is_loopback(&ss) ? "" :
	     " (not a loopback address: anyone who can reach it may read the metrics)");
	return 0;
}

void http_stop(void)
{
	if (!mhd)
		return;
	MHD_stop_daemon(mhd);
	mhd = NULL;
	serving[0] = bound[0] = '\0';
}

int http_fd(void)
{
	const union MHD_DaemonInfo *info;

	if (!mhd)
		return -1;
	info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_EPOLL_FD);
	return info ? info->epoll_fd : -1;
}

int http_timeout_ms(void)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (!mhd || MHD_get_timeout(mhd, &ms) != MHD_YES)
		return -1;
	return ms > 100000 ? 100000 : (int)ms;
}

void http_run(void)
{
	if (mhd)
		MHD_run(mhd);
}

void http_forget(void)
{
	const union MHD_DaemonInfo *info;

	if (!mhd)
		return;
	/* MHD_stop_daemon() would shut the parent's connections down: close our copies only */
	info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_LISTEN_FD);
	if (info)
		close(info->listen_fd);
	info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info)
		close(info->epoll_fd);
	mhd = NULL;
}

const char *http_bound(void)
{
	return bound;
}
