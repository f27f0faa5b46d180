/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <linux/openat2.h>
#include <sys/syscall.h>

#include "log.h"
#include "root.h"
#include "sessions.h"
#include "trust.h"
#include "util.h"

static const char *const state_names[] = {
        [SESSION_SETTING_UP] = "setting-up",
        [SESSION_READY] = "ready",
        [SESSION_TEARING_DOWN] = "tearing-down",
        [SESSION_FAILED] = "failed",
};

const char *session_state_name(enum session_state s)
{
        return state_names[s];
}

int process_start_time(pid_t pid, unsigned long long *ret)
{
        char path[64], buf[1024];
        const char *p;
        ssize_t n;
        int fd;

        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
                return -ESRCH;
        buf[n] = '\0';
        /* The command name may hold anything, ')' too: fields start after
         * the last ')'.  Field 3 (state) is the first after it; 22 is
         * starttime. */
        p = strrchr(buf, ')');
        if (!p)
                return -EIO;
        p++;
        for (int field = 3; field < 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EIO;
        }
        *ret = strtoull(p + 1, NULL, 10);
        return 0;
}

bool process_is(pid_t pid, unsigned long long start)
{
        unsigned long long now;

        return process_start_time(pid, &now) == 0 && now == start;
}

/* "binbind" from ".../binbind.so" (or "(built-in NAME)" in tests). */
static char *plugin_name_of(const char *path)
{
        const char *b = strrchr(path, '/');
        size_t n;

        if (strncmp(path, "(built-in ", 10) == 0)
                return strndup(path + 10, strlen(path + 10) - (path[strlen(path) - 1] == ')'));
        b = b ? b + 1 : path;
        n = strlen(b);
        return strndup(b, n > 3 && streq(b + n - 3, ".so") ? n - 3 : n);
}

static int add_entry(struct session_info *si, const char *name, char *plugin, const char *status)
{
        struct session_entry *v = realloc(si->entries, (si->n_entries + 1) * sizeof *v);

        if (!v) {
                free(plugin);
                return -ENOMEM;
        }
        si->entries = v;
        v[si->n_entries] = (struct session_entry) { .name = strdup(name), .plugin = plugin, .status = status };
        if (!v[si->n_entries].name || !plugin) {
                free(v[si->n_entries].name);
                free(plugin);
                return -ENOMEM;
        }
        si->n_entries++;
        return 0;
}

int session_info_from_journal(const struct journal *j, bool active, struct session_info *ret)
{
        _cleanup_(session_info_clear) struct session_info si = { .state = SESSION_SETTING_UP };

        for (size_t i = 0; i < j->n_recs; i++) {
                const struct jrec *r = &j->recs[i];

                switch (r->type) {
                case J_SESSION:
                        si.created = (time_t) r->n;
                        break;
                case J_ROOT:
                        if (!si.root && !(si.root = strdup(r->a)))
                                return -ENOMEM;
                        break;
                case J_OWNER:
                        si.owner = (pid_t) strtol(r->a, NULL, 10);
                        si.owner_start = strtoull(r->b, NULL, 10);
                        break;
                case J_ENTRY:
                        if (add_entry(&si, r->a, plugin_name_of(r->b), "running") < 0)
                                return -ENOMEM;
                        break;
                case J_SKIP:
                        if (add_entry(&si, r->a, strdup(r->b ? r->b : ""), "skipped") < 0)
                                return -ENOMEM;
                        break;
                case J_END:
                        if (si.n_entries > 0 && streq(si.entries[si.n_entries - 1].name, r->a))
                                si.entries[si.n_entries - 1].status = streq(r->b, "done") ? "done" : "failed";
                        break;
                case J_READY:
                        si.state = SESSION_READY;
                        break;
                case J_FAILED:
                        si.state = SESSION_FAILED;
                        break;
                case J_TEARDOWN:
                        si.state = SESSION_TEARING_DOWN;
                        break;
                default:
                        break;
                }
        }
        si.id = strdup(j->id ? j->id : "?");
        if (!si.id)
                return -ENOMEM;
        si.stale = !active && si.state != SESSION_READY;
        si.this_boot = si.this_namespace = true;
        si.where_known = journal_where(j, &si.where);
        if (si.where_known) {
                struct where here;

                if (where_here(&here) == 0) {
                        si.this_boot = streq(here.boot, si.where.boot);
                        si.this_namespace = si.this_boot && mntns_same(&here.ns, &si.where.ns);
                }
        }
        si.owner_alive = si.owner > 0 && process_is(si.owner, si.owner_start);
        *ret = si;
        si = (struct session_info) { 0 }; /* handed out */
        return 0;
}

