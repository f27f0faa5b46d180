/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec's G: CMD's process, forked by the sandbox's init (exec_init.c).
 * It enters the root through the session's descriptor of it, never by its
 * path (which someone may have pointed elsewhere meanwhile): in a mount
 * namespace of its own, a clone of the root with everything mounted in it
 * is attached and made the root with pivot_root(2), and the old root is
 * detached: no path, ".." or descriptor leads out of it.  Then --cwd,
 * then --user (supplementary groups dropped, gid, uid, no new privileges),
 * then execvp().  Without --user this is not a confinement: CMD runs as
 * cairn does (root, every capability).
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

/* Make the root, `root_fd`, this process's "/" and working directory,
 * through the descriptor: see the top of this file. */
static int enter_root(int root_fd)
{
        _cleanup_close_ int tree = -1;
        int r;

        if (fchdir(root_fd) < 0)
                return negative_errno();
        tree = open_tree(root_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
        if (tree < 0 && errno != ENOSYS)
                return negative_errno();
        /* The working directory follows into the new namespace's copy of
         * the root; the clone is attached on it there, and made "/". */
        if (unshare(CLONE_NEWNS) < 0)
                return negative_errno();
        if (tree >= 0) {
                if (move_mount(tree, "", AT_FDCWD, ".", MOVE_MOUNT_F_EMPTY_PATH) < 0 || fchdir(tree) < 0)
                        return negative_errno();
        } else {
                r = bind_cwd_onto_itself();
                if (r < 0)
                        return r;
        }
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

_Noreturn void exec_child(int root_fd, const char *root, const struct exec_opts *o, int err_fd,
                          const sigset_t *orig_mask)
{
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
        if (sigprocmask(SIG_SETMASK, orig_mask, NULL) < 0)
                child_fail(err_fd, negative_errno(), "signal mask");
        /* Before the root is entered: /proc is the host's here. */
        close_on_exec_from_3();
        r = enter_root(root_fd);
        if (r < 0)
                child_fail(err_fd, r, "enter the root %s", root);
        /* Inside the root: CMD's "/" is the root, so is the path's. */
        if (o->cwd && chdir(o->cwd) < 0)
                child_fail(err_fd, negative_errno(), "--cwd %s", o->cwd);
        if (o->set_ids) {
                if (setgroups(0, NULL) < 0)
                        child_fail(err_fd, negative_errno(), "--user: drop the supplementary groups");
                if (setgid(o->gid) < 0)
                        child_fail(err_fd, negative_errno(), "--user: setgid %u", (unsigned) o->gid);
                if (setuid(o->uid) < 0)
                        child_fail(err_fd, negative_errno(), "--user: setuid %u", (unsigned) o->uid);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        child_fail(err_fd, negative_errno(), "--user: no new privileges");
        }
        execvp(o->argv[0], o->argv);
        log_errno(negative_errno(), "exec: %s", o->argv[0]);
        _exit(127);
}
