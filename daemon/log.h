/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * log.h - the daemon's log: stderr, with the journal's <N> priority
 * prefixes when stderr is the journal (JOURNAL_STREAM).
 */
#ifndef MT_DAEMON_LOG_H
#define MT_DAEMON_LOG_H

#include <syslog.h>

#include "core/compiler.h"

/* Context: the daemon's thread, or a supervisor before it runs the job. */
void dlog(int prio, const char *fmt, ...) __printf(2, 3);
/* Look once whether stderr is the journal. */
void dlog_init(void);

#endif /* MT_DAEMON_LOG_H */
