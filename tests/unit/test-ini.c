/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ini_file_load(): each file read once by iniparser, and cross-checked.
 *
 * iniparser_load() is wrapped at link time (-Wl,--wrap=iniparser_load):
 * the wrapper records what each call was given (the text of the file, the
 * sections and keys iniparser read from it), and can make iniparser
 * "read" something else (change a value, add or drop an entry), standing
 * in for a difference between iniparser and the scanner that cairn does
 * not know of.  fstat() is wrapped too, to make a file lie about its size.
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

/* ---- one read, iniparser's values ------------------------------------------ */

static void test_read_once(void **state)
{
        struct t *t = *state;

        /* The file as it is, in one call; the values handed out are
         * iniparser's own strings. */
        write_file(t, four_sections);
        assert_int_equal(load(t, NULL), 0);
        assert_int_equal(w.n_calls, 1);
        assert_call(0, four_sections, 4, 8);
        assert_string_equal(ini_file_value(t->f, "d", "k5"), "8");
        assert_ptr_equal(ini_file_value(t->f, "d", "k5"), iniparser_getstring(t->f->dict, "d:k5", NULL));
        assert_ptr_equal(ini_file_value(t->f, "a", "k1"), iniparser_getstring(t->f->dict, "a:k1", NULL));
        assert_null(ini_file_value(t->f, "d", "k6"));
        assert_null(ini_file_value(t->f, "e", "k1"));

        /* Comments, blank lines, CRLF and no final newline. */
        write_file(t, "[a]\nk1 = 1\n; about b\n\n[b]\r\nk1 = 2\r\n# x\r\nk2 = 3\r\nk3 = 4");
        assert_int_equal(load(t, NULL), 0);
        assert_int_equal(w.n_calls, 1);
        assert_string_equal(ini_file_value(t->f, "b", "k3"), "4");

        /* No section at all is still read (and must be read as empty). */
        write_file(t, "; nothing\n\n");
        assert_int_equal(load(t, NULL), 0);
        assert_int_equal(w.n_calls, 1);
        assert_call(0, "; nothing\n\n", 0, 0);
}

/* ---- what iniparser reads differently is refused --------------------------- */

static void test_value_differs(void **state)
{
        struct t *t = *state;

        write_file(t, four_sections);
        tamper(TAMPER_CHANGE, 0, "b:k1", "x");
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s:6: [b] k1: iniparser reads the value as \"x\", cairn's scanner as \"3\"; "
                              "refusing the ambiguous value");
        assert_null(t->f);

        tamper(TAMPER_CHANGE, 0, "d:k5", "");
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s:13: [d] k5: iniparser reads the value as \"\", cairn's scanner as \"8\"");
}

static void test_entries_differ(void **state)
{
        struct t *t = *state;

        write_file(t, four_sections);

        /* A key or a section the scanner did not read. */
        tamper(TAMPER_ADD, 1, "c:new", "1");
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s: iniparser read \"c:new\", which cairn's scanner did not; refusing the file");
        tamper(TAMPER_ADD, 1, "e", NULL);
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s: iniparser read \"e\", which cairn's scanner did not; refusing the file");

        /* One missing: the counts. */
        tamper(TAMPER_UNSET, 1, "d:k4", NULL);
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s: iniparser read 11 sections and keys, cairn's scanner 12; "
                              "refusing the file");
        tamper(TAMPER_UNSET, 1, "c", NULL);
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_logged_path(t, "%s: iniparser read 11 sections and keys, cairn's scanner 12; "
                              "refusing the file");
}

/* ---- settings only: iniparser reads no file without [cairn] ---------------- */

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

        /* A file with [cairn] is read whole, once: a difference elsewhere
         * is refused, as in a full load. */
        write_file(t, text);
        assert_int_equal(load(t, "cairn"), 0);
        assert_int_equal(w.n_calls, 1);
        assert_call(0, text, 3, 3);
        assert_string_equal(ini_file_value(t->f, "cairn", "state_dir"), "/run/x");
        assert_string_equal(ini_file_value(t->f, "proc", "target"), "/p");
        tamper(TAMPER_CHANGE, 0, "proc:target", "/elsewhere");
        assert_int_equal(load(t, "cairn"), -EINVAL);
        assert_logged_path(t, "%s:3: [proc] target: iniparser reads the value as \"/elsewhere\"");
        tamper(TAMPER_CHANGE, 0, "cairn:state_dir", "/run/y");
        assert_int_equal(load(t, "cairn"), -EINVAL);
        assert_logged_path(t, "%s:5: [cairn] state_dir: iniparser reads the value as \"/run/y\"");

        /* No [cairn]: nothing of the file will be used, and iniparser does
         * not read it; nothing is handed out. */
        write_file(t, "[proc]\ntarget = /p\n[kvm]\ndevice = /d\n");
        assert_int_equal(load(t, "cairn"), 0);
        assert_int_equal(w.n_calls, 0);
        assert_null(t->f->dict);
        assert_null(ini_file_value(t->f, "proc", "target"));
        assert_non_null(ini_scan_section(t->f->scan, "proc"));
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
        write_file(t, "[proc]\ntarget = /p\n[proc]\n");
        assert_int_equal(load(t, "cairn"), -EINVAL);
        assert_logged_path(t, "%s:3: [proc]: section appears twice in this file (first at line 1)");
        assert_int_equal(w.n_calls, 0);
}

