/* SPDX-License-Identifier: Apache-2.0 */
/* The journal: records survive a reopen exactly, a torn last record is
 * cut off before anything is appended (however it was cut, and after a
 * write that failed half-way), every record a later step relies on is
 * checked, the lock serializes, a finished journal is seen as gone,
 * records that may wait share a write, and only a journal off tmpfs is
 * fdatasync'ed.  fstatfs, fdatasync and write are wrapped (-Wl,--wrap) to
 * count, to fail part-way, and to choose the filesystem the journal seems
 * to be on. */
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "helpers.h"
#include "journal.h"
#include "util.h"
#include "where.h"

/* 0: the real fstatfs; else the f_type it reports. */
static long fake_fs_type;
static unsigned n_fdatasync, n_write;

int __real_fstatfs(int fd, struct statfs *buf);
int __wrap_fstatfs(int fd, struct statfs *buf);
int __wrap_fstatfs(int fd, struct statfs *buf)
{
        if (!fake_fs_type)
                return __real_fstatfs(fd, buf);
        memset(buf, 0, sizeof *buf);
        buf->f_type = fake_fs_type;
        return 0;
}

/* Where journal_create() says a session lives: nowhere known (the record
 * indexes the tests below rely on stay as they were), unless a test sets
 * fake_where. */
static const struct where *fake_where;

int __wrap_where_here(struct where *ret);
int __wrap_where_here(struct where *ret)
{
        if (!fake_where)
                return -ENOENT;
        *ret = *fake_where;
        return 0;
}

int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);
int __wrap_fdatasync(int fd)
{
        n_fdatasync++;
        return __real_fdatasync(fd);
}

/* >= 0: the bytes the next writes may still write, after which they fail
 * with ENOSPC (a full disk, a file size limit). */
static ssize_t write_budget = -1;

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
        ssize_t w;

        n_write++;
        if (write_budget < 0 || fd <= 2)
                return __real_write(fd, buf, n);
        if (write_budget == 0) {
                errno = ENOSPC;
                return -1;
        }
        w = __real_write(fd, buf, n < (size_t) write_budget ? n : (size_t) write_budget);
        if (w > 0)
                write_budget -= w;
        return w;
}

static const struct journal_root the_root = { .path = "/r/cairn-abcdef", .owned = true };

/* The journal of the fixture's session, with its root. */
static struct journal *create(const char *dir)
{
        struct journal *j = NULL;

        assert_int_equal(journal_create(dir, "cairn-abcdef", &the_root, &j), 0);
        return j;
}

static off_t file_size(const char *path)
{
        struct stat st;

        assert_int_equal(stat(path, &st), 0);
        return st.st_size;
}

/* Lines in the file now, as another process would read them. */
static int lines_on_disk(const char *path)
{
        char buf[65536];
        int fd = open(path, O_RDONLY | O_CLOEXEC), n = 0;
        ssize_t len;

        assert_true(fd >= 0);
        len = read(fd, buf, sizeof buf);
        assert_true(len >= 0);
        close(fd);
        for (ssize_t i = 0; i < len; i++)
                n += buf[i] == '\n';
        return n;
}

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

/* Append `text` to the journal file as is: a crash mid-write, a record
 * from another version, garbage. */
static void append_raw(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
}

static void test_roundtrip(void **state)
{
        struct fixture *f = *state;
        struct journal *j, *k;
        uint64_t seq;

        const struct journal_root spaced = { .path = "/tmp/with space/cairn-abcdef", .owned = true };

        assert_int_equal(journal_create(f->dir, "cairn-abcdef", &spaced, &j), 0);
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

        assert_int_equal(journal_create(f->dir, "cairn-abcdef", &the_root, &j), 0);
        assert_int_equal(journal_create(f->dir, "cairn-abcdef", &the_root, &k), -EEXIST);
        assert_int_equal(journal_remove(j), 0);
}

/* The session, the root it announces and (when known) the root's
 * identity are on disk, all, the moment the journal has its name; numbers
 * go out in full (formatted by hand). */
