/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "actions.h"
#include "config.h"
#include "handle.h"
#include "inroot.h"
#include "trust.h"
#include "log.h"
#include "mountinfo.h"
#include "resolve.h"
#include "util.h"

static int check_target(struct cairn_ctx *ctx, const char *path)
{
        if (!ctx->s) {
                cairn_log(ctx, CAIRN_LOG_ERR, "%s: no root to act in (a plugin's check may only look)",
                          path ? path : "(null)");
                return -EINVAL;
        }
        if (!path_is_normalized_absolute(path)) {
                cairn_log(ctx, CAIRN_LOG_ERR, "%s: not an absolute, normalized path inside the root",
                          path ? path : "(null)");
                return -EINVAL;
        }
        return 0;
}

int target_in_root(struct cairn_ctx *ctx, const char **path, bool follow_last, char **owned)
{
        _cleanup_free_ char *first = NULL, *parent = NULL, *resolved = NULL;
        const char *p = *path, *name = NULL;
        unsigned links = 0;
        int fd, r;

        *owned = NULL;
        /* Most targets have no symlink on the way: one lookup says so
         * (ENOENT too: no link before the first name that is missing). */
        r = open_beneath(ctx->s->root_fd, p, O_PATH, &fd);
        if (r >= 0)
                close(fd);
        if (r != -ELOOP)
                return 0;
        if (!follow_last) {
                /* A name to be made: its directory resolved, the name as
                 * it is (a symlink there is "exists already"). */
                name = strrchr(p, '/') + 1;
                parent = name - p > 1 ? strndup(p, (size_t) (name - p - 1)) : strdup("/");
                if (!parent)
                        return -ENOMEM;
                p = parent;
        }
        r = resolve_in_root(ctx->s->root_fd, p, &resolved, &links, &first);
        if (r < 0)
                return cairn_log_errno(ctx, r, "%s%s: resolve inside the root%s", ctx->s->root, *path,
                                       r == -ELOOP ? " (more than 40 symlinks: a loop?)" : "");
        if (name) {
                *owned = xasprintf("%s%s%s", streq(resolved, "/") ? "" : resolved, "/", name);
                if (!*owned)
                        return -ENOMEM;
        } else
                *owned = TAKE_PTR(resolved);
        if (links)
                cairn_log(ctx, CAIRN_LOG_INFO, "%s: symlink %s followed inside the root: %s%s", *path,
                          first ? first : "?", ctx->s->root, *owned);
        *path = *owned;
        return 0;
}

/* Which directory `dirfd` is (st_dev, st_ino); the root's is asked once
 * per session. */
static int dir_identity(struct cairn_ctx *ctx, int dirfd, uint64_t *ret_dev, uint64_t *ret_ino)
{
        struct stat st;

        if (dirfd == ctx->s->root_fd && (ctx->s->root_dev || ctx->s->root_ino)) {
                *ret_dev = ctx->s->root_dev;
                *ret_ino = ctx->s->root_ino;
                return 0;
        }
        if (fstat(dirfd, &st) < 0)
                return negative_errno();
        *ret_dev = (uint64_t) st.st_dev;
        *ret_ino = (uint64_t) st.st_ino;
        if (dirfd == ctx->s->root_fd) {
                ctx->s->root_dev = *ret_dev;
                ctx->s->root_ino = *ret_ino;
        }
        return 0;
}

void made_owned(struct cairn_ctx *ctx, int dirfd, const char *name)
{
        if (ctx->s->chown_made &&
            fchownat(dirfd, name, ctx->s->made_uid, ctx->s->made_gid, AT_SYMLINK_NOFOLLOW) < 0)
                cairn_log(ctx, CAIRN_LOG_WARNING, "chown %s to %u:%u: %s", name,
                          (unsigned) ctx->s->made_uid, (unsigned) ctx->s->made_gid, strerror(errno));
}

