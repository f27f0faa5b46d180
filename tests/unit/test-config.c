/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration layer: the INI scanner, variables, cfg_load() and
 * cfg_bind_plugins(), against fake in-process plugins.
 *
 * Bad configs are a table: each case is its own cmocka test and asserts
 * the return value and the exact message, with FILE:LINE ("@M" stands for
 * the main file's path, "@D" for the drop-in's).  SHOW_LOGS=1 in the
 * environment prints each bad case's messages, to review their wording.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

#include "cfg_bind.h"
#include "cfg_value.h"
#include "config.h"
#include "ini_file.h"
#include "loader.h"
#include "log.h"
#include "util.h"

/* ---- fake plugins ---------------------------------------------------------- */

static int fake_setup(struct cairn_ctx *ctx)
{
        return 0;
}

static const struct cairn_option proc_options[] = {
        { .name = "target", .type = CAIRN_OPT_PATH, .default_value = "/proc" },
        {},
};
static const struct cairn_plugin fake_proc = {
        .abi = CAIRN_ABI_VERSION, .name = "proc", .options = proc_options, .setup = fake_setup,
};

static const struct cairn_option binbind_options[] = {
        { .name = "source", .type = CAIRN_OPT_PATH, .flags = CAIRN_OPT_REQUIRED },
        { .name = "target", .type = CAIRN_OPT_PATH },
        { .name = "readonly", .type = CAIRN_OPT_BOOL, .default_value = "yes" },
        {},
};
static const struct cairn_plugin fake_binbind = {
        .abi = CAIRN_ABI_VERSION, .name = "binbind", .options = binbind_options, .setup = fake_setup,
};

static const struct cairn_option kvm_options[] = {
        { .name = "device", .type = CAIRN_OPT_PATH, .default_value = "/dev/kvm" },
        {},
};
static const struct cairn_plugin fake_kvm = {
        .abi = CAIRN_ABI_VERSION, .name = "kvm", .options = kvm_options, .setup = fake_setup,
};

static const char *const missing_choices[] = { "error", "skip", NULL };
static const struct cairn_option devices_options[] = {
        { .name = "devices", .type = CAIRN_OPT_LIST },
        { .name = "missing", .type = CAIRN_OPT_CHOICE, .default_value = "error", .choices = missing_choices },
        {},
};
static const struct cairn_plugin fake_devices = {
        .abi = CAIRN_ABI_VERSION, .name = "devices", .options = devices_options, .setup = fake_setup,
};

static const struct cairn_option misc_options[] = {
        { .name = "mode", .type = CAIRN_OPT_MODE },
        { .name = "label", .type = CAIRN_OPT_STRING },
        {},
};
static const struct cairn_plugin fake_misc = {
        .abi = CAIRN_ABI_VERSION, .name = "misc", .options = misc_options, .setup = fake_setup,
};

static const struct cairn_plugin fake_bare = {
        .abi = CAIRN_ABI_VERSION, .name = "bare", .setup = fake_setup,
};

/* ---- fixture ----------------------------------------------------------------- */

struct t {
        const struct bad *bad; /* test_bad's case */
        char *dir, *confdir, *main, *dropin;
        struct cfg_vars vars;
        struct loader *loader;
        struct cfg *cfg;
};

struct bad;

static int setup(void **state)
{
        struct t *t = calloc(1, sizeof(*t));
        const struct cairn_plugin *fakes[] = { &fake_proc, &fake_binbind, &fake_kvm,
                                               &fake_devices, &fake_misc, &fake_bare };

        assert_non_null(t);
        t->bad = *state; /* the case, for test_bad (NULL otherwise) */
        t->dir = scratch_dir();
        t->confdir = xasprintf("%s/conf.d", t->dir);
        assert_int_equal(mkdir(t->confdir, 0755), 0);
        assert_int_equal(loader_new(NULL, &t->loader), 0);
        for (size_t i = 0; i < ELEMENTSOF(fakes); i++)
                assert_int_equal(loader_add_static(t->loader, fakes[i]), 0);
        logs_capture();
        *state = t;
        return 0;
}

static int teardown(void **state)
{
        struct t *t = *state;
        _cleanup_free_ char *subdir = xasprintf("%s/dir.conf", t->confdir);

        /* test_dropin_order's directory, deeper than scratch_remove() goes,
         * in case that test failed before removing it. */
        (void) rmdir(subdir);
        logs_release();
        cfg_free(t->cfg);
        loader_free(t->loader);
        vars_clear(&t->vars);
        scratch_remove(t->dir);
        free(t->dir);
        free(t->confdir);
        free(t->main);
        free(t->dropin);
        free(t);
        return 0;
}

/* "a=1 b=2" -> two --set assignments. */
static void set_vars(struct t *t, const char *sets)
{
        _cleanup_strv_free_ char **words = NULL;

        if (!sets)
                return;
        assert_int_equal(cfg_split_words(sets, &words), 0);
        for (size_t i = 0; words[i]; i++)
                assert_int_equal(vars_set(&t->vars, words[i]), 0);
}

static void write_main(struct t *t, const char *text)
{
        free(t->main);
        t->main = scratch_file(t->dir, "cairn.conf", text);
}

static void write_dropin(struct t *t, const char *name, const char *text)
{
        free(t->dropin);
        t->dropin = scratch_file(t->confdir, name, text);
}

static int load(struct t *t)
{
        int r = cfg_load(t->main, t->confdir, &t->vars, &t->cfg);

        if (r < 0) {
                assert_null(t->cfg);
                return r;
        }
        return cfg_bind_plugins(t->cfg, t->loader);
}

static struct cfg_entry *entry(struct t *t, size_t i, const char *name)
{
        assert_true(i < t->cfg->n_entries);
        assert_string_equal(t->cfg->entries[i].name, name);
        return &t->cfg->entries[i];
}

static const struct cfg_option *option(const struct cfg_entry *e, const char *key)
{
        for (size_t i = 0; i < e->n_options; i++)
                if (streq(e->options[i].key, key))
                        return &e->options[i];
        fail_msg("entry [%s] has no option %s", e->name, key);
        return NULL;
}

/* ---- valid configurations ------------------------------------------------ */

/* The design's example config (README.md, Configuration), verbatim. */
static const char design_example[] =
        "[cairn]\n"
        "plugin_dir  = /usr/lib/cairn     ; default: the configured $(pkglibdir)\n"
        "state_dir   = /run/cairn         ; journals and locks\n"
        "root_parent = /tmp               ; roots are made as ROOT_PARENT/cairn-XXXXXX\n"
        "root_mode   = 0755               ; mode set on the root once setup is done\n"
        "stack       = proc runsc kvm     ; entry names, in order\n"
        "\n"
        "[proc]\n"
        "plugin  = proc                   ; default: the section's own name\n"
        "\n"
        "[runsc]\n"
        "plugin   = binbind\n"
        "source   = ${runtime}            ; ${NAME} is a variable given with --set\n"
        "target   = /runsc                ; default: /BASENAME(source)\n"
        "readonly = yes                   ; default yes\n"
        "\n"
        "[kvm]\n"
        "plugin  = kvm\n"
        "when    = platform=kvm           ; entry runs only if every condition holds\n"
        "control = optional               ; required (default) | optional\n";

