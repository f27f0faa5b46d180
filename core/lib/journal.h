/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The session journal: an append-only undo log in STATE_DIR/ID.journal.
 *
 * Every action that changes the system is appended, and synced, before it
 * is done; completions ("mounted" with the mount ID) and undos ("undone")
 * are appended after.  Records that may wait (journal_note()) are written
 * with the next one that may not, so an entry's context and the undos of
 * removals cost no write of their own.  One record a line, "SEQ TYPE ARG...", arguments
 * percent-encoded, so a torn last line (a crash mid-write) is recognised
 * and ignored.  A teardown in another process needs nothing but this file.
 *
 * The file is locked (flock, LOCK_EX) by whoever works on the session;
 * the one that finishes the job unlinks it while still holding the lock,
 * so a waiter that then gets the lock sees st_nlink == 0: nothing to do.
 */
#ifndef CAIRN_JOURNAL_H
#define CAIRN_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jtype {
        J_SESSION,  /* a = id, b = format version, n = creation time (Unix) */
        J_ROOT,     /* a = absolute root path (for messages, and to find the
                     * root again: see J_ROOTID), b = "owned" | "given" */
        J_OWNER,    /* a = pid, b = process start time (clock ticks) */
        J_ENTRY,    /* a = entry name, b = plugin path, n = 1 if it has a teardown */
        J_OPT,      /* a = key, b = value (of the last J_ENTRY) */
        J_SKIP,     /* a = entry name, b = plugin name: `when` did not hold */
        J_END,      /* a = entry name, b = "done" | "failed" */
        J_MKDIR,    /* a = path inside the root; ref, n = st_dev, st_ino of the
                       directory it is made in (0 0: not recorded) */
        J_CREATE,   /* a = path inside the root (an empty file); ref, n = as J_MKDIR */
        J_MOUNT,    /* a = path inside the root, b = fs type or "bind", n = the
                     * mount's unique ID (STATX_MNT_ID_UNIQUE, never reused),
                     * 0 if unknown */
        J_MOUNTED,  /* ref = seq of the J_MOUNT, n = mount ID */
        J_UNDONE,   /* ref = seq of the record undone */
        J_MODE,     /* n = the root's mode at the end of setup: written by the first
                     * releases only, read (and ignored) in their journals */
        J_READY,    /* setup finished */
        J_FAILED,   /* setup failed; rollback follows */
        J_TEARDOWN, /* teardown started */
        J_ROOTID,   /* ref, n = st_dev, st_ino of the root directory: what the
                     * session's root is, whatever its path leads to now */
        J_ROOTFS,   /* a = "tmpfs" | "bind": the mount cairn attaches on a root it
                     * made (a fresh tmpfs, or the directory bound onto itself to be
                     * made read-only), n = its unique mount ID (0: unknown, then a
                     * J_MOUNTED follows the attach) */
        /* Files the ABI 1.3 helpers make (journal version 4); each removed
         * only if it is still of the kind cairn made, from the directory
         * it was made in: */
        J_SYMLINK,  /* a = path inside the root, b = the symlink's text; ref, n = as J_MKDIR */
        J_FILE,     /* a = path inside the root (a regular file), b = the size in
                     * bytes (decimal) it is written with; ref, n = as J_MKDIR */
        J_NODE,     /* a = path inside the root, b = "char" | "block" (what kind of
                     * device node); ref, n = as J_MKDIR */
        J_HANDLE,   /* ref = seq of a J_MKDIR, a = the directory's file handle
                     * (name_to_handle_at), "TYPE:HEX" (journal version 5): it
                     * tells a name hidden under a mount from one that is gone */
        J_WHERE,    /* a = boot id, b = the mount namespace's 64-bit ID (decimal,
                     * 0: not known); ref, n = st_dev, st_ino of its nsfs file
                     * (journal version 5; none: where is not known) */
        J_OCI,      /* a = the OCI container id, and " ENTRY" for one entry's
                     * session (oci-hook --entry); b = its bundle: the key
                     * oci-hook delete finds the session by (journal version 5) */
        _J_MAX,
};

struct jrec {
        uint64_t seq;
        enum jtype type;
        char *a, *b;
        uint64_t ref, n;
        /* Appended, but the write that was to hold it failed: it is not
         * in the file.  The action it announces was never done (every
         * action waits for its record to be written), so an undo in this
         * process passes it by, as one in the next would, and no record
         * written after it refers to it (the file would be unreadable). */
        bool lost;
};

