/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "log.h"
#include "trust.h"
#include "util.h"

/* Symlinks followed in one path, as the kernel's MAXSYMLINKS. */
#define MAX_LINKS 40
/* Directories deep, for "..": a path longer than this is refused. */
#define MAX_DEPTH 256

const char *fd_path(int fd, char buf[static 32])
{
        snprintf(buf, 32, "/proc/self/fd/%d", fd);
        return buf;
}

static char last_reason[1024];

const char *trust_reason(void)
{
        return last_reason;
}

/* Keep the reason for trust_reason() and, unless quiet, log it. */
__attribute__((format(printf, 2, 3)))
static void say(bool quiet, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(last_reason, sizeof last_reason, fmt, ap);
        va_end(ap);
        if (!quiet)
                log_error("%s", last_reason);
}

/* say() "WHAT: strerror" and return err. */
#define say_errno(err, ...) say_errno_((err), quiet, __VA_ARGS__)
__attribute__((format(printf, 3, 4)))
static int say_errno_(int err, bool quiet, const char *fmt, ...)
{
        char msg[768];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        say(quiet, "%s: %s", msg, strerror(-err));
        return err;
}

static bool owner_trusted(uid_t uid)
{
#ifdef CAIRN_TEST_MODE
        if (uid == geteuid())
                return true;
#endif
        return uid == 0;
}

static const char *writable_by(mode_t mode)
{
        return (mode & S_IWOTH) ? "others" : "group";
}

/* A directory on the way to `what`, at `dir`: root's, and not writable by
 * group or others unless sticky (/tmp: there, only an entry's owner can
 * rename or remove it, and the entries on the way are checked to be
 * root's).  Logged if not. */
static int check_dir(const struct stat *st, const char *dir, const char *what, bool quiet)
{
        if (!owner_trusted(st->st_uid)) {
                say(quiet, "%s: owned by uid %u, not by root; refusing to use %s, which is in it", dir,
                          (unsigned) st->st_uid, what);
                return -EPERM;
        }
        if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX)) {
                say(quiet, "%s: writable by %s (mode %04o); refusing to use %s, which is in it", dir,
                          writable_by(st->st_mode), (unsigned) (st->st_mode & 07777), what);
                return -EPERM;
        }
        return 0;
}

/* The last component, named `what`: a regular file (or, with want_dir, a
 * directory) of root's, not writable by group or others. */
