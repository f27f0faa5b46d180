/* SPDX-License-Identifier: Apache-2.0 */
/* list and gc: the sessions in state_dir. */
#include <getopt.h>
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

int cmd_list(struct cli *cli, int argc, char *argv[])
{
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
        cfg_free(cfg);
        if (r < 0)
                return EXIT_USAGE;
        if (json)
                printf("{\"sessions\":[");
        for (size_t i = 0; i < n; i++) {
                char when[32];

                iso_time(v[i].created, when);
                if (!json) {
                        printf("%s %s%s ", v[i].id, session_state_name(v[i].state),
                               v[i].stale ? "(stale)" : "");
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
                        continue;
                }
                printf("%s{\"id\":", i ? "," : "");
                json_string(stdout, v[i].id);
                printf(",\"root\":");
                json_string(stdout, v[i].root ? v[i].root : "");
                printf(",\"state\":\"%s\",\"stale\":%s,\"created\":\"%s\",\"owner\":",
                       session_state_name(v[i].state), v[i].stale ? "true" : "false", when);
                if (v[i].owner > 0)
                        printf("%d,\"owner_alive\":%s", (int) v[i].owner,
                               v[i].owner_alive ? "true" : "false");
                else
                        printf("null,\"owner_alive\":null");
                if (v[i].where_known) {
                        printf(",\"boot_id\":\"%s\",\"this_boot\":%s,\"mount_namespace\":%llu,"
                               "\"mount_namespace_id\":", v[i].where.boot, v[i].this_boot ? "true" : "false",
                               (unsigned long long) v[i].where.ns.ino);
                        if (v[i].where.ns.id)
                                printf("%llu", (unsigned long long) v[i].where.ns.id);
                        else
                                printf("null");
                        printf(",\"this_namespace\":%s", v[i].this_namespace ? "true" : "false");
                } else
                        printf(",\"boot_id\":null,\"this_boot\":null,\"mount_namespace\":null,"
                               "\"mount_namespace_id\":null,\"this_namespace\":null");
                putchar(',');
                json_entries(stdout, v[i].entries, v[i].n_entries);
                putchar('}');
        }
        if (json)
                printf("]}\n");
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
