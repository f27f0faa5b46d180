/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mountinfo.h"
#include "util.h"
#include "where.h"

#ifndef NS_GET_MNTNS_ID
#define NS_GET_MNTNS_ID _IOR(0xb7, 0x5, uint64_t)
#endif
#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

int mntns_of_fd(int fd, struct mntns *ret)
{
        struct stat st;
        uint64_t id = 0;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        /* Not an nsfs file: a namespace file is never a directory, and its
         * ioctl below would say nothing of a file of another kind. */
        if (S_ISDIR(st.st_mode))
                return -EINVAL;
        if (ioctl(fd, NS_GET_MNTNS_ID, &id) < 0)
                id = 0; /* before Linux 6.8: device and inode only */
        *ret = (struct mntns) { .dev = (uint64_t) st.st_dev, .ino = (uint64_t) st.st_ino, .id = id };
        return 0;
}

bool mntns_same(const struct mntns *a, const struct mntns *b)
{
        if (a->dev != b->dev || a->ino != b->ino)
                return false;
        return !a->id || !b->id || a->id == b->id;
}

bool boot_id_is_valid(const char *boot)
{
        if (!boot || strlen(boot) != BOOT_ID_LEN)
                return false;
        for (size_t i = 0; i < BOOT_ID_LEN; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? boot[i] != '-' : !strchr("0123456789abcdef", boot[i]))
                        return false;
        }
        return true;
}

static int read_boot_id(char out[BOOT_ID_LEN + 1])
{
        _cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        char buf[BOOT_ID_LEN + 2];
        ssize_t n;

        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, sizeof buf - 1);
        if (n < 0)
                return negative_errno();
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        if (!boot_id_is_valid(buf))
                return -EBADMSG;
        memcpy(out, buf, BOOT_ID_LEN + 1);
        return 0;
}

int where_here(struct where *ret)
{
        _cleanup_close_ int fd = -1;
        struct where w = {};
        int r;

        r = read_boot_id(w.boot);
        if (r < 0)
                return r;
        fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = mntns_of_fd(fd, &w.ns);
        if (r < 0)
                return r;
        *ret = w;
        return 0;
}

int where_here_quick(struct where *ret)
{
        struct where w = {};
        struct stat st;
        int r;

        r = read_boot_id(w.boot);
        if (r < 0)
                return r;
        if (stat("/proc/self/ns/mnt", &st) < 0)
                return negative_errno();
        w.ns = (struct mntns) { .dev = (uint64_t) st.st_dev, .ino = (uint64_t) st.st_ino };
        *ret = w;
        return 0;
}

/* Process `pid`'s mount namespace file, if it is `ns`: stat()ed first (a
 * look costs no descriptor), then opened and checked again on the
 * descriptor, which is what is used. */
static int try_pid(const struct mntns *ns, pid_t pid, int *ret_fd)
{
        _cleanup_close_ int fd = -1;
        char path[64];
        struct mntns got;
        struct stat st;

        snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int) pid);
        if (stat(path, &st) < 0 || (uint64_t) st.st_dev != ns->dev || (uint64_t) st.st_ino != ns->ino)
                return 0;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || mntns_of_fd(fd, &got) < 0 || !mntns_same(&got, ns))
                return 0;
        *ret_fd = TAKE_FD(fd);
        return 1;
}

/* An nsfs file of `ns` bound in this namespace: a mountinfo line whose
 * root is "mnt:[INO]" and whose filesystem is nsfs. */
static int try_bound(const struct mntns *ns, int *ret_fd)
{
        _cleanup_free_ char *line = NULL;
        char want[48];
        size_t cap = 0;
        int found = 0;
        FILE *f;

        f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return 0;
        snprintf(want, sizeof want, "mnt:[%llu]", (unsigned long long) ns->ino);
        while (getline(&line, &cap, f) > 0) {
                char *save = NULL, *root, *target, *sep;
                _cleanup_close_ int fd = -1;
                struct mntns got;

                sep = strstr(line, " - nsfs ");
                if (!sep || !strtok_r(line, " ", &save) || !strtok_r(NULL, " ", &save) ||
                    !strtok_r(NULL, " ", &save))
                        continue;
                root = strtok_r(NULL, " ", &save);
                target = strtok_r(NULL, " ", &save);
                if (!root || !target || !streq(root, want) || target > sep)
                        continue;
                mountinfo_unescape(target);
                fd = open(target, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0 && mntns_of_fd(fd, &got) == 0 && mntns_same(&got, ns)) {
                        *ret_fd = TAKE_FD(fd);
                        found = 1;
                        break;
                }
        }
        fclose(f);
        return found;
}

int mntns_find(const struct mntns *ns, pid_t hint, int *ret_fd, pid_t *ret_pid)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        if (hint > 0 && try_pid(ns, hint, ret_fd)) {
                *ret_pid = hint;
                return 1;
        }
        d = opendir("/proc");
        if (!d)
                return negative_errno();
        while ((errno = 0, de = readdir(d))) {
                char *end;
                long pid = strtol(de->d_name, &end, 10);

                if (*end || pid <= 0 || pid == hint)
                        continue;
                if (try_pid(ns, (pid_t) pid, ret_fd)) {
                        *ret_pid = (pid_t) pid;
                        return 1;
                }
        }
        if (errno)
                return negative_errno();
        if (try_bound(ns, ret_fd)) {
                *ret_pid = 0;
                return 1;
        }
        return 0;
}
