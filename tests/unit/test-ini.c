/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ini_file_load(): how a file is given to iniparser, in pieces.
 *
 * iniparser_load() is wrapped at link time (-Wl,--wrap=iniparser_load):
 * the wrapper records what each call was given (the text of the piece,
 * the sections and keys iniparser read from it, the dictionary's size),
 * and can make iniparser "read" something else in one chosen call (change
 * a value, add or drop an entry), standing in for a difference between
 * iniparser and the scanner that cairn does not know of.  fstat() is
 * wrapped too, to make a file lie about its size.
 *
 * The scaling test counts work instead of timing it: whatever the size
 * of the file, no call may hand iniparser more than INI_PIECE_ENTRIES
 * entries (so that its dictionary never grows and each dictionary_set()
 * looks at no more than 128 slots), and the pieces together hold each
 * entry once, plus one copied header per piece at most.
 */
#include <fcntl.h>
#include <iniparser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/param.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

#include "cfg_value.h"
#include "config.h"
#include "ini_file.h"
#include "log.h"
#include "util.h"

/* ---- the wrapped iniparser_load() ---------------------------------------- */

#define MAX_CALLS 256

struct call {
        char *text; /* what iniparser was given */
        size_t n_sections, n_keys;
        ssize_t size; /* of its dictionary, once loaded */
};

enum tamper_op {
        TAMPER_NONE,
        TAMPER_CHANGE, /* in every call that read `key`, its value is `value` */
        TAMPER_ADD,    /* call number `call` (from 1) read `key` = `value` too */
        TAMPER_UNSET,  /* call number `call` did not read `key` */
};

static struct {
        struct call calls[MAX_CALLS];
        size_t n_calls;
        size_t total_entries;
} w;

/* For the next load only. */
static struct {
        enum tamper_op op;
        size_t call;
        const char *key, *value;
} tampering;

dictionary *__real_iniparser_load(const char *path);
dictionary *__wrap_iniparser_load(const char *path);

static char *slurp(const char *path)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = fopen(path, "re");
        FILE *m = open_memstream(&text, &len);
        int c;

        assert_non_null(f);
        assert_non_null(m);
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        return text;
}

dictionary *__wrap_iniparser_load(const char *path)
{
        dictionary *d;
        struct call *c;

        assert_true(w.n_calls < MAX_CALLS);
        c = &w.calls[w.n_calls++];
        c->text = slurp(path);
        d = __real_iniparser_load(path);
        if (!d)
                return NULL;
        c->size = d->size;
        for (ssize_t i = 0; i < d->size; i++)
                if (d->key[i]) {
                        w.total_entries++;
                        if (strchr(d->key[i], ':'))
                                c->n_keys++;
                        else
                                c->n_sections++;
                }
        if (tampering.op == TAMPER_CHANGE && iniparser_find_entry(d, tampering.key))
                assert_int_equal(dictionary_set(d, tampering.key, tampering.value), 0);
        if (tampering.op == TAMPER_ADD && tampering.call == w.n_calls)
                assert_int_equal(dictionary_set(d, tampering.key, tampering.value), 0);
        if (tampering.op == TAMPER_UNSET && tampering.call == w.n_calls)
                dictionary_unset(d, tampering.key);
        return d;
}

static void calls_reset(void)
{
        for (size_t i = 0; i < w.n_calls; i++)
                free(w.calls[i].text);
        memset(&w, 0, sizeof w);
}

static void tamper(enum tamper_op op, size_t call, const char *key, const char *value)
{
        tampering.op = op;
        tampering.call = call;
        tampering.key = key;
        tampering.value = value;
}

static void assert_call(size_t i, const char *text, size_t n_sections, size_t n_keys)
{
        assert_true(i < w.n_calls);
        assert_string_equal(w.calls[i].text, text);
        assert_int_equal(w.calls[i].n_sections, n_sections);
        assert_int_equal(w.calls[i].n_keys, n_keys);
}

/* ---- the wrapped fstat(): a file that lies about its size ----------------- */

static off_t fake_size = -1;

int __real_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st);

