/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec's C: the sandbox's init, pid 1 of the PID namespace cairn made for
 * CMD, in a mount namespace made with it (exec.h), private before
 * anything is mounted: no mount of the session's propagates to the host,
 * and none of the host's later ones reaches the sandbox.  It runs the
 * setup here, not in cairn: a procfs takes the PID namespace of the
 * process that mounts it, so the `proc` plugin's shows only the sandbox.
 * Then it pivots into the root, starts CMD (exec_child.c), reaps every
 * process of the namespace (orphans come to pid 1), and once CMD has
 * exited kills whatever is left there (kill(-1) from a namespace's init
 * reaches exactly the namespace).
 *
 * The teardown: with every process of the sandbox gone, the init goes
 * back to cairn's mount namespace (setns(2)), which was the last hold on
 * its own: that namespace is freed, and every mount of the session with
 * it, at once (one RCU grace period for all, where unmounting them one by
 * one takes one each).  The undo then finds none of the session's mounts
 * (their unique IDs are in no namespace) and removes only what cairn made
 * in cairn's namespace: the root's directory and the journal (and, in a
 * root that is a directory, the mount points and files it made).  A stack
 * with a plugin whose teardown function runs after CMD keeps the mounts
 * in place for it (cairn-plugin(7)): then the init stays out of the root,
 * CMD enters it in a namespace of its own, and the init takes the root
 * down in its namespace, mount by mount, as `cairn teardown` would.
 *
 * Signals: pid 1 of a namespace gets only those it has a handler for, so
 * each one it takes has one; all are blocked and read from a signalfd.
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT (sent by cairn, which forwards them,
 * or from a terminal): during setup, the setup is finished and taken down
 * again and CMD never starts (exit 128+N); while CMD runs, it goes to
 * every process of the namespace, and what has not exited
 * EXEC_KILL_GRACE_MS later gets SIGKILL.  cairn gone (the life pipe hangs
 * up; SIGUSR1, the parent-death signal, wakes the init up for it): SIGKILL
 * to everything at once, nobody waits for a graceful end.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>

#include "cli.h"
#include "engine.h"
#include "exec.h"
#include "log.h"
#include "root.h"
#include "trust.h"
#include "util.h"

static void on_signal(int sig)
{
        (void) sig; /* never runs: the signals are blocked, read from a signalfd */
}

/* Every process of the namespace but this one.  Only ever as pid 1 of a
 * namespace of its own: anywhere else kill(-1) is every process of the
 * host that may be signalled. */
static void kill_all(int sig)
{
        if (getpid() == 1)
                (void) kill(-1, sig);
}

static bool is_term_signal(int sig)
{
        return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT;
}

/* P has gone (its end of the life pipe is closed). */
static bool parent_gone(int life_fd)
{
        struct pollfd p = { .fd = life_fd, .events = POLLIN };

        return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLIN));
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The first termination signal pending on `sfd`, or 0; SIGUSR1 and
 * SIGCHLD are read and dropped (nothing runs that could have sent them
 * that matters here). */
static int pending_term_signal(int sfd)
{
        struct signalfd_siginfo si;
        int sig = 0;

        while (read(sfd, &si, sizeof si) == (ssize_t) sizeof si)
                if (!sig && is_term_signal((int) si.ssi_signo))
                        sig = (int) si.ssi_signo;
        return sig;
}

struct supervise {
        pid_t cmd;
        int err_fd;       /* G's error pipe, until it closes */
        int life_fd;      /* -1 once P is gone */
        bool started;     /* the error pipe closed empty: CMD was executed */
        bool failed;      /* G said why CMD could not start */
        char failure[sizeof(((struct exec_msg *) 0)->text)];
        bool cmd_done;
        int cmd_status;
        bool killed; /* SIGKILL sent to everything */
        long long deadline; /* ms; 0: none */
};

static void read_child_error(struct supervise *s, int report_fd)
{
        struct exec_msg m;
        int r = exec_msg_recv(s->err_fd, &m);

        if (r > 0 && m.type == EXEC_MSG_ERROR) {
                s->failed = true;
                snprintf(s->failure, sizeof s->failure, "%s", m.text);
                return; /* the end of the pipe comes next */
        }
        close(TAKE_FD(s->err_fd));
        if (!s->failed) {
                s->started = true;
                exec_msg_send(report_fd, EXEC_MSG_STARTED, 0, NULL);
        }
}

