/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec: one command in a throw-away root, as a sandbox (exec.h has the
 * three processes).  This is P, cairn itself: it owns the session (`cairn
 * gc` takes it down if cairn and its init are both gone) and starts the
 * sandbox's init C as pid 1 of a new PID namespace, in a new mount
 * namespace (so nothing mounted for the sandbox is seen outside, and
 * everything mounted goes away with the namespace even if cairn and C
 * are killed): C builds the root, runs CMD, kills what is left of CMD's
 * processes, tears the root down.  P stays in the caller's mount
 * namespace, where the session's names are (the root's directory, the
 * journal), and gives C a descriptor of it to come back to.  P forwards
 * signals to C, writes the --status-fd lines from C's messages, and exits
 * with C's status; if C dies without saying how CMD ended, P takes the
 * session down itself (its mounts died with C's namespace).
 */
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cli.h"
#include "engine.h"
#include "exec.h"
#include "loader.h"
#include "log.h"
#include "root.h"
#include "sessions.h"
#include "trust.h"
#include "util.h"

static const char exec_usage[] =
        "Usage: cairn [OPTIONS] exec [--root DIR] [--user UID[:GID]] [--cwd DIR] [--status-fd FD]\n"
        "                            -- CMD [ARG...]\n"
        "Build a root in a private mount namespace and run CMD in it as in a sandbox: in a new\n"
        "PID namespace, with the root as its \"/\" (pivot_root); when CMD exits, every process\n"
        "left in the namespace is killed and the root taken down.\n"
        "  --root DIR         build into DIR (an existing directory) instead of a new root\n"
        "  --user UID[:GID]   run CMD with these numeric ids (GID defaults to UID), no\n"
        "                     supplementary groups, no new privileges\n"
        "  --cwd DIR          CMD's working directory, an absolute path inside the root\n"
        "  --status-fd FD     write JSON lines to FD: {\"child-pid\": N} when CMD starts,\n"
        "                     {\"exit-code\": N} or {\"signal\": N} when it ends,\n"
        "                     {\"error\": TEXT, \"exit\": N} if cairn fails\n"
        "SIGINT, SIGTERM, SIGHUP and SIGQUIT go to every process of CMD's.\n"
        "Exit status: CMD's (128+N if signal N killed it; 127 if CMD cannot be run);\n"
        "1, 2 or 3 as for setup if no CMD ran.\n";

/* UID[:GID], numeric; (uid_t) -1 is no id (setuid(2) would leave it). */
static int parse_ids(const char *arg, struct exec_opts *o)
{
        const char *colon = strchr(arg, ':');
        _cleanup_free_ char *u = colon ? strndup(arg, (size_t) (colon - arg)) : strdup(arg);
        uint64_t uid, gid;

        if (!u)
                return -ENOMEM;
        if (parse_u64(u, &uid) < 0 || uid >= UINT32_MAX)
                return -EINVAL;
        gid = uid;
        if (colon && (parse_u64(colon + 1, &gid) < 0 || gid >= UINT32_MAX))
                return -EINVAL;
        o->set_ids = true;
        o->uid = (uid_t) uid;
        o->gid = (gid_t) gid;
        return 0;
}

static int parse_status_fd(const char *arg, int *ret)
{
        uint64_t fd;

        if (parse_u64(arg, &fd) < 0 || fd > INT_MAX) {
                log_error("exec: --status-fd \"%s\": not a descriptor number", arg);
                return -EINVAL;
        }
        if (fcntl((int) fd, F_GETFD) < 0)
                return log_errno(negative_errno(), "exec: --status-fd %d", (int) fd);
        *ret = (int) fd;
        return 0;
}

static int parse_exec(int argc, char *argv[], struct exec_opts *o)
{
        enum { OPT_USER = 0x100, OPT_CWD, OPT_STATUS_FD };
        static const struct option opts[] = {
                { "root", required_argument, NULL, 'r' },
                { "user", required_argument, NULL, OPT_USER },
                { "cwd", required_argument, NULL, OPT_CWD },
                { "status-fd", required_argument, NULL, OPT_STATUS_FD },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (c) {
                case 'r':
                        /* Opened by the init, in the namespace where it
                         * mounts: a descriptor opened here would stand for
                         * this namespace's mount of it. */
                        o->root_dir = optarg;
                        break;
                case OPT_USER:
                        r = parse_ids(optarg, o);
                        if (r < 0) {
                                log_error("exec: --user \"%s\": not UID or UID:GID (numeric ids)", optarg);
                                return r;
                        }
                        break;
                case OPT_CWD:
                        if (optarg[0] != '/' || strlen(optarg) >= PATH_MAX) {
                                log_error("exec: --cwd \"%s\": not an absolute path", optarg);
                                return -EINVAL;
                        }
                        o->cwd = optarg;
                        break;
                case OPT_STATUS_FD:
                        r = parse_status_fd(optarg, &o->status_fd);
                        if (r < 0)
                                return r;
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
        o->argv = argv + optind;
        return 0;
}

/* What P learns of C. */
struct watch {
        pid_t init;
        int status_fd;
        bool init_done;
        int init_status;
        bool ended; /* C said how CMD ended */
        int cmd_status;
        char id[sizeof(((struct exec_msg *) 0)->text)]; /* "": not told */
};

static void on_message(struct watch *w, const struct exec_msg *m)
{
        switch (m->type) {
        case EXEC_MSG_SESSION:
                snprintf(w->id, sizeof w->id, "%s", m->text);
                break;
        case EXEC_MSG_STARTED:
                status_child_pid(w->status_fd, w->init);
                break;
        case EXEC_MSG_ENDED:
                w->ended = true;
                w->cmd_status = m->value;
                status_ended(w->status_fd, m->value);
                break;
        case EXEC_MSG_ERROR:
                status_error(w->status_fd, m->text, m->value);
                break;
        }
}

/* Until C has exited and its messages are read: forward the signals. */
static void watch_init(struct watch *w, int sfd, int report_fd)
{
        while (report_fd >= 0 || !w->init_done) {
                struct pollfd p[2] = {
                        { .fd = sfd, .events = POLLIN },
                        { .fd = report_fd, .events = POLLIN },
                };
                struct signalfd_siginfo si;

                if (poll(p, report_fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
                        break;
                if (report_fd >= 0 && p[1].revents) {
                        struct exec_msg m;

                        if (exec_msg_recv(report_fd, &m) > 0)
                                on_message(w, &m);
                        else
                                report_fd = -1; /* the end (closed by the caller) */
                }
                while (read(sfd, &si, sizeof si) == (ssize_t) sizeof si)
                        if (si.ssi_signo != SIGCHLD && !w->init_done)
                                (void) kill(w->init, (int) si.ssi_signo);
                if (!w->init_done && waitpid(w->init, &w->init_status, WNOHANG) == w->init)
                        w->init_done = true;
        }
        while (!w->init_done) { /* poll() failed: the plain way */
                if (waitpid(w->init, &w->init_status, 0) == w->init) {
                        w->init_done = true;
                } else if (errno != EINTR) {
                        w->init_status = 127 << 8; /* no such child: cannot be */
                        w->init_done = true;
                }
        }
}

/* C died without finishing (killed, crashed): the kernel has killed every
 * process of its namespace.  Take down the session it told of, or, if it
 * died before saying, any this cairn owns (setup records the owner
 * before it mounts anything). */
static int init_died(struct watch *w, const struct cfg *cfg, struct loader *l, const struct setup_opts *so)
{
        struct session_info *v = NULL;
        size_t n = 0;
        bool left = false;
        char msg[700];
        int status;

        log_error("exec: the sandbox's init (pid %d) was killed by signal %d (%s)", (int) w->init,
                  WTERMSIG(w->init_status), strsignal(WTERMSIG(w->init_status)));
        trust_forget();
        exec_log_capture_start();
        if (w->id[0])
                left = engine_teardown(cfg->state_dir, w->id, -1, l) < 0;
        else if (sessions_list(cfg->state_dir, &v, &n) >= 0) {
                for (size_t i = 0; i < n; i++)
                        if (v[i].owner == so->owner && v[i].owner_start == so->owner_start &&
                            engine_teardown(cfg->state_dir, v[i].id, -1, l) < 0)
                                left = true;
                sessions_free(v, n);
        } else
                left = true;
        status = w->ended ? exec_wait_status_code(w->cmd_status) : EXIT_SETUP_FAILED;
        if (left && (!w->ended || status == 0))
                status = EXIT_LEFTOVER;
        snprintf(msg, sizeof msg, "exec: the sandbox's init was killed by signal %d%s%s",
                 WTERMSIG(w->init_status),
                 left ? "; the root could not be taken down fully: " : "; the session was taken down",
                 left ? exec_log_captured("see `cairn list`") : "");
        status_error(w->status_fd, msg, status);
        return status;
}

int cmd_exec(struct cli *cli, int argc, char *argv[])
{
        static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD };
        struct exec_opts eo = { .status_fd = -1 };
        struct setup_opts so = {};
        struct cfg *cfg = NULL;
        struct loader *l = NULL;
        _cleanup_close_ int life_r = -1, life_w = -1, report_r = -1, report_w = -1, sfd = -1, ns = -1;
        int r, status;
        sigset_t set, orig;
        pid_t pid;

        r = parse_exec(argc, argv, &eo);
        if (r != 0)
                return r > 0 ? EXIT_DONE : EXIT_USAGE;
        if (cli_load(cli, CFG_DIR_STATE | (eo.root_dir ? 0 : CFG_DIR_ROOT_PARENT), &cfg, &l) < 0)
                return EXIT_USAGE;

        /* Where the init comes back to for the teardown. */
        ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        if (ns < 0) {
                log_errno(negative_errno(), "exec: open /proc/self/ns/mnt");
                status = EXIT_SETUP_FAILED;
                goto out;
        }
        /* The owner is this process, recorded before the init exists: if
         * both are gone, gc takes the session down. */
        so.owner = getpid();
        if (process_start_time(so.owner, &so.owner_start) < 0) {
                log_error("exec: cannot read this process's start time");
                status = EXIT_SETUP_FAILED;
                goto out;
        }

        /* The signals to forward (and SIGCHLD) are blocked from here on
         * and read from a signalfd: none is lost before the init can take
         * it, and the init starts with them blocked too. */
        sigemptyset(&set);
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                sigaddset(&set, forwarded[i]);
        r = exec_pipe(&life_r, &life_w);
        if (r >= 0)
                r = exec_pipe(&report_r, &report_w);
        if (r >= 0 && sigprocmask(SIG_BLOCK, &set, &orig) < 0)
                r = negative_errno();
        if (r >= 0 && (sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
                r = negative_errno();
        if (r < 0) {
                log_errno(r, "exec: pipes and signals");
                status = EXIT_SETUP_FAILED;
                goto out;
        }
        /* The child is pid 1 of a new PID namespace, in a new mount
         * namespace: clone(2) with CLONE_NEWPID|CLONE_NEWNS, as fork(2)
         * does otherwise, not unshare() here, after which this process
         * could start no thread (LeakSanitizer's tracer is one). */
        fflush(NULL);
        pid = (pid_t) syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid < 0) {
                log_errno(negative_errno(), "exec: new PID and mount namespaces (clone)");
                status = EXIT_SETUP_FAILED;
        } else if (pid == 0) {
                struct exec_init_args a = {
                        .cfg = cfg, .loader = l, .setup = &so, .opts = &eo,
                        .life_fd = life_r, .report_fd = report_w, .host_ns_fd = ns,
                        .orig_mask = &orig,
                };

                /* Only P holds the life pipe's write end: its end is P's. */
                close(TAKE_FD(life_w));
                close(TAKE_FD(report_r));
                close(TAKE_FD(sfd));
                /* The status lines are P's to write; CMD never has FD. */
                if (eo.status_fd > STDERR_FILENO)
                        close(eo.status_fd);
                eo.status_fd = -1;
                status = exec_init(&a);
                /* What the init held to the end is closed before it ends, so
                 * that a descriptor still open at _exit() is one it leaked. */
                close(TAKE_FD(life_r));
                close(TAKE_FD(report_w));
                close(TAKE_FD(ns));
                /* The init ends here, without atexit handlers: LeakSanitizer's
                 * would stop the world through /proc, whose pids are not
                 * this PID namespace's, and fail (a sanitizer build). */
                fflush(NULL);
                _exit(status);
        } else {
                struct watch w = { .init = pid, .status_fd = eo.status_fd };

                close(TAKE_FD(life_r));
                close(TAKE_FD(report_w));
                watch_init(&w, sfd, report_r);
                if (WIFEXITED(w.init_status))
                        status = WEXITSTATUS(w.init_status);
                else
                        status = init_died(&w, cfg, l, &so);
        }
        /* The signals stay blocked: one that came late is not to end P
         * before it has given its status. */
out:
        loader_free_at_exit(l);
        cfg_free(cfg);
        return status;
}
