/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>

#include "log.h"
#include "mountinfo.h"
#include "util.h"

struct mount_entry {
        uint64_t id;
        char *target;
        bool gone; /* unmounted by us since the table was read */
};

struct mountinfo {
        struct mount_entry *v; /* sorted by target (strcmp) */
        size_t n;
        size_t *by_id; /* indexes into v, sorted by id */
};

static int cmp_target(const void *a, const void *b)
{
        return strcmp(((const struct mount_entry *) a)->target, ((const struct mount_entry *) b)->target);
}

static int cmp_id(const void *a, const void *b, void *base)
{
        const struct mount_entry *v = base;
        uint64_t x = v[*(const size_t *) a].id, y = v[*(const size_t *) b].id;

        return x < y ? -1 : x > y;
}

/* Undo the kernel's octal escapes (mangle() in fs/proc_namespace.c: space,
 * tab, newline and backslash) in place; the result is never longer. */
void mountinfo_unescape(char *s)
{
        char *o = s;

        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        *o++ = (char) ((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
                        s += 3;
                } else
                        *o++ = *s;
        }
        *o = '\0';
}

/* The n-th (from 0) space-separated field of `line`, NUL-terminated in
 * place; NULL if the line has fewer. */
static char *field(char *line, unsigned n, char **ret_rest)
{
        char *f = line;

        for (; n > 0; n--) {
                f = strchr(f, ' ');
                if (!f)
                        return NULL;
                f++;
        }
        *ret_rest = strchrnul(f, ' ');
        if (**ret_rest)
                *(*ret_rest)++ = '\0';
        return f;
}

static int add(struct mountinfo *mi, size_t *cap, uint64_t id, const char *target)
{
        if (mi->n == *cap) {
                size_t c = *cap ? *cap * 2 : 64;
                struct mount_entry *v = realloc(mi->v, c * sizeof *v);

                if (!v)
                        return -ENOMEM;
                mi->v = v;
                *cap = c;
        }
        mi->v[mi->n] = (struct mount_entry) { .id = id, .target = strdup(target) };
        if (!mi->v[mi->n].target)
                return -ENOMEM;
        mi->n++;
        return 0;
}

int mountinfo_parse(char *buf, struct mountinfo **ret)
{
        struct mountinfo *mi = calloc(1, sizeof *mi);
        size_t cap = 0;
        char *line, *next;
        int r = 0;

        if (!mi)
                return -ENOMEM;
        for (line = buf; *line; line = next) {
                char *nl = strchr(line, '\n'), *end, *rest, *target;
                unsigned long long id;

                next = nl ? nl + 1 : line + strlen(line);
                if (nl)
                        *nl = '\0';
                /* "ID PARENT MAJ:MIN ROOT MOUNT-POINT ...": the kernel's
                 * own format (Documentation/filesystems/proc.rst). */
                errno = 0;
                id = strtoull(line, &end, 10);
                target = field(line, 4, &rest);
                if (errno || end == line || *end != ' ' || !target || target[0] != '/') {
                        r = -EBADMSG;
                        goto out;
                }
                mountinfo_unescape(target);
                r = add(mi, &cap, id, target);
                if (r < 0)
                        goto out;
        }
        if (mi->n)
                qsort(mi->v, mi->n, sizeof *mi->v, cmp_target);
        mi->by_id = calloc(mi->n + 1, sizeof(size_t));
        if (!mi->by_id) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < mi->n; i++)
                mi->by_id[i] = i;
        if (mi->n)
                qsort_r(mi->by_id, mi->n, sizeof(size_t), cmp_id, mi->v);
        *ret = TAKE_PTR(mi);
out:
        mountinfo_free(mi);
        return r;
}

static int proc_self_fd = -1;

void mountinfo_use_proc_self(int fd)
{
        proc_self_fd = fd;
}

/* This process's mountinfo, as text (through proc_self_fd if set). */
static int read_text(char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -1;

        fd = proc_self_fd >= 0 ? openat(proc_self_fd, "mountinfo", O_RDONLY | O_CLOEXEC)
                               : open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        return read_all(fd, 0, ret, ret_len);
}

int mountinfo_load(struct mountinfo **ret)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        r = read_text(&buf, &len);
        if (r < 0)
                return log_errno(r, "read /proc/self/mountinfo");
        r = mountinfo_parse(buf, ret);
        if (r == -EBADMSG)
                log_error("/proc/self/mountinfo: a line cairn cannot read");
        return r;
}

