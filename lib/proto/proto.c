// SPDX-License-Identifier: GPL-2.0-only
/*
 * proto.c - framing for the control protocol: one JSON object per line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/engine/fileio.h"
#include "lib/proto/proto.h"

int mt_proto_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int mt_proto_send(int fd, const json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	size_t len;
	int rc;

	if (!s)
		return -ENOMEM;
	len = strlen(s);
	s[len++] = '\n';	/* json_dumps leaves room: it wrote a NUL there */
	rc = mt_write_full(fd, s, len);
	free(s);
	return rc;
}

json_t *mt_proto_recv(int fd, size_t max, char *err, size_t errlen)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	json_error_t je;
	json_t *j;

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (;;) {
		ssize_t r, take;
		char *nl;

		if (len + 65536 + 1 > cap) {
			char *nb;

			if (len > max) {
				snprintf(err, errlen, "message longer than %zu bytes", max);
				free(buf);
				return NULL;
			}
			cap = cap * 2 < max + 65536 + 1 ? cap * 2 : max + 65536 + 1;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				snprintf(err, errlen, "out of memory");
				return NULL;
			}
			buf = nb;
		}
		/* peek, then take exactly up to the newline: never read past the line */
		r = recv(fd, buf + len, 65536, MSG_PEEK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r)
				snprintf(err, errlen, "receive: %s", strerror(errno));
			else
				snprintf(err, errlen, "the connection closed");
			free(buf);
			return NULL;
		}
		nl = memchr(buf + len, '\n', (size_t)r);
		take = nl ? nl - (buf + len) + 1 : r;
		r = recv(fd, buf + len, (size_t)take, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "receive: %s", r ? strerror(errno) : "closed");
			free(buf);
			return NULL;
		}
		len += (size_t)r;
		if (nl && r == take) {
			len--;	/* drop the newline */
			break;
		}
	}
	if (len > max) {
		snprintf(err, errlen, "message longer than %zu bytes", max);
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	j = json_loadb(buf, len, 0, &je);
	free(buf);
	if (!j)
		snprintf(err, errlen, "not JSON: %s", je.text);
	else if (!json_is_object(j)) {
		snprintf(err, errlen, "not a JSON object");
		json_decref(j);
		j = NULL;
	}
	return j;
}
