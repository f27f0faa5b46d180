/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test plugin "swap": between two entries, swaps a directory of the root
 * for a symlink out of it, the way a hostile process sharing the tree
 * could while cairn works.  `path` is a top-level directory of the root
 * that already exists (the image ships it); setup renames it to
 * ".NAME.swap-aside" and puts a symlink NAME -> `to` (a host directory) in
 * its place.  A later entry whose target is under `path` must be refused,
 * not created or mounted on the host.  Teardown (rollback) undoes the swap,
 * so the root is as given afterwards; it is idempotent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairn/plugin.h>

static const char *top_level_name(struct cairn_ctx *ctx, const char *path)
{
        if (!path || path[0] != '/' || !path[1] || strchr(path + 1, '/')) {
                cairn_log(ctx, CAIRN_LOG_ERR, "path \"%s\" is not a top-level name",
                          path ? path : "");
                return NULL;
        }
        return path + 1;
}

static int aside_name(struct cairn_ctx *ctx, const char *name, char buf[static 256])
{
        if (snprintf(buf, 256, ".%s.swap-aside", name) >= 256)
                return cairn_log_errno(ctx, -ENAMETOOLONG, "/%s", name);
        return 0;
}

static int swap_setup(struct cairn_ctx *ctx)
{
        const char *name = top_level_name(ctx, cairn_ctx_option(ctx, "path"));
        const char *to = cairn_ctx_option(ctx, "to");
        int root = cairn_ctx_root_fd(ctx);
        char aside[256];
        struct stat st;
        int r;

        if (!name)
                return -EINVAL;
        r = aside_name(ctx, name, aside);
        if (r < 0)
                return r;
        if (fstatat(root, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                return cairn_log_errno(ctx, -ENOTDIR, "/%s must be a directory to swap", name);
        if (renameat(root, name, root, aside) < 0)
                return cairn_log_errno(ctx, errno > 0 ? -errno : -EIO, "rename /%s", name);
        if (symlinkat(to, root, name) < 0) {
                r = errno > 0 ? -errno : -EIO;
                (void) renameat(root, aside, root, name);
                return cairn_log_errno(ctx, r, "symlink /%s -> %s", name, to);
        }
        cairn_log(ctx, CAIRN_LOG_NOTICE, "swapped /%s for a symlink to %s", name, to);
        return 0;
}

static int swap_teardown(struct cairn_ctx *ctx)
{
        const char *name = top_level_name(ctx, cairn_ctx_option(ctx, "path"));
        int root = cairn_ctx_root_fd(ctx);
        char aside[256];
        struct stat st;
        int r;

        if (!name)
                return -EINVAL;
        r = aside_name(ctx, name, aside);
        if (r < 0)
                return r;
        if (fstatat(root, aside, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : cairn_log_errno(ctx, -errno, "stat /%s", aside);
        if (fstatat(root, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (!S_ISLNK(st.st_mode))
                        return cairn_log_errno(ctx, -EEXIST, "/%s is no longer our symlink", name);
                if (unlinkat(root, name, 0) < 0)
                        return cairn_log_errno(ctx, errno > 0 ? -errno : -EIO, "remove /%s", name);
        }
        if (renameat(root, aside, root, name) < 0)
                return cairn_log_errno(ctx, errno > 0 ? -errno : -EIO, "rename /%s back", aside);
        return 0;
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "swap",
        .summary = "test: swap a directory of the root for a symlink out of it",
        .options = (const struct cairn_option[]) {
                { .name = "path", .type = CAIRN_OPT_PATH, .flags = CAIRN_OPT_REQUIRED,
                  .help = "a top-level directory inside the root" },
                { .name = "to", .type = CAIRN_OPT_STRING, .flags = CAIRN_OPT_REQUIRED,
                  .help = "what the symlink points to" },
                { .name = NULL },
        },
        .setup = swap_setup,
        .teardown = swap_teardown,
};
