/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Making a session, for setup: a fresh id, its journal in the state
 * directory first, then the root the journal announces (PARENT/ID, made
 * here) or the --root directory it takes (checked to be no other
 * session's).  The rest of the store, finding and listing sessions, is
 * sessions.c; both are declared in sessions.h.
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "resolve.h"
#include "root.h"
#include "rootfs.h"
#include "sessions.h"
#include "trust.h"
#include "util.h"

#define ID_PREFIX SESSION_ID_PREFIX
#define ID_RANDOM SESSION_ID_RANDOM

void session_close(struct session *s)
{
        if (s->root_fd >= 0)
                close(s->root_fd);
        journal_free(s->j);
        free(s->id);
        free(s->root);
        *s = (struct session) { .root_fd = -1 };
}

static int random_id(char ret[static sizeof(ID_PREFIX) + ID_RANDOM])
{
        static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        unsigned char rnd[ID_RANDOM];

        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
                return negative_errno();
        memcpy(ret, ID_PREFIX, strlen(ID_PREFIX));
        for (size_t i = 0; i < ID_RANDOM; i++)
                ret[strlen(ID_PREFIX) + i] = alnum[rnd[i] % (sizeof alnum - 1)];
        ret[strlen(ID_PREFIX) + ID_RANDOM] = '\0';
        return 0;
}

/* The state directory, made if missing (once, there ever after: look
 * before making it), opened read-only: a descriptor to lock.  It and
 * every directory above it must be root's and not writable by others
 * (open_trusted()'s rules): whoever could change it could rename a
 * journal, or plant one. */
int state_dir_open(const char *dir, int *ret_fd)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *copy = NULL;
        int r;

        r = trust_open(dir, TRUST_DIR | TRUST_QUIET, ret_fd);
        if (r == -ENOENT) {
                copy = strdup(dir);
                if (!copy)
                        return -ENOMEM;
                r = trust_open(dirname(copy), TRUST_DIR, &fd);
                if (r < 0)
                        return log_errno(r, "state directory %s", dir);
                if (mkdirat(fd, basename(strcpy(copy, dir)), 0700) < 0 && errno != EEXIST)
                        return log_errno(negative_errno(), "state directory %s", dir);
                r = trust_open(dir, TRUST_DIR | TRUST_QUIET, ret_fd);
        }
        if (r < 0) {
                log_error("state directory: %s", trust_reason());
                return r;
        }
        return 0;
}

/* A new journal under a fresh random id, announcing `root`: the given one
 * (--root), or PARENT/ID for the root made next. */
static int session_journal(const struct cfg *cfg, struct session *s, const char *parent,
                           const struct given_root *given, char id[static sizeof(ID_PREFIX) + ID_RANDOM])
{
        int r;

        for (unsigned tries = 0;; tries++) {
                struct journal_root root = { .owned = !given };

                r = random_id(id);
                if (r < 0)
                        return log_errno(r, "random session id");
                free(s->root);
                s->root = given ? strdup(given->path)
                                : xasprintf("%s/%s", streq(parent, "/") ? "" : parent, id);
                if (!s->root)
                        return -ENOMEM;
                root.path = s->root;
                if (given) {
                        root.dev = given->dev;
                        root.ino = given->ino;
                }
                r = journal_create(cfg->state_dir, id, &root, &s->j);
                if (r == -EEXIST && tries < 100)
                        continue;
                if (r < 0)
                        return log_errno(r, "create journal %s/%s.journal", cfg->state_dir, id);
                s->id = strdup(id);
                return s->id ? 0 : -ENOMEM;
        }
}

static void session_abandon(struct session *s)
{
        (void) journal_remove(TAKE_PTR(s->j));
        free(TAKE_PTR(s->root));
        free(TAKE_PTR(s->id));
}

/* Make the session: journal first, then the root it announces, mode 0700
 * until setup is done. */
