/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fileio.h - writing files and sockets so that nothing is half-written:
 * whole writes, atomic and durable file replacement, and the directories
 * where runs leave their results.
 */
#ifndef MT_FILEIO_H
#define MT_FILEIO_H

#include <stddef.h>
#include <time.h>

/*
 * mt_write_full - write all of @data to @fd, through short writes and
 * EINTR; a socket is written without SIGPIPE (a peer that left is -EPIPE).
 * Return: 0, or -errno.
 */
int mt_write_full(int fd, const void *data, size_t len);

/*
 * mt_write_atomic - write @data to @path atomically and durably: a
 * temporary file of this process and call (removed on any error), fsync,
 * rename, fsync of the directory.
 * Context: any thread (the temporary names differ by call).
 * Return: 0, or -errno.
 */
int mt_write_atomic(const char *path, const char *data, size_t len);

/*
 * mt_results_name - @job as a file name: '/', '\', blanks and control
 * characters made '_'.  The one rule for results directories.
 */
void mt_results_name(const char *job, char *buf, size_t len);

/*
 * mt_results_mkdir - create the results directory of a run of @job that
 * started at @started: <root>/<date>-<job>, or -2, -3 ... after it when
 * taken.  The mkdir() that succeeds is the test, so two runs never share
 * one.  Return: 0 with the path in @buf, or -errno.
 */
int mt_results_mkdir(const char *root, const char *job, time_t started, char *buf, size_t len);

#endif /* MT_FILEIO_H */
