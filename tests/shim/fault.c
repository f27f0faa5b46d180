/* SPDX-License-Identifier: Apache-2.0 */
/*
 * LD_PRELOAD shim for the integration tests: crash cairn, or make one of its
 * system calls fail, at an exact point.  It interposes the libc wrappers
 * that libcairn (and the plugins) call, and passes every call on to libc
 * (dlsym(RTLD_NEXT)) unless told otherwise by the environment:
 *
 *   CAIRN_SHIM_KILL_AT=NAME:K[,NAME:K...]
 *           SIGKILL right AFTER the K-th call of NAME has returned (for
 *           write: once the K-th write of the journal is done; writes to
 *           descriptors 0-2 are not counted, and cairn's only other
 *           write(2) calls are those of cairn_write_file(), one per file
 *           it makes with contents, after the file's journal write).
 *   CAIRN_SHIM_KILL_BEFORE=NAME:K[,NAME:K...]
 *           SIGKILL right BEFORE the K-th call of NAME (it never happens).
 *   CAIRN_SHIM_STOP_AT=NAME:K[,NAME:K...]
 *           SIGSTOP right after the K-th call of NAME: the process stays
 *           alive (its locks held) until the test sends SIGCONT.
 *   CAIRN_SHIM_FAIL=NAME:N:ERRNO[,NAME:N:ERRNO...]
 *           the N-th call of NAME fails with ERRNO (a name such as EIO, or
 *           a number) without being made; once.  "N+": the N-th call and
 *           every later one; "*": every call (a missing syscall: ENOSYS, a
 *           mount that stays busy: EBUSY).  Each spec counts on its own,
 *           so "mount:1:EIO,umount2:1:EBUSY" fails both first calls.
 *   CAIRN_SHIM_COUNT=FILE
 *           append one line "NAME" to FILE per call (before it is made),
 *           so a test can learn how many calls of each kind a run makes.
 *
 * NAME is a function name, or a group: "@mount" (mount, fsopen, fsconfig,
 * fsmount, move_mount, open_tree, mount_setattr: every mount-family call),
 * "@any" (every interposed function).  K and N count from 1.
 *
 * The shim acts only in a process that has libcairn loaded (it looks up
 * cairn_main), so the libtool wrapper script and whatever else runs with
 * the same environment are left alone.  Counters are atomic; the shim calls
 * no function it interposes, so it cannot recurse.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../errno-names.h"

enum fn {
        F_MOUNT,
        F_UMOUNT2,
        F_MKDIRAT,
        F_MKNODAT,
        F_UNLINKAT,
        F_FSOPEN,
        F_FSCONFIG,
        F_FSMOUNT,
        F_MOVE_MOUNT,
        F_OPEN_TREE,
        F_MOUNT_SETATTR,
        F_FDATASYNC,
        F_WRITE,
        F_MKDIR,
        F_RMDIR,
        F_UNLINK,
        F_CLOSE_RANGE,
        F_SYMLINKAT,
        F_SETNS,
        F_MAX
};

static const char *const fn_names[F_MAX] = {
        [F_MOUNT] = "mount",           [F_UMOUNT2] = "umount2",     [F_MKDIRAT] = "mkdirat",
        [F_MKNODAT] = "mknodat",       [F_UNLINKAT] = "unlinkat",   [F_FSOPEN] = "fsopen",
        [F_FSCONFIG] = "fsconfig",     [F_FSMOUNT] = "fsmount",     [F_MOVE_MOUNT] = "move_mount",
        [F_OPEN_TREE] = "open_tree",   [F_MOUNT_SETATTR] = "mount_setattr",
        [F_FDATASYNC] = "fdatasync",   [F_WRITE] = "write",         [F_MKDIR] = "mkdir",         [F_RMDIR] = "rmdir",
        [F_UNLINK] = "unlink",         [F_CLOSE_RANGE] = "close_range", [F_SYMLINKAT] = "symlinkat",
        [F_SETNS] = "setns",
};

static bool is_mount_family(enum fn f)
{
        switch (f) {
        case F_MOUNT:
        case F_FSOPEN:
        case F_FSCONFIG:
        case F_FSMOUNT:
        case F_MOVE_MOUNT:
        case F_OPEN_TREE:
        case F_MOUNT_SETATTR:
                return true;
        default:
                return false;
        }
}

enum action { A_KILL_AFTER = 1, A_KILL_BEFORE, A_STOP_AFTER, A_FAIL }; /* 0: nothing */