static void kill_everything(struct supervise *s)
{
        kill_all(SIGKILL);
        s->killed = true;
}

/* Reap whatever has exited; true once CMD has and nothing is left. */
static bool reap(struct supervise *s)
{
        for (;;) {
                int st;
                pid_t pid = waitpid(-1, &st, WNOHANG);

                if (pid < 0 && errno == EINTR)
                        continue;
                if (pid < 0) { /* ECHILD: nobody left */
                        if (!s->cmd_done) { /* cannot be: CMD is a child until reaped */
                                s->cmd_done = true;
                                s->cmd_status = 127 << 8;
                        }
                        return true;
                }
                if (pid == 0)
                        return false;
                if (pid == s->cmd) {
                        s->cmd_done = true;
                        s->cmd_status = st;
                }
                /* CMD gone: everything else goes too.  Again after each
                 * one reaped: a fork may have raced the last kill. */
                if (s->cmd_done)
                        kill_everything(s);
        }
}

static void supervise(struct supervise *s, int sfd, int report_fd)
{
        while (!reap(s)) {
                struct pollfd p[3];
                nfds_t n = 0;
                int timeout = -1, i_err = -1, i_life = -1;

                p[n++] = (struct pollfd) { .fd = sfd, .events = POLLIN };
                if (s->err_fd >= 0) {
                        i_err = (int) n;
                        p[n++] = (struct pollfd) { .fd = s->err_fd, .events = POLLIN };
                }
                if (s->life_fd >= 0) {
                        i_life = (int) n;
                        p[n++] = (struct pollfd) { .fd = s->life_fd, .events = POLLIN };
                }
                if (s->deadline && !s->killed) {
                        long long left = s->deadline - now_ms();
                        timeout = left < 0 ? 0 : (int) left;
                }
                if (poll(p, n, timeout) < 0 && errno != EINTR)
                        break; /* cannot wait: kill_everything() below */
                if (i_err >= 0 && p[i_err].revents)
                        read_child_error(s, report_fd);
                if (i_life >= 0 && p[i_life].revents) {
                        s->life_fd = -1; /* closed by the caller */
                        if (!s->killed)
                                log_error("exec: cairn (the session's owner) is gone: killing CMD and "
                                          "taking the root down");
                        kill_everything(s);
                }
                if (p[0].revents) {
                        struct signalfd_siginfo si;

                        while (read(sfd, &si, sizeof si) == (ssize_t) sizeof si) {
                                int sig = (int) si.ssi_signo;

                                if (!is_term_signal(sig) || s->cmd_done || s->killed)
                                        continue;
                                kill_all(sig);
                                if (!s->deadline)
                                        s->deadline = now_ms() + EXEC_KILL_GRACE_MS;
                        }
                }
                if (s->deadline && !s->killed && !s->cmd_done && now_ms() >= s->deadline) {
                        log_error("exec: CMD's processes still there %d ms after the signal: SIGKILL",
                                  EXEC_KILL_GRACE_MS);
                        kill_everything(s);
                }
        }
        /* Only if poll() failed; then wait for them all the plain way. */
        if (!s->cmd_done || !s->killed) {
                kill_everything(s);
                for (int st; ;) {
                        pid_t pid = waitpid(-1, &st, 0);

                        if (pid < 0 && errno == EINTR)
                                continue;
                        if (pid < 0)
                                break;
                        if (pid == s->cmd) {
                                s->cmd_done = true;
                                s->cmd_status = st;
                        }
                }
        }
        /* CMD's process has exited: what is in the pipe is all there is
         * (a message, then the end; or only the end). */
        while (s->err_fd >= 0)
                read_child_error(s, report_fd);
}

/* Whether a plugin's teardown function is to run for an entry that was
 * set up: it may want the entry's mounts in place (cairn-plugin(7)). */