static void test_design_example_kvm(void **state)
{
        struct t *t = *state;
        struct cfg_entry *e;

        write_main(t, design_example);
        set_vars(t, "runtime=/bin/true platform=kvm");
        assert_int_equal(load(t), 0);

        assert_string_equal(t->cfg->plugin_dir, "/usr/lib/cairn");
        assert_string_equal(t->cfg->state_dir, "/run/cairn");
        assert_string_equal(t->cfg->root_parent, "/tmp");
        assert_int_equal(t->cfg->root_mode, 0755);
        assert_int_equal(t->cfg->n_entries, 3);
        assert_string_equal(t->cfg->files[0], t->main);
        assert_null(t->cfg->files[1]);

        e = entry(t, 0, "proc");
        assert_string_equal(e->plugin_name, "proc");
        assert_int_equal(e->n_options, 0);
        assert_int_equal(e->where.line, 8);
        assert_int_equal(e->plugin_where.line, 9);
        assert_ptr_equal(e->plugin, &fake_proc);
        assert_string_equal(cfg_entry_value(e, "target"), "/proc");

        e = entry(t, 1, "runsc");
        assert_string_equal(e->plugin_name, "binbind");
        assert_int_equal(e->control, CFG_REQUIRED);
        assert_true(e->enabled);
        assert_null(e->when);
        assert_int_equal(e->n_options, 3);
        assert_string_equal(option(e, "source")->value, "/bin/true");
        assert_int_equal(option(e, "source")->where.line, 13);
        assert_string_equal(option(e, "source")->where.file, t->main);
        assert_string_equal(cfg_entry_value(e, "target"), "/runsc");
        assert_string_equal(cfg_entry_value(e, "readonly"), "yes");
        assert_null(cfg_entry_value(e, "nonexistent"));
        assert_ptr_equal(e->plugin, &fake_binbind);
        assert_string_equal(e->plugin_path, "(built-in binbind)");

        e = entry(t, 2, "kvm");
        assert_true(e->enabled);
        assert_int_equal(e->control, CFG_OPTIONAL);
        assert_string_equal(e->when, "platform=kvm");
        assert_string_equal(cfg_entry_value(e, "device"), "/dev/kvm");
        assert_string_equal(logs(), "");
}

static void test_design_example_ptrace(void **state)
{
        struct t *t = *state;
        struct cfg_entry *e;

        write_main(t, design_example);
        set_vars(t, "runtime=/bin/true platform=ptrace");
        assert_int_equal(load(t), 0);
        assert_int_equal(t->cfg->n_entries, 3);
        assert_true(entry(t, 0, "proc")->enabled);
        assert_true(entry(t, 1, "runsc")->enabled);
        e = entry(t, 2, "kvm");
        assert_false(e->enabled);
        /* Skipped, but still bound and checked. */
        assert_ptr_equal(e->plugin, &fake_kvm);
}

static void test_design_example_no_platform(void **state)
{
        struct t *t = *state;

        /* An unset variable does not match. */
        write_main(t, design_example);
        set_vars(t, "runtime=/usr/bin/runsc");
        assert_int_equal(load(t), 0);
        assert_false(entry(t, 2, "kvm")->enabled);
        assert_string_equal(option(entry(t, 1, "runsc"), "source")->value, "/usr/bin/runsc");
}

static void test_defaults_empty_file(void **state)
{
        struct t *t = *state;

        write_main(t, "");
        assert_int_equal(load(t), 0);
        assert_string_equal(t->cfg->plugin_dir, CAIRN_PLUGIN_DIR);
        assert_string_equal(t->cfg->state_dir, CAIRN_STATE_DIR);
        assert_string_equal(t->cfg->root_parent, "/tmp");
        assert_int_equal(t->cfg->root_mode, 0755);
        assert_int_equal(t->cfg->n_entries, 0);
}

static void test_empty_stack_ignores_sections(void **state)
{
        struct t *t = *state;

        write_main(t, "[cairn]\nstack =\n\n[proc]\n[extra]\nlabel = x\n");
        assert_int_equal(load(t), 0);
        assert_int_equal(t->cfg->n_entries, 0);
        {
                _cleanup_free_ char *a = xasprintf("%s:4: [proc]: not in stack; ignored", t->main);
                _cleanup_free_ char *b = xasprintf("%s:5: [extra]: not in stack; ignored", t->main);
                assert_logged(a);
                assert_logged(b);
        }
}

static void test_stack_separators_and_defaults(void **state)
{
        struct t *t = *state;
        struct cfg_entry *e;

        /* Commas and blanks; plugin defaults to the section name; the same
         * plugin for two entries. */
        write_main(t, "[cairn]\n"
                      "stack = proc,\tone , two,,kvm\n"
                      "[kvm]\n"
                      "[two]\nplugin = binbind\nsource = /b\n"
                      "[one]\nplugin = binbind\nsource = /a\n"
                      "[proc]\n");
        assert_int_equal(load(t), 0);
        assert_int_equal(t->cfg->n_entries, 4);
        entry(t, 0, "proc");
        assert_string_equal(entry(t, 1, "one")->plugin_name, "binbind");
        assert_string_equal(option(entry(t, 1, "one"), "source")->value, "/a");
        assert_string_equal(option(entry(t, 2, "two"), "source")->value, "/b");
        e = entry(t, 3, "kvm");
        assert_string_equal(e->plugin_name, "kvm");
        /* No `plugin` key: the name's place is the section header. */
        assert_int_equal(e->plugin_where.line, 3);
        assert_ptr_equal(entry(t, 1, "one")->plugin, entry(t, 2, "two")->plugin);
}

static void test_dropin_order(void **state)
{
        struct t *t = *state;
        _cleanup_free_ char *subdir = xasprintf("%s/dir.conf", t->confdir);

        write_main(t, "[cairn]\nstack = proc\n[proc]\n");
        write_dropin(t, "20-b.conf", "[zeta]\nplugin = bare\n[alpha]\nplugin = bare\n");
        write_dropin(t, "10-a.conf", "[middle]\nplugin = bare\n");
        write_dropin(t, "10-A.conf", "[upper]\nplugin = bare\n"); /* 'A' < 'a' in C */
        write_dropin(t, "30-c.conf.bak", "[ignored1]\n");
        write_dropin(t, ".40-hidden.conf", "[ignored2]\n");
        write_dropin(t, "50-notes.txt", "garbage");
        assert_int_equal(mkdir(subdir, 0755), 0);
        assert_int_equal(load(t), 0);
        assert_int_equal(rmdir(subdir), 0);

        assert_int_equal(t->cfg->n_entries, 5);
        entry(t, 0, "proc");
        entry(t, 1, "upper");
        entry(t, 2, "middle");
        entry(t, 3, "zeta");
        entry(t, 4, "alpha");
        assert_int_equal(entry(t, 4, "alpha")->where.line, 3);
        assert_int_equal(strv_length(t->cfg->files), 4);
        {
                _cleanup_free_ char *b = xasprintf("%s/20-b.conf", t->confdir);
                assert_string_equal(t->cfg->files[3], b);
                assert_string_equal(entry(t, 4, "alpha")->where.file, b);
        }
}

