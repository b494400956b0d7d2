// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_server.c - the control socket of mmtortured: connections,
 * requests (PROTOCOL.md), and who may do what.
 *
 * Access: the socket is 0660; whoever can connect may read (list, status,
 * dump, bugs, version, wait).  Submitting and cancelling need the peer
 * (SO_PEERCRED, SO_PEERGROUPS) to be root, the daemon's own user, or a
 * member of the configured group.  Read-only peers may hold at most half
 * of the MT_DAEMON_MAX_CLIENTS connections: the rest stay free for those
 * who may submit.
 *
 * No client can hold the daemon up.  Every socket is non-blocking.  A
 * connection is served in turns: each poll round handles at most
 * REQS_PER_ROUND of its requests, and the round stops handling requests
 * once it has used ROUND_BUDGET_NS (what is left waits for the next round,
 * which then polls without sleeping).  A peer is not read from, and its
 * requests are not handled, while it has a reply it has not read yet
 * (backpressure) or a `wait` pending: what it sends meanwhile stays in the
 * socket.  Input is taken at most 64 KiB at a time into one buffer per
 * connection (offsets, no copy per request) of at most one request line,
 * MT_MAX_MESSAGE bytes: a longer line is refused and the connection
 * closed.  Replies not yet read by their clients take at most
 * MAX_OUT_TOTAL bytes in all; a request whose reply does not fit is
 * refused as busy.  A connection that makes no progress (no byte in or
 * out, no request handled) for client_timeout seconds, and has no `wait`
 * pending, is dropped.
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

#define REQS_PER_ROUND	4		/* requests of one connection per poll round */
#define ROUND_BUDGET_NS	50000000ull	/* then the round stops handling requests */
#define READ_CHUNK	65536		/* bytes taken from a peer at a time */
#define IN_MAX		(MT_MAX_MESSAGE + 1)	/* a request line and its newline */
#define MAX_OUT_TOTAL	MT_MAX_REPLY	/* replies not yet read, over all clients */

struct conn {
	int fd;
	uid_t uid;
	gid_t gid;
	bool privileged;
	char *in;			/* [inoff, inlen): received, not handled yet */
	size_t inoff, inlen, incap;
	size_t scan;			/* no newline in [inoff, scan) */
	char *out;			/* [outoff, outlen): replies not sent yet */
	size_t outoff, outlen;
	uint64_t last_ns;		/* the last progress: bytes in or out, a request */
	long long waiting_for;		/* a job id for `wait`, 0 if none */
	bool eof;			/* the peer sends nothing more */
	bool closing;			/* close once the output is flushed */
};

static struct conn conns[MT_DAEMON_MAX_CLIENTS];
static int nconns, next_turn;
static size_t out_total;		/* bytes of replies not sent yet, all clients */

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
	D.listen_fd = fd;
	server_socket_group();
	return fd;
}

void server_socket_group(void)
{
	struct group *g;

	if (D.socket_activated || D.listen_fd < 0 || !D.cfg.socket_group[0])
		return;		/* systemd's socket unit says who owns it */
	g = getgrnam(D.cfg.socket_group);
	if (!g)
		dlog(LOG_WARNING, "socket_group %s does not exist: %s stays in group %d",
		     D.cfg.socket_group, D.socket_path, (int)getegid());
	else if (chown(D.socket_path, (uid_t)-1, g->gr_gid))
		dlog(LOG_WARNING, "chown :%s %s: %s", D.cfg.socket_group, D.socket_path,
		     strerror(errno));
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

static void conn_free(struct conn *c)
{
	out_total -= c->outlen - c->outoff;
	close(c->fd);
	free(c->in);
	free(c->out);
}

void server_close_all(void)
{
	for (int i = 0; i < nconns; i++)
		conn_free(&conns[i]);
	nconns = 0;
	if (D.listen_fd >= 0)
		close(D.listen_fd);
	D.listen_fd = -1;
}

/* ---- output ---- */

static bool out_pending(const struct conn *c)
{
	return c->outoff < c->outlen;
}

/* Give up on a connection: nothing more is read, handled or sent. */
static void conn_drop(struct conn *c)
{
	out_total -= c->outlen - c->outoff;
	c->outoff = c->outlen = 0;
	c->inoff = c->inlen = c->scan = 0;
	c->waiting_for = 0;
	c->closing = true;
}

static void conn_flush(struct conn *c)
{
	while (out_pending(c)) {
		ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_drop(c);	/* the peer is gone */
			return;
		}
		c->outoff += (size_t)w;
		out_total -= (size_t)w;
		c->last_ns = mt_now_ns();
	}
	free(c->out);
	c->out = NULL;
	c->outoff = c->outlen = 0;
}

