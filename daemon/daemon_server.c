// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_server.c - the control socket of mmtortured: connections,
 * requests (PROTOCOL.md), and who may do what.
 *
 * Access: the socket is 0660; whoever can connect may read (list, status,
 * dump, bugs, version, wait).  Submitting and cancelling need the peer
 * (SO_PEERCRED, SO_PEERGROUPS) to be root, the daemon's own user, or a
 * member of the configured group.
 *
 * No client can hold the daemon up: every socket is non-blocking, input
 * is buffered up to MT_MAX_MESSAGE bytes per request (a longer one is
 * refused and the connection closed), a client idle in the middle of a
 * request is dropped after MT_DAEMON_IDLE_S, output waits in a buffer,
 * and at most MT_DAEMON_MAX_CLIENTS connections are served at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "core/bugs.h"
#include "daemon/daemon.h"

#define MAX_OUT (64u << 20)

struct conn {
	int fd;
	uid_t uid;
	bool privileged;
	char *in;
	size_t inlen, incap;
	char *out;
	size_t outlen, outoff;
	uint64_t last_ns;
	long long waiting_for;		/* a job id for `wait`, 0 if none */
	bool closing;			/* close once the output is flushed */
};

static struct conn conns[MT_DAEMON_MAX_CLIENTS];
static int nconns;

int server_ncfds(void)
{
	return nconns;
}

/* ---- the socket ---- */

static int make_socket(char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[256], *slash;
	struct stat st;
	int fd;

	if (strlen(D.socket_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", D.socket_path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", D.socket_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	/* a socket file left by a daemon that died: remove it if nobody answers */
	if (!lstat(D.socket_path, &st)) {
		int probe;

		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", D.socket_path);
			return -1;
		}
		probe = mt_proto_connect(D.socket_path);
		if (probe >= 0) {
			close(probe);
			snprintf(err, errlen, "%s: another daemon is listening there", D.socket_path);
			return -1;
		}
		unlink(D.socket_path);
	}
	strcpy(sa.sun_path, D.socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
		snprintf(err, errlen, "cannot listen on %s: %s", D.socket_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (chmod(D.socket_path, 0660))
		dlog(LOG_WARNING, "chmod 0660 %s: %s", D.socket_path, strerror(errno));
	if (D.cfg.socket_group[0]) {
		struct group *g = getgrnam(D.cfg.socket_group);

		if (!g)
			dlog(LOG_WARNING, "socket_group %s does not exist: %s stays in group %d",
			     D.cfg.socket_group, D.socket_path, (int)getegid());
		else if (chown(D.socket_path, (uid_t)-1, g->gr_gid))
			dlog(LOG_WARNING, "chown :%s %s: %s", D.cfg.socket_group, D.socket_path,
			     strerror(errno));
	}
	return fd;
}

int server_init(char *err, size_t errlen)
{
	int n = sd_listen_fds(1);

	if (n > 1) {
		snprintf(err, errlen, "systemd passed %d sockets; expected one", n);
		return -1;
	}
	if (n == 1) {
		if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0) {
			snprintf(err, errlen, "the socket systemd passed is not a listening Unix stream socket");
			return -1;
		}
		D.listen_fd = SD_LISTEN_FDS_START;
		D.socket_activated = true;
		/* systemd hands it over blocking: the accept loop must not block */
		if (fcntl(D.listen_fd, F_SETFL, fcntl(D.listen_fd, F_GETFL) | O_NONBLOCK) ||
		    fcntl(D.listen_fd, F_SETFD, FD_CLOEXEC)) {
			snprintf(err, errlen, "the socket systemd passed: %s", strerror(errno));
			return -1;
		}
		{
			struct sockaddr_un sa;
			socklen_t len = sizeof(sa);

			if (!getsockname(D.listen_fd, (struct sockaddr *)&sa, &len) &&
			    sa.sun_path[0])
				snprintf(D.socket_path, sizeof(D.socket_path), "%s", sa.sun_path);
		}
		return 0;
	}
	D.listen_fd = make_socket(err, errlen);
	return D.listen_fd < 0 ? -1 : 0;
}

void server_close_all(void)
{
	for (int i = 0; i < nconns; i++) {
		close(conns[i].fd);
		free(conns[i].in);
		free(conns[i].out);
	}
	nconns = 0;
	if (D.listen_fd >= 0)
		close(D.listen_fd);
	D.listen_fd = -1;
}

/* ---- output ---- */

static void conn_flush(struct conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->closing = true, c->outoff = c->outlen;	/* peer gone */
			return;
		}
		c->outoff += (size_t)w;
	}
	c->outoff = c->outlen = 0;
}

