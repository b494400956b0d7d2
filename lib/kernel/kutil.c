// SPDX-License-Identifier: GPL-2.0-only
/*
 * kutil.c - whole-file reads and writes of sysfs and procfs; see kutil.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/kutil.h"

ssize_t kt_read_file(const char *path, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (off + 1 < len && (got = read(fd, buf + off, len - 1 - off)) != 0) {
		if (got < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			return -e;
		}
		off += (size_t)got;
	}
	buf[off] = '\0';
	close(fd);
	return (ssize_t)off;
}

int kt_write_file(const char *path, const char *val)
{
	size_t n = strlen(val);
	ssize_t w;
	int fd = open(path, O_WRONLY | O_CLOEXEC), e;

	if (fd < 0)
		return -errno;
	w = write(fd, val, n);
	e = w < 0 ? errno : (size_t)w != n ? EIO : 0;
	close(fd);
	return -e;
}

const char *kt_basename(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

int64_t kt_meminfo(const char *path, const char *field)
{
	char buf[8192];
	size_t n = strlen(field);

	if (kt_read_file(path ? path : "/proc/meminfo", buf, sizeof(buf)) < 0)
		return -1;
	for (char *l = buf; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, field, n) && l[n] == ':')
			return strtoll(l + n + 1, NULL, 10);
	return -1;
}