static void test_dropin_override_keeps_place(void **state)
{
        struct t *t = *state;
        struct cfg_entry *e;

        write_main(t, design_example);
        write_dropin(t, "50-local.conf",
                     "# move the runtime\n"
                     "[runsc]\n"
                     "target = /opt/runsc\n"
                     "[kvm]\n"
                     "when =\n"
                     "device = /dev/kvm0\n"
                     "[cairn]\n"
                     "root_mode = 0700\n"
                     "state_dir = /run/cairn-test\n");
        set_vars(t, "runtime=/bin/true");
        assert_int_equal(load(t), 0);
        assert_int_equal(t->cfg->n_entries, 3);
        e = entry(t, 1, "runsc");
        assert_string_equal(option(e, "target")->value, "/opt/runsc");
        assert_string_equal(option(e, "target")->where.file, t->dropin);
        assert_int_equal(option(e, "target")->where.line, 3);
        /* Untouched keys keep their value and place. */
        assert_string_equal(option(e, "source")->where.file, t->main);
        assert_int_equal(e->where.line, 11);
        assert_string_equal(e->where.file, t->main);
        /* An empty `when` clears the condition. */
        e = entry(t, 2, "kvm");
        assert_true(e->enabled);
        assert_string_equal(cfg_entry_value(e, "device"), "/dev/kvm0");
        assert_int_equal(t->cfg->root_mode, 0700);
        assert_string_equal(t->cfg->state_dir, "/run/cairn-test");
        assert_string_equal(t->cfg->plugin_dir, "/usr/lib/cairn");
}

static void test_dropin_revives_ignored_section(void **state)
{
        struct t *t = *state;
        struct cfg_entry *e;

        /* [misc] in the main file is not in the stack: ignored.  The drop-in's
         * [misc] is a new entry with only the drop-in's keys. */
        write_main(t, "[cairn]\nstack = proc\n[proc]\n[misc]\nlabel = main\nmode = 0600\n");
        write_dropin(t, "x.conf", "[misc]\nlabel = dropin\n");
        assert_int_equal(load(t), 0);
        assert_int_equal(t->cfg->n_entries, 2);
        e = entry(t, 1, "misc");
        assert_int_equal(e->n_options, 1);
        assert_string_equal(cfg_entry_value(e, "label"), "dropin");
        assert_null(cfg_entry_value(e, "mode"));
}

static void test_expansion(void **state)
{
        struct t *t = *state;
        struct cfg_entry *e;

        write_main(t, "[cairn]\n"
                      "stack = misc ${second}\n"
                      "[misc]\n"
                      "label = $HOME costs $5 and ${a}${b}-${a}$\n"
                      "[pb]\n"
                      "plugin = ${plug}\n"
                      "control = ${ctl}\n"
                      "source = ${base}/bin/${a}\n");
        set_vars(t, "base=/srv a=x b=y second=pb plug=binbind ctl=optional a=z");
        assert_int_equal(load(t), 0);
        e = entry(t, 0, "misc");
        /* The later --set a=z replaced a=x. */
        assert_string_equal(option(e, "label")->value, "$HOME costs $5 and zy-z$");
        e = entry(t, 1, "pb");
        assert_string_equal(e->plugin_name, "binbind");
        assert_int_equal(e->control, CFG_OPTIONAL);
        assert_string_equal(option(e, "source")->value, "/srv/bin/z");
}

static void test_quoted_values(void **state)
{
        struct t *t = *state;
        struct cfg_entry *e;

        write_main(t, "[cairn]\nstack = misc other empty\n"
                      "[misc]\n"
                      "label = \"a;b # c\"   ; a comment\n"
                      "mode = 0644 #comment\n"
                      "[other]\n"
                      "plugin = misc\n"
                      "label = ' keep  blanks '\n"
                      "[empty]\n"
                      "plugin = misc\n"
                      "label = \"\" ; nothing\n");
        assert_int_equal(load(t), 0);
        e = entry(t, 0, "misc");
        assert_string_equal(option(e, "label")->value, "a;b # c");
        assert_string_equal(option(e, "mode")->value, "0644");
        assert_string_equal(option(entry(t, 1, "other"), "label")->value, " keep  blanks ");
        assert_string_equal(option(entry(t, 2, "empty"), "label")->value, "");
}

static void test_when_conditions(void **state)
{
        static const struct {
                const char *sets;
                bool enabled;
        } cases[] = {
                { "platform=kvm arch=x86_64 gpu=", true },
                { "platform=kvm arch=arm64 gpu=", false },
                { "platform=kvm gpu=", false },       /* arch unset */
                { "platform=kvm arch=x86_64", false }, /* gpu unset: not "" */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct t *t = *state;

                cfg_free(t->cfg);
                t->cfg = NULL;
                vars_clear(&t->vars);
                write_main(t, "[cairn]\nstack = kvm\n[kvm]\n"
                              "when =  platform = kvm ,arch=x86_64,  gpu=  \n");
                set_vars(t, cases[i].sets);
                assert_int_equal(load(t), 0);
                if (entry(t, 0, "kvm")->enabled != cases[i].enabled)
                        fail_msg("case %zu (%s): expected enabled=%d", i, cases[i].sets,
                                 cases[i].enabled);
        }
}

static void test_control_and_skipped_entries(void **state)
{
        struct t *t = *state;
        struct cfg_entry *e;

        /* A skipped entry demands none of its variables, and a value that
         * still holds "${" is not type-checked. */
        write_main(t, "[cairn]\nstack = proc kvm opt\n"
                      "[proc]\ncontrol = required\n"
                      "[kvm]\nwhen = platform=kvm\ndevice = ${kvmdev}\nplugin = ${kvmplugin}\n"
                      "[opt]\nplugin = misc\ncontrol = optional\nwhen = platform=kvm\nmode = ${m}\n");
        set_vars(t, "platform=ptrace");
        assert_int_equal(load(t), 0);
        assert_int_equal(entry(t, 0, "proc")->control, CFG_REQUIRED);
        e = entry(t, 1, "kvm");
        assert_false(e->enabled);
        assert_string_equal(option(e, "device")->value, "${kvmdev}");
        assert_string_equal(e->plugin_name, "${kvmplugin}");
        assert_null(e->plugin); /* its plugin is not known: not bound */
        e = entry(t, 2, "opt");
        assert_false(e->enabled);
        assert_int_equal(e->control, CFG_OPTIONAL);
        assert_ptr_equal(e->plugin, &fake_misc);
        assert_string_equal(option(e, "mode")->value, "${m}");
}

