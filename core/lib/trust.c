/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "log.h"
#include "trust.h"
#include "util.h"

const char *fd_path(int fd, char buf[static 32])
{
        snprintf(buf, 32, "/proc/self/fd/%d", fd);
        return buf;
}

int open_trusted_path(const char *path, int *ret_fd)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        bool owner_ok;

        /* O_PATH first: opening a FIFO or a device for reading could block
         * or have side effects before we learn it is not a regular file. */
        fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return log_errno(negative_errno(), "%s", path);
        if (fstat(fd, &st) < 0)
                return log_errno(negative_errno(), "%s: stat", path);
        if (!S_ISREG(st.st_mode)) {
                log_error("%s: not a regular file", path);
                return -EPERM;
        }
        owner_ok = st.st_uid == 0;
#ifdef CAIRN_TEST_MODE
        owner_ok = owner_ok || st.st_uid == geteuid();
#endif
        if (!owner_ok) {
                log_error("%s: owned by uid %u, not by root; refusing to use it", path,
                          (unsigned) st.st_uid);
                return -EPERM;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
                log_error("%s: writable by %s (mode %04o); refusing to use it", path,
                          (st.st_mode & S_IWOTH) ? "others" : "group",
                          (unsigned) (st.st_mode & 07777));
                return -EPERM;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int open_trusted(const char *path, int *ret_fd)
{
        _cleanup_close_ int fd = -1;
        char buf[32];
        int r, rfd;

        r = open_trusted_path(path, &fd);
        if (r < 0)
                return r;
        /* Reopen what was checked, through its descriptor: the magic link
         * is the inode the O_PATH descriptor holds, not a path that could
         * have been replaced meanwhile. */
        rfd = open(fd_path(fd, buf), O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (rfd < 0)
                return log_errno(negative_errno(), "%s", path);
        *ret_fd = rfd;
        return 0;
}
