/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * migrate.h - moving an anonymous page to another node while its
 * anon_vma is pinned by an external reference (mm/migrate.c,
 * unmap_and_move(), seed 002).
 */
#ifndef MT_MIGRATE_H
#define MT_MIGRATE_H

#include "lib/mm/mm.h"

/**
 * unmap_and_move - move @page to a new page on node @nid
 *
 * A new page is allocated; the anon_vma is looked up and locked with
 * page_lock_anon_vma() (its recheck proves it is the page's), an external
 * reference is taken under the root lock "so that it is guaranteed to
 * exist when the page is remapped later", and every pte of the old page
 * becomes a migration entry (try_to_unmap()); then, without any lock, the
 * page is copied; then, under the root lock again, every entry left is
 * replaced by the new page (remove_migration_ptes()); then the reference
 * is dropped with drop_anon_vma().
 * Context: the caller isolated @page (holds a reference, the page is off
 * the LRU) and puts it back afterwards; registered thread, no lock held.
 * Return: 0 if at least one pte now maps the new page, -EAGAIN if the
 * page was unmapped meanwhile, -ENOMEM.
 */
int unmap_and_move(struct page *page, int nid);

#endif /* MT_MIGRATE_H */
