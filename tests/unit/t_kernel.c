// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_kernel - the readers of the kernel's evidence (lib/kernel): the kernel
 * log classifier fires on each of the kernel's formats and stays silent
 * on other lines; records parse with their facility; slab counts and
 * merged caches are read from a sysfs-like tree; the leak judgement finds
 * growth with cycles and not steps or noise; the journal restores a knob
 * after its process dies.  As root, a line written to /dev/kmsg is read
 * back: ignored as user space's by default, counted with kmsg_user.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/counters.h"
#include "kernel/kjournal.h"
#include "kernel/kmsg.h"
#include "kernel/kslab.h"
#include "kernel/kutil.h"
#include "tests/tap.h"

static const struct { const char *line; int kind; } formats[] = {
	{ "BUG: KASAN: slab-use-after-free in mpol_shared_policy_lookup+0x4a/0x90", MT_KERNEL_KASAN },
	{ "BUG: KFENCE: use-after-free read in __mpol_put+0x12/0x40", MT_KERNEL_KFENCE },
	{ "BUG: Bad page state in process mmtorture  pfn:12345", MT_KERNEL_BAD_PAGE },
	{ "BUG: Bad page map in process mmtorture  pte:8000000102 pmd:1234", MT_KERNEL_BAD_PAGE },
	{ "BUG: Bad rss-counter state mm:00000000d5d20a39 type:MM_ANONPAGES val:2", MT_KERNEL_BAD_RSS },
	{ "watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [mmtorture:4242]", MT_KERNEL_LOCKUP },
	{ "INFO: task mmtorture:4242 blocked for more than 120 seconds.", MT_KERNEL_HUNG_TASK },
	{ "rcu: INFO: rcu_preempt self-detected stall on CPU", MT_KERNEL_RCU_STALL },
	{ "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:", MT_KERNEL_RCU_STALL },
	{ "refcount_t: underflow; use-after-free.", MT_KERNEL_REFCOUNT },
	{ "refcount_t: addition on 0; use-after-free.", MT_KERNEL_REFCOUNT },
	{ "list_add corruption. next->prev should be prev (ffff), but was 0000. (next=ffff).", MT_KERNEL_LIST_CORRUPTION },
	{ "list_del corruption, ffff888100000000->next is LIST_POISON1 (dead000000000100)", MT_KERNEL_LIST_CORRUPTION },
	{ "Oops: general protection fault, probably for non-canonical address 0xdead: 0000 [#1] SMP", MT_KERNEL_GPF },
	{ "general protection fault: 0000 [#1] SMP PTI", MT_KERNEL_GPF },
	{ "WARNING: CPU: 1 PID: 4242 at mm/mempolicy.c:300 mpol_rebind_policy+0x1/0x2", MT_KERNEL_WARNING },
	{ "kernel BUG at mm/rmap.c:1234!", MT_KERNEL_BUG },
	{ "BUG: unable to handle page fault for address: ffff888100000000", MT_KERNEL_BUG },
};

static const char *const quiet[] = {
	"Oops: invalid opcode: 0000 [#1] SMP",	/* follows a kernel BUG at: counted once */
	"CPU: 1 UID: 0 PID: 4242 Comm: mmtorture Not tainted 6.18.0 #1",
	"Call Trace:",
	"systemd[1]: Started mmtortured.service.",
	"EXT4-fs (sda1): mounted filesystem with ordered data mode",
	"a BUG: in the middle of a line is no report",
};

static void test_classify(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		ok(km_classify(formats[i].line) == formats[i].kind, "%s -> %s", formats[i].line,
		   mt_counter_name(formats[i].kind));
	for (size_t i = 0; i < ARRAY_SIZE(quiet); i++)
		ok(km_classify(quiet[i]) < 0, "no report: %s", quiet[i]);
}

static void test_parse(void)
{
	struct km_record r;
	const char *k = "4,1234,5678901,-;WARNING: CPU: 0 PID: 1 at x\n SUBSYSTEM=cpu\n";
	const char *u = "12,99,1,-;WARNING: CPU: 0 PID: 1 at y\n";

	ok(!km_parse(k, strlen(k), &r) && r.facility == 0 && r.level == 4 && r.seq == 1234 &&
	   !strcmp(r.text, "WARNING: CPU: 0 PID: 1 at x"), "a kernel record: facility 0, level 4, text");
	ok(!km_parse(u, strlen(u), &r) && r.facility == 1 && r.level == 4,
	   "a record of user space: facility LOG_USER");
	ok(km_parse("no record", 9, &r) < 0, "not a record");
}

static void put(const char *dir, const char *name, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
}