static bool teardown_functions_run(const struct cfg *cfg, const struct setup_result *res)
{
        for (size_t i = 0; i < cfg->n_entries && i < res->n_status; i++)
                if (res->status[i] == ENTRY_DONE && cfg->entries[i].plugin &&
                    cfg->entries[i].plugin->teardown)
                        return true;
        return false;
}

/* Back to cairn's mount namespace, which leaves this one (and with it
 * every mount of the session: nothing else is in it) to be freed.
 * Nothing of the namespace's is held: a descriptor in one of its mounts
 * would keep that mount. */
static int leave_namespace(const struct exec_init_args *a, struct setup_result *res, struct given_root *given)
{
        if (res->root_fd >= 0)
                close(TAKE_FD(res->root_fd));
        given_root_clear(given);
        if (setns(a->host_ns_fd, CLONE_NEWNS) < 0)
                return log_errno(negative_errno(), "exec: back to cairn's mount namespace (setns)");
        return 0;
}

/* The teardown after CMD (or after a setup no CMD followed); `status`
 * becomes 3 if something is left and CMD did not fail on its own. */
static int take_down(const struct exec_init_args *a, struct setup_result *res, struct given_root *given,
                     bool in_place, int status, bool cmd_ran, int report_fd)
{
        char msg[512];
        int r = 0;

        exec_log_capture_start();
        if (!in_place)
                r = leave_namespace(a, res, given);
        /* Out of the namespace, as its last process (everything of CMD's
         * is reaped): its mounts are gone, and no look for them is made. */
        if (r >= 0 && engine_teardown_where(a->cfg->state_dir, res->id, TAKE_FD(res->root_fd), a->loader,
                                            in_place ? TEARDOWN_FIND : TEARDOWN_NS_LEFT) >= 0)
                return status;
        snprintf(msg, sizeof msg, "the root %s could not be taken down fully (%s); `cairn teardown %s` "
                 "can finish it", res->root, exec_log_captured("see the messages"), res->id);
        log_error("exec: %s", msg);
        if (!cmd_ran || status == 0)
                status = EXIT_LEFTOVER;
        exec_msg_send(report_fd, EXEC_MSG_ERROR, EXIT_LEFTOVER, msg);
        return status;
}

/* The setup's options, with the --root directory opened here, in the
 * namespace where the root is built. */
static int open_given_root(const struct exec_init_args *a, struct given_root *given, struct setup_opts *so,
                           int report_fd)
{
        *so = *a->setup;
        if (!a->opts->root_dir)
                return 0;
        if (given_root_open(a->opts->root_dir, given) < 0) {
                exec_msg_send(report_fd, EXEC_MSG_ERROR, EXIT_USAGE,
                              exec_log_captured("exec: --root: not a directory to build in"));
                return -EINVAL;
        }
        so->root = given;
        return 0;
}

