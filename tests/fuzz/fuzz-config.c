/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: config loading and validation.
 *
 * One input is up to three config files and some --set variables:
 *
 *     %set NAME=VALUE      (any number of leading lines: vars_set())
 *     ...main file...
 *     %%                   (a line of its own: the next file starts)
 *     ...drop-in 10-a.conf...
 *     %%
 *     ...drop-in 20-b.conf...
 *
 * The main file and the drop-ins are files in private 0700 directories
 * (open_trusted() accepts them in test mode: ours, not writable by others,
 * and so is every directory above them, /tmp being sticky).  The result goes through cfg_bind_plugins()
 * with static stand-ins for the built-in plugins (same names, same
 * declared options and types) and one plugin with every option type, so
 * the type checks are fuzzed too.  Nothing is ever dlopen()ed: the loader
 * has no plugin directory, so an unknown plugin name is just -ENOENT.
 *
 * Oracles besides the sanitizers (abort() on violation):
 *   - a failed load or bind logged at least one error (the contract: every
 *     error is named);
 *   - an accepted config only holds what validation promises: normalized
 *     absolute directories, a mode <= 07777, valid plugin names for
 *     enabled entries, values of enabled entries that pass their declared
 *     type's check again, every required option set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_bind.h"
#include "cfg_value.h"
#include "config.h"
#include "loader.h"
#include "log.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- static plugins: the built-ins' declarations, and one of each type ---- */

static int fake_setup(struct cairn_ctx *ctx)
{
        (void) ctx;
        return 0;
}

static const struct cairn_option proc_opts[] = {
        { .name = "target", .type = CAIRN_OPT_PATH, .default_value = "/proc" },
        {},
};
static const struct cairn_option binbind_opts[] = {
        { .name = "source", .type = CAIRN_OPT_PATH, .flags = CAIRN_OPT_REQUIRED },
        { .name = "target", .type = CAIRN_OPT_PATH },
        { .name = "readonly", .type = CAIRN_OPT_BOOL, .default_value = "yes" },
        {},
};
static const struct cairn_option kvm_opts[] = {
        { .name = "device", .type = CAIRN_OPT_PATH, .default_value = "/dev/kvm" },
        {},
};
static const char *const missing_choices[] = { "error", "skip", NULL };
static const struct cairn_option devices_opts[] = {
        { .name = "devices", .type = CAIRN_OPT_LIST, .flags = CAIRN_OPT_REQUIRED },
        { .name = "missing", .type = CAIRN_OPT_CHOICE, .default_value = "error",
          .choices = missing_choices },
        {},
};
static const char *const color_choices[] = { "red", "green", "blue-ish", NULL };
static const struct cairn_option every_opts[] = {
        { .name = "s", .type = CAIRN_OPT_STRING },
        { .name = "p", .type = CAIRN_OPT_PATH },
        { .name = "b", .type = CAIRN_OPT_BOOL },
        { .name = "m", .type = CAIRN_OPT_MODE, .flags = CAIRN_OPT_REQUIRED },
        { .name = "l", .type = CAIRN_OPT_LIST },
        { .name = "c", .type = CAIRN_OPT_CHOICE, .choices = color_choices },
        {},
};

#define FAKE(n, o)                                                             \
        {                                                                      \
                .abi = CAIRN_ABI_VERSION, .name = n, .summary = "fuzz stand-in", \
                .options = o, .setup = fake_setup,                             \
        }
static const struct cairn_plugin fakes[] = {
        FAKE("proc", proc_opts),       FAKE("binbind", binbind_opts),
        FAKE("kvm", kvm_opts),         FAKE("devices", devices_opts),
        FAKE("every", every_opts),     FAKE("none", NULL),
};

/* ---- logging: formatted (so the message code runs), counted, dropped ------ */

static unsigned n_errors;

static void count_sink(int level, const char *msg, void *userdata)
{
        (void) msg;
        (void) userdata;
        if (level <= CAIRN_LOG_ERR)
                n_errors++;
}

/* ---- files ------------------------------------------------------------------ */

static char main_dir[256];
static char main_path[300];
static char dropin_dir[256];
static char dropin_path[2][300];

static void die(const char *what)
{
        perror(what);
        abort();
}

