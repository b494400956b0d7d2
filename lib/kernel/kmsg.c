// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmsg.c - reading and classifying /dev/kmsg; see kmsg.h for the record
 * format, the facility rule and the message formats.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/counters.h"
#include "kernel/kmsg.h"

int km_open(struct km_reader *k, const char *path, bool count_user, char *err, size_t errlen)
{
	const char *p = path ? path : "/dev/kmsg";

	memset(k, 0, sizeof(*k));
	k->count_user = count_user;
	k->fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot open %s for reading: %s", p, strerror(e));
		return -e;
	}
	/* the job's start: what was logged before is not the job's */
	if (lseek(k->fd, 0, SEEK_END) < 0 && path == NULL) {
		int e = errno;

		snprintf(err, errlen, "cannot seek to the end of %s: %s", p, strerror(e));
		close(k->fd);
		k->fd = -1;
		return -e;
	}
	return 0;
}

void km_close(struct km_reader *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

int km_parse(const char *buf, size_t len, struct km_record *rec)
{
	unsigned long long pri, seq, ts;
	const char *semi = memchr(buf, ';', len), *end;
	size_t n;

	memset(rec, 0, sizeof(*rec));
	if (!semi || sscanf(buf, "%llu,%llu,%llu", &pri, &seq, &ts) != 3)
		return -EINVAL;
	rec->facility = (unsigned int)(pri >> 3);
	rec->level = (unsigned int)(pri & 7);
	rec->seq = seq;
	rec->ts_us = ts;
	semi++;
	end = memchr(semi, '\n', len - (size_t)(semi - buf));
	n = end ? (size_t)(end - semi) : len - (size_t)(semi - buf);
	if (n >= sizeof(rec->text))
		n = sizeof(rec->text) - 1;
	memcpy(rec->text, semi, n);
	rec->text[n] = '\0';
	return 0;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

int km_classify(const char *text)
{
	const char *t = text;

	while (*t == ' ' || *t == '\t')
		t++;
	if (starts(t, "BUG: KASAN:"))
		return MT_KERNEL_KASAN;
	if (starts(t, "BUG: KFENCE:"))
		return MT_KERNEL_KFENCE;
	if (starts(t, "BUG: Bad page state") || starts(t, "BUG: Bad page map"))
		return MT_KERNEL_BAD_PAGE;
	if (starts(t, "BUG: Bad rss-counter state"))
		return MT_KERNEL_BAD_RSS;
	if (starts(t, "watchdog: BUG: soft lockup") || starts(t, "BUG: soft lockup") ||
	    strstr(t, "Watchdog detected hard LOCKUP"))
		return MT_KERNEL_LOCKUP;
	if (starts(t, "INFO: task ") && strstr(t, "blocked for more than"))
		return MT_KERNEL_HUNG_TASK;
	if (starts(t, "rcu: "))
		t += 5;
	if (starts(t, "INFO: rcu_") && strstr(t, "stall"))
		return MT_KERNEL_RCU_STALL;
	if (starts(t, "refcount_t: "))
		return MT_KERNEL_REFCOUNT;
	if (starts(t, "list_add corruption") || starts(t, "list_del corruption") ||
	    starts(t, "list_add double add"))
		return MT_KERNEL_LIST_CORRUPTION;
	if (starts(t, "general protection fault") ||
	    starts(t, "Oops: general protection fault"))
		return MT_KERNEL_GPF;
	if (starts(t, "WARNING: CPU: "))
		return MT_KERNEL_WARNING;
	if (starts(t, "kernel BUG at ") || starts(t, "BUG: "))
		return MT_KERNEL_BUG;
	return -1;
}

int km_poll(struct km_reader *k, km_fn fn, void *arg)
{
	char buf[8192];
	int counted = 0;

	if (k->fd < 0)
		return 0;
	for (;;) {
		struct km_record rec;
		ssize_t got = read(k->fd, buf, sizeof(buf) - 1);
		int kind;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE) {	/* overwritten: go on from the oldest kept */
				k->lost++;
				mt_count(MT_KMSG_LOST);
				continue;
			}
			if (errno == EAGAIN)
				return counted;
			return -errno;
		}
		if (got == 0)
			return counted;
		buf[got] = '\0';
		if (km_parse(buf, (size_t)got, &rec))
			continue;
		k->records++;
		mt_count(MT_KMSG_RECORDS);
		kind = km_classify(rec.text);
		if (kind < 0)
			continue;
		if (rec.facility != 0 && !k->count_user) {
			k->ignored++;
			mt_count(MT_KMSG_USER_IGNORED);
			continue;
		}
		k->counted++;
		counted++;
		mt_report((enum mt_counter)kind, "kmsg", "%s%.120s",
			  rec.facility ? "(user) " : "", rec.text);
		if (fn)
			fn(arg, kind, &rec);
	}
}
