// SPDX-License-Identifier: GPL-2.0-only
/*
 * t_mempolicy - the mempolicy model, single-threaded: every path keeps
 * the reference counts seed 001's "MEMORY POLICY REFERENCE COUNTING"
 * document gives (task and VMA policies: unchanged; shared: +1 at the
 * lookup, back after the put; default_policy: never touched), chooses the
 * node its policy says, and the audit, the lock checks and segment
 * teardown see what they should.
 */
#include <errno.h>
#include <string.h>

#include "core/counters.h"
#include "core/inject.h"
#include "core/rcu.h"
#include "lib/mm/anon_vma.h"
#include "lib/mm/memory.h"
#include "lib/mm/mempolicy.h"
#include "lib/mm/mm.h"
#include "lib/mm/shmem.h"
#include "tests/tap.h"

static struct mt_region *R;

static uint64_t cnt(enum mt_counter c)
{
	return mt_counter_read(R, c);
}

/* leaked_objects{@name} in the region */
static uint64_t mt_cache_leaked(const struct mt_region *r, const char *name)
{
	for (uint32_t i = 0; i < r->ncaches && i < MT_MAX_CACHES; i++)
		if (!strcmp(r->caches[i].name, name))
			return r->caches[i].leaked;
	return 0;
}

static int refs(const struct mempolicy *pol)
{
	return refcount_read_raw(&pol->refcnt);
}

static nodemask_t mask(unsigned long bits)
{
	nodemask_t m = { bits };

	return m;
}

/* The n-th node of @bits (n counted modulo the weight): what interleave must give. */
static int nth_node(unsigned long bits, unsigned long n)
{
	int w = __builtin_popcountl(bits), k = (int)(n % (unsigned long)w);

	for (int nid = 0; nid < 64; nid++)
		if ((bits >> nid) & 1 && !k--)
			return nid;
	return -1;
}

static struct mempolicy *newpol(unsigned short mode, unsigned long bits)
{
	nodemask_t m = mask(bits);
	int err;
	struct mempolicy *p = mpol_new(mode, &m, &err);

	if (!p)
		tap_bail("mpol_new failed");
	return p;
}

static struct vm_area_struct *add_vma(struct mm_struct *mm, unsigned long npages,
				      unsigned long flags, struct mempolicy *pol)
{
	struct vm_area_struct *vma = vm_area_alloc(mm);

	down_write(&mm->mmap_sem);
	vma->vm_start = get_unmapped_area(mm, npages << PAGE_SHIFT);
	vma->vm_end = vma->vm_start + (npages << PAGE_SHIFT);
	vma->vm_pgoff = vma->vm_start >> PAGE_SHIFT;
	vma->vm_flags = VM_READ | VM_WRITE | flags;
	vma->vm_policy = pol;
	insert_vm_struct(mm, vma);
	up_write(&mm->mmap_sem);
	return vma;
}

static struct vm_area_struct *vma_at(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	down_read(&mm->mmap_sem);
	vma = find_vma(mm, addr);
	up_read(&mm->mmap_sem);
	return vma;
}

/* The VMAs of @mm that map @S (the pieces split_vma() cut). */
static unsigned int shm_pieces(struct mm_struct *mm, struct shmem_inode_info *S)
{
	unsigned int n = 0;

	down_read(&mm->mmap_sem);
	for (unsigned int i = 0; i < mm_nr_vmas(mm); i++)
		n += shmem_vma_info(mm_vma_at(mm, i)) == S;
	up_read(&mm->mmap_sem);
	return n;
}

/* munmap every piece of @mm's mappings of @S. */
static void unmap_segment(struct mm_struct *mm, struct shmem_inode_info *S)
{
	down_write(&mm->mmap_sem);
	for (unsigned int i = 0; i < mm_nr_vmas(mm);) {
		struct vm_area_struct *vma = mm_vma_at(mm, i);

		if (shmem_vma_info(vma) == S)
			do_munmap(mm, vma->vm_start);
		else
			i++;
	}
	up_write(&mm->mmap_sem);
}

