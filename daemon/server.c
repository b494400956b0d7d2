// SPDX-License-Identifier: GPL-2.0-only
/*
 * server.c - the control socket of mmtortured: connections, their input
 * and output, and who may do what; the requests themselves are
 * requests.c's.
 *
 * Access: the socket is 0660; whoever can connect may read (list, status,
 * dump, bugs, version, wait).  Submitting and cancelling need the peer
 * (SO_PEERCRED, SO_PEERGROUPS) to be root, the daemon's own user, or a
 * member of the configured group.
 *
 * Connections: at most MAX_CLIENTS; peers that may only read hold at most
 * MAX_READERS of them; no uid but root's and the daemon's holds more than
 * MAX_PER_UID; and the last ROOT_RESERVE are kept for root and the
 * daemon's own user, so that no one else can lock them out.
 *
 * No client can hold the daemon up.  Every socket is non-blocking.  A
 * connection is served in turns: each poll round handles at most
 * REQS_PER_ROUND of its requests, and stops handling requests once it has
 * used ROUND_BUDGET_NS (what is left waits for the next round, which then
 * polls without sleeping).  A peer is not read from, and its requests are
 * not handled, while it has a reply it has not read yet (backpressure) or
 * a `wait` pending: what it sends meanwhile stays in the socket.  Input is
 * taken at most 64 KiB at a time into one buffer per connection (offsets,
 * no copy per request) of at most one request line, MT_MAX_MESSAGE bytes:
 * a longer line is refused and the connection closed.  Replies not yet
 * read by their clients take at most MAX_OUT_TOTAL bytes in all; a request
 * whose reply does not fit is refused as busy.
 *
 * Time: a client has client_timeout seconds to send a request whole, from
 * its first byte, and as long to read a reply whole, from when it was
 * queued; a connection with nothing under way (no part of a request, no
 * reply, no `wait` pending) is dropped after client_timeout too.  A byte
 * now and then buys nothing: only a request completed or a reply read
 * whole starts the clock again.
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

#include "daemon/config.h"
#include "daemon/jobs.h"
#include "daemon/log.h"
#include "daemon/requests.h"
#include "daemon/server.h"
#include "lib/proto/proto.h"

#define MAX_CLIENTS	MT_DAEMON_MAX_CLIENTS
#define MAX_READERS	(MAX_CLIENTS / 2)	/* peers that may only read */
#define MAX_PER_UID	8		/* connections of one uid, but root's and ours */
#define ROOT_RESERVE	4		/* the last connections: root's and ours only */
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
	bool owner;			/* root or the daemon's own user */
	char *in;			/* [inoff, inlen): received, not handled yet */
	size_t inoff, inlen, incap;
	size_t scan;			/* no newline in [inoff, scan) */
	char *out;			/* [outoff, outlen): replies not sent yet */
	size_t outoff, outlen;
	uint64_t last_ns;		/* the last request completed or reply read whole */
	uint64_t req_ns;		/* the first byte of the request under way, 0 if none */
	uint64_t reply_ns;		/* when the reply not read yet was queued, 0 if none */
	long long waiting_for;		/* a job id for `wait`, 0 if none */
	bool eof;			/* the peer sends nothing more */
	bool closing;			/* close once the output is flushed */
};

static struct conn conns[MAX_CLIENTS];
static int nconns, next_turn;
static int listen_fd = -1;
static bool socket_activated;
static size_t out_total;		/* bytes of replies not sent yet, all clients */

static gid_t group_gid;
static bool group_known;

int server_nconns(void)
{
	return nconns;
}

bool server_socket_activated(void)
{
	return socket_activated;
}

/* ---- the socket ---- */