static void test_values_case_and_types(void **state)
{
        struct t *t = *state;

        write_main(t, "[cairn]\nstack = a b dev\nroot_mode = 1777\n"
                      "[a]\nplugin = binbind\nsource = /Opt/MixedCase\nreadonly = On\n"
                      "[b]\nplugin = binbind\nsource = /\nreadonly = FALSE\n"
                      "[dev]\nplugin = devices\ndevices = /dev/null, /dev/zero /dev/tty*\nmissing = skip\n");
        assert_int_equal(load(t), 0);
        assert_int_equal(t->cfg->root_mode, 01777);
        assert_string_equal(option(entry(t, 0, "a"), "source")->value, "/Opt/MixedCase");
        assert_string_equal(cfg_entry_value(entry(t, 2, "dev"), "missing"), "skip");
}

static void test_crlf_and_blanks(void **state)
{
        struct t *t = *state;

        write_main(t, "\t; comment with leading tab\r\n"
                      "  [cairn]  \r\n"
                      "stack=proc\r\n"
                      "[ proc ]\r\n"
                      "  target   =   /proc2   \r\n");
        assert_int_equal(load(t), 0);
        assert_string_equal(option(entry(t, 0, "proc"), "target")->value, "/proc2");
        assert_int_equal(option(entry(t, 0, "proc"), "target")->where.line, 5);
}

static void test_no_confdir(void **state)
{
        struct t *t = *state;
        _cleanup_free_ char *missing = xasprintf("%s/nonexistent", t->dir);

        write_main(t, "[cairn]\nstack = proc\n[proc]\n");
        assert_int_equal(cfg_load(t->main, missing, &t->vars, &t->cfg), 0);
        assert_int_equal(t->cfg->n_entries, 1);
        cfg_free(t->cfg);
        t->cfg = NULL;
        assert_int_equal(cfg_load(t->main, NULL, NULL, &t->cfg), 0);
        /* Not bound: only the configured value, no default. */
        assert_null(cfg_entry_value(entry(t, 0, "proc"), "target"));
}

static void test_load_settings(void **state)
{
        struct t *t = *state;
        _cleanup_free_ char *expect = NULL;

        /* Only [cairn] without `stack`: a broken stack or entry does not keep
         * teardown from finding its state directory. */
        write_main(t, "[cairn]\nstate_dir = /run/x\nstack = nope a/b\n[broken]\nplugin = ../x\n");
        write_dropin(t, "10-a.conf", "[cairn]\nstack = y\nroot_mode = 0700\n[other]\nsource = rel\n");
        assert_int_equal(cfg_load_settings(t->main, t->confdir, &t->cfg), 0);
        assert_string_equal(t->cfg->state_dir, "/run/x");
        assert_int_equal(t->cfg->root_mode, 0700);
        assert_int_equal(t->cfg->n_entries, 0);
        assert_int_equal(strv_length(t->cfg->files), 2);
        cfg_free(t->cfg);
        t->cfg = NULL;

        /* But the settings themselves, and the files' syntax, are checked. */
        write_dropin(t, "10-a.conf", "[cairn]\nroot_mode = 9\n");
        assert_int_equal(cfg_load_settings(t->main, t->confdir, &t->cfg), -EINVAL);
        expect = xasprintf("%s:2: [cairn] root_mode: \"9\" is not an octal mode from 0 to 07777", t->dropin);
        assert_logged(expect);
        free(expect);
        write_dropin(t, "10-a.conf", "[other]\nkey = \"unterminated\n");
        assert_int_equal(cfg_load_settings(t->main, t->confdir, &t->cfg), -EINVAL);
        expect = xasprintf("%s:2: [other] key: unterminated quoted value", t->dropin);
        assert_logged(expect);
        free(expect);
        write_main(t, "[cairn]\nstate_dir = ${x}\n");
        assert_int_equal(cfg_load_settings(t->main, NULL, &t->cfg), -EINVAL);
        expect = xasprintf("%s:2: [cairn] state_dir: variables cannot be used here", t->main);
        assert_logged(expect);
        assert_null(t->cfg);
}

static void test_longest_line(void **state)
{
        struct t *t = *state;
        char line[INI_LINE_MAX + 8];
        _cleanup_free_ char *text = NULL, *expect = NULL;

        /* 1022 bytes and the newline: the longest line iniparser reads. */
        memset(line, 'x', sizeof line);
        memcpy(line, "label = /", 9);
        line[1022] = '\0';
        text = xasprintf("[cairn]\nstack = misc\n[misc]\n%s\n", line);
        write_main(t, text);
        assert_int_equal(load(t), 0);
        assert_int_equal(strlen(option(entry(t, 0, "misc"), "label")->value), 1022 - 8);

        /* One byte more is refused, with or without the newline. */
        cfg_free(t->cfg);
        t->cfg = NULL;
        line[1022] = 'x';
        line[1023] = '\0';
        free(text);
        text = xasprintf("[cairn]\nstack = misc\n[misc]\n%s", line);
        write_main(t, text);
        assert_int_equal(load(t), -EINVAL);
        expect = xasprintf("%s:4: line is too long (1024 bytes with the newline; at most 1023)", t->main);
        assert_logged(expect);
}

static void test_scanner_locations(void **state)
{
        static const char text[] = "; head\n[a]\nk1 = v1\n\n[b]\n# c\nk2 = 'v 2'\nk3 =\n";
        struct ini_scan *s = NULL;
        const struct ini_section *b;

        assert_int_equal(ini_scan_buffer(text, sizeof text - 1, "mem", &s), 0);
        assert_int_equal(s->n_sections, 2);
        assert_int_equal(ini_scan_section(s, "a")->line, 2);
        assert_int_equal(ini_scan_key(s, ini_scan_section(s, "a"), "k1")->line, 3);
        b = ini_scan_section(s, "b");
        assert_int_equal(b->line, 5);
        assert_int_equal(b->n_keys, 2);
        assert_string_equal(ini_scan_key(s, b, "k2")->value, "v 2");
        assert_int_equal(ini_scan_key(s, b, "k3")->line, 8);
        assert_string_equal(ini_scan_key(s, b, "k3")->value, "");
        assert_null(ini_scan_key(s, b, "k1"));
        assert_null(ini_scan_section(s, "c"));
        ini_scan_free(s);

        /* No newline at the end; an empty buffer. */
        assert_int_equal(ini_scan_buffer("[a]\nk=v", 7, "mem", &s), 0);
        assert_string_equal(ini_scan_key(s, ini_scan_section(s, "a"), "k")->value, "v");
        ini_scan_free(s);
        assert_int_equal(ini_scan_buffer("", 0, "mem", &s), 0);
        assert_int_equal(s->n_sections, 0);
        ini_scan_free(s);
}

