/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run: time two jobs, A and B, in interleaved pairs (A B A B ...), with a
 * monotonic clock and nothing but posix_spawn and waitpid in the timed
 * span.
 *
 *   run [-n PAIRS] [-w WARMUPS] -- A-JOB // B-JOB
 *
 * A job is one or more commands separated by "::", run one after another;
 * a "{}" argument is replaced by the first line of the previous command's
 * standard output (a runtime's cycle: `cairn setup` prints the root, which
 * `cairn teardown {}` takes).  Each command's stdout is read through a
 * pipe (and dropped unless the next one wants it); stderr is inherited.
 * Leading NAME=VALUE words of a command set its environment, as in sh
 * (`LD_LIBRARY_PATH=... ./cairn setup`), without an env(1) in the
 * timed span.
 * A command that fails (non-zero status, or a signal) stops everything:
 * the job is named on stderr and run exits 1.
 *
 * WARMUPS runs of A and of B (alternating) come first and are not
 * reported; then one line per pair on stdout: "A_NS B_NS".
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct cmd {
        char **argv;  /* the command's words, after its NAME=VALUE ones */
        int argc;
        char **run;   /* argv with "{}" filled in, for posix_spawn */
        char **envp;  /* the command's NAME=VALUE words, then the rest of environ */
};

struct job {
        struct cmd *cmds;
        int n;
};

static char out[65536];

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static void print_cmd(const struct cmd *c)
{
        for (int i = 0; i < c->argc; i++)
                fprintf(stderr, "%s%s", i ? " " : "", c->argv[i]);
}

/* Run one command; its stdout (up to sizeof out - 1 bytes) ends in `out`. */
static int run_cmd(const struct cmd *c, const char *prev)
{
        char **argv = c->run;
        posix_spawn_file_actions_t fa;
        int pfd[2], status;
        size_t len = 0;
        ssize_t k;
        pid_t pid;

        for (int i = 0; i < c->argc; i++)
                argv[i] = strcmp(c->argv[i], "{}") == 0 ? (char *) prev : c->argv[i];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
        errno = posix_spawnp(&pid, argv[0], &fa, NULL, argv, c->envp);
        posix_spawn_file_actions_destroy(&fa);
        close(pfd[1]);
        if (errno) {
                int e = errno;
                close(pfd[0]);
                return -e;
        }
        while ((k = read(pfd[0], out + len, sizeof out - 1 - len)) != 0) {
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                len += (size_t) k;
                if (len == sizeof out - 1) {
                        /* Drain the rest: the command must not block. */
                        char sink[4096];
                        while (read(pfd[0], sink, sizeof sink) > 0)
                                ;
                        break;
                }
        }
        out[len] = '\0';
        out[strcspn(out, "\n")] = '\0';
        close(pfd[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return status;
}

static uint64_t run_job(const struct job *j, const char *name)
{
        static char prev[sizeof out];
        uint64_t t0 = now_ns();

        prev[0] = '\0';
        for (int i = 0; i < j->n; i++) {
                int st = run_cmd(&j->cmds[i], prev);

                if (st != 0) {
                        fprintf(stderr, "run: job %s: `", name);
                        print_cmd(&j->cmds[i]);
                        if (st < 0)
                                fprintf(stderr, "`: cannot run: %s\n", strerror(-st));
                        else if (WIFSIGNALED(st))
                                fprintf(stderr, "`: killed by signal %d\n", WTERMSIG(st));
                        else
                                fprintf(stderr, "`: exit status %d\n", WEXITSTATUS(st));
                        exit(1);
                }
                memcpy(prev, out, strlen(out) + 1);
        }
        return now_ns() - t0;
}

static bool is_assignment(const char *s)
{
        size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");

        return n > 0 && s[n] == '=' && !(s[0] >= '0' && s[0] <= '9');
}

static int make_cmd(char **words, int n, struct cmd *c)
{
        size_t n_env = 0, k = 0;
        int i = 0;

        while (environ[n_env])
                n_env++;
        c->envp = calloc(n_env + (size_t) n + 1, sizeof(char *));
        if (!c->envp)
                return -1;
        for (; i < n && is_assignment(words[i]); i++)
                c->envp[k++] = words[i];
        /* Then the inherited environment, less what the command sets. */
        for (size_t e = 0; e < n_env; e++) {
                bool set = false;

                for (int w = 0; w < i && !set; w++) {
                        size_t len = (size_t) (strchr(words[w], '=') - words[w]) + 1;
                        set = strncmp(environ[e], words[w], len) == 0;
                }
                if (!set)
                        c->envp[k++] = environ[e];
        }
        if (i == n)
                return -1; /* only assignments */
        c->argv = words + i;
        c->argc = n - i;
        c->run = calloc((size_t) c->argc + 1, sizeof(char *));
        return c->run ? 0 : -1;
}

/* Split argv[from..to) into commands at "::". */
static int parse_job(char **argv, int from, int to, struct job *j)
{
        j->cmds = calloc((size_t) (to - from) + 1, sizeof *j->cmds);
        if (!j->cmds)
                return -1;
        for (int i = from; i <= to; i++) {
                if (i == to || strcmp(argv[i], "::") == 0) {
                        if (i == from)
                                return -1; /* an empty command */
                        if (make_cmd(argv + from, i - from, &j->cmds[j->n]) < 0)
                                return -1;
                        j->n++;
                        from = i + 1;
                }
        }
        return j->n > 0 ? 0 : -1;
}

static void usage(void)
{
        fprintf(stderr, "Usage: run [-n PAIRS] [-w WARMUPS] -- CMD... [:: CMD...] // CMD... [:: CMD...]\n");
        exit(2);
}

int main(int argc, char *argv[])
{
        long pairs = 30, warm = 3;
        struct job a = {}, b = {};
        int c, sep = -1;

        while ((c = getopt(argc, argv, "+n:w:")) != -1) {
                switch (c) {
                case 'n': pairs = strtol(optarg, NULL, 10); break;
                case 'w': warm = strtol(optarg, NULL, 10); break;
                default: usage();
                }
        }
        for (int i = optind; i < argc; i++)
                if (strcmp(argv[i], "//") == 0) {
                        sep = i;
                        break;
                }
        if (sep < 0 || pairs < 1 || warm < 0 || parse_job(argv, optind, sep, &a) < 0 ||
            parse_job(argv, sep + 1, argc, &b) < 0)
                usage();

        for (long i = 0; i < warm; i++) {
                run_job(&a, "A");
                run_job(&b, "B");
        }
        for (long i = 0; i < pairs; i++) {
                uint64_t ta = run_job(&a, "A");
                uint64_t tb = run_job(&b, "B");

                printf("%llu %llu\n", (unsigned long long) ta, (unsigned long long) tb);
                fflush(stdout);
        }
        return 0;
}