struct range { unsigned long start, end; const struct mempolicy *pol; };
struct ranges { int n; struct range r[16]; };

static void collect(const struct sp_node *n, void *arg)
{
	struct ranges *rs = arg;

	if (rs->n < 16)
		rs->r[rs->n++] = (struct range){ n->start, n->end, n->policy };
}

static struct ranges tree(struct shmem_inode_info *info)
{
	struct ranges rs = { 0 };

	mpol_shared_policy_walk(&info->policy, collect, &rs);
	return rs;
}

int main(void)
{
	struct mm_struct *tmm, *umm;
	struct task_struct *T, *U;
	struct mempolicy *tp, *vp, *hp, *hsp = NULL, *sp_pol, *sp_il, *pol, *mp = NULL;
	struct vm_area_struct *A, *B, *H, *C, *E, *D, *CH;
	struct shmem_inode_info *S, *SH;
	unsigned long c_addr;
	struct page *pg;
	const nodemask_t *nm;
	nodemask_t got;
	char buf[4096];
	int mode, ok_all;
	uint64_t lr, uaf, lo = 0;

	R = mt_region_create(false);
	mt_region_use(R);
	rcu_register_thread();
	ok(mm_core_init() == 0 && mempolicy_init() == 0 && shmem_init() == 0 && anon_vma_init() == 0 &&
	   anon_memory_init() == 0,
	   "caches created: numa_policy, shared_policy_node, shmem_inode_cache, the anon_vma model's");

	/* T: task policy BIND{1,2}; A: VMA INTERLEAVE{0-3}; B: no policy; H: hugetlb, BIND{2,3} */
	tmm = mm_alloc();
	T = task_create(tmm);
	T->mempolicy = tp = newpol(MPOL_BIND, 0x6);
	A = add_vma(tmm, 16, 0, vp = newpol(MPOL_INTERLEAVE, 0xf));
	B = add_vma(tmm, 16, 0, NULL);
	H = add_vma(tmm, 4 << (HPAGE_SHIFT - PAGE_SHIFT), VM_HUGETLB, hp = newpol(MPOL_BIND, 0xc));
	/* S: 16 pages, PREFERRED 2 everywhere (mpol=), INTERLEAVE{1,3} on [8,12) */
	S = shmem_create(16, MPOL_PREFERRED, &(nodemask_t){ 0x4 }, false);
	{
		struct ranges rs = tree(S);

		sp_pol = rs.n == 1 ? (struct mempolicy *)rs.r[0].pol : NULL;
		ok(sp_pol && rs.r[0].start == 0 && rs.r[0].end == 16 && refs(sp_pol) == 1 &&
		   (sp_pol->flags & MPOL_F_SHARED) && sp_pol->mode == MPOL_PREFERRED &&
		   sp_pol->v.preferred_node == 2,
		   "mpol_shared_policy_init: its own PREFERRED 2 over [0,16), owned by the tree alone");
		if (!sp_pol)
			tap_bail("no initial shared policy");
	}
	sp_il = newpol(MPOL_INTERLEAVE, 0xa);
	ok(S && mpol_set_shared_policy(&S->policy, 8, 4, sp_il) == 0, "a segment with two shared ranges");
	mpol_put(sp_il);			/* the tree owns it now */
	c_addr = shmem_map(tmm, S, false);
	C = vma_at(tmm, c_addr);
	/* SH: a SHM_HUGETLB segment: no mpol=, no shared tree */
	ok(!shmem_create(1ul << (HPAGE_SHIFT - PAGE_SHIFT), MPOL_BIND, &(nodemask_t){ 1 }, true),
	   "shmem_create: a SHM_HUGETLB segment takes no mpol=");
	SH = shmem_create(1ul << (HPAGE_SHIFT - PAGE_SHIFT), MPOL_DEFAULT, NULL, true);
	CH = vma_at(tmm, shmem_map(tmm, SH, true));
	/* U: no task policy; D: no policy; E: S mapped shared */
	umm = mm_alloc();
	U = task_create(umm);
	D = add_vma(umm, 16, 0, NULL);
	E = vma_at(umm, shmem_map(umm, S, true));
	ok(C && E && CH && shmem_vma_info(C) == S && refcount_read(&S->count) == 3,
	   "segment mapped by two tasks: count 3 (creator + 2 VMAs)");
	ok(refs(sp_pol) == 2 && refs(sp_il) == 1 && (sp_pol->flags & MPOL_F_SHARED) &&
	   (sp_il->flags & MPOL_F_SHARED), "shared policies: one ref per tree node, marked MPOL_F_SHARED");
	{
		struct ranges rs = tree(S);

		ok(rs.n == 3 && rs.r[0].start == 0 && rs.r[0].end == 8 && rs.r[1].start == 8 &&
		   rs.r[1].end == 12 && rs.r[1].pol == sp_il && rs.r[2].start == 12 && rs.r[2].end == 16 &&
		   rs.r[0].pol == sp_pol && rs.r[2].pol == sp_pol,
		   "mpol_set_shared_policy splits [0,16) into [0,8) [8,12) [12,16)");
	}
	/* CH: mbind BIND{0} over the whole SHM_HUGETLB mapping */
	mpol_set_current(T);
	ok(do_mbind(CH->vm_start, CH->vm_end - CH->vm_start, MPOL_BIND, &(nodemask_t){ 0x1 }) == 0 &&
	   (hsp = CH->vm_policy) && refs(hsp) == 1 && !(hsp->flags & MPOL_F_SHARED) && tree(SH).n == 0,
	   "do_mbind of a SHM_HUGETLB mapping: no tree to set, policy_vma keeps it in vm_policy");
	ok(do_mbind(CH->vm_start, PAGE_SIZE, MPOL_BIND, &(nodemask_t){ 0x2 }) == -EINVAL &&
	   CH->vm_policy == hsp, "do_mbind of part of a SHM_HUGETLB mapping: refused (split_vma at huge page boundaries only)");

	/* ---- get_vma_policy ---- */
	mpol_set_current(T);
	down_read(&tmm->mmap_sem);
	pol = get_vma_policy(T, B, B->vm_start);
	ok(pol == tp && refs(tp) == 1, "get_vma_policy: task policy fallback, no ref taken");
	mpol_cond_put(pol);
	ok(refs(tp) == 1, "get_vma_policy: task policy unchanged after the put");
	pol = get_vma_policy(T, A, A->vm_start);
	ok(pol == vp && refs(vp) == 1, "get_vma_policy: VMA policy, no ref taken");
	mpol_cond_put(pol);
	ok(refs(vp) == 1, "get_vma_policy: VMA policy unchanged after the put");
	pol = get_vma_policy(T, C, C->vm_start + 9 * PAGE_SIZE);
	ok(pol == sp_il && refs(sp_il) == 2, "get_vma_policy: shared policy +1 at the lookup");
	mpol_cond_put(pol);
	ok(refs(sp_il) == 1, "get_vma_policy: shared policy back after mpol_cond_put");
	up_read(&tmm->mmap_sem);
	mpol_set_current(U);
	down_read(&umm->mmap_sem);
	pol = get_vma_policy(U, D, D->vm_start);
	ok(pol == &default_policy && refs(&default_policy) == 1, "get_vma_policy: default policy, never counted");
	mpol_cond_put(pol);
	ok(refs(&default_policy) == 1, "get_vma_policy: default policy untouched by the put");

	/* ---- alloc_page_vma ---- */
	pg = alloc_page_vma(D, D->vm_start);
	ok(pg && pg->nid == 0 && refs(&default_policy) == 1, "alloc_page_vma: default policy, local node 0");
	put_page(pg);
	up_read(&umm->mmap_sem);
	mpol_set_current(T);
	down_read(&tmm->mmap_sem);
	pg = alloc_page_vma(B, B->vm_start);
	ok(pg && pg->nid == 1 && refs(tp) == 1, "alloc_page_vma: task BIND{1,2} from node 0 -> node 1, task ref unchanged");
	put_page(pg);
	ok_all = 1;
	for (unsigned long k = 0; k < 8; k++) {
		pg = alloc_page_vma(A, A->vm_start + k * PAGE_SIZE);
		if (!pg || pg->nid != nth_node(0xf, A->vm_pgoff + k))
			ok_all = 0;
		if (pg)
			put_page(pg);
	}
	ok(ok_all && refs(vp) == 1, "alloc_page_vma: VMA INTERLEAVE{0-3} follows offset_il_node, VMA ref unchanged");
	pg = alloc_page_vma(C, C->vm_start + 3 * PAGE_SIZE);
	ok(pg && pg->nid == 2 && refs(sp_pol) == 2, "alloc_page_vma: shared PREFERRED 2 -> node 2, ref dropped after the allocation");
	put_page(pg);
	ok_all = 1;
	for (unsigned long k = 8; k < 12; k++) {
		pg = alloc_page_vma(C, C->vm_start + k * PAGE_SIZE);
		if (!pg || pg->nid != nth_node(0xa, C->vm_pgoff + k))
			ok_all = 0;
		if (pg)
			put_page(pg);
	}
	ok(ok_all && refs(sp_il) == 1, "alloc_page_vma: shared INTERLEAVE{1,3} by offset, ref dropped once the node is chosen");
	is_u64(mpol_fault_node(C, C->vm_start + 9 * PAGE_SIZE), nth_node(0xa, 9),
	       "mpol_fault_node: the node alloc_page_vma would choose");
	ok(refs(sp_il) == 1, "mpol_fault_node: shared ref dropped");

	/* ---- hugetlb ---- */
	{
		struct mempolicy *m;
		int nid;

		nid = huge_zonelist(H, H->vm_start, &m, &nm);
		ok(m == hp && nm == &hp->v.nodes && nid == 2 && refs(hp) == 1,
		   "huge_zonelist: VMA BIND{2,3}: *mpol and the policy's own mask, no ref taken");
		mpol_cond_put(m);
		ok(refs(hp) == 1, "dequeue_huge_page's mpol_cond_put: VMA BIND ref unchanged");
		nid = huge_zonelist(A, A->vm_start, &m, &nm);
		ok(!m && !nm && nid == nth_node(0xf, (A->vm_pgoff >> (HPAGE_SHIFT - PAGE_SHIFT)) + 0) &&
		   refs(vp) == 1, "huge_zonelist: VMA INTERLEAVE: no *mpol, VMA ref unchanged");
		nid = huge_zonelist(CH, CH->vm_start, &m, &nm);
		ok(m == hsp && nm == &hsp->v.nodes && nid == 0 && refs(hsp) == 1,
		   "huge_zonelist: SHM_HUGETLB mapping: shm_get_policy gives its vm_policy, no ref taken");
		mpol_cond_put(m);
		ok(refs(hsp) == 1, "dequeue_huge_page's mpol_cond_put: SHM_HUGETLB vm_policy unchanged");
		pg = dequeue_huge_page(CH, CH->vm_start);
		ok(pg && pg->nid == 0 && refs(hsp) == 1,
		   "dequeue_huge_page: SHM_HUGETLB BIND{0} -> node 0, balanced");
		put_page(pg);
		pg = dequeue_huge_page(H, H->vm_start);
		ok(pg && pg->nid == 2 && refs(hp) == 1, "dequeue_huge_page: VMA BIND{2,3} -> node 2, balanced");
		put_page(pg);
	}

	/* ---- migration, shmem ---- */
	pg = alloc_pages_node(0);
	pg->index = C->vm_pgoff + 10;
	{
		struct page *np = new_vma_page(pg, (unsigned long)C, NULL);

		ok(np && np->nid == nth_node(0xa, 10) && refs(sp_il) == 1,
		   "new_vma_page: shared INTERLEAVE at index 10 -> node %d, ref dropped", nth_node(0xa, 10));
		put_page(np);
		pg->index = A->vm_pgoff + 5;
		np = new_vma_page(pg, (unsigned long)A, NULL);
		ok(np && np->nid == nth_node(0xf, A->vm_pgoff + 5) && refs(vp) == 1,
		   "new_vma_page: VMA INTERLEAVE, VMA ref unchanged");
		put_page(np);
	}
	put_page(pg);
	pg = shmem_alloc_page(S, 2);
	ok(pg && pg->nid == 2 && pg->index == 2 && refs(sp_pol) == 2,
	   "shmem_alloc_page: shared PREFERRED 2 -> node 2, alloc_page_vma dropped the ref");
	put_page(pg);
	swapin_readahead_pages = 4;
	pg = shmem_swapin(S, 9);
	ok(pg && pg->nid == nth_node(0xa, 9) && pg->index == 9 && pg->private == 9 && refs(sp_il) == 1,
	   "shmem_swapin: 4-page readahead from one lookup, mpol_cond_copy dropped the ref once");
	put_page(pg);
	{
		/* a pseudo-VMA with INTERLEAVE{0,1} at index 5: node 1; swap entry 5 */
		struct mempolicy *il = newpol(MPOL_INTERLEAVE, 0x3);
		struct vm_area_struct pvma = { .vm_end = PAGE_SIZE, .vm_pgoff = 5, .vm_policy = il };

		mt_fail_nth_set(1);	/* the first read of the cluster fails */
		pg = swapin_readahead(5, &pvma, 0);
		ok(pg && pg->nid == 1 && pg->private == 5 && pg->index == 5 && refs(il) == 1,
		   "swapin_readahead: a failed read ends the readahead; the entry's page is read last, "
		   "at the same addr");
		if (pg)
			put_page(pg);
		mpol_put(il);
	}
	{
		struct mempolicy stackpol, *cp;

		mpol_get(sp_il);
		cp = mpol_cond_copy(&stackpol, sp_il);
		ok(cp == &stackpol && !(cp->flags & MPOL_F_SHARED) && cp->mode == MPOL_INTERLEAVE &&
		   refs(sp_il) == 1, "mpol_cond_copy: on-stack copy without MPOL_F_SHARED, extra ref dropped");
		ok(mpol_cond_copy(&stackpol, vp) == vp && refs(vp) == 1,
		   "mpol_cond_copy: a VMA policy is passed through untouched");
	}
	up_read(&tmm->mmap_sem);

	/* ---- queries ---- */
	ok(do_get_mempolicy(&mode, &got, 0, 0) == 0 && mode == MPOL_BIND && got.bits == 0x6 &&
	   refs(tp) == 1, "do_get_mempolicy: own task policy, no lock, no ref");
	ok(do_get_mempolicy(&mode, &got, A->vm_start, MPOL_F_ADDR) == 0 && mode == MPOL_INTERLEAVE &&
	   got.bits == 0xf && refs(vp) == 1, "do_get_mempolicy MPOL_F_ADDR: VMA policy, ref unchanged");
	ok(do_get_mempolicy(&mode, &got, C->vm_start + 10 * PAGE_SIZE, MPOL_F_ADDR) == 0 &&
	   mode == MPOL_INTERLEAVE && got.bits == 0xa && refs(sp_il) == 1,
	   "do_get_mempolicy MPOL_F_ADDR: shared policy, extra ref dropped");
	mpol_set_current(U);
	ok(do_get_mempolicy(&mode, &got, D->vm_start, MPOL_F_ADDR) == 0 && mode == MPOL_DEFAULT &&
	   got.bits == 0 && refs(&default_policy) == 1, "do_get_mempolicy: default policy untouched");
	/* U reads T's numa_maps */
	ok(show_numa_maps(T, buf, sizeof(buf)) == 5 && strstr(buf, "interleave=0,1,2,3 anon") &&
	   strstr(buf, "bind=1,2 anon") && strstr(buf, "prefer=2 file=shm") &&
	   strstr(buf, "bind=2,3 anon huge") && strstr(buf, "bind=0 file=shm huge"),
	   "show_numa_maps of another task: each VMA's policy, task fallback included");
	ok(refs(tp) == 1 && refs(vp) == 1 && refs(hp) == 1 && refs(sp_pol) == 2 && refs(sp_il) == 1 &&
	   refs(&default_policy) == 1, "show_numa_map: every count back where it was");
	{
		/* as snprintf(): the length it would have, the text cut and terminated */
		char small[8];

		memset(small, 'x', sizeof(small));
		ok(mpol_to_str(small, 6, vp) == 18 && !strcmp(small, "inter") && small[6] == 'x',
		   "mpol_to_str into 6 bytes: 18 counted, \"%s\" kept", small);
		ok(mpol_to_str(small, 1, vp) == 18 && small[0] == '\0' &&
		   mpol_to_str(NULL, 0, vp) == 18, "mpol_to_str into 1 byte and into none");
		ok(mpol_to_str(small, sizeof(small), &default_policy) == 7 && !strcmp(small, "default"),
		   "mpol_to_str of the default policy: exactly its room");
	}

	/* ---- the lock rule and the audit ---- */
	lr = cnt(MT_LOCK_RULE);
	pol = get_vma_policy(T, A, A->vm_start);
	ok(cnt(MT_LOCK_RULE) == lr + 1, "get_vma_policy of another task's VMA without its mmap_sem: lock_rule");
	down_read(&umm->mmap_sem);
	pol = get_vma_policy(T, D, D->vm_start);
	up_read(&umm->mmap_sem);
	ok(pol == tp && cnt(MT_LOCK_RULE) == lr + 2,
	   "get_vma_policy falling back to another task's policy without its mm's mmap_sem: lock_rule");
	mpol_set_current(T);
	{
		struct mpol_audit *a = mpol_audit_begin();

		mpol_audit_task(a, T);
		mpol_audit_task(a, U);
		mpol_audit_shmem(a, S, 1);
		mpol_audit_shmem(a, SH, 1);
		ok(mpol_audit_end(a) == 0 && cnt(MT_LEAKED_REFS) == 0 && cnt(MT_MISSING_REFS) == 0,
		   "audit: every policy's count equals its owners");
	}
	{
		struct mempolicy *orphan = newpol(MPOL_PREFERRED, 0x1);
		struct mpol_audit *a = mpol_audit_begin();
		uint64_t l0 = cnt(MT_LEAKED_REFS), m0 = cnt(MT_MISSING_REFS), o0 = cnt(MT_LEAKED_OBJECTS);

		mpol_get(vp);				/* a leaked ref */
		refcount_dec(&sp_pol->refcnt);		/* a lost ref (2 owners) */
		mpol_audit_task(a, T);
		mpol_audit_task(a, U);
		mpol_audit_shmem(a, S, 1);
		mpol_audit_shmem(a, SH, 1);
		ok(mpol_audit_end(a) == 3 && cnt(MT_LEAKED_REFS) == l0 + 1 && cnt(MT_MISSING_REFS) == m0 + 1 &&
		   cnt(MT_LEAKED_OBJECTS) == o0 + 1 && mt_cache_leaked(R, "numa_policy") == 1,
		   "audit: a leaked ref is leaked_refs, a lost ref missing_refs, "
		   "an orphan policy leaked_objects{numa_policy}");
		lo = cnt(MT_LEAKED_OBJECTS);
		mpol_put(vp);
		refcount_inc(&sp_pol->refcnt);
		mpol_put(orphan);
	}

	/* ---- set_mempolicy, mbind ---- */
	ok(do_set_mempolicy(MPOL_INTERLEAVE, &(nodemask_t){ 0xe }) == 0 && !obj_is_live(tp) &&
	   T->mempolicy && refs(T->mempolicy) == 1 && T->il_next == 1,
	   "do_set_mempolicy: old task policy freed, new one held once, il_next at its first node");
	ok_all = 1;
	for (int k = 0; k < 6; k++) {
		pg = alloc_pages_current();
		if (!pg || pg->nid != nth_node(0xe, (unsigned long)k))
			ok_all = 0;
		if (pg)
			put_page(pg);
	}
	ok(ok_all && refs(T->mempolicy) == 1, "alloc_pages_current: interleave_nodes walks il_next 1,2,3,1,...");
	ok(do_mbind(A->vm_start, A->vm_end - A->vm_start, MPOL_PREFERRED, &(nodemask_t){ 0x8 }) == 0 &&
	   !obj_is_live(vp) && A->vm_policy && refs(A->vm_policy) == 1 && A->vm_policy->v.preferred_node == 3,
	   "do_mbind anon VMA: old policy put (freed), new one held by the VMA only");
	{
		struct mempolicy *whole = A->vm_policy;
		struct vm_area_struct *rest;

		ok(do_mbind(A->vm_start, PAGE_SIZE, MPOL_BIND, &(nodemask_t){ 1 }) == 0 &&
		   (rest = vma_at(tmm, A->vm_end)) && rest != A && rest->vm_start == A->vm_end &&
		   A->vm_end - A->vm_start == PAGE_SIZE && A->vm_policy->mode == MPOL_BIND &&
		   rest->vm_policy != whole && rest->vm_policy->mode == MPOL_PREFERRED &&
		   refs(rest->vm_policy) == 1 && !obj_is_live(whole) &&
		   rest->vm_pgoff == A->vm_pgoff + 1,
		   "do_mbind of an anonymous VMA's first page: split_vma cuts it off, the rest has a copy "
		   "of the old policy (mpol_dup), the old one is put");
		ok(do_mbind(A->vm_start, PAGE_SIZE, MPOL_BIND, &(nodemask_t){ 1 }) == 0 &&
		   do_mbind(A->vm_start + PAGE_SIZE / 2, PAGE_SIZE, MPOL_BIND, &(nodemask_t){ 1 }) == -EINVAL,
		   "do_mbind: a whole piece again needs no split; an unaligned start is refused");
	}
	ok(do_mbind(B->vm_start, C->vm_end - B->vm_start, MPOL_BIND, &(nodemask_t){ 1 }) == -EINVAL &&
	   !B->vm_policy, "do_mbind: one policy for an anonymous and a shmem VMA is refused (no sharing)");
	ok(do_mbind(B->vm_start, B->vm_end - B->vm_start, MPOL_DEFAULT, NULL) == 0 && !B->vm_policy,
	   "do_mbind MPOL_DEFAULT: no VMA policy");
	mpol_get(sp_pol);			/* watch it */
	mpol_get(sp_il);
	ok(do_mbind(C->vm_start + 2 * PAGE_SIZE, 2 * PAGE_SIZE, MPOL_BIND, &(nodemask_t){ 1 }) == 0,
	   "do_mbind of [2,4) of a shmem VMA");
	{
		struct ranges rs = tree(S);

		ok(rs.n == 5 && rs.r[0].end == 2 && rs.r[1].start == 2 && rs.r[1].end == 4 &&
		   rs.r[2].start == 4 && rs.r[2].end == 8 && rs.r[0].pol == sp_pol && rs.r[2].pol == sp_pol &&
		   refs(sp_pol) == 4 && refs(rs.r[1].pol) == 2 && C->vm_policy == rs.r[1].pol &&
		   C->vm_start == c_addr + 2 * PAGE_SIZE && C->vm_end == c_addr + 4 * PAGE_SIZE &&
		   shm_pieces(tmm, S) == 3,
		   "shared_policy_replace split [0,8): sp_pol owned by 3 nodes; the new range's by its node "
		   "and by the VMA split_vma cut for it");
	}
	mpol_set_current(U);
	ok(do_mbind(E->vm_start + 6 * PAGE_SIZE, 4 * PAGE_SIZE, MPOL_PREFERRED, &(nodemask_t){ 2 }) == 0,
	   "do_mbind of [6,10) through the other task's mapping");
	mpol_set_current(T);
	{
		struct ranges rs = tree(S);

		ok(rs.n == 6 && rs.r[2].start == 4 && rs.r[2].end == 6 && rs.r[3].start == 6 &&
		   rs.r[3].end == 10 && rs.r[4].start == 10 && rs.r[4].end == 12 && rs.r[4].pol == sp_il &&
		   refs(sp_il) == 2, "ranges trimmed at both ends of [6,10)");
	}
	ok(do_mbind(c_addr, 16 * PAGE_SIZE, MPOL_BIND, &(nodemask_t){ 0x2 }) == 0 &&
	   (mp = C->vm_policy) && tree(S).n == 3 && tree(S).r[0].pol == mp && refs(mp) == 6 &&
	   (mp->flags & MPOL_F_SHARED) && refs(sp_pol) == 1 && refs(sp_il) == 1,
	   "do_mbind over the three pieces of a tmpfs mapping: every old node's ref put; the new "
	   "policy held by a node and by the vm_policy of each piece (policy_vma)");
	ok(do_mbind(c_addr, 16 * PAGE_SIZE, MPOL_DEFAULT, NULL) == 0 && tree(S).n == 0 &&
	   !C->vm_policy && !obj_is_live(mp), "do_mbind MPOL_DEFAULT over them: tree emptied, vm_policy put");
	mpol_put(sp_pol);
	mpol_put(sp_il);
	ok(!obj_is_live(sp_pol) && !obj_is_live(sp_il), "the shared policies were freed by the last put");

	/* ---- the anonymous fault ---- */
	{
		struct vm_area_struct *F = vm_area_alloc(tmm);
		struct page *fp;
		int r;

		down_write(&tmm->mmap_sem);
		r = anon_vma_setup(F, get_unmapped_area(tmm, 8 * PAGE_SIZE), 8);
		F->vm_policy = newpol(MPOL_PREFERRED, 0x8);
		if (r || insert_vm_struct(tmm, F))
			tap_bail("anonymous VMA");
		up_write(&tmm->mmap_sem);
		down_read(&tmm->mmap_sem);
		r = handle_mm_fault(F, F->vm_start + PAGE_SIZE);
		fp = vma_pgtable(F)->pte[1];
		up_read(&tmm->mmap_sem);
		ok(r == 0 && fp && fp->nid == 3 && page_mapped(fp) && refs(F->vm_policy) == 1,
		   "handle_mm_fault: do_anonymous_page allocates by the VMA's PREFERRED 3 (alloc_page_vma)");
	}

	/* ---- segment destroy, exit ---- */
	mp = newpol(MPOL_INTERLEAVE, 0x3);
	ok(mpol_set_shared_policy(&S->policy, 0, 16, mp) == 0 && refs(mp) == 2, "a new range policy");
	mpol_put(mp);
	unmap_segment(tmm, S);
	unmap_segment(umm, S);
	ok(refcount_read(&S->count) == 1 && obj_is_live(mp),
	   "every piece of both mappings unmapped: the segment's creator ref remains");
	shmem_put(S);
	ok(!obj_is_live(mp) && kmem_cache_live(sn_cache) == 0,
	   "shm destroy: mpol_free_shared_policy put the tree's policies (SH has none)");
	exit_mm(T);
	exit_mempolicy(T);
	put_task_struct(T);
	exit_mm(U);
	exit_mempolicy(U);
	put_task_struct(U);
	shmem_put(SH);
	rcu_barrier();
	ok(kmem_cache_live(policy_cache) == 0 && kmem_cache_live(shmem_inode_cachep) == 0 &&
	   kmem_cache_live(sn_cache) == 0, "exit: every policy, segment and node freed");
	uaf = cnt(MT_USE_AFTER_FREE);
	ok(mt_races_total(R) == 2 && cnt(MT_LOCK_RULE) == 2 && uaf == 0,
	   "no race counted but the two lock_rules provoked");
	anon_vma_fini();
	anon_memory_fini();
	shmem_fini();
	mempolicy_fini();
	mm_core_fini();
	ok(mt_counter_read(R, MT_LEAKED_OBJECTS) == lo, "caches destroyed: nothing leaked");
	rcu_unregister_thread();
	tap_done();
	mt_region_destroy(R);
	return tap_exit();
}