static void test_vars(void **state)
{
        struct t *t = *state;

        assert_int_equal(vars_set(&t->vars, "a=1"), 0);
        assert_int_equal(vars_set(&t->vars, "_B9=x=y"), 0);
        assert_int_equal(vars_set(&t->vars, "empty="), 0);
        assert_int_equal(vars_set(&t->vars, "a=2"), 0);
        assert_int_equal(t->vars.n, 3);
        assert_string_equal(vars_get(&t->vars, "a"), "2");
        assert_string_equal(vars_get(&t->vars, "_B9"), "x=y");
        assert_string_equal(vars_get(&t->vars, "empty"), "");
        assert_null(vars_get(&t->vars, "A"));

        assert_int_equal(vars_set(&t->vars, "1x=y"), -EINVAL);
        assert_logged("--set \"1x=y\": invalid variable name \"1x\"");
        assert_int_equal(vars_set(&t->vars, "noequals"), -EINVAL);
        assert_logged("--set \"noequals\": expected NAME=VALUE");
        assert_int_equal(vars_set(&t->vars, "=v"), -EINVAL);
        assert_logged("--set \"=v\": invalid variable name \"\"");
        assert_int_equal(vars_set(&t->vars, "a-b=v"), -EINVAL);
        assert_logged("--set \"a-b=v\": invalid variable name \"a-b\"");
        assert_int_equal(t->vars.n, 3);
}

static void test_value_syntax(void **state)
{
        mode_t m = 1;
        bool b = false;

        assert_true(cfg_parse_mode("0", &m) && m == 0);
        assert_true(cfg_parse_mode("07777", &m) && m == 07777);
        assert_true(cfg_parse_mode("0000755", &m) && m == 0755);
        assert_false(cfg_parse_mode("", &m));
        assert_false(cfg_parse_mode("010000", &m));
        assert_false(cfg_parse_mode("0758", &m));
        assert_false(cfg_parse_mode("0x1ff", &m));
        assert_false(cfg_parse_mode("-1", &m));
        assert_false(cfg_parse_mode("77777777777777777777777", &m));
        assert_true(cfg_parse_bool("TRUE", &b) && b);
        assert_true(cfg_parse_bool("off", &b) && !b);
        assert_false(cfg_parse_bool("y", &b));
        assert_false(cfg_parse_bool("", &b));
}

/* CAIRN_OPT_INT and CAIRN_OPT_SIZE (ABI 1.3): the syntax, and a range. */
static void test_int_syntax(void **state)
{
        int64_t v = 1;

        (void) state;
        assert_true(cfg_parse_int("0", false, &v) && v == 0);
        assert_true(cfg_parse_int("-12", false, &v) && v == -12);
        assert_true(cfg_parse_int("9223372036854775807", false, &v) && v == INT64_MAX);
        assert_true(cfg_parse_int("-9223372036854775808", false, &v) && v == INT64_MIN);
        assert_false(cfg_parse_int("9223372036854775808", false, &v));
        assert_false(cfg_parse_int("-9223372036854775809", false, &v));
        assert_false(cfg_parse_int("", false, &v));
        assert_false(cfg_parse_int(NULL, false, &v));
        assert_false(cfg_parse_int("abc", false, &v));
        assert_false(cfg_parse_int("+1", false, &v));
        assert_false(cfg_parse_int(" 1", false, &v));
        assert_false(cfg_parse_int("1 ", false, &v));
        assert_false(cfg_parse_int("0x10", false, &v));
        assert_false(cfg_parse_int("-", false, &v));
        assert_false(cfg_parse_int("64m", false, &v)); /* a suffix only for a size */
        /* Sizes. */
        assert_true(cfg_parse_int("4096", true, &v) && v == 4096);
        assert_true(cfg_parse_int("64k", true, &v) && v == 64 << 10);
        assert_true(cfg_parse_int("64M", true, &v) && v == 64 << 20);
        assert_true(cfg_parse_int("3g", true, &v) && v == INT64_C(3) << 30);
        assert_true(cfg_parse_int("2T", true, &v) && v == INT64_C(2) << 40);
        assert_true(cfg_parse_int("0m", true, &v) && v == 0);
        assert_true(cfg_parse_int("8388607t", true, &v) && v == INT64_C(8388607) << 40);
        assert_false(cfg_parse_int("8388608t", true, &v)); /* 2^63: too big */
        assert_false(cfg_parse_int("-1", true, &v));
        assert_false(cfg_parse_int("m", true, &v));
        assert_false(cfg_parse_int("1mb", true, &v));
        assert_false(cfg_parse_int("1p", true, &v));
        assert_false(cfg_parse_int("1.5g", true, &v));
        assert_false(cfg_parse_int("12q", true, &v));
}

static void test_int_range(void **state)
{
        static const struct cairn_int_range r = { 1, 255 };
        const struct cairn_option major = { .name = "major", .type = CAIRN_OPT_INT, .range = &r };
        const struct cairn_option size = { .name = "size", .type = CAIRN_OPT_SIZE, .range = &r };
        const struct cairn_option any = { .name = "n", .type = CAIRN_OPT_INT };
        const struct cfg_place p = { "f.conf", 7, "dev", "major" };

        (void) state;
        assert_int_equal(cfg_check_option(&major, true, "1", &p), 0);
        assert_int_equal(cfg_check_option(&major, true, "255", &p), 0);
        logs_capture();
        assert_int_equal(cfg_check_option(&major, true, "256", &p), -EINVAL);
        assert_logged("f.conf:7: [dev] major: 256 is out of range (1 to 255)");
        logs_release();
        logs_capture();
        assert_int_equal(cfg_check_option(&major, true, "abc", &p), -EINVAL);
        assert_logged("f.conf:7: [dev] major: \"abc\" is not a decimal integer");
        logs_release();
        logs_capture();
        assert_int_equal(cfg_check_option(&size, true, "1k", &p), -EINVAL);
        assert_logged("1k is out of range (1 to 255 bytes)");
        logs_release();
        /* A plugin older than 1.3: its reserved field is not a range. */
        assert_int_equal(cfg_check_option(&major, false, "256", &p), 0);
        assert_int_equal(cfg_check_option(&any, true, "-5", &p), 0);
}

/* ---- bad configurations -------------------------------------------------- */

struct bad {
        const char *name;
        const char *main;
        size_t main_len; /* 0: strlen(main); for NUL bytes */
        const char *dropin; /* written as conf.d/50-test.conf */
        const char *sets;
        const char *expect; /* @M: main file's path, @D: drop-in's */
        int rc;             /* 0: -EINVAL */
};

#define NUL_TEXT "[cairn]\nstack = proc\n[proc]\ntarget = /pr\0oc\n"
#define STACK_RUNSC "[cairn]\nstack = runsc\n[runsc]\nplugin = binbind\n"