static void rmtree_dropins(void)
{
        for (size_t i = 0; i < ELEMENTSOF(dropin_path); i++)
                if (dropin_path[i][0])
                        unlink(dropin_path[i]);
        if (dropin_dir[0])
                rmdir(dropin_dir);
        if (main_path[0])
                unlink(main_path);
        if (main_dir[0])
                rmdir(main_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        const char *tmp = getenv("TMPDIR");

        (void) argc;
        (void) argv;
        snprintf(main_dir, sizeof main_dir, "%s/fuzz-cairn-main.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(main_dir))
                die("mkdtemp");
        snprintf(main_path, sizeof main_path, "%s/cairn.conf", main_dir);

        snprintf(dropin_dir, sizeof dropin_dir, "%s/fuzz-cairn.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dropin_dir))
                die("mkdtemp");
        snprintf(dropin_path[0], sizeof dropin_path[0], "%s/10-a.conf", dropin_dir);
        snprintf(dropin_path[1], sizeof dropin_path[1], "%s/20-b.conf", dropin_dir);
        atexit(rmtree_dropins);

        log_set_level(CAIRN_LOG_DEBUG);
        log_set_sink(count_sink, NULL);
        return 0;
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd < 0)
                die(path);
        if (write_all(fd, p, n) < 0)
                die("write");
        close(fd);
}

/* The next "\n%%\n"-separated part of [*p, end): its length; *p moves on. */
static size_t next_part(const uint8_t **p, const uint8_t *end, const uint8_t **part)
{
        static const char sep[] = "\n%%\n";
        const uint8_t *s = *p;
        size_t left = (size_t) (end - s);

        *part = s;
        for (size_t i = 0; i + 4 <= left; i++)
                if (memcmp(s + i, sep, 4) == 0) {
                        *p = s + i + 4;
                        return i + 1; /* keep the newline that ends the line */
                }
        *p = end;
        return left;
}

/* ---- oracles ------------------------------------------------------------- */

static void check_accepted(const struct cfg *cfg, bool bound)
{
        if (!path_is_normalized_absolute(cfg->plugin_dir) ||
            !path_is_normalized_absolute(cfg->state_dir) ||
            !path_is_normalized_absolute(cfg->root_parent) || cfg->root_mode > 07777) {
                fprintf(stderr, "accepted [cairn] settings that are not valid\n");
                abort();
        }
        for (size_t i = 0; i < cfg->n_entries; i++) {
                const struct cfg_entry *e = &cfg->entries[i];

                if (!name_is_valid(e->name)) {
                        fprintf(stderr, "accepted entry name \"%s\"\n", e->name);
                        abort();
                }
                if (!e->enabled)
                        continue;
                if (!name_is_valid(e->plugin_name)) {
                        fprintf(stderr, "accepted plugin name \"%s\"\n", e->plugin_name);
                        abort();
                }
                if (e->control != CFG_REQUIRED && e->control != CFG_OPTIONAL)
                        abort();
                if (!bound)
                        continue;
                if (!e->plugin) {
                        fprintf(stderr, "enabled entry [%s] left unbound\n", e->name);
                        abort();
                }
                for (size_t k = 0; k < e->n_options; k++) {
                        const struct cfg_option *o = &e->options[k];
                        const struct cairn_option *d = e->plugin->options;
                        struct cfg_place p = { "recheck", 0, e->name, o->key };

                        while (d && d->name && !streq(d->name, o->key))
                                d++;
                        if (!d || !d->name) {
                                fprintf(stderr, "accepted undeclared key [%s] %s\n", e->name, o->key);
                                abort();
                        }
                        if (cfg_check_value(d->type, d->choices, o->value, &p) < 0) {
                                fprintf(stderr, "accepted bad value [%s] %s = \"%s\"\n", e->name,
                                        o->key, o->value);
                                abort();
                        }
                }
                for (const struct cairn_option *d = e->plugin->options; d && d->name; d++) {
                        const char *v = cfg_entry_value(e, d->name);

                        if ((d->flags & CAIRN_OPT_REQUIRED) && !v) {
                                fprintf(stderr, "required [%s] %s accepted unset\n", e->name, d->name);
                                abort();
                        }
                        /* What plugins do with values: parse them. */
                        if (v && d->type == CAIRN_OPT_LIST) {
                                char **w = NULL;
                                if (cfg_split_words(v, &w) == 0)
                                        strv_freep(&w);
                        } else if (v && d->type == CAIRN_OPT_MODE) {
                                mode_t m;
                                if (cfg_parse_mode(v, &m) && m > 07777)
                                        abort();
                        } else if (v && d->type == CAIRN_OPT_BOOL) {
                                bool b;
                                (void) cfg_parse_bool(v, &b);
                        }
                }
        }
}

static void must_have_logged(int r, const char *what)
{
        if (r < 0 && n_errors == 0) {
                fprintf(stderr, "%s failed (%s) without logging an error\n", what, strerror(-r));
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *p = data, *end = data + size, *part;
        struct cfg_vars vars = {};
        struct cfg *cfg = NULL;
        struct loader *l = NULL;
        size_t n;
        int r;

        /* Bigger inputs only test the size limit; keep iterations fast. */
        if (size > 64 * 1024)
                return -1;

        /* Leading "%set NAME=VALUE" lines. */
        while ((size_t) (end - p) >= 5 && memcmp(p, "%set ", 5) == 0) {
                const uint8_t *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = (size_t) ((nl ? nl : end) - p) - 5;
                char *a = strndup((const char *) p + 5, len);

                if (!a)
                        abort();
                n_errors = 0;
                r = vars_set(&vars, a);
                must_have_logged(r, "vars_set");
                free(a);
                p = nl ? nl + 1 : end;
        }
        if (vars.n == 0) {
                (void) vars_set(&vars, "runtime=/usr/bin/true");
                (void) vars_set(&vars, "platform=kvm");
        }

        n = next_part(&p, end, &part);
        write_file(main_path, part, n);
        for (size_t i = 0; i < ELEMENTSOF(dropin_path); i++) {
                if (p < end) {
                        n = next_part(&p, end, &part);
                        write_file(dropin_path[i], part, n);
                } else if (unlink(dropin_path[i]) < 0 && errno != ENOENT) {
                        die("unlink");
                }
        }

        n_errors = 0;
        r = cfg_load(main_path, dropin_dir, &vars, &cfg);
        must_have_logged(r, "cfg_load");
        if (r == 0) {
                check_accepted(cfg, false);
                if (loader_new(NULL, &l) < 0)
                        abort();
                for (size_t i = 0; i < ELEMENTSOF(fakes); i++)
                        if (loader_add_static(l, &fakes[i]) < 0)
                                abort();
                n_errors = 0;
                r = cfg_bind_plugins(cfg, l);
                must_have_logged(r, "cfg_bind_plugins");
                if (r == 0)
                        check_accepted(cfg, true);
                loader_free(l);
                cfg_free(cfg);
                cfg = NULL;
        }

        /* What teardown, list and gc read. */
        n_errors = 0;
        r = cfg_load_settings(main_path, dropin_dir, &cfg);
        must_have_logged(r, "cfg_load_settings");
        if (r == 0)
                check_accepted(cfg, false);
        cfg_free(cfg);
        vars_clear(&vars);
        return 0;
}
