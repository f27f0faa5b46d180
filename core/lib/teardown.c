/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Teardown: find the session (sessions.h), open its root by identity,
 * and undo its journal backward (undo.h); the journal goes only once
 * nothing is left.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "mountinfo.h"
#include "root.h"
#include "rootfs.h"
#include "sessions.h"
#include "undo.h"
#include "util.h"
#include "where.h"

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

/* Undo the journal here, in this mount namespace; the journal stays (the
 * caller removes it once nothing is left).  `gone`: the session's mount
 * namespace, or its boot, is gone, and every mount of the session with
 * it; nothing is looked up by mount ID (another mount may have it now). */
static int undo_here(struct journal *j, int root_hint, struct loader *loader, bool gone)
{
        _cleanup_(session_close) struct session s = { .root_fd = -1, .j = j, .mounts_gone = gone };
        struct journal_root jr;
        int r;

        journal_root(j, &jr);
        if (gone)
                jr.fs_undone = true; /* a tmpfs on the root went with the rest */
        s.root = strdup(jr.path);
        s.owned_root = jr.owned;
        s.id = strdup(j->id);
        if (!s.root || !s.id) {
                s.j = NULL;
                if (root_hint >= 0)
                        close(root_hint);
                return log_errno(-ENOMEM, "teardown");
        }
        r = open_session_root(&s, &jr, root_hint);
        /* Not held any longer: a descriptor in the root's own mount
         * would keep it busy. */
        if (root_hint >= 0)
                close(root_hint);
        if (r >= 0)
                r = undo_all(&s, loader);
        s.j = NULL; /* the caller's */
        if (r < 0)
                log_error("teardown of %s left something behind; journal %s kept", jr.path, j->path);
        return r < 0 ? -EBUSY : 0;
}

/* The session's owner, if the journal names one and it still runs: the
 * first process to look in for the session's namespace. */
static pid_t live_owner(const struct journal *j)
{
        for (size_t i = 2; i < j->n_recs; i++) {
                const struct jrec *r = &j->recs[i];
                pid_t pid;

                if (r->type != J_OWNER)
                        continue;
                pid = (pid_t) strtol(r->a, NULL, 10);
                return process_is(pid, strtoull(r->b, NULL, 10)) ? pid : 0;
        }
        return 0;
}

/* Undo in namespace `nsfd` (of process `pid`; 0: a bound nsfs file): in a
 * child that enters it with setns(2), since a mount namespace is entered
 * by a whole process and this one must come back.  The journal's
 * descriptor and lock are shared with the child. */
static int undo_in_namespace(struct journal *j, const struct where *w, int nsfd, pid_t pid,
                             struct loader *loader)
{
        char of[32] = "";
        pid_t child;
        int status;

        if (pid)
                snprintf(of, sizeof of, " of pid %d", (int) pid);
        log_notice("notice: [%s] tearing down in mount namespace %llu%s", j->id,
                   (unsigned long long) w->ns.ino, of);
        child = fork();
        if (child < 0)
                return log_errno(negative_errno(), "[%s] fork to enter mount namespace %llu", j->id,
                                 (unsigned long long) w->ns.ino);
        if (child == 0) {
                /* This process's /proc entry, from here: the namespace's
                 * own /proc (a container's) may not show it. */
                int self = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);

                if (setns(nsfd, CLONE_NEWNS) < 0) {
                        log_errno(negative_errno(), "[%s] cannot enter mount namespace %llu%s, where "
                                  "its mounts are", j->id, (unsigned long long) w->ns.ino, of);
                        _exit(3);
                }
                close(nsfd);
                mountinfo_use_proc_self(self);
                _exit(undo_here(j, -1, loader, false) < 0 ? 3 : 0);
        }
        while (waitpid(child, &status, 0) < 0)
                if (errno != EINTR)
                        return log_errno(negative_errno(), "[%s] wait for the teardown in mount "
                                         "namespace %llu", j->id, (unsigned long long) w->ns.ino);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        log_error("[%s] not torn down in mount namespace %llu%s; journal %s kept", j->id,
                  (unsigned long long) w->ns.ino, of, j->path);
        return -EBUSY;
}

int engine_teardown_journal_where(struct journal *j, int root_hint, struct loader *loader,
                                  enum teardown_where where)
{
        struct where rec, here;
        _cleanup_close_ int nsfd = -1;
        bool gone = where == TEARDOWN_NS_LEFT;
        pid_t pid = 0;
        int r;

        /* Begun, whatever comes of it: a teardown that fails from here on
         * leaves a session gc finishes. */
        if (journal_append(j, J_TEARDOWN, NULL, NULL, 0, 0, NULL) < 0)
                goto busy;
        if (!gone && journal_where(j, &rec) && where_here_quick(&here) == 0) {
                if (!streq(rec.boot, here.boot)) {
                        log_notice("notice: [%s] set up in another boot (%s): its mounts are gone; removing "
                                   "what cairn made", j->id, rec.boot);
                        gone = true;
                } else if (!mntns_same(&rec.ns, &here.ns)) {
                        r = mntns_find(&rec.ns, live_owner(j), &nsfd, &pid);
                        if (r < 0) {
                                log_errno(r, "[%s] look for mount namespace %llu in /proc; journal "
                                          "%s kept", j->id, (unsigned long long) rec.ns.ino, j->path);
                                goto busy;
                        }
                        if (r == 0) {
                                log_notice("notice: [%s] mount namespace %llu is gone, and the session's "
                                           "mounts with it; removing what cairn made", j->id,
                                           (unsigned long long) rec.ns.ino);
                                gone = true;
                        } else {
                                if (root_hint >= 0)
                                        close(TAKE_FD(root_hint));
                                r = undo_in_namespace(j, &rec, nsfd, pid, loader);
                                if (r < 0) {
                                        journal_free(j);
                                        return r;
                                }
                                return journal_remove(j) < 0 ? -EBUSY : 0;
                        }
                }
        }
        r = undo_here(j, TAKE_FD(root_hint), loader, gone);
        if (r < 0) {
                journal_free(j);
                return r;
        }
        return journal_remove(j) < 0 ? -EBUSY : 0;
busy:
        if (root_hint >= 0)
                close(root_hint);
        journal_free(j);
        return -EBUSY;
}

int engine_teardown_journal(struct journal *j, int root_hint, struct loader *loader)
{
        return engine_teardown_journal_where(j, root_hint, loader, TEARDOWN_FIND);
}

int engine_teardown_where(const char *state_dir, const char *root_or_id, int root_fd_arg,
                          struct loader *loader, enum teardown_where where)
{
        _cleanup_close_ int hint = -1, root_fd = root_fd_arg;
        struct journal *j = NULL;
        int r;

        r = session_find(state_dir, root_or_id, &j, &hint);
        if (r == -ENOENT) {
                log_notice("no session %s (nothing to do)", root_or_id);
                return 0;
        }
        if (r < 0)
                return r == -EINVAL ? r : -EBUSY;
        return engine_teardown_journal_where(j, hint >= 0 ? TAKE_FD(hint) : TAKE_FD(root_fd), loader,
                                             where);
}

int engine_teardown(const char *state_dir, const char *root_or_id, int root_fd, struct loader *loader)
{
        return engine_teardown_where(state_dir, root_or_id, root_fd, loader, TEARDOWN_FIND);
}