static void conn_send(struct conn *c, json_t *reply)
{
	char *s = json_dumps(reply, JSON_COMPACT);
	size_t n;

	json_decref(reply);
	if (!s) {
		c->closing = true;
		return;
	}
	n = strlen(s);
	if (c->outlen + n + 1 > MAX_OUT) {
		dlog(LOG_WARNING, "client uid %d does not read its replies: dropped", (int)c->uid);
		free(s);
		c->closing = true;
		c->outoff = c->outlen;
		return;
	}
	c->out = realloc(c->out, c->outlen + n + 1);
	memcpy(c->out + c->outlen, s, n);
	c->out[c->outlen + n] = '\n';
	c->outlen += n + 1;
	free(s);
	conn_flush(c);
}

static json_t *refusal(const char *code, const char *fmt, ...) __printf(2, 3);
static json_t *refusal(const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s, s:s}", "ok", 0, "code", code, "error", msg);
}

/* ---- requests ---- */

static bool peer_privileged(int fd, uid_t uid, gid_t gid)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (uid == 0 || uid == geteuid())
		return true;
	if (!D.group_known)
		return false;
	if (gid == D.group_gid)
		return true;
	if (!getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		for (size_t i = 0; i < len / sizeof(gid_t); i++)
			if (groups[i] == D.group_gid)
				return true;
	return false;
}

static json_t *bugs_json(void)
{
	json_t *a = json_array();
	char fires[128];

	for (int b = 0; b < MT_NBUGS; b++) {
		const struct mt_bug_desc *d = &mt_bug_table[b];

		mt_bug_fires_str(d, fires, sizeof(fires));
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", d->name,
						   "model", d->model, "seed", d->seed,
						   "description", d->desc, "fires", fires));
	}
	return a;
}

static bool want_id(const json_t *req, long long *id, json_t **reply)
{
	const json_t *v = json_object_get(req, "id");

	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		*reply = refusal("bad_request", "\"id\" must be a positive integer job id");
		return false;
	}
	*id = json_integer_value(v);
	return true;
}

static json_t *job_reply(struct djob *j)
{
	return json_pack("{s:b, s:o}", "ok", 1, "job", jobs_job_json(j));
}

