/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>

#include "cli.h"
#include "json.h"
#include "engine.h"
#include "loader.h"
#include "log.h"
#include "root.h"
#include "sessions.h"
#include "util.h"

static const char setup_usage[] =
        "Usage: cairn [OPTIONS] setup [--root DIR] [--owner PID] [--json]\n"
        "Build a root from the configured stack and print its path.\n"
        "  --root DIR   build into this existing directory (an OCI bundle's\n"
        "               rootfs, say) instead of a new one; teardown removes\n"
        "               what cairn made in it and leaves DIR as it was\n"
        "  --owner PID  the session belongs to process PID (its start time is\n"
        "               recorded, so a reused pid is not mistaken for it);\n"
        "               `cairn gc` tears the session down once PID is gone\n"
        "  --json       print {\"id\",\"root\",\"entries\":[{\"name\",\"plugin\",\"status\"}]}\n";

static const char *const status_names[] = {
        [ENTRY_DONE] = "done", [ENTRY_SKIPPED] = "skipped", [ENTRY_FAILED] = "failed",
};

/* 0, or -errno: the caller tears the root down again, since nobody
 * learnt it. */
static int print_json(const struct cfg *cfg, const struct setup_result *res)
{
        _cleanup_free_ struct session_entry *v = calloc(cfg->n_entries + 1, sizeof *v);
        _cleanup_free_ char *line = NULL;
        json_t *o;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < cfg->n_entries; i++)
                v[i] = (struct session_entry) { .name = cfg->entries[i].name,
                                                .plugin = cfg->entries[i].plugin_name,
                                                .status = status_names[res->status[i]] };
        o = json_pack("{s:o, s:o, s:o}", "id", json_text(res->id), "root", json_text(res->root),
                      "entries", json_entries(v, cfg->n_entries));
        line = json_line(o);
        if (!line)
                return -ENOMEM;
        return write_all(STDOUT_FILENO, line, strlen(line));
}

/* `s` and a newline, in one write. */
static int write_line(int fd, const char *s)
{
        size_t n = strlen(s);
        _cleanup_free_ char *line = malloc(n + 2);

        if (!line)
                return -ENOMEM;
        memcpy(line, s, n);
        line[n] = '\n';
        return write_all(fd, line, n + 1);
}

static int parse_setup(int argc, char *argv[], struct setup_opts *o, struct given_root *root,
                       bool *json)
{
        static const struct option opts[] = {
                { "owner", required_argument, NULL, 'o' },
                { "root", required_argument, NULL, 'r' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        char *end;
        long pid;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (c) {
                case 'o':
                        errno = 0;
                        pid = strtol(optarg, &end, 10);
                        if (errno || *end || end == optarg || pid <= 0 || pid > INT_MAX) {
                                log_error("--owner \"%s\": not a process id", optarg);
                                return -EINVAL;
                        }
                        o->owner = (pid_t) pid;
                        r = process_start_time(o->owner, &o->owner_start);
                        if (r < 0) {
                                log_error("--owner %ld: no such process", pid);
                                return -EINVAL;
                        }
                        break;
                case 'r':
                        /* Opened here, once: the root from now on is
                         * this descriptor. */
                        given_root_clear(root);
                        if (given_root_open(optarg, root) < 0)
                                return -EINVAL;
                        o->root = root;
                        break;
                case 'j':
                        *json = true;
                        break;
                case 'h':
                        printf("%s", setup_usage);
                        return 1;
                default:
                        fprintf(stderr, "%s", setup_usage);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                log_error("setup: unexpected argument \"%s\"", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

int cmd_setup(struct cli *cli, int argc, char *argv[])
{
        struct setup_result res = { .root_fd = -1 };
        struct given_root root = { .fd = -1 };
        struct setup_opts o = {};
        bool json = false;
        struct cfg *cfg = NULL;
        struct loader *l = NULL;
        int r, status;

        r = parse_setup(argc, argv, &o, &root, &json);
        if (r != 0) {
                given_root_clear(&root);
                return r > 0 ? EXIT_DONE : EXIT_USAGE;
        }
        if (cli_stdout_was_closed) {
                given_root_clear(&root);
                log_error("setup: standard output is closed: nobody would learn the root's path");
                return EXIT_USAGE;
        }
        if (cli_load(cli, CFG_DIR_STATE | (o.root ? 0 : CFG_DIR_ROOT_PARENT), &cfg, &l) < 0) {
                given_root_clear(&root);
                return EXIT_USAGE;
        }

        r = engine_setup(cfg, l, &o, &res);
        if (r == 0) {
                if (json)
                        status = print_json(cfg, &res) == 0 ? EXIT_DONE : EXIT_SETUP_FAILED;
                else
                        /* The line a runtime waits for, in one write: no
                         * stdio to set up (fstat, ioctl, a buffer) for it. */
                        status = write_line(STDOUT_FILENO, res.root) == 0 ? EXIT_DONE
                                                                          : EXIT_SETUP_FAILED;
                if (status != EXIT_DONE) {
                        /* Nobody learnt the root: take it down again. */
                        log_error("writing the root's path failed; tearing it down");
                        status = engine_teardown(cfg->state_dir, res.id, TAKE_FD(res.root_fd), l) < 0
                                         ? EXIT_LEFTOVER
                                         : EXIT_SETUP_FAILED;
                }
        } else if (r == -EBUSY)
                status = EXIT_LEFTOVER;
        else if (r == -EEXIST)
                status = EXIT_USAGE;
        else
                status = EXIT_SETUP_FAILED;
        setup_result_clear(&res);
        given_root_clear(&root);
        loader_free_at_exit(l);
        cfg_free(cfg);
        return status;
}
