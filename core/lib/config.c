/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cfg_load(): the main file and its drop-ins, merged into the stack of
 * entries.  Reading a file safely is ini_file.c's job; this file gives the
 * sections their meaning:
 *
 *   - [cairn] holds the settings; `stack` only in the main file;
 *   - the main file's stack names its entries, in order; its other
 *     sections are ignored (with a notice);
 *   - a drop-in section changes the entry of that name, which keeps its
 *     place, or appends a new entry;
 *   - `plugin`, `control` and `when` are the engine's keys; every other
 *     key is a plugin option, checked later by cfg_bind_plugins().
 *
 * Where the contract is silent:
 *   - a stack name needs its section in the main file itself: where a
 *     drop-in's section would go in the order would otherwise be unclear;
 *   - a drop-in section named like a main-file section that is not in the
 *     stack is a new entry made of the drop-in's keys only (the ignored
 *     section stays ignored);
 *   - `when` is never expanded; an empty `when` means no condition, so a
 *     drop-in can clear one;
 *   - `plugin` and `control` are expanded like any value; a skipped entry
 *     whose plugin name still holds "${" cannot be bound and is not.
 */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cfg_place.h"
#include "cfg_value.h"
#include "config.h"
#include "ini_file.h"
#include "log.h"
#include "strmap.h"
#include "trust.h"
#include "util.h"

#define CAIRN_DEFAULT_ROOT_PARENT "/tmp"
#define CAIRN_DEFAULT_ROOT_MODE 0755
#define CAIRN_DEFAULT_ROOT_SIZE "64m"

/* ---- entries --------------------------------------------------------------- */

static void entry_done(struct cfg_entry *e)
{
        free(e->name);
        free(e->plugin_name);
        free(e->when);
        for (size_t i = 0; i < e->n_options; i++) {
                free(e->options[i].key);
                free(e->options[i].value);
        }
        free(e->options);
}

void cfg_free(struct cfg *cfg)
{
        if (!cfg)
                return;
        for (size_t i = 0; i < cfg->n_entries; i++)
                entry_done(&cfg->entries[i]);
        free(cfg->entries);
        free(cfg->plugin_dir);
        free(cfg->state_dir);
        free(cfg->root_parent);
        free(cfg->root_size);
        strv_freep(&cfg->oci_variables);
        strv_freep(&cfg->variables);
        strv_freep(&cfg->files);
        free(cfg);
}

static void cfg_freep(struct cfg **cfg)
{
        cfg_free(*cfg);
}

/* The entries' names while files are read (index into cfg->entries):
 * every drop-in section looks its entry up, and a linear search made a
 * drop-in of thousands of entries quadratic. */
static struct cfg_entry *cfg_find_entry(struct cfg *cfg, const struct strmap *ix, const char *name)
{
        size_t i;

        return strmap_get(ix, name, &i) ? &cfg->entries[i] : NULL;
}

static int cfg_add_entry(struct cfg *cfg, struct strmap *ix, const char *name,
                         struct cfg_location where, struct cfg_entry **ret)
{
        _cleanup_free_ char *copy = strdup(name);
        struct cfg_entry *n;

