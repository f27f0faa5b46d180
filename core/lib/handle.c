/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "handle.h"
#include "util.h"

#define HANDLE_MAX 128 /* MAX_HANDLE_SZ */

char *handle_text_of(int dirfd, const char *name)
{
        union {
                struct file_handle fh;
                char buf[sizeof(struct file_handle) + HANDLE_MAX];
        } h = { .fh.handle_bytes = HANDLE_MAX };
        int mount_id;
        char *text, *o;

        if (name_to_handle_at(dirfd, name, &h.fh, &mount_id, 0) < 0)
                return NULL;
        if (h.fh.handle_bytes == 0 || h.fh.handle_bytes > HANDLE_MAX) {
                errno = EOPNOTSUPP;
                return NULL;
        }
        text = malloc(12 + 2 * h.fh.handle_bytes + 1);
        if (!text)
                return NULL;
        o = text + sprintf(text, "%d:", h.fh.handle_type);
        for (unsigned i = 0; i < h.fh.handle_bytes; i++)
                o += sprintf(o, "%02x", (unsigned char) h.fh.f_handle[i]);
        return text;
}

int handle_dir_exists(int fs_fd, const char *text)
{
        union {
                struct file_handle fh;
                char buf[sizeof(struct file_handle) + HANDLE_MAX];
        } h = {};
        const char *colon = strchr(text, ':');
        _cleanup_close_ int fd = -1, mnt = -1;
        size_t n;
        struct stat st;

        /* The journal reader checked the shape (journal.c). */
        if (!colon)
                return -EINVAL;
        n = strlen(colon + 1) / 2;
        if (n == 0 || n > HANDLE_MAX)
                return -EINVAL;
        h.fh.handle_type = atoi(text);
        h.fh.handle_bytes = (unsigned) n;
        for (size_t i = 0; i < n; i++) {
                unsigned v;
                if (sscanf(colon + 1 + 2 * i, "%2x", &v) != 1)
                        return -EINVAL;
                h.fh.f_handle[i] = (unsigned char) v;
        }
        /* Not an O_PATH descriptor: open_by_handle_at() takes none. */
        mnt = openat(fs_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (mnt < 0)
                return negative_errno();
        fd = open_by_handle_at(mnt, &h.fh, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return errno == ESTALE || errno == ENOENT ? 0 : negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        return S_ISDIR(st.st_mode) && st.st_nlink > 0 ? 1 : 0;
}
