/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kjournal.h - what a kernel job changed on the machine, written down
 * before it is changed, so that the process that survives the job (the
 * runner, the daemon) puts it back when the job process dies.
 *
 * One journal per job process: <dir>/kernel-<pid>.journal, dir being
 * $MMTORTURE_JOURNAL_DIR or /run/mmtorture.  Lines:
 *	start <unix seconds>
 *	knob <path> <original value>	written BEFORE the knob is changed
 *	pid <pid>			a process of the job (shm creators)
 * The job process restores its knobs (newest first), removes its IPC
 * objects and unlinks the journal when it ends normally.  When it dies,
 * kj_recover() does the same from the journal: every knob back to its
 * original value, every SysV shm segment created by a journaled pid since
 * the start removed (nothing else is touched: the creator pid and the
 * time say whose a segment is).  kj_recover_stale() recovers the journals
 * of every dead job process, for a runner or daemon that starts after a
 * crash of its own.
 *
 * Lines are appended with one write(2) each: a process that dies leaves
 * what it wrote in the page cache, which is all a journal of this kind
 * must survive (the machine's reboot undoes the knobs and the segments).
 */
#ifndef MT_KJOURNAL_H
#define MT_KJOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* The journal directory, created if missing.  Return: its path. */
const char *kj_dir(void);

/**
 * kj_open - start the journal of this process
 * Return: 0, or -errno with @err naming what could not be written.
 */
int kj_open(char *err, size_t errlen);

/**
 * kj_knob_set - journal the original value of @path, then write @value
 * Context: the job process, after kj_open().
 * Return: 0, or -errno with @err naming the knob.
 */
int kj_knob_set(const char *path, const char *value, char *err, size_t errlen);

/* Journal a process of the job (one that may create IPC objects). */
void kj_note_pid(pid_t pid);

/*
 * kj_close - the job process ends normally: its knobs are restored
 * (newest first), then the journal is removed.  The caller has removed
 * its IPC objects.
 */
void kj_close(void);

/**
 * kj_recover - undo what the dead job process @pid left: its knobs, its
 * shm segments; then remove its journal
 * @log: where to say what was undone (NULL: nowhere)
 * Return: the number of things undone (0 when it left nothing).
 */
int kj_recover(pid_t pid, FILE *log);

/* kj_recover() for every journal whose process is dead.  Return: things undone. */
int kj_recover_stale(FILE *log);

#endif /* MT_KJOURNAL_H */
