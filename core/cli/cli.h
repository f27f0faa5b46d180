/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

#include <stdbool.h>

#include "config.h"

/* Exit statuses (cairn(8), EXIT STATUS; README.md). */
enum {
        EXIT_DONE = 0,
        EXIT_SETUP_FAILED = 1, /* setup failed and was fully rolled back */
        EXIT_USAGE = 2,        /* bad usage, config or plugin; nothing done */
        EXIT_LEFTOVER = 3,     /* something could not be undone */
};

/* What the global options say. */
struct cli {
        const char *config;  /* -c */
        const char *confdir; /* --confdir */
        struct cfg_vars vars;
};

/* stdout was closed when cairn started (it is /dev/null now). */
extern bool cli_stdout_was_closed;

__attribute__((visibility("default"))) int cairn_main(int argc, char *argv[]);

int cmd_setup(struct cli *cli, int argc, char *argv[]);
int cmd_teardown(struct cli *cli, int argc, char *argv[]);
int cmd_check(struct cli *cli, int argc, char *argv[]);
int cmd_plugins(struct cli *cli, int argc, char *argv[]);
int cmd_list(struct cli *cli, int argc, char *argv[]);
int cmd_gc(struct cli *cli, int argc, char *argv[]);
int cmd_exec(struct cli *cli, int argc, char *argv[]);
int cmd_oci_hook(struct cli *cli, int argc, char *argv[]);
int cmd_cdi(struct cli *cli, int argc, char *argv[]);

/* Load the config and its plugins, and check the directories `dirs` says
 * (cfg_check_dirs(); plugin_dir always); on failure the error is logged. */
int cli_load(struct cli *cli, unsigned dirs, struct cfg **ret_cfg, struct loader **ret_loader);
/* Only the [cairn] settings (checking `dirs`), and a loader for
 * plugin_dir: for commands that act on sessions, whose journals say
 * everything else. */
int cli_load_settings(struct cli *cli, unsigned dirs, struct cfg **ret_cfg, struct loader **ret_loader);
/* A command that takes no options but --help. */
int cli_no_options(int argc, char *argv[], const char *usage, bool takes_args);

#endif
