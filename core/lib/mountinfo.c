/* SPDX-License-Identifier: Apache-2.0 */
#include <libmount.h>

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

int mountinfo_load(struct mountinfo **ret)
{
        struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs = NULL;
        struct mountinfo *mi = calloc(1, sizeof *mi);
        size_t cap = 0;
        int r = 0;

        if (!tb || !it || !mi) {
                r = log_errno(tb ? -ENOMEM : negative_errno(), "read /proc/self/mountinfo");
                goto out;
        }
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *t = mnt_fs_get_target(fs);

                if (!t)
                        continue;
                if (mi->n == cap) {
                        struct mount_entry *v;
                        cap = cap ? cap * 2 : 64;
                        v = realloc(mi->v, cap * sizeof *v);
                        if (!v) {
                                r = -ENOMEM;
                                goto out;
                        }
                        mi->v = v;
                }
                mi->v[mi->n] = (struct mount_entry) { .id = (uint64_t) mnt_fs_get_id(fs), .target = strdup(t) };
                if (!mi->v[mi->n].target) {
                        r = -ENOMEM;
                        goto out;
                }
                mi->n++;
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
        mnt_free_iter(it);
        mnt_unref_table(tb);
        mountinfo_free(mi);
        return r;
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