static void test_create_with_root(void **state)
{
        const struct journal_root given = { .path = "/srv/rootfs", .dev = 2049, .ino = 1234567 };
        struct fixture *f = *state;
        struct journal *j, *k;
        struct journal_root jr;
        struct journal_head h;
        char text[256] = "";
        ssize_t n;
        int fd;

        assert_int_equal(journal_create(f->dir, "cairn-abcdef", &given, &j), 0);
        fd = open(f->path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        n = read(fd, text, sizeof text - 1);
        close(fd);
        assert_true(n > 0);
        assert_string_equal(text, strstr(text, "0 session cairn-abcdef 5 "));
        assert_non_null(strstr(text, "\n1 root /srv/rootfs given\n2 rootid 2049 1234567\n"));
        assert_int_equal(journal_head_read(f->path, &h), 0);
        assert_string_equal(h.id, "cairn-abcdef");
        assert_string_equal(h.root, "/srv/rootfs");
        assert_false(h.owned);
        assert_int_equal(h.dev, 2049);
        assert_int_equal(h.ino, 1234567);
        journal_head_clear(&h);
        journal_root(j, &jr);
        assert_string_equal(jr.path, "/srv/rootfs");
        assert_int_equal(jr.ino, 1234567);
        assert_int_equal(journal_remove(j), 0);
        memset(text, 0, sizeof text);

        assert_int_equal(journal_create(f->dir, "cairn-abcdef", &the_root, &j), 0);
        fd = open(f->path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        n = read(fd, text, sizeof text - 1);
        close(fd);
        assert_true(n > 0);
        assert_non_null(strstr(text, "0 session cairn-abcdef "));
        assert_non_null(strstr(text, "\n1 root /r/cairn-abcdef owned\n"));
        assert_null(strstr(text, "rootid")); /* not known yet */
        assert_int_equal(j->n_pending, 0);
        assert_int_equal(journal_append(j, J_MOUNT, "/m", "bind", 0, UINT64_MAX, NULL), 0);
        assert_int_equal(journal_append(j, J_MOUNTED, NULL, NULL, 2, 9, NULL), 0);
        journal_free(j);

        assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &k), 0);
        assert_int_equal(k->n_recs, 4);
        assert_int_equal(k->recs[1].type, J_ROOT);
        assert_string_equal(k->recs[1].b, "owned");
        assert_true(k->recs[2].n == UINT64_MAX);
        assert_int_equal(k->recs[3].ref, 2);
        assert_int_equal(k->recs[3].n, 9);
        journal_root(k, &jr);
        assert_true(jr.owned);
        assert_int_equal(jr.ino, 0);
        assert_int_equal(journal_remove(k), 0);
}

/* A journal from before mount recorded the mount's unique ID: read as 0,
 * unknown (the undo then falls back to what it did before). */
static void test_mount_without_unique_id(void **state)
{
        struct fixture *f = *state;
        struct journal *j, *k;

        j = create(f->dir);
        journal_free(j);
        append_raw(f->path, "2 mount /p proc\n3 mount /q bind 2147483650\n");
        assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &k), 0);
        assert_int_equal(k->n_recs, 4);
        assert_int_equal(k->recs[2].type, J_MOUNT);
        assert_string_equal(k->recs[2].b, "proc");
        assert_int_equal(k->recs[2].n, 0);
        assert_int_equal(k->recs[3].n, 2147483650);
        assert_int_equal(journal_remove(k), 0);
}

/* A journal from a newer cairn is refused as such (not "unreadable"), and
 * its root is still known: the J_ROOT's first fields are read, whatever
 * follows them. */
static void test_newer_version(void **state)
{
        struct fixture *f = *state;
        struct journal *j;
        struct journal_head h;
        int fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        close(fd);
        append_raw(f->path, "0 session cairn-abcdef 99 0\n1 root /r/cairn-abcdef owned 7 8 9\n"
                            "2 future-record x\n");
        logs_capture();
        assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &j), -EPROTONOSUPPORT);
        assert_logged("written by a newer cairn (journal version 99");
        logs_release();
        assert_int_equal(journal_head_read(f->path, &h), 0);
        assert_string_equal(h.root, "/r/cairn-abcdef");
        assert_true(h.owned);
        journal_head_clear(&h);
        assert_int_equal(unlink(f->path), 0);
}

