/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kmsg.h - the kernel log as evidence: /dev/kmsg read from a job's start,
 * each record classified by the kernel's own message formats into a race
 * counter kind (kernel_bug, kernel_warning, kernel_refcount ...).
 *
 * A record of /dev/kmsg is "PRI,SEQ,TS_USEC,FLAGS;TEXT\n" followed by
 * " KEY=VALUE" lines (Documentation/ABI/testing/dev-kmsg).  PRI is
 * facility << 3 | level.  The reader opens the device non-blocking and
 * seeks to its end, so only what the kernel logs from then on is read; a
 * read that fails with EPIPE means records were overwritten before they
 * were read (counted as kmsg_lost) and reading goes on from the oldest
 * record still held.
 *
 * Facility: what the kernel itself logs has facility 0 (LOG_KERN).  A
 * write to /dev/kmsg from user space never has: devkmsg_write() gives
 * facility LOG_USER to every record whose prefix names no facility, and
 * refuses none, so facility 0 is the kernel's own.  Records of other
 * facilities are counted only when the reader is told to (kmsg_user=1,
 * the self-test that writes a line in the kernel's format); otherwise
 * they are counted as kmsg_user_ignored, never as a race.
 *
 * The formats (the first line of each report, from the kernel sources):
 *	BUG: KASAN: ...				mm/kasan/report.c
 *	BUG: KFENCE: ...			mm/kfence/report.c
 *	BUG: Bad page state in process ...	mm/page_alloc.c bad_page()
 *	BUG: Bad page map in process ...	mm/memory.c print_bad_pte()
 *	BUG: Bad rss-counter state mm:...	kernel/fork.c check_mm()
 *	watchdog: BUG: soft lockup - CPU#...	kernel/watchdog.c
 *	watchdog: Watchdog detected hard LOCKUP	kernel/watchdog_perf.c
 *	INFO: task ...:N blocked for more than	kernel/hung_task.c
 *	rcu: INFO: rcu_sched self-detected stall on CPU, ... detected stalls
 *						kernel/rcu/tree_stall.h
 *	refcount_t: underflow; use-after-free.	lib/refcount.c (and the others)
 *	list_add corruption. / list_del corruption,  lib/list_debug.c
 *	Oops: general protection fault, ... / general protection fault: ...
 *						arch/x86/kernel/traps.c
 *	WARNING: CPU: N PID: N at ...		kernel/panic.c __warn()
 *	kernel BUG at ..., BUG: ... (any other)	BUG(), and the other reports
 *
 * A report of several kinds counts each: a refcount_t warning is also a
 * WARNING: line (WARN_ONCE), and counts as both.
 */
#ifndef MT_KMSG_H
#define MT_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct km_record {
	unsigned int facility;
	unsigned int level;
	uint64_t seq;
	uint64_t ts_us;
	char text[256];			/* the message, cut there */
};

struct km_reader {
	int fd;
	bool count_user;		/* count records of other facilities too */
	uint64_t records;		/* read */
	uint64_t lost;			/* overwritten before they were read */
	uint64_t ignored;		/* classified, of a facility not counted */
	uint64_t counted;		/* reported as a race */
};

/*
 * Called for each record that is classified and counted: @kind is an
 * enum mt_counter.
 */
typedef void (*km_fn)(void *arg, int kind, const struct km_record *rec);

/**
 * km_open - open @path (NULL: /dev/kmsg) and seek to its end
 * Return: 0, or -errno with @err naming what could not be opened.
 */
int km_open(struct km_reader *k, const char *path, bool count_user, char *err, size_t errlen);
void km_close(struct km_reader *k);

/**
 * km_poll - read every record logged since the last call
 * @fn: called for each counted record (may be NULL: count only)
 *
 * Context: process context; does not block.
 * Return: the records counted in this call, or -errno on a read error
 * other than EAGAIN and EPIPE.
 */
int km_poll(struct km_reader *k, km_fn fn, void *arg);

/**
 * km_parse - one record as read(2) gives it
 * Return: 0, or -EINVAL if it is not a /dev/kmsg record.
 */
int km_parse(const char *buf, size_t len, struct km_record *rec);

/**
 * km_classify - the race counter kind of a record's text
 * Return: an enum mt_counter, or -1 for a line that is no report.
 */
int km_classify(const char *text);

#endif /* MT_KMSG_H */
