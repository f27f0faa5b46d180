/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ABI 1.3 helpers that make files inside the root: cairn_symlink(),
 * cairn_write_file(), cairn_mknod().  Each is one name, made beneath the
 * root's descriptor in a directory opened without following a symlink
 * (made, journaled, as for a mount point when missing), never over
 * anything already there, and journaled first with that directory's
 * identity and what the name will be (J_SYMLINK, J_FILE, J_NODE): the
 * undo (undo.c) removes it only from that directory, and only while it is
 * still of that kind.
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "actions.h"
#include "trust.h"
#include "util.h"

/* A name made by one of these helpers: the directory it is in (`dfd`, the
 * root's own or `parent`, which is ours to close), its name there, and its
 * record. */
struct leaf {
        int parent;
        int dfd;
        const char *name; /* in `resolved`, or in the caller's path */
        char *resolved;   /* the path, resolved inside the root, or NULL */
        uint64_t seq;
};

static void leaf_done(struct leaf *l)
{
        if (l->parent >= 0)
                close(l->parent);
        l->parent = -1;
        free(l->resolved);
        l->resolved = NULL;
        l->name = NULL;
}

/* Check `path`, open (make) its directory, refuse if the name is taken,
 * and journal (synced) that it is about to be made as `type`, with `b`. */
