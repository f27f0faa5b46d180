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

/* Room for one more section or key: at most INI_MAX_ENTRIES in all. */
static int check_room(const struct ini_scan *s, const struct cfg_place *lp)
{
        if (s->n_sections + s->n_keys < INI_MAX_ENTRIES)
                return 0;
        return cfg_error(lp, "more than %d sections and keys in one file; put the rest in drop-in files",
                         INI_MAX_ENTRIES);
}

static int scan_section(struct ini_scan *s, char *line, const struct cfg_place *lp)
{
        struct ini_section *n;
        char *close, *rest, *name;
        size_t first;
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
        if (strmap_get(&s->names, name, &first))
                return cfg_error(&(struct cfg_place) { lp->file, lp->line, name, NULL },
                                 "section appears twice in this file (first at line %u)",
                                 s->sections[first / 2].line);
        r = check_room(s, lp);
        if (r < 0)
                return r;

        n = grow_array(s->sections, &s->sections_cap, s->n_sections, sizeof(*n));
        if (!n)
                return log_errno(-ENOMEM, "%s", lp->file);
        s->sections = n;
        n = &s->sections[s->n_sections];
        *n = (struct ini_section) { .name = strdup(name), .line = lp->line };
        if (!n->name || strmap_add(&s->names, n->name, 2 * s->n_sections, NULL) < 0) {
                free(n->name);
                return log_errno(-ENOMEM, "%s", lp->file);
        }
        s->n_sections++;
        return 0;
}

static int scan_key(struct ini_scan *s, char *line, const struct cfg_place *lp)
{
        struct ini_section *sec = s->n_sections > 0 ? &s->sections[s->n_sections - 1] : NULL;
        _cleanup_free_ char *value = NULL, *full = NULL;
        struct cfg_place kp;
        struct ini_key *n;
        char *eq, *name;
        size_t first;
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
        if (asprintf(&full, "%s:%s", sec->name, name) < 0) {
                full = NULL;
                return log_errno(-ENOMEM, "%s", lp->file);
        }
        if (strmap_get(&s->names, full, &first))
                return cfg_error(&kp, "key appears twice in this section (first at line %u)",
                                 s->keys[first / 2].line);
        r = parse_value(strip(eq + 1), &kp, &value);
        if (r < 0)
                return r;
        r = check_room(s, lp);
        if (r < 0)
                return r;

        n = grow_array(s->keys, &s->keys_cap, s->n_keys, sizeof(*n));
        if (!n)
                return log_errno(-ENOMEM, "%s", lp->file);
        s->keys = n;
        if (strmap_add(&s->names, full, 2 * s->n_keys + 1, NULL) < 0)
                return log_errno(-ENOMEM, "%s", lp->file);
        s->keys[s->n_keys] = (struct ini_key) {
                .name = full + strlen(sec->name) + 1,
                .section = sec->name,
                .line = lp->line,
        };
        s->keys[s->n_keys].full = TAKE_PTR(full);
        s->keys[s->n_keys++].value = TAKE_PTR(value);
        sec->n_keys++;
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
        /* Each section's keys, now that the array has stopped moving (no
         * array at all if no section has a key). */
        for (size_t i = 0, k = 0; s->keys && i < s->n_sections; k += s->sections[i++].n_keys)
                s->sections[i].keys = s->keys + k;
        *ret = s;
        return 0;
}

void ini_scan_free(struct ini_scan *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n_sections; i++)
                free(s->sections[i].name);
        for (size_t k = 0; k < s->n_keys; k++) {
                free(s->keys[k].full);
                free(s->keys[k].value);
        }
        free(s->sections);
        free(s->keys);
        strmap_done(&s->names);
        free(s);
}

void ini_scan_lookup(const struct ini_scan *s, const char *full, const struct ini_section **ret_section,
                     struct ini_key **ret_key)
{
        size_t v;

        *ret_section = NULL;
        *ret_key = NULL;
        if (!strmap_get(&s->names, full, &v))
                return;
        if (v % 2 == 0)
                *ret_section = &s->sections[v / 2];
        else
                *ret_key = &s->keys[v / 2];
}

const struct ini_section *ini_scan_section(const struct ini_scan *s, const char *name)
{
        const struct ini_section *sec;
        struct ini_key *key;

        ini_scan_lookup(s, name, &sec, &key);
        return sec;
}

const struct ini_key *ini_scan_key(const struct ini_scan *s, const struct ini_section *sec,
                                   const char *name)
{
        const struct ini_section *none;
        struct ini_key *key;
        char full[2 * INI_LINE_MAX];

        if (snprintf(full, sizeof full, "%s:%s", sec->name, name) >= (int) sizeof full)
                return NULL;
        ini_scan_lookup(s, full, &none, &key);
        return key;
}
