/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The session store: the sessions in a state directory, each a journal
 * (STATE_DIR/ID.journal) and a root.  Making one (session_new.c, for
 * setup); finding one by id or root, locked (teardown); listing them,
 * with whether a live cairn is working on each (its lock) and whether its
 * owner process still runs (sessions.c).  gc (gc.h) finishes what crashed.
 */
#ifndef CAIRN_SESSIONS_H
#define CAIRN_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "ctx.h"
#include "journal.h"
#include "where.h"

struct cfg;
struct given_root;
struct loader;

/* Make a session for setup: its journal under a fresh id, then its root,
 * PARENT/ID, mode 0700 until setup is done (cfg->root_parent,
 * cfg->state_dir).  On failure `s` may hold a journal (whose records say
 * what to undo) or nothing. */
int session_begin(const struct cfg *cfg, struct session *s);
/* The same for --root DIR, which stays as it is: -EEXIST (nothing done)
 * if it is another session's root already. */
int session_begin_given(const struct cfg *cfg, const struct given_root *given, struct session *s);
/* Close what `s` holds (its journal stays on disk). */
void session_close(struct session *s);

enum session_state {
        SESSION_SETTING_UP,
        SESSION_READY,
        SESSION_TEARING_DOWN,
        SESSION_FAILED, /* setup failed and its rollback left something */
};

struct session_entry {
        char *name;
        char *plugin;
        const char *status; /* "done", "skipped", "failed", or "running" */
};

struct session_info {
        char *id;
        char *root;
        enum session_state state;
        bool stale; /* not ready, and no live cairn holds it: it crashed */
        time_t created;
        pid_t owner; /* 0: none */
        unsigned long long owner_start;
        bool owner_alive;
        struct session_entry *entries; /* in stack order */
        size_t n_entries;
        /* Where it was set up (J_WHERE; where_known false: an older
         * journal), and whether that is this process's boot and mount
         * namespace (true where not known). */
        bool where_known;
        struct where where;
        bool this_boot, this_namespace;
};

const char *session_state_name(enum session_state s);

/* What a journal says about its session (`active`: a live cairn holds it). */
int session_info_from_journal(const struct journal *j, bool active, struct session_info *ret);
void session_info_clear(struct session_info *si);

/* Every session in state_dir, sorted by id.  A missing state_dir has none. */
int sessions_list(const char *state_dir, struct session_info **ret, size_t *ret_n);
void sessions_free(struct session_info *v, size_t n);

/* Whether some session's root is `root`: the same directory (st_dev and
 * st_ino, when both journals know them) or the same path.  1 and the
 * session's id (the caller frees it), 0, or -errno. */
int sessions_find_root(const char *state_dir, const struct journal_root *root, char **ret_id);

/* The session `arg` names, its journal opened, locked (waiting for whoever
 * holds it) and read:
 *   - an id: STATE_DIR/ID.journal, which must say it is ID's;
 *   - an absolute path: the session whose root was recorded under that
 *     path (as setup records a --root: made absolute, without "." or
 *     empty components); else the session whose root is the directory
 *     the path names without a symlink in it (compared by st_dev and
 *     st_ino: another path to it, a bind mount of it).  A symlink is
 *     never followed to find a session: one planted at a gone root's name
 *     would lead to another's.
 * *ret_root_fd: with a path, a descriptor (O_PATH) of what it leads to now,
 * for the caller to use only if it is the session's root (-1: nothing).  -ENOENT: no such session; -EINVAL:
 * neither an id nor an absolute path; other errors are logged. */
int session_find(const char *state_dir, const char *arg, struct journal **ret_j, int *ret_root_fd);

/* The same, only for a root cairn made (PARENT/ID) whose journal is
 * STATE_DIR/ID.journal: no other journal is read.  -ENOENT if it is not
 * there (or state_dir is not one cairn would use). */
int session_find_made(const char *state_dir, const char *root, struct journal **ret_j, int *ret_root_fd);

/* The session oci-hook made for `key` (a container id, and " ENTRY") and
 * `bundle` (J_OCI), its journal opened and locked (waiting): 1; 0 if
 * there is none; -errno. */
int session_find_oci(const char *state_dir, const char *key, const char *bundle, struct journal **ret_j);

/* The journals in state_dir (STATE_DIR/ID.journal; not the hidden ones
 * being made), sorted; none if state_dir is missing. */
int sessions_journal_paths(const char *state_dir, char ***ret);


/* The state directory, made (mode 0700) if missing, opened read-only
 * and trusted (open_trusted()'s rules for it and every directory above). */
int state_dir_open(const char *dir, int *ret_fd);

/* Whether process `pid` still runs and is the one that started at
 * `start` (process_start_time()): not another that got its pid. */
bool process_is(pid_t pid, unsigned long long start);

/* A process's start time, in clock ticks since boot (field 22 of
 * /proc/PID/stat): with the pid, it names one process even after the pid
 * is reused.  -ESRCH if there is no such process. */
int process_start_time(pid_t pid, unsigned long long *ret);

#endif
