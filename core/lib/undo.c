/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Undo, last first.  Never recursive, never through a mount: a directory
 * or file is removed (rmdir/unlink, one name) only if the journal says
 * cairn made it and nothing is mounted at or beneath it; a mount is
 * unmounted only if the mount found at its place (statx STATX_MNT_ID) has
 * the ID the journal recorded.  Whatever cannot be undone is named, and
 * stays in the journal for a later teardown or gc.
 *
 * "Nothing mounted at or beneath" is the kernel's own refusal, made
 * atomically with the removal: unlink and rmdir fail with EBUSY on a
 * mount point of this namespace, and rmdir with ENOTEMPTY on a directory
 * that holds one (a mount point is a name inside it).  /proc/self/mountinfo
 * shows the same namespace, but only as it was when read; it is read
 * only when something is not as the journal says, to name what is in the
 * way.  A teardown that finds everything in place never reads it: its
 * cost grows with every mount on the host (1 ms for 1000), not with the
 * session's.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <inttypes.h>
#include <libgen.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "undo.h"
#include "handle.h"
#include "loader.h"
#include "log.h"
#include "mountinfo.h"
#include "resolve.h"
#include "rootfs.h"
#include "trust.h"
#include "util.h"

struct undo {
        struct session *s;
        struct loader *loader;
        size_t n;           /* records considered (appends made meanwhile are not) */
        bool *undone;       /* per record index */
        uint64_t *mount_id; /* per J_MOUNT index: its J_MOUNTED id, 0 if none */
        bool *asked;        /* per J_MOUNT index: mount_id asked of statmount() */
        ssize_t *entry_of;  /* per record index: index of its J_ENTRY, -1 */
        const char **handle; /* per J_MKDIR index: its J_HANDLE's text, or NULL */
        char **kept;        /* mount points whose unmount failed this time */
        /* The J_ROOTFS "tmpfs" record to undo in this pass, -1: none.
         * Names cairn made inside that tmpfs go with it: they are not
         * removed one by one (a workload may have filled them). */
        ssize_t tmpfs_root;
        ssize_t bind_root; /* the same for a J_ROOTFS "bind" */
        /* The directory the last record's name was in, kept open for the
         * next (a teardown of many mounts in one directory opens it once),
         * and the working directory to return to: unmounts are made
         * relative to it (below). */
        char *dir_path;
        int dir_fd;
        uint64_t dir_dev, dir_ino; /* dir_fd's identity, once asked (0 0: not yet) */
        int cwd_fd;
        bool in_dir;  /* the working directory is not cwd_fd's */
        int here_fd;  /* ... but this descriptor's (-1: unknown) */
        /* MNT_DETACH while a recursive bind (J_MOUNT "rbind") is undone:
         * its top is cairn's, checked by ID as any mount is, and the
         * mounts cloned with it beneath go with it in one step (an
         * unmount of the top alone is refused while they are there, and
         * one of each by its path would go through the sandbox's tree). */
        int detach;
};

/* Whether `path` is, or holds, a mount point whose unmount failed: such a
 * path is left alone even if mountinfo no longer lists the mount (it may
 * be in a state mountinfo does not show us). */
static bool holds_kept(const struct undo *u, const char *path)
{
        size_t n = strlen(path);

        for (char **k = u->kept; k && *k; k++)
                if (strncmp(*k, path, n) == 0 && ((*k)[n] == '\0' || (*k)[n] == '/' || n == 1))
                        return true;
        return false;
}

/* Whether mount `id` (mountinfo's) is one the journal says cairn made
 * and has not unmounted (a freed mount ID may have gone to someone else's
 * mount).  A mount journaled by its unique ID alone has its mountinfo ID
 * asked of the kernel, once, when first needed. */
static bool is_cairns(uint64_t id, void *ud)
{
        struct undo *u = ud;

        for (size_t i = 0; i < u->n; i++) {
                const struct jrec *r = &u->s->j->recs[i];
                uint64_t old;

                if (u->undone[i] || r->type != J_MOUNT)
                        continue;
                if (!u->mount_id[i] && r->n && !u->asked[i]) {
                        u->asked[i] = true;
                        if (mount_id_of_unique(r->n, &old) == 0)
                                u->mount_id[i] = old;
                }
                if (u->mount_id[i] == id)
                        return true;
        }
        return false;
}

static int mark_undone(struct undo *u, size_t i)
{
        const struct jrec *r = &u->s->j->recs[i];

        u->undone[i] = true;
        /* On record at once: a plugin's teardown, which may not be
         * idempotent, and an unmount journaled without a unique ID, whose
         * mount ID the kernel may give to another mount once it is free (a
         * later undo would take that one for cairn's mount moved
         * elsewhere, and refuse).  An unmount known by its unique ID, and
         * a removal, done again find nothing, or what is not cairn's and
         * is left (undo_remove()): their records may wait. */
        if (r->type == J_ENTRY || (r->type == J_MOUNT && !r->n))
                return journal_append(u->s->j, J_UNDONE, NULL, NULL, r->seq, 0, NULL);
        return journal_note(u->s->j, J_UNDONE, NULL, NULL, r->seq, 0, NULL);
}

