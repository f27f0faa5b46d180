/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "trust.h"
#include "util.h"

/* Symlinks followed in one path, as the kernel's MAXSYMLINKS. */
#define MAX_LINKS 40
/* Directories deep, for "..": a path longer than this is refused. */
#define MAX_DEPTH 256

bool dir_keeps_entries(const struct stat *st)
{
        return (st->st_uid == 0 || st->st_uid == geteuid()) &&
               (!(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX));
}

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

/* Directories this process found trusted (each checked with every
 * directory above it), by the path the walk reached them by, with what
 * their stat said: a walk takes each directory on its way from here if it
 * is here, so the plugin directory is looked at once, not once a plugin,
 * and "/" and /tmp once for the config, its drop-ins and the state
 * directory.  Only root can change a directory that passed (root's, not
 * writable by anyone else, nor is any directory above it), and a cairn
 * process lives for milliseconds. */
#define CACHE_SIZE 32
static struct cached_dir {
        char *path; /* "" for "/"; else absolute, no trailing "/" */
        struct stat st;
} cache[CACHE_SIZE];
static size_t cache_used;

static const struct cached_dir *cache_get(const char *path)
{
        for (size_t i = 0; i < cache_used; i++)
                if (streq(cache[i].path, path))
                        return &cache[i];
        return NULL;
}

static void cache_put(const char *path, const struct stat *st)
{
        if (cache_used == CACHE_SIZE || cache_get(path))
                return;
        cache[cache_used].path = strdup(path);
        if (!cache[cache_used].path)
                return;
        cache[cache_used++].st = *st;
}

void trust_forget(void)
{
        for (size_t i = 0; i < cache_used; i++)
                free(cache[i].path);
        cache_used = 0;
}

/* What is at `path` now, not following a last symlink: from the cache for
 * a directory checked before, else lstat(). */
static int look(const char *path, struct stat *ret, bool *ret_cached)
{
        const struct cached_dir *c = cache_get(path);

        *ret_cached = c != NULL;
        if (c) {
                *ret = c->st;
                return 0;
        }
        return fstatat(AT_FDCWD, *path ? path : "/", ret, AT_SYMLINK_NOFOLLOW) < 0 ? negative_errno() : 0;
}

/* Resolve `path` one component at a time from "/", checking every
 * directory before anything in it is looked at, and every symlink met (in
 * a sticky directory, it must be root's), whose target is walked the same
 * way (an absolute one from "/" again).  So no directory that someone else
 * can write decides what is reached, however the path gets there.
 *
 * The components are looked at by their paths (lstat, one call each, no
 * descriptor: opening each cost twice as much, and a struct file each),
 * and the last one is then opened by the symlink-free path the walk found
 * (openat2 RESOLVE_NO_SYMLINKS) and checked on that descriptor.  Between
 * the look and the open, nothing on the way can be another object: each
 * name was looked at in a directory that only root can change (checked
 * just before), or in a sticky one where it was root's and so only root
 * can rename or remove it; and the descriptor must be what the walk saw
 * (same device and inode).
 *
 * The last component is checked by check_last(); *ret_fd (if asked for)
 * gets a descriptor of it: O_PATH (a file), or opened O_RDONLY
 * (TRUST_READ: a regular file, so opening it has no side effect; a
 * directory, TRUST_DIR).  `what` names the file in messages. */
/* The state of one walk: the symlink-free path so far (`walked`, with
 * where each of its components starts), what is left to walk (`rest`, in
 * `todo`), the directory the next component is in (`top`) and the last
 * thing looked at (`st`). */
struct walk {
        char walked[PATH_MAX];
        size_t lens[MAX_DEPTH], depth;
        char *todo, *rest;
        struct stat top, st;
        unsigned links;
};

static void walk_done(struct walk *w)
{
        free(w->todo);
}

/* The component just walked into is a symlink: go on from its target
 * instead (with what was left after it; `more`: there was something). */
