/* SPDX-License-Identifier: Apache-2.0 */
/* The journal: records survive a reopen exactly, torn lines are ignored,
 * the lock serializes, and a finished journal is seen as gone. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "helpers.h"
#include "journal.h"
#include "util.h"

struct fixture {
        char *dir;
        char *path;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof *f);

        f->dir = scratch_dir();
        f->path = xasprintf("%s/cairn-abcdef.journal", f->dir);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        scratch_remove(f->dir);
        free(f->dir);
        free(f->path);
        free(f);
        return 0;
}

static void test_roundtrip(void **state)
{
        struct fixture *f = *state;
        struct journal *j, *k;
        uint64_t seq;

        assert_int_equal(journal_create(f->dir, "cairn-abcdef", &j), 0);
        assert_int_equal(journal_append(j, J_ROOT, "/tmp/with space/cairn-abcdef", "owned", 0, 0, NULL), 0);
        assert_int_equal(journal_append(j, J_ENTRY, "runsc", "/usr/lib/cairn/binbind.so", 0, 1, NULL), 0);
        assert_int_equal(journal_append(j, J_OPT, "source", "", 0, 0, NULL), 0);
        assert_int_equal(journal_append(j, J_OPT, "odd", "a%b\nc\td\x7f", 0, 0, NULL), 0);
        assert_int_equal(journal_append(j, J_MOUNT, "/runsc", "bind", 0, 0, &seq), 0);
        assert_int_equal(journal_append(j, J_MOUNTED, NULL, NULL, seq, 4242, NULL), 0);
        assert_int_equal(journal_append(j, J_UNDONE, NULL, NULL, seq, 0, NULL), 0);
        journal_free(j);

        assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &k), 0);
        assert_int_equal(k->n_recs, 8);
        assert_string_equal(k->id, "cairn-abcdef");
        assert_int_equal(k->recs[1].type, J_ROOT);
        assert_string_equal(k->recs[1].a, "/tmp/with space/cairn-abcdef");
        assert_int_equal(k->recs[2].n, 1);
        assert_string_equal(k->recs[3].b, "");
        assert_string_equal(k->recs[4].b, "a%b\nc\td\x7f");
        assert_int_equal(k->recs[6].type, J_MOUNTED);
        assert_int_equal(k->recs[6].ref, seq);
        assert_int_equal(k->recs[6].n, 4242);
        assert_true(journal_is_undone(k, seq));
        assert_false(journal_is_undone(k, seq - 1));
        assert_ptr_equal(journal_find(k, seq), &k->recs[5]);
        /* Appends go on from the last seq. */
        assert_int_equal(journal_append(k, J_READY, NULL, NULL, 0, 0, &seq), 0);
        assert_int_equal(seq, k->recs[6].seq + 2);
        assert_int_equal(journal_remove(k), 0);
        assert_int_equal(access(f->path, F_OK), -1);
}

static void test_exclusive_create(void **state)
{
        struct fixture *f = *state;
        struct journal *j, *k;

        assert_int_equal(journal_create(f->dir, "cairn-abcdef", &j), 0);
        assert_int_equal(journal_create(f->dir, "cairn-abcdef", &k), -EEXIST);
        assert_int_equal(journal_remove(j), 0);
}

static void test_torn_last_line(void **state)
{
        struct fixture *f = *state;
        struct journal *j;
        int fd;

        assert_int_equal(journal_create(f->dir, "cairn-abcdef", &j), 0);
        assert_int_equal(journal_append(j, J_MKDIR, "/proc", NULL, 0, 0, NULL), 0);
        journal_free(j);
        /* A crash in the middle of writing the next record. */
        fd = open(f->path, O_WRONLY | O_APPEND | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "2 mount /pr", 11), 11);
        close(fd);

        assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &j), 0);
        assert_int_equal(j->n_recs, 2);
        assert_int_equal(j->recs[1].type, J_MKDIR);
        journal_free(j);
}

static void test_garbage_refused(void **state)
{
        struct fixture *f = *state;
        struct journal *j;
        char *p = scratch_file(f->dir, "cairn-zzzzzz.journal", "0 session cairn-zzzzzz 1 0\n1 explode /x\n");

        chmod(p, 0600);
        logs_capture();
        assert_int_equal(journal_open(p, JOURNAL_WAIT, &j), -EBADMSG);
        assert_logged("cairn-zzzzzz.journal:2: unreadable journal record");
        logs_release();
        free(p);

        p = scratch_file(f->dir, "cairn-yyyyyy.journal", "1 mkdir /x\n");
        chmod(p, 0600);
        logs_capture();
        assert_int_equal(journal_open(p, JOURNAL_WAIT, &j), -EBADMSG);
        assert_logged("not a cairn journal");
        logs_release();
        free(p);
}

static void test_untrusted_refused(void **state)
{
        struct fixture *f = *state;
        struct journal *j;
        char *p = scratch_file(f->dir, "cairn-wwwwww.journal", "0 session cairn-wwwwww 1 0\n");

        chmod(p, 0666);
        logs_capture();
        assert_int_equal(journal_open(p, JOURNAL_WAIT, &j), -EPERM);
        assert_logged("not a journal cairn wrote");
        logs_release();
        free(p);
}

/* A second opener waits for the lock; when the first removed the journal,
 * the second learns there is nothing left to do. */
static void test_lock_and_gone(void **state)
{
        struct fixture *f = *state;
        struct journal *j, *k;
        int pipefd[2], status;
        pid_t pid;
        char c;

        assert_int_equal(journal_create(f->dir, "cairn-abcdef", &j), 0);
        assert_int_equal(pipe(pipefd), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* The inherited descriptor shares the parent's lock. */
                close(j->fd);
                close(pipefd[0]);
                assert_int_equal(write(pipefd[1], "x", 1), 1);
                _exit(journal_open(f->path, JOURNAL_WAIT, &k) == -ENOENT ? 0 : 1);
        }
        close(pipefd[1]);
        assert_int_equal(read(pipefd[0], &c, 1), 1);
        close(pipefd[0]);
        usleep(100 * 1000); /* let the child block on the lock */
        assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
        assert_int_equal(journal_remove(j), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_exclusive_create, setup, teardown),
                cmocka_unit_test_setup_teardown(test_torn_last_line, setup, teardown),
                cmocka_unit_test_setup_teardown(test_garbage_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_untrusted_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lock_and_gone, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