int session_begin(const struct cfg *cfg, struct session *s)
{
        _cleanup_free_ char *parent = NULL;
        _cleanup_close_ int pfd = -1, sfd = -1;
        char id[sizeof(ID_PREFIX) + ID_RANDOM];
        struct stat st;
        uint64_t seq;
        int r;

        r = state_dir_open(cfg->state_dir, &sfd);
        if (r < 0)
                return r;
        r = open_real_dir(cfg->root_parent, &pfd, &parent);
        if (r < 0)
                return log_errno(r, "root_parent %s", cfg->root_parent);
        /* The root is made, then opened, by name: nobody else may replace
         * it in between (the config check said so of the path; this is
         * the directory used). */
        if (fstat(pfd, &st) < 0)
                return log_errno(negative_errno(), "root_parent %s", parent);
        if (!dir_keeps_entries(&st)) {
                log_error("root_parent %s: others may rename what is in it (owned by uid %u, mode %04o)",
                          parent, (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
                return -EPERM;
        }

        for (unsigned tries = 0;; tries++) {
                r = session_journal(cfg, s, parent, NULL, id);
                if (r < 0)
                        return r;
                seq = s->j->recs[s->j->n_recs - 1].seq; /* J_ROOT's */
                if (mkdirat(pfd, id, 0700) == 0)
                        break;
                r = negative_errno();
                /* Not ours: the undo must not remove it. */
                (void) journal_append(s->j, J_UNDONE, NULL, NULL, seq, 0, NULL);
                session_abandon(s);
                if (r != -EEXIST || tries >= 100)
                        return log_errno(r, "create root %s/%s", parent, id);
        }
        s->owned_root = true;
        /* Read-only, not O_PATH: a directory opens without side effects,
         * and fchmod() then works on it (no /proc/self/fd path). */
        s->root_fd = openat(pfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s->root_fd < 0)
                return log_errno(negative_errno(), "open root %s", s->root);
        r = fd_identity(s->root_fd, &s->root_dev, &s->root_ino);
        if (r < 0)
                return log_errno(r, "stat root %s", s->root);
        s->made_dev = s->root_dev;
        s->made_ino = s->root_ino;
        /* What the root is, for teardown to tell it from whatever may be
         * at its path later; with the first action's record (until then
         * the root is an empty directory of the session's own name). */
        r = journal_note(s->j, J_ROOTID, NULL, NULL, s->root_dev, s->root_ino, NULL);
        if (r >= 0 && rootfs_wanted(cfg))
                r = rootfs_attach(cfg, s, pfd, id);
        return r;
}

/* --root DIR: the session uses an existing directory, which stays as it
 * is (its mode too); teardown removes only what cairn made in it.  One
 * session a directory: the state directory is locked while the others'
 * roots are compared with this one, by identity (the same directory by
 * another path, a bind mount of it, is the same root) and by path, and
 * until this session's journal says it is taken. */
int session_begin_given(const struct cfg *cfg, const struct given_root *given, struct session *s)
{
        _cleanup_close_ int sfd = -1;
        _cleanup_free_ char *other = NULL;
        char id[sizeof(ID_PREFIX) + ID_RANDOM];
        const struct journal_root root = {
                .path = given->path, .dev = given->dev, .ino = given->ino,
        };
        int r;

        /* The caller's directory, and the caller's mounts: a runtime makes
         * its rootfs read-only itself (OCI root.readonly). */
        if (cfg->root_readonly)
                log_notice("%s:%u: [cairn] root_readonly applies to roots cairn makes; --root %s is "
                           "left as the caller made it", cfg->root_readonly_where.file,
                           cfg->root_readonly_where.line, given->path);
        r = state_dir_open(cfg->state_dir, &sfd);
        if (r < 0)
                return r;
        while (flock(sfd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return log_errno(negative_errno(), "lock the state directory %s", cfg->state_dir);
        r = sessions_find_root(cfg->state_dir, &root, &other);
        if (r < 0)
                return log_errno(r, "--root %s: cannot tell whether it is a session's root", given->path);
        if (r > 0) {
                log_error("--root %s: already the root of session %s", given->path, other);
                return -EEXIST; /* nothing done: not -EBUSY, which means a leftover */
        }
        s->root_fd = fcntl(given->fd, F_DUPFD_CLOEXEC, 3);
        if (s->root_fd < 0)
                return log_errno(negative_errno(), "--root %s", given->path);
        s->root_dev = given->dev;
        s->root_ino = given->ino;
        s->owned_root = false;
        return session_journal(cfg, s, NULL, given, id);
}
