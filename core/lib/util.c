/* SPDX-License-Identifier: Apache-2.0 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "util.h"

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

char *strjoin(const char *a, const char *b)
{
        size_t na = strlen(a), nb = strlen(b);
        char *s = malloc(na + nb + 1);

        if (!s)
                return NULL;
        memcpy(s, a, na);
        memcpy(s + na, b, nb + 1);
        return s;
}

char *format_u64(char *out, uint64_t v)
{
        char digits[20];
        size_t n = 0;

        do
                digits[n++] = (char) ('0' + v % 10);
        while ((v /= 10) > 0);
        while (n > 0)
                *out++ = digits[--n];
        return out;
}

int parse_u64(const char *s, uint64_t *ret)
{
        uint64_t v = 0;

        if (!s || !*s)
                return -EINVAL;
        for (; *s; s++) {
                unsigned d = (unsigned) (*s - '0');

                if (d > 9 || v > (UINT64_MAX - d) / 10)
                        return -EINVAL;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

size_t strv_length(char *const *v)
{
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

int strv_push(char ***v, const char *s)
{
        size_t n = strv_length(*v);
        char **nv;
        char *copy = strdup(s);

        if (!copy)
                return -ENOMEM;
        nv = realloc(*v, (n + 2) * sizeof(char *));
        if (!nv) {
                free(copy);
                return -ENOMEM;
        }
        nv[n] = copy;
        nv[n + 1] = NULL;
        *v = nv;
        return 0;
}

void strv_freep(char ***v)
{
        if (!*v)
                return;
        for (char **p = *v; *p; p++)
                free(*p);
        free(*v);
        *v = NULL;
}

bool name_is_valid(const char *s)
{
        if (!s || !*s)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
                        return false;
        return true;
}

size_t string_hash(const char *s)
{
        size_t h = 14695981039346656037u; /* FNV-1a */

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211u;
        return h;
}

char *path_make_absolute(const char *path)
{
        _cleanup_free_ char *cwd = NULL, *out = NULL;
        size_t n = 0;

        if (path[0] != '/') {
                cwd = getcwd(NULL, 0);
                if (!cwd)
                        return NULL;
        }
        out = malloc((cwd ? strlen(cwd) : 0) + strlen(path) + 3);
        if (!out)
                return NULL;
        /* Component by component, from the working directory's, then the
         * path's: "//", "/./" and a trailing "/" go. */
        for (const char *part = cwd ? cwd : path; part; part = part == cwd ? path : NULL) {
                for (const char *c = part; *c;) {
                        size_t len = strcspn(c, "/");

                        if (len > 0 && !(len == 1 && c[0] == '.')) {
                                out[n++] = '/';
                                memcpy(out + n, c, len);
                                n += len;
                        }
                        c += len;
                        c += strspn(c, "/");
                }
        }
        if (n == 0)
                out[n++] = '/';
        out[n] = '\0';
        if (n >= PATH_MAX) {
                errno = ENAMETOOLONG;
                return NULL;
        }
        return TAKE_PTR(out);
}

bool path_is_normalized_absolute(const char *p)
{
        const char *c;

        if (!p || p[0] != '/' || strlen(p) >= PATH_MAX)
                return false;
        if (streq(p, "/"))
                return true;
        c = p + 1;
        for (;;) {
                const char *e = strchrnul(c, '/');
                size_t n = (size_t) (e - c);

                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                if (!*e)
                        return true;
                c = e + 1;
        }
}

int write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

int read_all(int fd, size_t size_hint, char **ret, size_t *ret_len)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                ssize_t n;

                if (cap - len < 2048) {
                        size_t grown = cap ? cap * 2 : size_hint ? size_hint + 2048 : 16384;
                        char *b = realloc(buf, grown);

                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        cap = grown;
                }
                n = read(fd, buf + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                len += (size_t) n;
                /* A regular file read short at the size fstat() gave is at
                 * its end: no read more to be told so. */
                if (size_hint && len == size_hint && len < cap - 1)
                        break;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int cmp_strp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void strv_sort(char **v)
{
        if (v)
                qsort(v, strv_length(v), sizeof(char *), cmp_strp);
}
