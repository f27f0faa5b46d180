/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The journaled actions behind the plugin helpers: make mount points,
 * mount a fresh filesystem, bind, all through descriptors beneath the
 * root.  Each action is journaled before it is done; its undo is in undo.c.
 */
#ifndef CAIRN_ACTIONS_H
#define CAIRN_ACTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctx.h"

/* Make every missing directory of `path` (journaled; `mode` for the last
 * one, 0755 for its parents) and return an O_PATH descriptor of it. */
/* A helper's target, resolved inside the root (inroot.h) where a symlink
 * is on the way: *path then points to *owned (the caller frees it), the
 * path everything after uses and journals.  `follow_last`: a mount
 * target or a directory (a symlink at the last name is followed too); not
 * for a name to be made (a symlink there is not followed).  Logged. */
int target_in_root(struct cairn_ctx *ctx, const char **path, bool follow_last, char **owned);

/* What cairn just made at `name` in `dirfd`, owned by the session's
 * made_uid:made_gid when it asks (a warning if that fails). */
void made_owned(struct cairn_ctx *ctx, int dirfd, const char *name);

int make_dirs(struct cairn_ctx *ctx, const char *path, mode_t mode, int *ret_fd);

/* A mount made detached, about to be attached at `path`.  Its J_MOUNT
 * record carries its unique ID (never given to another mount), so the
 * undo knows it for certain whether the crash came before or after the
 * attach, and no J_MOUNTED (the mountinfo ID, which the kernel reuses)
 * follows the attach; with that ID, the J_MOUNT goes out in the same
 * journal write as the mount point cairn makes for it.  The records are
 * in the order the undo needs (reversed: unmount, then remove). */
struct mount_intent {
        const char *what;   /* J_MOUNT's second field: fs type or "bind" */
        uint64_t unique;    /* its unique mount ID; 0: unknown (then no
                             * early announcement: see attach()) */
        uint64_t seq;       /* the J_MOUNT record, once on_record */
        bool on_record;
};

/* An O_PATH descriptor of the mount point `path` (a target the caller
 * checked, not "/"), made (journaled) as a
 * directory or an empty file when missing; an existing one must be of the
 * same kind.  With `mi` whose unique ID is known, a mount point made here
 * goes on record with the mount's J_MOUNT (mi->on_record); one that was
 * there does not. */
int make_mount_point(struct cairn_ctx *ctx, const char *path, bool dir, struct mount_intent *mi,
                     int *ret_fd);

/* What the undo can know a detached mount (fsmount, open_tree) by: its
 * unique ID, or 0 where the kernel has none or statmount(2) is refused. */
uint64_t detached_mount_unique_id(int mnt_fd);

/* One filesystem parameter of cairn_mount_fs_opts(): KEY=VALUE, or a
 * FLAG word (value NULL). */
struct fs_option {
        char *key;
        char *value;
};

/* Split "KEY=VALUE,FLAG,..." into its parameters (*ret_n of them; NULL
 * or "" is none).  -EINVAL for an empty word (",,", a leading or trailing
 * comma) or key ("=VALUE"), or a blank in a key; -ENOMEM. */
int fs_options_parse(const char *s, struct fs_option **ret, size_t *ret_n);
void fs_options_free(struct fs_option *o, size_t n);

#endif
