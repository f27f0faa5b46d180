/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The engine: run a validated stack forward to build a root, and undo a
 * session's journal backward to take it down (or to roll back a failed
 * setup).  Plan first, then run the plan: nothing here parses config.
 */
#ifndef CAIRN_ENGINE_H
#define CAIRN_ENGINE_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "ctx.h"

struct loader;

enum entry_status {
        ENTRY_DONE,
        ENTRY_SKIPPED, /* `when` did not hold */
        ENTRY_FAILED,  /* optional: failed, undone, setup went on */
};

struct setup_result {
        char *id;
        char *root;
        int root_fd; /* the root directory (the session's descriptor of it) */
        enum entry_status *status; /* one per cfg entry */
        size_t n_status;
};

struct given_root;

struct setup_opts {
        const struct given_root *root; /* --root: build into this directory */
        pid_t owner;                   /* --owner: 0 for none */
        unsigned long long owner_start; /* its start time (process_start_time()) */
        /* oci-hook: the key the session is found by (J_OCI), or NULL. */
        const char *oci_key, *oci_bundle;
        /* Own what is made in the root by these ids (a user namespace's
         * root), if chown_made. */
        bool chown_made;
        uid_t uid;
        gid_t gid;
};

/* 0: the root is ready (ret filled).
 * -ECANCELED: setup failed and everything was rolled back.
 * -EBUSY: setup failed and the rollback left something (named on stderr;
 *  the journal is kept for teardown/gc).
 * -EEXIST: the --root directory is another session's root (nothing done).
 * Other: failed before anything was changed. */
int engine_setup(const struct cfg *cfg, struct loader *loader, const struct setup_opts *o,
                 struct setup_result *ret);
void setup_result_clear(struct setup_result *r);

/* Take down the session named by its id or root path (session_find()).
 * `root_fd`: a descriptor of the session's root, or -1; taken (closed):
 * a descriptor in the root's own mount would keep it busy.  0:
 * nothing left (also when there was no such session: teardown is
 * idempotent); -EBUSY: something could not be undone (named; journal
 * kept); -EINVAL: not a session id or absolute root path. */
int engine_teardown(const char *state_dir, const char *root_or_id, int root_fd, struct loader *loader);

/* Where the session's mounts are to be looked for. */
enum teardown_where {
        /* Where the journal says it was set up (J_WHERE): this namespace;
         * another one of this boot, entered with setns(2) in a child;
         * else (another boot, or a namespace nothing leads to any longer)
         * nowhere: its mounts are gone, and only the names cairn made are
         * removed.  What every teardown and gc does. */
        TEARDOWN_FIND,
        /* The caller was the last process of the session's namespace and
         * has left it (exec's init): gone, without looking. */
        TEARDOWN_NS_LEFT,
};
int engine_teardown_where(const char *state_dir, const char *root_or_id, int root_fd,
                          struct loader *loader, enum teardown_where where);

/* The same for a journal already opened and locked; takes it.
 * `root_hint`: a descriptor of the directory the caller was asked about,
 * used if it is the session's root (-1: none); taken (closed) too. */
int engine_teardown_journal(struct journal *j, int root_hint, struct loader *loader);
int engine_teardown_journal_where(struct journal *j, int root_hint, struct loader *loader,
                                  enum teardown_where where);

#endif
