/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * proto.h - the control protocol of mmtortured, version 1
 * (docs/PROTOCOL.md), shared by the daemon and the client.
 *
 * A Unix stream socket.  A request is one JSON object on one line; the
 * reply is one JSON object on one line.  A connection may carry several
 * requests, one after the other.  Every reply has "ok": true or false;
 * a refusal has "error" (a sentence) and "code" (a word for scripts).
 */
#ifndef MT_PROTO_H
#define MT_PROTO_H

#include <stddef.h>
#include <jansson.h>

#include "lib/engine/values.h"	/* mt_utf8_valid_prefix() */

#define MT_PROTO_VERSION	1
#define MT_DEFAULT_SOCKET	"/run/mmtorture/control.sock"
#define MT_MAX_MESSAGE		(1024 * 1024)	/* a request line, bytes */
#define MT_MAX_REPLY		(256u << 20)	/* a reply line, bytes (a dump of many jobs) */

/* A connected socket, or -1 with errno. */
int mt_proto_connect(const char *path);
/* Send @msg as one line.  Return: 0 or -errno. */
int mt_proto_send(int fd, const json_t *msg);
/*
 * Read one line of at most @max bytes and parse it.
 * Return: the object, or NULL with *err saying why.
 */
json_t *mt_proto_recv(int fd, size_t max, char *err, size_t errlen);

#endif /* MT_PROTO_H */