#define MAX_SPECS 16
struct spec {
        enum action action;
        int group; /* -1: @any, -2: @mount, else an enum fn */
        unsigned long at;
        bool from; /* "N+": the at-th call and all later ones */
        int err;
        unsigned long count; /* atomic */
};

static struct spec specs[MAX_SPECS];
static int n_specs;
static int count_fd = -1;
static int active = -1; /* -1: not decided yet; atomic */

/* write(2) is interposed too: the shim's own writes go to the kernel. */
static void raw_write(int fd, const void *buf, size_t n)
{
        (void) syscall(SYS_write, fd, buf, n);
}

static void die(const char *what, const char *s)
{
        /* A bad spec must not go unnoticed: fail loudly, like a crash the
         * test did not ask for (exit 99, never 0, 1 or 3). */
        static const char pfx[] = "cairn fault shim: bad ";
        raw_write(2, pfx, sizeof pfx - 1);
        raw_write(2, what, strlen(what));
        raw_write(2, ": ", 2);
        raw_write(2, s, strlen(s));
        raw_write(2, "\n", 1);
        _exit(99);
}

static int parse_name(const char *s)
{
        if (strcmp(s, "@any") == 0)
                return -1;
        if (strcmp(s, "@mount") == 0)
                return -2;
        for (int i = 0; i < F_MAX; i++)
                if (strcmp(s, fn_names[i]) == 0)
                        return i;
        return -3;
}

/* "NAME:K[:ERRNO],..." */
static void parse_specs(const char *var, enum action action)
{
        const char *v = getenv(var);
        char *copy, *save = NULL;

        if (!v || !*v)
                return;
        copy = strdup(v);
        if (!copy)
                die(var, "out of memory");
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char *name = tok, *at, *err = NULL, *end;
                struct spec *sp;

                if (n_specs == MAX_SPECS)
                        die(var, "too many specs");
                sp = &specs[n_specs];
                at = strchr(name, ':');
                if (!at)
                        die(var, tok);
                *at++ = '\0';
                if (action == A_FAIL) {
                        err = strchr(at, ':');
                        if (!err)
                                die(var, "NAME:N:ERRNO expected");
                        *err++ = '\0';
                }
                sp->action = action;
                sp->group = parse_name(name);
                if (sp->group == -3)
                        die(var, name);
                if (strcmp(at, "*") == 0) {
                        sp->at = 1;
                        sp->from = true;
                } else {
                        errno = 0;
                        sp->at = strtoul(at, &end, 10);
                        if (end != at && *end == '+' && action == A_FAIL) {
                                sp->from = true;
                                end++;
                        }
                        if (errno || end == at || *end || sp->at == 0)
                                die(var, at);
                }
                if (err) {
                        sp->err = errno_from_name(err);
                        if (sp->err < 0)
                                die(var, err);
                }
                n_specs++;
        }
        free(copy);
}