struct journal {
        int fd;
        size_t size; /* bytes of whole records in the file: where a failed
                      * write is cut back to */
        char *path;
        char *id;
        uint64_t next_seq;
        struct jrec *recs; /* as read by journal_open(), then appended */
        size_t n_recs, cap_recs;
        bool active; /* JOURNAL_PEEK: another cairn holds the lock */
        bool sync;   /* fdatasync() after a write: not on tmpfs or ramfs */
        char *pending; /* formatted records not yet written */
        size_t n_pending, cap_pending;
        size_t n_written; /* recs[0..n_written) are in the file, or lost */
};

enum journal_lock {
        JOURNAL_WAIT, /* lock, waiting for whoever holds it */
        JOURNAL_TRY,  /* lock, or -EWOULDBLOCK if another cairn holds it */
        JOURNAL_PEEK, /* read without keeping a lock; set `active` */
};

#define SESSION_ID_PREFIX "cairn-"
#define SESSION_ID_RANDOM 6
/* "cairn-" and six of [A-Za-z0-9]. */
bool session_id_is_valid(const char *id);

/* What a session's root is: its path, whether cairn made it, and its
 * identity (ino 0: not known yet, or a journal older than version 3). */
struct journal_root {
        const char *path;
        bool owned;
        uint64_t dev, ino;
        /* The mount on the root (J_ROOTFS): its kind ("tmpfs", "bind"; NULL:
         * none, the root is a plain directory), its mount ID (unique if
         * fs_unique, else mountinfo's; 0 unknown) and whether it is undone. */
        const char *fs;
        uint64_t fs_id;
        bool fs_unique, fs_undone;
};

/* Create STATE_DIR/ID.journal exclusively (-EEXIST if it exists), lock it,
 * and write the J_SESSION, J_ROOT and (with root->ino) J_ROOTID records in
 * one write: they are there before the journal has a name. */
int journal_create(const char *state_dir, const char *id, const struct journal_root *root,
                   struct journal **ret);

struct where;
/* Where the session lives (its J_WHERE): false if the journal does not
 * say (older than version 5, or /proc could not say at setup). */
bool journal_where(const struct journal *j, struct where *ret);

/* The first records of a journal (its id, its root and the root's
 * identity), read without a lock: enough to tell whose a journal is, also
 * when the rest cannot be read (a newer cairn's, or damaged).  The strings
 * are the caller's to free.  -EBADMSG if it has no J_SESSION and J_ROOT. */
struct journal_head {
        char *id;
        char *root;
        bool owned;
        uint64_t dev, ino;
};
int journal_head_read(const char *path, struct journal_head *ret);
void journal_head_clear(struct journal_head *h);

/* Open (and lock, as `lock` says) an existing journal and read its
 * records.  -ENOENT when it no longer exists (another process finished
 * the session meanwhile).  Every record is checked for what the steps
 * after rely on (a session id, a root, references to records that exist,
 * paths inside the root): -EBADMSG, named with the line, if one is not.
 * With a lock, a torn last record (a crash or a full disk mid-write) is
 * cut off the file before anything is appended after it. */
int journal_open(const char *path, enum journal_lock lock, struct journal **ret);

/* Append one record and write it, with any that wait before it, and sync;
 * *ret_seq (may be NULL) gets its seq.  For what announces an action,
 * which must be on disk before the action is done. */
int journal_append(struct journal *j, enum jtype type, const char *a, const char *b,
                   uint64_t ref, uint64_t n, uint64_t *ret_seq);
/* Append a record that may wait for the next journal_append() or
 * journal_commit() (or a few KiB of others).  Only for records whose loss
 * in a crash is harmless: context written before the action it belongs to
 * would be ("entry", "opt", "skip", "owner"), "end", and the "undone" of a
 * removal (done again, it finds nothing, or something that is not what
 * cairn made, which it leaves).  Not "mounted" (without its ID an undo
 * would have to guess which mount is cairn's), nor the "undone" of an
 * unmount (the freed ID may go to another mount) or of a plugin's own
 * teardown (it may not be idempotent); and everything that waits is
 * written before a plugin's own teardown runs. */
int journal_note(struct journal *j, enum jtype type, const char *a, const char *b,
                 uint64_t ref, uint64_t n, uint64_t *ret_seq);
/* Write (and sync) the records that wait.  If that fails, the file is
 * cut back to the records before them, and they are marked lost. */
int journal_commit(struct journal *j);

/* Remove the file (still holding the lock) and free. */
int journal_remove(struct journal *j);
void journal_free(struct journal *j);

/* The session's root, as its J_ROOT, J_ROOTID and J_ROOTFS say (a
 * journal_open()ed one has both J_SESSION and J_ROOT). */
void journal_root(const struct journal *j, struct journal_root *ret);

/* The record with this seq, or NULL. */
const struct jrec *journal_find(const struct journal *j, uint64_t seq);
/* Whether a J_UNDONE refers to seq. */
bool journal_is_undone(const struct journal *j, uint64_t seq);

const char *jtype_name(enum jtype t);

#endif
