/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec: one command in a throw-away root.  cairn moves into a private
 * mount namespace (so nothing it mounts is seen outside, and everything
 * goes away with the namespace even if cairn is killed), builds the root,
 * runs CMD chrooted there, tears the root down, and exits with CMD's
 * status.  The session is owned by this cairn process: if it is killed,
 * `cairn gc` finds the owner gone and removes the root and journal.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli.h"
#include "engine.h"
#include "loader.h"
#include "log.h"
#include "sessions.h"
#include "util.h"

static const char exec_usage[] =
        "Usage: cairn [OPTIONS] exec [--root DIR] -- CMD [ARG...]\n"
        "Build a root in a private mount namespace, run CMD chrooted in it, and\n"
        "take the root down.  Exit status: CMD's (128+N if signal N killed it;\n"
        "127 if CMD cannot be run); 1, 2 or 3 as for setup if no CMD ran.\n";

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
        if (child_pid > 0)
                kill((pid_t) child_pid, sig);
}

static int parse_exec(int argc, char *argv[], struct setup_opts *o)
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
                        if (cli_check_root_dir(optarg) < 0)
                                return -EINVAL;
                        o->root_dir = optarg;
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

/* The child: into the root, then CMD; 127 if CMD cannot be run. */
static void run_child(const char *root, pid_t parent, char *argv[])
{
        struct sigaction dfl = { .sa_handler = SIG_DFL };

        /* CMD does not outlive the cairn that will take its root down: if
         * cairn is killed, so is CMD, and gc (cairn was the owner) finds
         * nothing in use. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(128 + SIGKILL);

        sigaction(SIGINT, &dfl, NULL);
        sigaction(SIGTERM, &dfl, NULL);
        sigaction(SIGHUP, &dfl, NULL);
        sigaction(SIGQUIT, &dfl, NULL);
        if (chdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0) {
                log_errno(negative_errno(), "exec: enter root %s", root);
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
        struct setup_result res = {};
        struct setup_opts o = {};
        struct cfg *cfg = NULL;
        struct loader *l = NULL;
        int r, status;
        pid_t pid;

        r = parse_exec(argc, argv, &o);
        if (r != 0)
                return r > 0 ? EXIT_DONE : EXIT_USAGE;
        if (cli_load(cli, &cfg, &l) < 0)
                return EXIT_USAGE;

        /* Private before anything is mounted: no mount of ours propagates
         * to the host, and none of the host's later ones reaches us. */
        if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                log_errno(negative_errno(), "exec: private mount namespace");
                status = EXIT_SETUP_FAILED;
                goto out;
        }
        o.owner = getpid();
        if (process_start_time(o.owner, &o.owner_start) < 0) {
                log_error("exec: cannot read this process's start time");
                status = EXIT_SETUP_FAILED;
                goto out;
        }

        r = engine_setup(cfg, l, &o, &res);
        if (r < 0) {
                status = r == -EBUSY ? EXIT_LEFTOVER : EXIT_SETUP_FAILED;
                goto out;
        }

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
                run_child(res.root, o.owner, argv + optind);
        else {
                child_pid = pid;
                status = wait_child(pid);
                child_pid = 0;
        }

        if (engine_teardown(cfg->state_dir, res.id, l) < 0) {
                log_error("exec: the root %s could not be taken down fully; `cairn teardown %s` "
                          "can finish it", res.root, res.id);
                if (status == 0)
                        status = EXIT_LEFTOVER;
        }
out:
        setup_result_clear(&res);
        loader_free_at_exit(l);
        cfg_free(cfg);
        return status;
}
