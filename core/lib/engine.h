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
        enum entry_status *status; /* one per cfg entry */
        size_t n_status;
};

struct setup_opts {
        const char *root_dir; /* --root: build into this existing directory */
        pid_t owner;          /* --owner: 0 for none */
        unsigned long long owner_start; /* its start time (see owner.h) */
};

/* 0: the root is ready (ret filled).
 * -ECANCELED: setup failed and everything was rolled back.
 * -EBUSY: setup failed and the rollback left something (named on stderr;
 *  the journal is kept for teardown/gc).
 * Other: failed before anything was changed. */
int engine_setup(const struct cfg *cfg, struct loader *loader, const struct setup_opts *o,
                 struct setup_result *ret);
void setup_result_clear(struct setup_result *r);

/* Take down the session named by its id or root path.  0: nothing left
 * (also when there was no such session: teardown is idempotent);
 * -EBUSY: something could not be undone (named; journal kept);
 * -EINVAL: not a session id or root path. */
int engine_teardown(const char *state_dir, const char *root_or_id, struct loader *loader);

/* `teardown ROOT` of a root cairn made, by the journal the root names
 * (setup records it in an extended attribute): no config is read.
 * *ret_done false: the root names none (or one that is not its own),
 * and nothing was done: look for it with engine_teardown(). */
int engine_teardown_recorded(const char *root, struct loader *loader, bool *ret_done);

/* The same for a journal already opened and locked (gc); takes it. */
int engine_teardown_journal(struct journal *j, struct loader *loader);

/* Undo the journal's records from index `from` to the end, last first,
 * skipping those already undone; each undo is journaled.  Plugins'
 * teardown hooks run first for each entry met.  0, or -EBUSY if anything
 * could not be undone (each named). */
int undo_records(struct session *s, size_t from, struct loader *loader);

#endif
