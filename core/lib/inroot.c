/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inroot.h"
#include "resolve.h"
#include "util.h"

#define MAX_LINKS 40 /* as the kernel's MAXSYMLINKS */

/* Drop the last component of the resolved path `p` (never above "/"). */
static void pop(char *p)
{
        char *s = strrchr(p, '/');

        if (s)
                *s = '\0';
}

/* Append "/NAME" to `p` (a buffer of PATH_MAX). */
static int push(char *p, const char *name, size_t n)
{
        size_t len = strlen(p);

        if (len + 1 + n + 1 > PATH_MAX)
                return -ENAMETOOLONG;
        p[len] = '/';
        memcpy(p + len + 1, name, n);
        p[len + 1 + n] = '\0';
        return 0;
}

int resolve_in_root(int root_fd, const char *path, char **ret, unsigned *ret_links, char **ret_first)
{
        /* resolved: "" is the root; otherwise "/a/b" (no trailing '/').
         * todo: what is left to walk, absolute or relative to resolved. */
        _cleanup_free_ char *resolved = calloc(1, PATH_MAX), *todo = strdup(path), *first = NULL;
        _cleanup_close_ int cur = -1;
        unsigned links = 0;
        bool missing = false; /* a component did not exist: the rest is new */
        int r;

        if (!resolved || !todo)
                return -ENOMEM;
        for (char *c = todo; *c;) {
                char *slash, linkbuf[PATH_MAX];
                size_t n;
                struct stat st;
                ssize_t k;

                while (*c == '/')
                        c++;
                if (!*c)
                        break;
                slash = strchrnul(c, '/');
                n = (size_t) (slash - c);
                if (n == 1 && c[0] == '.') {
                        c = slash;
                        continue;
                }
                if (n == 2 && c[0] == '.' && c[1] == '.') {
                        pop(resolved);
                        if (cur >= 0)
                                close(TAKE_FD(cur));
                        c = slash;
                        continue;
                }
                if (n > NAME_MAX)
                        return -ENAMETOOLONG;
                if (!missing) {
                        char name[NAME_MAX + 1];

                        memcpy(name, c, n);
                        name[n] = '\0';
                        if (cur < 0) {
                                r = open_beneath(root_fd, *resolved ? resolved : "/", O_PATH | O_DIRECTORY, &cur);
                                if (r < 0)
                                        return r;
                        }
                        if (fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                                if (errno != ENOENT)
                                        return negative_errno();
                                missing = true;
                        } else if (S_ISLNK(st.st_mode)) {
                                _cleanup_free_ char *rest = NULL;

                                if (++links > MAX_LINKS)
                                        return -ELOOP;
                                k = readlinkat(cur, name, linkbuf, sizeof linkbuf - 1);
                                if (k < 0)
                                        return negative_errno();
                                linkbuf[k] = '\0';
                                if (!first)
                                        first = xasprintf("%s/%s -> %s", resolved, name, linkbuf);
                                /* The link's text, then what came after it. */
                                rest = xasprintf("%s%s", linkbuf, slash);
                                if (!rest)
                                        return -ENOMEM;
                                if (linkbuf[0] == '/') {
                                        resolved[0] = '\0';
                                        if (cur >= 0)
                                                close(TAKE_FD(cur));
                                }
                                free(todo);
                                todo = TAKE_PTR(rest);
                                c = todo;
                                continue;
                        } else if (*slash && !S_ISDIR(st.st_mode))
                                return -ENOTDIR;
                }
                r = push(resolved, c, n);
                if (r < 0)
                        return r;
                if (!missing && *slash) {
                        /* Into it: beneath the root, no symlink. */
                        int next;

                        r = open_beneath(cur, c[n] ? strndupa(c, n) : c, O_PATH | O_DIRECTORY, &next);
                        if (r < 0)
                                return r;
                        close(cur);
                        cur = next;
                }
                c = slash;
        }
        *ret = strdup(*resolved ? resolved : "/");
        if (!*ret)
                return -ENOMEM;
        *ret_links = links;
        if (ret_first)
                *ret_first = TAKE_PTR(first);
        return 0;
}