int __wrap_fstat(int fd, struct stat *st)
{
        int r = __real_fstat(fd, st);

        if (r == 0 && fake_size >= 0)
                st->st_size = fake_size;
        return r;
}

/* ---- fixture --------------------------------------------------------------- */

struct t {
        char *dir, *path;
        struct ini_file *f;
        struct cfg *cfg;
};

static int setup(void **state)
{
        struct t *t = calloc(1, sizeof(*t));

        assert_non_null(t);
        t->dir = scratch_dir();
        calls_reset();
        logs_capture();
        *state = t;
        return 0;
}

static int teardown(void **state)
{
        struct t *t = *state;

        ini_set_piece_entries(0);
        fake_size = -1;
        tamper(TAMPER_NONE, 0, NULL, NULL);
        calls_reset();
        logs_release();
        ini_file_free(t->f);
        cfg_free(t->cfg);
        scratch_remove(t->dir);
        free(t->dir);
        free(t->path);
        free(t);
        return 0;
}

static void write_file(struct t *t, const char *text)
{
        free(t->path);
        t->path = scratch_file(t->dir, "test.conf", text);
}

/* Load t->path afresh, with the tampering set up for it (if any). */
static int load(struct t *t, const char *only)
{
        int r;

        ini_file_free(t->f);
        t->f = NULL;
        calls_reset();
        r = ini_file_load(t->path, only, &t->f);
        tamper(TAMPER_NONE, 0, NULL, NULL);
        if (r < 0)
                assert_null(t->f);
        return r;
}

/* Assert that the log holds `fmt`, with the file's path for its "%s". */
#define assert_logged_path(t, fmt)                                             \
        do {                                                                   \
                _cleanup_free_ char *_expect = xasprintf(fmt, (t)->path);      \
                assert_logged(_expect);                                        \
        } while (0)

/* Sections a, b, c, d: 12 entries (sections and keys), lines 1-13. */
static const char four_sections[] =
        "; head\n"      /* 1 */
        "[a]\n"         /* 2 */
        "k1 = 1\n"      /* 3 */
        "k2 = 2\n"      /* 4 */
        "[b]\n"         /* 5 */
        "k1 = 3\n"      /* 6 */
        "[c]\n"         /* 7 */
        "[d]\n"         /* 8 */
        "k1 = 4\n"      /* 9 */
        "k2 = 5\n"      /* 10 */
        "k3 = 6\n"      /* 11 */
        "k4 = 7\n"      /* 12 */
        "k5 = 8\n";     /* 13 */

/* ---- where the cuts are ---------------------------------------------------- */

static void test_one_piece(void **state)
{
        struct t *t = *state;

        /* A file that fits is read whole, as it is: one call. */
        write_file(t, four_sections);
        assert_int_equal(load(t, NULL), 0);
        assert_int_equal(w.n_calls, 1);
        assert_call(0, four_sections, 4, 8);
        assert_string_equal(ini_file_value(t->f, "d", "k5"), "8");

        /* Exactly one piece's worth of entries: still one call. */
        ini_set_piece_entries(12);
        assert_int_equal(load(t, NULL), 0);
        assert_int_equal(w.n_calls, 1);
        assert_call(0, four_sections, 4, 8);

        /* No section at all is still read (and must be read as empty). */
        write_file(t, "; nothing\n\n");
        assert_int_equal(load(t, NULL), 0);
        assert_int_equal(w.n_calls, 1);
        assert_call(0, "; nothing\n\n", 0, 0);
}

