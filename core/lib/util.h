/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers: scoped cleanup, ownership hand-off, string vectors. */
#ifndef CAIRN_UTIL_H
#define CAIRN_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Hand a pointer or descriptor out of a scope that would otherwise free it. */
#define TAKE_PTR(p)                                                            \
        ({                                                                     \
                __typeof__(p) _p = (p);                                        \
                (p) = NULL;                                                    \
                _p;                                                            \
        })
#define TAKE_FD(fd)                                                            \
        ({                                                                     \
                int _fd = (fd);                                                \
                (fd) = -1;                                                     \
                _fd;                                                           \
        })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static inline bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

/* Return -errno of the last failed call, never 0 (defensive: errno may be
 * left 0 by a buggy libc path or a wrap in tests). */
static inline int negative_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}

char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* a then b, in new memory; NULL when out of memory.  For the paths that
 * every teardown builds: printf's machinery, cold in a fresh process,
 * costs more than the copy. */
char *strjoin(const char *a, const char *b);
/* v in decimal at out (at most 20 bytes, no NUL); the end. */
char *format_u64(char *out, uint64_t v);
/* s as format_u64() writes it: decimal digits only, nothing else, and no
 * more than fits.  strtoull() takes "-1" (as UINT64_MAX), "+1", " 1" and
 * "0x1" too, which a reader of untrusted text must refuse.  0 or -EINVAL. */
int parse_u64(const char *s, uint64_t *ret);
/* Append a copy of s to the NULL-terminated vector *v (which may be NULL). */
int strv_push(char ***v, const char *s);
size_t strv_length(char *const *v);
void strv_freep(char ***v);
/* Sort in C-locale (strcmp) order. */
void strv_sort(char **v);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* true if `s` is non-empty and only has characters of [a-z0-9_-]. */
bool name_is_valid(const char *s);
/* For hash tables of names (FNV-1a). */
size_t string_hash(const char *s);
/* Absolute, no empty, "." or ".." components (trailing "/" allowed only
 * for "/" itself), no more than PATH_MAX. */
bool path_is_normalized_absolute(const char *p);

/* `path` made absolute (relative to the working directory, by its name),
 * without empty or "." components or a trailing "/": the form setup
 * records a --root in and teardown compares.  ".." is kept as given
 * (dropping it with the component before would be wrong after a symlink). */
char *path_make_absolute(const char *path);

/* Write all of buf; retries on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);
/* Read from fd's offset to the end into a NUL-terminated buffer (the
 * caller frees it); retries on EINTR.  size_hint: a regular file's size
 * (fstat), read in one read() when it has not grown; 0 for procfs and
 * pipes, which are read until read() says 0. */
int read_all(int fd, size_t size_hint, char **ret, size_t *ret_len);

#endif