/* mkdirat() or mknodat() one component, journaled first, with the
 * directory it is made in (st_dev, st_ino: the same in every mount
 * namespace): teardown removes it only from that directory, not from
 * whatever a mount placed over it since shows at that path.  With `mi`,
 * the mount to be attached on it is announced in the same write.  1:
 * made; 0: it was there already. */
static int create_one(struct cairn_ctx *ctx, int dirfd, const char *name, const char *path,
                      bool dir, mode_t mode, struct mount_intent *mi)
{
        uint64_t seq, dev, ino;
        int r;

        r = dir_identity(ctx, dirfd, &dev, &ino);
        if (r < 0)
                return cairn_log_errno(ctx, r, "stat the directory of %s%s", ctx->s->root, path);
        if (mi && !mi->unique)
                mi = NULL; /* announced at attach(), just before it */
        r = journal_note(ctx->s->j, dir ? J_MKDIR : J_CREATE, path, NULL, dev, ino, &seq);
        if (r >= 0 && mi)
                r = journal_note(ctx->s->j, J_MOUNT, path, mi->what, 0, mi->unique, &mi->seq);
        if (r >= 0)
                r = journal_commit(ctx->s->j);
        if (r < 0)
                return r;
        if (mi)
                mi->on_record = true;
        r = dir ? mkdirat(dirfd, name, mode) : mknodat(dirfd, name, S_IFREG | mode, 0);
        if (r < 0 && errno == EOVERFLOW && ctx->s->chown_made) {
                /* A filesystem of the container's user namespace (the
                 * tmpfs on its /dev), where host root is no one: made as
                 * the container's root, whom that directory belongs to.
                 * (The fs ids only, for this one call; the capabilities
                 * of the file system come back with them.) */
                uid_t ou = (uid_t) setfsuid(ctx->s->made_uid);
                gid_t og = (gid_t) setfsgid(ctx->s->made_gid);

                r = dir ? mkdirat(dirfd, name, mode) : mknodat(dirfd, name, S_IFREG | mode, 0);
                int saved = errno;
                (void) setfsgid(og);
                (void) setfsuid(ou);
                errno = saved;
        }
        if (r < 0) {
                r = negative_errno();
                /* Not ours after all (made meanwhile, or never made): the
                 * undo must not remove it.  The mount stays announced if
                 * it will go on what is there. */
                (void) journal_append(ctx->s->j, J_UNDONE, NULL, NULL, seq, 0, NULL);
                if (r != -EEXIST)
                        return cairn_log_errno(ctx, r, "create %s%s", ctx->s->root, path);
                return 0;
        }
        made_owned(ctx, dirfd, name);
        if (dir) {
                /* Its file handle, for a teardown after a crash to tell
                 * it hidden from gone (handle.h); none: today's rule.  It
                 * may wait: lost in a crash, it is only that rule again. */
                _cleanup_free_ char *h = handle_text_of(dirfd, name);
                if (h)
                        (void) journal_note(ctx->s->j, J_HANDLE, h, NULL, seq, 0, NULL);
        }
        return 1;
}

