/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the journal reader, and what list, gc and teardown
 * read from a journal once it is accepted.
 *
 * One input is the whole text of a journal, written to
 * TMPDIR/fuzz-cairn-journal.XXXXXX/cairn-fuzzed.journal (mode 0600) and
 * read as cairn reads one: journal_open() without a lock (list), then
 * with one (teardown and gc: a torn last record is cut off), the head
 * reader (the lookups by root), session_info_from_journal() (list, gc)
 * and journal_root().  Nothing is mounted or removed: the undo itself
 * acts on the system and is not run here.
 *
 * Oracles besides the sanitizers (abort() on violation):
 *   - a refused journal logged at least one error (named, never silent);
 *   - an accepted one holds what the reader promises the steps after it:
 *     a session record with a valid id first, the root second with an
 *     absolute path and owned/given, increasing record numbers, every
 *     "undone" and "mounted" referring to a record that exists, every
 *     path of a mount point normalized, inside the root and not "/";
 *   - read with and without the lock, the same records; after the locked
 *     read the file holds only whole records, so a record appended then
 *     is read back after all the others (the torn-record defect);
 *   - the head reader agrees with the full reader on the id and the root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "sessions.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], path[320];
static unsigned n_errors;

static void count_sink(int level, const char *msg, void *userdata)
{
        (void) msg;
        (void) userdata;
        if (level <= CAIRN_LOG_ERR)
                n_errors++;
}

static void die(const char *what)
{
        perror(what);
        abort();
}

static void cleanup(void)
{
        unlink(path);
        rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        const char *tmp = getenv("TMPDIR");

        (void) argc;
        (void) argv;
        snprintf(dir, sizeof dir, "%s/fuzz-cairn-journal.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir))
                die("mkdtemp");
        snprintf(path, sizeof path, "%s/cairn-fuzzed.journal", dir);
        atexit(cleanup);
        log_set_level(CAIRN_LOG_DEBUG);
        log_set_sink(count_sink, NULL);
        return 0;
}

static void write_journal(const uint8_t *p, size_t n)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd < 0)
                die(path);
        if (write_all(fd, p, n) < 0)
                die("write");
        close(fd);
}

static void fail(const char *what)
{
        fprintf(stderr, "oracle: %s\n", what);
        abort();
}

/* What the reader promises of an accepted journal. */
static void check_accepted(const struct journal *j)
{
        if (j->n_recs < 2 || j->recs[0].type != J_SESSION || !session_id_is_valid(j->recs[0].a) ||
            !j->id || !streq(j->id, j->recs[0].a))
                fail("accepted without a valid session record first");
        if (j->recs[1].type != J_ROOT || !j->recs[1].a || j->recs[1].a[0] != '/' || !j->recs[1].b ||
            (!streq(j->recs[1].b, "owned") && !streq(j->recs[1].b, "given")))
                fail("accepted without a root record second");
        for (size_t i = 0; i < j->n_recs; i++) {
                const struct jrec *r = &j->recs[i];

                if (i > 0 && r->seq <= j->recs[i - 1].seq)
                        fail("accepted record numbers that do not increase");
                if (i > 1 && (r->type == J_SESSION || r->type == J_ROOT))
                        fail("accepted a second session or root record");
                if ((r->type == J_UNDONE || r->type == J_MOUNTED) && !journal_find(j, r->ref))
                        fail("accepted a reference to no record");
                if ((r->type == J_MKDIR || r->type == J_CREATE || r->type == J_MOUNT) &&
                    (!r->a || !path_is_normalized_absolute(r->a) || streq(r->a, "/")))
                        fail("accepted a mount point not inside the root");
                if ((r->type == J_ENTRY || r->type == J_SKIP || r->type == J_END) && !name_is_valid(r->a))
                        fail("accepted a bad entry name");
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct journal *j = NULL, *k = NULL;
        struct session_info si;
        struct journal_root jr;
        struct journal_head h;
        struct stat st;
        size_t n_peek;
        int r;

        write_journal(data, size);

        n_errors = 0;
        r = journal_open(path, JOURNAL_PEEK, &j);
        if (r < 0) {
                if (n_errors == 0 && r != -ENOMEM)
                        fail("a journal refused without an error logged");
                /* Refused without a lock: refused with one too. */
                if (journal_open(path, JOURNAL_WAIT, &k) == 0)
                        fail("refused without the lock, accepted with it");
                return 0;
        }
        check_accepted(j);
        n_peek = j->n_recs;
        if (session_info_from_journal(j, false, &si) == 0)
                session_info_clear(&si);
        journal_root(j, &jr);
        if (!jr.path || !streq(jr.path, j->recs[1].a))
                fail("journal_root() is not the root record");
        if (journal_head_read(path, &h) == 0) {
                if (!streq(h.id, j->id) || !streq(h.root, j->recs[1].a) || h.owned != jr.owned)
                        fail("the head reader disagrees with the reader");
                if (h.ino && (h.ino != jr.ino || h.dev != jr.dev))
                        fail("the head reader's root identity is not the reader's");
                journal_head_clear(&h);
        }
        journal_free(j);

        /* Locked, as teardown and gc open it: the same records, and the
         * file cut to whole ones, so an append is read back last. */
        if (journal_open(path, JOURNAL_WAIT, &k) < 0)
                fail("accepted without the lock, refused with it");
        if (k->n_recs != n_peek)
                fail("a different number of records with the lock");
        if (fstat(k->fd, &st) < 0)
                die("fstat");
        if ((size_t) st.st_size != k->size)
                fail("the locked reader left a torn record in the file");
        if (journal_append(k, J_TEARDOWN, NULL, NULL, 0, 0, NULL) < 0)
                fail("cannot append");
        journal_free(k);
        k = NULL;
        if (journal_open(path, JOURNAL_PEEK, &k) < 0)
                fail("unreadable after an append");
        if (k->n_recs != n_peek + 1 || k->recs[k->n_recs - 1].type != J_TEARDOWN)
                fail("the appended record is not read back last");
        journal_free(k);
        return 0;
}
