/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The INI line scanner and the cross-checked iniparser load (see
 * ini_scan.h for the why and the accepted syntax).
 */
#include <iniparser.h>
#include <stdarg.h>
#include <stdio.h>

#include "config.h"
#include "ini_scan.h"
#include "log.h"
#include "trust.h"
#include "util.h"

static bool is_blank(char c)
{
        /* Other control characters never get this far. */
        return c == ' ' || c == '\t' || c == '\r';
}

static char *strip(char *s)
{
        char *e;

        while (is_blank(*s))
                s++;
        e = s + strlen(s);
        while (e > s && is_blank(e[-1]))
                *--e = '\0';
        return s;
}

static const char *strna(const char *s)
{
        return s ? s : "(null)";
}

static bool has_upper(const char *s)
{
        for (; *s; s++)
                if (*s >= 'A' && *s <= 'Z')
                        return true;
        return false;
}

static void lowercase(char *s)
{
        for (; *s; s++)
                if (*s >= 'A' && *s <= 'Z')
                        *s = (char) (*s - 'A' + 'a');
}

/* 0 if `name` is a valid section or key name; else say why, at `p`. */
static int check_name(const struct cfg_place *p, const char *what, const char *name)
{
        _cleanup_free_ char *lower = NULL;

        if (name_is_valid(name))
                return 0;
        if (!*name)
                return cfg_error(p, "empty %s name", what);
        if (strchr(name, ':'))
                return cfg_error(p, "%s name \"%s\" contains \":\", which iniparser uses as a separator",
                                 what, name);
        lower = strdup(name);
        if (!lower)
                return log_errno(-ENOMEM, "%s", p->file);
        lowercase(lower);
        if (has_upper(name) && name_is_valid(lower))
                return cfg_error(p, "%s name \"%s\" must be lowercase (iniparser would read it as \"%s\")",
                                 what, name, lower);
        return cfg_error(p, "invalid %s name \"%s\" (use a-z, 0-9, \"_\" and \"-\")", what, name);
}

/* The value after "key =", as iniparser 4.1 reads it, refusing what it
 * would read differently from how it looks. */
static int parse_value(const char *v, const struct cfg_place *p, char **ret)
{
        const char *end;
        char *value;

        if (v[0] == '"' || v[0] == '\'') {
                const char *rest;

                end = strchr(v + 1, v[0]);
                if (!end)
                        return cfg_error(p, "unterminated quoted value (no closing %c)", v[0]);
                for (rest = end + 1; is_blank(*rest); rest++)
                        ;
                if (*rest && *rest != ';' && *rest != '#')
                        return cfg_error(p, "text after the closing quote: \"%s\"", rest);
                value = strndup(v + 1, (size_t) (end - v - 1));
        } else {
                for (end = v; *end && *end != ';' && *end != '#'; end++)
                        ;
                if (*end && end > v && !is_blank(end[-1]))
                        return cfg_error(p, "\"%c\" in an unquoted value would start a comment; "
                                            "quote the value, or put a blank before the comment",
                                         *end);
                /* `v` starts with no blank; drop those before the comment. */
                while (end > v && is_blank(end[-1]))
                        end--;
                value = strndup(v, (size_t) (end - v));
        }
        if (!value)
                return log_errno(-ENOMEM, "%s", p->file);
        *ret = value;
        return 0;
}

static size_t name_hash(const char *name)
{
        size_t h = 14695981039346656037u; /* FNV-1a */

        for (; *name; name++)
                h = (h ^ (unsigned char) *name) * 1099511628211u;
        return h;
}

/* Put section i into the index (which has room). */
static void index_put(struct ini_scan *s, size_t i)
{
        size_t mask = s->index_cap - 1, h = name_hash(s->sections[i].name) & mask;

        while (s->index[h])
                h = (h + 1) & mask;
        s->index[h] = i + 1;
}

