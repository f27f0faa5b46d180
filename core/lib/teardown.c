/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Teardown: find the session (sessions.h), open its root by identity,
 * and undo its journal backward (undo.h); the journal goes only once
 * nothing is left.
 */
#include <fcntl.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "root.h"
#include "rootfs.h"
#include "sessions.h"
#include "undo.h"
#include "util.h"

/* A root with a mount of cairn's on it (J_ROOTFS): the undo works in that
 * mount, found at the root's path (or the hint) by its mount ID; if it is
 * not there (unmounted by a teardown that crashed before saying so, or
 * by someone else), a tmpfs root's contents are gone with it (-1: the
 * undo finds cairn's mounts by their IDs), and a bind's are in the
 * directory itself. */
static int open_root_mount(struct session *s, const struct journal_root *jr, int hint)
{
        _cleanup_close_ int fd = -1;
        uint64_t dev, ino;

        s->made_dev = jr->dev;
        s->made_ino = jr->ino;
        if (hint >= 0 && rootfs_is(hint, jr))
                fd = fcntl(hint, F_DUPFD_CLOEXEC, 3);
        else
                fd = open(jr->path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
                        return 0; /* gone */
                return log_errno(negative_errno(), "open root %s", jr->path);
        }
        if (!rootfs_is(fd, jr) && !(streq(jr->fs, "bind") && fd_identity(fd, &dev, &ino) == 0 &&
                                    dev == jr->dev && ino == jr->ino))
                return 0;
        if (fd_identity(fd, &s->root_dev, &s->root_ino) < 0)
                return log_errno(negative_errno(), "stat root %s", jr->path);
        s->root_fd = TAKE_FD(fd);
        return 0;
}

/* The session's root directory, for the undo: `hint` (a descriptor of
 * the directory teardown was asked about) or what the recorded path leads
 * to, if it is the directory the journal says (st_dev, st_ino); else -1,
 * and the undo acts as for a root that is gone (it finds cairn's mounts by
 * their IDs, and removes nothing inside the root).  Never a directory put
 * at the root's path since: a symlink to another session's root, say. */
static int open_session_root(struct session *s, const struct journal_root *jr, int hint)
{
        _cleanup_close_ int fd = -1;
        uint64_t dev, ino;

        if (jr->fs && !jr->fs_undone)
                return open_root_mount(s, jr, hint);

        if (!jr->ino) {
                /* Not known (a journal before version 3, or a setup that
                 * died right after making its root): the root itself,
                 * never a symlink in its place. */
                fd = open(jr->path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 && errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
                        return log_errno(negative_errno(), "open root %s", jr->path);
                s->root_fd = TAKE_FD(fd);
                return 0;
        }
        s->root_dev = s->made_dev = jr->dev;
        s->root_ino = s->made_ino = jr->ino;
        if (hint >= 0 && fd_identity(hint, &dev, &ino) == 0 && dev == jr->dev && ino == jr->ino) {
                s->root_fd = fcntl(hint, F_DUPFD_CLOEXEC, 3);
                return s->root_fd < 0 ? log_errno(negative_errno(), "open root %s", jr->path) : 0;
        }
        fd = open(jr->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return 0; /* gone */
                return log_errno(negative_errno(), "open root %s", jr->path);
        }
        if (fd_identity(fd, &dev, &ino) == 0 && dev == jr->dev && ino == jr->ino) {
                s->root_fd = TAKE_FD(fd);
                return 0;
        }
        log_notice("%s: no longer the root of session %s (another directory is there now); "
                   "nothing in it is touched", jr->path, s->id);
        return 0;
}

int engine_teardown_journal(struct journal *j, int root_hint, struct loader *loader)
{
        _cleanup_(session_close) struct session s = { .root_fd = -1, .j = j };
        struct journal_root jr;
        int r;

        journal_root(j, &jr);
        s.root = strdup(jr.path);
        s.owned_root = jr.owned;
        s.id = strdup(j->id);
        if (!s.root || !s.id) {
                if (root_hint >= 0)
                        close(root_hint);
                return log_errno(-ENOMEM, "teardown");
        }
        r = open_session_root(&s, &jr, root_hint);
        /* Not held any longer: a descriptor in the root's own mount
         * would keep it busy. */
        if (root_hint >= 0)
                close(root_hint);
        if (r < 0)
                return -EBUSY;
        r = journal_append(s.j, J_TEARDOWN, NULL, NULL, 0, 0, NULL);
        if (r >= 0)
                r = undo_all(&s, loader);
        if (r < 0) {
                log_error("teardown of %s left something behind; journal %s kept", s.root, s.j->path);
                return -EBUSY;
        }
        return journal_remove(TAKE_PTR(s.j)) < 0 ? -EBUSY : 0;
}

int engine_teardown(const char *state_dir, const char *root_or_id, int root_fd_arg, struct loader *loader)
{
        _cleanup_close_ int hint = -1, root_fd = root_fd_arg;
        struct journal *j = NULL;
        int r;

        r = session_find(state_dir, root_or_id, &j, &hint);
        if (r == -ENOENT) {
                log_info("%s: no such session (already torn down?)", root_or_id);
                return 0;
        }
        if (r < 0)
                return r == -EINVAL ? r : -EBUSY;
        return engine_teardown_journal(j, hint >= 0 ? TAKE_FD(hint) : TAKE_FD(root_fd), loader);
}