static void test_settings_load(void **state)
{
        struct t *t = *state;
        _cleanup_free_ char *confdir = xasprintf("%s/conf.d", t->dir);
        _cleanup_free_ char *dropin = NULL, *other = NULL;
        static const char main_text[] =
                "[cairn]\nstate_dir = /run/x\nstack = proc\n[proc]\ntarget = /p\n";

        /* cfg_load_settings() (teardown, list, gc): a drop-in without
         * [cairn] is not iniparser's business (a difference there does not
         * stop a teardown); cfg_load() reads and refuses it. */
        assert_int_equal(mkdir(confdir, 0755), 0);
        dropin = scratch_file(confdir, "10-a.conf", "[x]\nsource = /s\n");
        other = scratch_file(confdir, "20-b.conf", "[cairn]\nroot_mode = 0700\n");
        write_file(t, main_text);
        tamper(TAMPER_CHANGE, 0, "x:source", "/elsewhere");
        assert_int_equal(cfg_load_settings(t->path, confdir, &t->cfg), 0);
        assert_string_equal(t->cfg->state_dir, "/run/x");
        assert_int_equal(t->cfg->root_mode, 0700);
        assert_int_equal(w.n_calls, 2);
        assert_call(0, main_text, 2, 3);
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
        assert_true(strstr(logs(), "20-b.conf:2: [cairn] root_mode: iniparser reads the value as \"0755\""));
}

/* ---- the size of one file: INI_MAX_ENTRIES --------------------------------- */

/* Sections b<from>.. b<to - 1> of 4 keys each (5 entries), like a drop-in
 * of binbind entries. */
static char *many_sections(size_t from, size_t to)
{
        char *text = NULL;
        size_t len;
        FILE *m = open_memstream(&text, &len);

        assert_non_null(m);
        for (size_t i = from; i < to; i++)
                fprintf(m, "[b%zu]\nplugin = binbind\nsource = /usr/bin/true\ntarget = /b%zu\n"
                           "readonly = no\n\n", i, i);
        fclose(m);
        return text;
}

static void test_entries_per_file(void **state)
{
        struct t *t = *state;
        _cleanup_free_ char *full = many_sections(0, INI_MAX_ENTRIES / 5);
        _cleanup_free_ char *over = xasprintf("%s[last]\nk = 1\nk2 = 2\nk3 = 3\nk4 = 4\nk5 = 5\n", full);
        _cleanup_free_ char *confdir = xasprintf("%s/conf.d", t->dir);
        _cleanup_free_ char *stack = NULL;
        unsigned line;

        /* 1020 entries, then a section of 5 keys: the 1025th entry (the
         * fifth key, line 6 of it) is one too many. */
        write_file(t, full);
        assert_int_equal(load(t, NULL), 0);
        assert_int_equal(w.n_calls, 1);
        assert_call(0, full, INI_MAX_ENTRIES / 5, INI_MAX_ENTRIES / 5 * 4);
        write_file(t, over);
        line = (unsigned) (INI_MAX_ENTRIES / 5 * 6 + 5);
        assert_int_equal(load(t, NULL), -EINVAL);
        assert_int_equal(w.n_calls, 0);
        {
                _cleanup_free_ char *expect = xasprintf(
                        "%s:%u: more than 1024 sections and keys in one file; put the rest in drop-in files",
                        t->path, line);
                assert_logged(expect);
        }

        /* A stack of 2000 entries in drop-ins of 200: one read a file. */
        assert_int_equal(mkdir(confdir, 0755), 0);
        for (size_t i = 0; i < 10; i++) {
                _cleanup_free_ char *name = xasprintf("%02zu.conf", i);
                _cleanup_free_ char *text = many_sections(200 * i, 200 * (i + 1));

                free(scratch_file(confdir, name, text));
        }
        write_file(t, "[cairn]\nstack =\n");
        calls_reset();
        assert_int_equal(cfg_load(t->path, confdir, NULL, &t->cfg), 0);
        assert_int_equal(w.n_calls, 11);
        assert_int_equal(t->cfg->n_entries, 2000);
        stack = strdup(cfg_entry_value(&t->cfg->entries[1999], "target"));
        assert_string_equal(stack, "/b1999");
}

/* ---- reading: sized from fstat(), whatever it says ------------------------- */

/* `len` bytes: a comment, blank lines, and "[e]" at the end (so that a
 * file read to its end has that section). */
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
        if (len >= 8)
                memcpy(buf + len - 5, "\n[e]\n", 5);
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
        _cleanup_free_ char *text = many_sections(0, 200);
        static const off_t lies[] = { -1, 0, 10, 4096, INI_FILE_MAX, 1 << 30 };

        /* Right, too small or too large: the file is read to its end. */
        write_file(t, text);
        for (size_t i = 0; i < ELEMENTSOF(lies); i++) {
                fake_size = lies[i];
                assert_int_equal(load(t, NULL), 0);
                assert_string_equal(ini_file_value(t->f, "b199", "target"), "/b199");
        }

        /* The limit is the bytes, not what fstat() says. */
        write_bytes(t, INI_FILE_MAX, ' ');
        fake_size = 10;
        assert_int_equal(load(t, NULL), 0);
        assert_non_null(ini_scan_section(t->f->scan, "e"));
        write_bytes(t, INI_FILE_MAX + 1, ' ');
        for (size_t i = 0; i < ELEMENTSOF(lies); i++) {
                fake_size = lies[i];
                assert_int_equal(load(t, NULL), -EINVAL);
                assert_logged_path(t, "%s: file is larger than 1048576 bytes");
        }
        write_bytes(t, 0, ' ');
        fake_size = 1 << 30;
        assert_int_equal(load(t, NULL), 0);
        assert_int_equal(t->f->scan->n_sections, 0);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
        static const struct CMUnitTest tests[] = {
                TEST(test_read_once),
                TEST(test_value_differs),
                TEST(test_entries_differ),
                TEST(test_only_one_section),
                TEST(test_only_still_scans_everything),
                TEST(test_settings_load),
                TEST(test_entries_per_file),
                TEST(test_read_sizes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
