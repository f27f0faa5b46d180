/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec's messages between its processes (exec.h), the --status-fd lines
 * P writes from them, one JSON object a line as bubblewrap's
 * --json-status-fd, and the first error message kept for an error line.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>

#include "exec.h"
#include "json.h"
#include "log.h"
#include "util.h"

int exec_pipe(int *ret_read, int *ret_write)
{
        int fds[2];

        if (pipe2(fds, O_CLOEXEC) < 0)
                return negative_errno();
        *ret_read = fds[0];
        *ret_write = fds[1];
        return 0;
}

void exec_msg_send(int fd, int type, int value, const char *text)
{
        struct exec_msg m = { .type = type, .value = value };

        if (fd < 0)
                return;
        if (text)
                snprintf(m.text, sizeof m.text, "%s", text);
        (void) write_all(fd, &m, sizeof m);
}

int exec_msg_recv(int fd, struct exec_msg *ret)
{
        size_t got = 0;

        while (got < sizeof *ret) {
                ssize_t n = read(fd, (char *) ret + got, sizeof *ret - got);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return got == 0 ? 0 : -EIO; /* a writer died mid-message */
                got += (size_t) n;
        }
        ret->text[sizeof ret->text - 1] = '\0';
        return 1;
}

int exec_wait_status_code(int wait_status)
{
        if (WIFEXITED(wait_status))
                return WEXITSTATUS(wait_status);
        if (WIFSIGNALED(wait_status))
                return 128 + WTERMSIG(wait_status);
        return 127;
}

/* One line, written in one write(2) where it fits; a reader that went
 * away (EPIPE: SIGPIPE is ignored), a descriptor closed or made read-only
 * meanwhile (EBADF): the line is lost, nothing else changes. */
static void status_write(int fd, const char *line, size_t len)
{
        if (fd >= 0)
                (void) write_all(fd, line, len);
}

/* `v` (taken) as one line, in one write. */
static void status_json(int fd, json_t *v)
{
        _cleanup_free_ char *line = NULL;

        if (fd < 0) {
                json_decref(v);
                return;
        }
        line = json_line_spaced(v);
        if (line)
                status_write(fd, line, strlen(line));
}

void status_child_pid(int fd, pid_t pid)
{
        status_json(fd, json_pack("{s:i}", "child-pid", (int) pid));
}

void status_ended(int fd, int wait_status)
{
        if (WIFSIGNALED(wait_status))
                status_json(fd, json_pack("{s:i}", "signal", WTERMSIG(wait_status)));
        else
                status_json(fd, json_pack("{s:i}", "exit-code", exec_wait_status_code(wait_status)));
}

void status_error(int fd, const char *text, int exit_status)
{
        status_json(fd, json_pack("{s:o, s:i}", "error", json_text(text), "exit", exit_status));
}

/* ---- the first error message, for the error line ---- */

static char captured[512];
static bool capturing;

static void capture_sink(int level, const char *msg, void *userdata)
{
        (void) userdata;
        if (capturing && level <= CAIRN_LOG_ERR && !captured[0])
                snprintf(captured, sizeof captured, "%s", msg);
        /* As the default sink prints it. */
        fprintf(stderr, "cairn: %s\n", msg);
}

void exec_log_capture_start(void)
{
        captured[0] = '\0';
        capturing = true;
        log_set_sink(capture_sink, NULL);
}

const char *exec_log_captured(const char *fallback)
{
        return captured[0] ? captured : fallback;
}