__attribute__((constructor)) static void shim_init(void)
{
        const char *c = getenv("CAIRN_SHIM_COUNT");

        parse_specs("CAIRN_SHIM_KILL_AT", A_KILL_AFTER);
        parse_specs("CAIRN_SHIM_KILL_BEFORE", A_KILL_BEFORE);
        parse_specs("CAIRN_SHIM_STOP_AT", A_STOP_AFTER);
        parse_specs("CAIRN_SHIM_FAIL", A_FAIL);
        if (c && *c) {
                count_fd = open(c, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
                if (count_fd < 0)
                        die("CAIRN_SHIM_COUNT", c);
        }
}

/* Only in cairn itself: the process must have libcairn loaded. */
static bool shim_active(void)
{
        int a = __atomic_load_n(&active, __ATOMIC_ACQUIRE);

        if (a < 0) {
                a = dlsym(RTLD_DEFAULT, "cairn_main") != NULL;
                __atomic_store_n(&active, a, __ATOMIC_RELEASE);
        }
        return a;
}

static bool spec_matches(const struct spec *sp, enum fn f)
{
        return sp->group == -1 || (sp->group == -2 && is_mount_family(f)) || sp->group == (int) f;
}

static void kill_self(void)
{
        /* Straight to the kernel: nothing in user space gets to run. */
        syscall(SYS_kill, getpid(), SIGKILL);
        for (;;)
                pause();
}

static void stop_self(void)
{
        int e = errno;

        syscall(SYS_kill, getpid(), SIGSTOP);
        errno = e;
}

/* Before a call: count it, and kill or fail it if told to.  Returns the
 * errno to fail with (0: make the call); *after says what to do once it
 * has returned (0, A_KILL_AFTER or A_STOP_AFTER). */
static int before(enum fn f, int *after)
{
        int fail = 0;

        *after = 0;
        if (!shim_active())
                return 0;
        if (count_fd >= 0) {
                char line[32];
                size_t n = strlen(fn_names[f]);

                memcpy(line, fn_names[f], n);
                line[n++] = '\n';
                raw_write(count_fd, line, n);
        }
        for (int i = 0; i < n_specs; i++) {
                struct spec *sp = &specs[i];
                unsigned long k;

                if (!spec_matches(sp, f))
                        continue;
                k = __atomic_add_fetch(&sp->count, 1, __ATOMIC_SEQ_CST);
                if (k != sp->at && !(sp->from && k > sp->at))
                        continue;
                switch (sp->action) {
                case A_KILL_BEFORE:
                        kill_self();
                        break;
                case A_KILL_AFTER:
                        *after = A_KILL_AFTER;
                        break;
                case A_STOP_AFTER:
                        if (*after != A_KILL_AFTER)
                                *after = A_STOP_AFTER;
                        break;
                case A_FAIL:
                        if (!fail)
                                fail = sp->err;
                        break;
                }
        }
        return fail;
}

static void *real(enum fn f)
{
        static void *cache[F_MAX];
        void *p = __atomic_load_n(&cache[f], __ATOMIC_ACQUIRE);

        if (!p) {
                p = dlsym(RTLD_NEXT, fn_names[f]);
                if (!p) {
                        /* Should not happen with glibc >= 2.36. */
                        die("symbol", fn_names[f]);
                }
                __atomic_store_n(&cache[f], p, __ATOMIC_RELEASE);
        }
        return p;
}

/* The build hides symbols by default (-fvisibility=hidden): the wrappers
 * must be exported to interpose anything. */
#define SHIM_EXPORT __attribute__((visibility("default")))

/* Each wrapper: decide, call the real function unless failing, then maybe
 * die; errno is what the real call (or the injected failure) left. */
#define WRAP(F, RET, CALL)                                          \
        do {                                                        \
                int after_;                                         \
                int fail_ = before(F, &after_);                     \
                RET r_;                                             \
                if (fail_) {                                        \
                        errno = fail_;                              \
                        r_ = -1;                                    \
                } else                                              \
                        r_ = CALL;                                  \
                if (after_ == A_KILL_AFTER)                         \
                        kill_self();                                \
                if (after_ == A_STOP_AFTER)                         \
                        stop_self();                                \
                return r_;                                          \
        } while (0)

SHIM_EXPORT int mount(const char *source, const char *target, const char *fstype, unsigned long flags,
          const void *data)
{
        int (*fn)(const char *, const char *, const char *, unsigned long, const void *) = real(F_MOUNT);
        WRAP(F_MOUNT, int, fn(source, target, fstype, flags, data));
}

SHIM_EXPORT int umount2(const char *target, int flags)
{
        int (*fn)(const char *, int) = real(F_UMOUNT2);
        WRAP(F_UMOUNT2, int, fn(target, flags));
}

SHIM_EXPORT int mkdirat(int dirfd, const char *path, mode_t mode)
{
        int (*fn)(int, const char *, mode_t) = real(F_MKDIRAT);
        WRAP(F_MKDIRAT, int, fn(dirfd, path, mode));
}

SHIM_EXPORT int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
        int (*fn)(int, const char *, mode_t, dev_t) = real(F_MKNODAT);
        WRAP(F_MKNODAT, int, fn(dirfd, path, mode, dev));
}