static void test_pieces_cut_at_headers(void **state)
{
        struct t *t = *state;

        /* Four entries a piece: a piece that starts inside a section starts
         * with a copy of its header, which takes one of the four. */
        ini_set_piece_entries(4);
        write_file(t, four_sections);
        assert_int_equal(load(t, NULL), 0);
        assert_int_equal(w.n_calls, 4);
        assert_call(0, "; head\n[a]\nk1 = 1\nk2 = 2\n[b]\n", 2, 2);
        assert_call(1, "[b]\nk1 = 3\n[c]\n[d]\n", 3, 1);
        assert_call(2, "[d]\nk1 = 4\nk2 = 5\nk3 = 6\n", 1, 3);
        assert_call(3, "[d]\nk4 = 7\nk5 = 8\n", 1, 2);
        assert_string_equal(ini_file_value(t->f, "a", "k2"), "2");
        assert_string_equal(ini_file_value(t->f, "b", "k1"), "3");
        assert_string_equal(ini_file_value(t->f, "d", "k1"), "4");
        assert_string_equal(ini_file_value(t->f, "d", "k5"), "8");

        /* Comments and blank lines go with the entry before them; a header
         * line is copied as written; CRLF and no final newline. */
        write_file(t, "[a]\nk1 = 1\n; about b\n\n[b]\r\nk1 = 2\r\n# x\r\nk2 = 3\r\nk3 = 4");
        assert_int_equal(load(t, NULL), 0);
        assert_int_equal(w.n_calls, 2);
        assert_call(0, "[a]\nk1 = 1\n; about b\n\n[b]\r\nk1 = 2\r\n# x\r\n", 2, 2);
        assert_call(1, "[b]\r\nk2 = 3\r\nk3 = 4", 1, 2);
        assert_string_equal(ini_file_value(t->f, "b", "k3"), "4");
}

static void test_big_section_split(void **state)
{
        struct t *t = *state;
        _cleanup_free_ char *text = NULL;
        char *p;
        size_t len;
        FILE *m = open_memstream(&text, &len);

        /* One section of 1000 keys: 1001 entries, 128 in the first piece,
         * 127 keys and the copied header in each of the 7 others. */
        assert_non_null(m);
        fputs("[big]\n", m);
        for (int i = 0; i < 1000; i++)
                fprintf(m, "k%d = v%d\n", i, i);
        fclose(m);
        write_file(t, text);
        assert_int_equal(load(t, NULL), 0);
        assert_int_equal(w.n_calls, 8);
        for (size_t i = 0; i < w.n_calls; i++) {
                assert_true(strncmp(w.calls[i].text, "[big]\nk", 7) == 0);
                assert_int_equal(w.calls[i].n_sections, 1);
                assert_int_equal(w.calls[i].n_keys, i < 7 ? 127 : 1000 - 7 * 127);
                assert_int_equal(w.calls[i].size, 128);
        }
        p = strstr(w.calls[1].text, "\n");
        assert_true(strncmp(p, "\nk127 = v127\n", 13) == 0);
        assert_string_equal(ini_file_value(t->f, "big", "k999"), "v999");

        /* A value read differently in the last piece is refused there. */
        tamper(TAMPER_CHANGE, 0, "big:k999", "other");
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s:1001: [big] k999: iniparser reads the value as \"other\", "
                              "cairn's scanner as \"v999\"; refusing the ambiguous value");
}

/* ---- each piece as strict as a whole file ---------------------------------- */

static void test_value_differs_in_a_later_piece(void **state)
{
        struct t *t = *state;

        ini_set_piece_entries(4);
        write_file(t, four_sections);

        /* In the second piece, and in the last. */
        tamper(TAMPER_CHANGE, 0, "b:k1", "x");
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s:6: [b] k1: iniparser reads the value as \"x\", cairn's scanner as \"3\"");
        assert_null(t->f);

        tamper(TAMPER_CHANGE, 0, "d:k5", "");
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s:13: [d] k5: iniparser reads the value as \"\", cairn's scanner as \"8\"");

        /* The same, read as one piece: the same message. */
        ini_set_piece_entries(0);
        tamper(TAMPER_CHANGE, 0, "d:k5", "");
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s:13: [d] k5: iniparser reads the value as \"\", cairn's scanner as \"8\"");
}

