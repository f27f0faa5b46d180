/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc: a fresh procfs at `target` (default /proc), nosuid,nodev,noexec.
 *
 * The seed mounted proc with no flags and then chmod'ed the mount point;
 * here the attributes are set when the mount is made, and what got mounted
 * is checked through the descriptor the helper returns (statfs), not
 * assumed from the path.
 */
#include <errno.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cairn/plugin.h>

static int proc_setup(struct cairn_ctx *ctx)
{
        const char *target = cairn_ctx_option(ctx, "target");
        struct statfs sfs;
        int fd = -1, r;

        r = cairn_mount_fs(ctx, "proc", "proc", target,
                           CAIRN_MOUNT_NOSUID | CAIRN_MOUNT_NODEV | CAIRN_MOUNT_NOEXEC, &fd);
        if (r < 0)
                return r; /* the helper said what failed */

        if (fstatfs(fd, &sfs) < 0)
                r = cairn_log_errno(ctx, errno > 0 ? -errno : -EIO, "statfs %s", target);
        else if (sfs.f_type != PROC_SUPER_MAGIC)
                r = cairn_log_errno(ctx, -EXDEV,
                                    "%s is not procfs after mounting proc (f_type 0x%lx)", target,
                                    (unsigned long) sfs.f_type);
        close(fd);
        return r;
}

static int proc_check(struct cairn_ctx *ctx)
{
        const char *target = cairn_ctx_option(ctx, "target");

        if (target && strcmp(target, "/") == 0)
                return cairn_ctx_config_error(ctx, "target", "cannot mount over the root itself");
        return 0;
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "proc",
        .summary = "mount a fresh procfs (nosuid,nodev,noexec)",
        .options = (const struct cairn_option[]) {
                { .name = "target", .type = CAIRN_OPT_PATH, .default_value = "/proc",
                  .help = "where to mount it, inside the root" },
                { .name = NULL },
        },
        .setup = proc_setup,
        .check = proc_check,
};
