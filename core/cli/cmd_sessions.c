/* SPDX-License-Identifier: Apache-2.0 */
/* list and gc: the sessions in state_dir. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "json.h"
#include "loader.h"
#include "log.h"
#include "gc.h"
#include "sessions.h"
#include "util.h"

static const char list_usage[] =
        "Usage: cairn [OPTIONS] list [--json]\n"
        "The sessions: id, state, root, creation time (UTC), owner pid, and\n"
        "mntns:N or boot:ID for one set up in another mount namespace or boot.  A state\n"
        "marked (stale) belongs to a setup or teardown that died: `cairn gc`.\n"
        "Blanks, backslashes and control characters in a root are octal-escaped\n"
        "(\\040 for a space), as in /proc/self/mountinfo.\n";

static const char gc_usage[] =
        "Usage: cairn [OPTIONS] gc [--all]\n"
        "Tear down sessions whose setup or teardown died, and ready sessions\n"
        "whose --owner process is gone.  --all: every session.\n";

static void iso_time(time_t t, char buf[static 32])
{
        struct tm tm;

        if (!gmtime_r(&t, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
                snprintf(buf, 32, "?");
}

/* `s` as one word of a line: blanks, backslashes and control characters
 * octal-escaped as /proc/self/mountinfo does ("\\040" for a space), so a
 * root path with a newline in it cannot pass for a session of its own. */
static void print_word(const char *s)
{
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p <= ' ' || *p == '\\' || *p == 0x7f)
                        printf("\\%03o", *p);
                else
                        putchar(*p);
        }
}

/* Parse [--json] / [--all]: the one flag a command takes. */
static int one_flag(int argc, char *argv[], const char *flag, const char *usage, bool *ret)
{
        const struct option opts[] = {
                { flag, no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        *ret = false;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                if (c == 'f')
                        *ret = true;
                else if (c == 'h') {
                        printf("%s", usage);
                        return 1;
                } else {
                        fprintf(stderr, "%s", usage);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                log_error("%s: unexpected argument \"%s\"", argv[0], argv[optind]);
                return -EINVAL;
        }
        return 0;
}

static json_t *session_json(const struct session_info *si)
{
        char when[32];
        json_t *o;

        iso_time(si->created, when);
        o = json_pack("{s:o, s:o, s:s, s:b, s:s}", "id", json_text(si->id), "root",
                      json_text(si->root ? si->root : ""), "state", session_state_name(si->state),
                      "stale", si->stale, "created", when);
        if (!o)
                return NULL;
        if (json_object_set_new(o, "owner", si->owner > 0 ? json_integer(si->owner) : json_null()) < 0 ||
            json_object_set_new(o, "owner_alive", si->owner > 0 ? json_boolean(si->owner_alive)
                                                                : json_null()) < 0)
                goto fail;
        if (si->where_known) {
                if (json_object_set_new(o, "boot_id", json_string(si->where.boot)) < 0 ||
                    json_object_set_new(o, "this_boot", json_boolean(si->this_boot)) < 0 ||
                    json_object_set_new(o, "mount_namespace", json_integer((json_int_t) si->where.ns.ino)) < 0 ||
                    json_object_set_new(o, "mount_namespace_id",
                                        si->where.ns.id ? json_integer((json_int_t) si->where.ns.id)
                                                        : json_null()) < 0 ||
                    json_object_set_new(o, "this_namespace", json_boolean(si->this_namespace)) < 0)
                        goto fail;
        } else {
                static const char *const unknown[] = { "boot_id", "this_boot", "mount_namespace",
                                                       "mount_namespace_id", "this_namespace" };
                for (size_t k = 0; k < ELEMENTSOF(unknown); k++)
                        if (json_object_set_new(o, unknown[k], json_null()) < 0)
                                goto fail;
        }
        if (json_object_set_new(o, "entries", json_entries(si->entries, si->n_entries)) < 0)
                goto fail;
        return o;
fail:
        json_decref(o);
        return NULL;
}

/* {"sessions":[...]}, one line; takes v. */
static int print_list_json(struct session_info *v, size_t n)
{
        json_t *a = json_array(), *o;
        int r = 0;

        for (size_t i = 0; a && i < n; i++)
                if (json_array_append_new(a, session_json(&v[i])) < 0) {
                        json_decref(a);
                        a = NULL;
                }
        sessions_free(v, n);
        o = a ? json_pack("{s:o}", "sessions", a) : NULL;
        r = json_print_line(stdout, o);
        if (r < 0) {
                log_errno(r, "list --json");
                return EXIT_USAGE;
        }
        return fflush(stdout) == 0 ? EXIT_DONE : EXIT_USAGE;
}

int cmd_list(struct cli *cli, int argc, char *argv[])
{
        char state_dir_of_list[PATH_MAX];
        struct session_info *v = NULL;
        struct cfg *cfg = NULL;
        size_t n = 0;
        bool json;
        int r;

        r = one_flag(argc, argv, "json", list_usage, &json);
        if (r != 0)
                return r > 0 ? EXIT_DONE : EXIT_USAGE;
        if (cfg_load_settings(cli->config, cli->confdir, &cfg) < 0)
                return EXIT_USAGE;
        if (cfg_check_dirs(cfg, CFG_DIR_STATE | CFG_DIR_STATE_MAY_LACK) < 0) {
                cfg_free(cfg);
                return EXIT_USAGE;
        }
        r = sessions_list(cfg->state_dir, &v, &n);
        snprintf(state_dir_of_list, sizeof state_dir_of_list, "%s", cfg->state_dir);
        cfg_free(cfg);
        if (r < 0)
                return EXIT_USAGE;
        if (json)
                return print_list_json(v, n);
        if (n == 0)
                log_notice("no sessions (state_dir %s holds no journal)", state_dir_of_list);
        for (size_t i = 0; i < n; i++) {
                char when[32];

                iso_time(v[i].created, when);
                printf("%s %s%s ", v[i].id, session_state_name(v[i].state), v[i].stale ? "(stale)" : "");
                print_word(v[i].root ? v[i].root : "-");
                printf(" %s ", when);
                if (v[i].owner > 0)
                        printf("%d%s", (int) v[i].owner, v[i].owner_alive ? "" : "(gone)");
                else
                        printf("-");
                /* Set up elsewhere: where its mounts are. */
                if (!v[i].this_boot)
                        printf(" boot:%s", v[i].where.boot);
                else if (!v[i].this_namespace)
                        printf(" mntns:%llu", (unsigned long long) v[i].where.ns.ino);
                putchar('\n');
        }
        sessions_free(v, n);
        return fflush(stdout) == 0 ? EXIT_DONE : EXIT_USAGE;
}

int cmd_gc(struct cli *cli, int argc, char *argv[])
{
        struct cfg *cfg = NULL;
        struct loader *l = NULL;
        bool all;
        int r;

        r = one_flag(argc, argv, "all", gc_usage, &all);
        if (r != 0)
                return r > 0 ? EXIT_DONE : EXIT_USAGE;
        if (cli_load_settings(cli, CFG_DIR_STATE | CFG_DIR_STATE_MAY_LACK, &cfg, &l) < 0)
                return EXIT_USAGE;
        r = sessions_gc(cfg->state_dir, all, l);
        loader_free_at_exit(l);
        cfg_free(cfg);
        return r < 0 ? EXIT_LEFTOVER : EXIT_DONE;
}