/* A record cut anywhere (a crash, ENOSPC, SIGXFSZ mid-write): the reader
 * ignores it, a locked opener cuts it off, and what is appended next is
 * read after the whole records, not glued to the torn one. */
static void test_torn_last_record(void **state)
{
        static const char last[] = "2 mount /proc proc 2147483650\n";
        struct fixture *f = *state;

        for (size_t cut = 1; cut < strlen(last); cut++) {
                struct journal *j;
                char part[sizeof last];
                off_t whole;

                j = create(f->dir);
                assert_int_equal(journal_append(j, J_MKDIR, "/proc", NULL, 0, 0, NULL), 0);
                journal_free(j);
                whole = file_size(f->path);
                memcpy(part, last, cut);
                part[cut] = '\0';
                append_raw(f->path, part);

                /* Looked at: ignored, and left as it is. */
                assert_int_equal(journal_open(f->path, JOURNAL_PEEK, &j), 0);
                assert_int_equal(j->n_recs, 3);
                journal_free(j);
                assert_int_equal(file_size(f->path), whole + (off_t) cut);

                /* Locked, to be appended to: cut off first. */
                assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &j), 0);
                assert_int_equal(j->n_recs, 3);
                assert_int_equal(file_size(f->path), whole);
                assert_int_equal(journal_append(j, J_TEARDOWN, NULL, NULL, 0, 0, NULL), 0);
                journal_free(j);

                assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &j), 0);
                assert_int_equal(j->n_recs, 4);
                assert_int_equal(j->recs[3].type, J_TEARDOWN);
                assert_int_equal(journal_remove(j), 0);
        }
}

/* A write that fails part-way leaves no torn record behind in the same
 * process either: the file is cut back, and the next record is whole. */
static void test_failed_write_cut_back(void **state)
{
        struct fixture *f = *state;
        struct journal *j, *k;
        off_t before;

        uint64_t mkdir_seq, note_seq, mount_seq, seq;

        j = create(f->dir);
        assert_int_equal(journal_append(j, J_MKDIR, "/a", NULL, 0, 0, &mkdir_seq), 0);
        before = file_size(f->path);
        /* A note waits; the append after it fails: both are lost. */
        assert_int_equal(journal_note(j, J_MKDIR, "/a/b", NULL, 0, 0, &note_seq), 0);
        write_budget = 5;
        logs_capture();
        assert_int_equal(journal_append(j, J_MOUNT, "/a", "tmpfs", 0, 7, &mount_seq), -ENOSPC);
        assert_logged("write: No space left on device");
        logs_release();
        write_budget = -1;
        assert_int_equal(file_size(f->path), before);
        assert_false(journal_find(j, mkdir_seq)->lost);
        assert_true(journal_find(j, note_seq)->lost);
        assert_true(journal_find(j, mount_seq)->lost);
        /* What a rollback says of them stays in memory, not in the file:
         * there it would refer to no record, and the journal would be
         * unreadable for good. */
        assert_int_equal(journal_append(j, J_MOUNTED, NULL, NULL, mount_seq, 9, NULL), 0);
        assert_int_equal(journal_append(j, J_UNDONE, NULL, NULL, mount_seq, 0, &seq), 0);
        assert_true(journal_find(j, seq)->lost);
        assert_int_equal(file_size(f->path), before);
        assert_int_equal(journal_append(j, J_UNDONE, NULL, NULL, mkdir_seq, 0, &seq), 0);
        assert_false(journal_find(j, seq)->lost);
        assert_int_equal(journal_append(j, J_FAILED, NULL, NULL, 0, 0, NULL), 0);
        journal_free(j);
        assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &k), 0);
        assert_int_equal(k->recs[k->n_recs - 1].type, J_FAILED);
        assert_int_equal(k->recs[k->n_recs - 2].type, J_UNDONE);
        assert_int_equal(k->recs[k->n_recs - 2].ref, mkdir_seq);
        assert_int_equal(k->recs[k->n_recs - 3].type, J_MKDIR);
        assert_null(journal_find(k, note_seq));
        assert_null(journal_find(k, mount_seq));
        for (size_t i = 0; i < k->n_recs; i++)
                assert_false(k->recs[i].lost);
        assert_int_equal(journal_remove(k), 0);
}

