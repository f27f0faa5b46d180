/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec's G: CMD's process, started by the sandbox's init (exec_init.c)
 * the way posix_spawn(3) starts one: clone(2) with CLONE_VM|CLONE_VFORK,
 * on a stack of its own, the init suspended until CMD is executed (or G
 * has failed), so no page of the init's is copied.  The root is entered
 * through the session's descriptor of it, never by its path (which
 * someone may have pointed elsewhere meanwhile): the root (a clone of it
 * with everything mounted in it, if it is not a mount's root already) is
 * made "/" with pivot_root(2), and the old root is detached: no path,
 * ".." or descriptor leads out of it.  The init does that itself, in its
 * own mount namespace, unless a plugin's teardown function needs the
 * mounts in place after CMD; then G does it, in a mount namespace of its
 * own.  Then --cwd, then --user (supplementary groups dropped, gid, uid,
 * no new privileges), then execvp().  Without --user this is not a
 * confinement: CMD runs as cairn does (root, every capability).
 *
 * G shares the init's memory until execvp(): it calls nothing that takes
 * a lock the init could hold, changes nothing of the init's but errno,
 * and ends with _exit().  A sanitizer build forks instead: AddressSanitizer
 * takes a stack it does not know for an error.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <linux/close_range.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "exec.h"
#include "log.h"
#include "util.h"

/* The mount on top of the working directory (which is under it, as it
 * was before the mount was made there), as a descriptor: entering a
 * mount takes a walk by name, and the name is looked for in the parent,
 * each candidate checked to be this directory (device, inode) on a mount
 * whose root it is, other than the one under it.  In a mount namespace of
 * the child's own nobody else mounts: a rename meanwhile makes it refuse,
 * never enter something else. */
static int open_mount_on_cwd(const struct statx *under, int *ret_fd)
{
        _cleanup_close_ int parent = open("..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;
        int r = -ESTALE;

        if (parent < 0)
                return negative_errno();
        d = fdopendir(parent);
        if (!d)
                return negative_errno();
        parent = -1; /* the DIR has it now */
        for (struct dirent *de; (de = readdir(d));) {
                _cleanup_close_ int fd = -1;
                struct statx stx;

                if ((de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) || streq(de->d_name, ".") ||
                    streq(de->d_name, ".."))
                        continue;
                fd = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &stx) < 0)
                        continue;
                if (stx.stx_ino == under->stx_ino && stx.stx_dev_major == under->stx_dev_major &&
                    stx.stx_dev_minor == under->stx_dev_minor && stx.stx_mnt_id != under->stx_mnt_id &&
                    (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
                    (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
                        *ret_fd = TAKE_FD(fd);
                        r = 0;
                        break;
                }
        }
        closedir(d);
        return r;
}

/* Without the new mount API (before Linux 5.2; valgrind 3.19): the root,
 * the working directory, bound onto itself (with all that is mounted in
 * it), so that it is a mount to pivot into.  Not chroot(2): a root-owned
 * CMD walks out of a chroot with "..". */
static int bind_cwd_onto_itself(void)
{
        _cleanup_close_ int top = -1;
        struct statx under;
        int r;

        if (statx(AT_FDCWD, ".", 0, STATX_INO | STATX_MNT_ID, &under) < 0)
                return negative_errno();
        if ((under.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
            (under.stx_attributes & STATX_ATTR_MOUNT_ROOT))
                return 0; /* a mount's root already */
        if (mount(".", ".", NULL, MS_BIND | MS_REC, NULL) < 0)
                return negative_errno();
        r = open_mount_on_cwd(&under, &top);
        if (r == -ESTALE)
                log_error("exec: the root, bound onto itself, is no longer in its parent directory "
                          "(renamed meanwhile?)");
        if (r < 0)
                return r;
        return fchdir(top) < 0 ? negative_errno() : 0;
}

static bool is_mount_root(int fd)
{
        struct statx stx;

        return statx(fd, "", AT_EMPTY_PATH, 0, &stx) == 0 && (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
               (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int exec_enter_root(int root_fd, bool own_namespace)
{
        _cleanup_close_ int tree = -1;
        int r;

        if (fchdir(root_fd) < 0)
                return negative_errno();
        /* A root that is a mount's root already (a tmpfs root) is pivoted
         * into as it is, in a namespace of this process's own: a copy, to
         * which the working directory has followed. */
        if (is_mount_root(root_fd)) {
                if (own_namespace && unshare(CLONE_NEWNS) < 0)
                        return negative_errno();
                goto pivot;
        }
        tree = open_tree(root_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
        if (tree < 0 && errno != ENOSYS)
                return negative_errno();
        /* The working directory follows into the new namespace's copy of
         * the root; the clone is attached on it there, and made "/". */
        if (own_namespace && unshare(CLONE_NEWNS) < 0)
                return negative_errno();
        if (tree >= 0) {
                if (move_mount(tree, "", AT_FDCWD, ".", MOVE_MOUNT_F_EMPTY_PATH) < 0 || fchdir(tree) < 0)
                        return negative_errno();
        } else {
                r = bind_cwd_onto_itself();
                if (r < 0)
                        return r;
        }
pivot:
        if (syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
                return negative_errno();
        return 0;
}

/* Only stdin, stdout and stderr reach CMD: whatever else cairn was given
 * (a runtime's sockets, pipes) does not.  Without close_range(2) (before
 * Linux 5.11), each descriptor /proc/self/fd lists, or, where it cannot
 * be read, every number up to the hard limit (the soft one may have been
 * lowered after they were opened). */
static void close_on_exec_from_3(void)
{
        struct rlimit rl;
        rlim_t top = 1U << 20; /* fs.nr_open's default ceiling */
        DIR *d;

        if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
                return;
        d = opendir("/proc/self/fd");
        if (d) {
                for (struct dirent *de; (de = readdir(d));) {
                        int fd = atoi(de->d_name);
                        if (fd >= 3 && fd != dirfd(d))
                                (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
                }
                closedir(d);
                return;
        }
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY)
                top = rl.rlim_max;
        for (rlim_t fd = 3; fd < top; fd++)
                (void) fcntl((int) fd, F_SETFD, FD_CLOEXEC);
}

/* A failure before CMD: logged, told to the init (which makes it cairn's
 * failure, exit 1, and an error line), and the end of this process. */
_Noreturn __attribute__((format(printf, 3, 4))) static void child_fail(int err_fd, int err,
                                                                      const char *fmt, ...)
{
        char what[400], msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        snprintf(msg, sizeof msg, "exec: %s: %s", what, strerror(-err));
        log_error("%s", msg);
        exec_msg_send(err_fd, EXEC_MSG_ERROR, 1, msg);
        _exit(1);
}

static _Noreturn void exec_child(const struct exec_child_args *a)
{
        const struct exec_opts *o = a->opts;
        const int err_fd = a->err_fd;
        static const int reset[] = {
                SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGCHLD,
                /* cairn ignores these (cli.c); an ignored signal stays
                 * ignored across execve(). */
                SIGPIPE, SIGXFSZ,
        };
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        int r;

        /* The dispositions first, then the mask: a signal let through now
         * has its default effect, not the init's handler's. */
        for (size_t i = 0; i < ELEMENTSOF(reset); i++)
                (void) sigaction(reset[i], &dfl, NULL);
        if (sigprocmask(SIG_SETMASK, a->orig_mask, NULL) < 0)
                child_fail(err_fd, negative_errno(), "signal mask");
        /* Before the root is entered, if G enters it: /proc is the host's
         * here (only read without close_range(2)). */
        close_on_exec_from_3();
        if (a->root_fd >= 0) {
                r = exec_enter_root(a->root_fd, true);
                if (r < 0)
                        child_fail(err_fd, r, "enter the root %s", a->root);
        }
        /* Inside the root: CMD's "/" is the root, so is the path's. */
        if (o->cwd && chdir(o->cwd) < 0)
                child_fail(err_fd, negative_errno(), "--cwd %s", o->cwd);
        /* The system calls themselves: the C library's wrappers would
         * change the ids of every thread of the process whose memory this
         * is (the init's, which must keep its own). */
        if (o->set_ids) {
                if (syscall(SYS_setgroups, 0, NULL) < 0)
                        child_fail(err_fd, negative_errno(), "--user: drop the supplementary groups");
                if (syscall(SYS_setgid, o->gid) < 0)
                        child_fail(err_fd, negative_errno(), "--user: setgid %u", (unsigned) o->gid);
                if (syscall(SYS_setuid, o->uid) < 0)
                        child_fail(err_fd, negative_errno(), "--user: setuid %u", (unsigned) o->uid);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        child_fail(err_fd, negative_errno(), "--user: no new privileges");
        }
        execvp(o->argv[0], o->argv);
        log_errno(negative_errno(), "exec: %s", o->argv[0]);
        _exit(127);
}

#if defined(__SANITIZE_ADDRESS__)
#define EXEC_CHILD_FORKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXEC_CHILD_FORKS 1
#endif
#endif

#ifndef EXEC_CHILD_FORKS
/* G's stack: CMD's start needs a few KiB (messages, execvp()'s search of
 * PATH); its lowest page is a guard. */
#define CHILD_STACK_SIZE (256 * 1024)

static int child_main(void *p)
{
        exec_child(p);
}
#endif

pid_t exec_child_spawn(const struct exec_child_args *a)
{
#ifdef EXEC_CHILD_FORKS
        pid_t pid = fork();

        if (pid == 0)
                exec_child(a);
        return pid;
#else
        long page = sysconf(_SC_PAGESIZE);
        char *stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        pid_t pid;
        int saved;

        if (stack == MAP_FAILED)
                return -1;
        if (page <= 0 || mprotect(stack, (size_t) page, PROT_NONE) < 0) {
                saved = errno;
                (void) munmap(stack, CHILD_STACK_SIZE);
                errno = page <= 0 ? EINVAL : saved;
                return -1;
        }
        /* Returns once G has executed CMD or exited (CLONE_VFORK): the
         * stack is G's no longer. */
        pid = clone(child_main, stack + CHILD_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *) a);
        saved = errno;
        (void) munmap(stack, CHILD_STACK_SIZE);
        errno = saved;
        return pid;
#endif
}