int make_dirs(struct cairn_ctx *ctx, const char *path, mode_t mode, int *ret_fd)
{
        _cleanup_free_ char *prefix = NULL;
        _cleanup_close_ int parent = -1;
        const char *c;
        int r, cur = ctx->s->root_fd;

        /* Deeper than one component: most often all there, one lookup. */
        if (streq(path, "/") || strchr(path + 1, '/')) {
                r = open_beneath(ctx->s->root_fd, path, O_PATH | O_DIRECTORY, ret_fd);
                if (r != -ENOENT)
                        goto done;
        }

        /* Walk from the root, one component at a time beneath the last,
         * making what is missing. */
        prefix = strdup(path);
        if (!prefix)
                return -ENOMEM;
        c = path + 1;
        while (*c) {
                const char *e = strchrnul(c, '/');
                _cleanup_free_ char *name = strndup(c, (size_t) (e - c));
                int fd;

                if (!name)
                        return -ENOMEM;
                prefix[e - path] = '\0';
                r = open_beneath(cur, name, O_PATH | O_DIRECTORY, &fd);
                if (r == -ENOENT) {
                        r = create_one(ctx, cur, name, prefix, true, *e ? 0755 : mode, NULL);
                        if (r < 0)
                                return r;
                        r = open_beneath(cur, name, O_PATH | O_DIRECTORY, &fd);
                }
                if (r < 0)
                        goto done;
                if (parent >= 0)
                        close(parent);
                cur = parent = fd;
                memcpy(prefix, path, strlen(path) + 1);
                c = *e ? e + 1 : e;
        }
        *ret_fd = TAKE_FD(parent);
        return 0;
done:
        if (r < 0)
                return cairn_log_errno(ctx, r, "%s%s%s", ctx->s->root, path,
                                       r == -ELOOP ? " (a symlink appeared after the target was resolved: not followed)"
                                       : r == -ENOTDIR ? " (a component is not a directory)" : "");
        return 0;
}

/* A target that is a mount point already (someone else's: a runtime's
 * /proc with its masked paths, say) is not mounted over unless the entry
 * says `overmount = yes`: the new mount would hide what is there.  -EBUSY,
 * naming that mount. */
static int refuse_overmount(struct cairn_ctx *ctx, int fd, const char *path)
{
        struct statx stx;
        char what[256];

        if (ctx->cfg && ctx->cfg->overmount)
                return 0;
        if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
                return cairn_log_errno(ctx, negative_errno(), "stat %s%s", ctx->s->root, path);
        if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
            !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
                return 0;
        if (mountinfo_describe(stx.stx_mnt_id, what, sizeof what) < 0)
                snprintf(what, sizeof what, "mount %llu", (unsigned long long) stx.stx_mnt_id);
        cairn_log(ctx, CAIRN_LOG_ERR, "%s%s is a mount point already (%s); not mounted over it "
                  "(overmount = yes in the entry allows it)", ctx->s->root, path, what);
        return -EBUSY;
}

