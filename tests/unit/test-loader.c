/* SPDX-License-Identifier: Apache-2.0 */
/* The loader: ABI major checked, missing descriptor and garbage refused by
 * name, untrusted files refused, each .so loaded once. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "helpers.h"
#include "loader.h"
#include "util.h"

#define TEST_PLUGINS TEST_BUILDDIR "/modules/check" /* tests/Makemodule.am */

struct fixture {
        char *dir;
        struct loader *l;
};

static void copy(const char *from, const char *dir, const char *name, mode_t mode)
{
        char *cmd = xasprintf("cp '%s' '%s/%s' && chmod %o '%s/%s'", from, dir, name, (unsigned) mode,
                              dir, name);

        assert_int_equal(system(cmd), 0);
        free(cmd);
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof *f);

        f->dir = scratch_dir();
        copy(TEST_PLUGINS "/newminor.so", f->dir, "newminor.so", 0755);
        copy(TEST_PLUGINS "/abi2.so", f->dir, "abi2.so", 0755);
        copy(TEST_PLUGINS "/nosym.so", f->dir, "nosym.so", 0755);
        copy(TEST_PLUGINS "/newminor.so", f->dir, "writable.so", 0775);
        free(scratch_file(f->dir, "garbage.so", "\x7f" "ELF but not really\n"));
        free(scratch_file(f->dir, "README", "not a plugin\n"));
        assert_int_equal(loader_new(f->dir, &f->l), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        loader_free(f->l);
        scratch_remove(f->dir);
        free(f->dir);
        free(f);
        return 0;
}

static void test_newer_minor_accepted_and_loaded_once(void **state)
{
        struct fixture *f = *state;
        const struct cairn_plugin *p, *q;
        const char *path;

        assert_int_equal(loader_get(f->l, "newminor", &p, &path), 0);
        assert_int_equal(CAIRN_ABI_MAJOR_OF(p->abi), 1);
        assert_true(CAIRN_ABI_MINOR_OF(p->abi) > CAIRN_ABI_MINOR);
        assert_true(strstr(path, "/newminor.so") != NULL);
        assert_int_equal(loader_get(f->l, "newminor", &q, NULL), 0);
        assert_ptr_equal(p, q);
        assert_int_equal(loader_get_path(f->l, path, &q), 0);
        assert_ptr_equal(p, q);
}

static void test_wrong_major_refused(void **state)
{
        struct fixture *f = *state;
        const struct cairn_plugin *p;

        logs_capture();
        assert_int_equal(loader_get(f->l, "abi2", &p, NULL), -EINVAL);
        assert_logged("/abi2.so: plugin ABI 2.0, but this cairn supports 1.x");
        logs_release();
}

static void test_missing_descriptor_refused(void **state)
{
        struct fixture *f = *state;
        const struct cairn_plugin *p;

        logs_capture();
        assert_int_equal(loader_get(f->l, "nosym", &p, NULL), -EINVAL);
        assert_logged("/nosym.so: no \"cairn_plugin_descriptor\" symbol: not a cairn plugin");
        logs_release();
}

static void test_garbage_refused(void **state)
{
        struct fixture *f = *state;
        const struct cairn_plugin *p;

        logs_capture();
        assert_int_equal(loader_get(f->l, "garbage", &p, NULL), -EINVAL);
        assert_logged("/garbage.so: not a loadable plugin");
        logs_release();
}

static void test_writable_refused(void **state)
{
        struct fixture *f = *state;
        const struct cairn_plugin *p;

        logs_capture();
        assert_int_equal(loader_get(f->l, "writable", &p, NULL), -EPERM);
        assert_logged("/writable.so: writable by group (mode 0775); refusing to use it");
        logs_release();
}

static void test_missing_and_bad_names(void **state)
{
        struct fixture *f = *state;
        const struct cairn_plugin *p;

        logs_capture();
        assert_int_equal(loader_get(f->l, "nonesuch", &p, NULL), -ENOENT);
        assert_logged("/nonesuch.so: No such file or directory");
        assert_int_equal(loader_get(f->l, "../etc/x", &p, NULL), -EINVAL);
        assert_int_equal(loader_get(f->l, "a/b", &p, NULL), -EINVAL);
        assert_int_equal(loader_get(f->l, "", &p, NULL), -EINVAL);
        assert_logged("plugin name \"../etc/x\" is not [a-z0-9_-]+");
        logs_release();
}

static void test_list(void **state)
{
        struct fixture *f = *state;
        char **names = NULL;

        assert_int_equal(loader_list(f->l, &names), 0);
        assert_int_equal(strv_length(names), 5);
        assert_string_equal(names[0], "abi2");
        assert_string_equal(names[1], "garbage");
        assert_string_equal(names[4], "writable");
        strv_freep(&names);
}

static int no_setup(struct cairn_ctx *ctx)
{
        return 0;
}

static void test_descriptor_checks(void **state)
{
        static const struct cairn_option reserved[] = { { .name = "when" }, {} };
        static const char *const none[] = { NULL };
        static const struct cairn_option nochoice[] = { { .name = "x", .type = CAIRN_OPT_CHOICE, .choices = none }, {} };
        const struct cairn_plugin ok = { .abi = CAIRN_ABI_VERSION, .name = "ok", .setup = no_setup };
        const struct cairn_plugin nosetup = { .abi = CAIRN_ABI_VERSION, .name = "ok" };
        const struct cairn_plugin badname = { .abi = CAIRN_ABI_VERSION, .name = "Bad", .setup = no_setup };
        const struct cairn_plugin rsv = { .abi = CAIRN_ABI_VERSION, .name = "r", .setup = no_setup, .options = reserved };
        const struct cairn_plugin nc = { .abi = CAIRN_ABI_VERSION, .name = "n", .setup = no_setup, .options = nochoice };

        logs_capture();
        assert_int_equal(plugin_descriptor_check(&ok, "ok"), 0);
        assert_int_equal(plugin_descriptor_check(&nosetup, "t1"), -EINVAL);
        assert_logged("t1: plugin \"ok\" has no setup function");
        assert_int_equal(plugin_descriptor_check(&badname, "t2"), -EINVAL);
        assert_logged("t2: plugin name \"Bad\" is not [a-z0-9_-]+");
        assert_int_equal(plugin_descriptor_check(&rsv, "t3"), -EINVAL);
        assert_logged("t3: option \"when\" is reserved for the engine");
        assert_int_equal(plugin_descriptor_check(&nc, "t4"), -EINVAL);
        assert_logged("t4: option \"x\" is a choice without choices");
        logs_release();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_newer_minor_accepted_and_loaded_once, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wrong_major_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_descriptor_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_garbage_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_writable_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_and_bad_names, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list, setup, teardown),
                cmocka_unit_test(test_descriptor_checks),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