static json_t *refusal(const char *code, const char *fmt, ...) __printf(2, 3);
static json_t *refusal(const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msg[mt_utf8_valid_prefix(msg, strlen(msg))] = '\0';	/* cut on a whole character */
	return json_pack("{s:b, s:s, s:s}", "ok", 0, "code", code, "error", msg);
}

/* Queue @reply (taken) as one line, and send what the socket takes now. */
static void conn_send(struct conn *c, json_t *reply)
{
	char *s, *nb;
	size_t n;

	if (!reply)	/* a reply that could not be made: say so rather than nothing */
		reply = refusal("internal", "the reply could not be made (out of memory)");
	s = json_dumps(reply, JSON_COMPACT);
	n = s ? strlen(s) : 0;
	json_decref(reply);
	if (s && n + 1 > MT_MAX_REPLY) {
		free(s);
		s = json_dumps(refusal("too_large", "the reply would be %zu MiB, more than the %u MiB "
				       "a client reads", n >> 20, MT_MAX_REPLY >> 20), JSON_COMPACT);
	} else if (s && out_total + n + 1 > MAX_OUT_TOTAL) {
		free(s);
		dlog(LOG_WARNING, "clients have %zu MiB of replies not read yet: a reply of %zu KiB "
		     "to uid %d refused as busy", out_total >> 20, n >> 10, (int)c->uid);
		s = json_dumps(refusal("busy", "the daemon holds too many replies that clients have "
				       "not read yet: try again later"), JSON_COMPACT);
	}
	n = s ? strlen(s) : 0;
	nb = s ? realloc(c->out, c->outlen + n + 1) : NULL;
	if (!nb) {
		dlog(LOG_ERR, "out of memory for a reply to uid %d: connection dropped", (int)c->uid);
		free(s);
		conn_drop(c);
		return;
	}
	c->out = nb;
	memcpy(c->out + c->outlen, s, n);
	c->out[c->outlen + n] = '\n';
	c->outlen += n + 1;
	out_total += n + 1;
	free(s);
	conn_flush(c);
}

/* ---- requests ---- */

static bool peer_privileged(int fd, uid_t uid, gid_t gid)
{
	gid_t some[64], *groups = some;
	socklen_t len = sizeof(some);
	bool member = false;
	int rc;

	if (uid == 0 || uid == geteuid())
		return true;
	if (!D.group_known)
		return false;
	if (gid == D.group_gid)
		return true;
	/* the peer's supplementary groups, as they were when it connected */
	rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	if (rc && errno == ERANGE) {
		groups = malloc(len);	/* len: what it takes */
		rc = groups ? getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) : -1;
	}
	for (size_t i = 0; !rc && i < len / sizeof(gid_t); i++)
		member |= groups[i] == D.group_gid;
	if (groups != some)
		free(groups);
	return member;
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

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static json_t *job_reply(struct djob *j)
{
	return json_pack("{s:b, s:o}", "ok", 1, "job", jobs_job_json(j));
}