/* Make room in the index for one more section. */
static int index_grow(struct ini_scan *s)
{
        size_t cap = s->index_cap ? s->index_cap : 16;
        size_t *index;

        if (2 * (s->n_sections + 1) <= s->index_cap)
                return 0;
        while (2 * (s->n_sections + 1) > cap)
                cap *= 2;
        index = calloc(cap, sizeof(*index));
        if (!index)
                return -ENOMEM;
        free(s->index);
        s->index = index;
        s->index_cap = cap;
        for (size_t i = 0; i < s->n_sections; i++)
                index_put(s, i);
        return 0;
}

static int scan_section(struct ini_scan *s, char *line, const struct cfg_place *lp)
{
        struct ini_section *n;
        char *close, *rest, *name;
        const struct ini_section *dup;
        int r;

        close = strchr(line, ']');
        if (!close)
                return cfg_error(lp, "section header without a closing \"]\"");
        for (rest = close + 1; is_blank(*rest); rest++)
                ;
        if (*rest == ';' || *rest == '#')
                return cfg_error(lp, "a comment cannot follow a section header on its line "
                                     "(iniparser would not read the header)");
        if (*rest)
                return cfg_error(lp, "text after the \"]\" of a section header: \"%s\"", rest);
        *close = '\0';
        name = strip(line + 1);
        r = check_name(lp, "section", name);
        if (r < 0)
                return r;

        dup = ini_scan_section(s, name);
        if (dup)
                return cfg_error(&(struct cfg_place) { lp->file, lp->line, name, NULL },
                                 "section appears twice in this file (first at line %u)", dup->line);

        if (index_grow(s) < 0)
                return log_errno(-ENOMEM, "%s", lp->file);
        n = realloc(s->sections, (s->n_sections + 1) * sizeof(*n));
        if (!n)
                return log_errno(-ENOMEM, "%s", lp->file);
        s->sections = n;
        n[s->n_sections] = (struct ini_section) { .name = strdup(name), .line = lp->line };
        if (!n[s->n_sections].name)
                return log_errno(-ENOMEM, "%s", lp->file);
        index_put(s, s->n_sections);
        s->n_sections++;
        return 0;
}

static int scan_key(struct ini_scan *s, char *line, const struct cfg_place *lp)
{
        struct ini_section *sec = s->n_sections > 0 ? &s->sections[s->n_sections - 1] : NULL;
        _cleanup_free_ char *value = NULL, *name_copy = NULL;
        struct cfg_place kp;
        const struct ini_key *dup;
        struct ini_key *n;
        char *eq, *name;
        int r;

        eq = strchr(line, '=');
        if (!eq)
                return cfg_error(lp, "expected \"[section]\", \"key = value\" or a comment, got \"%s\"",
                                 line);
        *eq = '\0';
        name = strip(line);
        r = check_name(&(struct cfg_place) { lp->file, lp->line, sec ? sec->name : NULL, NULL },
                       "key", name);
        if (r < 0)
                return r;
        kp = (struct cfg_place) { lp->file, lp->line, sec ? sec->name : NULL, name };
        if (!sec)
                return cfg_error(&kp, "key before any [section] header");
        dup = ini_section_key(sec, name);
        if (dup)
                return cfg_error(&kp, "key appears twice in this section (first at line %u)",
                                 dup->line);

        r = parse_value(strip(eq + 1), &kp, &value);
        if (r < 0)
                return r;
        name_copy = strdup(name);
        if (!name_copy)
                return log_errno(-ENOMEM, "%s", lp->file);
        n = realloc(sec->keys, (sec->n_keys + 1) * sizeof(*n));
        if (!n)
                return log_errno(-ENOMEM, "%s", lp->file);
        sec->keys = n;
        n[sec->n_keys++] = (struct ini_key) {
                .name = TAKE_PTR(name_copy),
                .value = TAKE_PTR(value),
                .line = lp->line,
        };
        return 0;
}

