/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proc: a fresh procfs at `target` (default /proc), nosuid,nodev,noexec,
 * read-only with `readonly = yes`.
 *
 * Where a fresh procfs is refused (EPERM or EBUSY: a user namespace whose
 * /proc has something mounted over part of it, as a container runtime
 * masks /proc/kcore or /proc/sys), `fallback = bind` binds the host's
 * /proc instead, with every mount beneath it, all read-only (as gVisor's
 * runsc/cmd/chroot.go does), with a notice; `fallback = none` (the
 * default) fails.
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
        const char *fallback = cairn_ctx_option(ctx, "fallback");
        unsigned attrs = CAIRN_MOUNT_NOSUID | CAIRN_MOUNT_NODEV | CAIRN_MOUNT_NOEXEC;
        struct statfs sfs;
        int fd = -1, r;

        if (cairn_ctx_option_bool(ctx, "readonly", false))
                attrs |= CAIRN_MOUNT_RDONLY;
        r = cairn_mount_fs(ctx, "proc", "proc", target, attrs, &fd);
        if ((r == -EPERM || r == -EBUSY) && fallback && strcmp(fallback, "bind") == 0) {
                cairn_log(ctx, CAIRN_LOG_NOTICE,
                          "a fresh procfs was refused (%s); binding the host's /proc at %s instead, "
                          "read-only, with the mounts beneath it (fallback = bind)",
                          strerror(-r), target);
                r = cairn_bind(ctx, "/proc", target, CAIRN_BIND_RECURSIVE | CAIRN_BIND_RDONLY, &fd);
        }
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

static const char *const fallback_choices[] = { "none", "bind", NULL };

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "proc",
        .summary = "mount a fresh procfs (nosuid,nodev,noexec)",
        .options = (const struct cairn_option[]) {
                { .name = "target", .type = CAIRN_OPT_PATH, .default_value = "/proc",
                  .help = "where to mount it, inside the root" },
                { .name = "readonly", .type = CAIRN_OPT_BOOL, .default_value = "no",
                  .help = "mount it read-only" },
                { .name = "fallback", .type = CAIRN_OPT_CHOICE, .default_value = "none",
                  .help = "if a fresh procfs is refused: none (fail) or bind (the host's, read-only)",
                  .choices = fallback_choices },
                { .name = NULL },
        },
        .setup = proc_setup,
        .check = proc_check,
};