static json_t *cancel_reply(long long id)
{
	struct djob *j = jobs_find(id);
	bool again;

	if (!j)
		return refusal("not_found", "no job %lld", id);
	again = j->cancel_requested;
	if (jobs_cancel(j) != -EALREADY)
		return json_pack("{s:b, s:s}", "ok", 1, "message",
				 j->state == JOB_CANCELLED ? "cancelled before it ran" :
				 again ? "already being cancelled: partial results will be written" :
				 "cancelling: partial results will be written");
	if (j->state == JOB_CANCELLED)
		return refusal("cancelled", "job %lld was already cancelled %s", id,
			       j->res ? "while it ran" : "before it ran");
	return refusal("finished", "job %lld has already finished", id);
}

static void handle_request(struct conn *c, const char *line, size_t len)
{
	json_error_t je;
	const char *nul = memchr(line, '\0', len);
	json_t *req = nul ? NULL : json_loadb(line, len, 0, &je), *reply = NULL;
	const char *cmd;
	const json_t *v;
	long long id;
	struct djob *j;

	if (nul) {
		conn_send(c, refusal("bad_json", "a request may not contain NUL bytes (one at byte %zu)",
				     (size_t)(nul - line) + 1));
		return;
	}
	if (!req && json_error_code(&je) == json_error_null_character) {
		conn_send(c, refusal("bad_json", "a request may not contain NUL characters (\\u0000, "
				     "column %d)", je.column));
		return;
	}
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
			if (want_id(req, &id, &reply))
				reply = cancel_reply(id);
		} else {
			const char *text = json_string_value(json_object_get(req, "jobfile"));
			const char *fname = json_string_value(json_object_get(req, "filename"));
			char fn[128];
			const char *name = json_string_value(json_object_get(req, "name"));

			if (!text)
				reply = refusal("bad_request", "submit needs \"jobfile\": the job file's text");
			else if (json_object_get(req, "name") && !name)
				reply = refusal("bad_request", "\"name\" must be a string");
			else if (name && (!*name || strlen(name) >= MT_JOB_NAME_LEN))
				reply = refusal("bad_request", "\"name\" must be 1 to %d bytes",
						MT_JOB_NAME_LEN - 1);
			else if (name && has_control(name))
				reply = refusal("bad_request", "\"name\" has a control character");
			else {
				/* it names the file in messages and logs: one line, whole characters */
				dstrcpy(fn, sizeof(fn), fname && *fname ? fname : "(submitted)");
				reply = json_object();
				jobs_submit(text, fn, name, c->uid, reply);
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
			conns[i].waiting_for = 0;	/* requests after it: next rounds */
			conns[i].last_ns = mt_now_ns();
			conn_send(&conns[i], job_reply(j));
		}
}

void server_stopping(void)
{
	if (D.listen_fd >= 0)
		close(D.listen_fd);	/* new clients are refused at once */
	D.listen_fd = -1;
	for (int i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];

		if (c->waiting_for) {
			struct djob *j = jobs_find(c->waiting_for);

			conn_send(c, refusal("stopping", "the daemon is stopping: job %lld is %s and "
					     "resumes when the daemon starts again", c->waiting_for,
					     j && j->state == JOB_QUEUED ? "queued" : "not finished"));
			c->waiting_for = 0;
		}
		c->inoff = c->inlen = c->scan = 0;
		c->closing = true;
	}
}

void server_access_changed(void)
{
	for (int i = 0; i < nconns; i++)
		conns[i].privileged = peer_privileged(conns[i].fd, conns[i].uid, conns[i].gid);
}

/* ---- connections ---- */

static void conn_close(int i)
{
	conn_free(&conns[i]);
	conns[i] = conns[--nconns];
}

