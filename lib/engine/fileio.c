// SPDX-License-Identifier: GPL-2.0-only
/*
 * fileio.c - files that survive a crash half-way: written aside, synced,
 * renamed into place; writes that go on until all is written; and the
 * names of results directories.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/engine/fileio.h"

int mt_write_full(int fd, const void *data, size_t len)
{
	const char *p = data;
	struct stat st;
	bool sock = !fstat(fd, &st) && S_ISSOCK(st.st_mode);

	while (len) {
		ssize_t w = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* fsync the directory that holds @path: a rename is durable once it is. */
static int sync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, err = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) && errno != EINVAL)	/* EINVAL: a file system without it */
		err = -errno;
	close(fd);
	return err;
}

int mt_write_atomic(const char *path, const char *data, size_t len)
{
	static unsigned int calls;
	char tmp[PATH_MAX];
	int fd, n, err = 0;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%d.%u", path, (int)getpid(),
		     __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED));
	if (n < 0 || n >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		/* left by a dead process that had this pid: the name is ours now */
		unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return -errno;
	err = mt_write_full(fd, data, len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	return sync_dir_of(path);
}


void mt_results_name(const char *job, char *buf, size_t len)
{
	snprintf(buf, len, "%s", job);
	for (char *c = buf; *c; c++)
		if (*c == '/' || *c == '\\' || *c == ' ' || (unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '_';
}

int mt_results_mkdir(const char *root, const char *job, time_t started, char *buf, size_t len)
{
	char stamp[32], name[256];
	struct tm tm;

	gmtime_r(&started, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H-%M-%SZ", &tm);
	mt_results_name(job, name, sizeof(name));
	if (mkdir(root, 0755) && errno != EEXIST)
		return -errno;
	for (int i = 1; i < 1000; i++) {
		int n = i == 1 ? snprintf(buf, len, "%s/%s-%s", root, stamp, name) :
				 snprintf(buf, len, "%s/%s-%s-%d", root, stamp, name, i);

		if (n < 0 || (size_t)n >= len)
			return -ENAMETOOLONG;
		/* mkdir is the test: a name another run took in between fails here */
		if (!mkdir(buf, 0755))
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}