        if (!copy)
                return -ENOMEM;
        n = realloc(cfg->entries, (cfg->n_entries + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        cfg->entries = n;
        if (strmap_add(ix, copy, cfg->n_entries, NULL) < 0)
                return -ENOMEM;
        n[cfg->n_entries] = (struct cfg_entry) { .name = TAKE_PTR(copy), .where = where };
        *ret = &n[cfg->n_entries++];
        return 0;
}

/* Set a key of an entry: a later file's value and place replace the
 * earlier ones.  `fresh`: the entry cannot have the key yet, no need to
 * look. */
static int entry_set(struct cfg_entry *e, const char *key, const char *value,
                     struct cfg_location where, bool fresh)
{
        struct cfg_option *n;
        char *v = strdup(value), *k;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; !fresh && i < e->n_options; i++)
                if (streq(e->options[i].key, key)) {
                        free(e->options[i].value);
                        e->options[i].value = v;
                        e->options[i].where = where;
                        return 0;
                }
        k = strdup(key);
        n = k ? realloc(e->options, (e->n_options + 1) * sizeof(*n)) : NULL;
        if (!n) {
                free(k);
                free(v);
                return -ENOMEM;
        }
        e->options = n;
        n[e->n_options++] = (struct cfg_option) { .key = k, .value = v, .where = where };
        return 0;
}

static int entry_add_section(struct cfg_entry *e, const struct ini_section *sec, const char *file)
{
        /* An entry without options has none to replace, and the scanner
         * refused a key twice in a section: then each key is only appended
         * (a section of thousands of keys is not quadratic). */
        bool fresh = e->n_options == 0;

        for (size_t i = 0; i < sec->n_keys; i++) {
                const struct ini_key *k = &sec->keys[i];
                int r = entry_set(e, k->name, k->parsed,
                                  (struct cfg_location) { file, k->line }, fresh);
                if (r < 0)
                        return log_errno(r, "%s", file);
        }
        return 0;
}

/* ---- [cairn] --------------------------------------------------------------- */

static int set_path(char **dst, struct cfg_location *where, const char *value,
                    const struct cfg_place *p)
{
        char *copy;
        int r = cfg_check_value(CAIRN_OPT_PATH, NULL, value, p);

        if (r < 0)
                return r;
        copy = strdup(value);
        if (!copy)
                return log_errno(-ENOMEM, "%s", p->file);
        free(*dst);
        *dst = copy;
        *where = (struct cfg_location) { p->file, p->line };
        return 0;
}

/* What is being loaded, and with which variables. */
struct load {
        struct cfg *cfg;
        struct strmap *entries; /* cfg's, by name */
        const struct cfg_vars *vars;
        bool settings_only; /* cfg_load_settings(): [cairn] except `stack` */
};

/* One [cairn] key.  `stack` is only handed back (main file only). */
static int cairn_key(const struct load *l, const char *file,
                     const struct ini_key *k, bool main_file, char **stack, unsigned *stack_line)
{
        struct cfg_place p = { file, k->line, "cairn", k->name };
        _cleanup_free_ char *value = NULL;
        struct cfg *cfg = l->cfg;
        int r;

        if (streq(k->name, "stack") && l->settings_only)
                return 0; /* the stack is setup's business */
        if (streq(k->name, "stack") && !main_file)
                return cfg_error(&p, "stack can only be set in the main config file");

        /* teardown, list and gc read [cairn] without the --set variables
         * of the setup they follow: its values must not depend on them. */
        if (!streq(k->name, "stack") && strstr(k->parsed, "${"))
                return cfg_error(&p, "variables cannot be used here (teardown, list and gc "
                                     "read [cairn] without --set)");
        r = vars_expand(l->vars, k->parsed, &p, &value);
        if (r < 0)
                return r;

        if (streq(k->name, "plugin_dir"))
                return set_path(&cfg->plugin_dir, &cfg->plugin_dir_where, value, &p);
        if (streq(k->name, "state_dir"))
                return set_path(&cfg->state_dir, &cfg->state_dir_where, value, &p);
        if (streq(k->name, "root_parent"))
                return set_path(&cfg->root_parent, &cfg->root_parent_where, value, &p);
        if (streq(k->name, "root_mode")) {
                r = cfg_check_value(CAIRN_OPT_MODE, NULL, value, &p);
                if (r < 0)
                        return r;
                (void) cfg_parse_mode(value, &cfg->root_mode);
                return 0;
        }
        if (streq(k->name, "root_fs")) {
                static const char *const kinds[] = { "tmpfs", "dir", NULL };

                r = cfg_check_value(CAIRN_OPT_CHOICE, kinds, value, &p);
                if (r < 0)
                        return r;
                cfg->root_fs = streq(value, "dir") ? CFG_ROOT_DIR : CFG_ROOT_TMPFS;
                return 0;
        }
        if (streq(k->name, "root_size")) {
                if (!cfg_size_is_valid(value))
                        return cfg_error(&p, "\"%s\" is not a size (a number of bytes, with k, m or g, "
                                             "or a percentage of memory: 64m, 1g, 10%%)", value);
                free(cfg->root_size);
                cfg->root_size = TAKE_PTR(value);
                return 0;
        }
        if (streq(k->name, "root_readonly")) {
                r = cfg_check_value(CAIRN_OPT_BOOL, NULL, value, &p);
                if (r < 0)
                        return r;
                (void) cfg_parse_bool(value, &cfg->root_readonly);
                cfg->root_readonly_where = (struct cfg_location) { file, k->line };
                return 0;
        }
        if (streq(k->name, "oci_variables") || streq(k->name, "variables")) {
                bool oci = streq(k->name, "oci_variables");
                _cleanup_strv_free_ char **names = NULL;
                char *save = NULL;

                for (char *w = strtok_r(value, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
                        if (!var_name_is_valid(w))
                                return cfg_error(&p, "\"%s\" is not a variable name "
                                                     "([A-Za-z_][A-Za-z0-9_]*)", w);
                        if (strv_push(&names, w) < 0)
                                return log_errno(-ENOMEM, "%s", k->name);
                }
                if (!names && !oci)
                        return cfg_error(&p, "no variable named (leave the key out for no declaration)");
                strv_freep(oci ? &cfg->oci_variables : &cfg->variables);
                *(oci ? &cfg->oci_variables : &cfg->variables) = TAKE_PTR(names);
                *(oci ? &cfg->oci_variables_where : &cfg->variables_where) =
                        (struct cfg_location) { file, k->line };
                return 0;
        }
        if (streq(k->name, "stack")) {
                *stack = TAKE_PTR(value);
                *stack_line = k->line;
                return 0;
        }
        return cfg_error(&p, "unknown key (accepted: plugin_dir, state_dir, root_parent, root_mode, "
                             "root_fs, root_size, root_readonly, variables, oci_variables, stack)");
}

static int cairn_section(const struct load *l, const struct ini_file *f, const char *file,
                         bool main_file, char **stack, unsigned *stack_line)
{
        const struct ini_section *sec = ini_scan_section(f->scan, "cairn");

        for (size_t i = 0; sec && i < sec->n_keys; i++) {
                int r = cairn_key(l, file, &sec->keys[i], main_file, stack, stack_line);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- files ----------------------------------------------------------------- */

static void ini_file_freep(struct ini_file **f)
{
        ini_file_free(*f);
}

/* Load `path` and remember its name in cfg->files; *ret_file points there.
 * Settings only: iniparser need not read what will not be used. */
static int cfg_read_file(const struct load *l, const char *path, struct ini_file **ret,
                         const char **ret_file)
{
        struct cfg *cfg = l->cfg;
        size_t n;
        int r;

        r = strv_push(&cfg->files, path);
        if (r < 0)
                return log_errno(r, "%s", path);
        n = strv_length(cfg->files);
        r = ini_file_load(path, l->settings_only ? "cairn" : NULL, ret);
        if (r < 0)
                return r;
        *ret_file = cfg->files[n - 1];
        return 0;
}

static int load_main(const struct load *l, const char *path)
{
        _cleanup_(ini_file_freep) struct ini_file *f = NULL;
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *stack = NULL;
        struct cfg *cfg = l->cfg;
        unsigned stack_line = 0;
        const char *file;
        int r;

        r = cfg_read_file(l, path, &f, &file);
        if (r < 0)
                return r;
        r = cairn_section(l, f, file, true, &stack, &stack_line);
        if (r < 0 || l->settings_only)
                return r;

        r = cfg_split_words(stack ? stack : "", &names);
        if (r < 0)
                return log_errno(r, "%s", file);
        for (size_t i = 0; names[i]; i++) {
                struct cfg_place p = { file, stack_line, "cairn", "stack" };
                const struct ini_section *sec;
                struct cfg_entry *e;

                if (!name_is_valid(names[i]))
                        return cfg_error(&p, "invalid entry name \"%s\" (use a-z, 0-9, \"_\" and \"-\")",
                                         names[i]);
                if (streq(names[i], "cairn"))
                        return cfg_error(&p, "\"cairn\" is the settings section, not an entry");
                if (cfg_find_entry(cfg, l->entries, names[i]))
                        return cfg_error(&p, "\"%s\" appears twice", names[i]);
                sec = ini_scan_section(f->scan, names[i]);
                if (!sec)
                        return cfg_error(&p, "\"%s\" has no [%s] section in this file", names[i],
                                         names[i]);
                r = cfg_add_entry(cfg, l->entries, names[i], (struct cfg_location) { file, sec->line }, &e);
                if (r < 0)
                        return log_errno(r, "%s", file);
                r = entry_add_section(e, sec, file);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < f->scan->n_sections; i++) {
                const struct ini_section *sec = &f->scan->sections[i];

                if (!streq(sec->name, "cairn") && !cfg_find_entry(cfg, l->entries, sec->name))
                        cfg_log(CAIRN_LOG_NOTICE, &(struct cfg_place) { file, sec->line, sec->name, NULL },
                                "not in stack; ignored");
        }
        return 0;
}

static int load_dropin(const struct load *l, const char *path)
{
        _cleanup_(ini_file_freep) struct ini_file *f = NULL;
        struct cfg *cfg = l->cfg;
        const char *file;
        int r;

        r = cfg_read_file(l, path, &f, &file);
        if (r < 0)
                return r;
        for (size_t i = 0; i < f->scan->n_sections; i++) {
                const struct ini_section *sec = &f->scan->sections[i];
                struct cfg_entry *e;

                if (streq(sec->name, "cairn")) {
                        r = cairn_section(l, f, file, false, NULL, NULL);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (l->settings_only)
                        continue;
                e = cfg_find_entry(cfg, l->entries, sec->name);
                if (!e) {
                        r = cfg_add_entry(cfg, l->entries, sec->name, (struct cfg_location) { file, sec->line }, &e);
                        if (r < 0)
                                return log_errno(r, "%s", file);
                }
                r = entry_add_section(e, sec, file);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Every NAME.conf in `dir` that is (or links to) a regular file and is not
 * hidden, in strcmp() order.  A missing `dir` has none; one that someone
 * else could add a file to or remove one from is refused (open_trusted()'s
 * rules for directories), and each file it lists is then opened by
 * open_trusted() too. */
static int list_dropins(const char *dir, char ***ret)
{
        _cleanup_closedir_ DIR *d = NULL;
        _cleanup_strv_free_ char **names = NULL;
        struct dirent *de;
        int r, fd = -1;

        r = trust_open(dir, TRUST_DIR | TRUST_QUIET, &fd);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0) {
                log_error("%s", trust_reason());
                return r;
        }
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return log_errno(negative_errno(), "%s", dir);
        }
        for (errno = 0; (de = readdir(d)); errno = 0) {
                size_t len = strlen(de->d_name);
                struct stat st;

                if (de->d_name[0] == '.' || len <= 5 || !streq(de->d_name + len - 5, ".conf"))
                        continue;
                /* Follow symlinks: open_trusted() checks what they point to. */
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0)
                        return log_errno(negative_errno(), "%s/%s", dir, de->d_name);
                if (!S_ISREG(st.st_mode)) {
                        log_debug("%s/%s: not a regular file; ignored", dir, de->d_name);
                        continue;
                }
                r = strv_push(&names, de->d_name);
                if (r < 0)
                        return log_errno(r, "%s", dir);
        }
        if (errno != 0)
                return log_errno(negative_errno(), "%s: readdir", dir);

        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_names);
        *ret = TAKE_PTR(names);
        return 0;
}

/* ---- entries, once every file is merged ----------------------------------- */

/* Take an engine key out of the options: *ret_value (NULL if absent) and
 * its place. */
static void entry_take(struct cfg_entry *e, const char *key, char **ret_value,
                       struct cfg_location *ret_where)
{
        *ret_value = NULL;
        *ret_where = e->where;
        for (size_t i = 0; i < e->n_options; i++)
                if (streq(e->options[i].key, key)) {
                        *ret_value = e->options[i].value;
                        *ret_where = e->options[i].where;
                        free(e->options[i].key);
                        memmove(&e->options[i], &e->options[i + 1],
                                (e->n_options - i - 1) * sizeof(e->options[0]));
                        e->n_options--;
                        return;
                }
}

static int expand_in_place(char **value, const struct cfg_vars *vars, const struct cfg_place *p)
{
        char *x;
        int r = vars_expand(vars, *value, p, &x);

        if (r < 0)
                return r;
        free(*value);
        *value = x;
        return 0;
}

/* `when`, then (only for an enabled entry: a skipped one must not demand
 * its variables) ${} expansion, then the plugin name and control.  A value
 * of a skipped entry that still holds "${" is not checked. */
static bool declared(char **names, const char *name, size_t len)
{
        for (char **n = names; n && *n; n++)
                if (strlen(*n) == len && strncmp(*n, name, len) == 0)
                        return true;
        return false;
}

/* With [cairn] variables: every ${NAME} in `value` is declared. */
static int check_expansions(char **names, const char *value, const struct cfg_place *p)
{
        for (const char *v = value ? strstr(value, "${") : NULL; v; v = strstr(v + 2, "${")) {
                const char *end = strchr(v + 2, '}');

                if (end && !declared(names, v + 2, (size_t) (end - v - 2)))
                        return cfg_error(p, "${%.*s}: not a variable [cairn] variables declares", (int) (end - v - 2),
                                         v + 2);
        }
        return 0;
}

struct when_check {
        char **names;
        const struct cfg_place *p;
};

static int when_name_declared(const char *name, size_t len, void *ud)
{
        const struct when_check *w = ud;

        if (!declared(w->names, name, len))
                return cfg_error(w->p, "variable %.*s: not one [cairn] variables declares (a typo?)", (int) len,
                                 name);
        return 0;
}

/* [cairn] variables: every --set, `when` and ${} of the entry names a
 * declared variable. */
static int entry_declared(const struct cfg *cfg, struct cfg_entry *e, const struct cfg_location *when_where)
{
        struct cfg_place p;
        int r;

        if (!cfg->variables)
                return 0;
        if (e->when) {
                p = (struct cfg_place) { when_where->file, when_where->line, e->name, "when" };
                r = when_each_name(e->when, when_name_declared, &(struct when_check) { cfg->variables, &p });
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < e->n_options; i++) {
                const struct cfg_option *o = &e->options[i];

                p = (struct cfg_place) { o->where.file, o->where.line, e->name, o->key };
                r = check_expansions(cfg->variables, o->value, &p);
                if (r < 0)
                        return r;
        }
        p = (struct cfg_place) { e->plugin_where.file, e->plugin_where.line, e->name, "plugin" };
        return check_expansions(cfg->variables, e->plugin_name, &p);
}

/* [cairn] variables: each --set, and each oci_variables name, is one it
 * declares. */
static int vars_declared(const struct cfg *cfg, const struct cfg_vars *vars)
{
        struct cfg_place p = { cfg->variables_where.file, cfg->variables_where.line, "cairn", "variables" };

        if (!cfg->variables)
                return 0;
        for (size_t i = 0; i < vars->n; i++)
                if (!declared(cfg->variables, vars->names[i], strlen(vars->names[i])))
                        return cfg_error(&p, "--set %s: not among the variables declared here (a typo?)",
                                         vars->names[i]);
        for (char **o = cfg->oci_variables; o && *o; o++)
                if (!declared(cfg->variables, *o, strlen(*o)))
                        return cfg_error(&p, "oci_variables names %s, which this key does not declare", *o);
        return 0;
}

static int entry_finish(const struct cfg *cfg, struct cfg_entry *e, const struct cfg_vars *vars)
{
        _cleanup_free_ char *control = NULL, *overmount = NULL;
        struct cfg_location control_where, when_where, overmount_where;
        struct cfg_place p;
        int r;

        entry_take(e, "plugin", &e->plugin_name, &e->plugin_where);
        entry_take(e, "control", &control, &control_where);
        entry_take(e, "when", &e->when, &when_where);
        e->when_where = when_where;
        entry_take(e, "overmount", &overmount, &overmount_where);
        if (!e->plugin_name) {
                e->plugin_name = strdup(e->name);
                if (!e->plugin_name)
                        return log_errno(-ENOMEM, "%s", e->name);
        }

        r = entry_declared(cfg, e, &when_where);
        if (r >= 0 && cfg->variables && control) {
                p = (struct cfg_place) { control_where.file, control_where.line, e->name, "control" };
                r = check_expansions(cfg->variables, control, &p);
        }
        if (r >= 0 && cfg->variables && overmount) {
                p = (struct cfg_place) { overmount_where.file, overmount_where.line, e->name, "overmount" };
                r = check_expansions(cfg->variables, overmount, &p);
        }
        if (r < 0)
                return r;

        e->enabled = true;
        if (e->when) {
                p = (struct cfg_place) { when_where.file, when_where.line, e->name, "when" };
                r = when_evaluate(vars, e->when, &p, &e->enabled);
                if (r < 0)
                        return r;
        }

        if (e->enabled) {
                for (size_t i = 0; i < e->n_options; i++) {
                        struct cfg_option *o = &e->options[i];

                        p = (struct cfg_place) { o->where.file, o->where.line, e->name, o->key };
                        r = expand_in_place(&o->value, vars, &p);
                        if (r < 0)
                                return r;
                }
                p = (struct cfg_place) { e->plugin_where.file, e->plugin_where.line, e->name, "plugin" };
                r = expand_in_place(&e->plugin_name, vars, &p);
                if (r < 0)
                        return r;
                if (control) {
                        p = (struct cfg_place) { control_where.file, control_where.line, e->name, "control" };
                        r = expand_in_place(&control, vars, &p);
                        if (r < 0)
                                return r;
                }
        }

        p = (struct cfg_place) { e->plugin_where.file, e->plugin_where.line, e->name, "plugin" };
        if ((e->enabled || !strstr(e->plugin_name, "${")) && !name_is_valid(e->plugin_name))
                return cfg_error(&p, "invalid plugin name \"%s\" (use a-z, 0-9, \"_\" and \"-\")",
                                 e->plugin_name);

        e->control = CFG_REQUIRED;
        if (control && (e->enabled || !strstr(control, "${"))) {
                p = (struct cfg_place) { control_where.file, control_where.line, e->name, "control" };
                r = cfg_check_value(CAIRN_OPT_CHOICE, (const char *const[]) { "required", "optional", NULL },
                                    control, &p);
                if (r < 0)
                        return r;
                e->control = streq(control, "optional") ? CFG_OPTIONAL : CFG_REQUIRED;
        }
        if (overmount) {
                p = (struct cfg_place) { overmount_where.file, overmount_where.line, e->name, "overmount" };
                if (e->enabled && (r = expand_in_place(&overmount, vars, &p)) < 0)
                        return r;
                if (e->enabled || !strstr(overmount, "${")) {
                        r = cfg_check_value(CAIRN_OPT_BOOL, NULL, overmount, &p);
                        if (r < 0)
                                return r;
                        (void) cfg_parse_bool(overmount, &e->overmount);
                }
        }
        return 0;
}

static int load(const char *path, const char *confdir, const struct cfg_vars *vars,
                bool settings_only, struct cfg **ret)
{
        _cleanup_(cfg_freep) struct cfg *cfg = NULL;
        _cleanup_strv_free_ char **dropins = NULL;
        static const struct cfg_vars none = {};
        _cleanup_(strmap_done) struct strmap entries = {};
        struct load l;
        int r;

        cfg = calloc(1, sizeof(*cfg));
        if (!cfg)
                return log_errno(-ENOMEM, "%s", path);
        cfg->plugin_dir = strdup(CAIRN_PLUGIN_DIR);
        cfg->state_dir = strdup(CAIRN_STATE_DIR);
        cfg->root_parent = strdup(CAIRN_DEFAULT_ROOT_PARENT);
        cfg->root_mode = CAIRN_DEFAULT_ROOT_MODE;
        cfg->root_size = strdup(CAIRN_DEFAULT_ROOT_SIZE);
        if (!cfg->plugin_dir || !cfg->state_dir || !cfg->root_parent || !cfg->root_size)
                return log_errno(-ENOMEM, "%s", path);

        l = (struct load) {
                .cfg = cfg,
                .entries = &entries,
                .vars = vars ? vars : &none,
                .settings_only = settings_only,
        };
        r = load_main(&l, path);
        if (r < 0)
                return r;

        if (confdir) {
                r = list_dropins(confdir, &dropins);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; dropins && dropins[i]; i++) {
                _cleanup_free_ char *p = NULL;
                size_t len = strlen(confdir);

                p = xasprintf("%.*s/%s", (int) (len > 1 && confdir[len - 1] == '/' ? len - 1 : len),
                              confdir, dropins[i]);
                if (!p)
                        return log_errno(-ENOMEM, "%s", confdir);
                r = load_dropin(&l, p);
                if (r < 0)
                        return r;
        }

        r = vars_declared(cfg, l.vars);
        if (r < 0)
                return r;
        for (size_t i = 0; i < cfg->n_entries; i++) {
                r = entry_finish(cfg, &cfg->entries[i], l.vars);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(cfg);
        return 0;
}

int cfg_load(const char *path, const char *confdir, const struct cfg_vars *vars,
             struct cfg **ret)
{
        return load(path, confdir, vars, false, ret);
}

int cfg_load_settings(const char *path, const char *confdir, struct cfg **ret)
{
        return load(path, confdir, NULL, true, ret);
}

const char *cfg_entry_value(const struct cfg_entry *e, const char *key)
{
        for (size_t i = 0; i < e->n_options; i++)
                if (streq(e->options[i].key, key))
                        return e->options[i].value;
        if (e->plugin && e->plugin->options)
                for (const struct cairn_option *o = e->plugin->options; o->name; o++)
                        if (streq(o->name, key))
                                return o->default_value;
        return NULL;
}

/* ---- the directories a command will use ----------------------------------- */

/* An error at the key that set the directory, or (the default) at [cairn]
 * in the main file, saying so. */
static int dir_error(const struct cfg *cfg, const char *key, const struct cfg_location *where,
                     const char *value, const char *why)
{
        struct cfg_place p = { where->file ? where->file : cfg->files ? cfg->files[0] : NULL,
                               where->line, "cairn", key };

        if (!where->file)
                return cfg_error(&p, "%s (not set: the default, %s)", why, value);
        return cfg_error(&p, "%s", why);
}

static int check_state_dir(const struct cfg *cfg, unsigned what)
{
        _cleanup_free_ char *copy = NULL;
        int r;

        r = trust_open(cfg->state_dir, TRUST_DIR | TRUST_QUIET, NULL);
        if (r == 0)
                return 0;
        if (r != -ENOENT)
                return dir_error(cfg, "state_dir", &cfg->state_dir_where, cfg->state_dir, trust_reason());
        if (what & CFG_DIR_STATE_MAY_LACK)
                return 0; /* no journals to read */
        /* Made at the first setup: in a directory that may hold it. */
        copy = strdup(cfg->state_dir);
        if (!copy)
                return log_errno(-ENOMEM, "state_dir");
        r = trust_open(dirname(copy), TRUST_DIR | TRUST_QUIET, NULL);
        if (r < 0)
                return dir_error(cfg, "state_dir", &cfg->state_dir_where, cfg->state_dir, trust_reason());
        return 0;
}

int cfg_check_dirs(const struct cfg *cfg, unsigned what)
{
        int r;

        if (what & CFG_DIR_PLUGIN) {
                /* Missing: each plugin an entry needs is missing then, and
                 * named as such. */
                r = trust_open(cfg->plugin_dir, TRUST_DIR | TRUST_QUIET, NULL);
                if (r < 0 && r != -ENOENT)
                        return dir_error(cfg, "plugin_dir", &cfg->plugin_dir_where, cfg->plugin_dir,
                                         trust_reason());
        }
        if (what & CFG_DIR_STATE) {
                r = check_state_dir(cfg, what);
                if (r < 0)
                        return r;
        }
        if (what & CFG_DIR_ROOT_PARENT) {
                _cleanup_close_ int fd = open(cfg->root_parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
                char why[512];
                struct stat st;

                if (fd < 0 || fstat(fd, &st) < 0) {
                        snprintf(why, sizeof why, "%s: %s", cfg->root_parent,
                                 errno == ENOTDIR ? "not a directory" : strerror(errno));
                        return dir_error(cfg, "root_parent", &cfg->root_parent_where, cfg->root_parent, why);
                }
                if (!dir_keeps_entries(&st)) {
                        snprintf(why, sizeof why,
                                 "%s: owned by uid %u, mode %04o: another user could put a directory of "
                                 "theirs where cairn makes a root (root's, not writable by others, or "
                                 "sticky, like /tmp)",
                                 cfg->root_parent, (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
                        return dir_error(cfg, "root_parent", &cfg->root_parent_where, cfg->root_parent, why);
                }
        }
        return 0;
}