static const struct bad bad_cases[] = {
        /* plugin keys and values */
        { "unknown_key", "[cairn]\nstack = kvm\n[kvm]\ndevnode = /dev/kvm\n", 0, NULL, NULL,
          "@M:4: [kvm] devnode: unknown key (plugin kvm accepts: device)" },
        { "unknown_key_lists_all", STACK_RUNSC "source = /a\nreadonyl = no\n", 0, NULL, NULL,
          "@M:6: [runsc] readonyl: unknown key (plugin binbind accepts: source, target, readonly)" },
        { "unknown_key_no_options", "[cairn]\nstack = bare\n[bare]\nx = 1\n", 0, NULL, NULL,
          "@M:4: [bare] x: unknown key (plugin bare accepts no keys)" },
        { "unknown_key_skipped_entry", "[cairn]\nstack = kvm\n[kvm]\nwhen = a=b\ndevnode = ${x}\n", 0,
          NULL, NULL, "@M:5: [kvm] devnode: unknown key (plugin kvm accepts: device)" },
        { "required_missing", STACK_RUNSC "target = /x\n", 0, NULL, NULL,
          "@M:3: [runsc] source: required key is missing" },
        { "path_relative", STACK_RUNSC "source = bin/true\n", 0, NULL, NULL,
          "@M:5: [runsc] source: \"bin/true\" is not an absolute path" },
        { "path_dotdot", STACK_RUNSC "source = /usr/../bin\n", 0, NULL, NULL,
          "@M:5: [runsc] source: \"/usr/../bin\" is not a normalized path (no \"//\", \".\" or \"..\" "
          "components, no trailing \"/\")" },
        { "path_double_slash", STACK_RUNSC "source = /usr//bin\n", 0, NULL, NULL,
          "@M:5: [runsc] source: \"/usr//bin\" is not a normalized path" },
        { "path_empty", STACK_RUNSC "source =\n", 0, NULL, NULL, "@M:5: [runsc] source: empty path" },
        { "path_after_expansion", STACK_RUNSC "source = ${rt}\n", 0, NULL, "rt=runsc",
          "@M:5: [runsc] source: \"runsc\" is not an absolute path" },
        { "path_skipped_entry_literal", "[cairn]\nstack = kvm\n[kvm]\nwhen = platform=kvm\ndevice = dev/kvm\n",
          0, NULL, "platform=ptrace", "@M:5: [kvm] device: \"dev/kvm\" is not an absolute path" },
        { "bool_bad", STACK_RUNSC "source = /a\nreadonly = maybe\n", 0, NULL, NULL,
          "@M:6: [runsc] readonly: \"maybe\" is not a boolean (use yes/no, true/false, on/off or 1/0)" },
        { "mode_bad_digit", "[cairn]\nstack = misc\n[misc]\nmode = 0758\n", 0, NULL, NULL,
          "@M:4: [misc] mode: \"0758\" is not an octal mode from 0 to 07777" },
        { "choice_bad", "[cairn]\nstack = devices\n[devices]\nmissing = ignore\n", 0, NULL, NULL,
          "@M:4: [devices] missing: \"ignore\" is not one of: error, skip" },
        { "list_empty", "[cairn]\nstack = devices\n[devices]\ndevices = , ,\n", 0, NULL, NULL,
          "@M:4: [devices] devices: empty list (at least one word is needed)" },

        /* variables */
        { "var_unset", STACK_RUNSC "source = ${runtime}\n", 0, NULL, "platform=kvm",
          "@M:5: [runsc] source: ${runtime} is not set (use --set runtime=...)" },
        { "var_unterminated", STACK_RUNSC "source = /x/${runtime\n", 0, NULL, "runtime=/a",
          "@M:5: [runsc] source: unterminated \"${\" in \"/x/${runtime\"" },
        { "var_bad_name", STACK_RUNSC "source = ${1x}\n", 0, NULL, NULL,
          "@M:5: [runsc] source: invalid variable name \"1x\" in ${1x}" },
        { "var_empty_name", STACK_RUNSC "source = /${}\n", 0, NULL, NULL,
          "@M:5: [runsc] source: invalid variable name \"\" in ${}" },
        { "var_in_cairn", "[cairn]\nstate_dir = ${state}\n", 0, NULL, NULL,
          "@M:2: [cairn] state_dir: variables cannot be used here (teardown, list and gc read [cairn] without --set)" },
        { "var_in_dropin", "[cairn]\nstack = proc\n[proc]\n", 0, "\n[proc]\ntarget = ${where}\n", NULL,
          "@D:3: [proc] target: ${where} is not set (use --set where=...)" },

        /* when, control, plugin */
        { "when_no_equals", "[cairn]\nstack = kvm\n[kvm]\nwhen = platform\n", 0, NULL, NULL,
          "@M:4: [kvm] when: condition \"platform\" is not NAME=VALUE" },
        { "when_empty_item", "[cairn]\nstack = kvm\n[kvm]\nwhen = a=b,,c=d\n", 0, NULL, NULL,
          "@M:4: [kvm] when: empty condition in \"a=b,,c=d\" (expected NAME=VALUE[, NAME=VALUE...])" },
        { "when_trailing_comma", "[cairn]\nstack = kvm\n[kvm]\nwhen = a=b,\n", 0, NULL, "a=b",
          "@M:4: [kvm] when: empty condition in \"a=b,\"" },
        { "when_bad_name", "[cairn]\nstack = kvm\n[kvm]\nwhen = a-b=c\n", 0, NULL, NULL,
          "@M:4: [kvm] when: invalid variable name \"a-b\" in condition" },
        { "control_bad", "[cairn]\nstack = proc\n[proc]\ncontrol = sufficient\n", 0, NULL, NULL,
          "@M:4: [proc] control: \"sufficient\" is not one of: required, optional" },
        { "plugin_path_traversal", "[cairn]\nstack = x\n[x]\nplugin = ../evil\n", 0, NULL, NULL,
          "@M:4: [x] plugin: invalid plugin name \"../evil\" (use a-z, 0-9, \"_\" and \"-\")" },
        { "plugin_slash", "[cairn]\nstack = x\n[x]\nplugin = /usr/lib/x\n", 0, NULL, NULL,
          "@M:4: [x] plugin: invalid plugin name \"/usr/lib/x\"" },
        { "plugin_unknown", "[cairn]\nstack = x\n[x]\nplugin = nope\n", 0, NULL, NULL,
          "@M:4: [x] plugin: cannot load plugin \"nope\"", -ENOENT },
        { "plugin_unknown_default", "[cairn]\nstack = zzz\n\n[zzz]\n", 0, NULL, NULL,
          "@M:4: [zzz] plugin: cannot load plugin \"zzz\"", -ENOENT },

        /* [cairn] */
        { "cairn_unknown_key", "[cairn]\nroots = /tmp\n", 0, NULL, NULL,
          "@M:2: [cairn] roots: unknown key (accepted: plugin_dir, state_dir, root_parent, root_mode, "
          "root_fs, root_size, root_readonly, variables, oci_variables, stack)" },
        { "cairn_variables_empty", "[cairn]\nvariables = \n", 0, NULL, NULL,
          "@M:2: [cairn] variables: no variable named (leave the key out for no declaration)" },
        { "cairn_variables_undeclared_when", "[cairn]\nvariables = platform\nstack = kvm\n[kvm]\nwhen = platfrom=kvm\n",
          0, NULL, NULL, "@M:5: [kvm] when: variable platfrom: not one [cairn] variables declares (a typo?)" },
        { "cairn_oci_variables_bad", "[cairn]\noci_variables = platform 9lives\n", 0, NULL, NULL,
          "@M:2: [cairn] oci_variables: \"9lives\" is not a variable name ([A-Za-z_][A-Za-z0-9_]*)" },
        { "entry_overmount_maybe", "[cairn]\nstack = kvm\n[kvm]\novermount = maybe\n", 0, NULL, NULL,
          "@M:4: [kvm] overmount: \"maybe\" is not a boolean (use yes/no, true/false, on/off or 1/0)" },
        { "cairn_root_mode_89", "[cairn]\nroot_mode = 0789\n", 0, NULL, NULL,
          "@M:2: [cairn] root_mode: \"0789\" is not an octal mode from 0 to 07777" },
        { "cairn_root_mode_big", "[cairn]\nroot_mode = 010000\n", 0, NULL, NULL,
          "@M:2: [cairn] root_mode: \"010000\" is not an octal mode from 0 to 07777" },
        { "cairn_root_mode_empty", "[cairn]\nroot_mode =   ; none\n", 0, NULL, NULL,
          "@M:2: [cairn] root_mode: \"\" is not an octal mode from 0 to 07777" },
        { "cairn_plugin_dir_relative", "[cairn]\nplugin_dir = lib/cairn\n", 0, NULL, NULL,
          "@M:2: [cairn] plugin_dir: \"lib/cairn\" is not an absolute path" },
        { "cairn_root_parent_trailing_slash", "[cairn]\nroot_parent = /tmp/\n", 0, NULL, NULL,
          "@M:2: [cairn] root_parent: \"/tmp/\" is not a normalized path" },
        { "stack_no_section", "[cairn]\nstack = proc nope\n[proc]\n", 0, NULL, NULL,
          "@M:2: [cairn] stack: \"nope\" has no [nope] section in this file" },
        { "stack_section_only_in_dropin", "[cairn]\nstack = extra\n", 0, "[extra]\nplugin = bare\n", NULL,
          "@M:2: [cairn] stack: \"extra\" has no [extra] section in this file" },
        { "stack_twice", "[cairn]\nstack = proc kvm proc\n[proc]\n[kvm]\n", 0, NULL, NULL,
          "@M:2: [cairn] stack: \"proc\" appears twice" },
        { "stack_bad_name", "[cairn]\nstack = proc a/b\n[proc]\n", 0, NULL, NULL,
          "@M:2: [cairn] stack: invalid entry name \"a/b\" (use a-z, 0-9, \"_\" and \"-\")" },
        { "stack_uppercase_name", "[cairn]\nstack = Proc\n[proc]\n", 0, NULL, NULL,
          "@M:2: [cairn] stack: invalid entry name \"Proc\"" },
        { "stack_names_cairn", "[cairn]\nstack = cairn\n", 0, NULL, NULL,
          "@M:2: [cairn] stack: \"cairn\" is the settings section, not an entry" },
        { "dropin_sets_stack", "[cairn]\nstack = proc\n[proc]\n", 0, "[cairn]\nstack = proc kvm\n", NULL,
          "@D:2: [cairn] stack: stack can only be set in the main config file" },
        { "dropin_bad_root_mode", "", 0, "[cairn]\nroot_mode = rwxr-xr-x\n", NULL,
          "@D:2: [cairn] root_mode: \"rwxr-xr-x\" is not an octal mode from 0 to 07777" },
        { "dropin_override_bad_value", STACK_RUNSC "source = /bin/true\n", 0,
          "; local\n[runsc]\nsource = relative\n", NULL,
          "@D:3: [runsc] source: \"relative\" is not an absolute path" },
        { "dropin_new_entry_required", "", 0, "[extra]\nplugin = binbind\n", NULL,
          "@D:1: [extra] source: required key is missing" },

        /* iniparser's traps, seen by the scanner */
        { "section_colon", "[cairn]\n[a:b]\n", 0, NULL, NULL,
          "@M:2: section name \"a:b\" contains \":\", which iniparser uses as a separator" },
        { "section_uppercase", "[cairn]\nstack = proc\n[Proc]\n", 0, NULL, NULL,
          "@M:3: section name \"Proc\" must be lowercase (iniparser would read it as \"proc\")" },
        { "section_bad_char", "[a.b]\n", 0, NULL, NULL,
          "@M:1: invalid section name \"a.b\" (use a-z, 0-9, \"_\" and \"-\")" },
        { "section_empty", "[cairn]\n[ ]\n", 0, NULL, NULL, "@M:2: empty section name" },
        { "section_unclosed", "[cairn\nstack = proc\n", 0, NULL, NULL,
          "@M:1: section header without a closing \"]\"" },
        { "section_comment_after", "[cairn] ; settings\n", 0, NULL, NULL,
          "@M:1: a comment cannot follow a section header on its line (iniparser would not read the header)" },
        { "section_text_after", "[a]b]\n", 0, NULL, NULL,
          "@M:1: text after the \"]\" of a section header: \"b]\"" },
        { "section_twice", "[cairn]\nstack = proc\n[proc]\ntarget = /a\n[proc]\ncontrol = optional\n", 0,
          NULL, NULL, "@M:5: [proc]: section appears twice in this file (first at line 3)" },
        { "key_uppercase", "[cairn]\nStack = proc\n", 0, NULL, NULL,
          "@M:2: [cairn]: key name \"Stack\" must be lowercase (iniparser would read it as \"stack\")" },
        { "key_bad_char", "[proc]\nmy.key = 1\n", 0, NULL, NULL,
          "@M:2: [proc]: invalid key name \"my.key\" (use a-z, 0-9, \"_\" and \"-\")" },
        { "key_empty", "[proc]\n = 1\n", 0, NULL, NULL, "@M:2: [proc]: empty key name" },
        { "key_twice", "[cairn]\nstack = proc\n[proc]\ntarget = /a\n\ntarget = /b\n", 0, NULL, NULL,
          "@M:6: [proc] target: key appears twice in this section (first at line 4)" },
        { "key_twice_in_dropin", "[cairn]\nstack = proc\n[proc]\n", 0, "[proc]\ntarget = /a\ntarget = /b\n",
          NULL, "@D:3: [proc] target: key appears twice in this section (first at line 2)" },
        { "key_before_section", "; leading comment\nstack = proc\n[cairn]\n", 0, NULL, NULL,
          "@M:2: stack: key before any [section] header" },
        { "syntax_error", "[cairn]\nstack = proc\ngarbage here\n", 0, NULL, NULL,
          "@M:3: expected \"[section]\", \"key = value\" or a comment, got \"garbage here\"" },
        { "continuation", "[cairn]\nstack = proc \\\n  kvm\n", 0, NULL, NULL,
          "@M:2: line ends with \"\\\": continuation lines are not supported" },
        { "continuation_in_comment", "[cairn]\n# a comment \\\nstack = proc\n", 0, NULL, NULL,
          "@M:2: line ends with \"\\\": continuation lines are not supported" },
        { "quote_unterminated", "[proc]\ntarget = \"/proc\n", 0, NULL, NULL,
          "@M:2: [proc] target: unterminated quoted value (no closing \")" },
        { "quote_text_after", "[proc]\ntarget = '/a' '/b'\n", 0, NULL, NULL,
          "@M:2: [proc] target: text after the closing quote: \"'/b'\"" },
        { "hash_in_value", "[cairn]\nstack = runsc\n[runsc]\nplugin = binbind\nsource = /opt/c#/bin\n", 0,
          NULL, NULL,
          "@M:5: [runsc] source: \"#\" in an unquoted value would start a comment; quote the value, "
          "or put a blank before the comment" },
        { "semicolon_in_value", "[misc]\nlabel = a;b\n", 0, NULL, NULL,
          "@M:2: [misc] label: \";\" in an unquoted value would start a comment" },
        { "nul_byte", NUL_TEXT, sizeof(NUL_TEXT) - 1, NULL, NULL,
          "@M:4: NUL byte at column 13 (binary file?)" },
        { "control_char", "[cairn]\nstack\001 = proc\n", 0, NULL, NULL,
          "@M:2: control character 0x01 at column 6 (binary file?)" },
        { "cr_inside_line", "[cairn]\nstack = a\rb\n", 0, NULL, NULL,
          "@M:2: control character 0x0d at column 10 (binary file?)" },
        { "byte_order_mark", "\xef\xbb\xbf[cairn]\n", 0, NULL, NULL,
          "@M:1: file starts with a UTF-8 byte order mark; remove it" },
        { "dropin_scanner_error", "", 0, "[proc]\n[PROC]\n", NULL,
          "@D:2: section name \"PROC\" must be lowercase" },
};