static ssize_t index_of(const struct journal *j, uint64_t seq)
{
        const struct jrec *r = journal_find(j, seq);

        return r ? r - j->recs : -1;
}

static int undo_index(struct undo *u)
{
        const struct journal *j = u->s->j;
        ssize_t cur = -1;

        u->undone = calloc(u->n + 1, sizeof(bool));
        u->mount_id = calloc(u->n + 1, sizeof(uint64_t));
        u->asked = calloc(u->n + 1, sizeof(bool));
        u->entry_of = calloc(u->n + 1, sizeof(ssize_t));
        u->handle = calloc(u->n + 1, sizeof(char *));
        if (!u->undone || !u->mount_id || !u->asked || !u->entry_of || !u->handle)
                return -ENOMEM;
        for (size_t i = 0; i < u->n; i++) {
                const struct jrec *r = &j->recs[i];
                ssize_t k;

                if (r->type == J_ENTRY)
                        cur = (ssize_t) i;
                else if (r->type == J_SKIP || r->type == J_READY || r->type == J_FAILED)
                        cur = -1;
                u->entry_of[i] = cur;
                if (r->type == J_END)
                        cur = -1;
                /* An action whose record could not be written was never
                 * done (nor a plugin's setup whose entry was not), and is
                 * not undone.  What an "undone" or "mounted" says holds,
                 * written or not. */
                if (r->lost && r->type != J_UNDONE && r->type != J_MOUNTED)
                        u->undone[i] = true;
                if (r->type == J_UNDONE && (k = index_of(j, r->ref)) >= 0)
                        u->undone[k] = true;
                if (r->type == J_MOUNTED && (k = index_of(j, r->ref)) >= 0)
                        u->mount_id[k] = r->n;
                if (r->type == J_HANDLE && !r->lost && (k = index_of(j, r->ref)) >= 0)
                        u->handle[k] = r->a;
                if (r->type == J_ROOTFS && streq(r->a, "tmpfs"))
                        u->tmpfs_root = (ssize_t) i;
                if (r->type == J_ROOTFS && streq(r->a, "bind"))
                        u->bind_root = (ssize_t) i;
        }
        return 0;
}

static void forget_dir(struct undo *u)
{
        if (u->dir_fd >= 0 && u->here_fd == u->dir_fd)
                u->here_fd = -1; /* the number may be reused */
        free(TAKE_PTR(u->dir_path));
        if (u->dir_fd >= 0)
                close(TAKE_FD(u->dir_fd));
        u->dir_dev = u->dir_ino = 0;
}

/* Which directory `dfd` (one of parent_of()'s) is: st_dev, st_ino, asked
 * once per directory. */
static int parent_identity(struct undo *u, int dfd, uint64_t *ret_dev, uint64_t *ret_ino)
{
        bool root = dfd == u->s->root_fd;
        uint64_t *dev = root ? &u->s->root_dev : &u->dir_dev, *ino = root ? &u->s->root_ino : &u->dir_ino;
        struct stat st;

        if (!*dev && !*ino) {
                if (fstat(dfd, &st) < 0)
                        return negative_errno();
                *dev = (uint64_t) st.st_dev;
                *ino = (uint64_t) st.st_ino;
        }
        *ret_dev = *dev;
        *ret_ino = *ino;
        return 0;
}

/* The directory holding `path`'s last component, opened beneath the root
 * (never following a symlink), and that component.  The descriptor is
 * the root's own for "/NAME", else kept for the next record: do not
 * close it.  The working directory (umount_in()) is the last unmount's
 * directory, never inside a mount the helpers still have to unmount:
 * each unmount moves it to its own mount point's directory first; and
 * both are given up before a plugin's own teardown runs (leave_dirs()),
 * which may unmount what it mounted by its own means. */
static int parent_of(struct undo *u, const char *path, int *ret_dfd, const char **ret_name)
{
        const char *slash = strrchr(path, '/');
        size_t n;
        int r, fd;

        if (!slash || !slash[1])
                return -EINVAL;
        *ret_name = slash + 1;
        /* Only the current record's directory is kept: a directory kept
         * from before could be inside a mount about to be unmounted, and
         * keep it busy. */
        if (slash == path) {
                forget_dir(u);
                *ret_dfd = u->s->root_fd;
                return 0;
        }
        n = (size_t) (slash - path);
        if (u->dir_path && strlen(u->dir_path) == n && strncmp(u->dir_path, path, n) == 0) {
                *ret_dfd = u->dir_fd;
                return 0;
        }
        forget_dir(u);
        u->dir_path = strndup(path, n);
        if (!u->dir_path)
                return -ENOMEM;
        r = open_beneath(u->s->root_fd, u->dir_path, O_PATH | O_DIRECTORY, &fd);
        if (r < 0) {
                forget_dir(u);
                return r;
        }
        u->dir_fd = fd;
        *ret_dfd = fd;
        return 0;
}

