/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kutil.h - small file helpers shared by the readers of the kernel's
 * evidence: whole small files (sysfs, procfs) read and written in one
 * call each, as those files want.
 */
#ifndef MT_KUTIL_H
#define MT_KUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/**
 * kt_read_file - read a small file whole, NUL-terminated
 * Return: the length read, or -errno.
 */
ssize_t kt_read_file(const char *path, char *buf, size_t len);

/**
 * kt_write_file - write @val to @path in one write() (sysfs, sysctl)
 * Return: 0, or -errno.
 */
int kt_write_file(const char *path, const char *val);

/* What follows the last '/' of @p. */
const char *kt_basename(const char *p);

/**
 * kt_meminfo - one field of /proc/meminfo, in KiB
 * @path: NULL for /proc/meminfo
 * Return: the value, or -1 if it cannot be read.
 */
int64_t kt_meminfo(const char *path, const char *field);

#endif /* MT_KUTIL_H */
