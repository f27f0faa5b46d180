/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "resolve.h"
#include "util.h"

int open_beneath(int root_fd, const char *path, int flags, int *ret_fd)
{
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        const char *rel = path;
        long fd;

        while (*rel == '/')
                rel++;
        if (!*rel)
                rel = ".";
        do
                fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
        while (fd < 0 && (errno == EAGAIN || errno == EINTR));
        if (fd < 0)
                return negative_errno();
        *ret_fd = (int) fd;
        return 0;
}

int open_parent_beneath(int root_fd, const char *path, int *ret_dirfd, const char **ret_name)
{
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *parent = NULL;
        int r;

        if (!slash || !slash[1])
                return -EINVAL;
        parent = strndup(path, (size_t) (slash - path));
        if (!parent)
                return -ENOMEM;
        r = open_beneath(root_fd, parent, O_PATH | O_DIRECTORY, ret_dirfd);
        if (r < 0)
                return r;
        *ret_name = slash + 1;
        return 0;
}

int fd_mount_id(int fd, uint64_t *ret_id)
{
        struct statx stx;

        if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
                return negative_errno();
        if (!(stx.stx_mask & STATX_MNT_ID))
                return -EOPNOTSUPP;
        *ret_id = stx.stx_mnt_id;
        return 0;
}
