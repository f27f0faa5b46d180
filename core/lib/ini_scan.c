/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The INI line scanner (see ini_scan.h for the why and the accepted
 * syntax); ini_file.c gives the same bytes to iniparser and compares.
 */
#include <stdio.h>

#include "cfg_place.h"
#include "ini_scan.h"
#include "log.h"
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

/* Put section i into the index (which has room). */
static void index_put(struct ini_scan *s, size_t i)
{
        size_t mask = s->index_cap - 1, h = string_hash(s->sections[i].name) & mask;

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

static size_t key_hash(size_t section, const char *name)
{
        return string_hash(name) ^ (section * 0x9e3779b97f4a7c15u);
}

/* Put key k of section i into the key index (which has room). */
static void key_index_put(struct ini_scan *s, size_t i, size_t k)
{
        size_t mask = s->key_index_cap - 1;
        size_t h = key_hash(i, s->sections[i].keys[k].name) & mask;

        while (s->key_index[h].key)
                h = (h + 1) & mask;
        s->key_index[h] = (struct ini_key_slot) { .section = i, .key = k + 1 };
}

/* Make room in the key index for one more key. */
static int key_index_grow(struct ini_scan *s)
{
        size_t cap = s->key_index_cap ? s->key_index_cap : 16;
        struct ini_key_slot *index;

        if (2 * (s->n_keys + 1) <= s->key_index_cap)
                return 0;
        while (2 * (s->n_keys + 1) > cap)
                cap *= 2;
        index = calloc(cap, sizeof(*index));
        if (!index)
                return -ENOMEM;
        free(s->key_index);
        s->key_index = index;
        s->key_index_cap = cap;
        for (size_t i = 0; i < s->n_sections; i++)
                for (size_t k = 0; k < s->sections[i].n_keys; k++)
                        key_index_put(s, i, k);
        return 0;
}

/* `array` (of *cap elements, n used) with room for one more, or NULL (and
 * `array` untouched).  Doubling: realloc() one element at a time would
 * copy a big section's keys again and again. */
static void *grow_array(void *array, size_t *cap, size_t n, size_t size)
{
        size_t new_cap = *cap ? 2 * *cap : 8;
        void *p;

        if (n < *cap)
                return array;
        p = reallocarray(array, new_cap, size);
        if (p)
                *cap = new_cap;
        return p;
}

/* Where the line being scanned is in the buffer: its start, and just past
 * its newline. */
struct line_at {
        size_t offset, next;
};

static int scan_section(struct ini_scan *s, char *line, const struct cfg_place *lp,
                        struct line_at at)
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
        n = grow_array(s->sections, &s->sections_cap, s->n_sections, sizeof(*n));
        if (!n)
                return log_errno(-ENOMEM, "%s", lp->file);
        s->sections = n;
        s->sections[s->n_sections] = (struct ini_section) {
                .name = strdup(name),
                .line = lp->line,
                .offset = at.offset,
                .body = at.next,
        };
        if (!s->sections[s->n_sections].name)
                return log_errno(-ENOMEM, "%s", lp->file);
        index_put(s, s->n_sections);
        s->n_sections++;
        return 0;
}

static int scan_key(struct ini_scan *s, char *line, const struct cfg_place *lp, struct line_at at)
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
        dup = ini_scan_key(s, sec, name);
        if (dup)
                return cfg_error(&kp, "key appears twice in this section (first at line %u)",
                                 dup->line);

        r = parse_value(strip(eq + 1), &kp, &value);
        if (r < 0)
                return r;
        name_copy = strdup(name);
        if (!name_copy)
                return log_errno(-ENOMEM, "%s", lp->file);
        if (key_index_grow(s) < 0)
                return log_errno(-ENOMEM, "%s", lp->file);
        n = grow_array(sec->keys, &sec->keys_cap, sec->n_keys, sizeof(*n));
        if (!n)
                return log_errno(-ENOMEM, "%s", lp->file);
        sec->keys = n;
        sec->keys[sec->n_keys] = (struct ini_key) {
                .name = TAKE_PTR(name_copy),
                .value = TAKE_PTR(value),
                .line = lp->line,
                .offset = at.offset,
        };
        key_index_put(s, s->n_sections - 1, sec->n_keys);
        sec->n_keys++;
        s->n_keys++;
        return 0;
}

/* One line, without its newline. */
static int scan_line(struct ini_scan *s, const char *label, unsigned lineno, const char *raw,
                     size_t len, struct line_at at)
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
                return scan_section(s, line, &lp, at);
        return scan_key(s, line, &lp, at);
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

                r = scan_line(s, label, ++lineno, buf + pos, end - pos,
                              (struct line_at) { pos, nl ? end + 1 : len });
                pos = end + 1;
        }
        if (r < 0) {
                ini_scan_free(s);
                return r;
        }
        s->len = len;
        s->n_lines = lineno;
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
        free(s->key_index);
        free(s);
}

const struct ini_section *ini_scan_section(const struct ini_scan *s, const char *name)
{
        size_t mask, h;

        if (!s->index_cap)
                return NULL;
        mask = s->index_cap - 1;
        for (h = string_hash(name) & mask; s->index[h]; h = (h + 1) & mask)
                if (streq(s->sections[s->index[h] - 1].name, name))
                        return &s->sections[s->index[h] - 1];
        return NULL;
}

const struct ini_key *ini_scan_key(const struct ini_scan *s, const struct ini_section *sec,
                                   const char *name)
{
        size_t i = (size_t) (sec - s->sections), mask, h;

        if (!s->key_index_cap)
                return NULL;
        mask = s->key_index_cap - 1;
        for (h = key_hash(i, name) & mask; s->key_index[h].key; h = (h + 1) & mask) {
                const struct ini_key_slot *slot = &s->key_index[h];

                if (slot->section == i && streq(sec->keys[slot->key - 1].name, name))
                        return &sec->keys[slot->key - 1];
        }
        return NULL;
}
