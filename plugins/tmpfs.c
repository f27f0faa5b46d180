/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tmpfs: a fresh tmpfs at `target`, always nosuid,nodev; noexec unless
 * `noexec = no`, read-only with `readonly = yes`.  `size` (bytes, k, m,
 * g or t) caps it (default: the kernel's, half of RAM), `mode` is its root
 * directory's mode (default 0755), given to the filesystem when it is
 * made, so the mount point is never chmod'ed afterwards.
 *
 *     [scratch]
 *     plugin = tmpfs
 *     target = /tmp
 *     size   = 64m
 *     mode   = 1777
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cairn/plugin.h>

static int tmpfs_setup(struct cairn_ctx *ctx)
{
        const char *target = cairn_ctx_option(ctx, "target");
        const char *mode = cairn_ctx_option(ctx, "mode");
        unsigned attrs = CAIRN_MOUNT_NOSUID | CAIRN_MOUNT_NODEV;
        char options[96];
        struct statfs sfs;
        int64_t size;
        int fd = -1, r;

        if (cairn_ctx_option_bool(ctx, "noexec", true))
                attrs |= CAIRN_MOUNT_NOEXEC;
        if (cairn_ctx_option_bool(ctx, "readonly", false))
                attrs |= CAIRN_MOUNT_RDONLY;
        r = cairn_ctx_option_int(ctx, "size", 0, &size);
        if (r < 0 && r != -ENOENT)
                return cairn_log_errno(ctx, r, "size");
        /* The engine checked both: an octal mode, a size in bytes. */
        if (r == 0)
                snprintf(options, sizeof options, "mode=%s,size=%" PRId64, mode ? mode : "0755", size);
        else
                snprintf(options, sizeof options, "mode=%s", mode ? mode : "0755");

        r = cairn_mount_fs_opts(ctx, "tmpfs", "tmpfs", target, attrs, options, &fd);
        if (r < 0)
                return r; /* the helper said what failed */
        if (fstatfs(fd, &sfs) < 0)
                r = cairn_log_errno(ctx, errno > 0 ? -errno : -EIO, "statfs %s", target);
        else if (sfs.f_type != TMPFS_MAGIC)
                r = cairn_log_errno(ctx, -EXDEV, "%s is not a tmpfs after mounting one (f_type 0x%lx)",
                                    target, (unsigned long) sfs.f_type);
        close(fd);
        return r;
}

static int tmpfs_check(struct cairn_ctx *ctx)
{
        const char *target = cairn_ctx_option(ctx, "target");

        if (target && strcmp(target, "/") == 0)
                return cairn_ctx_config_error(ctx, "target", "cannot mount over the root itself");
        return 0;
}

/* At least a page; the kernel takes no more than it can count. */
static const struct cairn_int_range size_range = { 4096, INT64_C(1) << 50 };

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "tmpfs",
        .summary = "mount a fresh tmpfs (nosuid,nodev; noexec by default)",
        .options = (const struct cairn_option[]) {
                { .name = "target", .type = CAIRN_OPT_PATH, .flags = CAIRN_OPT_REQUIRED,
                  .help = "where to mount it, inside the root" },
                { .name = "size", .type = CAIRN_OPT_SIZE, .range = &size_range,
                  .help = "its size limit (k, m, g, t); default: the kernel's" },
                { .name = "mode", .type = CAIRN_OPT_MODE, .default_value = "0755",
                  .help = "the mode of its root directory" },
                { .name = "readonly", .type = CAIRN_OPT_BOOL, .default_value = "no",
                  .help = "mount it read-only" },
                { .name = "noexec", .type = CAIRN_OPT_BOOL, .default_value = "yes",
                  .help = "mount it noexec" },
                { .name = NULL },
        },
        .setup = tmpfs_setup,
        .check = tmpfs_check,
};