SHIM_EXPORT int setns(int fd, int nstype)
{
        int (*fn)(int, int) = real(F_SETNS);
        WRAP(F_SETNS, int, fn(fd, nstype));
}

SHIM_EXPORT int symlinkat(const char *to, int dirfd, const char *path)
{
        int (*fn)(const char *, int, const char *) = real(F_SYMLINKAT);
        WRAP(F_SYMLINKAT, int, fn(to, dirfd, path));
}

SHIM_EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
        int (*fn)(int, const char *, int) = real(F_UNLINKAT);
        WRAP(F_UNLINKAT, int, fn(dirfd, path, flags));
}

SHIM_EXPORT int fsopen(const char *fsname, unsigned int flags)
{
        int (*fn)(const char *, unsigned int) = real(F_FSOPEN);
        WRAP(F_FSOPEN, int, fn(fsname, flags));
}

SHIM_EXPORT int fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
        int (*fn)(int, unsigned int, const char *, const void *, int) = real(F_FSCONFIG);
        WRAP(F_FSCONFIG, int, fn(fd, cmd, key, value, aux));
}

SHIM_EXPORT int fsmount(int fd, unsigned int flags, unsigned int attr_flags)
{
        int (*fn)(int, unsigned int, unsigned int) = real(F_FSMOUNT);
        WRAP(F_FSMOUNT, int, fn(fd, flags, attr_flags));
}

SHIM_EXPORT int move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path,
               unsigned int flags)
{
        int (*fn)(int, const char *, int, const char *, unsigned int) = real(F_MOVE_MOUNT);
        WRAP(F_MOVE_MOUNT, int, fn(from_dirfd, from_path, to_dirfd, to_path, flags));
}

SHIM_EXPORT int open_tree(int dfd, const char *filename, unsigned int flags)
{
        int (*fn)(int, const char *, unsigned int) = real(F_OPEN_TREE);
        WRAP(F_OPEN_TREE, int, fn(dfd, filename, flags));
}

SHIM_EXPORT int mount_setattr(int dfd, const char *path, unsigned int flags, struct mount_attr *attr,
                  size_t size)
{
        int (*fn)(int, const char *, unsigned int, struct mount_attr *, size_t) = real(F_MOUNT_SETATTR);
        WRAP(F_MOUNT_SETATTR, int, fn(dfd, path, flags, attr, size));
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
        int (*fn)(unsigned int, unsigned int, int) = real(F_CLOSE_RANGE);
        WRAP(F_CLOSE_RANGE, int, fn(first, last, flags));
}

SHIM_EXPORT int fdatasync(int fd)
{
        int (*fn)(int) = real(F_FDATASYNC);
        WRAP(F_FDATASYNC, int, fn(fd));
}

SHIM_EXPORT int mkdir(const char *path, mode_t mode)
{
        int (*fn)(const char *, mode_t) = real(F_MKDIR);
        WRAP(F_MKDIR, int, fn(path, mode));
}

SHIM_EXPORT int rmdir(const char *path)
{
        int (*fn)(const char *) = real(F_RMDIR);
        WRAP(F_RMDIR, int, fn(path));
}

SHIM_EXPORT int unlink(const char *path)
{
        int (*fn)(const char *) = real(F_UNLINK);
        WRAP(F_UNLINK, int, fn(path));
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
        ssize_t (*fn)(int, const void *, size_t) = real(F_WRITE);

        /* Standard output and error are not the journal: not counted. */
        if (fd >= 0 && fd <= 2)
                return fn(fd, buf, n);
        WRAP(F_WRITE, ssize_t, fn(fd, buf, n));
}