int mountinfo_describe(uint64_t id, char *buf, size_t size)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = read_text(&text, &len);
        if (r < 0)
                return r;
        for (char *line = text, *nl; *line; line = nl + 1) {
                char *sep, *fstype, *source, *end;
                unsigned long long v;

                nl = strchr(line, '\n');
                if (!nl)
                        break;
                *nl = '\0';
                v = strtoull(line, &end, 10);
                if (end == line || *end != ' ' || v != id)
                        continue;
                sep = strstr(line, " - ");
                if (!sep)
                        return -EBADMSG;
                fstype = sep + 3;
                source = strchr(fstype, ' ');
                if (source)
                        *source++ = '\0';
                end = source ? strchr(source, ' ') : NULL;
                if (end)
                        *end = '\0';
                if (source)
                        mountinfo_unescape(source);
                snprintf(buf, size, "%s %s, mount %llu", fstype, source ? source : "?", v);
                return 0;
        }
        return -ENOENT;
}

void mountinfo_free(struct mountinfo *mi)
{
        if (!mi)
                return;
        for (size_t i = 0; i < mi->n; i++)
                free(mi->v[i].target);
        free(mi->v);
        free(mi->by_id);
        free(mi);
}

static struct mount_entry *by_id(struct mountinfo *mi, uint64_t id)
{
        size_t lo = 0, hi = mi->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                struct mount_entry *e = &mi->v[mi->by_id[mid]];

                if (e->id == id)
                        return e->gone ? NULL : e;
                if (e->id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

/* The first index whose target is not less than `s`. */
static size_t lower_bound(const struct mountinfo *mi, const char *s)
{
        size_t lo = 0, hi = mi->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(mi->v[mid].target, s) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

bool mountinfo_beneath_except(struct mountinfo *mi, const char *path,
                              bool (*skip)(uint64_t id, void *ud), void *ud,
                              const char **ret_target, uint64_t *ret_id)
{
        /* "DIR/" asks for what is strictly beneath DIR; "DIR" for DIR too. */
        size_t n = strlen(path);
        bool strict = n > 1 && path[n - 1] == '/';
        _cleanup_free_ char *key = NULL;

        while (n > 1 && path[n - 1] == '/')
                n--;
        key = strndup(path, n);
        if (!key)
                return true; /* cannot tell: say yes, so nothing is removed */
        /* Everything starting with the path sorts from here on, mixed only
         * with siblings that share its name as a prefix ("a-x" < "a/"). */
        for (size_t i = lower_bound(mi, key); i < mi->n; i++) {
                const struct mount_entry *e = &mi->v[i];

                if (strncmp(e->target, key, n) != 0)
                        break;
                if (e->gone)
                        continue;
                if (n == 1) { /* "/": everything but "/" itself when strict */
                        if (strict && e->target[1] == '\0')
                                continue;
                } else if (e->target[n] != '/' && (e->target[n] != '\0' || strict))
                        continue;
                if (skip && skip(e->id, ud))
                        continue;
                if (ret_target)
                        *ret_target = e->target;
                if (ret_id)
                        *ret_id = e->id;
                return true;
        }
        return false;
}

bool mountinfo_beneath(struct mountinfo *mi, const char *path, const char **ret_target,
                       uint64_t *ret_id)
{
        return mountinfo_beneath_except(mi, path, NULL, NULL, ret_target, ret_id);
}

const char *mountinfo_covering(struct mountinfo *mi, const char *root, const char *path,
                               bool (*skip)(uint64_t id, void *ud), void *ud)
{
        size_t nroot = strlen(root), best_len = 0;
        const char *best = NULL;

        for (size_t i = 0; i < mi->n; i++) {
                const char *t = mi->v[i].target;
                size_t n = strlen(t);

                if (mi->v[i].gone || n < nroot || strncmp(t, root, nroot) != 0 ||
                    (t[nroot] && t[nroot] != '/'))
                        continue; /* gone, or not inside the root */
                if (strncmp(path, t, n) != 0 || (path[n] && path[n] != '/'))
                        continue; /* not at or above path */
                if (skip && skip(mi->v[i].id, ud))
                        continue;
                if (n >= best_len) {
                        best = t;
                        best_len = n;
                }
        }
        return best;
}

bool mountinfo_has_id(struct mountinfo *mi, uint64_t id)
{
        return by_id(mi, id) != NULL;
}

const char *mountinfo_target(struct mountinfo *mi, uint64_t id)
{
        struct mount_entry *e = by_id(mi, id);

        return e ? e->target : NULL;
}

void mountinfo_forget(struct mountinfo *mi, uint64_t id)
{
        struct mount_entry *e = by_id(mi, id);

        if (e)
                e->gone = true;
}
