/* SPDX-License-Identifier: Apache-2.0 */
/* Test plugin "tmpfs": a tmpfs at `target`, for stacks of any length. */
#include <cairn/plugin.h>

static int tmpfs_setup(struct cairn_ctx *ctx)
{
        const char *target = cairn_ctx_option(ctx, "target");
        int r;

        r = cairn_mount_fs(ctx, "tmpfs", "cairn-test", target, CAIRN_MOUNT_NOSUID | CAIRN_MOUNT_NODEV,
                           NULL);
        if (r < 0)
                return cairn_log_errno(ctx, r, "mount tmpfs on %s", target);
        return 0;
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "tmpfs",
        .summary = "test: mount a tmpfs",
        .options = (const struct cairn_option[]) {
                { .name = "target", .type = CAIRN_OPT_PATH, .flags = CAIRN_OPT_REQUIRED,
                  .help = "where to mount it, inside the root" },
                { .name = NULL },
        },
        .setup = tmpfs_setup,
};
