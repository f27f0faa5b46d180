/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "engine.h"
#include "log.h"
#include "sessions.h"
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

static bool owner_alive(pid_t pid, unsigned long long start)
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
        struct session_info si = { .state = SESSION_SETTING_UP };

        for (size_t i = 0; i < j->n_recs; i++) {
                const struct jrec *r = &j->recs[i];

                switch (r->type) {
                case J_SESSION:
                        si.created = (time_t) r->n;
                        break;
                case J_ROOT:
                        if (!si.root && !(si.root = strdup(r->a)))
                                goto oom;
                        break;
                case J_OWNER:
                        si.owner = (pid_t) strtol(r->a, NULL, 10);
                        si.owner_start = strtoull(r->b, NULL, 10);
                        break;
                case J_ENTRY:
                        if (add_entry(&si, r->a, plugin_name_of(r->b), "running") < 0)
                                goto oom;
                        break;
                case J_SKIP:
                        if (add_entry(&si, r->a, strdup(r->b ? r->b : ""), "skipped") < 0)
                                goto oom;
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
                goto oom;
        si.stale = !active && si.state != SESSION_READY;
        si.owner_alive = si.owner > 0 && owner_alive(si.owner, si.owner_start);
        *ret = si;
        return 0;
oom:
        session_info_clear(&si);
        return -ENOMEM;
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

/* The journals in state_dir, sorted (hidden ones are being made). */
static int journal_paths(const char *state_dir, char ***ret)
{
        _cleanup_strv_free_ char **v = NULL;
        struct dirent *de;
        DIR *d;
        int r = 0;

        d = opendir(state_dir);
        if (!d) {
                if (errno != ENOENT)
                        return log_errno(negative_errno(), "state directory %s", state_dir);
        } else {
                while ((de = readdir(d))) {
                        size_t n = strlen(de->d_name);
                        _cleanup_free_ char *p = NULL;

                        if (de->d_name[0] == '.' || n < 9 || !streq(de->d_name + n - 8, ".journal"))
                                continue;
                        p = xasprintf("%s/%s", state_dir, de->d_name);
                        if (!p || strv_push(&v, p) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                }
                closedir(d);
        }
        if (r < 0)
                return r;
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

        r = journal_paths(state_dir, &paths);
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

/* A journal still under its hidden name (".ID.journal.new", made only
 * where O_TMPFILE is not supported) belongs to a setup that died before its
 * first record was linked into place: it made nothing yet.  Remove it
 * unless a live setup holds it (or may be about to lock it). */
static void remove_unborn(const char *state_dir)
{
        struct dirent *de;
        DIR *d = opendir(state_dir);

        if (!d)
                return;
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                _cleanup_free_ char *p = NULL;
                _cleanup_close_ int fd = -1;
                struct stat st;

                if (de->d_name[0] != '.' || n < 13 || !streq(de->d_name + n - 12, ".journal.new"))
                        continue;
                p = xasprintf("%s/%s", state_dir, de->d_name);
                if (!p)
                        break;
                fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0 || fstat(fd, &st) < 0 || st.st_mtime > time(NULL) - 60 ||
                    flock(fd, LOCK_EX | LOCK_NB) < 0)
                        continue; /* a minute to lock it: a live setup may not have yet */
                if (unlink(p) == 0)
                        log_info("%s: removed the journal of a setup that died at its start", p);
        }
        closedir(d);
}

int sessions_gc(const char *state_dir, bool all, struct loader *loader)
{
        _cleanup_strv_free_ char **paths = NULL;
        unsigned failed = 0;
        int r;

        remove_unborn(state_dir);
        r = journal_paths(state_dir, &paths);
        if (r < 0)
                return r;
        for (char **p = paths; p && *p; p++) {
                struct session_info si;
                struct journal *j;
                const char *why = NULL;

                r = journal_open(*p, all ? JOURNAL_WAIT : JOURNAL_TRY, &j);
                if (r == -EWOULDBLOCK) {
                        log_info("%s: a live cairn is working on it; left alone", *p);
                        continue;
                }
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        failed++;
                        continue;
                }
                r = session_info_from_journal(j, false, &si);
                if (r < 0) {
                        journal_free(j);
                        return r;
                }
                if (all)
                        why = "gc --all";
                else if (si.state != SESSION_READY)
                        why = "its cairn died";
                else if (si.owner > 0 && !si.owner_alive)
                        why = "its owner is gone";
                if (!why) {
                        log_debug("%s: %s%s; left alone", si.id, session_state_name(si.state),
                                  si.owner > 0 ? ", owner alive" : ", no owner");
                        journal_free(j);
                } else {
                        log_info("%s: %s (%s): tearing it down", si.id, session_state_name(si.state), why);
                        if (engine_teardown_journal(j, loader) < 0)
                                failed++;
                }
                session_info_clear(&si);
        }
        return failed ? -EBUSY : 0;
}