static void test_entries_of_another_piece(void **state)
{
        struct t *t = *state;

        ini_set_piece_entries(4);
        write_file(t, four_sections);

        /* A key the scanner read, but in another piece than this one. */
        tamper(TAMPER_ADD, 3, "d:k5", "8");
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s:8: [d] k5: iniparser read a key that cairn's scanner did not in "
                              "lines 9-11; refusing the file");

        /* A section of another piece. */
        tamper(TAMPER_ADD, 3, "a", NULL);
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s: iniparser read a section [a] that cairn's scanner did not in "
                              "lines 9-11; refusing the file");

        /* A key that is nowhere. */
        tamper(TAMPER_ADD, 2, "c:new", "1");
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s:7: [c] new: iniparser read a key that cairn's scanner did not in "
                              "lines 6-8");

        /* One missing: the counts of that piece. */
        tamper(TAMPER_UNSET, 4, "d:k4", NULL);
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s: iniparser read 1 sections and 1 keys, cairn's scanner 1 and 2 in "
                              "lines 12-13; refusing the file");
        tamper(TAMPER_UNSET, 2, "c", NULL);
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s: iniparser read 2 sections and 1 keys, cairn's scanner 3 and 1 in "
                              "lines 6-8; refusing the file");

        /* A whole file: the message names no lines, as before. */
        ini_set_piece_entries(0);
        tamper(TAMPER_UNSET, 1, "c", NULL);
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s: iniparser read 3 sections and 8 keys, cairn's scanner 4 and 8; "
                              "refusing the file");
}

/* ---- settings only: iniparser reads [cairn] and nothing else --------------- */

static void test_only_one_section(void **state)
{
        struct t *t = *state;
        static const char text[] =
                "# main\n"
                "[proc]\n"
                "target = /p\n"
                "[cairn]\n"
                "state_dir = /run/x\n"
                "; end of cairn\n"
                "[kvm]\n"
                "device = /dev/kvm\n";

        /* Pieces of 3: a file of more entries than fit in one. */
        ini_set_piece_entries(3);
        write_file(t, text);
        assert_int_equal(load(t, "cairn"), 0);
        assert_int_equal(w.n_calls, 1);
        assert_call(0, "[cairn]\nstate_dir = /run/x\n; end of cairn\n", 1, 1);
        assert_string_equal(ini_file_value(t->f, "cairn", "state_dir"), "/run/x");
        /* Never handed out: iniparser did not read it. */
        assert_null(ini_file_value(t->f, "proc", "target"));
        assert_false(ini_scan_section(t->f->scan, "proc")->checked);

        /* What iniparser would read differently elsewhere does not matter... */
        tamper(TAMPER_CHANGE, 0, "proc:target", "/elsewhere");
        assert_int_equal(load(t, "cairn"), 0);
        assert_string_equal(ini_file_value(t->f, "cairn", "state_dir"), "/run/x");
        /* ...but it does in [cairn], and in a full load. */
        tamper(TAMPER_CHANGE, 0, "cairn:state_dir", "/run/y");
        assert_int_equal(load(t, "cairn"), -EINVAL);
        assert_logged_path(t, "%s:5: [cairn] state_dir: iniparser reads the value as \"/run/y\"");
        tamper(TAMPER_CHANGE, 0, "proc:target", "/elsewhere");
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s:3: [proc] target: iniparser reads the value as \"/elsewhere\"");

        /* No [cairn]: iniparser has nothing to read. */
        write_file(t, "[proc]\ntarget = /p\n[kvm]\ndevice = /d\n");
        assert_int_equal(load(t, "cairn"), 0);
        assert_int_equal(w.n_calls, 0);
        assert_null(ini_file_value(t->f, "proc", "target"));

        /* Only [cairn]: the file, read whole. */
        write_file(t, "[cairn]\nstate_dir = /run/x\n");
        assert_int_equal(load(t, "cairn"), 0);
        assert_int_equal(w.n_calls, 1);
        assert_call(0, "[cairn]\nstate_dir = /run/x\n", 1, 1);

        /* A file that fits in one piece (the usual main file) is read
         * whole, through its open file, with no copy to a memfd; so a
         * difference elsewhere is refused, as in a full load. */
        ini_set_piece_entries(0);
        write_file(t, text);
        assert_int_equal(load(t, "cairn"), 0);
        assert_int_equal(w.n_calls, 1);
        assert_call(0, text, 3, 3);
        assert_string_equal(ini_file_value(t->f, "proc", "target"), "/p");
        tamper(TAMPER_CHANGE, 0, "proc:target", "/elsewhere");
        assert_int_equal(load(t, "cairn"), -EINVAL);
        assert_logged_path(t, "%s:3: [proc] target: iniparser reads the value as \"/elsewhere\"");
}