/* Back to the working directory we came from, the kept directory closed. */
static void leave_dirs(struct undo *u)
{
        if (u->in_dir && u->cwd_fd >= 0 && fchdir(u->cwd_fd) == 0) {
                u->in_dir = false;
                u->here_fd = -1;
        }
        forget_dir(u);
}

/* umount2() takes a path, not a directory descriptor: the name is
 * unmounted relative to its directory made the working directory
 * (fchdir), not through "/proc/self/fd/N/NAME", which costs procfs a
 * lookup each time.  UMOUNT_NOFOLLOW either way: a symlink in the last
 * component is not followed. */
static int umount_in(struct undo *u, int dfd, const char *name)
{
        _cleanup_free_ char *via = NULL;
        char buf[32];

        if (u->cwd_fd < 0)
                u->cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (u->in_dir && u->here_fd == dfd)
                return umount2(name, UMOUNT_NOFOLLOW | u->detach) < 0 ? negative_errno() : 0;
        if (u->cwd_fd >= 0 && fchdir(dfd) == 0) {
                u->in_dir = true;
                u->here_fd = dfd;
                return umount2(name, UMOUNT_NOFOLLOW | u->detach) < 0 ? negative_errno() : 0;
        }
        via = xasprintf("%s/%s", fd_path(dfd, buf), name);
        if (!via)
                return -ENOMEM;
        return umount2(via, UMOUNT_NOFOLLOW | u->detach) < 0 ? negative_errno() : 0;
}

/* mountinfo, read once per undo pass, when first needed. */
static int mounts(struct undo *u, struct mountinfo **ret)
{
        if (!u->s->mounts) {
                int r = mountinfo_load(&u->s->mounts);
                if (r < 0)
                        return r;
        }
        *ret = u->s->mounts;
        return 0;
}

/* A plugin's own teardown, with the options the journal recorded. */
static int run_hook(struct undo *u, size_t e)
{
        const struct journal *j = u->s->j;
        const struct jrec *er = &j->recs[e];
        const struct cairn_plugin *p;
        _cleanup_free_ const char **keys = NULL, **values = NULL;
        size_t n = 0;
        int r;

        r = loader_get_path(u->loader, er->b, &p);
        if (r < 0) {
                log_error("[%s] cannot load %s to run its teardown", er->a, er->b);
                return r;
        }
        if (!p->teardown)
                return 0;
        keys = calloc(u->n, sizeof(char *));
        values = calloc(u->n, sizeof(char *));
        if (!keys || !values)
                return -ENOMEM;
        for (size_t i = e + 1; i < u->n && u->entry_of[i] == (ssize_t) e; i++)
                if (j->recs[i].type == J_OPT) {
                        keys[n] = j->recs[i].a;
                        values[n++] = j->recs[i].b;
                }
        {
                struct cairn_ctx ctx = { .s = u->s, .entry = er->a, .plugin = p,
                                         .keys = keys, .values = values, .n_values = n };
                r = ctx_call(&ctx, p->teardown, "teardown");
        }
        if (r < 0)
                log_error("[%s] teardown failed: %s", er->a, strerror(-r));
        return r;
}

/* The mount `id` is gone: unmounted (by a teardown that crashed before
 * saying so, or by someone else).  Needs mountinfo. */
static bool mount_gone(struct undo *u, uint64_t id)
{
        struct mountinfo *tb;

        return id && mounts(u, &tb) >= 0 && !mountinfo_has_id(tb, id);
}

/* Unmount cairn's mount `name` in `dfd` (at `full`), whose mountinfo ID
 * is `id` (0: not known). */
static int unmount_here(struct undo *u, int dfd, const char *name, const char *full, uint64_t id)
{
        struct mountinfo *tb;
        int k;

        /* Relative to the parent's descriptor, and not following a symlink
         * in the last component: nothing can redirect this unmount. */
        k = umount_in(u, dfd, name);
        if (k < 0) {
                _cleanup_free_ char *below = xasprintf("%s/", full);
                const char *t;

                /* Busy because of a mount on top of something inside it?
                 * Name that mount: it is what the admin has to remove. */
                if (k == -EBUSY && below && mounts(u, &tb) >= 0 &&
                    mountinfo_beneath_except(tb, below, is_cairns, u, &t, NULL))
                        return log_errno(k, "unmount %s: %s is mounted inside it, not by cairn "
                                         "(left mounted; teardown can finish once it is gone)",
                                         full, t);
                return log_errno(k, "unmount %s (left mounted; teardown can finish later)", full);
        }
        if (u->s->mounts) {
                if (id)
                        mountinfo_forget(u->s->mounts, id);
                else {
                        /* Its mountinfo ID unknown: read it anew if needed. */
                        mountinfo_free(u->s->mounts);
                        u->s->mounts = NULL;
                }
        }
        return 0;
}

