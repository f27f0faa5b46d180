/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The undo of a session's journal, last record first: unmounts, removals,
 * plugins' own teardowns, each journaled as undone.  Below the session
 * store and the engine, which call it for a rollback and a teardown.
 */
#ifndef CAIRN_UNDO_H
#define CAIRN_UNDO_H

#include <stddef.h>

#include "ctx.h"

struct loader;

/* Undo the journal's records from index `from` to the end, last first,
 * skipping those already undone; each undo is journaled.  Plugins'
 * teardown hooks run first for each entry met.  0, or -EBUSY if anything
 * could not be undone (each named). */
int undo_records(struct session *s, size_t from, struct loader *loader);

/* All of the journal, retrying once what failed (-EBUSY): a busy mount
 * is often free a moment later. */
int undo_all(struct session *s, struct loader *loader);

#endif
