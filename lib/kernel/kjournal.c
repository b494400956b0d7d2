// SPDX-License-Identifier: GPL-2.0-only
/*
 * kjournal.c - the crash-safe journal of knobs and IPC objects of a
 * kernel job; see kjournal.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kernel/kjournal.h"
#include "kernel/kutil.h"

#define KJ_MAX_KNOBS	16
#define KJ_VAL_LEN	64

static struct {
	int fd;
	pid_t owner;
	char path[512];
	unsigned int nknobs;
	struct { char path[160]; char orig[KJ_VAL_LEN]; } knob[KJ_MAX_KNOBS];
} kj = { .fd = -1 };

const char *kj_dir(void)
{
	static char dir[256];
	const char *env = getenv("MMTORTURE_JOURNAL_DIR");

	snprintf(dir, sizeof(dir), "%s", env && *env ? env : "/run/mmtorture");
	if (mkdir(dir, 0755) && errno != EEXIST)
		return dir;	/* kj_open() says why it cannot be written */
	return dir;
}

static void jline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void jline(const char *fmt, ...)
{
	char buf[320];
	va_list ap;
	int n;

	if (kj.fd < 0 || kj.owner != getpid())
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(buf) && write(kj.fd, buf, (size_t)n) != n)
		return;	/* a short journal is still honest: what it has is true */
}

int kj_open(char *err, size_t errlen)
{
	const char *dir = kj_dir();

	snprintf(kj.path, sizeof(kj.path), "%s/kernel-%d.journal", dir, (int)getpid());
	kj.fd = open(kj.path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (kj.fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot write the journal %s: %s", kj.path, strerror(e));
		return -e;
	}
	kj.owner = getpid();
	kj.nknobs = 0;
	jline("start %lld\n", (long long)time(NULL));
	jline("pid %d\n", (int)getpid());
	return 0;
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

int kj_knob_set(const char *path, const char *value, char *err, size_t errlen)
{
	char orig[KJ_VAL_LEN];
	ssize_t got;
	int rc;

	if (kj.fd < 0 || kj.nknobs >= KJ_MAX_KNOBS) {
		snprintf(err, errlen, "cannot change %s: no journal to restore it from", path);
		return -ENOSPC;
	}
	if ((got = kt_read_file(path, orig, sizeof(orig))) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror((int)-got));
		return (int)got;
	}
	trim(orig);
	if (strchr(orig, '\n') || !orig[0]) {
		snprintf(err, errlen, "cannot journal %s: its value is not one word", path);
		return -EINVAL;
	}
	/* the original first: a death after the write below restores it */
	jline("knob %s %s\n", path, orig);
	snprintf(kj.knob[kj.nknobs].path, sizeof(kj.knob[0].path), "%s", path);
	snprintf(kj.knob[kj.nknobs].orig, sizeof(kj.knob[0].orig), "%s", orig);
	kj.nknobs++;
	if ((rc = kt_write_file(path, value))) {
		snprintf(err, errlen, "cannot write %s to %s: %s", value, path, strerror(-rc));
		return rc;
	}
	return 0;
}

void kj_note_pid(pid_t pid)
{
	jline("pid %d\n", (int)pid);
}

void kj_close(void)
{
	if (kj.fd < 0 || kj.owner != getpid())
		return;
	while (kj.nknobs) {
		kj.nknobs--;
		kt_write_file(kj.knob[kj.nknobs].path, kj.knob[kj.nknobs].orig);
	}
	close(kj.fd);
	kj.fd = -1;
	unlink(kj.path);
}

/* Remove every shm segment created by one of @pids at or after @since. */
static int remove_shm(const int *pids, int npids, long long since, FILE *log)
{
	char text[1 << 16];
	int removed = 0;

	if (kt_read_file("/proc/sysvipc/shm", text, sizeof(text)) < 0)
		return 0;
	for (char *l = strchr(text, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
		long long key, id, perms, size, cpid, lpid, natt, uid, gid, cuid, cgid, at, dt, ct;

		if (sscanf(l + 1, "%lld %lld %llo %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld",
			   &key, &id, &perms, &size, &cpid, &lpid, &natt, &uid, &gid, &cuid, &cgid,
			   &at, &dt, &ct) != 14)
			continue;
		for (int i = 0; i < npids; i++)
			if (cpid == pids[i] && ct >= since &&
			    !shmctl((int)id, IPC_RMID, NULL)) {
				removed++;
				if (log)
					fprintf(log, "mmtorture: removed shm segment %lld (%lld bytes) left by job process %lld\n",
						id, size, cpid);
				break;
			}
	}
	return removed;
}

static int recover_file(const char *path, FILE *log)
{
	char text[1 << 16], *lines[KJ_MAX_KNOBS * 4];
	int pids[256], npids = 0, nknob = 0, undone = 0;
	long long since = 0;

	if (kt_read_file(path, text, sizeof(text)) < 0)
		return 0;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		int p;

		if (!strncmp(l, "start ", 6))
			since = strtoll(l + 6, NULL, 10);
		else if (sscanf(l, "pid %d", &p) == 1 && npids < (int)(sizeof(pids) / sizeof(pids[0])))
			pids[npids++] = p;
		else if (!strncmp(l, "knob ", 5) && nknob < (int)(sizeof(lines) / sizeof(lines[0])))
			lines[nknob++] = l + 5;
	}
	/* newest first: a knob changed twice ends at its first original */
	while (nknob--) {
		char *sp = strchr(lines[nknob], ' ');

		if (!sp)
			continue;
		*sp = '\0';
		if (!kt_write_file(lines[nknob], sp + 1)) {
			undone++;
			if (log)
				fprintf(log, "mmtorture: restored %s to %s after the job process died\n",
					lines[nknob], sp + 1);
		}
	}
	undone += remove_shm(pids, npids, since, log);
	unlink(path);
	return undone;
}

int kj_recover(pid_t pid, FILE *log)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/kernel-%d.journal", kj_dir(), (int)pid);
	if (access(path, F_OK))
		return 0;
	return recover_file(path, log);
}

int kj_recover_stale(FILE *log)
{
	const char *dir = kj_dir();
	DIR *d = opendir(dir);
	struct dirent *e;
	int undone = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[512];
		int pid;

		if (sscanf(e->d_name, "kernel-%d.journal", &pid) != 1 || pid <= 0)
			continue;
		if (!kill(pid, 0) || errno != ESRCH)
			continue;	/* alive (or not ours to judge): its runner recovers it */
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		undone += recover_file(path, log);
	}
	closedir(d);
	return undone;
}