int exec_init(const struct exec_init_args *a)
{
        static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGCHLD };
        struct sigaction sa = { .sa_handler = on_signal };
        struct setup_result res = { .root_fd = -1 };
        struct given_root given = { .fd = -1 };
        struct setup_opts so;
        _cleanup_close_ int sfd = -1, err_r = -1, err_w = -1;
        struct supervise s = { .err_fd = -1, .life_fd = a->life_fd };
        int report_fd = a->report_fd, r, status, sig;
        bool in_place;
        char msg[512];
        sigset_t set;

        /* Told to stop when cairn dies; and if it already has, nobody is
         * there to want a sandbox. */
        if (prctl(PR_SET_PDEATHSIG, SIGUSR1) < 0 || parent_gone(a->life_fd))
                return EXIT_SETUP_FAILED;
        if (getpid() != 1) {
                exec_msg_send(report_fd, EXEC_MSG_ERROR, EXIT_SETUP_FAILED,
                              "exec: not the init of a new PID namespace");
                return EXIT_SETUP_FAILED;
        }
        sigemptyset(&set);
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                sigaddset(&set, sigs[i]);
                (void) sigaction(sigs[i], &sa, NULL);
        }
        sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0) {
                r = log_errno(negative_errno(), "exec: signalfd");
                snprintf(msg, sizeof msg, "exec: signalfd: %s", strerror(-r));
                exec_msg_send(report_fd, EXEC_MSG_ERROR, EXIT_SETUP_FAILED, msg);
                return EXIT_SETUP_FAILED;
        }
        exec_log_capture_start();
        /* Private before anything is mounted (the namespace is a copy of
         * cairn's, shared mounts and all). */
        if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
                r = log_errno(negative_errno(), "exec: private mount namespace");
                snprintf(msg, sizeof msg, "exec: private mount namespace: %s", strerror(-r));
                exec_msg_send(report_fd, EXEC_MSG_ERROR, EXIT_SETUP_FAILED, msg);
                return EXIT_SETUP_FAILED;
        }
        if (open_given_root(a, &given, &so, report_fd) < 0)
                return EXIT_USAGE;

        r = engine_setup(a->cfg, a->loader, &so, &res);
        if (r < 0) {
                given_root_clear(&given);
                status = r == -EBUSY ? EXIT_LEFTOVER : r == -EEXIST ? EXIT_USAGE : EXIT_SETUP_FAILED;
                exec_msg_send(report_fd, EXEC_MSG_ERROR, status, exec_log_captured("setup failed"));
                return status;
        }
        exec_msg_send(report_fd, EXEC_MSG_SESSION, 0, res.id);
        exec_log_capture_start(); /* an optional entry's failure is not CMD's */
        /* What was found trusted for the setup is not taken for granted
         * by the teardown after CMD, which may come much later. */
        trust_forget();
        in_place = teardown_functions_run(a->cfg, &res);

        sig = pending_term_signal(sfd);
        if (sig || parent_gone(a->life_fd)) {
                status = sig ? 128 + sig : EXIT_SETUP_FAILED;
                if (sig)
                        snprintf(msg, sizeof msg, "exec: signal %d (%s) during setup: CMD not started", sig,
                                 strsignal(sig));
                else
                        snprintf(msg, sizeof msg, "exec: cairn (the session's owner) gone during setup: "
                                 "CMD not started");
                log_error("%s", msg);
                exec_msg_send(report_fd, EXEC_MSG_ERROR, status, msg);
                status = take_down(a, &res, &given, in_place, status, false, report_fd);
                goto out;
        }

        if (!in_place) {
                r = exec_enter_root(res.root_fd, false);
                if (r < 0) {
                        log_errno(r, "exec: enter the root %s", res.root);
                        goto failed_to_start;
                }
        }
        r = exec_pipe(&err_r, &err_w);
        if (r < 0) {
                log_errno(r, "exec: pipe");
                goto failed_to_start;
        }
        fflush(NULL);
        {
                const struct exec_child_args ca = {
                        .root_fd = in_place ? res.root_fd : -1, .root = res.root, .opts = a->opts,
                        .err_fd = err_w, .orig_mask = a->orig_mask,
                };

                s.cmd = exec_child_spawn(&ca);
        }
        if (s.cmd < 0) {
                r = log_errno(negative_errno(), "exec: start CMD's process (clone)");
                goto failed_to_start;
        }
        close(TAKE_FD(err_w));
        s.err_fd = TAKE_FD(err_r);

        supervise(&s, sfd, report_fd);
        if (s.started) {
                exec_msg_send(report_fd, EXEC_MSG_ENDED, s.cmd_status, NULL);
                status = exec_wait_status_code(s.cmd_status);
        } else {
                exec_msg_send(report_fd, EXEC_MSG_ERROR, EXIT_SETUP_FAILED,
                              s.failed ? s.failure : "exec: CMD's process died before CMD started");
                status = EXIT_SETUP_FAILED;
        }
        status = take_down(a, &res, &given, in_place, status, s.started, report_fd);
        goto out;

failed_to_start:
        snprintf(msg, sizeof msg, "%s", exec_log_captured("exec: cannot start CMD"));
        exec_msg_send(report_fd, EXEC_MSG_ERROR, EXIT_SETUP_FAILED, msg);
        status = take_down(a, &res, &given, in_place, EXIT_SETUP_FAILED, false, report_fd);
out:
        given_root_clear(&given);
        setup_result_clear(&res);
        return status;
}