static void test_slab_tree(void)
{
	char root[] = "/tmp/t_kernel.XXXXXX", p[512], err[256];
	const char *names[] = { "own_cache", "merged_a", "absent" };
	struct ks_set s;
	int64_t v[3];
	int64_t si;

	ok(mkdtemp(root) != NULL, "a slab tree");
	snprintf(p, sizeof(p), "%s/own_cache", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/:0000048", root);
	mkdir(p, 0755);
	put(root, "own_cache/objects", "10 N0=10\n");
	put(root, ":0000048/objects", "7 N0=7\n");
	snprintf(p, sizeof(p), "%s/merged_a", root);
	symlink(":0000048", p);
	snprintf(p, sizeof(p), "%s/merged_b", root);
	symlink(":0000048", p);
	ok(!ks_init(&s, root, NULL, names, 3, err, sizeof(err)), "read the tree: %s", err);
	ok(s.c[0].present && !s.c[0].merged, "own_cache: its own");
	ok(s.c[1].present && s.c[1].merged && !strcmp(s.c[1].merged_with, "merged_b"),
	   "merged_a: merged with merged_b (%s)", s.c[1].merged_with);
	ok(!s.c[2].present, "absent: not there");
	ok(!ks_read(&s, v) && v[0] == 10 && v[1] == 7 && v[2] == 0, "the counts: %lld %lld",
	   (long long)v[0], (long long)v[1]);
	ok(!ks_parse_slabinfo("slabinfo - version: 2.1\nnuma_policy   6   14  288 : tunables\n"
			      "anon_vma   546 600 104\n", "anon_vma", &si) && si == 546,
	   "slabinfo: active_objs of a cache");
	snprintf(p, sizeof(p), "rm -rf %s", root);
	ok(system(p) == 0, "tree removed");
}

static void judge(const int64_t *m, unsigned int n, int64_t spread, bool merged, struct ks_verdict *v)
{
	struct ks_cache c = { .present = true, .merged = merged, .base = 100, .spread = spread, .n = n };

	for (unsigned int i = 0; i < n; i++)
		c.m[i] = 100 + m[i];
	ks_judge(&c, 3, v);
}

static void test_judge(void)
{
	const int64_t leak[] = { 8, 16, 24, 32 }, step[] = { 0, 300, 300, 300 },
		      noise[] = { 40, -30, 55, 10 }, small[] = { 1, 2, 3, 4 }, ramp[] = { 0, 0, 0, 0 };
	struct ks_verdict v;

	judge(leak, 4, 0, false, &v);
	ok(v.leak && v.excess == 32 && v.band == 1, "8 per cycle: a leak of 32 (band 1)");
	judge(step, 4, 0, false, &v);
	ok(!v.leak, "one step, then flat: no leak");
	judge(noise, 4, 2, false, &v);
	ok(!v.leak, "noise: no leak");
	judge(small, 4, 2, false, &v);
	ok(!v.leak, "growth within the band: no leak");
	judge(ramp, 4, 0, false, &v);
	ok(!v.leak && v.enough, "flat: no leak");
	judge(leak, 4, 0, true, &v);
	ok(!v.leak && v.unattributed, "a merged cache that grows: not attributable, not a leak");
	{
		const int64_t rising[] = { 10, 60, 75, 160 };

		judge(rising, 4, 0, false, &v);
		ok(!v.leak, "noise that rises at every cycle, unsteadily: no leak");
	}
	judge(leak, 2, 0, false, &v);
	ok(!v.leak && !v.enough, "two measurements: not enough to judge");
}

static void test_journal(void)
{
	char dir[] = "/tmp/t_kernel_j.XXXXXX", knob[600], buf[64], cmd[700];
	pid_t pid;
	int st;

	ok(mkdtemp(dir) != NULL, "a journal directory");
	setenv("MMTORTURE_JOURNAL_DIR", dir, 1);
	snprintf(knob, sizeof(knob), "%s/knob", dir);
	put(dir, "knob", "0\n");
	pid = fork();
	if (pid == 0) {	/* a job process that changes the knob and dies */
		char err[256];

		if (kj_open(err, sizeof(err)) || kj_knob_set(knob, "1", err, sizeof(err)))
			_exit(1);
		kt_read_file(knob, buf, sizeof(buf));
		_exit(buf[0] == '1' ? 9 : 2);
	}
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 9, "the job process changed the knob");
	ok(kj_recover(pid, NULL) == 1, "its journal restored one thing");
	kt_read_file(knob, buf, sizeof(buf));
	ok(buf[0] == '0', "the knob has its original value again");
	ok(kj_recover(pid, NULL) == 0, "the journal is gone");
	{
		char err[256];

		ok(!kj_open(err, sizeof(err)) && !kj_knob_set(knob, "5", err, sizeof(err)),
		   "a normal run changes the knob");
		kj_close();
		kt_read_file(knob, buf, sizeof(buf));
		ok(buf[0] == '0', "and restores it when it ends");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ok(system(cmd) == 0, "journal directory removed");
	unsetenv("MMTORTURE_JOURNAL_DIR");
}

/* A line in the kernel's format written to /dev/kmsg, read back. */
static void test_live_kmsg(void)
{
	struct mt_region *r = mt_region_create(false);
	struct km_reader k;
	char err[256], line[128];
	int fd, n;

	if (geteuid() != 0) {
		tap_skip(4, "not root: /dev/kmsg is written only by root");
		return;
	}
	mt_region_use(r);
	for (int pass = 0; pass < 2; pass++) {
		bool user = pass == 1;
		int counted = 0;

		if (km_open(&k, NULL, user, err, sizeof(err))) {
			tap_skip(2, err);
			continue;
		}
		fd = open("/dev/kmsg", O_WRONLY);
		n = snprintf(line, sizeof(line), "<4>WARNING: CPU: 0 PID: %d at t_kernel.c:1 live+0x0/0x1\n",
			     (int)getpid());
		ok(fd >= 0 && write(fd, line, (size_t)n) == n, "wrote a WARNING: line to /dev/kmsg");
		close(fd);
		for (int tries = 0; tries < 100 && !k.ignored && !k.counted; tries++) {
			counted += km_poll(&k, NULL, NULL);
			usleep(1000);
		}
		if (user)
			ok(counted == 1 && k.counted == 1, "kmsg_user=1: counted as kernel_warning");
		else
			ok(counted == 0 && k.ignored == 1, "kmsg_user=0: a user-space line is not counted");
		km_close(&k);
	}
	mt_region_use(NULL);
	mt_region_destroy(r);
}

int main(void)
{
	test_classify();
	test_parse();
	test_slab_tree();
	test_judge();
	test_journal();
	test_live_kmsg();
	tap_done();
	return tap_exit();
}