/* Every record a later step relies on is checked: a journal that is not
 * what cairn writes is refused, named with the line and why, never half
 * used (a missing root crashed teardown and gc once). */
static void test_invalid_refused(void **state)
{
        static const struct {
                const char *text, *why;
        } cases[] = {
                { "0 session cairn-abcdef 3 0\n", "no root record" },
                { "0 session cairn-abcdef 3 0\n1 mkdir /x 0 0\n", "the second record is not the root's" },
                { "0 session cairn-abcdef 3 0\n1 ready\n2 root /r/cairn-abcdef owned\n", "not the root's" },
                { "0 root /r/cairn-abcdef owned\n", "the first record is not the session's" },
                { "0 session ../../etc 3 0\n1 root /r/x owned\n", "not a session id" },
                { "0 session cairn-abcdef 3 0\n1 root r/cairn-abcdef owned\n", "not an absolute path" },
                { "0 session cairn-abcdef 3 0\n1 root /r/other owned\n", "not named after its session" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef lent\n", "neither" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef owned\n2 root /x given\n",
                  "a second session or root record" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef owned\n1 ready\n",
                  "record numbers do not increase" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef owned\n2 undone 9\n",
                  "refers to no record that can be undone" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef owned\n2 ready\n3 undone 2\n",
                  "refers to no record that can be undone" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef owned\n2 mounted 1 5\n",
                  "refers to no mount record" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef owned\n2 opt k v\n",
                  "an option outside an entry" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef owned\n2 mkdir x/y 0 0\n",
                  "not a normalized path inside the root" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef owned\n2 mount /a/../b bind 0\n",
                  "not a normalized path inside the root" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef owned\n2 create / 0 0\n",
                  "not a normalized path inside the root" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef owned\n2 owner -1 5\n",
                  "not a process id" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef owned\n2 owner 1 5\n3 owner 2 5\n",
                  "a second owner" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef owned\n2 entry Bad /p.so 0\n",
                  "not an entry name" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef owned\n2 end e maybe\n",
                  "not \"done\" or \"failed\"" },
                { "0 session cairn-abcdef 3 0\n1 root /r/cairn-abcdef owned\n2 rootid 1 0\n",
                  "no inode number" },
        };
        struct fixture *f = *state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct journal *j = NULL;
                char *p = scratch_file(f->dir, "cairn-abcdef.journal", cases[i].text);

                chmod(p, 0600);
                logs_capture();
                assert_int_equal(journal_open(p, JOURNAL_PEEK, &j), -EBADMSG);
                if (!strstr(logs(), cases[i].why) || !strstr(logs(), "cairn-abcdef.journal")) {
                        print_error("case %zu: expected \"%s\" in: %s\n", i, cases[i].why, logs());
                        fail();
                }
                logs_release();
                assert_int_equal(unlink(p), 0);
                free(p);
        }
}

/* mkdir and create records carry their directory (st_dev, st_ino); those
 * of journals written before they did are still read, as 0 0. */
static void test_directory_of_a_name(void **state)
{
        struct fixture *f = *state;
        struct journal *j;

        j = create(f->dir);
        assert_int_equal(journal_append(j, J_CREATE, "/x", NULL, 2049, 77, NULL), 0);
        journal_free(j);
        append_raw(f->path, "3 mkdir /old\n");

        assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &j), 0);
        assert_int_equal(j->n_recs, 4);
        assert_int_equal(j->recs[2].type, J_CREATE);
        assert_int_equal(j->recs[2].ref, 2049);
        assert_int_equal(j->recs[2].n, 77);
        assert_int_equal(j->recs[3].type, J_MKDIR);
        assert_string_equal(j->recs[3].a, "/old");
        assert_int_equal(j->recs[3].ref, 0);
        assert_int_equal(j->recs[3].n, 0);
        journal_free(j);

        /* One number of the two is not a record cairn writes. */
        append_raw(f->path, "4 mkdir /half 5\n");
        logs_capture();
        assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &j), -EBADMSG);
        logs_release();
}

