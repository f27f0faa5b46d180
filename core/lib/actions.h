/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The journaled actions behind the plugin helpers: make mount points,
 * mount a fresh filesystem, bind, all through descriptors beneath the
 * root.  Each action is journaled before it is done; its undo is in undo.c.
 */
#ifndef CAIRN_ACTIONS_H
#define CAIRN_ACTIONS_H

#include <stdbool.h>
#include <sys/types.h>

#include "ctx.h"

/* Make every missing directory of `path` (journaled; `mode` for the last
 * one, 0755 for its parents) and return an O_PATH descriptor of it. */
int make_dirs(struct cairn_ctx *ctx, const char *path, mode_t mode, int *ret_fd);

/* An O_PATH descriptor of the mount point `path`, made (journaled) as a
 * directory or an empty file when missing; an existing one must be of the
 * same kind. */
int make_mount_point(struct cairn_ctx *ctx, const char *path, bool dir, int *ret_fd);

#endif