/* cairn's mount `id` is not at its place: unmounted already (0), or
 * moved, or hidden (named, -EBUSY). */
static int mount_not_here(struct undo *u, const struct jrec *r, uint64_t id)
{
        _cleanup_free_ char *where = NULL;
        struct mountinfo *tb;
        const char *now, *t;
        int k;

        if (mount_gone(u, id))
                return 0;
        k = mounts(u, &tb);
        if (k < 0)
                return k;
        where = xasprintf("%s%s", u->s->root, r->a);
        now = mountinfo_target(tb, id);
        t = where ? mountinfo_covering(tb, u->s->root, where, is_cairns, u) : NULL;
        if (now && where && !streq(now, where))
                log_error("%s: cairn's mount %" PRIu64 " was moved to %s; left in place "
                          "(teardown can finish once it is back or gone)", where, id, now);
        else if (t)
                log_error("%s: cairn's mount %" PRIu64 " is hidden by %s, a mount cairn did not "
                          "make; left in place (teardown can finish once it is gone)",
                          where, id, t);
        else
                log_error("%s: cairn's mount %" PRIu64 " cannot be reached; left in place",
                          where ? where : r->a, id);
        return -EBUSY;
}

/* The mount is not found at its place in the root (or the root is gone).
 * With a unique ID: never attached, or gone (statmount() does not find
 * it), or hidden under someone's mount, or moved (then named and kept on
 * record, for a later teardown).  Setup journals unique IDs only where
 * statmount() works; where it no longer does (another seccomp filter),
 * nothing tells, and nothing is written off. */
static int mount_elsewhere(struct undo *u, const struct jrec *r, uint64_t id)
{
        if (r->n != 0) {
                int k = mount_id_of_unique(r->n, &id);

                if (k == -ENOENT)
                        return 0;
                if (k < 0)
                        return log_errno(k, "%s%s: cannot look for cairn's mount by its unique ID "
                                         "(statmount); left on record", u->s->root, r->a);
        }
        return mount_not_here(u, r, id);
}

static int undo_mount(struct undo *u, const struct jrec *r, uint64_t id)
{
        /* Journaled with its unique ID (r->n), which no other mount ever
         * gets: that ID, not the one mountinfo knows (which the kernel
         * gives to the next mount once it is free), says which mount is
         * cairn's, whether or not its J_MOUNTED made it to the journal
         * (a kernel with unique IDs makes none). */
        const bool unique = r->n != 0;
        _cleanup_free_ char *full = NULL;
        struct mountinfo *tb;
        const char *name, *t;
        struct statx stx;
        uint64_t cur;
        int dfd, k;

        if (u->s->root_fd < 0)
                return mount_elsewhere(u, r, id);
        full = strjoin(u->s->root, r->a);
        if (!full)
                return -ENOMEM;
        /* Hold the parent, not the mount: a descriptor inside the mount
         * would keep it busy. */
        k = parent_of(u, r->a, &dfd, &name);
        if (k == -ENOENT && !id && !unique)
                return 0; /* never mounted: not even the parent is there */
        if (k < 0)
                return mount_elsewhere(u, r, id);
        if (statx(dfd, name, AT_SYMLINK_NOFOLLOW, unique ? STATX_MNT_ID_UNIQUE : STATX_MNT_ID, &stx) < 0) {
                if (errno == ENOENT && !id && !unique)
                        return 0;
                return mount_elsewhere(u, r, id);
        }
        cur = stx.stx_mnt_id;
        if (unique) {
                if (!(stx.stx_mask & STATX_MNT_ID_UNIQUE))
                        return 0; /* a kernel without them now: a boot ago */
                return cur == r->n ? unmount_here(u, dfd, name, full, id) : mount_elsewhere(u, r, id);
        }
        if (!id) {
                /* Journaled, but the crash came before its ID was (a
                 * kernel without unique mount IDs, or an older journal):
                 * it is ours if something is mounted at our mount point
                 * now, only a moment after cairn was there. */
                k = mounts(u, &tb);
                if (k < 0)
                        return k;
                t = mountinfo_target(tb, cur);
                if (!t || !streq(t, full))
                        return 0;
                id = cur;
        }
        return cur == id ? unmount_here(u, dfd, name, full, id) : mount_not_here(u, r, id);
}

