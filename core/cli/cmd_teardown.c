/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "engine.h"
#include "loader.h"
#include "log.h"
#include "util.h"

static const char teardown_usage[] =
        "Usage: cairn [OPTIONS] teardown ROOT|ID\n"
        "Undo a session in reverse: unmount, then remove only what cairn made.\n"
        "Needs only the session's journal; a second teardown finds nothing to do.\n";

int cmd_teardown(struct cli *cli, int argc, char *argv[])
{
        struct cfg *cfg = NULL;
        struct loader *l = NULL;
        int r;

        r = cli_no_options(argc, argv, teardown_usage, true);
        if (r != 0)
                return r > 0 ? EXIT_DONE : EXIT_USAGE;
        if (argc - optind != 1) {
                log_error("teardown takes one ROOT or ID");
                return EXIT_USAGE;
        }
        /* A root cairn made names its journal: nothing else is needed
         * (the config may have changed since setup, or be broken). */
        if (argv[optind][0] == '/' && loader_new(CAIRN_PLUGIN_DIR, &l) == 0) {
                bool done;

                r = engine_teardown_recorded(argv[optind], l, &done);
                loader_free(TAKE_PTR(l));
                if (done)
                        return r < 0 ? EXIT_LEFTOVER : EXIT_DONE;
        }
        /* Only [cairn]'s settings: the stack and its variables belong to
         * setup; the journal says everything else. */
        if (cli_load_settings(cli, &cfg, &l) < 0)
                return EXIT_USAGE;
        r = engine_teardown(cfg->state_dir, argv[optind], l);
        loader_free_at_exit(l);
        cfg_free(cfg);
        if (r == -EINVAL)
                return EXIT_USAGE;
        return r < 0 ? EXIT_LEFTOVER : EXIT_DONE;
}
