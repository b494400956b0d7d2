/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * http.h - the daemon's Prometheus endpoint: GET /metrics over HTTP, at
 * metrics_listen (off when empty), served by libmicrohttpd from the
 * daemon's own event loop: one epoll fd to poll, no thread.
 *
 * Context: the daemon's thread.
 */
#ifndef MT_DAEMON_HTTP_H
#define MT_DAEMON_HTTP_H

#include <stddef.h>

/*
 * http_start - serve /metrics at @listen ("" : stop serving)
 *
 * An endpoint already serving the same address is kept; another is
 * stopped first.
 * Return: 0, or -1 with why in @err (nothing serves then).
 */
int http_start(const char *listen, char *err, size_t errlen);
void http_stop(void);
/* The fd to poll for input, or -1 when off. */
int http_fd(void);
/* The longest the loop may sleep before http_run(), in ms; -1: no bound. */
int http_timeout_ms(void);
/* Accept, read, answer, time out: whatever is ready; never blocks. */
void http_run(void);
/* In a job's supervisor, just forked: close the listening and epoll fds, serve nothing. */
void http_forget(void);
/* "127.0.0.1:9863" as bound (the port chosen when 0 was asked), or "" when off. */
const char *http_bound(void);

#endif /* MT_DAEMON_HTTP_H */