void session_info_clear(struct session_info *si)
{
        for (size_t i = 0; i < si->n_entries; i++) {
                free(si->entries[i].name);
                free(si->entries[i].plugin);
        }
        free(si->entries);
        free(si->id);
        free(si->root);
        *si = (struct session_info) {};
}

void sessions_free(struct session_info *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                session_info_clear(&v[i]);
        free(v);
}

int sessions_journal_paths(const char *state_dir, char ***ret)
{
        _cleanup_strv_free_ char **v = NULL;
        _cleanup_closedir_ DIR *d = opendir(state_dir);
        struct dirent *de;

        if (!d && errno != ENOENT)
                return log_errno(negative_errno(), "state directory %s", state_dir);
        while (d && (de = readdir(d))) {
                size_t n = strlen(de->d_name);
                _cleanup_free_ char *p = NULL;

                if (de->d_name[0] == '.' || n < 9 || !streq(de->d_name + n - 8, ".journal"))
                        continue;
                p = xasprintf("%s/%s", state_dir, de->d_name);
                if (!p || strv_push(&v, p) < 0)
                        return -ENOMEM;
        }
        strv_sort(v);
        *ret = TAKE_PTR(v);
        return 0;
}

int sessions_list(const char *state_dir, struct session_info **ret, size_t *ret_n)
{
        _cleanup_strv_free_ char **paths = NULL;
        struct session_info *v = NULL;
        size_t n = 0;
        int r;

        r = sessions_journal_paths(state_dir, &paths);
        if (r < 0)
                return r;
        v = calloc(strv_length(paths) + 1, sizeof *v);
        if (!v)
                return -ENOMEM;
        for (char **p = paths; p && *p; p++) {
                struct journal *j;

                r = journal_open(*p, JOURNAL_PEEK, &j);
                if (r == -ENOENT)
                        continue; /* finished meanwhile */
                if (r < 0) {
                        log_warning("%s: cannot read it; skipped", *p);
                        continue;
                }
                r = session_info_from_journal(j, j->active, &v[n]);
                journal_free(j);
                if (r < 0) {
                        sessions_free(v, n);
                        return r;
                }
                n++;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static bool same_root(const struct journal_head *h, const struct journal_root *root)
{
        if (h->ino && root->ino && h->dev == root->dev && h->ino == root->ino)
                return true;
        return streq(h->root, root->path);
}

int sessions_find_root(const char *state_dir, const struct journal_root *root, char **ret_id)
{
        _cleanup_strv_free_ char **paths = NULL;
        int r;

        r = sessions_journal_paths(state_dir, &paths);
        if (r < 0)
                return r;
        for (char **p = paths; p && *p; p++) {
                struct journal_head h;

                if (journal_head_read(*p, &h) < 0)
                        continue; /* finished meanwhile, or not a journal */
                if (same_root(&h, root)) {
                        *ret_id = TAKE_PTR(h.id);
                        journal_head_clear(&h);
                        return 1;
                }
                journal_head_clear(&h);
        }
        return 0;
}

/* Open, lock and read the journal at `path`, which must be session `id`'s
 * (the name is only where it was looked for). */
static int open_session_journal(const char *path, const char *id, struct journal **ret)
{
        struct journal *j;
        int r;

        r = journal_open(path, JOURNAL_WAIT, &j);
        if (r == -ENOENT)
                return r;
        if (r < 0)
                return log_errno(r, "open journal %s", path);
        if (id && !streq(j->id, id)) {
                log_error("%s: the journal of session %s, not of %s; refusing it", path, j->id, id);
                journal_free(j);
                return -EBADMSG;
        }
        *ret = j;
        return 0;
}

/* The directory `path` names if no symlink is in the way, O_PATH; -1 if
 * one is, or if the kernel cannot say (no openat2(), before 5.6: O_NOFOLLOW
 * guards only the last component, so a symlink planted higher up would lead
 * to another session's root; such kernels match a root by path only). */
static int open_no_symlinks(const char *path)
{
        struct open_how how = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };

        return (int) syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
}

/* Whether the path a session recorded for its root leads to it still
 * (without a symlink on the way): then another path to the same directory
 * (a bind mount of it) is not the session's root by another name, which
 * it is when the root was moved there. */
static bool recorded_path_leads_to_root(const struct journal_head *h)
{
        _cleanup_close_ int fd = open_no_symlinks(h->root);
        uint64_t dev, ino;

        return fd >= 0 && fd_identity(fd, &dev, &ino) == 0 && dev == h->dev && ino == h->ino;
}

static int find_by_root(const char *state_dir, const char *norm, char **ret_path, char **ret_id)
{
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_free_ char *by_path = NULL, *by_id = NULL, *id_path = NULL, *id_id = NULL;
        _cleanup_free_ char *alias_id = NULL, *alias_root = NULL;
        _cleanup_close_ int fd = -1;
        unsigned n_path = 0, n_id = 0;
        uint64_t dev = 0, ino = 0;
        int r;

        fd = open_no_symlinks(norm);
        if (fd >= 0 && fd_identity(fd, &dev, &ino) < 0)
                ino = 0;
        r = sessions_journal_paths(state_dir, &paths);
        if (r < 0)
                return r;
        for (char **p = paths; p && *p; p++) {
                struct journal_head h;

                if (journal_head_read(*p, &h) < 0)
                        continue;
                if (streq(h.root, norm)) {
                        if (n_path++ == 0) {
                                by_path = strdup(*p);
                                by_id = strdup(h.id);
                        }
                } else if (ino && h.ino == ino && h.dev == dev && recorded_path_leads_to_root(&h)) {
                        if (!alias_id) {
                                alias_id = TAKE_PTR(h.id);
                                alias_root = TAKE_PTR(h.root);
                        }
                } else if (ino && h.ino == ino && h.dev == dev) {
                        if (n_id++ == 0) {
                                id_path = strdup(*p);
                                id_id = strdup(h.id);
                        }
                }
                journal_head_clear(&h);
        }
        if (n_path > 1 || (n_path == 0 && n_id > 1)) {
                log_error("%s: the root of %u sessions; tear them down by their ids (cairn list)", norm,
                          n_path > 1 ? n_path : n_id);
                return -ENOTUNIQ;
        }
        if (n_path == 0 && n_id == 0 && alias_id) {
                log_error("%s: not the root of a session, but another path to the root of session %s, "
                          "%s: tear it down by that path or its id", norm, alias_id, alias_root);
                return -EINVAL;
        }
        if (n_path == 0 && n_id == 0)
                return -ENOENT;
        if (n_path == 0) {
                by_path = TAKE_PTR(id_path);
                by_id = TAKE_PTR(id_id);
        }
        if (!by_path || !by_id)
                return -ENOMEM;
        *ret_path = TAKE_PTR(by_path);
        *ret_id = TAKE_PTR(by_id);
        return 0;
}

/* The session of a root cairn made, `norm` (PARENT/ID), opened: the journal
 * STATE_DIR/ID.journal, if it is there and its root is `norm`; else -ENOENT. */
static int open_named(const char *state_dir, const char *norm, struct journal **ret_j)
{
        const char *base = strrchr(norm, '/') + 1;
        _cleanup_free_ char *path = NULL;
        struct journal_root jr;
        struct journal *j;
        int r;

        if (!session_id_is_valid(base))
                return -ENOENT;
        path = xasprintf("%s/%s.journal", state_dir, base);
        if (!path)
                return -ENOMEM;
        r = open_session_journal(path, base, &j);
        if (r < 0)
                return r;
        journal_root(j, &jr);
        if (!streq(jr.path, norm)) {
                journal_free(j);
                return -ENOENT;
        }
        *ret_j = j;
        return 0;
}

static int find(const char *state_dir, const char *arg, bool named_only, struct journal **ret_j,
                int *ret_root_fd)
{
        _cleanup_free_ char *norm = NULL, *path = NULL, *id = NULL;
        struct journal *j = NULL;
        int r, fd;

        *ret_root_fd = -1;
        if (!strchr(arg, '/')) {
                if (!session_id_is_valid(arg)) {
                        log_error("\"%s\" is not a session id (cairn-XXXXXX) or a root path", arg);
                        return -EINVAL;
                }
                path = xasprintf("%s/%s.journal", state_dir, arg);
                if (!path)
                        return -ENOMEM;
                return open_session_journal(path, arg, ret_j);
        }
        if (arg[0] != '/') {
                log_error("\"%s\": a root must be given as an absolute path", arg);
                return -EINVAL;
        }
        norm = path_make_absolute(arg);
        if (!norm)
                return log_errno(negative_errno(), "%s", arg);
        /* A root cairn made is named after its session, PARENT/ID: the
         * journal is STATE_DIR/ID.journal if there is one, and it says so
         * (read once, under the lock).  Else, unless named_only, a look at
         * every journal's head. */
        r = open_named(state_dir, norm, &j);
        if (r == -ENOENT && !named_only) {
                r = find_by_root(state_dir, norm, &path, &id);
                if (r < 0)
                        return r;
                r = open_session_journal(path, id, &j);
        }
        if (r < 0)
                return r;
        /* What the path leads to now: the teardown uses it if it is the
         * session's root (a symlink on the way is no harm then: only that
         * very directory is used; open_session_root() compares). */
        fd = open(norm, O_PATH | O_DIRECTORY | O_CLOEXEC);
        *ret_root_fd = fd;
        *ret_j = j;
        return 0;
}

int session_find(const char *state_dir, const char *arg, struct journal **ret_j, int *ret_root_fd)
{
        return find(state_dir, arg, false, ret_j, ret_root_fd);
}

int session_find_made(const char *state_dir, const char *root, struct journal **ret_j, int *ret_root_fd)
{
        /* Only a state directory nobody else could have put a journal in
         * (open_trusted()'s rules). */
        if (trust_open(state_dir, TRUST_DIR | TRUST_QUIET, NULL) < 0)
                return -ENOENT;
        return find(state_dir, root, true, ret_j, ret_root_fd);
}

static bool journal_is_oci(const struct journal *j, const char *key, const char *bundle)
{
        for (size_t i = 2; i < j->n_recs; i++)
                if (j->recs[i].type == J_OCI)
                        return streq(j->recs[i].a, key) && streq(j->recs[i].b, bundle);
        return false;
}

int session_find_oci(const char *state_dir, const char *key, const char *bundle, struct journal **ret_j)
{
        _cleanup_strv_free_ char **paths = NULL;
        int r;

        r = sessions_journal_paths(state_dir, &paths);
        if (r < 0)
                return r;
        for (char **p = paths; p && *p; p++) {
                struct journal *j;
                bool match;

                /* A look without the lock first: most journals are others'. */
                if (journal_open(*p, JOURNAL_PEEK, &j) < 0)
                        continue;
                match = journal_is_oci(j, key, bundle);
                journal_free(j);
                if (!match)
                        continue;
                r = journal_open(*p, JOURNAL_WAIT, &j);
                if (r == -ENOENT)
                        continue; /* finished meanwhile */
                if (r < 0)
                        return r;
                if (!journal_is_oci(j, key, bundle)) {
                        journal_free(j);
                        continue;
                }
                *ret_j = j;
                return 1;
        }
        return 0;
}