static int make_socket(char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[256], *slash;
	struct stat st;
	int fd;

	if (strlen(dcfg.socket_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", dcfg.socket_path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", dcfg.socket_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	/* a socket file left by a daemon that died: remove it if nobody answers */
	if (!lstat(dcfg.socket_path, &st)) {
		int probe;

		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", dcfg.socket_path);
			return -1;
		}
		probe = mt_proto_connect(dcfg.socket_path);
		if (probe >= 0) {
			close(probe);
			snprintf(err, errlen, "%s: another daemon is listening there", dcfg.socket_path);
			return -1;
		}
		unlink(dcfg.socket_path);
	}
	strcpy(sa.sun_path, dcfg.socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		snprintf(err, errlen, "cannot listen on %s: %s", dcfg.socket_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* mode and group first: a user of the group never meets the socket half set up */
	if (chmod(dcfg.socket_path, 0660))
		dlog(LOG_WARNING, "chmod 0660 %s: %s", dcfg.socket_path, strerror(errno));
	listen_fd = fd;
	server_socket_group();
	if (listen(fd, 64)) {
		snprintf(err, errlen, "cannot listen on %s: %s", dcfg.socket_path, strerror(errno));
		close(fd);
		listen_fd = -1;
		unlink(dcfg.socket_path);
		return -1;
	}
	return fd;
}

void server_socket_group(void)
{
	struct group *g;

	if (socket_activated || listen_fd < 0 || !dcfg.socket_group[0])
		return;		/* systemd's socket unit says who owns it */
	g = getgrnam(dcfg.socket_group);
	if (!g)
		dlog(LOG_WARNING, "socket_group %s does not exist: %s stays in group %d",
		     dcfg.socket_group, dcfg.socket_path, (int)getegid());
	else if (chown(dcfg.socket_path, (uid_t)-1, g->gr_gid))
		dlog(LOG_WARNING, "chown :%s %s: %s", dcfg.socket_group, dcfg.socket_path,
		     strerror(errno));
}

static void job_ended(struct djob *j);

int server_init(char *err, size_t errlen)
{
	int n = sd_listen_fds(1);

	jobs_on_end(job_ended);
	group_known = config_group_gid(&group_gid);
	if (n > 1) {
		snprintf(err, errlen, "systemd passed %d sockets; expected one", n);
		return -1;
	}
	if (n == 1) {
		if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0) {
			snprintf(err, errlen, "the socket systemd passed is not a listening Unix stream socket");
			return -1;
		}
		listen_fd = SD_LISTEN_FDS_START;
		socket_activated = true;
		/* systemd hands it over blocking: the accept loop must not block */
		if (fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK) ||
		    fcntl(listen_fd, F_SETFD, FD_CLOEXEC)) {
			snprintf(err, errlen, "the socket systemd passed: %s", strerror(errno));
			return -1;
		}
		{
			struct sockaddr_un sa;
			socklen_t len = sizeof(sa);

			if (!getsockname(listen_fd, (struct sockaddr *)&sa, &len) &&
			    sa.sun_path[0])
				snprintf(dcfg.socket_path, sizeof(dcfg.socket_path), "%s", sa.sun_path);
		}
		return 0;
	}
	listen_fd = make_socket(err, errlen);
	return listen_fd < 0 ? -1 : 0;
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
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
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
	}
	free(c->out);
	c->out = NULL;
	c->outoff = c->outlen = 0;
	c->reply_ns = 0;		/* read whole: the clock starts again */
	c->last_ns = mt_now_ns();
}

/* json_dumps() of a reply made here, taken. */
static char *dump_taken(json_t *reply)
{
	char *s = json_dumps(reply, JSON_COMPACT);

	json_decref(reply);
	return s;
}

/* Queue @reply (taken) as one line, and send what the socket takes now. */
static void conn_send(struct conn *c, json_t *reply)
{
	char *s, *nb;
	size_t n;

	if (!reply)	/* a reply that could not be made: say so rather than nothing */
		reply = requests_refusal("internal", "the reply could not be made (out of memory)");
	s = dump_taken(reply);
	n = s ? strlen(s) : 0;
	if (s && n + 1 > MT_MAX_REPLY) {
		free(s);
		s = dump_taken(requests_refusal("too_large", "the reply would be %zu MiB, more than "
						"the %u MiB a client reads", n >> 20, MT_MAX_REPLY >> 20));
	} else if (s && out_total + n + 1 > MAX_OUT_TOTAL) {
		free(s);
		dlog(LOG_WARNING, "clients have %zu MiB of replies not read yet: a reply of %zu KiB "
		     "to uid %d refused as busy", out_total >> 20, n >> 10, (int)c->uid);
		s = dump_taken(requests_refusal("busy", "the daemon holds too many replies that "
						"clients have not read yet: try again later"));
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
	if (!c->reply_ns)
		c->reply_ns = mt_now_ns();
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
	if (!group_known)
		return false;
	if (gid == group_gid)
		return true;
	/* the peer's supplementary groups, as they were when it connected */
	rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	if (rc && errno == ERANGE) {
		groups = malloc(len);	/* len: what it takes */
		rc = groups ? getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) : -1;
	}
	for (size_t i = 0; !rc && i < len / sizeof(gid_t); i++)
		member |= groups[i] == group_gid;
	if (groups != some)
		free(groups);
	return member;
}

/* Answer the request line @line of @c; a `wait` not answered yet stays pending. */
static void handle_request(struct conn *c, const char *line, size_t len)
{
	struct req_ctx ctx = { .uid = c->uid, .privileged = c->privileged, .nclients = nconns,
			       .socket_activated = socket_activated };
	json_t *reply = requests_handle(&ctx, line, len);

	if (reply)
		conn_send(c, reply);
	else
		c->waiting_for = ctx.waiting_for;
}

/* A job ended: answer whoever waits for it. */
static void job_ended(struct djob *j)
{
	for (int i = 0; i < nconns; i++)
		if (conns[i].waiting_for == j->id) {
			conns[i].waiting_for = 0;	/* requests after it: next rounds */
			conns[i].last_ns = mt_now_ns();
			conn_send(&conns[i], requests_job_reply(j));
		}
}