static void test_garbage_refused(void **state)
{
        struct fixture *f = *state;
        struct journal *j;
        char *p = scratch_file(f->dir, "cairn-zzzzzz.journal", "0 session cairn-zzzzzz 1 0\n1 root /r/cairn-zzzzzz owned\n2 explode /x\n");

        chmod(p, 0600);
        logs_capture();
        assert_int_equal(journal_open(p, JOURNAL_WAIT, &j), -EBADMSG);
        assert_logged("cairn-zzzzzz.journal:3: unreadable journal record");
        logs_release();
        free(p);

        p = scratch_file(f->dir, "cairn-yyyyyy.journal", "1 mkdir /x\n");
        chmod(p, 0600);
        logs_capture();
        assert_int_equal(journal_open(p, JOURNAL_WAIT, &j), -EBADMSG);
        assert_logged("the first record is not the session's");
        logs_release();
        free(p);
}

/* Numbers cairn never writes, which strtoull() takes: "-1" read as the
 * last number there is made the next record's number 0, so the journal
 * was unreadable after the next append (found by tests/fuzz/fuzz-journal). */
static void test_numbers_only_as_written(void **state)
{
        static const char *const bad[] = { "-1", "+3", "3a", "0x3", "18446744073709551615",
                                           "18446744073709551616", "" };
        struct fixture *f = *state;
        struct journal *j;
        uint64_t v;

        assert_int_equal(parse_u64("18446744073709551614", &v), 0);
        assert_true(v == UINT64_MAX - 1);
        assert_int_equal(parse_u64("0", &v), 0);
        assert_int_equal(v, 0);
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                char text[256], name[64];
                char *p;

                snprintf(name, sizeof name, "cairn-num%03zu.journal", i);
                snprintf(text, sizeof text, "0 session cairn-num%03zu 3 0\n1 root /r given\n%s mode 0\n", i, bad[i]);
                p = scratch_file(f->dir, name, text);
                chmod(p, 0600);
                logs_capture();
                assert_int_equal(journal_open(p, JOURNAL_WAIT, &j), -EBADMSG);
                logs_release();
                free(p);

                snprintf(name, sizeof name, "cairn-arg%03zu.journal", i);
                snprintf(text, sizeof text, "0 session cairn-arg%03zu 3 0\n1 root /r given\n2 rootid 1 %s\n", i, bad[i]);
                p = scratch_file(f->dir, name, text);
                chmod(p, 0600);
                logs_capture();
                assert_int_equal(journal_open(p, JOURNAL_WAIT, &j), i == 4 ? 0 : -EBADMSG);
                if (i == 4)
                        journal_free(j);
                logs_release();
                if (parse_u64(bad[i], &v) < 0) {
                        struct journal_head h;
                        /* The head reader takes no identity from it. */
                        if (journal_head_read(p, &h) == 0) {
                                assert_true(h.ino == 0 && h.dev == 0);
                                journal_head_clear(&h);
                        }
                }
                free(p);
        }
        assert_int_equal(parse_u64("18446744073709551615", &v), 0);
        assert_true(v == UINT64_MAX);
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

        j = create(f->dir);
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

/* Context and completions wait for the next record that announces an
 * action, and go out with it in one write. */
static void test_notes_wait_for_the_next_append(void **state)
{
        struct fixture *f = *state;
        struct journal *j, *k;
        uint64_t seq;

        j = create(f->dir);
        n_write = 0;
        assert_int_equal(journal_note(j, J_ENTRY, "runsc", "/p/binbind.so", 0, 0, NULL), 0);
        assert_int_equal(journal_note(j, J_OPT, "source", "/usr/bin/runsc", 0, 0, NULL), 0);
        assert_int_equal(n_write, 0);
        assert_int_equal(lines_on_disk(f->path), 2);
        assert_int_equal(j->n_recs, 4); /* known in memory all the same */

        assert_int_equal(journal_append(j, J_MOUNT, "/runsc", "bind", 0, 0, &seq), 0);
        assert_int_equal(n_write, 1);
        assert_int_equal(lines_on_disk(f->path), 5);
        assert_int_equal(journal_note(j, J_MOUNTED, NULL, NULL, seq, 77, NULL), 0);
        assert_int_equal(journal_commit(j), 0);
        assert_int_equal(n_write, 2);
        assert_int_equal(journal_commit(j), 0); /* nothing waits: no write */
        assert_int_equal(n_write, 2);
        journal_free(j);

        assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &k), 0);
        assert_int_equal(k->n_recs, 6);
        assert_int_equal(k->recs[2].type, J_ENTRY);
        assert_string_equal(k->recs[3].b, "/usr/bin/runsc");
        assert_int_equal(k->recs[5].n, 77);
        assert_int_equal(k->recs[5].ref, seq);
        assert_int_equal(journal_remove(k), 0);
}