static void test_only_still_scans_everything(void **state)
{
        struct t *t = *state;

        /* The scanner's refusals hold in sections iniparser does not read. */
        write_file(t, "[cairn]\nstate_dir = /run/x\n[proc]\ntarget = /a\\\n");
        assert_int_equal(load(t, "cairn"), -EINVAL);
        assert_logged_path(t, "%s:4: line ends with \"\\\": continuation lines are not supported");
        write_file(t, "[cairn]\nstate_dir = /run/x\n[proc]\nTarget = /a\n");
        assert_int_equal(load(t, "cairn"), -EINVAL);
        assert_logged_path(t, "%s:4: [proc]: key name \"Target\" must be lowercase");
        write_file(t, "[cairn]\nstate_dir = /run/x\n[proc]\n[proc]\n");
        assert_int_equal(load(t, "cairn"), -EINVAL);
        assert_logged_path(t, "%s:4: [proc]: section appears twice in this file (first at line 3)");
        assert_int_equal(w.n_calls, 0);
}

static void test_settings_load(void **state)
{
        struct t *t = *state;
        _cleanup_free_ char *confdir = xasprintf("%s/conf.d", t->dir);
        _cleanup_free_ char *dropin = NULL;
        static const char main_text[] =
                "[cairn]\nstate_dir = /run/x\nstack = proc\n[proc]\ntarget = /p\n";

        /* cfg_load_settings() (teardown, list, gc) has iniparser read the
         * [cairn] sections only (of files bigger than a piece: pieces of 3
         * here): a difference in another section is not its business, and
         * teardown still works; cfg_load() refuses it. */
        ini_set_piece_entries(3);
        assert_int_equal(mkdir(confdir, 0755), 0);
        dropin = scratch_file(confdir, "10-a.conf", "[x]\nsource = /s\n[cairn]\nroot_mode = 0700\n");
        write_file(t, main_text);
        tamper(TAMPER_CHANGE, 0, "x:source", "/elsewhere");
        assert_int_equal(cfg_load_settings(t->path, confdir, &t->cfg), 0);
        assert_string_equal(t->cfg->state_dir, "/run/x");
        assert_int_equal(t->cfg->root_mode, 0700);
        assert_int_equal(w.n_calls, 2);
        assert_call(0, "[cairn]\nstate_dir = /run/x\nstack = proc\n", 1, 2);
        assert_call(1, "[cairn]\nroot_mode = 0700\n", 1, 1);
        cfg_free(t->cfg);
        t->cfg = NULL;

        calls_reset();
        tamper(TAMPER_CHANGE, 0, "x:source", "/elsewhere");
        assert_int_equal(cfg_load(t->path, confdir, NULL, &t->cfg), -EINVAL);
        assert_true(strstr(logs(), "10-a.conf:2: [x] source: iniparser reads the value as \"/elsewhere\""));

        calls_reset();
        tamper(TAMPER_CHANGE, 0, "cairn:root_mode", "0755");
        assert_int_equal(cfg_load_settings(t->path, confdir, &t->cfg), -EINVAL);
        assert_true(strstr(logs(), "10-a.conf:4: [cairn] root_mode: iniparser reads the value as \"0755\""));
}

/* ---- scaling: bounded work per iniparser call ------------------------------ */

/* n sections of 4 keys, like a drop-in of binbind entries; [cairn] last
 * if `cairn`. */
static char *many_sections(size_t n, bool cairn)
{
        char *text = NULL;
        size_t len;
        FILE *m = open_memstream(&text, &len);

        assert_non_null(m);
        for (size_t i = 0; i < n; i++)
                fprintf(m, "[b%zu]\nplugin = binbind\nsource = /usr/bin/true\ntarget = /b%zu\n"
                           "readonly = no\n\n", i, i);
        if (cairn)
                fputs("[cairn]\nstate_dir = /run/x\n", m);
        fclose(m);
        return text;
}