/* One line, without its newline. */
static int scan_line(struct ini_scan *s, const char *label, unsigned lineno, const char *raw,
                     size_t len)
{
        struct cfg_place lp = { label, lineno, NULL, NULL };
        char buf[INI_LINE_MAX];
        char *line;

        if (len + 1 >= INI_LINE_MAX)
                return cfg_error(&lp, "line is too long (%zu bytes with the newline; at most %d)",
                                 len + 1, INI_LINE_MAX - 1);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) raw[i];

                if (c == '\0')
                        return cfg_error(&lp, "NUL byte at column %zu (binary file?)", i + 1);
                if (c == '\r' && i == len - 1)
                        continue; /* CRLF line end */
                if ((c < 0x20 && c != '\t') || c == 0x7f)
                        return cfg_error(&lp, "control character 0x%02x at column %zu (binary file?)",
                                         c, i + 1);
        }
        memcpy(buf, raw, len);
        buf[len] = '\0';
        line = strip(buf);

        if (!*line)
                return 0;
        /* iniparser joins a line ending in "\" with the next one, even in a
         * comment, which would silently swallow that next line. */
        if (line[strlen(line) - 1] == '\\')
                return cfg_error(&lp, "line ends with \"\\\": continuation lines are not supported");
        if (line[0] == ';' || line[0] == '#')
                return 0;
        if (line[0] == '[')
                return scan_section(s, line, &lp);
        return scan_key(s, line, &lp);
}

