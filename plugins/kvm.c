/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kvm: bind the KVM device (`device`, default /dev/kvm) into the root at
 * the same path.
 *
 * The host node is opened without following a symlink and checked to be a
 * character device before anything is mounted; the bind is made through
 * that descriptor, so what was checked is what gets bound, and the result
 * is checked to be the same device.  The host node's mode is never
 * changed (the seed chmod'ed it 0777).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cairn/plugin.h>

static const char *file_type(mode_t mode)
{
        static const struct {
                mode_t type;
                const char *name;
        } types[] = {
                { S_IFREG, "a regular file" }, { S_IFDIR, "a directory" },
                { S_IFLNK, "a symlink" },      { S_IFBLK, "a block device" },
                { S_IFCHR, "a character device" }, { S_IFIFO, "a FIFO" },
                { S_IFSOCK, "a socket" },
        };

        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
                if ((mode & S_IFMT) == types[i].type)
                        return types[i].name;
        return "of unknown type";
}

static int kvm_setup(struct cairn_ctx *ctx)
{
        const char *device = cairn_ctx_option(ctx, "device");
        struct stat st, mst;
        int fd, mfd = -1, r;

        fd = open(device, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return cairn_log_errno(ctx, errno > 0 ? -errno : -EIO, "open %s", device);
        if (fstat(fd, &st) < 0) {
                r = cairn_log_errno(ctx, errno > 0 ? -errno : -EIO, "stat %s", device);
                goto done;
        }
        if (!S_ISCHR(st.st_mode)) {
                r = cairn_log_errno(ctx, -ENODEV, "%s is %s, not a character device", device,
                                    file_type(st.st_mode));
                goto done;
        }

        r = cairn_bind_fd(ctx, fd, device, 0, &mfd);
        if (r < 0)
                goto done; /* the helper said what failed */
        if (fstat(mfd, &mst) < 0)
                r = cairn_log_errno(ctx, errno > 0 ? -errno : -EIO, "stat %s in the root", device);
        else if (!S_ISCHR(mst.st_mode) || mst.st_rdev != st.st_rdev)
                r = cairn_log_errno(ctx, -EXDEV,
                                    "%s in the root is %s %u:%u, not the host's %u:%u", device,
                                    file_type(mst.st_mode), major(mst.st_rdev),
                                    minor(mst.st_rdev), major(st.st_rdev), minor(st.st_rdev));
        close(mfd);
done:
        close(fd);
        return r;
}

/* The device is bound at its own path inside the root: not "/". */
static int kvm_check(struct cairn_ctx *ctx)
{
        const char *device = cairn_ctx_option(ctx, "device");

        if (device && strcmp(device, "/") == 0)
                return cairn_ctx_config_error(ctx, "device", "\"/\" is not a device path");
        return 0;
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "kvm",
        .summary = "bind the KVM character device into the root at the same path",
        .options = (const struct cairn_option[]) {
                { .name = "device", .type = CAIRN_OPT_PATH, .default_value = "/dev/kvm",
                  .help = "the host's KVM device node" },
                { .name = NULL },
        },
        .setup = kvm_setup,
        .check = kvm_check,
};
