/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "engine.h"
#include "loader.h"
#include "log.h"
#include "sessions.h"
#include "util.h"

static const char teardown_usage[] =
        "Usage: cairn [OPTIONS] teardown ROOT|ID\n"
        "Undo a session in reverse: unmount, then remove only what cairn made.\n"
        "Needs only the session's journal; a second teardown finds nothing to do.\n";

int cmd_teardown(struct cli *cli, int argc, char *argv[])
{
        struct cfg *cfg = NULL;
        struct loader *l = NULL;
        struct journal *j = NULL;
        int r, hint = -1;

        r = cli_no_options(argc, argv, teardown_usage, true);
        if (r != 0)
                return r > 0 ? EXIT_DONE : EXIT_USAGE;
        if (argc - optind != 1) {
                log_error("teardown takes one ROOT or ID");
                return EXIT_USAGE;
        }
        /* A root cairn made under the default state directory (a runtime
         * that tears down what it set up, the common case) needs no config:
         * its journal is STATE_DIR/ID.journal there, and says it is this
         * root's.  The config may have changed since setup, or be broken. */
        r = argv[optind][0] == '/' ? session_find_made(CAIRN_STATE_DIR, argv[optind], &j, &hint) : -ENOENT;
        if (r < 0 && r != -ENOENT)
                return EXIT_LEFTOVER; /* this root's, and unreadable: named */
        if (r == 0) {
                if (loader_new(CAIRN_PLUGIN_DIR, &l) < 0) {
                        journal_free(j);
                        if (hint >= 0)
                                close(hint);
                        return EXIT_LEFTOVER;
                }
                r = engine_teardown_journal(j, hint, l);
                loader_free_at_exit(l);
                return r < 0 ? EXIT_LEFTOVER : EXIT_DONE;
        }
        /* Only [cairn]'s settings: the stack and its variables belong to
         * setup; the journal says everything else. */
        if (cli_load_settings(cli, CFG_DIR_STATE | CFG_DIR_STATE_MAY_LACK, &cfg, &l) < 0)
                return EXIT_USAGE;
        r = engine_teardown(cfg->state_dir, argv[optind], -1, l);
        loader_free_at_exit(l);
        cfg_free(cfg);
        if (r == -EINVAL)
                return EXIT_USAGE;
        return r < 0 ? EXIT_LEFTOVER : EXIT_DONE;
}
