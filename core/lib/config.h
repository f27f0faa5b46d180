/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration: the main file and its drop-ins, parsed with iniparser,
 * turned into a validated stack of entries before anything is touched.
 *
 * Every error is logged (log_error) as
 *     FILE:LINE: [SECTION] KEY: MESSAGE
 * (the parts that do not apply are left out) and the functions return a
 * negative errno: -EINVAL for a bad config, -ENOENT/-EACCES/... for a file
 * that cannot be read, -EPERM for a file that is not trusted.
 */
#ifndef CAIRN_CONFIG_H
#define CAIRN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cairn/plugin.h"

struct loader;

/* The `--set NAME=VALUE` variables, for ${NAME} and `when`.  A later
 * assignment of the same name replaces the earlier one. */
struct cfg_vars {
        char **names;
        char **values;
        size_t n;
};
/* Parse "NAME=VALUE" (NAME is [A-Za-z_][A-Za-z0-9_]*); -EINVAL, logged. */
int vars_set(struct cfg_vars *vars, const char *assignment);
const char *vars_get(const struct cfg_vars *vars, const char *name);
void vars_clear(struct cfg_vars *vars);

struct cfg_location {
        const char *file; /* points into cfg->files */
        unsigned line;
};

/* One plugin key of an entry (not plugin/when/control). */
struct cfg_option {
        char *key;
        char *value; /* ${VAR} expanded (for enabled entries) */
        struct cfg_location where;
};

enum cfg_control {
        CFG_REQUIRED = 0,
        CFG_OPTIONAL,
};

struct cfg_entry {
        char *name;        /* the section name */
        char *plugin_name; /* `plugin`; default: the section name */
        enum cfg_control control;
        char *when;   /* the raw `when` value, or NULL */
        bool enabled; /* every `when` condition holds for the variables */
        struct cfg_location where; /* its section header in the file that
                                      first defined it */
        struct cfg_option *options;
        size_t n_options;

        /* Where the plugin name comes from: the `plugin` key, or the section
         * header when the name defaults to the section's. */
        struct cfg_location plugin_where;

        /* Filled in by cfg_bind_plugins(); both stay NULL for a skipped
         * entry whose plugin name holds an unexpanded ${...}. */
        const struct cairn_plugin *plugin;
        const char *plugin_path; /* owned by the loader */
};

struct cfg {
        char *plugin_dir;  /* [cairn] plugin_dir, default CAIRN_PLUGIN_DIR */
        char *state_dir;   /* default CAIRN_STATE_DIR (/run/cairn) */
        char *root_parent; /* default /tmp */
        mode_t root_mode;  /* default 0755 */
        /* Where each was set (file NULL: the default). */
        struct cfg_location plugin_dir_where, state_dir_where, root_parent_where;
        struct cfg_entry *entries; /* stack order, then drop-ins' additions */
        size_t n_entries;
        char **files; /* NULL-terminated: every file read, in order */
};

/* Read `path` and every *.conf in `confdir` (C-locale name order; a missing
 * confdir is not an error, NULL means none), expand variables, evaluate
 * `when`, and check everything that does not need the plugins. */
int cfg_load(const char *path, const char *confdir, const struct cfg_vars *vars,
             struct cfg **ret);

/* Only the [cairn] settings (no stack, no entries, no variables), for
 * commands that need the directories but not the stack: teardown, gc,
 * plugins.  Every file is still read and scanned in full, so a file that
 * iniparser would misread is refused here too. */
int cfg_load_settings(const char *path, const char *confdir, struct cfg **ret);

/* Load each entry's plugin through `loader` and check the entry's keys and
 * values against the options the plugin declares, then (a plugin of ABI
 * 1.1 or later with a check function) against each other. */
int cfg_bind_plugins(struct cfg *cfg, struct loader *loader);

/* The [cairn] directories a command is about to use, as it will meet them,
 * before anything is done: each failure is an error at the key that set
 * it (or the default), naming why.
 *   CFG_DIR_PLUGIN: plugin_dir is a directory cairn may load from
 *                   (open_trusted()'s rules), or missing;
 *   CFG_DIR_STATE:  state_dir is such a directory, or can be made as one
 *                   (its parent is); with CFG_DIR_STATE_MAY_LACK, a missing
 *                   state_dir (and its parent) is fine: nothing to read;
 *   CFG_DIR_ROOT_PARENT: root_parent is a directory. */
#define CFG_DIR_PLUGIN (1u << 0)
#define CFG_DIR_STATE (1u << 1)
#define CFG_DIR_STATE_MAY_LACK (1u << 2)
#define CFG_DIR_ROOT_PARENT (1u << 3)
int cfg_check_dirs(const struct cfg *cfg, unsigned what);

/* The entry's value for a key: the configured one, else the plugin's
 * declared default, else NULL. */
const char *cfg_entry_value(const struct cfg_entry *e, const char *key);

void cfg_free(struct cfg *cfg);

/* ---- value syntax, shared with the plugin context ------------------------ */

/* Octal permission bits 0..07777 ("0755", "755"); false otherwise. */
bool cfg_parse_mode(const char *s, mode_t *ret);
/* yes/no, true/false, on/off, 1/0, case-insensitive; false otherwise. */
bool cfg_parse_bool(const char *s, bool *ret);
/* Split words separated by blanks and/or commas into a NULL-terminated
 * vector (empty when there is no word).  0 or -ENOMEM. */
int cfg_split_words(const char *s, char ***ret);

/* ---- internal to config*.c, vars.c, ini_scan.c and ini_file.c ------------ */

/* A place in a config file for messages: FILE:LINE: [SECTION] KEY.  Any
 * part may be absent (NULL, or line 0). */
struct cfg_place {
        const char *file;
        unsigned line;
        const char *section;
        const char *key;
};
/* Log "FILE:LINE: [SECTION] KEY: MESSAGE" at `level`. */
void cfg_log(int level, const struct cfg_place *p, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* The same at error level; returns -EINVAL. */
int cfg_error(const struct cfg_place *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Check `value` against an option type (`choices` for CAIRN_OPT_CHOICE);
 * a bad value is an error at `p`. */
int cfg_check_value(enum cairn_option_type type, const char *const *choices, const char *value,
                    const struct cfg_place *p);

/* [A-Za-z_][A-Za-z0-9_]* */
bool var_name_is_valid(const char *name);
/* Expand ${NAME} in `value`; `$` not followed by `{` is literal.  An
 * unterminated ${, a bad name or an unset variable is an error at `p`. */
int vars_expand(const struct cfg_vars *vars, const char *value, const struct cfg_place *p,
                char **ret);
/* Parse `when` ("K=V[, K=V...]"; empty: no condition) and evaluate it:
 * true iff every K is set and equal to V.  A malformed list is an error
 * at `p`. */
int when_evaluate(const struct cfg_vars *vars, const char *when, const struct cfg_place *p,
                  bool *ret_enabled);

#endif