int make_mount_point(struct cairn_ctx *ctx, const char *path, bool dir, struct mount_intent *mi,
                     int *ret_fd)
{
        _cleanup_close_ int parent = -1, fd = -1;
        _cleanup_free_ char *parent_path = NULL;
        bool made = false;
        const char *name;
        struct stat st;
        int r;

        r = open_beneath(ctx->s->root_fd, path, O_PATH, &fd);
        if (r == -ENOENT) {
                int dfd;

                name = strrchr(path, '/') + 1;
                if (name - path > 1) {
                        parent_path = strndup(path, (size_t) (name - path - 1));
                        if (!parent_path)
                                return -ENOMEM;
                        r = make_dirs(ctx, parent_path, 0755, &parent);
                        if (r < 0)
                                return r;
                        dfd = parent;
                } else
                        dfd = ctx->s->root_fd; /* "/NAME": the root holds it */
                r = create_one(ctx, dfd, name, path, dir, dir ? 0755 : 0644, mi);
                if (r < 0)
                        return r;
                made = r > 0;
                r = open_beneath(dfd, name, O_PATH, &fd);
        }
        if (r < 0)
                return cairn_log_errno(ctx, r, "mount point %s%s%s", ctx->s->root, path,
                                       r == -ELOOP ? " (a symlink appeared after the target was resolved: not followed)" : "");
        /* One cairn just made is what it made it (the root is still 0700;
         * and the kernel mounts a directory only on a directory, a file
         * only on a file); one that was there is looked at. */
        if (made) {
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
        if (fstat(fd, &st) < 0)
                return cairn_log_errno(ctx, negative_errno(), "stat %s%s", ctx->s->root, path);
        r = refuse_overmount(ctx, fd, path);
        if (r < 0)
                return r;
        if (dir != !!S_ISDIR(st.st_mode)) {
                cairn_log(ctx, CAIRN_LOG_ERR, "mount point %s%s exists and is %s a directory", ctx->s->root,
                          path, dir ? "not" : "");
                return dir ? -ENOTDIR : -EISDIR;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int check_mount_target(struct cairn_ctx *ctx, const char *path);

/* The mount point, as make_mount_point() makes it, at the target resolved
 * inside the root if a symlink is on the way (inroot.h): tried as it is
 * first, since most targets have none, and resolved only when that meets
 * one (-ELOOP; nothing has been made by then: a symlink is met before the
 * first missing name).  *target then points to *resolved. */
static int mount_point_in_root(struct cairn_ctx *ctx, const char **target, char **resolved, bool dir,
                               struct mount_intent *mi, int *ret_fd)
{
        int r;

        log_hold();
        r = make_mount_point(ctx, *target, dir, mi, ret_fd);
        log_release_held(r == -ELOOP && !*resolved);
        if (r != -ELOOP || *resolved)
                return r;
        r = target_in_root(ctx, target, true, resolved);
        if (r >= 0)
                r = check_mount_target(ctx, *target);
        if (r >= 0)
                r = make_mount_point(ctx, *target, dir, mi, ret_fd);
        return r;
}

/* A mount announced with its mount point that will not be attached: the
 * undo must not take whatever is mounted there later for it. */
static void mount_intent_drop(struct cairn_ctx *ctx, struct mount_intent *mi)
{
        if (mi->on_record)
                (void) journal_append(ctx->s->j, J_UNDONE, NULL, NULL, mi->seq, 0, NULL);
        mi->on_record = false;
}

/* Attach the detached mount `mnt_fd` at `mp_fd`, journaled around (its
 * J_MOUNT may be on record already, with the mount point: `mi`). */
static int attach(struct cairn_ctx *ctx, int mnt_fd, int mp_fd, const char *path,
                  struct mount_intent *mi)
{
        const char *what = mi->what;
        uint64_t seq, id;
        int r;

        if (mi->on_record)
                seq = mi->seq;
        else {
                r = journal_append(ctx->s->j, J_MOUNT, path, what, 0, mi->unique, &seq);
                if (r < 0)
                        return r;
        }
        mi->on_record = false; /* from here on, attach() answers for it */
        if (move_mount(mnt_fd, "", mp_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
                r = negative_errno();
                (void) journal_append(ctx->s->j, J_UNDONE, NULL, NULL, seq, 0, NULL);
                return cairn_log_errno(ctx, r, "mount %s on %s%s", what, ctx->s->root, path);
        }
        /* Its unique ID on record (the J_MOUNT) says all the undo needs. */
        if (mi->unique)
                return 0;
        r = fd_mount_id(mnt_fd, &id);
        if (r < 0)
                return cairn_log_errno(ctx, r, "mount ID of %s%s", ctx->s->root, path);
        /* At once: without its ID, an undo after a crash could only take
         * whatever is on top at the mount point for cairn's (someone
         * else's mount, put there since), or miss a mount moved away. */
        return journal_append(ctx->s->j, J_MOUNTED, NULL, NULL, seq, id, NULL);
}

/* The classic mount(2) way, through /proc/self/fd paths, for kernels and
 * tools without the new mount API (valgrind 3.19 knows neither fsopen nor
 * open_tree).  `source` NULL with MS_BIND means a bind of `src_fd`.  The
 * mount is journaled like attach(); with `rdonly_bind` the bind is then
 * remounted read-only (a second step: MS_BIND|MS_RDONLY in one call would
 * silently be read-write), while the root is still private (mode 0700). */
static int legacy_mount(struct cairn_ctx *ctx, int mp_fd, const char *path, const char *what,
                        const char *source, int src_fd, const char *fstype, unsigned long flags,
                        const char *data, bool rdonly_bind, int *ret_fd)
{
        _cleanup_close_ int mnt = -1;
        char mp_buf[32], src_buf[32], mnt_buf[32];
        uint64_t seq, id;
        int r;

        r = journal_append(ctx->s->j, J_MOUNT, path, what, 0, 0, &seq);
        if (r < 0)
                return r;
        if (mount(source ? source : fd_path(src_fd, src_buf), fd_path(mp_fd, mp_buf), fstype, flags,
                  data) < 0) {
                r = negative_errno();
                (void) journal_append(ctx->s->j, J_UNDONE, NULL, NULL, seq, 0, NULL);
                return cairn_log_errno(ctx, r, "mount %s on %s%s", what, ctx->s->root, path);
        }
        r = open_beneath(ctx->s->root_fd, path, O_PATH, &mnt);
        if (r >= 0)
                r = fd_mount_id(mnt, &id);
        if (r < 0)
                return cairn_log_errno(ctx, r, "mount ID of %s%s", ctx->s->root, path);
        r = journal_append(ctx->s->j, J_MOUNTED, NULL, NULL, seq, id, NULL);
        if (r < 0)
                return r;
        /* "none": the kernel ignores the type of a bind or remount, and a
         * NULL would trip valgrind's check of the argument. */
        if (rdonly_bind && mount("none", fd_path(mnt, mnt_buf), "none",
                                 MS_REMOUNT | MS_BIND | MS_RDONLY | (flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)),
                                 NULL) < 0)
                return cairn_log_errno(ctx, negative_errno(), "make bind for %s read-only", path);
        *ret_fd = TAKE_FD(mnt);
        return 0;
}

static unsigned long ms_flags(unsigned attrs)
{
        return ((attrs & CAIRN_MOUNT_RDONLY) ? MS_RDONLY : 0) |
               ((attrs & CAIRN_MOUNT_NOSUID) ? MS_NOSUID : 0) |
               ((attrs & CAIRN_MOUNT_NODEV) ? MS_NODEV : 0) |
               ((attrs & CAIRN_MOUNT_NOEXEC) ? MS_NOEXEC : 0);
}

static unsigned mount_attrs(unsigned attrs)
{
        return ((attrs & CAIRN_MOUNT_RDONLY) ? MOUNT_ATTR_RDONLY : 0) |
               ((attrs & CAIRN_MOUNT_NOSUID) ? MOUNT_ATTR_NOSUID : 0) |
               ((attrs & CAIRN_MOUNT_NODEV) ? MOUNT_ATTR_NODEV : 0) |
               ((attrs & CAIRN_MOUNT_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0);
}

/* What the undo can know a detached mount by for certain: its unique ID;
 * 0 where the kernel has none (before Linux 6.8), or where statmount(2),
 * by which the undo looks for a mount that is not at its place, is not
 * allowed (a seccomp filter): then the mountinfo ID, as before. */
static uint64_t unique_id(int mnt_fd)
{
        static int statmount_works = -1;
        uint64_t id, old;

        if (mount_id_unique_at(mnt_fd, "", &id) < 0)
                return 0;
        if (statmount_works < 0) {
                /* Asked once: a detached mount is in no namespace of
                 * anyone's, so "not found" is the answer that works. */
                int k = mount_id_of_unique(id, &old);

                statmount_works = k == -ENOENT || k == 0;
        }
        return statmount_works ? id : 0;
}

/* A mount's target: as check_target(), and not the root itself (checked
 * before the mount is made, so that nothing is made for nothing). */
static int check_mount_target(struct cairn_ctx *ctx, const char *path)
{
        int r = check_target(ctx, path);

        if (r < 0)
                return r;
        if (streq(path, "/")) {
                cairn_log(ctx, CAIRN_LOG_ERR, "cannot mount over the root itself");
                return -EINVAL;
        }
        return 0;
}

void fs_options_free(struct fs_option *o, size_t n)
{
        for (size_t i = 0; o && i < n; i++) {
                free(o[i].key);
                free(o[i].value);
        }
        free(o);
}

int fs_options_parse(const char *s, struct fs_option **ret, size_t *ret_n)
{
        struct fs_option *o = NULL;
        size_t n = 0;

        for (const char *c = s; c && *c;) {
                size_t len = strcspn(c, ","), klen;
                const char *eq = memchr(c, '=', len);
                struct fs_option *more;

                klen = eq ? (size_t) (eq - c) : len;
                if (len == 0 || klen == 0 || memchr(c, ' ', klen) || memchr(c, '\t', klen) ||
                    (c[len] == ',' && !c[len + 1]))
                        goto bad;
                more = realloc(o, (n + 1) * sizeof *o);
                if (!more)
                        goto nomem;
                o = more;
                o[n].key = strndup(c, klen);
                o[n].value = eq ? strndup(eq + 1, len - klen - 1) : NULL;
                n++;
                if (!o[n - 1].key || (eq && !o[n - 1].value))
                        goto nomem;
                c += len + (c[len] == ',');
        }
        *ret = o;
        *ret_n = n;
        return 0;
bad:
        fs_options_free(o, n);
        return -EINVAL;
nomem:
        fs_options_free(o, n);
        return -ENOMEM;
}

/* What the kernel said about a refused parameter, if it did: the fs
 * context's messages ("e tmpfs: Bad value for 'size'"), the last one. */
static void fs_context_message(int fs, char *buf, size_t size)
{
        char m[256];
        ssize_t n;

        buf[0] = '\0';
        while ((n = read(fs, m, sizeof m - 1)) > 0) {
                m[n] = '\0';
                if (n > 2 && (m[0] == 'e' || m[0] == 'w') && m[1] == ' ' && size > 4) {
                        size_t k = strlen(m + 2) < size - 4 ? strlen(m + 2) : size - 4;

                        buf[0] = ' ';
                        buf[1] = '(';
                        memcpy(buf + 2, m + 2, k);
                        buf[k + 2] = ')';
                        buf[k + 3] = '\0';
                }
        }
}

/* Give the parameters of `options` to the fs context `fs`; a refused one
 * is named. */
static int fs_configure(struct cairn_ctx *ctx, int fs, const char *fstype, const char *options)
{
        struct fs_option *o = NULL;
        size_t n = 0;
        char why[512];
        int r;

        r = fs_options_parse(options, &o, &n);
        if (r == -EINVAL)
                return cairn_log_errno(ctx, r, "%s: filesystem options \"%s\": an empty word or key",
                                       fstype, options);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (fsconfig(fs, o[i].value ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o[i].key,
                             o[i].value, 0) == 0)
                        continue;
                r = negative_errno();
                fs_context_message(fs, why, sizeof why);
                r = cairn_log_errno(ctx, r, "%s: option %s%s%s refused%s", fstype, o[i].key,
                                    o[i].value ? "=" : "", o[i].value ? o[i].value : "", why);
                break;
        }
        fs_options_free(o, n);
        return r < 0 ? r : 0;
}

CAIRN_API int cairn_mount_fs(struct cairn_ctx *ctx, const char *fstype, const char *source,
                             const char *target, unsigned attrs, int *ret_fd)
{
        return cairn_mount_fs_opts(ctx, fstype, source, target, attrs, NULL, ret_fd);
}

CAIRN_API int cairn_mount_fs_opts(struct cairn_ctx *ctx, const char *fstype, const char *source,
                                  const char *target, unsigned attrs, const char *options,
                                  int *ret_fd)
{
        _cleanup_close_ int mp = -1, fs = -1, mnt = -1;
        _cleanup_free_ char *resolved = NULL;
        struct mount_intent mi = { .what = fstype };
        struct fs_option *o = NULL;
        size_t n = 0;
        char why[512];
        int r;

        r = check_mount_target(ctx, target);
        if (r < 0)
                return r;
        /* A bad list is refused before anything is made, mount API or not. */
        r = fs_options_parse(options, &o, &n);
        fs_options_free(o, n);
        if (r == -EINVAL)
                return cairn_log_errno(ctx, r, "%s: filesystem options \"%s\": an empty word or key",
                                       fstype, options);
        if (r < 0)
                return r;
        /* The mount is made first, detached: nothing in the system
         * changes until it is attached, and then its unique ID can be on
         * record with the mount point. */
        fs = fsopen(fstype, FSOPEN_CLOEXEC);
        if (fs < 0 && errno == ENOSYS) {
                r = mount_point_in_root(ctx, &target, &resolved, true, NULL, &mp);
                if (r < 0)
                        return r;
                r = legacy_mount(ctx, mp, target, fstype, source ? source : fstype, -1, fstype,
                                 ms_flags(attrs), options && *options ? options : NULL, false, &mnt);
                if (r < 0)
                        return r;
                goto done;
        }
        if (fs < 0)
                return cairn_log_errno(ctx, negative_errno(), "open filesystem type %s", fstype);
        if (source && fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0) < 0)
                return cairn_log_errno(ctx, negative_errno(), "%s: set source %s", fstype, source);
        r = fs_configure(ctx, fs, fstype, options);
        if (r < 0)
                return r;
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
                r = negative_errno();
                fs_context_message(fs, why, sizeof why);
                return cairn_log_errno(ctx, r, "create %s filesystem%s%s%s", fstype,
                                       options && *options ? " with " : "", options ? options : "", why);
        }
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, mount_attrs(attrs));
        if (mnt < 0)
                return cairn_log_errno(ctx, negative_errno(), "make %s mount", fstype);
        mi.unique = unique_id(mnt);
        r = mount_point_in_root(ctx, &target, &resolved, true, &mi, &mp);
        if (r >= 0)
                r = attach(ctx, mnt, mp, target, &mi);
        if (r < 0) {
                mount_intent_drop(ctx, &mi);
                return r;
        }
done:
        if (ret_fd)
                *ret_fd = TAKE_FD(mnt);
        return 0;
}

