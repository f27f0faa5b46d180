/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gc: the sessions nobody will finish, found in the session store
 * (sessions.h) and torn down by the engine (engine.h): above both.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "engine.h"
#include "gc.h"
#include "log.h"
#include "sessions.h"
#include "util.h"
#include "where.h"

/* A journal still under its hidden name (".ID.journal.new", made only
 * where O_TMPFILE is not supported) belongs to a setup that died before its
 * first record was linked into place: it made nothing yet.  Remove it
 * unless a live setup holds it (or may be about to lock it). */
static void remove_unborn(const char *state_dir)
{
        struct dirent *de;
        _cleanup_closedir_ DIR *d = opendir(state_dir);

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
}

/* A ready session whose mount namespace nothing leads to any more: its
 * mounts went with it, and nobody can use its root as it was made. */
static bool namespace_gone(const struct session_info *si)
{
        _cleanup_close_ int fd = -1;
        pid_t pid;

        return mntns_find(&si->where.ns, si->owner_alive ? si->owner : 0, &fd, &pid) == 0;
}

int sessions_gc(const char *state_dir, bool all, struct loader *loader)
{
        _cleanup_strv_free_ char **paths = NULL;
        unsigned failed = 0;
        int r;

        remove_unborn(state_dir);
        r = sessions_journal_paths(state_dir, &paths);
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
                        /* Named (by the reader, or here); the others are
                         * still collected. */
                        log_error("%s: cannot be read (%s); left alone: teardown or gc can finish "
                                  "it once it is repaired", *p, strerror(-r));
                        failed++;
                        continue;
                }
                {
                        const char *name = strrchr(*p, '/') + 1;
                        size_t n = strlen(j->id);

                        if (strncmp(name, j->id, n) != 0 || !streq(name + n, ".journal")) {
                                log_error("%s: the journal of session %s, under another name; left "
                                          "alone", *p, j->id);
                                journal_free(j);
                                failed++;
                                continue;
                        }
                }
                r = session_info_from_journal(j, false, &si);
                if (r < 0) {
                        journal_free(j);
                        return r;
                }
                if (all)
                        why = "gc --all";
                else if (!si.this_boot)
                        why = "set up in another boot";
                else if (si.state != SESSION_READY)
                        why = "its cairn died";
                else if (si.owner > 0 && !si.owner_alive)
                        why = "its owner is gone";
                else if (!si.this_namespace && namespace_gone(&si))
                        why = "its mount namespace is gone";
                if (!why) {
                        log_debug("%s: %s%s; left alone", si.id, session_state_name(si.state),
                                  si.owner > 0 ? ", owner alive" : ", no owner");
                        journal_free(j);
                } else {
                        log_info("%s: %s (%s): tearing it down", si.id, session_state_name(si.state), why);
                        if (engine_teardown_journal(j, -1, loader) < 0)
                                failed++;
                }
                session_info_clear(&si);
        }
        return failed ? -EBUSY : 0;
}