/* unlink or rmdir failed with `k`: if the kernel refused because of a
 * mount at or beneath `full`, name it; else say what failed. */
/* The first few names in directory `name` of `dfd`, for a message:
 * "a, b, c, ..." (empty if it cannot be read). */
static void first_names(int dfd, const char *name, char *buf, size_t size)
{
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        size_t len = 0;
        unsigned n = 0;

        buf[0] = '\0';
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((de = readdir(d)) && len + 8 < size) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (n++ == 3) {
                        snprintf(buf + len, size - len, ", ...");
                        return;
                }
                len += (size_t) snprintf(buf + len, size - len, "%s%s", n > 1 ? ", " : "", de->d_name);
        }
}

static int removal_refused(struct undo *u, const char *full, int k, int dfd, const char *name)
{
        struct mountinfo *tb;
        char names[256];
        const char *t;

        if ((k == -EBUSY || k == -ENOTEMPTY) && mounts(u, &tb) >= 0 &&
            mountinfo_beneath(tb, full, &t, NULL)) {
                log_error("%s: not removed: %s is mounted there (not by cairn, or not yet unmounted)",
                          full, t);
                return -EBUSY;
        }
        if (k == -ENOTEMPTY) {
                /* What is in the way, for whoever has to look. */
                first_names(dfd, name, names, sizeof names);
                if (names[0]) {
                        log_error("remove %s (left in place): not empty: %s (not made by cairn)", full, names);
                        return k;
                }
        }
        return log_errno(k, "remove %s (left in place)", full);
}

/* What is at `name` now: 0 if nothing (-ENOENT), else 1 if it is still the
 * empty file cairn made as a mount point, or a mount point (which the
 * removal then refuses, and names); 2 if it is something else.  A removal
 * whose record was lost in a crash is done again, maybe after the runtime
 * put a file of its own at the name. */
