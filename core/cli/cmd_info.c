/* SPDX-License-Identifier: Apache-2.0 */
/* Commands that only look: check and plugins. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "loader.h"
#include "log.h"
#include "util.h"

static const char check_usage[] =
        "Usage: cairn [OPTIONS] check\n"
        "Validate the config and load its plugins; mount nothing.  Prints the\n"
        "resolved stack in order, each value with the file and line it came from.\n";

static const char plugins_usage[] =
        "Usage: cairn [OPTIONS] plugins\n"
        "List the plugins in plugin_dir with their summaries and options.\n";

static const char *const type_names[] = {
        [CAIRN_OPT_STRING] = "string", [CAIRN_OPT_PATH] = "path", [CAIRN_OPT_BOOL] = "boolean",
        [CAIRN_OPT_MODE] = "mode",     [CAIRN_OPT_LIST] = "list", [CAIRN_OPT_CHOICE] = "choice",
        [CAIRN_OPT_INT] = "int",       [CAIRN_OPT_SIZE] = "size",
};

struct unset_check {
        const struct cfg_vars *vars;
        const struct cfg_entry *e;
};

static int warn_unset(const char *name, size_t len, void *ud)
{
        const struct unset_check *u = ud;
        _cleanup_free_ char *n = strndup(name, len);

        if (n && !vars_get(u->vars, n))
                log_warning("%s:%u: [%s] when: variable %s is not set (no --set %s=...): the entry is "
                            "skipped; a typo? ([cairn] variables = ... makes this an error)",
                            u->e->when_where.file, u->e->when_where.line, u->e->name, n, n);
        return 0;
}

int cmd_check(struct cli *cli, int argc, char *argv[])
{
        struct cfg *cfg = NULL;
        struct loader *l = NULL;
        int r;

        r = cli_no_options(argc, argv, check_usage, false);
        if (r != 0)
                return r > 0 ? EXIT_DONE : EXIT_USAGE;
        if (cli_load(cli, CFG_DIR_STATE | CFG_DIR_ROOT_PARENT, &cfg, &l) < 0)
                return EXIT_USAGE;
        printf("plugin_dir  %s\nstate_dir   %s\nroot_parent %s\nroot_mode   %04o\n",
               cfg->plugin_dir, cfg->state_dir, cfg->root_parent, (unsigned) cfg->root_mode);
        for (size_t i = 0; i < cfg->n_entries && !cfg->variables; i++) {
                /* Without [cairn] variables, a `when` naming a variable no
                 * --set gives is most often a typo: said, not refused. */
                const struct cfg_entry *e = &cfg->entries[i];
                struct unset_check u = { &cli->vars, e };

                if (e->when)
                        (void) when_each_name(e->when, warn_unset, &u);
        }
        for (size_t i = 0; i < cfg->n_entries; i++) {
                const struct cfg_entry *e = &cfg->entries[i];

                printf("%zu. [%s] plugin %s (%s), %s%s%s  %s:%u\n", i + 1, e->name, e->plugin_name,
                       e->plugin_path ? e->plugin_path
                       : e->plugin_missing ? "not installed: entry skipped"
                                           : "not loaded: entry skipped",
                       e->control == CFG_OPTIONAL ? "optional" : "required",
                       e->enabled || e->plugin_missing ? "" : ", skipped: when ",
                       e->enabled || e->plugin_missing ? "" : e->when, e->where.file, e->where.line);
                for (size_t k = 0; k < e->n_options; k++)
                        printf("     %s = %s  %s:%u\n", e->options[k].key, e->options[k].value,
                               e->options[k].where.file, e->options[k].where.line);
        }
        printf("ok: %zu entries\n", cfg->n_entries);
        loader_free_at_exit(l);
        cfg_free(cfg);
        return EXIT_DONE;
}

static void print_plugin(const struct cairn_plugin *p, const char *name)
{
        printf("%s - %s\n", name, p->summary ? p->summary : "");
        for (const struct cairn_option *o = p->options; o && o->name; o++) {
                printf("    %-10s %-8s%s", o->name, type_names[o->type],
                       (o->flags & CAIRN_OPT_REQUIRED) ? " required" : "");
                if (o->default_value)
                        printf(" (default %s)", o->default_value);
                if (o->type == CAIRN_OPT_CHOICE)
                        for (const char *const *c = o->choices; *c; c++)
                                printf("%s%s", c == o->choices ? " [" : "|", *c);
                if (o->type == CAIRN_OPT_CHOICE)
                        printf("]");
                /* A range, of a plugin that knows the field (ABI 1.3). */
                if ((o->type == CAIRN_OPT_INT || o->type == CAIRN_OPT_SIZE) && o->range &&
                    CAIRN_ABI_MINOR_OF(p->abi) >= 3)
                        printf(" [%" PRId64 "..%" PRId64 "]", o->range->min, o->range->max);
                printf("%s%s\n", o->help ? "  " : "", o->help ? o->help : "");
        }
}

int cmd_plugins(struct cli *cli, int argc, char *argv[])
{
        _cleanup_strv_free_ char **names = NULL;
        struct cfg *cfg = NULL;
        struct loader *l = NULL;
        int r, status = EXIT_DONE;

        r = cli_no_options(argc, argv, plugins_usage, false);
        if (r != 0)
                return r > 0 ? EXIT_DONE : EXIT_USAGE;
        if (cli_load_settings(cli, CFG_DIR_PLUGIN, &cfg, &l) < 0)
                return EXIT_USAGE;
        r = loader_list(l, &names);
        for (size_t i = 0; r >= 0 && names && names[i]; i++) {
                const struct cairn_plugin *p;

                if (loader_get(l, names[i], &p, NULL) < 0) {
                        status = EXIT_USAGE; /* named by the loader */
                        continue;
                }
                print_plugin(p, names[i]);
        }
        if (r < 0)
                status = EXIT_USAGE;
        loader_free_at_exit(l);
        cfg_free(cfg);
        return status;
}