int ini_scan_buffer(const char *buf, size_t len, const char *label, struct ini_scan **ret)
{
        struct ini_scan *s;
        unsigned lineno = 0;
        size_t pos = 0;
        int r = 0;

        s = calloc(1, sizeof(*s));
        if (!s)
                return log_errno(-ENOMEM, "%s", label);

        if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
                r = cfg_error(&(struct cfg_place) { label, 1, NULL, NULL },
                              "file starts with a UTF-8 byte order mark; remove it");

        while (r == 0 && pos < len) {
                const char *nl = memchr(buf + pos, '\n', len - pos);
                size_t end = nl ? (size_t) (nl - buf) : len;

                r = scan_line(s, label, ++lineno, buf + pos, end - pos);
                pos = end + 1;
        }
        if (r < 0) {
                ini_scan_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

void ini_scan_free(struct ini_scan *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n_sections; i++) {
                for (size_t k = 0; k < s->sections[i].n_keys; k++) {
                        free(s->sections[i].keys[k].name);
                        free(s->sections[i].keys[k].value);
                }
                free(s->sections[i].keys);
                free(s->sections[i].name);
        }
        free(s->sections);
        free(s->index);
        free(s);
}

const struct ini_section *ini_scan_section(const struct ini_scan *s, const char *name)
{
        size_t mask, h;

        if (!s->index_cap)
                return NULL;
        mask = s->index_cap - 1;
        for (h = name_hash(name) & mask; s->index[h]; h = (h + 1) & mask)
                if (streq(s->sections[s->index[h] - 1].name, name))
                        return &s->sections[s->index[h] - 1];
        return NULL;
}

const struct ini_key *ini_section_key(const struct ini_section *sec, const char *name)
{
        for (size_t i = 0; i < sec->n_keys; i++)
                if (streq(sec->keys[i].name, name))
                        return &sec->keys[i];
        return NULL;
}

/* ---- reading a file: scanner, then iniparser, then the cross-check ------ */

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
        size_t len = 0;

        /* One byte more than the limit, to tell "too large" from "full". */
        buf = malloc(INI_FILE_MAX + 1);
        if (!buf)
                return log_errno(-ENOMEM, "%s", path);
        while (len < INI_FILE_MAX + 1) {
                ssize_t n = pread(fd, buf + len, INI_FILE_MAX + 1 - len, (off_t) len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_errno(negative_errno(), "%s: read", path);
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len > INI_FILE_MAX) {
                log_error("%s: file is larger than %d bytes", path, INI_FILE_MAX);
                return -EINVAL;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* Every section, key and value iniparser read must be what the scanner
 * read: the scanner's view is what the checks and messages rely on. */
/* iniparser must have read exactly what the scanner did: the same
 * sections, the same keys, the same values.  One pass over iniparser's
 * dictionary, each entry looked up in the scanner's index. */
static int cross_check(const struct ini_scan *s, const dictionary *d, const char *path)
{
        size_t n_sections = 0, n_keys = 0, scanned_keys = 0;

        for (ssize_t i = 0; i < d->size; i++) {
                const char *full = d->key[i], *colon, *v = d->val[i];
                _cleanup_free_ char *sname = NULL;
                const struct ini_section *sec;
                const struct ini_key *key;

                if (!full)
                        continue;
                colon = strchr(full, ':');
                sname = colon ? strndup(full, (size_t) (colon - full)) : strdup(full);
                if (!sname)
                        return log_errno(-ENOMEM, "%s", path);
                sec = ini_scan_section(s, sname);
                if (!sec) {
                        log_error("%s: iniparser read a section [%s] that cairn's scanner did not; "
                                  "refusing the file", path, sname);
                        return -EINVAL;
                }
                if (!colon) {
                        n_sections++;
                        continue;
                }
                n_keys++;
                key = ini_section_key(sec, colon + 1);
                if (!key)
                        return cfg_error(&(struct cfg_place) { path, sec->line, sec->name, colon + 1 },
                                         "iniparser read a key that cairn's scanner did not; "
                                         "refusing the file");
                if (!v || !streq(v, key->value))
                        return cfg_error(&(struct cfg_place) { path, key->line, sec->name, colon + 1 },
                                         "iniparser reads the value as \"%s\", cairn's scanner "
                                         "as \"%s\"; refusing the ambiguous value",
                                         strna(v), key->value);
        }
        for (size_t i = 0; i < s->n_sections; i++)
                scanned_keys += s->sections[i].n_keys;
        if (n_sections != s->n_sections || n_keys != scanned_keys) {
                log_error("%s: iniparser read %zu sections and %zu keys, cairn's scanner %zu and %zu; "
                          "refusing the file", path, n_sections, n_keys, s->n_sections, scanned_keys);
                return -EINVAL;
        }
        return 0;
}

int ini_file_load(const char *path, struct ini_file **ret)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct ini_scan *scan = NULL;
        dictionary *dict;
        struct ini_file *f;
        char fdp[32];
        size_t len = 0;
        int r;

        r = open_trusted(path, &fd);
        if (r < 0)
                return r;
        r = read_fd(fd, path, &buf, &len);
        if (r < 0)
                return r;
        r = ini_scan_buffer(buf, len, path, &scan);
        if (r < 0)
                return r;

        /* Through the same open file, so a file swapped since the check is
         * not what is read. */
        iniparser_msg[0] = '\0';
        iniparser_set_error_callback(iniparser_error);
        dict = iniparser_load(fd_path(fd, fdp));
        iniparser_set_error_callback(NULL);
        if (!dict) {
                log_error("%s: iniparser cannot read the file: %s", path,
                          iniparser_msg[0] ? iniparser_msg : "unknown error");
                ini_scan_free(scan);
                return -EINVAL;
        }
        r = cross_check(scan, dict, path);
        if (r < 0) {
                iniparser_freedict(dict);
                ini_scan_free(scan);
                return r;
        }

        f = malloc(sizeof(*f));
        if (!f) {
                iniparser_freedict(dict);
                ini_scan_free(scan);
                return log_errno(-ENOMEM, "%s", path);
        }
        *f = (struct ini_file) { .scan = scan, .dict = dict };
        *ret = f;
        return 0;
}

void ini_file_free(struct ini_file *f)
{
        if (!f)
                return;
        ini_scan_free(f->scan);
        if (f->dict)
                iniparser_freedict(f->dict);
        free(f);
}

const char *ini_file_value(const struct ini_file *f, const char *section, const char *key)
{
        /* The scanner's value: cross_check() proved it is iniparser's. */
        const struct ini_section *sec = ini_scan_section(f->scan, section);
        const struct ini_key *k = sec ? ini_section_key(sec, key) : NULL;

        return k ? k->value : NULL;
}