/* What waits is bounded: past a few KiB it is written without waiting
 * any longer, so a crash loses little. */
static void test_notes_flush_when_many(void **state)
{
        struct fixture *f = *state;
        struct journal *j;
        unsigned i;

        j = create(f->dir);
        n_write = 0;
        for (i = 0; n_write == 0 && i < 10000; i++)
                assert_int_equal(journal_note(j, J_UNDONE, NULL, NULL, 1000000 + i, 0, NULL), 0);
        assert_int_equal(n_write, 1);
        /* "N undone 1000NNN\n" is about 20 bytes: after 4 KiB, not at once. */
        assert_in_range(i, 150, 300);
        assert_int_equal(lines_on_disk(f->path), 2 + (int) i);
        journal_free(j);
}

/* Freed (a teardown that left something behind), the journal writes what
 * waited; removed (the session is finished), it writes nothing more. */
static void test_free_writes_remove_drops(void **state)
{
        struct fixture *f = *state;
        struct journal *j;

        j = create(f->dir);
        assert_int_equal(journal_note(j, J_UNDONE, NULL, NULL, 1, 0, NULL), 0);
        journal_free(j);
        assert_int_equal(lines_on_disk(f->path), 3);

        assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &j), 0);
        assert_int_equal(journal_note(j, J_UNDONE, NULL, NULL, 1, 0, NULL), 0);
        n_write = 0;
        assert_int_equal(journal_remove(j), 0);
        assert_int_equal(n_write, 0);
        assert_int_equal(access(f->path, F_OK), -1);
}

/* A journal on tmpfs or ramfs is on its storage once written; anywhere
 * else (or if the filesystem cannot be told) each write is synced. */
static void test_sync_only_off_tmpfs(void **state)
{
        static const struct {
                long fs_type;
                bool sync;
        } cases[] = {
                { TMPFS_MAGIC, false },
                { RAMFS_MAGIC, false },
                { EXT4_SUPER_MAGIC, true },
                { XFS_SUPER_MAGIC, true },
                { BTRFS_SUPER_MAGIC, true },
        };
        struct fixture *f = *state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct journal *j;

                fake_fs_type = cases[i].fs_type;
                n_fdatasync = n_write = 0;
                j = create(f->dir);
                assert_int_equal(journal_note(j, J_ENTRY, "e", "/p/e.so", 0, 0, NULL), 0);
                assert_int_equal(journal_append(j, J_MKDIR, "/d", NULL, 0, 0, NULL), 0);
                assert_int_equal(journal_append(j, J_READY, NULL, NULL, 0, 0, NULL), 0);
                assert_int_equal(n_write, 3);
                assert_int_equal(n_fdatasync, cases[i].sync ? 3 : 0);
                assert_int_equal(journal_remove(j), 0);
                fake_fs_type = 0;
        }
}

/* J_WHERE: written with the first records, read back by journal_where();
 * a place that is not one (a bad boot id, no inode) is refused. */