static char *replace_paths(const char *s, const struct t *t)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        assert_non_null(f);
        for (; *s; s++) {
                if (s[0] == '@' && s[1] == 'M') {
                        fputs(t->main, f);
                        s++;
                } else if (s[0] == '@' && s[1] == 'D') {
                        fputs(t->dropin ? t->dropin : "(no drop-in)", f);
                        s++;
                } else
                        fputc(*s, f);
        }
        assert_int_equal(fclose(f), 0);
        return out;
}

static void write_raw(const char *path, const char *buf, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, buf, len), 0);
        assert_int_equal(close(fd), 0);
}

static void test_bad(void **state)
{
        struct t *t = *state;
        const struct bad *c = t->bad;
        _cleanup_free_ char *expect = NULL;
        int r;

        write_main(t, "");
        write_raw(t->main, c->main, c->main_len ? c->main_len : strlen(c->main));
        if (c->dropin)
                write_dropin(t, "50-test.conf", c->dropin);
        set_vars(t, c->sets);

        r = load(t);
        expect = replace_paths(c->expect, t);
        if (r != (c->rc ? c->rc : -EINVAL))
                fail_msg("%s: returned %d (%s), expected %d; log:\n%s", c->name, r, strerror(-r),
                         c->rc ? c->rc : -EINVAL, logs());
        assert_logged(expect);
        if (getenv("SHOW_LOGS"))
                fprintf(stderr, "%s", logs());
}