static int walk_follow_link(struct walk *w, bool more, const char *what, bool quiet)
{
        char target[PATH_MAX];
        bool cached;
        char *next;
        ssize_t n;
        int r;

        if (++w->links > MAX_LINKS)
                return say_errno(-ELOOP, "%s", what);
        n = readlinkat(AT_FDCWD, w->walked, target, sizeof target - 1);
        if (n < 0)
                return say_errno(negative_errno(), "%s: read symlink %s", what, w->walked);
        target[n] = '\0';
        if (n == 0) /* as the kernel has it: leads nowhere */
                return say_errno(-ENOENT, "%s: symlink %s is empty", what, w->walked);
        next = more ? xasprintf("%s/%s", target, w->rest) : strdup(target);
        if (!next)
                return -ENOMEM;
        free(w->todo);
        w->rest = w->todo = next;
        w->walked[w->lens[w->depth]] = '\0'; /* the link is not a step */
        if (target[0] == '/') {
                w->depth = 0;
                w->walked[0] = '\0';
                r = look("", &w->top, &cached);
                if (r < 0)
                        return say_errno(r, "%s: /", what);
        }
        w->st = w->top;
        return 0;
}

/* Open what the walk found, by its symlink-free path, and make sure it is
 * what was checked (`st`): the same inode, passing the same checks. */
