/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine.h"
#include "loader.h"
#include "log.h"
#include "resolve.h"
#include "trust.h"
#include "util.h"

#define ID_PREFIX "cairn-"
/* On a root cairn made: its journal's path.  trusted.*: only a process
 * with CAP_SYS_ADMIN can read or write it. */
#define ROOT_JOURNAL_XATTR "trusted.cairn.journal"
#define ID_RANDOM 6

static void session_close(struct session *s)
{
        if (s->root_fd >= 0)
                close(s->root_fd);
        journal_free(s->j);
        free(s->id);
        free(s->root);
        *s = (struct session) { .root_fd = -1 };
}

static bool id_is_valid(const char *id)
{
        static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

        if (strncmp(id, ID_PREFIX, strlen(ID_PREFIX)) != 0)
                return false;
        id += strlen(ID_PREFIX);
        return strlen(id) == ID_RANDOM && strspn(id, alnum) == ID_RANDOM;
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

static int ensure_state_dir(const char *dir)
{
        struct stat st;

        /* Made once, there ever after: look before making it. */
        if (stat(dir, &st) < 0) {
                if (errno != ENOENT)
                        return log_errno(negative_errno(), "state directory %s", dir);
                if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                        return log_errno(negative_errno(), "state directory %s", dir);
                if (stat(dir, &st) < 0)
                        return log_errno(negative_errno(), "state directory %s", dir);
        }
        if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
                log_error("state directory %s: not a directory of ours, or writable by others", dir);
                return -EPERM;
        }
        return 0;
}

/* A new journal under a fresh random id, its J_ROOT record announcing
 * s->root: `given` (--root), or PARENT/ID for the root made next. */
