/* SPDX-License-Identifier: Apache-2.0 */
/* cairn's own reading of /proc/self/mountinfo: IDs, escaped mount points,
 * the questions undo asks, and what it refuses. */
#include <stdio.h>

#include "helpers.h"
#include "mountinfo.h"
#include "util.h"

/* Lines as the kernel writes them (fs/proc_namespace.c show_mountinfo):
 * optional fields, and a mount point with an escaped space, tab, newline
 * and backslash. */
static const char sample[] =
        "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
        "30 22 0:25 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
        "41 22 0:30 / /run/cairn rw master:3 - tmpfs tmpfs rw\n"
        "57 22 0:31 / /tmp/r/a\\040b rw - tmpfs x rw\n"
        "58 57 0:32 / /tmp/r/a\\040b/c\\011d\\012e\\134f rw - tmpfs y rw\n"
        "60 22 0:33 /sub /tmp/r/a-x rw - tmpfs z rw\n"
        "4294967296 22 0:34 / /big rw - tmpfs w rw\n";

static struct mountinfo *parse(const char *text)
{
        _cleanup_free_ char *buf = strdup(text);
        struct mountinfo *mi = NULL;

        assert_non_null(buf);
        assert_int_equal(mountinfo_parse(buf, &mi), 0);
        return mi;
}

static void test_ids_and_unescaped_targets(void **state)
{
        struct mountinfo *mi = parse(sample);

        assert_string_equal(mountinfo_target(mi, 22), "/");
        assert_string_equal(mountinfo_target(mi, 30), "/proc");
        assert_string_equal(mountinfo_target(mi, 57), "/tmp/r/a b");
        assert_string_equal(mountinfo_target(mi, 58), "/tmp/r/a b/c\td\ne\\f");
        /* The mount point, not the root within its filesystem ("/sub"). */
        assert_string_equal(mountinfo_target(mi, 60), "/tmp/r/a-x");
        /* 64-bit IDs are kept whole. */
        assert_string_equal(mountinfo_target(mi, 4294967296ull), "/big");
        assert_null(mountinfo_target(mi, 4294967296ull & 0xffffffffu));
        assert_false(mountinfo_has_id(mi, 59));
        mountinfo_free(mi);
}

static void test_beneath_and_covering(void **state)
{
        struct mountinfo *mi = parse(sample);
        const char *t = NULL;
        uint64_t id = 0;

        /* "DIR" asks for DIR and below; "DIR/" strictly below. */
        assert_true(mountinfo_beneath(mi, "/tmp/r/a b", &t, &id));
        assert_int_equal(id, 57);
        assert_true(mountinfo_beneath(mi, "/tmp/r/a b/", &t, &id));
        assert_int_equal(id, 58);
        /* A sibling sharing the name as a prefix ("a-x") is not beneath "a". */
        assert_false(mountinfo_beneath(mi, "/tmp/r/a", NULL, NULL));
        assert_true(mountinfo_beneath(mi, "/tmp/r/", &t, NULL));
        assert_false(mountinfo_beneath(mi, "/tmp/r/a b/c", NULL, NULL));

        assert_string_equal(mountinfo_covering(mi, "/tmp/r", "/tmp/r/a b/c\td\ne\\f/x", NULL, NULL),
                            "/tmp/r/a b/c\td\ne\\f");
        assert_null(mountinfo_covering(mi, "/tmp/r", "/tmp/r/zz", NULL, NULL));

        /* Once forgotten (unmounted by us), a mount answers nothing. */
        mountinfo_forget(mi, 58);
        assert_false(mountinfo_has_id(mi, 58));
        assert_false(mountinfo_beneath(mi, "/tmp/r/a b/", NULL, NULL));
        mountinfo_free(mi);
}

static void test_empty_and_unterminated(void **state)
{
        struct mountinfo *mi = parse("");

        assert_false(mountinfo_beneath(mi, "/", NULL, NULL));
        mountinfo_free(mi);
        /* No newline after the last line: still read. */
        mi = parse("7 1 0:2 / /x rw - tmpfs t rw");
        assert_string_equal(mountinfo_target(mi, 7), "/x");
        mountinfo_free(mi);
}

static void test_refuses_what_it_cannot_read(void **state)
{
        static const char *const bad[] = {
                "x 1 0:2 / /x rw - tmpfs t rw\n",          /* no ID */
                "7 1 0:2 /\n",                              /* no mount point */
                "7 1 0:2 / x rw - tmpfs t rw\n",            /* not absolute */
                "7 1 0:2 / /x rw - tmpfs t rw\n\n",         /* an empty line */
                "99999999999999999999 1 0:2 / /x rw\n",     /* ID out of range */
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *buf = strdup(bad[i]);
                struct mountinfo *mi = NULL;

                assert_int_equal(mountinfo_parse(buf, &mi), -EBADMSG);
                assert_null(mi);
        }
}

/* The real file: this process's root is in it, and the table agrees with
 * what statx says about "/". */
static void test_loads_the_real_file(void **state)
{
        struct mountinfo *mi = NULL;

        assert_int_equal(mountinfo_load(&mi), 0);
        assert_true(mountinfo_beneath(mi, "/", NULL, NULL));
        mountinfo_free(mi);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ids_and_unescaped_targets),
                cmocka_unit_test(test_beneath_and_covering),
                cmocka_unit_test(test_empty_and_unterminated),
                cmocka_unit_test(test_refuses_what_it_cannot_read),
                cmocka_unit_test(test_loads_the_real_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