static int open_walked(const char *walked, const struct stat *st, unsigned flags, const char *what,
                       int *ret_fd)
{
        const bool want_dir = flags & TRUST_DIR, quiet = flags & TRUST_QUIET;
        struct open_how how = {
                .flags = (want_dir ? O_RDONLY | O_DIRECTORY
                          : (flags & TRUST_READ) ? O_RDONLY | O_NOCTTY | O_NONBLOCK
                                                 : O_PATH) | O_CLOEXEC,
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        _cleanup_close_ int fd = -1;
        struct stat fst;
        int r;

        fd = syscall(SYS_openat2, AT_FDCWD, walked, &how, sizeof how);
        if (fd < 0 && errno == ENOSYS) /* valgrind 3.19; the walk found no symlink in it */
                fd = open(walked, how.flags | O_NOFOLLOW);
        if (fd < 0)
                return say_errno(negative_errno(), "%s", what);
        if (fstat(fd, &fst) < 0)
                return say_errno(negative_errno(), "%s", what);
        if (fst.st_dev != st->st_dev || fst.st_ino != st->st_ino) {
                say(quiet, "%s: changed while it was checked; refusing it", what);
                return -EPERM;
        }
        r = check_last(&fst, what, want_dir, quiet);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* Walk w->rest from w->top, component by component: each directory on
 * the way checked (and cached), each symlink followed by hand.  At the
 * end, w->st is what the path names and w->walked its path without a
 * symlink in it. */
static int walk_all(struct walk *w, const char *what, bool quiet)
{
        bool cached;
        int r;

        w->st = w->top;
        w->rest = w->todo;
        for (;;) {
                char *name;
                size_t len;
                bool more, slash;

                w->rest += strspn(w->rest, "/");
                if (!*w->rest)
                        return 0; /* the path ends at a directory: st is it */
                name = w->rest;
                w->rest += strcspn(w->rest, "/");
                slash = *w->rest == '/'; /* "NAME/": NAME must be a directory */
                if (*w->rest)
                        *w->rest++ = '\0';
                more = w->rest[strspn(w->rest, "/")] != '\0';
                if (streq(name, "."))
                        continue;
                if (streq(name, "..")) {
                        if (w->depth > 0)
                                w->walked[w->lens[--w->depth]] = '\0';
                        r = look(w->walked, &w->st, &cached);
                        if (r < 0)
                                return say_errno(r, "%s", what);
                        w->top = w->st;
                        continue;
                }
                len = strlen(w->walked) + 1 + strlen(name);
                if (w->depth + 1 >= MAX_DEPTH || len >= sizeof w->walked)
                        return say_errno(-ENAMETOOLONG, "%s", what);
                w->lens[w->depth] = strlen(w->walked);
                w->walked[w->lens[w->depth]] = '/';
                strcpy(w->walked + w->lens[w->depth] + 1, name);
                r = look(w->walked, &w->st, &cached);
                if (r < 0)
                        return say_errno(r, "%s", what);
                if (cached) {
                        w->depth++;
                        w->top = w->st;
                        continue;
                }
                /* In a sticky directory that others can write, only what
                 * root put there: anyone else's entry is theirs to change. */
                if ((w->top.st_mode & S_ISVTX) && (w->top.st_mode & (S_IWGRP | S_IWOTH)) &&
                    !owner_trusted(w->st.st_uid)) {
                        say(quiet, "%s: owned by uid %u, in a directory others can write; "
                                   "refusing to use %s", w->walked, (unsigned) w->st.st_uid, what);
                        return -EPERM;
                }
                if (S_ISLNK(w->st.st_mode)) {
                        /* `name` is in w->todo, which the link replaces. */
                        r = walk_follow_link(w, more || slash, what, quiet);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (!S_ISDIR(w->st.st_mode)) {
                        if (more || slash)
                                return say_errno(-ENOTDIR, "%s", what);
                        return 0; /* the last component, a file */
                }
                /* A directory: walked into once checked (the last one by
                 * check_last(), at the end, and kept only then). */
                if (more) {
                        r = check_dir(&w->st, w->walked, what, quiet);
                        if (r < 0)
                                return r;
                        cache_put(w->walked, &w->st);
                }
                w->depth++;
                w->top = w->st;
        }
}

static int chase(const char *path, const char *what, unsigned flags, int *ret_fd, char **ret_real)
{
        const bool want_dir = flags & TRUST_DIR, quiet = flags & TRUST_QUIET;
        _cleanup_(walk_done) struct walk w = { .depth = 0 };
        bool cached;
        int r;

        if (path[0] != '/')
                return -EINVAL;
        w.todo = strdup(path);
        if (!w.todo)
                return -ENOMEM;
        r = look("", &w.top, &cached);
        if (r < 0)
                return say_errno(r, "%s: /", what);
        if (!cached) {
                r = check_dir(&w.top, "/", what, quiet);
                if (r < 0)
                        return r;
                cache_put("", &w.top);
        }
        r = walk_all(&w, what, quiet);
        if (r < 0)
                return r;
        r = check_last(&w.st, what, want_dir, quiet);
        if (r < 0)
                return r;
        if (want_dir && S_ISDIR(w.st.st_mode))
                cache_put(w.walked, &w.st);
        if (ret_real) {
                *ret_real = strdup(*w.walked ? w.walked : "/");
                if (!*ret_real)
                        return -ENOMEM;
        }
        if (!ret_fd)
                return 0;
        return open_walked(*w.walked ? w.walked : "/", &w.st, flags, what, ret_fd);
}

/* `path` as chase() wants it: absolute. */
static char *absolute(const char *path)
{
        return path[0] == '/' ? strdup(path) : path_make_absolute(path);
}

int trust_open_real(const char *path, unsigned flags, int *ret_fd, char **ret_real)
{
        _cleanup_free_ char *abs = absolute(path);
        _cleanup_free_ char *real = NULL;
        int r;

        if (!abs) {
                const bool quiet = flags & TRUST_QUIET;

                return say_errno(negative_errno(), "%s", path);
        }
        r = chase(abs, path, flags, ret_fd, ret_real ? &real : NULL);
        if (r < 0)
                return r;
        if (ret_real)
                *ret_real = TAKE_PTR(real);
        return 0;
}

int trust_open(const char *path, unsigned flags, int *ret_fd)
{
        return trust_open_real(path, flags, ret_fd, NULL);
}

int open_trusted(const char *path, int *ret_fd)
{
        return trust_open(path, TRUST_READ, ret_fd);
}
