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
#include "vars.h"

struct loader;

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
        struct cfg_location when_where;
        /* `overmount`: the helpers may mount on a target that is already
         * a mount point (someone else's: a runtime's /proc, say); default
         * no, they refuse (EBUSY). */
        bool overmount;
        /* An optional entry whose plugin is not installed: skipped (with a
         * warning), never run. */
        bool plugin_missing;
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

enum cfg_root_fs {
        CFG_ROOT_TMPFS = 0, /* a root cairn makes gets a fresh tmpfs */
        CFG_ROOT_DIR,       /* a plain directory in root_parent */
};

struct cfg {
        char *plugin_dir;  /* [cairn] plugin_dir, default CAIRN_PLUGIN_DIR */
        char *state_dir;   /* default CAIRN_STATE_DIR (/run/cairn) */
        char *root_parent; /* default /tmp */
        mode_t root_mode;  /* default 0755 */
        enum cfg_root_fs root_fs; /* default tmpfs */
        char *root_size;   /* the tmpfs root's size= (default 64m) */
        bool root_readonly; /* the root's own mount made read-only once set up */
        /* [cairn] oci_variables: the variables an OCI annotation
         * "cairn.set.NAME=VALUE" may set (NULL-terminated; NULL: none). */
        char **oci_variables;
        struct cfg_location oci_variables_where;
        /* [cairn] variables: the variables the config uses (NULL: not
         * declared): a --set, `when` or ${} naming another is an error. */
        char **variables;
        struct cfg_location variables_where;
        /* Where each was set (file NULL: the default). */
        struct cfg_location plugin_dir_where, state_dir_where, root_parent_where,
                root_readonly_where;
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

#endif