static int file_state(int dfd, const char *name)
{
        struct statx stx;

        if (statx(dfd, name, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_SIZE, &stx) < 0)
                return errno == ENOENT ? 0 : 1; /* else the removal will say */
        if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
            (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
                return 1;
        return S_ISREG(stx.stx_mode) && stx.stx_size == 0 ? 1 : 2;
}

/* The directory of record `i` (a J_MKDIR) cannot be found at its path:
 * gone (0), or still there, hidden under a mount placed over a directory
 * above it since (named, -EBUSY)?  Its file handle tells, opened on the
 * filesystem it was made on (the root's); without one, or where handles
 * cannot be opened, it counts as gone (cairn(8), BUGS). */
static int hidden_or_gone(struct undo *u, size_t i, const char *full)
{
        const struct jrec *r = &u->s->j->recs[i];
        struct mountinfo *tb;
        uint64_t dev, ino;
        const char *t;
        int k;

        if (!u->handle[i] || u->s->root_fd < 0 ||
            parent_identity(u, u->s->root_fd, &dev, &ino) < 0 || dev != r->ref)
                return 0;
        k = handle_dir_exists(u->s->root_fd, u->handle[i]);
        if (k <= 0)
                return 0;
        t = mounts(u, &tb) >= 0 ? mountinfo_covering(tb, u->s->root, full, is_cairns, u) : NULL;
        log_error("%s: not removed: hidden under %s, mounted over a directory above it (not by cairn); "
                  "teardown can finish once it is gone", full, t ? t : "a mount");
        return -EBUSY;
}

static int undo_remove(struct undo *u, const struct jrec *r)
{
        _cleanup_free_ char *full = NULL;
        const char *name;
        bool dir = r->type == J_MKDIR;
        uint64_t dev, ino;
        int dfd, k;

        full = strjoin(u->s->root, r->a);
        if (!full)
                return -ENOMEM;
        if (holds_kept(u, r->a)) {
                log_error("%s: not removed: a mount there was left in place", full);
                return -EBUSY;
        }
        if (u->s->root_fd < 0)
                return 0; /* the root is gone, and everything in it */
        k = parent_of(u, r->a, &dfd, &name);
        if (k == -ENOENT)
                return dir ? hidden_or_gone(u, (size_t) (r - u->s->j->recs), full) : 0;
        if (k < 0)
                return log_errno(k, "%s: open parent", full);
        /* Never through a mount: the directory must be the one cairn made
         * the name in (0 0: a journal too old to say). */
        if (r->ref || r->n) {
                k = parent_identity(u, dfd, &dev, &ino);
                if (k < 0)
                        return log_errno(k, "%s: stat its directory", full);
                if (dev != r->ref || ino != r->n) {
                        struct mountinfo *tb;
                        struct statx stx;
                        const char *t;

                        /* Gone with a mount of cairn's that held it (unmounted
                         * by a teardown that crashed before saying so), or
                         * hidden under a mount placed over its directory
                         * after such a crash: its handle tells. */
                        if (statx(dfd, name, AT_SYMLINK_NOFOLLOW, 0, &stx) < 0 && errno == ENOENT)
                                return dir ? hidden_or_gone(u, (size_t) (r - u->s->j->recs), full) : 0;
                        t = mounts(u, &tb) >= 0 ? mountinfo_covering(tb, u->s->root, full, is_cairns, u)
                                                : NULL;
                        log_error("%s: not removed: %s is mounted over its directory (not by cairn)",
                                  full, t ? t : "something");
                        return -EBUSY;
                }
        }
        if (!dir) {
                k = file_state(dfd, name);
                if (k == 0)
                        return 0;
                if (k == 2) {
                        log_notice("%s: not removed: no longer the empty file cairn made "
                                   "(left in place)", full);
                        return 0;
                }
        }
        /* Not in the directory about to go (nor keeping it open). */
        if (dir && dfd == u->s->root_fd)
                leave_dirs(u);
        else if (dir && u->in_dir && u->cwd_fd >= 0 && fchdir(u->cwd_fd) == 0) {
                u->in_dir = false;
                u->here_fd = -1;
        }
        /* One name, never recursive; refused by the kernel if anything is
         * mounted on it or (a directory) it is not empty. */
        if (unlinkat(dfd, name, dir ? AT_REMOVEDIR : 0) < 0) {
                k = negative_errno();
                if (k == -ENOENT)
                        return 0;
                return removal_refused(u, full, k, dfd, name);
        }
        return 0;
}

/* Whether what `stx` describes is still of the kind the J_SYMLINK,
 * J_FILE or J_NODE `r` says cairn made: a symlink, a regular file (its
 * contents may have changed: the sandbox may write a file it was given),
 * a device node of that kind. */
static bool leaf_is_cairns(const struct jrec *r, const struct statx *stx)
{
        switch (r->type) {
        case J_SYMLINK:
                return S_ISLNK(stx->stx_mode);
        case J_FILE:
                return S_ISREG(stx->stx_mode);
        case J_NODE:
                return streq(r->b, "char") ? S_ISCHR(stx->stx_mode) : S_ISBLK(stx->stx_mode);
        default:
                return false;
        }
}

/* The undo of a J_SYMLINK, J_FILE or J_NODE (ABI 1.3 helpers): unlink
 * the one name, only from the directory cairn made it in (never through a
 * mount), and only if it is still of the kind cairn made; something else
 * there (put in its place since) is left, with a notice. */
static int undo_leaf(struct undo *u, const struct jrec *r)
{
        _cleanup_free_ char *full = NULL;
        struct statx stx;
        const char *name;
        uint64_t dev, ino;
        int dfd, k;

        full = strjoin(u->s->root, r->a);
        if (!full)
                return -ENOMEM;
        if (holds_kept(u, r->a)) {
                log_error("%s: not removed: a mount there was left in place", full);
                return -EBUSY;
        }
        if (u->s->root_fd < 0)
                return 0; /* the root is gone, and everything in it */
        k = parent_of(u, r->a, &dfd, &name);
        if (k == -ENOENT)
                return 0;
        if (k < 0)
                return log_errno(k, "%s: open parent", full);
        if (statx(dfd, name, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &stx) < 0)
                return errno == ENOENT ? 0 : log_errno(negative_errno(), "%s: stat (left in place)", full);
        k = parent_identity(u, dfd, &dev, &ino);
        if (k < 0)
                return log_errno(k, "%s: stat its directory", full);
        if (dev != r->ref || ino != r->n) {
                log_error("%s: not removed: something is mounted over its directory (not by cairn)", full);
                return -EBUSY;
        }
        if (!leaf_is_cairns(r, &stx)) {
                log_notice("%s: not removed: no longer the %s cairn made (left in place)", full,
                           jtype_name(r->type));
                return 0;
        }
        if (unlinkat(dfd, name, 0) < 0) {
                k = negative_errno();
                return k == -ENOENT ? 0 : removal_refused(u, full, k, dfd, name);
        }
        return 0;
}

static int undo_root(struct undo *u, const struct jrec *r)
{
        _cleanup_free_ char *copy = NULL, *copy2 = NULL;
        _cleanup_close_ int dfd = -1;
        const char *base;
        struct stat st;
        int k;

        if (!streq(r->b, "owned"))
                return 0;
        leave_dirs(u);
        if (holds_kept(u, "/")) {
                log_error("%s: not removed: a mount on or in it was left in place", r->a);
                return -EBUSY;
        }
        copy = strdup(r->a);
        copy2 = strdup(r->a);
        if (!copy || !copy2)
                return -ENOMEM;
        dfd = open(dirname(copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? 0 : log_errno(negative_errno(), "%s: open parent", r->a);
        base = basename(copy2);
        /* Only the directory cairn made: another one put at its name since
         * (the root renamed away, or gone after a crash) is left alone. */
        if (u->s->made_ino) {
                if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return errno == ENOENT ? 0 : log_errno(negative_errno(), "%s: stat", r->a);
                if ((uint64_t) st.st_dev != u->s->made_dev || (uint64_t) st.st_ino != u->s->made_ino) {
                        log_notice("%s: not the root cairn made (that one is gone); left in place", r->a);
                        return 0;
                }
        }
        if (unlinkat(dfd, base, AT_REMOVEDIR) < 0) {
                k = negative_errno();
                if (k == -ENOENT)
                        return 0;
                return removal_refused(u, r->a, k, dfd, base);
        }
        if (u->s->root_fd >= 0) {
                close(u->s->root_fd);
                u->s->root_fd = -1;
        }
        return 0;
}

/* The mount on the root (J_ROOTFS), by its ID: unmounted if it is the
 * one at the root's path; gone already, 0; else (hidden, or busy with a
 * mount inside it cairn did not make) named, -EBUSY.  Everything inside
 * it has been undone: nothing of it may stay open. */
static int undo_rootfs(struct undo *u, const struct jrec *r, uint64_t id)
{
        const bool unique = r->n != 0;
        _cleanup_free_ char *copy = strdup(u->s->root), *copy2 = strdup(u->s->root);
        _cleanup_close_ int dfd = -1;
        struct mountinfo *tb;
        struct statx stx;
        const char *base, *t;
        int k;

        if (!copy || !copy2)
                return -ENOMEM;
        if (holds_kept(u, "/")) {
                log_error("%s: not unmounted: a mount in it was left in place", u->s->root);
                return -EBUSY;
        }
        leave_dirs(u);
        if (u->s->root_fd >= 0)
                close(TAKE_FD(u->s->root_fd)); /* it would keep the mount busy */
        dfd = open(dirname(copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? 0 : log_errno(negative_errno(), "%s: open parent", u->s->root);
        base = basename(copy2);
        if (statx(dfd, base, AT_SYMLINK_NOFOLLOW, unique ? STATX_MNT_ID_UNIQUE : STATX_MNT_ID, &stx) < 0)
                return errno == ENOENT ? 0 : log_errno(negative_errno(), "%s: stat", u->s->root);
        if (unique ? stx.stx_mnt_id != r->n : !id || stx.stx_mnt_id != id) {
                if (unique) {
                        k = mount_id_of_unique(r->n, &id);
                        if (k == -ENOENT)
                                return 0;
                        if (k < 0)
                                return log_errno(k, "%s: cannot look for its %s by its unique ID "
                                                 "(statmount); left on record", u->s->root, r->a);
                } else if (mount_gone(u, id) || !id)
                        return 0; /* !id: the crash came before its mount(2) */
                log_error("%s: cairn's %s on the root is not at its place (hidden or moved); left in "
                          "place (teardown can finish once it is back)", u->s->root, r->a);
                return -EBUSY;
        }
        k = umount_in(u, dfd, base);
        u->here_fd = -1; /* dfd goes */
        if (k < 0) {
                _cleanup_free_ char *below = xasprintf("%s/", u->s->root);

                if (k == -EBUSY && below && mounts(u, &tb) >= 0 &&
                    mountinfo_beneath_except(tb, below, is_cairns, u, &t, NULL))
                        return log_errno(k, "unmount the %s of root %s: %s is mounted inside it, not "
                                         "by cairn (left mounted; teardown can finish once it is gone)",
                                         r->a, u->s->root, t);
                return log_errno(k, "unmount the %s of root %s (left mounted; teardown can finish later)",
                                 r->a, u->s->root);
        }
        if (u->s->mounts) {
                mountinfo_free(u->s->mounts);
                u->s->mounts = NULL;
        }
        return 0;
}

/* Whether record i is a name made inside the tmpfs root that this pass
 * (from `from`) unmounts: it goes with the tmpfs. */
static bool in_tmpfs_root(const struct undo *u, size_t from, size_t i)
{
        return u->tmpfs_root >= (ssize_t) from && (size_t) u->tmpfs_root < i &&
               !u->undone[u->tmpfs_root];
}

int undo_records(struct session *s, size_t from, struct loader *loader)
{
        struct undo u = { .s = s, .loader = loader, .n = s->j->n_recs,
                          .dir_fd = -1, .cwd_fd = -1, .here_fd = -1, .tmpfs_root = -1,
                          .bind_root = -1 };
        unsigned failed = 0, unrecorded = 0;
        int r;

        r = undo_index(&u);
        if (r < 0)
                goto out;
        /* A plain directory root made read-only (root_readonly) by a bind
         * onto itself: writable again, for the names cairn made in it to
         * be removed, before that bind is unmounted. */
        if (u.bind_root >= (ssize_t) from && !u.undone[u.bind_root] && s->root_fd >= 0 &&
            !s->mounts_gone) {
                r = rootfs_unseal(s->root_fd);
                if (r < 0)
                        log_errno(r, "%s: make the root writable again, to remove what cairn made in it",
                                  s->root);
        }
        for (size_t i = u.n; i-- > from;) {
                const struct jrec *rec = &s->j->recs[i];
                ssize_t e = u.entry_of[i];

                if (u.undone[i])
                        continue;
                if (e >= (ssize_t) from && !u.undone[e] && s->j->recs[e].n && s->mounts_gone) {
                        /* A plugin's own teardown undoes what it did in the
                         * session's namespace, which is gone with all of it. */
                        log_notice("[%s] teardown of the plugin not run: the session's mount "
                                   "namespace is gone", s->j->recs[e].a);
                        if (mark_undone(&u, (size_t) e) < 0)
                                unrecorded++;
                        rec = &s->j->recs[i];
                } else if (e >= (ssize_t) from && !u.undone[e] && s->j->recs[e].n) {
                        /* First record of this entry met, last first: its
                         * plugin's own teardown runs before the helpers'
                         * actions are undone.  It runs from where we came
                         * from, holding nothing of the root open (that could
                         * keep busy a mount it unmounts), and after what
                         * was undone so far is on record (the hook is code
                         * of someone else's, and may crash). */
                        leave_dirs(&u);
                        r = journal_commit(s->j);
                        if (r < 0)
                                goto out;
                        r = run_hook(&u, (size_t) e);
                        if (r < 0) {
                                /* Not journaled as undone: a later teardown
                                 * tries the hook again; this one does not. */
                                u.undone[e] = true;
                                failed++;
                        }
                        else if (mark_undone(&u, (size_t) e) < 0)
                                unrecorded++;
                        rec = &s->j->recs[i]; /* the append may have moved recs */
                }
                switch (rec->type) {
                case J_MOUNT:
                        r = 0;
                        if (s->mounts_gone)
                                break; /* gone with its namespace: written off */
                        u.detach = streq(rec->b, "rbind") ? MNT_DETACH : 0;
                        r = undo_mount(&u, rec, u.mount_id[i]);
                        u.detach = 0;
                        if (r < 0 && strv_push(&u.kept, rec->a) < 0) {
                                r = -ENOMEM;
                                goto out;
                        }
                        break;
                case J_MKDIR:
                case J_CREATE:
                        if (in_tmpfs_root(&u, from, i))
                                continue;
                        r = undo_remove(&u, rec);
                        break;
                case J_ROOTFS:
                        r = 0;
                        if (s->mounts_gone)
                                break;
                        /* Left mounted: the directory under it stays too. */
                        r = undo_rootfs(&u, rec, u.mount_id[i]);
                        if (r < 0 && strv_push(&u.kept, "/") < 0) {
                                r = -ENOMEM;
                                goto out;
                        }
                        break;
                case J_ROOT:
                        r = undo_root(&u, rec);
                        break;
                case J_SYMLINK:
                case J_FILE:
                case J_NODE:
                        if (in_tmpfs_root(&u, from, i))
                                continue;
                        r = undo_leaf(&u, rec);
                        break;
                default:
                        continue;
                }
                if (r < 0) {
                        failed++;
                        continue;
                }
                /* Done, but not on record (a full disk): the undo goes on
                 * (what it did is done), and a later one finds the rest
                 * undone, or does it again. */
                if (mark_undone(&u, i) < 0)
                        unrecorded++;
        }
        if (unrecorded && failed)
                log_error("%s: %u undone step%s could not be recorded; a later teardown "
                          "redoes them", s->j->path, unrecorded, unrecorded == 1 ? "" : "s");
        r = failed ? -EBUSY : 0;
out:
        free(u.undone);
        free(u.mount_id);
        free(u.asked);
        free(u.entry_of);
        free(u.handle);
        strv_freep(&u.kept);
        leave_dirs(&u);
        if (u.cwd_fd >= 0)
                close(u.cwd_fd);
        if (s->mounts) {
                mountinfo_free(s->mounts);
                s->mounts = NULL;
        }
        return r;
}

/* Undo everything, retrying once what failed: a busy mount is often free
 * a moment later (a process leaving it), and the second pass only redoes
 * what the first could not. */
int undo_all(struct session *s, struct loader *loader)
{
        int r;

        /* The first pass's errors are said by the second, if they still
         * hold: not twice. */
        log_hold();
        r = undo_records(s, 0, loader);
        log_release_held(r == -EBUSY);
        if (r == -EBUSY) {
                log_info("retrying what could not be undone");
                usleep(100 * 1000);
                r = undo_records(s, 0, loader);
        }
        return r;
}
