/* SPDX-License-Identifier: Apache-2.0 */
#include <libmount.h>

#include "log.h"
#include "mountinfo.h"
#include "util.h"

int mountinfo_load(struct libmnt_table **ret)
{
        struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");

        if (!tb)
                return log_errno(negative_errno(), "read /proc/self/mountinfo");
        *ret = tb;
        return 0;
}

void mountinfo_free(struct libmnt_table *tb)
{
        mnt_unref_table(tb);
}

static struct libmnt_fs *by_id(struct libmnt_table *tb, uint64_t id)
{
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs = NULL, *found = NULL;

        if (!it)
                return NULL;
        while (mnt_table_next_fs(tb, it, &fs) == 0)
                if ((uint64_t) mnt_fs_get_id(fs) == id) {
                        found = fs;
                        break;
                }
        mnt_free_iter(it);
        return found;
}

bool mountinfo_beneath(struct libmnt_table *tb, const char *path, const char **ret_target,
                       uint64_t *ret_id)
{
        return mountinfo_beneath_except(tb, path, NULL, NULL, ret_target, ret_id);
}

bool mountinfo_beneath_except(struct libmnt_table *tb, const char *path,
                              bool (*skip)(uint64_t id, void *ud), void *ud,
                              const char **ret_target, uint64_t *ret_id)
{
        size_t n = strlen(path);
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs = NULL;
        bool found = false;

        if (!it)
                return true; /* cannot tell: say yes, so nothing is removed */
        /* "DIR/" asks for what is strictly beneath DIR; "DIR" for DIR too. */
        bool strict = n > 1 && path[n - 1] == '/';

        while (n > 1 && path[n - 1] == '/')
                n--;
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *t = mnt_fs_get_target(fs);

                if (t && strncmp(t, path, n) == 0 && ((t[n] == '\0' && !strict) || t[n] == '/') &&
                    !(skip && skip((uint64_t) mnt_fs_get_id(fs), ud))) {
                        if (ret_target)
                                *ret_target = t;
                        if (ret_id)
                                *ret_id = (uint64_t) mnt_fs_get_id(fs);
                        found = true;
                        break;
                }
        }
        mnt_free_iter(it);
        return found;
}

bool mountinfo_has_id(struct libmnt_table *tb, uint64_t id)
{
        return by_id(tb, id) != NULL;
}

const char *mountinfo_target(struct libmnt_table *tb, uint64_t id)
{
        struct libmnt_fs *fs = by_id(tb, id);

        return fs ? mnt_fs_get_target(fs) : NULL;
}

void mountinfo_forget(struct libmnt_table *tb, uint64_t id)
{
        struct libmnt_fs *fs = by_id(tb, id);

        if (fs)
                mnt_table_remove_fs(tb, fs);
}

const char *mountinfo_covering(struct libmnt_table *tb, const char *root, const char *path,
                               bool (*skip)(uint64_t id, void *ud), void *ud)
{
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs = NULL;
        const char *best = NULL;
        size_t nroot = strlen(root), best_len = 0;

        if (!it)
                return NULL;
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *t = mnt_fs_get_target(fs);
                size_t n = t ? strlen(t) : 0;

                if (!t || n < nroot || strncmp(t, root, nroot) != 0 || (t[nroot] && t[nroot] != '/'))
                        continue; /* not inside the root */
                if (strncmp(path, t, n) != 0 || (path[n] && path[n] != '/'))
                        continue; /* not at or above path */
                if (skip && skip((uint64_t) mnt_fs_get_id(fs), ud))
                        continue;
                if (n >= best_len) {
                        best = t;
                        best_len = n;
                }
        }
        mnt_free_iter(it);
        return best;
}