static int leaf_begin(struct cairn_ctx *ctx, const char *what, const char *path, enum jtype type,
                      const char *b, struct leaf *l)
{
        _cleanup_free_ char *parent_path = NULL;
        struct stat st;
        int r;

        *l = (struct leaf) { .parent = -1, .dfd = -1 };
        if (!ctx->s) {
                cairn_log(ctx, CAIRN_LOG_ERR, "%s %s: no root to act in (a plugin's check may only look)",
                          what, path ? path : "(null)");
                return -EINVAL;
        }
        if (!path_is_normalized_absolute(path) || streq(path, "/")) {
                cairn_log(ctx, CAIRN_LOG_ERR, "%s %s: not an absolute, normalized path inside the root",
                          what, path ? path : "(null)");
                return -EINVAL;
        }
        r = target_in_root(ctx, &path, false, &l->resolved);
        if (r < 0) {
                leaf_done(l);
                return r;
        }
        l->name = strrchr(path, '/') + 1;
        if (l->name - path > 1) {
                parent_path = strndup(path, (size_t) (l->name - path - 1));
                r = parent_path ? make_dirs(ctx, parent_path, 0755, &l->parent) : -ENOMEM;
                if (r < 0) {
                        leaf_done(l);
                        return r;
                }
                l->dfd = l->parent;
        } else
                l->dfd = ctx->s->root_fd;
        if (fstatat(l->dfd, l->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                cairn_log(ctx, CAIRN_LOG_ERR, "%s %s%s: it exists already", what, ctx->s->root, path);
                leaf_done(l);
                return -EEXIST;
        }
        if (errno != ENOENT || fstat(l->dfd, &st) < 0) {
                r = cairn_log_errno(ctx, negative_errno(), "%s %s%s", what, ctx->s->root, path);
                leaf_done(l);
                return r;
        }
        r = journal_append(ctx->s->j, type, path, b, (uint64_t) st.st_dev, (uint64_t) st.st_ino, &l->seq);
        if (r < 0)
                leaf_done(l);
        return r;
}

/* The name was not made (`err`, -errno): not cairn's, not to be undone. */
static int leaf_not_made(struct cairn_ctx *ctx, struct leaf *l, const char *what, const char *path,
                         int err)
{
        (void) journal_append(ctx->s->j, J_UNDONE, NULL, NULL, l->seq, 0, NULL);
        leaf_done(l);
        return cairn_log_errno(ctx, err, "%s %s%s%s", what, ctx->s->root, path,
                               err == -EEXIST ? " (made meanwhile by someone else)" : "");
}

CAIRN_API int cairn_symlink(struct cairn_ctx *ctx, const char *path, const char *to)
{
        struct leaf l;
        int r;

        if (!to || !*to || strlen(to) >= PATH_MAX)
                return cairn_log_errno(ctx, -EINVAL, "symlink %s: no text, or too long",
                                       path ? path : "(null)");
        r = leaf_begin(ctx, "symlink", path, J_SYMLINK, to, &l);
        if (r < 0)
                return r;
        if (symlinkat(to, l.dfd, l.name) < 0)
                return leaf_not_made(ctx, &l, "symlink", path, negative_errno());
        made_owned(ctx, l.dfd, l.name);
        leaf_done(&l);
        cairn_log(ctx, CAIRN_LOG_DEBUG, "symlink %s -> %s", path, to);
        return 0;
}

CAIRN_API int cairn_write_file(struct cairn_ctx *ctx, const char *path, const void *data, size_t len,
                               mode_t mode)
{
        _cleanup_close_ int fd = -1;
        char size[24];
        struct leaf l;
        int r;

        if (mode & ~07777u)
                return cairn_log_errno(ctx, -EINVAL, "write %s: mode %o out of range",
                                       path ? path : "(null)", (unsigned) mode);
        if (len && !data)
                return cairn_log_errno(ctx, -EINVAL, "write %s: no data", path ? path : "(null)");
        *format_u64(size, (uint64_t) len) = '\0';
        r = leaf_begin(ctx, "write", path, J_FILE, size, &l);
        if (r < 0)
                return r;
        /* O_EXCL: a new file, never one that is there, nor through a
         * symlink put at the name meanwhile (O_NOFOLLOW, too). */
        fd = openat(l.dfd, l.name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return leaf_not_made(ctx, &l, "write", path, negative_errno());
        made_owned(ctx, l.dfd, l.name);
        leaf_done(&l);
        /* Made: from here on a failure leaves it to the undo. */
        r = write_all(fd, data, len);
        if (r < 0)
                return cairn_log_errno(ctx, r, "write %s%s", ctx->s->root, path);
        if (fchmod(fd, mode) < 0)
                return cairn_log_errno(ctx, negative_errno(), "chmod %s%s", ctx->s->root, path);
        cairn_log(ctx, CAIRN_LOG_DEBUG, "wrote %s (%zu bytes, mode %04o)", path, len, (unsigned) mode);
        return 0;
}

CAIRN_API int cairn_mknod(struct cairn_ctx *ctx, const char *path, mode_t mode, dev_t dev)
{
        _cleanup_close_ int fd = -1;
        const bool chr = S_ISCHR(mode);
        char buf[32];
        struct stat st;
        struct leaf l;
        int r;

        if ((!chr && !S_ISBLK(mode)) || (mode & ~(S_IFMT | 07777u)))
                return cairn_log_errno(ctx, -EINVAL, "mknod %s: mode %o is not a character or block "
                                       "device's", path ? path : "(null)", (unsigned) mode);
        r = leaf_begin(ctx, "mknod", path, J_NODE, chr ? "char" : "block", &l);
        if (r < 0)
                return r;
        if (mknodat(l.dfd, l.name, mode, dev) < 0)
                return leaf_not_made(ctx, &l, "mknod", path, negative_errno());
        made_owned(ctx, l.dfd, l.name);
        /* The permission bits as asked, not as the umask left them: set
         * through a descriptor of the node itself (O_PATH, not followed;
         * fchmod() does not take one, its /proc/self/fd name does). */
        fd = openat(l.dfd, l.name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        leaf_done(&l);
        if (fd < 0)
                return cairn_log_errno(ctx, negative_errno(), "open %s%s", ctx->s->root, path);
        if (fstat(fd, &st) < 0)
                return cairn_log_errno(ctx, negative_errno(), "stat %s%s", ctx->s->root, path);
        if ((st.st_mode & S_IFMT) != (mode & S_IFMT) || st.st_rdev != dev)
                return cairn_log_errno(ctx, -EXDEV, "%s%s: not the node just made", ctx->s->root, path);
        if (chmod(fd_path(fd, buf), mode & 07777) < 0)
                return cairn_log_errno(ctx, negative_errno(), "chmod %s%s", ctx->s->root, path);
        cairn_log(ctx, CAIRN_LOG_DEBUG, "mknod %s (%s %u:%u)", path, chr ? "char" : "block", major(dev),
                  minor(dev));
        return 0;
}
