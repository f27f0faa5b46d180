/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <unistd.h>

#include "engine.h"
#include "loader.h"
#include "log.h"
#include "resolve.h"
#include "root.h"
#include "sessions.h"
#include "trust.h"
#include "undo.h"
#include "util.h"

#define ID_PREFIX SESSION_ID_PREFIX
#define ID_RANDOM SESSION_ID_RANDOM

static void session_close(struct session *s)
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
static int open_state_dir(const char *dir, int *ret_fd)
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
static int session_begin(const struct cfg *cfg, struct session *s)
{
        _cleanup_free_ char *parent = NULL;
        _cleanup_close_ int pfd = -1, sfd = -1;
        char id[sizeof(ID_PREFIX) + ID_RANDOM];
        struct stat st;
        uint64_t seq;
        int r;

        r = open_state_dir(cfg->state_dir, &sfd);
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
        /* What the root is, for teardown to tell it from whatever may be
         * at its path later; with the first action's record (until then
         * the root is an empty directory of the session's own name). */
        return journal_note(s->j, J_ROOTID, NULL, NULL, s->root_dev, s->root_ino, NULL);
}

/* --root DIR: the session uses an existing directory, which stays as it
 * is (its mode too); teardown removes only what cairn made in it.  One
 * session a directory: the state directory is locked while the others'
 * roots are compared with this one, by identity (the same directory by
 * another path, a bind mount of it, is the same root) and by path, and
 * until this session's journal says it is taken. */
