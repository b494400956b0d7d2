// SPDX-License-Identifier: GPL-2.0-only
/*
 * log.c - the daemon's log; see log.h.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "daemon/log.h"

static bool journal;		/* stderr is the journal: <N> prefixes */

void dlog_init(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	/* systemd sets JOURNAL_STREAM=dev:ino for the stream it connected */
	journal = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && !fstat(2, &st) &&
		  (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void dlog(int prio, const char *fmt, ...)
{
	static const char *const names[] = { "emerg", "alert", "crit", "error", "warning",
					      "notice", "info", "debug" };
	va_list ap;

	if (journal)
		fprintf(stderr, "<%d>", prio);
	else
		fprintf(stderr, "mmtortured: %s: ", names[prio & 7]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}
