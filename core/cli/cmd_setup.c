/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "engine.h"
#include "loader.h"
#include "log.h"
#include "util.h"

static const char setup_usage[] =
        "Usage: cairn [OPTIONS] setup\n"
        "Build a root from the configured stack and print its path.\n";

int cmd_setup(struct cli *cli, int argc, char *argv[])
{
        struct setup_result res = {};
        struct setup_opts o = {};
        struct cfg *cfg = NULL;
        struct loader *l = NULL;
        int r, status;

        r = cli_no_options(argc, argv, setup_usage);
        if (r != 0)
                return r > 0 ? EXIT_DONE : EXIT_USAGE;
        if (optind < argc) {
                log_error("setup: unexpected argument \"%s\"", argv[optind]);
                return EXIT_USAGE;
        }
        if (cli_load(cli, &cfg, &l) < 0)
                return EXIT_USAGE;

        r = engine_setup(cfg, l, &o, &res);
        if (r == 0) {
                printf("%s\n", res.root);
                status = fflush(stdout) == 0 ? EXIT_DONE : EXIT_SETUP_FAILED;
                if (status != EXIT_DONE) {
                        /* Nobody learnt the root: take it down again. */
                        log_error("writing the root's path failed; tearing it down");
                        status = engine_teardown(cfg->state_dir, res.id, l) < 0 ? EXIT_LEFTOVER
                                                                                 : EXIT_SETUP_FAILED;
                }
        } else if (r == -EBUSY)
                status = EXIT_LEFTOVER;
        else
                status = EXIT_SETUP_FAILED;
        setup_result_clear(&res);
        loader_free(l);
        cfg_free(cfg);
        return status;
}
