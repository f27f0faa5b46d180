/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <stdbool.h>

#include "resolve.h"
#include "util.h"

/* Without openat2 (kernels before 5.6, valgrind before 3.20): the same
 * rules by hand, one component at a time with O_NOFOLLOW.  Paths here are
 * normalized (no "." or ".."), so staying beneath the root is a matter of
 * never following a symlink. */
static int walk_beneath(int root_fd, const char *rel, int flags, int *ret_fd)
{
        _cleanup_free_ char *copy = strdup(rel);
        _cleanup_close_ int dir = -1;
        char *save = NULL, *c, *next;
        struct stat st;
        int fd;

        if (!copy)
                return -ENOMEM;
        if (streq(rel, ".")) {
                fd = openat(root_fd, ".", flags | O_CLOEXEC);
                if (fd < 0)
                        return negative_errno();
                *ret_fd = fd;
                return 0;
        }
        dir = openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return negative_errno();
        for (c = strtok_r(copy, "/", &save); c; c = next) {
                next = strtok_r(NULL, "/", &save);
                if (streq(c, "..") || streq(c, "."))
                        return -EXDEV;
                fd = openat(dir, c, (next ? O_PATH | O_DIRECTORY : flags) | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                        int r = negative_errno();
                        if ((r == -ENOTDIR || r == -ELOOP) &&
                            fstatat(dir, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                                return -ELOOP;
                        return r;
                }
                if (!next && (flags & O_PATH) && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
                        close(fd);
                        return -ELOOP;
                }
                close(dir);
                dir = fd;
        }
        *ret_fd = TAKE_FD(dir);
        return 0;
}

int open_beneath(int root_fd, const char *path, int flags, int *ret_fd)
{
        static bool no_openat2;

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
        if (no_openat2)
                return walk_beneath(root_fd, rel, flags, ret_fd);
        do
                fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
        while (fd < 0 && (errno == EAGAIN || errno == EINTR));
        if (fd < 0 && errno == ENOSYS) {
                no_openat2 = true;
                return walk_beneath(root_fd, rel, flags, ret_fd);
        }
        if (fd < 0)
                return negative_errno();
        *ret_fd = (int) fd;
        return 0;
}

int open_real_dir(const char *path, int *ret_fd, char **ret_real)
{
        struct open_how how = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        _cleanup_free_ char *real = NULL;
        long fd = -1;

        /* Normalized and free of symlinks (the kernel refuses one with
         * ELOOP): the path is its own real path, and one openat2() has
         * checked and opened it.  Else realpath(), a readlink() per
         * component, then open what it found. */
        if (path_is_normalized_absolute(path)) {
                fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
                if (fd < 0 && errno != ELOOP && errno != ENOSYS)
                        return negative_errno();
        }
        if (fd >= 0)
                real = strdup(path);
        else {
                real = realpath(path, NULL);
                if (!real)
                        return negative_errno();
                fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return negative_errno();
        }
        if (!real) {
                close((int) fd);
                return -ENOMEM;
        }
        *ret_fd = (int) fd;
        *ret_real = TAKE_PTR(real);
        return 0;
}

/* The mount ID of `name` in `dirfd` ("": dirfd itself) of the kind `mask`
 * asks for: STATX_MNT_ID (mountinfo's) or STATX_MNT_ID_UNIQUE. */
static int mount_id_at(int dirfd, const char *name, unsigned mask, uint64_t *ret_id)
{
        struct statx stx;

        if (statx(dirfd, name, (name[0] ? 0 : AT_EMPTY_PATH) | AT_SYMLINK_NOFOLLOW, mask, &stx) < 0)
                return negative_errno();
        if (!(stx.stx_mask & mask))
                return -EOPNOTSUPP;
        *ret_id = stx.stx_mnt_id;
        return 0;
}

int mount_id_unique_at(int dirfd, const char *name, uint64_t *ret_id)
{
        return mount_id_at(dirfd, name, STATX_MNT_ID_UNIQUE, ret_id);
}

#ifndef __NR_statmount
#define __NR_statmount 457 /* Linux 6.8; the same number on every architecture but alpha and mips */
#endif

/* statmount(2)'s request and the part of its answer cairn reads (the
 * layout of <linux/mount.h>, which Debian 12's headers predate). */
struct mount_id_request {
        uint32_t size;
        uint32_t spare;
        uint64_t mnt_id;
        uint64_t param;
};

struct mount_status {
        uint32_t size, spare1;
        uint64_t mask;
        uint32_t sb_dev_major, sb_dev_minor;
        uint64_t sb_magic;
        uint32_t sb_flags, fs_type;
        uint64_t mnt_id, mnt_parent_id;
        uint32_t mnt_id_old, mnt_parent_id_old;
        uint64_t mnt_attr, mnt_propagation, mnt_peer_group, mnt_master, propagate_from;
        uint32_t mnt_root, mnt_point;
        uint64_t spare2[50];
};

#ifndef STATMOUNT_MNT_BASIC
#define STATMOUNT_MNT_BASIC 0x00000002U
#endif
#ifndef MNT_ID_REQ_SIZE_VER0
#define MNT_ID_REQ_SIZE_VER0 24
#endif

int mount_id_of_unique(uint64_t unique, uint64_t *ret_id)
{
        struct mount_id_request req = {
                .size = MNT_ID_REQ_SIZE_VER0, .mnt_id = unique, .param = STATMOUNT_MNT_BASIC,
        };
        struct mount_status st = {};

        if (syscall(__NR_statmount, &req, &st, sizeof st, 0) < 0)
                return negative_errno();
        if (!(st.mask & STATMOUNT_MNT_BASIC) || st.mnt_id != unique)
                return -EOPNOTSUPP;
        *ret_id = st.mnt_id_old;
        return 0;
}

int fd_mount_id(int fd, uint64_t *ret_id)
{
        return mount_id_at(fd, "", STATX_MNT_ID, ret_id);
}