static void test_missing_main_file(void **state)
{
        struct t *t = *state;
        _cleanup_free_ char *path = xasprintf("%s/absent.conf", t->dir);
        _cleanup_free_ char *expect = xasprintf("%s: No such file or directory", path);

        assert_int_equal(cfg_load(path, NULL, NULL, &t->cfg), -ENOENT);
        assert_null(t->cfg);
        assert_logged(expect);
}

static void test_untrusted_files(void **state)
{
        struct t *t = *state;
        _cleanup_free_ char *expect = NULL;

        /* Root-owned, but writable by others: refused, main file or drop-in. */
        write_main(t, "[cairn]\n");
        assert_int_equal(chmod(t->main, 0666), 0);
        assert_int_equal(cfg_load(t->main, NULL, NULL, &t->cfg), -EPERM);
        expect = xasprintf("%s: writable by others", t->main);
        assert_logged(expect);

        assert_int_equal(chmod(t->main, 0644), 0);
        write_dropin(t, "10-x.conf", "[cairn]\n");
        assert_int_equal(chmod(t->dropin, 0620), 0);
        assert_int_equal(cfg_load(t->main, t->confdir, NULL, &t->cfg), -EPERM);
        free(expect);
        expect = xasprintf("%s: writable by group", t->dropin);
        assert_logged(expect);
        assert_null(t->cfg);
}

static void test_confdir_not_a_directory(void **state)
{
        struct t *t = *state;
        _cleanup_free_ char *expect = NULL;

        write_main(t, "[cairn]\n");
        write_dropin(t, "file", "");
        assert_int_equal(cfg_load(t->main, t->dropin, NULL, &t->cfg), -ENOTDIR);
        expect = xasprintf("%s: Not a directory", t->dropin);
        assert_logged(expect);
}

static void test_dangling_dropin_symlink(void **state)
{
        struct t *t = *state;
        _cleanup_free_ char *link = xasprintf("%s/90-gone.conf", t->confdir);
        _cleanup_free_ char *expect = xasprintf("%s: No such file or directory", link);

        write_main(t, "[cairn]\n");
        assert_int_equal(symlink("/nonexistent/cairn.conf", link), 0);
        assert_int_equal(cfg_load(t->main, t->confdir, NULL, &t->cfg), -ENOENT);
        assert_logged(expect);
        assert_int_equal(unlink(link), 0);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest valid_and_other_tests[] = {
        TEST(test_design_example_kvm),
        TEST(test_design_example_ptrace),
        TEST(test_design_example_no_platform),
        TEST(test_defaults_empty_file),
        TEST(test_empty_stack_ignores_sections),
        TEST(test_stack_separators_and_defaults),
        TEST(test_dropin_order),
        TEST(test_dropin_override_keeps_place),
        TEST(test_dropin_revives_ignored_section),
        TEST(test_expansion),
        TEST(test_quoted_values),
        TEST(test_when_conditions),
        TEST(test_control_and_skipped_entries),
        TEST(test_values_case_and_types),
        TEST(test_crlf_and_blanks),
        TEST(test_no_confdir),
        TEST(test_load_settings),
        TEST(test_longest_line),
        TEST(test_scanner_locations),
        TEST(test_vars),
        TEST(test_value_syntax),
        TEST(test_int_syntax),
        TEST(test_int_range),
        TEST(test_missing_main_file),
        TEST(test_untrusted_files),
        TEST(test_confdir_not_a_directory),
        TEST(test_dangling_dropin_symlink),
};

int main(void)
{
        /* The tests above, then one test per bad case. */
        static struct CMUnitTest tests[ELEMENTSOF(valid_and_other_tests) + ELEMENTSOF(bad_cases)];
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(valid_and_other_tests); i++)
                tests[n++] = valid_and_other_tests[i];
        for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++)
                tests[n++] = (struct CMUnitTest) {
                        .name = bad_cases[i].name,
                        .test_func = test_bad,
                        .setup_func = setup,
                        .teardown_func = teardown,
                        .initial_state = (void *) &bad_cases[i],
                };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
