/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cairn_bind_device(): a host device node bound into the root at its own
 * path, for kvm, devices and vendors' plugins (ABI 1.2).
 *
 * The node is opened without following a symlink and checked to be a
 * device of the kind asked for before anything is mounted; the bind goes
 * through that descriptor (cairn_bind_fd(), journaled), so what was
 * checked is what gets bound, and the node in the root is checked to be
 * the same device.  The host node's mode is never changed (the seed,
 * gVisor's 2018 runsc/sandbox/chroot.go, chmod'ed /dev/kvm 0777).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ctx.h"
#include "util.h"

#define DEVICE_KINDS (CAIRN_DEVICE_CHAR | CAIRN_DEVICE_BLOCK)

static const char *file_type(mode_t mode)
{
        switch (mode & S_IFMT) {
        case S_IFREG: return "a regular file";
        case S_IFDIR: return "a directory";
        case S_IFLNK: return "a symlink";
        case S_IFBLK: return "a block device";
        case S_IFCHR: return "a character device";
        case S_IFIFO: return "a FIFO";
        case S_IFSOCK: return "a socket";
        default: return "of unknown type";
        }
}

static bool kind_wanted(mode_t mode, unsigned kinds)
{
        return (S_ISCHR(mode) && (kinds & CAIRN_DEVICE_CHAR)) ||
               (S_ISBLK(mode) && (kinds & CAIRN_DEVICE_BLOCK));
}

static const char *kind_name(unsigned kinds)
{
        return kinds == CAIRN_DEVICE_CHAR    ? "a character device"
               : kinds == CAIRN_DEVICE_BLOCK ? "a block device"
                                             : "a device node";
}

CAIRN_API int cairn_bind_device(struct cairn_ctx *ctx, const char *path, unsigned flags)
{
        unsigned kinds = flags & DEVICE_KINDS ? flags & DEVICE_KINDS : DEVICE_KINDS;
        _cleanup_close_ int fd = -1, mfd = -1;
        struct stat st, mst;
        int r;

        if (!path || path[0] != '/')
                return cairn_log_errno(ctx, -EINVAL, "device \"%s\" is not an absolute path",
                                       path ? path : "(null)");
        if (flags & ~(DEVICE_KINDS | CAIRN_BIND_RDONLY))
                return cairn_log_errno(ctx, -EINVAL, "bind %s: flags 0x%x not known", path, flags);

        fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return cairn_log_errno(ctx, negative_errno(), "open %s", path);
        if (fstat(fd, &st) < 0)
                return cairn_log_errno(ctx, negative_errno(), "stat %s", path);
        if (!kind_wanted(st.st_mode, kinds))
                return cairn_log_errno(ctx, -ENODEV, "%s is %s, not %s", path, file_type(st.st_mode),
                                       kind_name(kinds));

        r = cairn_bind_fd(ctx, fd, path, flags & CAIRN_BIND_RDONLY, &mfd);
        if (r < 0)
                return r; /* the helper said what failed */
        if (fstat(mfd, &mst) < 0)
                return cairn_log_errno(ctx, negative_errno(), "stat %s in the root", path);
        if ((mst.st_mode & S_IFMT) != (st.st_mode & S_IFMT) || mst.st_rdev != st.st_rdev)
                return cairn_log_errno(ctx, -EXDEV, "%s in the root is %s %u:%u, not the host's %s %u:%u",
                                       path, file_type(mst.st_mode), major(mst.st_rdev),
                                       minor(mst.st_rdev), file_type(st.st_mode), major(st.st_rdev),
                                       minor(st.st_rdev));
        cairn_log(ctx, CAIRN_LOG_DEBUG, "bound %s (%u:%u)", path, major(st.st_rdev), minor(st.st_rdev));
        return 0;
}