static void test_scaling(void **state)
{
        struct t *t = *state;
        _cleanup_free_ char *text = many_sections(2000, true);
        size_t entries = 2000 * 5 + 2, max = 0;

        /* Every call gets at most INI_PIECE_ENTRIES entries, its dictionary
         * never grows past iniparser's first 128 slots, and every entry is
         * given once (plus a copied header in a piece at most). */
        write_file(t, text);
        assert_int_equal(load(t, NULL), 0);
        for (size_t i = 0; i < w.n_calls; i++) {
                size_t n = w.calls[i].n_sections + w.calls[i].n_keys;

                assert_true(n <= INI_PIECE_ENTRIES);
                assert_int_equal(w.calls[i].size, 128);
                max = MAX(max, n);
        }
        assert_int_equal(max, INI_PIECE_ENTRIES);
        assert_true(w.total_entries >= entries);
        assert_true(w.total_entries <= entries + w.n_calls);
        assert_true(w.n_calls <= entries / (INI_PIECE_ENTRIES - 1) + 1);
        assert_string_equal(ini_file_value(t->f, "b1999", "target"), "/b1999");

        /* Settings only: one call, for [cairn]. */
        assert_int_equal(load(t, "cairn"), 0);
        assert_int_equal(w.n_calls, 1);
        assert_call(0, "[cairn]\nstate_dir = /run/x\n", 1, 1);
}

/* ---- reading: sized from fstat(), whatever it says ------------------------- */

static void write_bytes(struct t *t, size_t len, char fill)
{
        _cleanup_free_ char *buf = malloc(len);
        int fd;

        assert_non_null(buf);
        memset(buf, fill, len);
        for (size_t i = 79; i < len; i += 80)
                buf[i] = '\n';
        if (len > 0)
                buf[0] = ';';
        free(t->path);
        t->path = xasprintf("%s/bytes.conf", t->dir);
        fd = open(t->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, buf, len), 0);
        assert_int_equal(close(fd), 0);
}

static void test_read_sizes(void **state)
{
        struct t *t = *state;
        _cleanup_free_ char *text = many_sections(1000, false);
        static const off_t lies[] = { -1, 0, 10, 4096, INI_FILE_MAX, 1 << 30 };

        /* Right, too small or too large: the file is read to its end. */
        write_file(t, text);
        for (size_t i = 0; i < ELEMENTSOF(lies); i++) {
                fake_size = lies[i];
                assert_int_equal(load(t, NULL), 0);
                assert_int_equal(t->f->scan->len, strlen(text));
                assert_string_equal(ini_file_value(t->f, "b999", "target"), "/b999");
        }

        /* The limit is the bytes, not what fstat() says. */
        write_bytes(t, INI_FILE_MAX, ' ');
        fake_size = 10;
        assert_int_equal(load(t, NULL), 0);
        assert_int_equal(t->f->scan->len, INI_FILE_MAX);
        write_bytes(t, INI_FILE_MAX + 1, ' ');
        for (size_t i = 0; i < ELEMENTSOF(lies); i++) {
                fake_size = lies[i];
                assert_int_equal(load(t, NULL), -EINVAL);
                assert_logged_path(t, "%s: file is larger than 1048576 bytes");
        }
        write_bytes(t, 0, ' ');
        fake_size = 1 << 30;
        assert_int_equal(load(t, NULL), 0);
        assert_int_equal(t->f->scan->len, 0);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
        static const struct CMUnitTest tests[] = {
                TEST(test_one_piece),
                TEST(test_pieces_cut_at_headers),
                TEST(test_big_section_split),
                TEST(test_value_differs_in_a_later_piece),
                TEST(test_entries_of_another_piece),
                TEST(test_only_one_section),
                TEST(test_only_still_scans_everything),
                TEST(test_settings_load),
                TEST(test_scaling),
                TEST(test_read_sizes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
