/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * server.h - the control socket of mmtortured: its connections, polled
 * by the daemon's event loop, and who may do what.
 *
 * Context: the daemon's thread.
 */
#ifndef MT_DAEMON_SERVER_H
#define MT_DAEMON_SERVER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#define MT_DAEMON_MAX_CLIENTS	64	/* connections */

/* The socket systemd passed, or one of our own.  Return: 0, or -1 with @err. */
int server_init(char *err, size_t errlen);
/* The fds to poll (at most @max), after the @n already in @pfd. */
void server_fds(struct pollfd *pfd, int *n, int max);
/* What poll() said of them: read, answer, write, drop. */
void server_handle(struct pollfd *pfd, int n);
/* Requests are buffered: poll without sleeping. */
bool server_pending(void);
/* Refuse the waiters, stop accepting, close each connection once flushed. */
void server_stopping(void);
/* The group changed: who may submit, again, for every connection. */
void server_access_changed(void);
/* Give the socket we created to socket_group. */
void server_socket_group(void);
void server_close_all(void);
int server_nconns(void);
bool server_socket_activated(void);

#endif /* MT_DAEMON_SERVER_H */
