/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec: one command in a throw-away root.  cairn moves into a private
 * mount namespace (so nothing it mounts is seen outside, and everything
 * goes away with the namespace even if cairn is killed), builds the root,
 * runs CMD with the root as its "/", tears the root down, and exits with
 * CMD's status.  The session is owned by this cairn process: if it is
 * killed, `cairn gc` finds the owner gone and removes the root and journal.
 *
 * CMD enters the root through the session's descriptor of it, never by
 * its path (which someone may have pointed elsewhere meanwhile): in a
 * mount namespace of its own, a clone of the root with everything mounted
 * in it is attached and made the root with pivot_root(2), and the old
 * root is detached: no path, ".." or descriptor leads out of it.  This is
 * not a confinement: CMD runs as cairn does (root, every capability).
 */
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cli.h"
#include "engine.h"
#include "loader.h"
#include "log.h"
#include "root.h"
#include "sessions.h"
#include "trust.h"
#include "util.h"

static const char exec_usage[] =
        "Usage: cairn [OPTIONS] exec [--root DIR] -- CMD [ARG...]\n"
        "Build a root in a private mount namespace, run CMD with it as its \"/\"\n"
        "(pivot_root), and take the root down.  Exit status: CMD's (128+N if signal N killed it;\n"
        "127 if CMD cannot be run); 1, 2 or 3 as for setup if no CMD ran.\n";

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
        if (child_pid > 0)
                kill((pid_t) child_pid, sig);
}

static int parse_exec(int argc, char *argv[], const char **ret_root)
{
        static const struct option opts[] = {
                { "root", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (c) {
                case 'r':
                        /* Opened once cairn is in its own mount namespace,
                         * where it will mount: a descriptor opened here
                         * would stand for the host's mount of it. */
                        *ret_root = optarg;
                        break;
                case 'h':
                        printf("%s", exec_usage);
                        return 1;
                default:
                        fprintf(stderr, "%s", exec_usage);
                        return -EINVAL;
                }
        }
        if (optind >= argc) {
                log_error("exec: no command given (cairn exec -- CMD [ARG...])");
                return -EINVAL;
        }
        return 0;
}

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

/* The child: into the root, then CMD; 127 if CMD cannot be run. */
static void run_child(int root_fd, const char *root, pid_t parent, char *argv[])
{
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        int r;

        /* CMD does not outlive the cairn that will take its root down: if
         * cairn is killed, so is CMD, and gc (cairn was the owner) finds
         * nothing in use. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(128 + SIGKILL);

        sigaction(SIGINT, &dfl, NULL);
        sigaction(SIGTERM, &dfl, NULL);
        sigaction(SIGHUP, &dfl, NULL);
        sigaction(SIGQUIT, &dfl, NULL);
        /* cairn ignores these (cli.c); an ignored signal stays ignored
         * across execve(). */
        sigaction(SIGPIPE, &dfl, NULL);
        sigaction(SIGXFSZ, &dfl, NULL);
        /* Before the root is entered: /proc is the host's here. */
        close_on_exec_from_3();
        r = enter_root(root_fd);
        if (r < 0) {
                log_errno(r, "exec: enter root %s", root);
                _exit(127);
        }
        execvp(argv[0], argv);
        log_errno(negative_errno(), "exec: %s", argv[0]);
        _exit(127);
}

static int wait_child(pid_t pid)
{
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return 127;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 127;
}

int cmd_exec(struct cli *cli, int argc, char *argv[])
{
        struct sigaction fwd = { .sa_handler = forward };
        struct setup_result res = { .root_fd = -1 };
        struct given_root given = { .fd = -1 };
        struct setup_opts o = {};
        const char *root_dir = NULL;
        struct cfg *cfg = NULL;
        struct loader *l = NULL;
        int r, status;
        pid_t pid;

        r = parse_exec(argc, argv, &root_dir);
        if (r != 0)
                return r > 0 ? EXIT_DONE : EXIT_USAGE;
        if (cli_load(cli, CFG_DIR_STATE | (root_dir ? 0 : CFG_DIR_ROOT_PARENT), &cfg, &l) < 0)
                return EXIT_USAGE;

        /* Private before anything is mounted: no mount of ours propagates
         * to the host, and none of the host's later ones reaches us. */
        if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                log_errno(negative_errno(), "exec: private mount namespace");
                status = EXIT_SETUP_FAILED;
                goto out;
        }
        if (root_dir) {
                if (given_root_open(root_dir, &given) < 0) {
                        status = EXIT_USAGE;
                        goto out;
                }
                o.root = &given;
        }
        o.owner = getpid();
        if (process_start_time(o.owner, &o.owner_start) < 0) {
                log_error("exec: cannot read this process's start time");
                status = EXIT_SETUP_FAILED;
                goto out;
        }

        r = engine_setup(cfg, l, &o, &res);
        if (r < 0) {
                status = r == -EBUSY ? EXIT_LEFTOVER : r == -EEXIST ? EXIT_USAGE : EXIT_SETUP_FAILED;
                goto out;
        }
        /* What was found trusted for the setup is not taken for granted
         * by the teardown after CMD, which may come much later. */
        trust_forget();

        sigaction(SIGINT, &fwd, NULL);
        sigaction(SIGTERM, &fwd, NULL);
        sigaction(SIGHUP, &fwd, NULL);
        sigaction(SIGQUIT, &fwd, NULL);
        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                log_errno(negative_errno(), "exec: fork");
                status = EXIT_SETUP_FAILED;
        } else if (pid == 0)
                run_child(res.root_fd, res.root, o.owner, argv + optind);
        else {
                child_pid = pid;
                status = wait_child(pid);
                child_pid = 0;
        }

        if (engine_teardown(cfg->state_dir, res.id, TAKE_FD(res.root_fd), l) < 0) {
                log_error("exec: the root %s could not be taken down fully; `cairn teardown %s` "
                          "can finish it", res.root, res.id);
                if (status == 0)
                        status = EXIT_LEFTOVER;
        }
out:
        setup_result_clear(&res);
        given_root_clear(&given);
        loader_free_at_exit(l);
        cfg_free(cfg);
        return status;
}
