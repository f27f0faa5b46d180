/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a config file: trust_open_real(), the scanner, then iniparser, in
 * pieces, and the cross-check (see ini_file.h).
 */
#include <iniparser.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/param.h>
#include <sys/stat.h>

#include "cfg_place.h"
#include "ini_file.h"
#include "log.h"
#include "trust.h"
#include "util.h"

static const char *strna(const char *s)
{
        return s ? s : "(null)";
}

/* iniparser reports errors through a printf-like callback (stderr by
 * default); keep the first message so that it is logged like ours. */
static char iniparser_msg[256];

__attribute__((format(printf, 1, 2))) static int iniparser_error(const char *fmt, ...)
{
        va_list ap;
        int r;

        if (iniparser_msg[0])
                return 0;
        va_start(ap, fmt);
        r = vsnprintf(iniparser_msg, sizeof iniparser_msg, fmt, ap);
        va_end(ap);
        for (char *c = iniparser_msg; *c; c++)
                if (*c == '\n')
                        *c = ' ';
        return r;
}

static int read_fd(int fd, const char *path, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, size;
        struct stat st;

        /* st_size is only a hint (the file may have grown since): the
         * buffer has one byte more, so that the read that finds the end
         * fits, and grows if the file is longer, up to one byte more than
         * the limit, to tell "too large" from "full". */
        if (fstat(fd, &st) < 0)
                return log_errno(negative_errno(), "%s: stat", path);
        size = (size_t) MIN(MAX(st.st_size, 0), INI_FILE_MAX) + 1;
        buf = malloc(size);
        if (!buf)
                return log_errno(-ENOMEM, "%s", path);
        for (;;) {
                ssize_t n;

                if (len == size) {
                        size_t grown = MIN(2 * size, (size_t) INI_FILE_MAX + 1);
                        char *p;

                        if (size > INI_FILE_MAX)
                                break;
                        p = realloc(buf, grown);
                        if (!p)
                                return log_errno(-ENOMEM, "%s", path);
                        buf = p;
                        size = grown;
                }
                n = pread(fd, buf + len, size - len, (off_t) len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_errno(negative_errno(), "%s: read", path);
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                /* All that fstat() said, and room left: the end (a file
                 * on a local filesystem is not read short but at its end),
                 * without one more read to be told so. */
                if (len == (size_t) MAX(st.st_size, 0) && len < size)
                        break;
        }
        if (len > INI_FILE_MAX) {
                log_error("%s: file is larger than %d bytes", path, INI_FILE_MAX);
                return -EINVAL;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/*
 * Cross-checking in pieces.
 *
 * iniparser 4.1's dictionary_set() compares the new key with every slot of
 * the dictionary (128 at first, doubled when full), so one iniparser_load()
 * of n sections and keys costs O(n^2).  So iniparser is given the file in
 * pieces of at most piece_entries entries, each a fresh dictionary of 128
 * slots that never grows, and each piece is cross-checked on its own.
 *
 * Why a piece that starts at a section header is read exactly as the same
 * lines are read inside the whole file: from one line to the next,
 * iniparser_load() carries only
 *   - `section`, the name of the last header, under which key lines are
 *     filed ("section:key");
 *   - `last`, the length of a line ending in "\", which the next fgets()
 *     appends to;
 *   - the dictionary, and `lineno` and `errs` (messages and failure);
 * and it reads with fgets() into a buffer of 1024 bytes.  Every line the
 * scanner accepts is shorter than 1023 bytes with its newline (fgets()
 * returns whole lines), holds no NUL (which would end it early for
 * strlen()) and does not end in "\" (`last` is 0 at every line start), and
 * no key comes before the first header (iniparser would file it under "").
 * A header line then sets `section` afresh, so at a header the state is
 * the same whether iniparser started at the top of the file or at that
 * line.  The same holds at any key line, given the section's header line
 * first: that is how a section with more keys than a piece holds is split,
 * its header line repeated at the start of the next piece.
 *
 * What does differ, and is accounted for: each piece is its own dictionary,
 * so a section split over two pieces is in both (iniparser would merge two
 * headers of one section; the scanner refuses those in a file, so no
 * merge is hidden by the cut); and the line numbers in iniparser's own
 * messages count from the start of the piece.  The first piece begins at
 * byte 0, so the comments before the first header are read too.
 *
 * A file that fits in one piece is read as it was before, through the
 * open descriptor; pieces are written to one memfd, rewritten for each.
 */
static size_t piece_entries = INI_PIECE_ENTRIES;

void ini_set_piece_entries(size_t n)
{
        /* A piece that repeats a header needs room for a key after it. */
        piece_entries = n == 0 ? INI_PIECE_ENTRIES : n < 2 ? 2 : n;
}

/* A place in the sequence of entries iniparser stores: section s's header
 * (k == 0) or its key k-1.  After a section's last key comes (s+1, 0);
 * (n_sections, 0) is the end of the file. */
struct pos {
        size_t s, k;
};

static bool pos_before(struct pos a, struct pos b)
{
        return a.s < b.s || (a.s == b.s && a.k < b.k);
}

/* `p` moved on by up to n entries, not past `end`. */
static struct pos pos_advance(const struct ini_scan *s, struct pos p, size_t n, struct pos end)
{
        while (n > 0 && pos_before(p, end)) {
                size_t left = s->sections[p.s].n_keys + 1 - p.k;

                if (n < left) {
                        p.k += n;
                        break;
                }
                n -= left;
                p = (struct pos) { p.s + 1, 0 };
        }
        return pos_before(end, p) ? end : p;
}

/* Where the line of the entry at `p` starts in the file. */
static size_t pos_offset(const struct ini_scan *s, struct pos p)
{
        if (p.s >= s->n_sections)
                return s->len;
        if (p.k > 0)
                return s->sections[p.s].keys[p.k - 1].offset;
        return p.s == 0 ? 0 : s->sections[p.s].offset;
}

static unsigned pos_line(const struct ini_scan *s, struct pos p)
{
        if (p.s >= s->n_sections)
                return s->n_lines + 1;
        if (p.k > 0)
                return s->sections[p.s].keys[p.k - 1].line;
        return p.s == 0 ? 1 : s->sections[p.s].line;
}

/* One file being cross-checked. */
struct check {
        const struct ini_scan *scan;
        const char *buf; /* the bytes the scanner read */
        const char *path;
        const char *real; /* the walked path (trust.h), for a file that is one piece */
        int memfd;       /* for pieces; -1 until the first */
};

/* Does the piece [from, to) hold section i (its header, or a copy of it)? */
static bool piece_has_section(struct pos from, struct pos to, size_t i)
{
        return i >= from.s && (i < to.s || (i == to.s && to.k > 0));
}

/* The number of keys the scanner read in the piece [from, to). */
static size_t piece_keys(const struct ini_scan *s, struct pos from, struct pos to)
{
        size_t n = 0;

        for (size_t i = from.s; i <= to.s && i < s->n_sections; i++) {
                size_t lo = i == from.s && from.k > 0 ? from.k - 1 : 0;
                size_t hi = i < to.s ? s->sections[i].n_keys : to.k > 0 ? to.k - 1 : 0;

                n += hi - lo;
        }
        return n;
}

/* iniparser must have read exactly what the scanner did in the piece
 * [from, to): the same sections, the same keys, the same values.  One pass
 * over iniparser's dictionary, each entry looked up in the scanner's
 * indexes.  `where` names the piece in messages ("" for a whole file). */
static int cross_check(const struct ini_scan *s, const dictionary *d, struct pos from, struct pos to,
                       const char *path, const char *where)
{
        size_t n_sections = 0, n_keys = 0, want_sections, want_keys;

        for (ssize_t i = 0; i < d->size; i++) {
                const char *full = d->key[i], *colon, *v = d->val[i];
                _cleanup_free_ char *sname = NULL;
                const struct ini_section *sec;
                const struct ini_key *key;
                size_t si;

                if (!full)
                        continue;
                colon = strchr(full, ':');
                sname = colon ? strndup(full, (size_t) (colon - full)) : strdup(full);
                if (!sname)
                        return log_errno(-ENOMEM, "%s", path);
                sec = ini_scan_section(s, sname);
                si = sec ? (size_t) (sec - s->sections) : 0;
                if (!sec || !piece_has_section(from, to, si)) {
                        log_error("%s: iniparser read a section [%s] that cairn's scanner did not%s; "
                                  "refusing the file", path, sname, where);
                        return -EINVAL;
                }
                if (!colon) {
                        n_sections++;
                        continue;
                }
                n_keys++;
                key = ini_scan_key(s, sec, colon + 1);
                if (!key || pos_before((struct pos) { si, (size_t) (key - sec->keys) + 1 }, from) ||
                    !pos_before((struct pos) { si, (size_t) (key - sec->keys) + 1 }, to))
                        return cfg_error(&(struct cfg_place) { path, sec->line, sec->name, colon + 1 },
                                         "iniparser read a key that cairn's scanner did not%s; "
                                         "refusing the file", where);
                if (!v || !streq(v, key->value))
                        return cfg_error(&(struct cfg_place) { path, key->line, sec->name, colon + 1 },
                                         "iniparser reads the value as \"%s\", cairn's scanner "
                                         "as \"%s\"; refusing the ambiguous value",
                                         strna(v), key->value);
        }
        want_sections = to.s - from.s + (to.k > 0 ? 1 : 0);
        want_keys = piece_keys(s, from, to);
        if (n_sections != want_sections || n_keys != want_keys) {
                log_error("%s: iniparser read %zu sections and %zu keys, cairn's scanner %zu and %zu%s; "
                          "refusing the file", path, n_sections, n_keys, want_sections, want_keys, where);
                return -EINVAL;
        }
        return 0;
}

static int pwrite_all(int fd, const char *buf, size_t len, size_t offset)
{
        while (len > 0) {
                ssize_t n = pwrite(fd, buf, len, (off_t) offset);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                buf += n;
                len -= (size_t) n;
                offset += (size_t) n;
        }
        return 0;
}

/* Put the piece [from, to) in the memfd: the bytes from its first entry's
 * line to its last entry's, after a copy of the section's header line if
 * it starts inside a section. */
static int piece_write(struct check *c, struct pos from, struct pos to)
{
        const struct ini_section *sec = &c->scan->sections[from.s];
        size_t start = pos_offset(c->scan, from), end = pos_offset(c->scan, to), head = 0;
        int r;

        if (c->memfd < 0) {
                c->memfd = memfd_create("cairn-ini-piece", MFD_CLOEXEC);
                if (c->memfd < 0)
                        return log_errno(negative_errno(), "%s: memfd_create", c->path);
        }
        if (from.k > 0) {
                head = sec->body - sec->offset;
                r = pwrite_all(c->memfd, c->buf + sec->offset, head, 0);
                if (r < 0)
                        return log_errno(r, "%s: write to memfd", c->path);
        }
        r = pwrite_all(c->memfd, c->buf + start, end - start, head);
        if (r < 0)
                return log_errno(r, "%s: write to memfd", c->path);
        if (ftruncate(c->memfd, (off_t) (head + end - start)) < 0)
                return log_errno(negative_errno(), "%s: truncate memfd", c->path);
        return 0;
}

/* Have iniparser read the piece [from, to) and cross-check it. */
static int check_piece(struct check *c, struct pos from, struct pos to)
{
        bool whole = !pos_before((struct pos) { 0, 0 }, from) &&
                     !pos_before(to, (struct pos) { c->scan->n_sections, 0 });
        char fdp[32], where[64] = "";
        dictionary *dict;
        int r;

        if (!whole) {
                r = piece_write(c, from, to);
                if (r < 0)
                        return r;
                snprintf(where, sizeof where, " in lines %u-%u", pos_line(c->scan, from),
                         pos_line(c->scan, to) - 1);
        }
        /* A whole file by the symlink-free path the trust walk found: only
         * root can change what it names (and a magic link under /proc would
         * cost a procfs lookup); a piece is a copy of the bytes the scanner
         * read. */
        iniparser_msg[0] = '\0';
        dict = iniparser_load(whole ? c->real : fd_path(c->memfd, fdp));
        if (!dict) {
                log_error("%s: iniparser cannot read the file%s: %s", c->path, where,
                          iniparser_msg[0] ? iniparser_msg : "unknown error");
                return -EINVAL;
        }
        r = cross_check(c->scan, dict, from, to, c->path, where);
        iniparser_freedict(dict);
        return r;
}

/* Cross-check the sections [from, to), piece by piece; a file with no
 * section at all is still read once. */
static int check_sections(struct check *c, struct ini_scan *s, size_t from, size_t to)
{
        struct pos p = { from, 0 }, end = { to, 0 };

        do {
                /* A copied header takes one of the piece's entries. */
                struct pos next = pos_advance(s, p, piece_entries - (p.k > 0 ? 1 : 0), end);
                int r = check_piece(c, p, next);

                if (r < 0)
                        return r;
                p = next;
        } while (pos_before(p, end));

        for (size_t i = from; i < to; i++)
                s->sections[i].checked = true;
        return 0;
}

/* Cross-check every section, or only `only`'s. */
static int check_file(struct check *c, struct ini_scan *s, const char *only)
{
        const struct ini_section *sec;
        size_t i;

        /* A file that fits in one piece is read whole even when only one
         * section is needed: iniparser reads it through the open file,
         * which costs less than copying a piece to a memfd (and checks
         * more). */
        if (!only || s->n_sections + s->n_keys <= piece_entries)
                return check_sections(c, s, 0, s->n_sections);
        sec = ini_scan_section(s, only);
        if (!sec)
                return 0; /* nothing of this file will be used */
        i = (size_t) (sec - s->sections);
        return check_sections(c, s, i, i + 1);
}

int ini_file_load(const char *path, const char *only, struct ini_file **ret)
{
        _cleanup_close_ int fd = -1, memfd = -1;
        _cleanup_free_ char *buf = NULL, *real = NULL;
        struct ini_scan *scan = NULL;
        struct check c;
        struct ini_file *f;
        size_t len = 0;
        int r;

        r = trust_open_real(path, TRUST_READ, &fd, &real);
        if (r < 0)
                return r;
        r = read_fd(fd, path, &buf, &len);
        if (r < 0)
                return r;
        r = ini_scan_buffer(buf, len, path, &scan);
        if (r < 0)
                return r;

        c = (struct check) { .scan = scan, .buf = buf, .path = path, .real = real, .memfd = -1 };
        iniparser_set_error_callback(iniparser_error);
        r = check_file(&c, scan, only);
        iniparser_set_error_callback(NULL);
        memfd = c.memfd;
        if (r < 0) {
                ini_scan_free(scan);
                return r;
        }

        f = malloc(sizeof(*f));
        if (!f) {
                ini_scan_free(scan);
                return log_errno(-ENOMEM, "%s", path);
        }
        *f = (struct ini_file) { .scan = scan };
        *ret = f;
        return 0;
}

void ini_file_free(struct ini_file *f)
{
        if (!f)
                return;
        ini_scan_free(f->scan);
        free(f);
}

const char *ini_file_value(const struct ini_file *f, const char *section, const char *key)
{
        /* The scanner's value, once cross_check() proved it is iniparser's:
         * never one of a section that iniparser was not given. */
        const struct ini_section *sec = ini_scan_section(f->scan, section);
        const struct ini_key *k = sec && sec->checked ? ini_scan_key(f->scan, sec, key) : NULL;

        return k ? k->value : NULL;
}
