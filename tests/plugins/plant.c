/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test plugin "plant": plants a symlink at `path` inside the root (a
 * top-level name) pointing at `to` (typically a host directory), the way a
 * hostile or careless earlier step could.  A later entry that mounts at
 * `path`/... must be refused (the seed joined paths as strings and would
 * have mounted onto the host).  Not made through the journaled helpers, so
 * this plugin has a teardown that removes it (the built-in plugin symlink
 * makes one journaled, and refuses a path that exists).
 */
#include <errno.h>
#include <fcntl.h>
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

static int plant_setup(struct cairn_ctx *ctx)
{
        const char *name = top_level_name(ctx, cairn_ctx_option(ctx, "path"));
        const char *to = cairn_ctx_option(ctx, "to");

        if (!name)
                return -EINVAL;
        if (symlinkat(to, cairn_ctx_root_fd(ctx), name) < 0)
                return cairn_log_errno(ctx, errno > 0 ? -errno : -EIO, "symlink /%s -> %s", name,
                                       to);
        return 0;
}

static int plant_teardown(struct cairn_ctx *ctx)
{
        const char *name = top_level_name(ctx, cairn_ctx_option(ctx, "path"));
        struct stat st;

        if (!name)
                return -EINVAL;
        if (fstatat(cairn_ctx_root_fd(ctx), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : cairn_log_errno(ctx, -errno, "stat /%s", name);
        if (!S_ISLNK(st.st_mode))
                return cairn_log_errno(ctx, -EEXIST, "/%s is no longer a symlink; left alone",
                                       name);
        if (unlinkat(cairn_ctx_root_fd(ctx), name, 0) < 0)
                return cairn_log_errno(ctx, errno > 0 ? -errno : -EIO, "remove /%s", name);
        return 0;
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "plant",
        .summary = "test: plant a symlink inside the root",
        .options = (const struct cairn_option[]) {
                { .name = "path", .type = CAIRN_OPT_PATH, .flags = CAIRN_OPT_REQUIRED,
                  .help = "a top-level name inside the root" },
                { .name = "to", .type = CAIRN_OPT_STRING, .flags = CAIRN_OPT_REQUIRED,
                  .help = "what the symlink points to" },
                { .name = NULL },
        },
        .setup = plant_setup,
        .teardown = plant_teardown,
};