/* Accept one connection.  Return: false when there is none to accept. */
static bool accept_one(void)
{
	static uint64_t last_busy_log;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct conn *c;
	int fd = accept4(D.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int readers = 0;
	bool priv;

	if (fd < 0)
		return errno == EINTR || errno == ECONNABORTED;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		close(fd);
		return true;
	}
	priv = peer_privileged(fd, cred.uid, cred.gid);
	for (int i = 0; i < nconns; i++)
		readers += !conns[i].privileged;
	if (nconns >= MT_DAEMON_MAX_CLIENTS || (!priv && readers >= MT_DAEMON_MAX_CLIENTS / 2)) {
		char busy[256];
		int n = nconns >= MT_DAEMON_MAX_CLIENTS ?
			snprintf(busy, sizeof(busy), "{\"ok\":false,\"code\":\"busy\",\"error\":"
				 "\"too many clients (%d): try again later\"}\n", nconns) :
			snprintf(busy, sizeof(busy), "{\"ok\":false,\"code\":\"busy\",\"error\":"
				 "\"too many read-only clients (%d; the other %d connections are kept "
				 "for those who may submit): try again later\"}\n", readers,
				 MT_DAEMON_MAX_CLIENTS - readers);
		uint64_t now = mt_now_ns();

		(void)!send(fd, busy, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		if (now - last_busy_log > 10000000000ull) {
			dlog(LOG_WARNING, "refused a client (uid %d): %d connections open, %d read-only",
			     (int)cred.uid, nconns, readers);
			last_busy_log = now;
		}
		return true;
	}
	c = &conns[nconns++];
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->privileged = priv;
	c->last_ns = mt_now_ns();
	return true;
}

/* The end of the next whole request line, or NULL. */
static char *conn_line(struct conn *c)
{
	char *nl;

	if (c->scan < c->inoff)
		c->scan = c->inoff;
	if (c->scan >= c->inlen)
		return NULL;
	nl = memchr(c->in + c->scan, '\n', c->inlen - c->scan);
	if (!nl)
		c->scan = c->inlen;
	return nl;
}

static bool conn_may_handle(const struct conn *c)
{
	return !c->closing && !c->waiting_for && !out_pending(c);
}

/* Is there a request to handle without reading anything more? */
static bool conn_ready(struct conn *c)
{
	return conn_may_handle(c) && c->inoff < c->inlen && (c->eof || conn_line(c));
}

/* Take in up to READ_CHUNK bytes.  Called when no whole request is buffered. */
static void conn_read(struct conn *c)
{
	size_t room;
	ssize_t r;

	if (c->inoff) {
		/* what is left is part of one request: move it to the front, once per read */
		memmove(c->in, c->in + c->inoff, c->inlen - c->inoff);
		c->inlen -= c->inoff;
		c->scan -= c->inoff;
		c->inoff = 0;
	}
	if (c->incap - c->inlen < READ_CHUNK && c->incap < IN_MAX) {
		size_t cap = c->inlen + READ_CHUNK < IN_MAX ? c->inlen + READ_CHUNK : IN_MAX;
		char *nb = realloc(c->in, cap);

		if (!nb) {
			conn_drop(c);
			return;
		}
		c->in = nb;
		c->incap = cap;
	}
	room = c->incap - c->inlen < READ_CHUNK ? c->incap - c->inlen : READ_CHUNK;
	if (!room)
		return;		/* a full line without its end: conn_process() refuses it */
	r = recv(c->fd, c->in + c->inlen, room, MSG_DONTWAIT);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_drop(c);
		return;
	}
	if (r == 0) {
		c->eof = true;
		return;
	}
	c->inlen += (size_t)r;
	c->last_ns = mt_now_ns();
}