static int session_journal(const struct cfg *cfg, struct session *s, const char *parent,
                           const char *given, char id[static sizeof(ID_PREFIX) + ID_RANDOM])
{
        int r;

        for (unsigned tries = 0;; tries++) {
                r = random_id(id);
                if (r < 0)
                        return log_errno(r, "random session id");
                free(s->root);
                s->root = given ? strdup(given) : xasprintf("%s/%s", streq(parent, "/") ? "" : parent, id);
                if (!s->root)
                        return -ENOMEM;
                r = journal_create(cfg->state_dir, id, s->root, given ? "given" : "owned", &s->j);
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
        _cleanup_close_ int pfd = -1;
        char id[sizeof(ID_PREFIX) + ID_RANDOM];
        uint64_t seq;
        int r;

        r = ensure_state_dir(cfg->state_dir);
        if (r < 0)
                return r;
        r = open_real_dir(cfg->root_parent, &pfd, &parent);
        if (r < 0)
                return log_errno(r, "root_parent %s", cfg->root_parent);

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
        /* The root names its journal, so that `teardown ROOT` needs no
         * config (engine_teardown_recorded()); where the filesystem takes
         * no trusted.* attributes, teardown finds it through the config. */
        if (fsetxattr(s->root_fd, ROOT_JOURNAL_XATTR, s->j->path, strlen(s->j->path), 0) < 0)
                log_debug("%s: cannot record the journal on the root: %m", s->root);
        return 0;
}

static int find_journal(const char *state_dir, const char *root_or_id, char **ret_path,
                        struct journal **ret_j);

/* --root DIR: the session uses an existing directory, which stays as it
 * is (its mode too); teardown removes only what cairn made in it. */
static int session_begin_given(const struct cfg *cfg, const char *dir, struct session *s)
{
        _cleanup_free_ char *real = NULL, *other = NULL;
        char id[sizeof(ID_PREFIX) + ID_RANDOM];
        int r;

        r = ensure_state_dir(cfg->state_dir);
        if (r < 0)
                return r;
        real = realpath(dir, NULL);
        if (!real)
                return log_errno(negative_errno(), "--root %s", dir);
        r = find_journal(cfg->state_dir, real, &other, NULL);
        if (r == 0 && access(other, F_OK) == 0) {
                log_error("--root %s: already the root of a session (%s)", real, other);
                return -EEXIST; /* nothing done: not -EBUSY, which means a leftover */
        }
        if (r < 0 && r != -ENOENT)
                return log_errno(r, "--root %s: cannot tell whether it is a session's root", real);
        s->root_fd = open(real, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s->root_fd < 0)
                return log_errno(negative_errno(), "--root %s", real);
        s->owned_root = false;
        return session_journal(cfg, s, NULL, real, id);
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
                struct cairn_ctx ctx = { .s = s, .entry = e->name, .plugin = e->plugin,
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
        r = o && o->root_dir ? session_begin_given(cfg, o->root_dir, &s) : session_begin(cfg, &s);
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
        *r = (struct setup_result) {};
}

static bool journal_has_root(const struct journal *j, const char *root)
{
        for (size_t i = 0; i < j->n_recs; i++)
                if (j->recs[i].type == J_ROOT)
                        return streq(j->recs[i].a, root);
        return false;
}

/* The journal of `root_or_id`: an id, or a root path whose journal says
 * so.  With ret_j, it is also opened, locked (waiting for whoever holds
 * it), and read once: a teardown of thousands of mounts reads a journal
 * of thousands of records, once.  -ENOENT: no such session. */
static int find_journal(const char *state_dir, const char *root_or_id, char **ret_path,
                        struct journal **ret_j)
{
        const char *base = strrchr(root_or_id, '/');
        _cleanup_free_ char *path = NULL;
        struct journal *j = NULL;
        DIR *d;
        struct dirent *de;
        int r;

        base = base ? base + 1 : root_or_id;
        if (!strchr(root_or_id, '/')) {
                if (!id_is_valid(root_or_id)) {
                        log_error("\"%s\" is not a session id (cairn-XXXXXX) or a root path", root_or_id);
                        return -EINVAL;
                }
                path = xasprintf("%s/%s.journal", state_dir, root_or_id);
                if (!path)
                        return -ENOMEM;
                if (ret_j) {
                        r = journal_open(path, JOURNAL_WAIT, ret_j);
                        if (r < 0 && r != -ENOENT)
                                return log_errno(r, "open journal %s", path);
                        if (r < 0)
                                return r;
                }
                *ret_path = TAKE_PTR(path);
                return 0;
        }
        if (root_or_id[0] != '/') {
                log_error("\"%s\": a root must be given as an absolute path", root_or_id);
                return -EINVAL;
        }
        if (id_is_valid(base)) {
                path = xasprintf("%s/%s.journal", state_dir, base);
                if (!path)
                        return -ENOMEM;
                r = journal_open(path, ret_j ? JOURNAL_WAIT : JOURNAL_PEEK, &j);
                if (r == -ENOENT)
                        goto scan; /* gone, or a --root DIR named like an id */
                if (r < 0) {
                        /* Unreadable (from a newer cairn, say) or not
                         * trusted, and this root's: not "no such session",
                         * which would leave everything mounted and say it
                         * is done. */
                        _cleanup_free_ char *other = NULL;

                        if (journal_root_of(path, &other) == 0 && !streq(other, root_or_id))
                                goto scan;
                        return log_errno(r, "%s: the journal of %s", path, root_or_id);
                }
                if (journal_has_root(j, root_or_id)) {
                        if (ret_j)
                                *ret_j = TAKE_PTR(j);
                        journal_free(j);
                        *ret_path = TAKE_PTR(path);
                        return 0;
                }
                journal_free(TAKE_PTR(j));
        }
scan:
        /* A root given with --root: ask each journal whose it is. */
        d = opendir(state_dir);
        if (!d)
                return errno == ENOENT ? -ENOENT : log_errno(negative_errno(), "%s", state_dir);
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                bool match;

                if (n < 9 || !streq(de->d_name + n - 8, ".journal"))
                        continue;
                free(path);
                path = xasprintf("%s/%s", state_dir, de->d_name);
                if (!path)
                        continue;
                r = journal_open(path, JOURNAL_PEEK, &j);
                if (r < 0) {
                        /* One that cannot be read matters only if it is
                         * this root's (by its J_ROOT, which comes first):
                         * then not "no such session". */
                        _cleanup_free_ char *other = NULL;

                        if (r != -ENOENT && journal_root_of(path, &other) == 0 &&
                            streq(other, root_or_id)) {
                                closedir(d);
                                return log_errno(r, "%s: the journal of %s", path, root_or_id);
                        }
                        continue;
                }
                match = journal_has_root(j, root_or_id);
                journal_free(TAKE_PTR(j));
                if (!match)
                        continue;
                closedir(d);
                if (ret_j) {
                        r = journal_open(path, JOURNAL_WAIT, ret_j);
                        if (r < 0)
                                return r == -ENOENT ? r : log_errno(r, "open journal %s", path);
                }
                *ret_path = TAKE_PTR(path);
                return 0;
        }
        closedir(d);
        return -ENOENT;
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

int engine_teardown_journal(struct journal *j, struct loader *loader)
{
        struct session s = { .root_fd = -1, .j = j };
        int r;

        for (size_t i = 0; i < s.j->n_recs; i++)
                if (s.j->recs[i].type == J_ROOT && !s.root) {
                        s.root = strdup(s.j->recs[i].a);
                        s.owned_root = streq(s.j->recs[i].b, "owned");
                }
        s.id = s.j->id ? strdup(s.j->id) : NULL;
        if (s.root) {
                /* The root itself, never a symlink in its place. */
                s.root_fd = open(s.root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (s.root_fd < 0 && errno != ENOENT) {
                        (void) log_errno(negative_errno(), "open root %s", s.root);
                        session_close(&s);
                        return -EBUSY;
                }
        }
        r = journal_append(s.j, J_TEARDOWN, NULL, NULL, 0, 0, NULL);
        if (r >= 0)
                r = undo_all(&s, loader);
        if (r < 0) {
                log_error("teardown of %s left something behind; journal %s kept",
                          s.root ? s.root : s.id, s.j->path);
                session_close(&s);
                return -EBUSY;
        }
        r = journal_remove(TAKE_PTR(s.j));
        session_close(&s);
        return r < 0 ? -EBUSY : 0;
}

int engine_teardown_recorded(const char *root, struct loader *loader, bool *ret_done)
{
        _cleanup_close_ int fd = -1;
        struct journal *j = NULL;
        const char *base = strrchr(root, '/');
        char path[PATH_MAX], *end;
        ssize_t n;

        *ret_done = false;
        if (root[0] != '/' || !id_is_valid(base + 1))
                return 0;
        fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return 0;
        n = fgetxattr(fd, ROOT_JOURNAL_XATTR, path, sizeof path - 1);
        if (n <= 0)
                return 0;
        path[n] = '\0';
        /* Only a DIR/ID.journal, ID this root's: a record changed by
         * someone with CAP_SYS_ADMIN can name no other session's. */
        end = strrchr(path, '/');
        if (!path_is_normalized_absolute(path) || !end || end == path ||
            strncmp(end + 1, base + 1, strlen(base + 1)) != 0 ||
            !streq(end + 1 + strlen(base + 1), ".journal"))
                return 0;
        if (journal_open(path, JOURNAL_WAIT, &j) < 0)
                return 0;
        if (!journal_has_root(j, root)) {
                journal_free(j);
                return 0;
        }
        *ret_done = true;
        return engine_teardown_journal(j, loader);
}

int engine_teardown(const char *state_dir, const char *root_or_id, struct loader *loader)
{
        _cleanup_free_ char *path = NULL, *real = NULL;
        struct journal *j = NULL;
        int r;

        /* Roots are journaled by their canonical path. */
        if (root_or_id[0] == '/' && (real = realpath(root_or_id, NULL)) && !streq(real, "/"))
                root_or_id = real;
        r = find_journal(state_dir, root_or_id, &path, &j);
        if (r == -ENOENT) {
                log_info("%s: no such session (already torn down?)", root_or_id);
                return 0;
        }
        if (r < 0)
                return r;
        return engine_teardown_journal(j, loader);
}