CAIRN_API int cairn_bind_fd(struct cairn_ctx *ctx, int source_fd, const char *target,
                            unsigned flags, int *ret_fd)
{
        unsigned rec = (flags & CAIRN_BIND_RECURSIVE) ? AT_RECURSIVE : 0;
        _cleanup_close_ int mp = -1, tree = -1;
        _cleanup_free_ char *resolved = NULL;
        /* "rbind": the undo detaches it with what was cloned beneath. */
        struct mount_intent mi = { .what = (flags & CAIRN_BIND_RECURSIVE) ? "rbind" : "bind" };
        struct statvfs sv;
        struct stat st;
        int r;

        r = check_mount_target(ctx, target);
        if (r < 0)
                return r;
        if (fstat(source_fd, &st) < 0)
                return cairn_log_errno(ctx, negative_errno(), "stat bind source for %s", target);
        /* Cloned first, detached, as cairn_mount_fs() makes its mount. */
        tree = open_tree(source_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | rec);
        if (tree < 0 && errno == ENOSYS) {
                struct statvfs src;
                unsigned long keep = 0;

                /* A remount makes one mount read-only, not the ones beneath
                 * it: without mount_setattr(AT_RECURSIVE), a recursive
                 * read-only bind would be read-only only at its top. */
                if (rec && (flags & CAIRN_BIND_RDONLY))
                        return cairn_log_errno(ctx, -EOPNOTSUPP, "bind %s: a recursive read-only bind "
                                               "needs the new mount API (Linux 5.12)", target);

                r = mount_point_in_root(ctx, &target, &resolved, S_ISDIR(st.st_mode), NULL, &mp);
                if (r < 0)
                        return r;
                /* A remount must repeat the source's locked flags. */
                if (fstatvfs(source_fd, &src) == 0)
                        keep = ((src.f_flag & ST_NOSUID) ? MS_NOSUID : 0) |
                               ((src.f_flag & ST_NODEV) ? MS_NODEV : 0) |
                               ((src.f_flag & ST_NOEXEC) ? MS_NOEXEC : 0);
                r = legacy_mount(ctx, mp, target, mi.what, NULL, source_fd, "none",
                                 MS_BIND | (rec ? MS_REC : 0) | keep, NULL, flags & CAIRN_BIND_RDONLY,
                                 &tree);
                if (r < 0)
                        return r;
                goto check;
        }
        if (tree < 0)
                return cairn_log_errno(ctx, negative_errno(), "clone bind source for %s", target);
        if (flags & CAIRN_BIND_RDONLY) {
                /* Read-only before it is attached: there is no moment at
                 * which the bind is writable (MS_BIND|MS_RDONLY in one
                 * mount(2) call would silently be read-write). */
                struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
                if (mount_setattr(tree, "", AT_EMPTY_PATH | rec, &attr, sizeof attr) < 0)
                        return cairn_log_errno(ctx, negative_errno(), "make bind for %s read-only", target);
        }
        mi.unique = unique_id(tree);
        r = mount_point_in_root(ctx, &target, &resolved, S_ISDIR(st.st_mode), &mi, &mp);
        if (r >= 0)
                r = attach(ctx, tree, mp, target, &mi);
        if (r < 0) {
                mount_intent_drop(ctx, &mi);
                return r;
        }
check:
        if (flags & CAIRN_BIND_RDONLY) {
                if (fstatvfs(tree, &sv) < 0)
                        return cairn_log_errno(ctx, negative_errno(), "statvfs %s%s", ctx->s->root, target);
                if (!(sv.f_flag & ST_RDONLY)) {
                        cairn_log(ctx, CAIRN_LOG_ERR, "%s%s: still writable after a read-only bind",
                                  ctx->s->root, target);
                        return -EROFS;
                }
        }
        if (ret_fd)
                *ret_fd = TAKE_FD(tree);
        return 0;
}