static void test_where_recorded(void **state)
{
        static const struct where w = {
                .boot = "2db59aa0-45bd-499b-9e1f-42e1793ee5f4",
                .ns = { .dev = 4, .ino = 4026532175, .id = 4633 },
        };
        const struct journal_root given = { .path = "/srv/rootfs", .dev = 2049, .ino = 1234567 };
        struct fixture *f = *state;
        struct journal *j, *k;
        struct where got;
        char text[512] = "";
        ssize_t n;
        int fd;

        fake_where = &w;
        assert_int_equal(journal_create(f->dir, "cairn-abcdef", &given, &j), 0);
        fake_where = NULL;
        fd = open(f->path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        n = read(fd, text, sizeof text - 1);
        close(fd);
        assert_true(n > 0);
        assert_non_null(strstr(text, "\n3 where 2db59aa0-45bd-499b-9e1f-42e1793ee5f4 4633 4 4026532175\n"));
        assert_non_null(strstr(text, "0 session cairn-abcdef 5 "));
        journal_free(j);
        assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &k), 0);
        assert_true(journal_where(k, &got));
        assert_string_equal(got.boot, w.boot);
        assert_true(got.ns.dev == 4 && got.ns.ino == 4026532175 && got.ns.id == 4633);
        assert_int_equal(journal_remove(k), 0);

        /* None recorded: not known. */
        assert_int_equal(journal_create(f->dir, "cairn-abcdef", &given, &j), 0);
        assert_false(journal_where(j, &got));
        assert_int_equal(journal_remove(j), 0);

        static const char *const bad[] = {
                "0 session cairn-abcdef 5 0\n1 root /r/cairn-abcdef owned\n2 where nope 0 4 5\n",
                "0 session cairn-abcdef 5 0\n1 root /r/cairn-abcdef owned\n"
                "2 where 2db59aa0-45bd-499b-9e1f-42e1793ee5f4 0 4 0\n",
                "0 session cairn-abcdef 5 0\n1 root /r/cairn-abcdef owned\n"
                "2 where 2db59aa0-45bd-499b-9e1f-42e1793ee5f4 x 4 5\n",
                "0 session cairn-abcdef 5 0\n1 root /r/cairn-abcdef owned\n"
                "2 where 2db59aa0-45bd-499b-9e1f-42e1793ee5f4 0 4 5\n"
                "3 where 2db59aa0-45bd-499b-9e1f-42e1793ee5f4 0 4 5\n",
                "0 session cairn-abcdef 5 0\n1 root /r/cairn-abcdef owned\n2 handle 1:ab 1\n",
                "0 session cairn-abcdef 5 0\n1 root /r/cairn-abcdef owned\n2 mkdir /d 1 2\n"
                "3 handle 1:abc 2\n",
                "0 session cairn-abcdef 5 0\n1 root /r/cairn-abcdef owned\n2 mkdir /d 1 2\n"
                "3 handle x:ab 2\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                assert_true(fd >= 0);
                assert_true(write(fd, bad[i], strlen(bad[i])) == (ssize_t) strlen(bad[i]));
                close(fd);
                assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &k), -EBADMSG);
        }
        /* A handle of a directory cairn made is read. */
        {
                const char *good = "0 session cairn-abcdef 5 0\n1 root /r/cairn-abcdef owned\n"
                                   "2 mkdir /d 1 2\n3 handle 1:ab01 2\n";
                fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                assert_true(fd >= 0);
                assert_true(write(fd, good, strlen(good)) == (ssize_t) strlen(good));
                close(fd);
                assert_int_equal(journal_open(f->path, JOURNAL_WAIT, &k), 0);
                assert_int_equal(k->recs[3].type, J_HANDLE);
                assert_string_equal(k->recs[3].a, "1:ab01");
                assert_int_equal(k->recs[3].ref, 2);
                assert_int_equal(journal_remove(k), 0);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_exclusive_create, setup, teardown),
                cmocka_unit_test_setup_teardown(test_create_with_root, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mount_without_unique_id, setup, teardown),
                cmocka_unit_test_setup_teardown(test_newer_version, setup, teardown),
                cmocka_unit_test_setup_teardown(test_torn_last_record, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failed_write_cut_back, setup, teardown),
                cmocka_unit_test_setup_teardown(test_invalid_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_directory_of_a_name, setup, teardown),
                cmocka_unit_test_setup_teardown(test_garbage_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_numbers_only_as_written, setup, teardown),
                cmocka_unit_test_setup_teardown(test_untrusted_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lock_and_gone, setup, teardown),
                cmocka_unit_test_setup_teardown(test_notes_wait_for_the_next_append, setup, teardown),
                cmocka_unit_test_setup_teardown(test_notes_flush_when_many, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_writes_remove_drops, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sync_only_off_tmpfs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_where_recorded, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
