/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dev: a minimal /dev at `target` (default /dev), as bubblewrap's --dev
 * makes one:
 *
 *     TARGET        a tmpfs, mode 0755, nosuid,nodev,noexec
 *     null zero full random urandom tty
 *                   the host's nodes, bound (each opened without following
 *                   a symlink, checked to be a character device, bound
 *                   through that descriptor, checked again in the root)
 *     pts           a private devpts (newinstance, ptmxmode=0666, mode=620),
 *                   nosuid,noexec
 *     ptmx          -> pts/ptmx
 *     shm           a tmpfs, mode 1777, nosuid,nodev
 *     fd            -> /proc/self/fd
 *     stdin stdout stderr -> /proc/self/fd/0, 1, 2
 *
 * The tmpfs is nodev: the device nodes in it are binds, each its own
 * mount of the host's /dev, so they work, and nothing made in the
 * sandbox's /dev later can be a device.  Everything goes through the
 * journaled helpers: the engine undoes it all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairn/plugin.h>

static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };

static const struct {
        const char *name, *to;
} links[] = {
        { "ptmx", "pts/ptmx" },
        { "fd", "/proc/self/fd" },
        { "stdin", "/proc/self/fd/0" },
        { "stdout", "/proc/self/fd/1" },
        { "stderr", "/proc/self/fd/2" },
};

/* TARGET/NAME, or /NAME for a target of "/" (refused by check). */
static int join(char *buf, size_t size, const char *target, const char *name)
{
        if ((size_t) snprintf(buf, size, "%s/%s", strcmp(target, "/") ? target : "", name) >= size)
                return -ENAMETOOLONG;
        return 0;
}

/* The host's /dev/NAME at TARGET/NAME. */
static int bind_device(struct cairn_ctx *ctx, const char *name, const char *path)
{
        char host[64];
        struct stat st, mst;
        int fd, mfd = -1, r;

        snprintf(host, sizeof host, "/dev/%s", name);
        fd = open(host, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return cairn_log_errno(ctx, -errno, "open %s", host);
        if (fstat(fd, &st) < 0) {
                r = cairn_log_errno(ctx, -errno, "stat %s", host);
                goto out;
        }
        if (!S_ISCHR(st.st_mode)) {
                r = cairn_log_errno(ctx, -ENODEV, "%s is not a character device", host);
                goto out;
        }
        r = cairn_bind_fd(ctx, fd, path, 0, &mfd);
        if (r < 0)
                goto out;
        if (fstat(mfd, &mst) < 0)
                r = cairn_log_errno(ctx, -errno, "stat %s in the root", path);
        else if (!S_ISCHR(mst.st_mode) || mst.st_rdev != st.st_rdev)
                r = cairn_log_errno(ctx, -EXDEV, "%s in the root is not the host's %s", path, host);
        close(mfd);
out:
        close(fd);
        return r;
}

static int dev_setup(struct cairn_ctx *ctx)
{
        const char *target = cairn_ctx_option(ctx, "target");
        char path[4096];
        int r;

        if (!target)
                return cairn_log_errno(ctx, -EINVAL, "no target");
        r = cairn_mount_fs_opts(ctx, "tmpfs", "tmpfs", target,
                                CAIRN_MOUNT_NOSUID | CAIRN_MOUNT_NODEV | CAIRN_MOUNT_NOEXEC, "mode=0755",
                                NULL);
        if (r < 0)
                return r; /* each helper says what failed */

        for (size_t i = 0; i < sizeof devices / sizeof *devices; i++) {
                r = join(path, sizeof path, target, devices[i]);
                if (r < 0)
                        return cairn_log_errno(ctx, r, "%s/%s", target, devices[i]);
                r = bind_device(ctx, devices[i], path);
                if (r < 0)
                        return r;
        }

        r = join(path, sizeof path, target, "pts");
        if (r >= 0)
                r = cairn_mount_fs_opts(ctx, "devpts", "devpts", path, CAIRN_MOUNT_NOSUID | CAIRN_MOUNT_NOEXEC,
                                        "newinstance,ptmxmode=0666,mode=620", NULL);
        if (r < 0)
                return r;
        r = join(path, sizeof path, target, "shm");
        if (r >= 0)
                r = cairn_mount_fs_opts(ctx, "tmpfs", "tmpfs", path, CAIRN_MOUNT_NOSUID | CAIRN_MOUNT_NODEV,
                                        "mode=1777", NULL);
        if (r < 0)
                return r;

        for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
                r = join(path, sizeof path, target, links[i].name);
                if (r >= 0)
                        r = cairn_symlink(ctx, path, links[i].to);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dev_check(struct cairn_ctx *ctx)
{
        const char *target = cairn_ctx_option(ctx, "target");

        if (target && strcmp(target, "/") == 0)
                return cairn_ctx_config_error(ctx, "target", "cannot mount over the root itself");
        return 0;
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "dev",
        .summary = "a minimal /dev: a tmpfs with null, zero, full, random, urandom, tty, pts, shm",
        .options = (const struct cairn_option[]) {
                { .name = "target", .type = CAIRN_OPT_PATH, .default_value = "/dev",
                  .help = "where, inside the root" },
                { .name = NULL },
        },
        .setup = dev_setup,
        .check = dev_check,
};
