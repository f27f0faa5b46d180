/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

/* The length of the valid UTF-8 sequence at `p` (at most `n` bytes), 0 if
 * it is not one (overlong forms, surrogates and code points above
 * U+10FFFF are not). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
        unsigned c = p[0], need, min, cp;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                need = 1, min = 0x80, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                need = 2, min = 0x800, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                need = 3, min = 0x10000, cp = c & 0x07;
        else
                return 0;
        if (n < need + 1)
                return 0;
        for (unsigned i = 1; i <= need; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return need + 1;
}

json_t *json_text(const char *s)
{
        const unsigned char *p = (const unsigned char *) s;
        size_t n = strlen(s), len;
        _cleanup_free_ char *fixed = NULL;
        char *o;

        for (size_t i = 0; i < n; i += len)
                if (!(len = utf8_seq(p + i, n - i)))
                        goto fix;
        return json_stringn(s, n);
fix:
        o = fixed = malloc(3 * n + 1);
        if (!fixed)
                return NULL;
        for (size_t i = 0; i < n; i += len) {
                len = utf8_seq(p + i, n - i);
                if (len) {
                        memcpy(o, p + i, len);
                        o += len;
                } else {
                        memcpy(o, "\xef\xbf\xbd", 3); /* U+FFFD */
                        o += 3;
                        len = 1;
                }
        }
        return json_stringn(fixed, (size_t) (o - fixed));
}

json_t *json_entries(const struct session_entry *v, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; a && i < n; i++) {
                json_t *e = json_object();

                if (!e || json_object_set_new(e, "name", json_text(v[i].name)) < 0 ||
                    json_object_set_new(e, "plugin", json_text(v[i].plugin)) < 0 ||
                    json_object_set_new(e, "status", json_string(v[i].status)) < 0 ||
                    json_array_append_new(a, e) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static char *dump_line(json_t *v, size_t flags)
{
        char *s, *line;

        if (!v)
                return NULL;
        s = json_dumps(v, flags);
        json_decref(v);
        if (!s)
                return NULL;
        line = xasprintf("%s\n", s);
        free(s);
        return line;
}

char *json_line(json_t *v)
{
        return dump_line(v, JSON_COMPACT);
}

char *json_line_spaced(json_t *v)
{
        return dump_line(v, 0);
}

int json_print_line(FILE *f, json_t *v)
{
        _cleanup_free_ char *line = json_line(v);

        if (!line)
                return -ENOMEM;
        return fputs(line, f) < 0 ? -EIO : 0;
}
