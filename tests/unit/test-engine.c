/* SPDX-License-Identifier: Apache-2.0 */
/* The engine with in-process fake plugins: order, rollback, optional
 * entries, skips, teardown hooks, and what is left on disk afterwards. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "engine.h"
#include "helpers.h"
#include "loader.h"
#include "util.h"

static char calls[1024];

static void called(const char *what, const struct cairn_ctx *ctx)
{
        char buf[128];

        snprintf(buf, sizeof buf, "%s%s:%s", calls[0] ? " " : "", what, cairn_ctx_entry(ctx));
        strncat(calls, buf, sizeof calls - strlen(calls) - 1);
}

static int mk_setup(struct cairn_ctx *ctx)
{
        const char *dir = cairn_ctx_option(ctx, "dir");
        const char *fail = cairn_ctx_option(ctx, "fail");
        struct stat st;
        int fd, r;

        called("setup", ctx);
        /* The root is private while it is being built. */
        assert_int_equal(fstatat(cairn_ctx_root_fd(ctx), "", &st, AT_EMPTY_PATH), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        if (dir) {
                r = cairn_mkdir(ctx, dir, 0711);
                if (r < 0)
                        return r;
                assert_int_equal(cairn_open_in_root(ctx, dir, O_PATH | O_DIRECTORY, &fd), 0);
                close(fd);
        }
        if (fail)
                return (int) strtol(fail, NULL, 10);
        return 0;
}

static int mk_teardown(struct cairn_ctx *ctx)
{
        called("teardown", ctx);
        return 0;
}

static const struct cairn_option mk_options[] = {
        { .name = "dir", .type = CAIRN_OPT_PATH },
        { .name = "fail", .type = CAIRN_OPT_STRING },
        {},
};

static const struct cairn_plugin mk = {
        .abi = CAIRN_ABI_VERSION, .name = "mk", .summary = "makes a directory",
        .options = mk_options, .setup = mk_setup, .teardown = mk_teardown,
};

struct fixture {
        char *dir, *state, *roots;
        struct loader *l;
        struct cfg cfg;
        struct cfg_entry entries[8];
        struct cfg_option options[8][2];
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof *f);

        f->dir = scratch_dir();
        f->state = xasprintf("%s/state", f->dir);
        f->roots = xasprintf("%s/roots", f->dir);
        assert_int_equal(mkdir(f->roots, 0755), 0);
        assert_int_equal(loader_new(NULL, &f->l), 0);
        assert_int_equal(loader_add_static(f->l, &mk), 0);
        /* A plain directory root: a unit test mounts nothing (the tmpfs
         * root is the integration tests' business, in a namespace). */
        f->cfg = (struct cfg) { .state_dir = f->state, .root_parent = f->roots, .root_mode = 0755,
                                .root_fs = CFG_ROOT_DIR, .root_size = (char *) "64m",
                                .entries = f->entries };
        calls[0] = '\0';
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        rmdir(f->state);
        rmdir(f->roots);
        rmdir(f->dir);
        loader_free(f->l);
        free(f->state);
        free(f->roots);
        free(f->dir);
        free(f);
        return 0;
}

/* Add entry NAME that makes directory DIR and returns FAIL. */
static void add(struct fixture *f, const char *name, const char *dir, const char *fail, bool optional)
{
        size_t i = f->cfg.n_entries++;
        struct cfg_entry *e = &f->entries[i];
        size_t n = 0;

        *e = (struct cfg_entry) { .name = (char *) name, .plugin_name = (char *) "mk",
                                  .control = optional ? CFG_OPTIONAL : CFG_REQUIRED,
                                  .enabled = true, .options = f->options[i] };
        if (dir)
                f->options[i][n++] = (struct cfg_option) { .key = (char *) "dir", .value = (char *) dir };
        if (fail)
                f->options[i][n++] = (struct cfg_option) { .key = (char *) "fail", .value = (char *) fail };
        e->n_options = n;
        assert_int_equal(loader_get(f->l, "mk", &e->plugin, &e->plugin_path), 0);
}

static bool exists(const char *root, const char *rel)
{
        char *p = xasprintf("%s%s", root, rel);
        bool r = access(p, F_OK) == 0;

        free(p);
        return r;
}

static bool dir_empty(const char *d)
{
        char *cmd = xasprintf("test -z \"$(ls -A '%s')\"", d);
        bool r = system(cmd) == 0;

        free(cmd);
        return r;
}