static int session_begin_given(const struct cfg *cfg, const struct given_root *given, struct session *s)
{
        _cleanup_close_ int sfd = -1;
        _cleanup_free_ char *other = NULL;
        char id[sizeof(ID_PREFIX) + ID_RANDOM];
        const struct journal_root root = {
                .path = given->path, .dev = given->dev, .ino = given->ino,
        };
        int r;

        r = open_state_dir(cfg->state_dir, &sfd);
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

static int undo_all(struct session *s, struct loader *loader);

static int journal_entry(struct session *s, const struct cfg_entry *e)
{
        int r = journal_note(s->j, J_ENTRY, e->name, e->plugin_path, 0,
                             e->plugin->teardown ? 1 : 0, NULL);

        for (size_t i = 0; r >= 0 && i < e->n_options; i++)
                r = journal_note(s->j, J_OPT, e->options[i].key, e->options[i].value, 0, 0, NULL);
        /* The entry and its options go out with the first action its
         * plugin journals; a plugin with a teardown of its own may act
         * without the helpers, so its teardown must be on record first. */
        if (r >= 0 && e->plugin->teardown)
                r = journal_commit(s->j);
        return r;
}

static int run_entry(struct session *s, const struct cfg_entry *e)
{
        const char **keys = calloc(e->n_options + 1, sizeof(char *));
        const char **values = calloc(e->n_options + 1, sizeof(char *));
        int r;

        if (!keys || !values) {
                free(keys);
                free(values);
                return -ENOMEM;
        }
        for (size_t i = 0; i < e->n_options; i++) {
                keys[i] = e->options[i].key;
                values[i] = e->options[i].value;
        }
        {
                struct cairn_ctx ctx = { .s = s, .cfg = e, .entry = e->name, .plugin = e->plugin,
                                         .keys = keys, .values = values, .n_values = e->n_options };
                r = e->plugin->setup(&ctx);
        }
        free(keys);
        free(values);
        if (r > 0) {
                /* Like PAM, do not trust an out-of-range return value. */
                log_error("[%s] setup returned %d, not 0 or -errno; taken as a failure", e->name, r);
                r = -EPROTO;
        }
        return r;
}

int engine_setup(const struct cfg *cfg, struct loader *loader, const struct setup_opts *o,
                 struct setup_result *ret)
{
        struct session s = { .root_fd = -1 };
        enum entry_status *status = NULL;
        int r, u;

        status = calloc(cfg->n_entries + 1, sizeof *status);
        if (!status)
                return -ENOMEM;
        r = o && o->root ? session_begin_given(cfg, o->root, &s) : session_begin(cfg, &s);
        if (r < 0)
                goto rollback;
        if (o && o->owner > 0) {
                char pid[32], start[32];

                snprintf(pid, sizeof pid, "%d", (int) o->owner);
                snprintf(start, sizeof start, "%llu", o->owner_start);
                r = journal_note(s.j, J_OWNER, pid, start, 0, 0, NULL);
                if (r < 0)
                        goto rollback;
        }

        for (size_t i = 0; i < cfg->n_entries; i++) {
                const struct cfg_entry *e = &cfg->entries[i];
                size_t first = s.j->n_recs;

                if (!e->enabled) {
                        log_notice("[%s] skipped: when %s does not hold", e->name, e->when);
                        status[i] = ENTRY_SKIPPED;
                        r = journal_note(s.j, J_SKIP, e->name, e->plugin_name, 0, 0, NULL);
                        if (r < 0)
                                goto rollback;
                        continue;
                }
                log_debug("[%s] setup (plugin %s)", e->name, e->plugin_name);
                r = journal_entry(&s, e);
                if (r < 0)
                        goto rollback;
                r = run_entry(&s, e);
                if (r < 0 && e->control == CFG_OPTIONAL) {
                        log_warning("[%s] optional entry failed (%s); undoing it and going on",
                                    e->name, strerror(-r));
                        u = undo_records(&s, first, loader);
                        if (u < 0) {
                                r = u;
                                goto rollback;
                        }
                        status[i] = ENTRY_FAILED;
                        r = journal_note(s.j, J_END, e->name, "failed", 0, 0, NULL);
                        if (r < 0)
                                goto rollback;
                        continue;
                }
                if (r < 0) {
                        log_error("[%s] required entry failed (%s); rolling back", e->name, strerror(-r));
                        goto rollback;
                }
                status[i] = ENTRY_DONE;
                r = journal_note(s.j, J_END, e->name, "done", 0, 0, NULL);
                if (r < 0)
                        goto rollback;
        }

        if (s.owned_root) {
                /* Only now may others use the root. */
                if (fchmod(s.root_fd, cfg->root_mode) < 0) {
                        r = log_errno(negative_errno(), "chmod %s", s.root);
                        goto rollback;
                }
        }
        r = journal_append(s.j, J_READY, NULL, NULL, 0, 0, NULL);
        if (r < 0)
                goto rollback;
        ret->id = TAKE_PTR(s.id);
        ret->root = TAKE_PTR(s.root);
        ret->root_fd = TAKE_FD(s.root_fd);
        ret->status = status;
        ret->n_status = cfg->n_entries;
        session_close(&s);
        return 0;

rollback:
        free(status);
        if (!s.j) {
                session_close(&s);
                return r; /* nothing was done */
        }
        (void) journal_append(s.j, J_FAILED, NULL, NULL, 0, 0, NULL);
        u = undo_all(&s, loader);
        if (u < 0) {
                log_error("setup failed, and its rollback left something behind; the journal %s "
                          "is kept: run `cairn teardown %s` once it is free",
                          s.j->path, s.id);
                session_close(&s);
                return -EBUSY;
        }
        (void) journal_remove(TAKE_PTR(s.j));
        session_close(&s);
        return -ECANCELED;
}

void setup_result_clear(struct setup_result *r)
{
        free(r->id);
        free(r->root);
        free(r->status);
        if (r->root_fd >= 0)
                close(r->root_fd);
        *r = (struct setup_result) { .root_fd = -1 };
}

/* Undo everything, retrying once what failed: a busy mount is often free
 * a moment later (a process leaving it), and the second pass only redoes
 * what the first could not. */
static int undo_all(struct session *s, struct loader *loader)
{
        int r = undo_records(s, 0, loader);

        if (r == -EBUSY) {
                log_notice("retrying what could not be undone");
                usleep(100 * 1000);
                r = undo_records(s, 0, loader);
        }
        return r;
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
        s->root_dev = jr->dev;
        s->root_ino = jr->ino;
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
        struct session s = { .root_fd = -1, .j = j };
        struct journal_root jr;
        int r;

        journal_root(j, &jr);
        s.root = strdup(jr.path);
        s.owned_root = jr.owned;
        s.id = strdup(j->id);
        if (!s.root || !s.id) {
                session_close(&s);
                return log_errno(-ENOMEM, "teardown");
        }
        r = open_session_root(&s, &jr, root_hint);
        if (r < 0) {
                session_close(&s);
                return -EBUSY;
        }
        r = journal_append(s.j, J_TEARDOWN, NULL, NULL, 0, 0, NULL);
        if (r >= 0)
                r = undo_all(&s, loader);
        if (r < 0) {
                log_error("teardown of %s left something behind; journal %s kept", s.root, s.j->path);
                session_close(&s);
                return -EBUSY;
        }
        r = journal_remove(TAKE_PTR(s.j));
        session_close(&s);
        return r < 0 ? -EBUSY : 0;
}

int engine_teardown(const char *state_dir, const char *root_or_id, int root_fd, struct loader *loader)
{
        _cleanup_close_ int hint = -1;
        struct journal *j = NULL;
        int r;

        r = session_find(state_dir, root_or_id, &j, &hint);
        if (r == -ENOENT) {
                log_info("%s: no such session (already torn down?)", root_or_id);
                return 0;
        }
        if (r < 0)
                return r == -EINVAL ? r : -EBUSY;
        return engine_teardown_journal(j, hint >= 0 ? hint : root_fd, loader);
}