void server_stopping(void)
{
	if (listen_fd >= 0)
		close(listen_fd);	/* new clients are refused at once */
	listen_fd = -1;
	for (int i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];

		if (c->waiting_for) {
			struct djob *j = jobs_find(c->waiting_for);

			conn_send(c, requests_refusal("stopping", "the daemon is stopping: job %lld is %s and "
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
	group_known = config_group_gid(&group_gid);
	for (int i = 0; i < nconns; i++)
		conns[i].privileged = peer_privileged(conns[i].fd, conns[i].uid, conns[i].gid);
}

/* ---- connections ---- */

static void conn_close(int i)
{
	conn_free(&conns[i]);
	conns[i] = conns[--nconns];
}

/*
 * Why a connection from @uid cannot be taken now (the busy refusal's
 * text), or NULL when it can.
 */
static const char *no_room(uid_t uid, bool priv, bool owner, char *why, size_t len)
{
	int readers = 0, same = 0;

	for (int i = 0; i < nconns; i++) {
		readers += !conns[i].privileged;
		same += conns[i].uid == uid;
	}
	if (nconns >= MAX_CLIENTS)
		snprintf(why, len, "too many clients (%d): try again later", nconns);
	else if (!owner && nconns >= MAX_CLIENTS - ROOT_RESERVE)
		snprintf(why, len, "too many clients (%d; the last %d connections are kept for root): "
			 "try again later", nconns, ROOT_RESERVE);
	else if (!priv && readers >= MAX_READERS)
		snprintf(why, len, "too many read-only clients (%d; the other %d connections are kept "
			 "for those who may submit): try again later", readers, MAX_CLIENTS - readers);
	else if (!owner && same >= MAX_PER_UID)
		snprintf(why, len, "uid %d has %d connections open, the most one user may: close one",
			 (int)uid, same);
	else
		return NULL;
	return why;
}

/* Accept one connection.  Return: false when there is none to accept. */
static bool accept_one(void)
{
	static uint64_t last_busy_log;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct conn *c;
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	char why[192];
	bool priv, owner;

	if (fd < 0)
		return errno == EINTR || errno == ECONNABORTED;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		close(fd);
		return true;
	}
	priv = peer_privileged(fd, cred.uid, cred.gid);
	owner = cred.uid == 0 || cred.uid == geteuid();
	if (no_room(cred.uid, priv, owner, why, sizeof(why))) {
		char *busy = dump_taken(requests_refusal("busy", "%s", why));
		uint64_t now = mt_now_ns();

		if (busy) {
			size_t n = strlen(busy);

			busy[n] = '\n';	/* json_dumps left room: its NUL */
			(void)!send(fd, busy, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			free(busy);
		}
		close(fd);
		if (now - last_busy_log > 10000000000ull) {
			dlog(LOG_WARNING, "refused a client (uid %d): %s", (int)cred.uid, why);
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
	c->owner = owner;
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
	if (!c->req_ns)
		c->req_ns = mt_now_ns();	/* a request is under way: its clock starts */
}

/* Handle up to REQS_PER_ROUND buffered requests, in order, until @end. */
static void conn_process(struct conn *c, uint64_t end)
{
	for (int k = 0; k < REQS_PER_ROUND && conn_may_handle(c) && mt_now_ns() <= end; k++) {
		char *nl = conn_line(c), *line;
		size_t n = (nl ? (size_t)(nl - c->in) : c->inlen) - c->inoff;

		if (n > MT_MAX_MESSAGE) {
			conn_send(c, requests_refusal("too_large", "a request is one line of at most %d bytes",
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
		/* what follows it is the next request, under way from now */
		c->req_ns = c->inoff < c->inlen ? c->last_ns : 0;
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
	if (listen_fd >= 0 && !jobs_stopping() && *n < max)
		pfd[(*n)++] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
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

/* Is @c over its time (see the top of the file)?  Return: what it did not do, or NULL. */
static const char *overdue(const struct conn *c, uint64_t now, uint64_t timeout)
{
	if (c->waiting_for)
		return NULL;
	if (out_pending(c))
		return c->reply_ns && now - c->reply_ns > timeout ? "did not read its reply for" : NULL;
	if (c->inoff < c->inlen)
		return c->req_ns && now - c->req_ns > timeout ? "did not send its request whole in" : NULL;
	return now > c->last_ns && now - c->last_ns > timeout ? "sent nothing for" : NULL;
}

void server_handle(struct pollfd *pfd, int n)
{
	uint64_t now = mt_now_ns(), end = now + ROUND_BUDGET_NS;
	uint64_t timeout = (uint64_t)dcfg.client_timeout * 1000000000ull;
	int i, k;

	for (k = 0; k < n; k++) {
		struct conn *c;

		if (!pfd[k].revents)
			continue;
		if (pfd[k].fd == listen_fd) {
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
		conn_process(&conns[i], end);
		if (mt_now_ns() > end)
			break;
	}
	if (nconns)
		next_turn = (next_turn + k + 1) % nconns;

	now = mt_now_ns();
	for (i = nconns - 1; i >= 0; i--) {
		struct conn *c = &conns[i];
		const char *what = overdue(c, now, timeout);

		if (what) {
			if (!c->closing || out_pending(c))
				dlog(LOG_NOTICE, "client uid %d %s %us: dropped", (int)c->uid, what,
				     dcfg.client_timeout);
			conn_drop(c);
		}
		if (c->closing && !out_pending(c))
			conn_close(i);
	}
}