/* Handle up to REQS_PER_ROUND buffered requests, in order. */
static void conn_process(struct conn *c)
{
	for (int k = 0; k < REQS_PER_ROUND && conn_may_handle(c); k++) {
		char *nl = conn_line(c), *line;
		size_t n = (nl ? (size_t)(nl - c->in) : c->inlen) - c->inoff;

		if (n > MT_MAX_MESSAGE) {
			conn_send(c, refusal("too_large", "a request is one line of at most %d bytes",
					     MT_MAX_MESSAGE));
			c->inoff = c->inlen = c->scan = 0;
			c->closing = true;
			return;
		}
		if (!nl && !(c->eof && n))
			break;		/* the rest of the line is still to come */
		/* at the end of input, a last line without its newline is a request too */
		line = c->in + c->inoff;
		c->inoff += n + (nl != NULL);
		c->last_ns = mt_now_ns();
		if (n)
			handle_request(c, line, n);
	}
	if (c->inoff == c->inlen && c->incap > READ_CHUNK) {
		free(c->in);		/* a large request is done: give its buffer back */
		c->in = NULL;
		c->inoff = c->inlen = c->incap = c->scan = 0;
	}
	if (c->eof && c->inoff == c->inlen && !c->waiting_for)
		c->closing = true;	/* everything asked is answered (or being sent) */
}

bool server_pending(void)
{
	for (int i = 0; i < nconns; i++)
		if (conn_ready(&conns[i]))
			return true;
	return false;
}

void server_fds(struct pollfd *pfd, int *n, int max)
{
	if (D.listen_fd >= 0 && !D.stopping && *n < max)
		pfd[(*n)++] = (struct pollfd){ .fd = D.listen_fd, .events = POLLIN };
	for (int i = 0; i < nconns && *n < max; i++) {
		struct conn *c = &conns[i];
		short ev = 0;

		/*
		 * Nothing is read while a reply waits to be read, a `wait` is
		 * pending, or a whole request is buffered: POLLHUP still says
		 * that the peer left.
		 */
		if (out_pending(c))
			ev = POLLOUT;
		else if (conn_may_handle(c) && !c->eof && !conn_line(c))
			ev = POLLIN;
		pfd[(*n)++] = (struct pollfd){ .fd = c->fd, .events = ev };
	}
}

static const char *idle_what(const struct conn *c)
{
	if (out_pending(c))
		return "did not read its reply";
	if (c->inoff < c->inlen)
		return "sent part of a request and went quiet";
	return "sent nothing";
}

void server_handle(struct pollfd *pfd, int n)
{
	uint64_t now = mt_now_ns(), end = now + ROUND_BUDGET_NS;
	uint64_t timeout = (uint64_t)D.cfg.client_timeout * 1000000000ull;
	int i, k;

	for (k = 0; k < n; k++) {
		struct conn *c;

		if (!pfd[k].revents)
			continue;
		if (pfd[k].fd == D.listen_fd) {
			for (int a = 0; a < 16 && accept_one(); a++)
				;
			continue;
		}
		for (i = 0; i < nconns && conns[i].fd != pfd[k].fd; i++)
			;
		if (i == nconns)
			continue;
		c = &conns[i];
		if (out_pending(c) && (pfd[k].revents & (POLLOUT | POLLHUP | POLLERR)))
			conn_flush(c);
		if (pfd[k].events & POLLIN)
			conn_read(c);	/* data, or the end of it */
		else if (c->waiting_for && (pfd[k].revents & (POLLHUP | POLLERR)))
			conn_drop(c);	/* it left: nobody to tell */
	}

	/* requests: a few per connection, in turns, within the round's budget */
	for (k = 0; k < nconns; k++) {
		i = (next_turn + k) % nconns;
		conn_process(&conns[i]);
		if (mt_now_ns() > end)
			break;
	}
	if (nconns)
		next_turn = (next_turn + k + 1) % nconns;

	now = mt_now_ns();
	for (i = nconns - 1; i >= 0; i--) {
		struct conn *c = &conns[i];

		if (!c->waiting_for && now > c->last_ns && now - c->last_ns > timeout) {
			if (!c->closing || out_pending(c))
				dlog(LOG_NOTICE, "client uid %d %s for %us: dropped", (int)c->uid,
				     idle_what(c), D.cfg.client_timeout);
			conn_drop(c);
		}
		if (c->closing && !out_pending(c))
			conn_close(i);
	}
}
