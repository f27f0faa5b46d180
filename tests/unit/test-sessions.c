/* SPDX-License-Identifier: Apache-2.0 */
/* What a journal says about its session, and how owners are recognised. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "helpers.h"
#include "journal.h"
#include "sessions.h"
#include "util.h"

static struct journal *scratch_journal(char **dir)
{
        struct journal *j;

        *dir = scratch_dir();
        const struct journal_root root = { .path = "/tmp/cairn-sess00", .owned = true };

        assert_int_equal(journal_create(*dir, "cairn-sess00", &root, &j), 0);
        return j;
}

static void drop(struct journal *j, char *dir)
{
        assert_int_equal(journal_remove(j), 0);
        scratch_remove(dir);
        free(dir);
}

static void test_states(void **state)
{
        struct session_info si;
        struct journal *j;
        char *dir;

        j = scratch_journal(&dir);
        assert_int_equal(session_info_from_journal(j, true, &si), 0);
        assert_int_equal(si.state, SESSION_SETTING_UP);
        assert_false(si.stale); /* a live cairn holds it */
        assert_string_equal(si.root, "/tmp/cairn-sess00");
        assert_string_equal(si.id, "cairn-sess00");
        assert_true(si.created > 0);
        session_info_clear(&si);

        assert_int_equal(session_info_from_journal(j, false, &si), 0);
        assert_true(si.stale); /* nobody holds it and it is not ready: crashed */
        session_info_clear(&si);

        assert_int_equal(journal_append(j, J_READY, NULL, NULL, 0, 0, NULL), 0);
        assert_int_equal(session_info_from_journal(j, false, &si), 0);
        assert_int_equal(si.state, SESSION_READY);
        assert_false(si.stale);
        assert_int_equal(si.owner, 0);
        session_info_clear(&si);

        assert_int_equal(journal_append(j, J_TEARDOWN, NULL, NULL, 0, 0, NULL), 0);
        assert_int_equal(session_info_from_journal(j, false, &si), 0);
        assert_int_equal(si.state, SESSION_TEARING_DOWN);
        assert_true(si.stale);
        assert_string_equal(session_state_name(si.state), "tearing-down");
        session_info_clear(&si);
        drop(j, dir);

        j = scratch_journal(&dir);
        assert_int_equal(journal_append(j, J_FAILED, NULL, NULL, 0, 0, NULL), 0);
        assert_int_equal(session_info_from_journal(j, false, &si), 0);
        assert_int_equal(si.state, SESSION_FAILED);
        session_info_clear(&si);
        drop(j, dir);
}

static void test_owner_alive_and_gone(void **state)
{
        struct session_info si;
        unsigned long long start;
        struct journal *j;
        char *dir, pid[32], st[32];
        pid_t child;

        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                pause();
                _exit(0);
        }
        assert_int_equal(process_start_time(child, &start), 0);
        snprintf(pid, sizeof pid, "%d", (int) child);
        snprintf(st, sizeof st, "%llu", start);

        j = scratch_journal(&dir);
        assert_int_equal(journal_append(j, J_OWNER, pid, st, 0, 0, NULL), 0);
        assert_int_equal(journal_append(j, J_READY, NULL, NULL, 0, 0, NULL), 0);
        assert_int_equal(session_info_from_journal(j, false, &si), 0);
        assert_int_equal(si.owner, child);
        assert_true(si.owner_alive);
        session_info_clear(&si);

        /* The same pid with another start time is another process. */
        snprintf(st, sizeof st, "%llu", start + 1);
        assert_int_equal(journal_append(j, J_OWNER, pid, st, 0, 0, NULL), 0);
        assert_int_equal(session_info_from_journal(j, false, &si), 0);
        assert_false(si.owner_alive);
        session_info_clear(&si);

        kill(child, SIGKILL);
        assert_int_equal(waitpid(child, NULL, 0), child);
        assert_int_equal(process_start_time(child, &start), -ESRCH);
        drop(j, dir);
}

static void test_own_start_time(void **state)
{
        unsigned long long a, b;

        assert_int_equal(process_start_time(getpid(), &a), 0);
        assert_int_equal(process_start_time(getpid(), &b), 0);
        assert_true(a == b && a > 0);
        assert_int_equal(process_start_time(1, &b), 0);
        assert_true(b <= a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_states),
                cmocka_unit_test(test_owner_alive_and_gone),
                cmocka_unit_test(test_own_start_time),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
