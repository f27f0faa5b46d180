/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `cairn exec`, in three processes (cairn(8), exec):
 *   P  cairn itself (cmd_exec.c), in the caller's mount namespace, the
 *      session's owner; starts C in a new PID namespace and a new mount
 *      namespace, forwards signals to it, writes the --status-fd lines
 *      from what C tells it, exits with C's status (or, if C dies
 *      unreported, takes the session down itself);
 *   C  the sandbox's init, pid 1 of that PID namespace (exec_init.c):
 *      builds the root in its mount namespace (so the procfs a plugin
 *      mounts is the PID namespace's, and no mount is seen outside),
 *      pivots into it, starts G, reaps every process of the namespace,
 *      kills what is left once G has exited; then goes back to P's mount
 *      namespace, which leaves its own to die with every mount of the
 *      session, and removes what cairn made there (the root's directory,
 *      the journal).  If a plugin's teardown function needs the mounts in
 *      place, C stays out of the root and takes it down where it is;
 *   G  CMD (exec_child.c): into the root (if C did not go), --cwd, --user,
 *      execvp.
 * C tells P what happened with fixed-size messages over a pipe (each one
 * write, below PIPE_BUF, so never split or interleaved); G tells C why it
 * could not start CMD the same way, over a close-on-exec pipe that an
 * execve() that worked closes empty.
 */
#ifndef CAIRN_EXEC_H
#define CAIRN_EXEC_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct cfg;
struct loader;
struct setup_opts;

/* How long CMD's processes have to exit after a forwarded signal before
 * they are all sent SIGKILL. */
#define EXEC_KILL_GRACE_MS 5000

struct exec_opts {
        const char *root_dir; /* --root */
        bool set_ids;         /* --user */
        uid_t uid;
        gid_t gid;
        const char *cwd; /* --cwd */
        int status_fd;   /* --status-fd; -1: none */
        char **argv;     /* CMD [ARG...] */
};

enum exec_msg_type {
        EXEC_MSG_SESSION = 1, /* text: the session's id (setup is done) */
        EXEC_MSG_STARTED,     /* CMD was executed */
        EXEC_MSG_ENDED,       /* value: CMD's wait status */
        EXEC_MSG_ERROR,       /* text: what failed; value: the exit status it gives */
};

struct exec_msg {
        int type;
        int value;
        char text[512];
};

/* A close-on-exec pipe: 0 or -errno. */
int exec_pipe(int *ret_read, int *ret_write);
/* Send one message (errors ignored: a reader that is gone is P dead, which
 * C learns from its life pipe). */
void exec_msg_send(int fd, int type, int value, const char *text);
/* Read one message: 1, 0 at the end (the writer is gone), or -errno. */
int exec_msg_recv(int fd, struct exec_msg *ret);

/* The --status-fd lines; a failed write is ignored (cairn(8)). */
void status_child_pid(int fd, pid_t pid);
void status_ended(int fd, int wait_status);
void status_error(int fd, const char *text, int exit_status);
/* 128+N if signal N ended it, its exit status, or 127. */
int exec_wait_status_code(int wait_status);

/* Log messages, still printed as always, with the first error-level one
 * since exec_log_capture_start() kept for an error line. */
void exec_log_capture_start(void);
const char *exec_log_captured(const char *fallback);

/* C: everything from the setup to the teardown; returns the exit status.
 * `life_fd`: the read end of a pipe whose write end only P holds;
 * `report_fd`: where messages for P go; `orig_mask`: the signal mask to
 * give CMD back. */
struct exec_init_args {
        const struct cfg *cfg;
        struct loader *loader;
        const struct setup_opts *setup;
        const struct exec_opts *opts;
        int life_fd;
        int report_fd;
        int host_ns_fd; /* P's mount namespace (/proc/self/ns/mnt) */
        const sigset_t *orig_mask;
};
int exec_init(const struct exec_init_args *a);

/* Make the root, `root_fd`, this process's "/" and working directory
 * (pivot_root(2), the old root detached), in a new mount namespace if
 * `own_namespace` (else in this one, which sees nothing else afterwards):
 * 0 or -errno. */
int exec_enter_root(int root_fd, bool own_namespace);

/* G: into the root `root_fd` (-1: the init is in it already), then CMD.
 * A failure before execvp() is logged and sent to `err_fd` (exit 1);
 * execvp() failing is exit 127, as a shell gives. */
struct exec_child_args {
        int root_fd;
        const char *root; /* for messages */
        const struct exec_opts *opts;
        int err_fd;
        const sigset_t *orig_mask;
};
/* Start G (exec_child.c): its pid, or -1 (errno). */
pid_t exec_child_spawn(const struct exec_child_args *a);

#endif