CAIRN_API int cairn_bind(struct cairn_ctx *ctx, const char *source, const char *target,
                         unsigned flags, int *ret_fd)
{
        _cleanup_close_ int fd = -1;

        if (!ctx->s)
                return check_target(ctx, target);
        if (!source || source[0] != '/') {
                cairn_log(ctx, CAIRN_LOG_ERR, "bind source \"%s\" is not an absolute path",
                          source ? source : "(null)");
                return -EINVAL;
        }
        fd = open(source, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return cairn_log_errno(ctx, negative_errno(), "bind %s -> %s%s", source,
                                       ctx->s->root, target ? target : "");
        return cairn_bind_fd(ctx, fd, target, flags, ret_fd);
}

CAIRN_API int cairn_mkdir(struct cairn_ctx *ctx, const char *path, mode_t mode)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *resolved = NULL;
        int r;

        r = check_target(ctx, path);
        if (r < 0)
                return r;
        if (mode & ~07777u) {
                cairn_log(ctx, CAIRN_LOG_ERR, "mkdir %s: mode %o out of range", path, (unsigned) mode);
                return -EINVAL;
        }
        r = target_in_root(ctx, &path, true, &resolved);
        if (r < 0)
                return r;
        return make_dirs(ctx, path, mode, &fd);
}

CAIRN_API int cairn_open_in_root(struct cairn_ctx *ctx, const char *path, int flags, int *ret_fd)
{
        int r = check_target(ctx, path);

        if (r < 0)
                return r;
        return open_beneath(ctx->s->root_fd, path, flags, ret_fd);
}

uint64_t detached_mount_unique_id(int mnt_fd)
{
        return unique_id(mnt_fd);
}
