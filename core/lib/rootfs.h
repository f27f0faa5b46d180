/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mount on a root cairn makes ([cairn] root_fs, root_readonly): a
 * fresh tmpfs, so that everything cairn and the workload put in the root
 * lives and dies with that one mount (teardown unmounts it and removes
 * one empty directory: nothing a workload writes can block it, or be
 * deleted from the host's filesystem), or, for root_fs = dir with
 * root_readonly, the directory bound onto itself (a mount whose flags
 * can be changed without touching the filesystem it is on).  Made
 * detached, journaled (J_ROOTFS, with its unique mount ID) and only then
 * attached; unmounted by undo.c.
 */
#ifndef CAIRN_ROOTFS_H
#define CAIRN_ROOTFS_H

#include <stdbool.h>

#include "config.h"
#include "ctx.h"
#include "journal.h"

/* Whether a root cairn makes gets a mount of its own under this config. */
bool rootfs_wanted(const struct cfg *cfg);

/* Attach it on s->root_fd (the fresh directory `name` in `parent_fd`),
 * then make s->root_fd the mount's root (mode 0700 until setup is done),
 * and s->root_dev/ino its identity.  Errors are logged. */
int rootfs_attach(const struct cfg *cfg, struct session *s, int parent_fd, const char *name);

/* root_readonly: make the root's own mount read-only (the mounts in it
 * keep their flags), and check that it is. */
int rootfs_seal(struct session *s);

/* Undo rootfs_seal() on the mount whose root is `fd` (a bind's: the
 * names cairn made in the directory must be removed through it). */
int rootfs_unseal(int fd);

/* Whether `fd` is the root of the session's root mount, as the journal
 * records it (`jr`, which has one). */
bool rootfs_is(int fd, const struct journal_root *jr);

#endif