static int check_last(const struct stat *st, const char *what, bool want_dir, bool quiet)
{
        if (want_dir && !S_ISDIR(st->st_mode)) {
                say(quiet, "%s: %s", what, strerror(ENOTDIR));
                return -ENOTDIR;
        }
        if (!want_dir && !S_ISREG(st->st_mode)) {
                say(quiet, "%s: not a regular file", what);
                return -EPERM;
        }
        if (!owner_trusted(st->st_uid)) {
                say(quiet, "%s: owned by uid %u, not by root; refusing to use it", what,
                          (unsigned) st->st_uid);
                return -EPERM;
        }
        if (st->st_mode & (S_IWGRP | S_IWOTH)) {
                say(quiet, "%s: writable by %s (mode %04o); refusing to use it", what,
                          writable_by(st->st_mode), (unsigned) (st->st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

/* Where the walk is: the directories from "/" down (their descriptors,
 * each checked before anything in it was looked up), and its path, for
 * messages. */
struct walk {
        int fds[MAX_DEPTH];
        size_t depth; /* fds[0] is "/" */
        char path[PATH_MAX];
        size_t len[MAX_DEPTH]; /* strlen(path) at each depth */
        struct stat top;       /* of fds[depth] */
};

static void walk_done(struct walk *w)
{
        for (size_t i = 0; i <= w->depth; i++)
                if (w->fds[i] >= 0)
                        close(w->fds[i]);
        w->depth = 0;
        w->fds[0] = -1;
}

static int walk_to_root(struct walk *w)
{
        while (w->depth > 0)
                close(w->fds[w->depth--]);
        if (w->fds[0] < 0) {
                w->fds[0] = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (w->fds[0] < 0)
                        return negative_errno();
        }
        if (fstat(w->fds[0], &w->top) < 0)
                return negative_errno();
        w->path[0] = '\0';
        w->len[0] = 0;
        return 0;
}

/* Resolve `path` from "/" one component at a time with O_NOFOLLOW,
 * checking every directory before anything in it is looked up, and every
 * symlink met: one in a sticky directory must be root's, and what it
 * points to is walked the same way (an absolute target from "/" again).
 * So no directory that someone else can write decides what is reached,
 * however the path gets there.  The last component is opened O_PATH and
 * checked by check_last().  `what` names the file in messages. */
static int chase(const char *path, const char *what, unsigned flags, int *ret_fd)
{
        const bool want_dir = flags & TRUST_DIR, quiet = flags & TRUST_QUIET;
        _cleanup_free_ char *todo = NULL;
        struct walk w = { .fds = { -1 } };
        unsigned links = 0;
        char *rest;
        int r;

        if (path[0] != '/')
                return -EINVAL;
        todo = strdup(path);
        if (!todo)
                return -ENOMEM;
        r = walk_to_root(&w);
        if (r < 0)
                goto out;
        r = check_dir(&w.top, "/", what, quiet);
        if (r < 0)
                goto out;
        rest = todo;
        for (;;) {
                _cleanup_close_ int fd = -1;
                struct stat st;
                char *name;
                bool more;

                rest += strspn(rest, "/");
                if (!*rest) {
                        /* The path ends at a directory walked into. */
                        r = check_last(&w.top, what, want_dir, quiet);
                        if (r < 0)
                                goto out;
                        *ret_fd = fcntl(w.fds[w.depth], F_DUPFD_CLOEXEC, 3);
                        r = *ret_fd < 0 ? negative_errno() : 0;
                        goto out;
                }
                name = rest;
                rest += strcspn(rest, "/");
                if (*rest)
                        *rest++ = '\0';
                more = rest[strspn(rest, "/")] != '\0';
                if (streq(name, "."))
                        continue;
                if (streq(name, "..")) {
                        if (w.depth > 0) {
                                close(w.fds[w.depth--]);
                                w.path[w.len[w.depth]] = '\0';
                                if (fstat(w.fds[w.depth], &w.top) < 0) {
                                        r = negative_errno();
                                        goto out;
                                }
                        }
                        continue;
                }
                fd = openat(w.fds[w.depth], name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &st) < 0) {
                        r = say_errno(negative_errno(), "%s", what);
                        goto out;
                }
                /* In a sticky directory that others can write, only what
                 * root put there: anyone else's entry is theirs to change. */
                if ((w.top.st_mode & S_ISVTX) && (w.top.st_mode & (S_IWGRP | S_IWOTH)) &&
                    !owner_trusted(st.st_uid)) {
                        say(quiet, "%s/%s: owned by uid %u, in a directory others can write; "
                                          "refusing to use %s", w.path, name, (unsigned) st.st_uid, what);
                        r = -EPERM;
                        goto out;
                }
                if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t n;
                        char *next;

                        if (++links > MAX_LINKS) {
                                r = say_errno(-ELOOP, "%s", what);
                                goto out;
                        }
                        n = readlinkat(fd, "", target, sizeof target - 1);
                        if (n < 0) {
                                r = say_errno(negative_errno(), "%s: read symlink", what);
                                goto out;
                        }
                        target[n] = '\0';
                        next = more ? xasprintf("%s/%s", target, rest) : strdup(target);
                        if (!next) {
                                r = -ENOMEM;
                                goto out;
                        }
                        free(todo);
                        rest = todo = next;
                        if (target[0] == '/') {
                                r = walk_to_root(&w);
                                if (r < 0)
                                        goto out;
                        }
                        continue;
                }
                if (!more && !S_ISDIR(st.st_mode)) {
                        r = check_last(&st, what, want_dir, quiet);
                        if (r < 0)
                                goto out;
                        *ret_fd = TAKE_FD(fd);
                        goto out;
                }
                if (!S_ISDIR(st.st_mode)) {
                        r = say_errno(-ENOTDIR, "%s", what);
                        goto out;
                }
                /* A directory: walked into once checked (the last one by
                 * check_last(), at the end). */
                if (w.depth + 1 >= MAX_DEPTH || w.len[w.depth] + 1 + strlen(name) >= sizeof w.path) {
                        r = say_errno(-ENAMETOOLONG, "%s", what);
                        goto out;
                }
                w.depth++;
                w.fds[w.depth] = TAKE_FD(fd);
                w.top = st;
                w.len[w.depth] = w.len[w.depth - 1] + 1 + strlen(name);
                strcat(w.path, "/");
                strcat(w.path, name);
                if (more) {
                        r = check_dir(&st, w.path, what, quiet);
                        if (r < 0)
                                goto out;
                }
        }
out:
        walk_done(&w);
        return r;
}

/* `path` as chase() wants it: absolute. */
static char *absolute(const char *path)
{
        return path[0] == '/' ? strdup(path) : path_make_absolute(path);
}

int trust_open(const char *path, unsigned flags, int *ret_fd)
{
        _cleanup_free_ char *abs = absolute(path);

        if (!abs) {
                const bool quiet = flags & TRUST_QUIET;

                return say_errno(negative_errno(), "%s", path);
        }
        return chase(abs, path, flags, ret_fd);
}

int open_trusted_path(const char *path, int *ret_fd)
{
        return trust_open(path, 0, ret_fd);
}

int open_trusted(const char *path, int *ret_fd)
{
        _cleanup_close_ int fd = -1;
        char buf[32];
        int r, rfd;

        r = open_trusted_path(path, &fd);
        if (r < 0)
                return r;
        /* Reopen what was checked, through its descriptor: the magic link
         * is the inode the O_PATH descriptor holds, not a path that could
         * have been replaced meanwhile. */
        rfd = open(fd_path(fd, buf), O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (rfd < 0)
                return log_errno(negative_errno(), "%s", path);
        *ret_fd = rfd;
        return 0;
}
