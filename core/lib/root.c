/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "log.h"
#include "mountinfo.h"
#include "resolve.h"
#include "root.h"
#include "util.h"

int fd_identity(int fd, uint64_t *ret_dev, uint64_t *ret_ino)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        *ret_dev = (uint64_t) st.st_dev;
        *ret_ino = (uint64_t) st.st_ino;
        return 0;
}

/* Whether the mount `fd` is on belongs to this mount namespace: by its
 * unique ID (statmount(2) looks in the caller's namespace only), else by
 * its mount ID in /proc/self/mountinfo (mount IDs are unique across
 * namespaces while they exist). */
static int in_this_mount_ns(int fd)
{
        struct mountinfo *mi = NULL;
        uint64_t id, old;
        bool found;
        int r;

        if (mount_id_unique_at(fd, "", &id) == 0) {
                r = mount_id_of_unique(id, &old);
                if (r == 0)
                        return 1;
                if (r == -ENOENT)
                        return 0;
        }
        r = fd_mount_id(fd, &id);
        if (r < 0)
                return r;
        r = mountinfo_load(&mi);
        if (r < 0)
                return r;
        found = mountinfo_has_id(mi, id);
        mountinfo_free(mi);
        return found;
}

void given_root_clear(struct given_root *g)
{
        if (g->fd >= 0)
                close(g->fd);
        free(g->path);
        *g = (struct given_root) { .fd = -1 };
}

int given_root_open(const char *dir, struct given_root *ret)
{
        struct given_root g = { .fd = -1 };
        uint64_t host_dev, host_ino;
        _cleanup_close_ int host = -1;
        struct stat st;
        int r;

        /* Once: the descriptor is the root from here on.  What the path
         * leads to a moment later (another directory renamed into its
         * place, a symlink to "/") changes nothing. */
        g.fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (g.fd < 0) {
                r = negative_errno();
                if (r == -ENOTDIR)
                        log_error("--root %s: not a directory", dir);
                else
                        log_errno(r, "--root %s", dir);
                goto fail;
        }
        if (fstat(g.fd, &st) < 0) {
                r = log_errno(negative_errno(), "--root %s", dir);
                goto fail;
        }
        g.dev = (uint64_t) st.st_dev;
        g.ino = (uint64_t) st.st_ino;
        if (st.st_nlink == 0) {
                log_error("--root %s: a directory that has been deleted", dir);
                r = -ENOENT;
                goto fail;
        }
        /* The stack would mount over the host's own /proc, /dev/kvm...;
         * and a runtime that means it has a bug. */
        host = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (host >= 0 && fd_identity(host, &host_dev, &host_ino) == 0 && host_dev == g.dev &&
            host_ino == g.ino) {
                log_error("--root %s: the host's root directory; a sandbox root must be "
                          "another one", dir);
                r = -EINVAL;
                goto fail;
        }
        /* A tree seen through /proc/PID/root of a process in another
         * mount namespace: a mount cannot be attached there from here
         * (the kernel refuses it half-way through a setup). */
        r = in_this_mount_ns(g.fd);
        if (r < 0) {
                log_errno(r, "--root %s: cannot tell its mount namespace", dir);
                goto fail;
        }
        if (r == 0) {
                log_error("--root %s: in another mount namespace (a process's /proc/PID/root?); "
                          "cairn mounts in its own: run it in that namespace (nsenter --mount)", dir);
                r = -EXDEV;
                goto fail;
        }
        g.path = path_make_absolute(dir);
        if (!g.path) {
                r = log_errno(negative_errno(), "--root %s", dir);
                goto fail;
        }
        *ret = g;
        return 0;
fail:
        given_root_clear(&g);
        return r;
}
