/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Setup: make the session (sessions.h), run the stack forward, each
 * entry's records in the journal before its plugin acts, and on a failure
 * roll back what was done (undo.h), last first.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "rootfs.h"
#include "sessions.h"
#include "undo.h"
#include "util.h"

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

/* Record who owns the session (--owner): gc takes down a session whose
 * owner has exited. */
static int note_owner(struct session *s, const struct setup_opts *o)
{
        char pid[32], start[32];

        if (o->owner <= 0)
                return 0;
        snprintf(pid, sizeof pid, "%d", (int) o->owner);
        snprintf(start, sizeof start, "%llu", o->owner_start);
        return journal_note(s->j, J_OWNER, pid, start, 0, 0, NULL);
}

/* One entry: skipped, or its records and its plugin's setup.  An optional
 * entry's failure is undone and setup goes on; *status says how it went.
 * 0, or the failure that rolls the whole setup back. */
static int setup_entry(struct session *s, const struct cfg_entry *e, struct loader *loader,
                       enum entry_status *status)
{
        size_t first = s->j->n_recs;
        int r;

        if (!e->enabled) {
                if (e->plugin_missing) /* warned of when the config was read */
                        log_info("[%s] skipped: plugin %s is not installed (optional entry)", e->name,
                                 e->plugin_name);
                else if (e->when)
                        /* The bundled kvm entry off the KVM platform: not
                         * worth a line in every exec workload's stderr. */
                        log_info("[%s] skipped: when %s does not hold", e->name, e->when);
                else /* oci-hook --entry: another entry's session */
                        log_info("[%s] skipped: not the entry asked for", e->name);
                *status = ENTRY_SKIPPED;
                return journal_note(s->j, J_SKIP, e->name, e->plugin_name, 0, 0, NULL);
        }
        log_debug("[%s] setup (plugin %s)", e->name, e->plugin_name);
        r = journal_entry(s, e);
        if (r < 0)
                return r;
        r = ctx_call_entry(s, e, e->plugin, e->plugin->setup, "setup");
        if (r < 0 && e->control == CFG_OPTIONAL) {
                log_warning("[%s] optional entry failed (%s); undoing it and going on", e->name,
                            strerror(-r));
                r = undo_records(s, first, loader);
                if (r < 0)
                        return r;
                *status = ENTRY_FAILED;
                return journal_note(s->j, J_END, e->name, "failed", 0, 0, NULL);
        }
        if (r < 0) {
                log_error("[%s] required entry failed (%s); rolling back", e->name, strerror(-r));
                return r;
        }
        *status = ENTRY_DONE;
        return journal_note(s->j, J_END, e->name, "done", 0, 0, NULL);
}

/* Setup failed with `r`: undo what it did.  -ECANCELED once all is
 * undone; -EBUSY if something is left (named; the journal is kept); `r`
 * itself if nothing was done. */
static int setup_rollback(struct session *s, struct loader *loader, int r)
{
        if (!s->j)
                return r;
        (void) journal_append(s->j, J_FAILED, NULL, NULL, 0, 0, NULL);
        if (undo_all(s, loader) < 0) {
                log_error("setup failed, and its rollback left something behind; the journal %s "
                          "is kept: run `cairn teardown %s` once it is free",
                          s->j->path, s->id);
                return -EBUSY;
        }
        (void) journal_remove(TAKE_PTR(s->j));
        return -ECANCELED;
}

int engine_setup(const struct cfg *cfg, struct loader *loader, const struct setup_opts *o,
                 struct setup_result *ret)
{
        _cleanup_(session_close) struct session s = { .root_fd = -1 };
        _cleanup_free_ enum entry_status *status = calloc(cfg->n_entries + 1, sizeof *status);
        int r;

        if (!status)
                return -ENOMEM;
        if (o && o->chown_made)
                s.chown_made = true, s.made_uid = o->uid, s.made_gid = o->gid;
        r = o && o->root ? session_begin_given(cfg, o->root, &s) : session_begin(cfg, &s);
        if (r >= 0 && o)
                r = note_owner(&s, o);
        if (r >= 0 && o && o->oci_key)
                r = journal_note(s.j, J_OCI, o->oci_key, o->oci_bundle, 0, 0, NULL);
        for (size_t i = 0; r >= 0 && i < cfg->n_entries; i++)
                r = setup_entry(&s, &cfg->entries[i], loader, &status[i]);
        /* Only now may others use the root. */
        if (r >= 0 && s.owned_root && fchmod(s.root_fd, cfg->root_mode) < 0)
                r = log_errno(negative_errno(), "chmod %s", s.root);
        if (r >= 0 && s.owned_root && cfg->root_readonly)
                r = rootfs_seal(&s);
        if (r >= 0)
                r = journal_append(s.j, J_READY, NULL, NULL, 0, 0, NULL);
        if (r < 0)
                return setup_rollback(&s, loader, r);
        *ret = (struct setup_result) {
                .id = TAKE_PTR(s.id),
                .root = TAKE_PTR(s.root),
                .root_fd = TAKE_FD(s.root_fd),
                .status = TAKE_PTR(status),
                .n_status = cfg->n_entries,
        };
        return 0;
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

