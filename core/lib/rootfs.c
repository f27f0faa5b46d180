/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "actions.h"
#include "log.h"
#include "resolve.h"
#include "root.h"
#include "rootfs.h"
#include "trust.h"
#include "util.h"

bool rootfs_wanted(const struct cfg *cfg)
{
        return cfg->root_fs == CFG_ROOT_TMPFS || cfg->root_readonly;
}

/* The detached mount: a tmpfs, or a clone of the directory itself.
 * -ENOSYS without the new mount API. */
static int make_detached(const struct cfg *cfg, struct session *s, int *ret_fd)
{
        _cleanup_close_ int fs = -1;
        int mnt;

        if (cfg->root_fs != CFG_ROOT_TMPFS) {
                mnt = open_tree(s->root_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
                if (mnt < 0)
                        return errno == ENOSYS ? -ENOSYS
                                               : log_errno(negative_errno(), "bind root %s onto itself", s->root);
                *ret_fd = mnt;
                return 0;
        }
        fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0)
                return errno == ENOSYS ? -ENOSYS : log_errno(negative_errno(), "tmpfs for root %s", s->root);
        /* The session's id as the source: mountinfo says whose it is. */
        if (fsconfig(fs, FSCONFIG_SET_STRING, "source", s->id, 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0)
                return log_errno(negative_errno(), "tmpfs for root %s", s->root);
        if (fsconfig(fs, FSCONFIG_SET_STRING, "size", cfg->root_size, 0) < 0)
                return log_errno(negative_errno(), "tmpfs for root %s: root_size %s", s->root,
                                 cfg->root_size);
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return log_errno(negative_errno(), "create tmpfs for root %s", s->root);
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        if (mnt < 0)
                return log_errno(negative_errno(), "mount tmpfs for root %s", s->root);
        *ret_fd = mnt;
        return 0;
}

/* mount(2) through /proc/self/fd, for tools without the new mount API
 * (valgrind 3.19): journaled first, its mount ID after. */
static int attach_legacy(const struct cfg *cfg, struct session *s, int parent_fd, const char *name,
                         int *ret_fd)
{
        const bool tmpfs = cfg->root_fs == CFG_ROOT_TMPFS;
        _cleanup_free_ char *opts = tmpfs ? xasprintf("mode=0700,size=%s", cfg->root_size) : NULL;
        _cleanup_close_ int fd = -1;
        char buf[32];
        uint64_t seq, id;
        int r;

        if (tmpfs && !opts)
                return -ENOMEM;
        r = journal_append(s->j, J_ROOTFS, tmpfs ? "tmpfs" : "bind", NULL, 0, 0, &seq);
        if (r < 0)
                return log_errno(r, "journal %s", s->j->path);
        if (mount(tmpfs ? s->id : fd_path(s->root_fd, buf), fd_path(s->root_fd, buf),
                  tmpfs ? "tmpfs" : "none", tmpfs ? MS_NOSUID | MS_NODEV : MS_BIND, opts) < 0) {
                r = negative_errno();
                (void) journal_append(s->j, J_UNDONE, NULL, NULL, seq, 0, NULL);
                return log_errno(r, "mount %s on root %s", tmpfs ? "tmpfs" : "bind", s->root);
        }
        fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return log_errno(negative_errno(), "open root %s", s->root);
        r = fd_mount_id(fd, &id);
        if (r < 0)
                return log_errno(r, "mount ID of root %s", s->root);
        r = journal_append(s->j, J_MOUNTED, NULL, NULL, seq, id, NULL);
        if (r < 0)
                return log_errno(r, "journal %s", s->j->path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int rootfs_attach(const struct cfg *cfg, struct session *s, int parent_fd, const char *name)
{
        _cleanup_close_ int mnt = -1, top = -1;
        const char *kind = cfg->root_fs == CFG_ROOT_TMPFS ? "tmpfs" : "bind";
        uint64_t seq;
        int r;

        r = make_detached(cfg, s, &mnt);
        if (r == -ENOSYS)
                r = attach_legacy(cfg, s, parent_fd, name, &top);
        else if (r >= 0) {
                uint64_t unique = detached_mount_unique_id(mnt);

                r = journal_append(s->j, J_ROOTFS, kind, NULL, 0, unique, &seq);
                if (r < 0)
                        return log_errno(r, "journal %s", s->j->path);
                if (move_mount(mnt, "", s->root_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
                        r = negative_errno();
                        (void) journal_append(s->j, J_UNDONE, NULL, NULL, seq, 0, NULL);
                        return log_errno(r, "mount %s on root %s", kind, s->root);
                }
                if (!unique) {
                        uint64_t id;

                        r = fd_mount_id(mnt, &id);
                        if (r < 0)
                                return log_errno(r, "mount ID of root %s", s->root);
                        r = journal_append(s->j, J_MOUNTED, NULL, NULL, seq, id, NULL);
                        if (r < 0)
                                return log_errno(r, "journal %s", s->j->path);
                }
                /* Read-only, not O_PATH, as the directory was: fchmod(). */
                top = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (top < 0)
                        return log_errno(negative_errno(), "open root %s", s->root);
        }
        if (r < 0)
                return r;
        close(s->root_fd);
        s->root_fd = TAKE_FD(top);
        r = fd_identity(s->root_fd, &s->root_dev, &s->root_ino);
        return r < 0 ? log_errno(r, "stat root %s", s->root) : 0;
}

int rootfs_seal(struct session *s)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
        struct statvfs sv;
        char buf[32];

        if (mount_setattr(s->root_fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
                if (errno != ENOSYS)
                        return log_errno(negative_errno(), "make root %s read-only", s->root);
                /* A remount of the bind flags must repeat the others. */
                if (fstatvfs(s->root_fd, &sv) < 0)
                        return log_errno(negative_errno(), "statvfs root %s", s->root);
                if (mount("none", fd_path(s->root_fd, buf), "none",
                          MS_REMOUNT | MS_BIND | MS_RDONLY | ((sv.f_flag & ST_NOSUID) ? MS_NOSUID : 0) |
                                  ((sv.f_flag & ST_NODEV) ? MS_NODEV : 0) |
                                  ((sv.f_flag & ST_NOEXEC) ? MS_NOEXEC : 0),
                          NULL) < 0)
                        return log_errno(negative_errno(), "make root %s read-only", s->root);
        }
        if (fstatvfs(s->root_fd, &sv) < 0)
                return log_errno(negative_errno(), "statvfs root %s", s->root);
        if (!(sv.f_flag & ST_RDONLY)) {
                log_error("root %s: still writable after being made read-only", s->root);
                return -EROFS;
        }
        return 0;
}

int rootfs_unseal(int fd)
{
        struct mount_attr attr = { .attr_clr = MOUNT_ATTR_RDONLY };
        struct statvfs sv;
        char buf[32];

        if (fstatvfs(fd, &sv) < 0)
                return negative_errno();
        if (!(sv.f_flag & ST_RDONLY))
                return 0;
        if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof attr) == 0)
                return 0;
        if (errno != ENOSYS)
                return negative_errno();
        if (mount("none", fd_path(fd, buf), "none",
                  MS_REMOUNT | MS_BIND | ((sv.f_flag & ST_NOSUID) ? MS_NOSUID : 0) |
                          ((sv.f_flag & ST_NODEV) ? MS_NODEV : 0) | ((sv.f_flag & ST_NOEXEC) ? MS_NOEXEC : 0),
                  NULL) < 0)
                return negative_errno();
        return 0;
}

bool rootfs_is(int fd, const struct journal_root *jr)
{
        struct statx stx;

        if (!jr->fs || !jr->fs_id ||
            statx(fd, "", AT_EMPTY_PATH, jr->fs_unique ? STATX_MNT_ID_UNIQUE : STATX_MNT_ID, &stx) < 0)
                return false;
        if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) || !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
                return false;
        return stx.stx_mnt_id == jr->fs_id &&
               (stx.stx_mask & (jr->fs_unique ? STATX_MNT_ID_UNIQUE : STATX_MNT_ID));
}
