/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paths inside a root, resolved by the kernel relative to the root's
 * descriptor: openat2() with RESOLVE_BENEATH (no escape by "..", absolute
 * symlinks or magic links) and RESOLVE_NO_SYMLINKS (no symlink anywhere,
 * the last component included): a symlink met here is refused with
 * -ELOOP.  Targets are first resolved inside the root (inroot.h), so one
 * met here was swapped in since, and is never followed.
 */
#ifndef CAIRN_RESOLVE_H
#define CAIRN_RESOLVE_H

#include <stdint.h>
#include <sys/stat.h>

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U /* Linux 6.8 */
#endif

/* Open `path` (absolute inside the root: "/dev/kvm"; "/" is the root)
 * beneath root_fd.  `flags` are open(2) flags; O_CLOEXEC is added. */
int open_beneath(int root_fd, const char *path, int flags, int *ret_fd);

/* Open the directory `path` (O_PATH), and say what it is without a
 * symlink or a "." or ".." in it (realpath(3)). */
int open_real_dir(const char *path, int *ret_fd, char **ret_real);

/* The mount ID of what `fd` refers to (statx STATX_MNT_ID). */
int fd_mount_id(int fd, uint64_t *ret_id);

/* The unique mount ID (STATX_MNT_ID_UNIQUE, Linux 6.8: never given to
 * another mount, unlike STATX_MNT_ID) of `name` in `dirfd` ("" for dirfd
 * itself, a detached mount's descriptor too); -EOPNOTSUPP on older
 * kernels. */
int mount_id_unique_at(int dirfd, const char *name, uint64_t *ret_id);

/* The mount ID (the one mountinfo shows) of the mount whose unique ID is
 * `unique`, if that mount is in this mount namespace (statmount(2),
 * Linux 6.8): -ENOENT once it is gone, or if it never was attached;
 * -ENOSYS (or -EPERM under a seccomp filter) where there is no statmount. */
int mount_id_of_unique(uint64_t unique, uint64_t *ret_id);

#endif