static void test_order_and_teardown(void **state)
{
        struct fixture *f = *state;
        struct setup_result res = { .root_fd = -1 };
        struct stat st;

        add(f, "a", "/a", NULL, false);
        add(f, "b", "/x/y/b", NULL, false);
        add(f, "c", "/c", NULL, false);
        assert_int_equal(engine_setup(&f->cfg, f->l, NULL, &res), 0);
        assert_string_equal(calls, "setup:a setup:b setup:c");
        assert_true(exists(res.root, "/a") && exists(res.root, "/x/y/b") && exists(res.root, "/c"));
        assert_int_equal(stat(res.root, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
        assert_int_equal(res.status[1], ENTRY_DONE);
        /* cairn_mkdir's own mode for the last directory, 0755 for parents */
        {
                char *p = xasprintf("%s/x/y/b", res.root), *q = xasprintf("%s/x", res.root);
                assert_int_equal(stat(p, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0711);
                assert_int_equal(stat(q, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0755);
                free(p);
                free(q);
        }

        calls[0] = '\0';
        assert_int_equal(engine_teardown(f->state, res.id, -1, f->l), 0);
        assert_string_equal(calls, "teardown:c teardown:b teardown:a");
        assert_false(exists(res.root, ""));
        assert_true(dir_empty(f->state));
        assert_true(dir_empty(f->roots));
        /* Idempotent. */
        assert_int_equal(engine_teardown(f->state, res.id, -1, f->l), 0);
        assert_int_equal(engine_teardown(f->state, res.root, -1, f->l), 0);
        setup_result_clear(&res);
}

static void test_teardown_by_root(void **state)
{
        struct fixture *f = *state;
        struct setup_result res = { .root_fd = -1 };

        add(f, "a", "/a", NULL, false);
        assert_int_equal(engine_setup(&f->cfg, f->l, NULL, &res), 0);
        assert_int_equal(engine_teardown(f->state, res.root, -1, f->l), 0);
        assert_false(exists(res.root, ""));
        assert_true(dir_empty(f->state));
        setup_result_clear(&res);
}

static void test_required_failure_rolls_back(void **state)
{
        struct fixture *f = *state;
        struct setup_result res = { .root_fd = -1 };

        add(f, "a", "/a", NULL, false);
        add(f, "b", "/b/deep", NULL, false);
        add(f, "c", "/c", "-5", false); /* -EIO after making /c */
        add(f, "d", "/d", NULL, false);
        logs_capture();
        assert_int_equal(engine_setup(&f->cfg, f->l, NULL, &res), -ECANCELED);
        assert_logged("[c] required entry failed (Input/output error); rolling back");
        logs_release();
        /* d never ran; c's, b's and a's hooks ran, last first. */
        assert_string_equal(calls, "setup:a setup:b setup:c teardown:c teardown:b teardown:a");
        assert_true(dir_empty(f->roots));
        assert_true(dir_empty(f->state));
}

/* A root is made in root_parent by name, then opened by name: setup
 * refuses a root_parent whose entries others can rename (the config check
 * says so too; this is the directory setup opens), not a sticky one. */
static void test_root_parent_others_may_rename_in(void **state)
{
        struct fixture *f = *state;
        struct setup_result res = { .root_fd = -1 };

        add(f, "a", "/a", NULL, false);
        assert_int_equal(chmod(f->roots, 0777), 0);
        logs_capture();
        assert_int_equal(engine_setup(&f->cfg, f->l, NULL, &res), -EPERM);
        assert_logged("others may rename what is in it");
        assert_logged("mode 0777");
        logs_release();
        assert_string_equal(calls, "");
        assert_true(dir_empty(f->roots));
        assert_true(dir_empty(f->state));

        assert_int_equal(chmod(f->roots, 01777), 0);
        assert_int_equal(engine_setup(&f->cfg, f->l, NULL, &res), 0);
        assert_int_equal(engine_teardown(f->state, res.root, -1, f->l), 0);
        setup_result_clear(&res);
        assert_true(dir_empty(f->roots));
}

static void test_optional_failure_is_undone_and_skipped(void **state)
{
        struct fixture *f = *state;
        struct setup_result res = { .root_fd = -1 };

        add(f, "a", "/a", NULL, false);
        add(f, "b", "/b/deep", "-13", true);
        add(f, "c", "/c", NULL, false);
        logs_capture();
        assert_int_equal(engine_setup(&f->cfg, f->l, NULL, &res), 0);
        assert_logged("[b] optional entry failed (Permission denied); undoing it and going on");
        logs_release();
        assert_string_equal(calls, "setup:a setup:b teardown:b setup:c");
        assert_true(exists(res.root, "/a"));
        assert_false(exists(res.root, "/b"));
        assert_true(exists(res.root, "/c"));
        assert_int_equal(res.status[0], ENTRY_DONE);
        assert_int_equal(res.status[1], ENTRY_FAILED);
        assert_int_equal(res.status[2], ENTRY_DONE);

        calls[0] = '\0';
        assert_int_equal(engine_teardown(f->state, res.id, -1, f->l), 0);
        /* b's hook is not run twice. */
        assert_string_equal(calls, "teardown:c teardown:a");
        assert_true(dir_empty(f->roots));
        assert_true(dir_empty(f->state));
        setup_result_clear(&res);
}

static void test_skipped_entry_not_run(void **state)
{
        struct fixture *f = *state;
        struct setup_result res = { .root_fd = -1 };

        add(f, "a", "/a", NULL, false);
        add(f, "kvm", "/dev", NULL, false);
        f->entries[1].enabled = false;
        f->entries[1].when = (char *) "platform=kvm";
        assert_int_equal(engine_setup(&f->cfg, f->l, NULL, &res), 0);
        assert_string_equal(calls, "setup:a");
        assert_false(exists(res.root, "/dev"));
        assert_int_equal(res.status[1], ENTRY_SKIPPED);
        assert_int_equal(engine_teardown(f->state, res.id, -1, f->l), 0);
        assert_true(dir_empty(f->roots));
        setup_result_clear(&res);
}

static void test_out_of_range_return_is_failure(void **state)
{
        struct fixture *f = *state;
        struct setup_result res = { .root_fd = -1 };

        add(f, "a", "/a", "7", false);
        logs_capture();
        assert_int_equal(engine_setup(&f->cfg, f->l, NULL, &res), -ECANCELED);
        assert_logged("[a] setup returned 7, not 0 or -errno; taken as a failure");
        logs_release();
        assert_true(dir_empty(f->roots));
        assert_true(dir_empty(f->state));
}

static int symlink_setup(struct cairn_ctx *ctx)
{
        /* A hostile tree: /evil points out of the root. */
        {
                char *p = xasprintf("%s/evil", cairn_ctx_root(ctx));
                assert_int_equal(symlink("/tmp", p), 0);
                free(p);
        }
        return cairn_mkdir(ctx, "/evil/cairn-escaped", 0755);
}

/* /evil -> /tmp, planted by a hostile step: the next target through it
 * is resolved inside the root (ROOT/tmp/cairn-escaped), never the host's
 * /tmp. */
static void test_symlink_target_stays_inside(void **state)
{
        static const struct cairn_plugin sl = {
                .abi = CAIRN_ABI_VERSION, .name = "sl", .setup = symlink_setup,
        };
        struct fixture *f = *state;
        struct setup_result res = { .root_fd = -1 };
        struct cfg_entry *e = &f->entries[0];

        assert_int_equal(loader_add_static(f->l, &sl), 0);
        *e = (struct cfg_entry) { .name = (char *) "sl", .plugin_name = (char *) "sl", .enabled = true };
        assert_int_equal(loader_get(f->l, "sl", &e->plugin, &e->plugin_path), 0);
        f->cfg.n_entries = 1;
        assert_int_equal(engine_setup(&f->cfg, f->l, NULL, &res), 0);
        assert_int_equal(access("/tmp/cairn-escaped", F_OK), -1);
        {
                char *p = xasprintf("%s/tmp/cairn-escaped", res.root);
                assert_int_equal(access(p, F_OK), 0);
                free(p);
        }
        setup_result_clear(&res);
        /* The symlink is not cairn's: the root stays, with the journal. */
        {
                char *cmd = xasprintf("rm -f %s/cairn-*/evil && rmdir %s/cairn-*/tmp/cairn-escaped "
                                      "%s/cairn-*/tmp && rm -f %s/*.journal && rmdir %s/cairn-*",
                                      f->roots, f->roots, f->roots, f->state, f->roots);
                assert_int_equal(system(cmd), 0);
                free(cmd);
        }
}

static void test_bad_id(void **state)
{
        struct fixture *f = *state;

        logs_capture();
        assert_int_equal(engine_teardown(f->state, "../etc", -1, f->l), -EINVAL);
        assert_int_equal(engine_teardown(f->state, "cairn-short", -1, f->l), -EINVAL);
        assert_int_equal(engine_teardown(f->state, "relative/cairn-abcdef", -1, f->l), -EINVAL);
        logs_release();
        /* A well-formed id with no journal: nothing to do. */
        assert_int_equal(engine_teardown(f->state, "cairn-abcdef", -1, f->l), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_order_and_teardown, setup, teardown),
                cmocka_unit_test_setup_teardown(test_teardown_by_root, setup, teardown),
                cmocka_unit_test_setup_teardown(test_required_failure_rolls_back, setup, teardown),
                cmocka_unit_test_setup_teardown(test_root_parent_others_may_rename_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_optional_failure_is_undone_and_skipped, setup, teardown),
                cmocka_unit_test_setup_teardown(test_skipped_entry_not_run, setup, teardown),
                cmocka_unit_test_setup_teardown(test_out_of_range_return_is_failure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_target_stays_inside, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_id, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