static void handle_request(struct conn *c, const char *line, size_t len)
{
	json_error_t je;
	json_t *req = json_loadb(line, len, 0, &je), *reply = NULL;
	const char *cmd;
	const json_t *v;
	long long id;
	struct djob *j;

	if (!req) {
		conn_send(c, refusal("bad_json", "the request is not JSON: %s (column %d)", je.text,
				     je.column));
		return;
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	v = json_object_get(req, "v");
	if (!json_is_object(req) || !cmd) {
		reply = refusal("bad_request", "a request is a JSON object with a \"cmd\" string");
	} else if (v && (!json_is_integer(v) || json_integer_value(v) != MT_PROTO_VERSION)) {
		reply = refusal("bad_version", "this daemon speaks protocol version %d",
				MT_PROTO_VERSION);
	} else if (!strcmp(cmd, "version")) {
		reply = json_pack("{s:b, s:s, s:s, s:i}", "ok", 1, "version", MT_VERSION,
				  "revision", MT_GIT_REV, "protocol", MT_PROTO_VERSION);
	} else if (!strcmp(cmd, "bugs")) {
		reply = json_pack("{s:b, s:o}", "ok", 1, "bugs", bugs_json());
	} else if (!strcmp(cmd, "list")) {
		reply = json_pack("{s:b, s:o}", "ok", 1, "jobs", jobs_list_json());
	} else if (!strcmp(cmd, "status")) {
		if (!json_object_get(req, "id"))
			reply = json_pack("{s:b, s:o}", "ok", 1, "daemon", jobs_status_json());
		else if (want_id(req, &id, &reply))
			reply = (j = jobs_find(id)) ? job_reply(j) :
				refusal("not_found", "no job %lld", id);
	} else if (!strcmp(cmd, "dump")) {
		const char *fmt = json_string_value(json_object_get(req, "format"));

		if (!fmt || !strcmp(fmt, "prom")) {
			char *text = jobs_dump_prom();

			reply = text ? json_pack("{s:b, s:s, s:s}", "ok", 1, "format", "prom", "text", text) :
				refusal("internal", "out of memory");
			free(text);
		} else if (!strcmp(fmt, "json")) {
			reply = json_pack("{s:b, s:s, s:o}", "ok", 1, "format", "json", "metrics",
					  jobs_dump_json());
		} else {
			reply = refusal("bad_request", "dump format '%s': json or prom", fmt);
		}
	} else if (!strcmp(cmd, "wait")) {
		if (want_id(req, &id, &reply)) {
			if (!(j = jobs_find(id)))
				reply = refusal("not_found", "no job %lld", id);
			else if (j->state >= JOB_FINISHED)
				reply = job_reply(j);
			else
				c->waiting_for = id;	/* answered by server_job_finished() */
		}
	} else if (!strcmp(cmd, "submit") || !strcmp(cmd, "cancel")) {
		if (!c->privileged) {
			reply = refusal("permission_denied",
					"uid %d may only read: %s needs root or group %s",
					(int)c->uid, cmd, D.cfg.group);
		} else if (D.stopping) {
			reply = refusal("stopping", "the daemon is stopping");
		} else if (!strcmp(cmd, "cancel")) {
			if (want_id(req, &id, &reply)) {
				int rc;

				if (!(j = jobs_find(id)))
					reply = refusal("not_found", "no job %lld", id);
				else if ((rc = jobs_cancel(j)) == -EALREADY)
					reply = refusal("finished", "job %lld has already finished", id);
				else
					reply = json_pack("{s:b, s:s}", "ok", 1, "message",
							  j->state == JOB_CANCELLED ? "cancelled" :
							  "cancelling: partial results will be written");
			}
		} else {
			const char *text = json_string_value(json_object_get(req, "jobfile"));
			const char *fname = json_string_value(json_object_get(req, "filename"));
			const char *name = json_string_value(json_object_get(req, "name"));

			if (!text)
				reply = refusal("bad_request", "submit needs \"jobfile\": the job file's text");
			else if (name && (!*name || strlen(name) >= MT_JOB_NAME_LEN))
				reply = refusal("bad_request", "\"name\" must be 1 to %d characters",
						MT_JOB_NAME_LEN - 1);
			else {
				reply = json_object();
				jobs_submit(text, fname && *fname ? fname : "(submitted)", name,
					    c->uid, reply);
			}
		}
	} else {
		reply = refusal("unknown_command", "unknown command '%s' (submit, list, status, "
				"cancel, wait, dump, bugs, version)", cmd);
	}
	json_decref(req);
	if (reply)
		conn_send(c, reply);
}

void server_job_finished(struct djob *j)
{
	for (int i = 0; i < nconns; i++)
		if (conns[i].waiting_for == j->id) {
			conns[i].waiting_for = 0;
			conn_send(&conns[i], job_reply(j));
		}
}

/* ---- connections ---- */

static void conn_close(int i)
{
	close(conns[i].fd);
	free(conns[i].in);
	free(conns[i].out);
	conns[i] = conns[--nconns];
}

static void accept_one(void)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct conn *c;
	int fd = accept4(D.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		close(fd);
		return;
	}
	if (nconns >= MT_DAEMON_MAX_CLIENTS) {
		static const char busy[] = "{\"ok\":false,\"code\":\"busy\",\"error\":\"too many clients: try again\"}\n";

		(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	c = &conns[nconns++];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->uid = cred.uid;
	c->privileged = peer_privileged(fd, cred.uid, cred.gid);
	c->last_ns = mt_now_ns();
}

/* Read what is there; handle complete lines.  Return: false to close. */
static bool conn_read(struct conn *c)
{
	for (;;) {
		char *nl;
		ssize_t r;

		if (c->incap - c->inlen < 4096) {
			size_t cap = c->incap ? c->incap * 2 : 8192;

			if (cap > MT_MAX_MESSAGE + 8192)
				cap = MT_MAX_MESSAGE + 8192;
			if (cap <= c->incap) {
				conn_send(c, refusal("too_large",
						     "a request is one line of at most %d bytes",
						     MT_MAX_MESSAGE));
				c->closing = true;
				return true;
			}
			c->in = realloc(c->in, cap);
			c->incap = cap;
		}
		r = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, MSG_DONTWAIT);
		if (r < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
		if (r == 0) {
			/* the peer is gone: flush what it asked for, if it can still read */
			if (c->outoff < c->outlen) {
				c->closing = true;
				return true;
			}
			return false;
		}
		c->inlen += (size_t)r;
		c->last_ns = mt_now_ns();
		while (!c->waiting_for && (nl = memchr(c->in, '\n', c->inlen))) {
			size_t n = (size_t)(nl - c->in);

			if (n > MT_MAX_MESSAGE) {
				conn_send(c, refusal("too_large", "a request is one line of at most %d bytes",
						     MT_MAX_MESSAGE));
				c->closing = true;
				return true;
			}
			if (n)
				handle_request(c, c->in, n);
			memmove(c->in, nl + 1, c->inlen - n - 1);
			c->inlen -= n + 1;
		}
		if (c->inlen > MT_MAX_MESSAGE) {
			conn_send(c, refusal("too_large", "a request is one line of at most %d bytes",
					     MT_MAX_MESSAGE));
			c->closing = true;
			return true;
		}
		if (c->waiting_for)
			return true;
	}
}

void server_fds(struct pollfd *pfd, int *n, int max)
{
	if (D.listen_fd >= 0 && *n < max)
		pfd[(*n)++] = (struct pollfd){ .fd = D.listen_fd, .events = POLLIN };
	for (int i = 0; i < nconns && *n < max; i++) {
		short ev = 0;

		if (!conns[i].closing)
			ev |= POLLIN;	/* while waiting too: to notice the peer leave */
		if (conns[i].outoff < conns[i].outlen)
			ev |= POLLOUT;
		pfd[(*n)++] = (struct pollfd){ .fd = conns[i].fd, .events = ev };
	}
}

void server_handle(struct pollfd *pfd, int n)
{
	uint64_t now = mt_now_ns();

	for (int k = 0; k < n; k++) {
		int i;

		if (!pfd[k].revents)
			continue;
		if (pfd[k].fd == D.listen_fd) {
			for (int a = 0; a < 16; a++)
				accept_one();
			continue;
		}
		for (i = 0; i < nconns && conns[i].fd != pfd[k].fd; i++)
			;
		if (i == nconns)
			continue;
		if (pfd[k].revents & POLLOUT)
			conn_flush(&conns[i]);
		if ((pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) && !conns[i].closing &&
		    !conn_read(&conns[i]))
			conns[i].closing = true, conns[i].outoff = conns[i].outlen;
	}
	for (int i = nconns - 1; i >= 0; i--) {
		struct conn *c = &conns[i];

		if (c->inlen && !c->waiting_for && now - c->last_ns > MT_DAEMON_IDLE_S * 1000000000ull) {
			dlog(LOG_NOTICE, "client uid %d sent half a request and went quiet: dropped",
			     (int)c->uid);
			c->closing = true;
			c->outoff = c->outlen;
		}
		if (c->closing && c->outoff >= c->outlen)
			conn_close(i);
	}
}
