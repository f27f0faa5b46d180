/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#include "journal.h"
#include "log.h"
#include "trust.h"
#include "util.h"
#include "where.h"

/* 5: J_WHERE (the session's boot and mount namespace) and J_MKDIR's file
 * handle.  2: J_MOUNT's unique mount ID (a third field).  3: J_ROOTID, the root
 * directory's identity.  4: J_ROOTFS, the tmpfs (or bind) on a root cairn
 * made; J_SYMLINK, J_FILE, J_NODE, the ABI 1.3 file helpers'.  A cairn
 * reads journals of its version and older ones, and says so of a newer
 * one. */
#define JOURNAL_VERSION "5"

static const char *const type_names[_J_MAX] = {
        [J_SESSION] = "session", [J_ROOT] = "root",       [J_OWNER] = "owner",
        [J_ENTRY] = "entry",     [J_OPT] = "opt",         [J_SKIP] = "skip",
        [J_END] = "end",         [J_MKDIR] = "mkdir",     [J_CREATE] = "create",
        [J_MOUNT] = "mount",     [J_MOUNTED] = "mounted", [J_UNDONE] = "undone",
        [J_MODE] = "mode",       [J_READY] = "ready",     [J_FAILED] = "failed",
        [J_TEARDOWN] = "teardown", [J_ROOTID] = "rootid", [J_ROOTFS] = "rootfs",
        [J_SYMLINK] = "symlink", [J_FILE] = "file",       [J_NODE] = "node",
        [J_HANDLE] = "handle", [J_WHERE] = "where", [J_OCI] = "oci",
};

/* Which arguments each type carries: s = string, n = number. */
static const char *const type_args[_J_MAX] = {
        [J_SESSION] = "ssn", [J_ROOT] = "ss",  [J_OWNER] = "ss",   [J_ENTRY] = "ssn",
        [J_OPT] = "ss",     [J_SKIP] = "ss",  [J_END] = "ss",     [J_MKDIR] = "srn",
        [J_CREATE] = "srn", [J_MOUNT] = "ssn", [J_MOUNTED] = "rn", [J_UNDONE] = "r",
        [J_MODE] = "n",     [J_READY] = "",   [J_FAILED] = "",    [J_TEARDOWN] = "",
        [J_ROOTID] = "rn",  [J_ROOTFS] = "sn",
        [J_SYMLINK] = "ssrn", [J_FILE] = "ssrn", [J_NODE] = "ssrn",
        [J_HANDLE] = "sr", [J_WHERE] = "ssrn", [J_OCI] = "ss",
};

bool session_id_is_valid(const char *id)
{
        static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        const size_t n = strlen(SESSION_ID_PREFIX);

        if (!id || strncmp(id, SESSION_ID_PREFIX, n) != 0)
                return false;
        id += n;
        return strlen(id) == SESSION_ID_RANDOM && strspn(id, alnum) == SESSION_ID_RANDOM;
}

const char *jtype_name(enum jtype t)
{
        return (unsigned) t < _J_MAX ? type_names[t] : "?";
}

/* Percent-encode everything that is not a printable, non-blank ASCII
 * character; "%-" stands for the empty string. */
/* The encoded size of s: at most three bytes per byte, or "%-". */
static size_t encoded_max(const char *s)
{
        return s && *s ? 3 * strlen(s) : 2;
}

/* Percent-encode everything that is not a printable, non-blank ASCII
 * character; "%-" stands for the empty string.  Returns the end. */
static char *encode(char *o, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";

        if (!s || !*s) {
                *o++ = '%';
                *o++ = '-';
                return o;
        }
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p <= ' ' || *p >= 0x7f || *p == '%') {
                        *o++ = '%';
                        *o++ = hex[*p >> 4];
                        *o++ = hex[*p & 15];
                } else
                        *o++ = (char) *p;
        }
        return o;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

static char *decode(const char *s)
{
        char *out, *o;

        if (streq(s, "%-"))
                return strdup("");
        out = o = malloc(strlen(s) + 1);
        if (!out)
                return NULL;
        for (; *s; s++) {
                if (*s == '%') {
                        int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
                        if (lo < 0 || (hi == 0 && lo == 0)) {
                                free(out);
                                return NULL;
                        }
                        *o++ = (char) (hi * 16 + lo);
                        s += 2;
                } else
                        *o++ = *s;
        }
        *o = '\0';
        return out;
}

static int push(struct journal *j, const struct jrec *r)
{
        if (j->n_recs == j->cap_recs) {
                size_t cap = j->cap_recs ? j->cap_recs * 2 : 32;
                struct jrec *n = realloc(j->recs, cap * sizeof *n);
                if (!n)
                        return -ENOMEM;
                j->recs = n;
                j->cap_recs = cap;
        }
        j->recs[j->n_recs++] = *r;
        if (r->seq >= j->next_seq)
                j->next_seq = r->seq + 1;
        return 0;
}

/* Records wait in memory until this much is pending, then go out in one
 * write: a teardown of thousands of mounts journals its "undone" records
 * in a few writes, not thousands, and a crash loses at most this much of
 * what may wait (see journal_note()). */
#define PENDING_FLUSH 4096

/* The records that waited are not in the file, and never will be: cut
 * it back to whole records before them (part of the write may be there: a
 * full disk, a file size limit), so that the next record is not appended
 * to a torn one, and mark them lost, so that nothing in memory says more
 * than the file does. */
static void lose_pending(struct journal *j)
{
        (void) ftruncate(j->fd, (off_t) j->size);
        for (size_t i = j->n_written; i < j->n_recs; i++)
                j->recs[i].lost = true;
        j->n_written = j->n_recs;
        j->n_pending = 0;
}

int journal_commit(struct journal *j)
{
        int r;

        if (j->n_pending == 0) {
                j->n_written = j->n_recs;
                return 0;
        }
        /* One write of whole lines, then sync: what it holds is on disk
         * before the action the last record announces is done. */
        r = write_all(j->fd, j->pending, j->n_pending);
        if (r < 0) {
                lose_pending(j);
                return log_errno(r, "%s: write", j->path);
        }
        /* Not synced, it may not be there after a crash: as good as not
         * written, and the caller does not act on it. */
        if (j->sync && fdatasync(j->fd) < 0) {
                r = negative_errno();
                lose_pending(j);
                return log_errno(r, "%s: sync", j->path);
        }
        j->size += j->n_pending;
        j->n_pending = 0;
        j->n_written = j->n_recs;
        return 0;
}

/* Format the record into the pending buffer and keep it in j->recs. */
static int add_record(struct journal *j, enum jtype type, const char *a, const char *b,
                      uint64_t ref, uint64_t n, uint64_t *ret_seq)
{
        struct jrec rec = { .seq = j->next_seq, .type = type, .ref = ref, .n = n };
        const char *args = type_args[type];
        size_t need = 3 * 24 + 16 + encoded_max(a) + encoded_max(b);
        const struct jrec *target;
        char *o;
        int r;

        if ((type == J_UNDONE || type == J_MOUNTED) && (target = journal_find(j, ref)) && target->lost) {
                /* What it says of a lost record is true in memory (an undo
                 * in this process reads it), but it is not written: in the
                 * file it would refer to no record. */
                rec.lost = true;
                r = push(j, &rec);
                if (r >= 0 && ret_seq)
                        *ret_seq = rec.seq;
                return r;
        }
        if (j->cap_pending - j->n_pending < need) {
                /* Small at first: a setup's records mostly go out a few
                 * at a time, and a page of heap not touched is a page
                 * fault not taken. */
                size_t cap = j->cap_pending ? j->cap_pending : 512;
                char *p;

                while (cap - j->n_pending < need)
                        cap *= 2;
                p = realloc(j->pending, cap);
                if (!p)
                        return -ENOMEM;
                j->pending = p;
                j->cap_pending = cap;
        }
        if (a && !(rec.a = strdup(a)))
                return -ENOMEM;
        if (b && !(rec.b = strdup(b))) {
                free(rec.a);
                return -ENOMEM;
        }
        r = push(j, &rec);
        if (r < 0) {
                free(rec.a);
                free(rec.b);
                return r;
        }
        /* Formatted by hand, without printf: this runs for every action
         * of every entry, and stdio's memstreams cost more than the
         * syscalls (a teardown then uses no printf at all). */
        o = j->pending + j->n_pending;
        o = format_u64(o, rec.seq);
        *o++ = ' ';
        o = stpcpy(o, type_names[type]);
        for (const char *t = args; *t; t++) {
                *o++ = ' ';
                if (*t == 's')
                        o = encode(o, t == args ? a : b);
                else
                        o = format_u64(o, *t == 'r' ? ref : n);
        }
        *o++ = '\n';
        j->n_pending = (size_t) (o - j->pending);
        if (ret_seq)
                *ret_seq = rec.seq;
        return 0;
}

int journal_append(struct journal *j, enum jtype type, const char *a, const char *b,
                   uint64_t ref, uint64_t n, uint64_t *ret_seq)
{
        int r = add_record(j, type, a, b, ref, n, ret_seq);

        return r < 0 ? r : journal_commit(j);
}

int journal_note(struct journal *j, enum jtype type, const char *a, const char *b,
                 uint64_t ref, uint64_t n, uint64_t *ret_seq)
{
        int r = add_record(j, type, a, b, ref, n, ret_seq);

        if (r < 0)
                return r;
        return j->n_pending >= PENDING_FLUSH ? journal_commit(j) : 0;
}

static int parse_line(char *line, struct jrec *ret)
{
        struct jrec rec = {};
        char *save = NULL, *tok;
        const char *args;
        int t;

        tok = strtok_r(line, " ", &save);
        if (!tok)
                return -EBADMSG;
        /* The next record's number is one more: the last number there
         * is is not one a record can have. */
        if (parse_u64(tok, &rec.seq) < 0 || rec.seq == UINT64_MAX)
                return -EBADMSG;
        tok = strtok_r(NULL, " ", &save);
        if (!tok)
                return -EBADMSG;
        for (t = 0; t < _J_MAX; t++)
                if (streq(tok, type_names[t]))
                        break;
        if (t == _J_MAX)
                return -EBADMSG;
        rec.type = (enum jtype) t;
        args = type_args[t];
        for (const char *a = args; *a; a++) {
                tok = strtok_r(NULL, " ", &save);
                /* Journals written before mkdir and create recorded their
                 * directory: 0 0, unknown; before mount recorded the
                 * mount's unique ID: 0, unknown. */
                if (!tok && (t == J_MKDIR || t == J_CREATE) && a == args + 1)
                        break;
                if (!tok && t == J_MOUNT && a == args + 2)
                        break;
                if (!tok)
                        goto bad;
                if (*a == 's') {
                        char *v = decode(tok);
                        if (!v)
                                goto bad;
                        if (a == args)
                                rec.a = v;
                        else
                                rec.b = v;
                } else {
                        uint64_t v;
                        if (parse_u64(tok, &v) < 0)
                                goto bad;
                        if (*a == 'r')
                                rec.ref = v;
                        else
                                rec.n = v;
                }
        }
        if (strtok_r(NULL, " ", &save))
                goto bad;
        *ret = rec;
        return 0;
bad:
        free(rec.a);
        free(rec.b);
        return -EBADMSG;
}

/* What the records read so far have set up, for checking the next one. */
struct reading {
        bool root_id; /* a J_ROOTID was read */
        bool root_fs; /* a J_ROOTFS was read */
        bool owner;   /* a J_OWNER was read */
        bool entry;   /* inside an entry: its J_ENTRY read, its end not yet */
        bool where;   /* a J_WHERE was read */
};

static bool is_number(const char *s)
{
        return s && *s && strspn(s, "0123456789") == strlen(s);
}

/* A J_SYMLINK, J_FILE or J_NODE: a path inside the root, and what it
 * is (the undo removes it only if it still is). */
static const char *file_record_problem(const struct jrec *rec)
{
        if (!path_is_normalized_absolute(rec->a) || streq(rec->a, "/"))
                return "not a normalized path inside the root";
        switch (rec->type) {
        case J_SYMLINK:
                return *rec->b && strlen(rec->b) < PATH_MAX ? NULL : "not a symlink's text";
        case J_FILE:
                return is_number(rec->b) && strlen(rec->b) <= 19 ? NULL : "not a file size";
        default:
                return streq(rec->b, "char") || streq(rec->b, "block") ? NULL
                                                                       : "not \"char\" or \"block\"";
        }
}

/* A file handle as J_HANDLE writes it: "TYPE:HEX", the type a decimal
 * int, 1 to MAX_HANDLE_SZ bytes of lower-case hex. */
static const char *handle_text_problem(const char *s)
{
        const char *colon = strchr(s, ':');
        size_t hex;

        if (!colon || colon == s || (size_t) (colon - s) > 10 || strspn(s, "0123456789") != (size_t) (colon - s))
                return "not a file handle";
        hex = strlen(colon + 1);
        if (!hex || hex % 2 || hex > 2 * 128 || strspn(colon + 1, "0123456789abcdef") != hex)
                return "not a file handle";
        return NULL;
}

/* Whether `rec`, the record after those in j->recs, is one the steps after
 * can rely on; NULL if so, else why not.  The undo, list and gc read paths,
 * names and references from these records without checking them again. */
static const char *record_problem(const struct journal *j, struct reading *st,
                                  const struct jrec *rec)
{
        const struct jrec *ref;
        const char *base;

        if (j->n_recs == 0)
                return rec->type != J_SESSION ? "the first record is not the session's"
                       : !session_id_is_valid(rec->a) ? "not a session id"
                       : !is_number(rec->b) ? "not a journal version"
                       : NULL;
        if (rec->seq <= j->recs[j->n_recs - 1].seq)
                return "record numbers do not increase";
        if (j->n_recs == 1) {
                if (rec->type != J_ROOT)
                        return "the second record is not the root's";
                if (rec->a[0] != '/' || strlen(rec->a) >= PATH_MAX)
                        return "the root is not an absolute path";
                if (!streq(rec->b, "owned") && !streq(rec->b, "given"))
                        return "the root is neither \"owned\" nor \"given\"";
                /* A root cairn made is removed by its name: the session's
                 * own, never another directory's. */
                base = strrchr(rec->a, '/') + 1;
                if (streq(rec->b, "owned") &&
                    (!path_is_normalized_absolute(rec->a) || !streq(base, j->recs[0].a)))
                        return "a root cairn made is not named after its session";
                return NULL;
        }
        switch (rec->type) {
        case J_SESSION:
        case J_ROOT:
                return "a second session or root record";
        case J_ROOTID:
                if (st->root_id)
                        return "a second root identity";
                st->root_id = true;
                return rec->n ? NULL : "no inode number";
        case J_ROOTFS:
                if (st->root_fs)
                        return "a second root mount";
                st->root_fs = true;
                if (!streq(j->recs[1].b, "owned"))
                        return "a root mount on a root cairn did not make";
                return streq(rec->a, "tmpfs") || streq(rec->a, "bind") ? NULL
                                                                      : "not \"tmpfs\" or \"bind\"";
        case J_OWNER:
                if (st->owner)
                        return "a second owner";
                st->owner = true;
                if (!is_number(rec->a) || strlen(rec->a) > 10 || strtoull(rec->a, NULL, 10) == 0 ||
                    strtoull(rec->a, NULL, 10) > INT_MAX || !is_number(rec->b))
                        return "not a process id and start time";
                return NULL;
        case J_ENTRY:
                st->entry = true;
                return !name_is_valid(rec->a) ? "not an entry name" : !*rec->b ? "no plugin" : NULL;
        case J_OPT:
                return !st->entry ? "an option outside an entry" : !*rec->a ? "an empty key" : NULL;
        case J_SKIP:
                st->entry = false;
                return name_is_valid(rec->a) ? NULL : "not an entry name";
        case J_END:
                st->entry = false;
                if (!name_is_valid(rec->a))
                        return "not an entry name";
                return streq(rec->b, "done") || streq(rec->b, "failed") ? NULL : "not \"done\" or \"failed\"";
        case J_MOUNT:
        case J_MKDIR:
        case J_CREATE:
                if (rec->type == J_MOUNT && !*rec->b)
                        return "no filesystem type";
                return path_is_normalized_absolute(rec->a) && !streq(rec->a, "/")
                               ? NULL
                               : "not a normalized path inside the root";
        case J_SYMLINK:
        case J_FILE:
        case J_NODE:
                return file_record_problem(rec);
        case J_MOUNTED:
                ref = journal_find(j, rec->ref);
                return ref && (ref->type == J_MOUNT || ref->type == J_ROOTFS) ? NULL
                                                                              : "refers to no mount record";
        case J_UNDONE:
                ref = journal_find(j, rec->ref);
                return ref && (ref->type == J_ROOT || ref->type == J_ENTRY || ref->type == J_MKDIR ||
                               ref->type == J_CREATE || ref->type == J_MOUNT || ref->type == J_ROOTFS ||
                               ref->type == J_SYMLINK || ref->type == J_FILE || ref->type == J_NODE)
                               ? NULL
                               : "refers to no record that can be undone";
        case J_READY:
        case J_FAILED:
                st->entry = false;
                return NULL;
        case J_HANDLE:
                ref = journal_find(j, rec->ref);
                if (!ref || ref->type != J_MKDIR)
                        return "refers to no mkdir record";
                return handle_text_problem(rec->a);
        case J_OCI:
                return *rec->a && rec->b[0] == '/' ? NULL : "not a container id and bundle";
        case J_WHERE:
                if (st->where)
                        return "a second place";
                st->where = true;
                return !boot_id_is_valid(rec->a) ? "not a boot id"
                       : !is_number(rec->b) || strlen(rec->b) > 20 ? "not a namespace ID"
                       : !rec->n ? "no namespace inode"
                       : NULL;
        case J_MODE:
        case J_TEARDOWN:
                return NULL;
        case _J_MAX:
                break;
        }
        return "of no known type";
}

static int read_records(struct journal *j, size_t size, bool locked)
{
        _cleanup_free_ char *buf = NULL;
        struct reading st = {};
        unsigned lineno = 0;
        size_t len, whole;
        int r;

        /* From the start: the descriptor is freshly opened (and appends
         * go to the end whatever its offset). */
        r = read_all(j->fd, size, &buf, &len);
        if (r < 0)
                return r;
        whole = len;
        for (char *line = buf, *nl; line < buf + len; line = nl + 1) {
                struct jrec rec;
                const char *why;

                lineno++;
                nl = memchr(line, '\n', (size_t) (buf + len - line));
                if (!nl) {
                        /* A crash or a failed write mid-record: the action it
                         * announced was never started. */
                        whole = (size_t) (line - buf);
                        break;
                }
                *nl = '\0';
                r = parse_line(line, &rec);
                if (r < 0) {
                        log_error("%s:%u: unreadable journal record", j->path, lineno);
                        return r;
                }
                if (lineno == 1 && rec.type == J_SESSION && is_number(rec.b) &&
                    strtoul(rec.b, NULL, 10) > strtoul(JOURNAL_VERSION, NULL, 10)) {
                        log_error("%s: written by a newer cairn (journal version %s; this one reads "
                                  "up to %s): finish the session with that cairn", j->path, rec.b,
                                  JOURNAL_VERSION);
                        r = -EPROTONOSUPPORT;
                } else if ((why = record_problem(j, &st, &rec))) {
                        log_error("%s:%u: invalid journal record \"%s\": %s", j->path, lineno,
                                  jtype_name(rec.type), why);
                        r = -EBADMSG;
                } else
                        r = push(j, &rec);
                if (r < 0) {
                        free(rec.a);
                        free(rec.b);
                        return r;
                }
        }
        if (j->n_recs < 2) {
                log_error("%s: not a cairn journal (no %s record)", j->path,
                          j->n_recs ? "root" : "session");
                return -EBADMSG;
        }
        if (whole < len) {
                /* Cut off before anything is appended to it: a record
                 * written after a torn one would be unreadable, and the
                 * journal with it. */
                log_debug("%s:%u: torn last record (%zu bytes)%s", j->path, lineno, len - whole,
                          locked ? " cut off" : " ignored");
                if (locked && ftruncate(j->fd, (off_t) whole) < 0)
                        return log_errno(negative_errno(), "%s: cut off the torn last record", j->path);
        }
        j->size = whole;
        j->n_written = j->n_recs;
        return 0;
}

/* A journal in memory (tmpfs, ramfs: /run/cairn, the default) is on its
 * storage once written; fdatasync() there only costs a system call per
 * record.  Anywhere else it is synced. */
static bool needs_sync(int fd)
{
        struct statfs sf;

        if (fstatfs(fd, &sf) < 0)
                return true;
        return sf.f_type != TMPFS_MAGIC && sf.f_type != RAMFS_MAGIC;
}

static struct journal *journal_new(int fd, const char *path)
{
        struct journal *j = calloc(1, sizeof *j);

        if (!j)
                return NULL;
        j->fd = fd;
        j->sync = needs_sync(fd);
        j->path = strdup(path);
        if (!j->path) {
                free(j);
                return NULL;
        }
        return j;
}

/* Link the unnamed file `fd` (O_TMPFILE) into place as `path`: by the
 * descriptor itself (AT_EMPTY_PATH, which takes CAP_DAC_READ_SEARCH, as
 * root has), else through its /proc/self/fd link. */
static int link_tmpfile(int fd, const char *path)
{
        char buf[32];

        if (linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) == 0)
                return 0;
        if (errno != ENOENT && errno != EPERM && errno != EINVAL)
                return negative_errno();
        if (linkat(AT_FDCWD, fd_path(fd, buf), AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0)
                return negative_errno();
        return 0;
}

int journal_create(const char *state_dir, const char *id, const struct journal_root *root,
                   struct journal **ret)
{
        _cleanup_free_ char *path = xasprintf("%s/%s.journal", state_dir, id);
        _cleanup_free_ char *tmp = xasprintf("%s/.%s.journal.new", state_dir, id);
        _cleanup_close_ int fd = -1;
        struct journal *j;
        bool named = false;
        struct where w;
        int r;

        if (!path || !tmp)
                return -ENOMEM;
        /* Made without a name (or under a hidden one where O_TMPFILE is
         * not supported), locked and given its first records, and only then
         * linked into place: nobody ever sees an unlocked, empty journal of
         * a live setup (gc would take it for a dead one), and a setup
         * killed before that leaves nothing. */
        fd = open(state_dir, O_TMPFILE | O_RDWR | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
                fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
                named = true;
        }
        if (fd < 0)
                return negative_errno();
        if (flock(fd, LOCK_EX) < 0) {
                r = negative_errno();
                if (named)
                        unlink(tmp);
                return r;
        }
        j = journal_new(TAKE_FD(fd), path);
        if (!j) {
                if (named)
                        unlink(tmp);
                return -ENOMEM;
        }
        j->id = strdup(id);
        r = j->id ? journal_note(j, J_SESSION, id, JOURNAL_VERSION, 0, (uint64_t) time(NULL), NULL)
                  : -ENOMEM;
        if (r >= 0)
                r = journal_note(j, J_ROOT, root->path, root->owned ? "owned" : "given", 0, 0, NULL);
        if (r >= 0 && root->ino)
                r = journal_note(j, J_ROOTID, NULL, NULL, root->dev, root->ino, NULL);
        /* Where it lives, for a teardown from elsewhere; unknown if /proc
         * cannot say (that teardown then works as before version 5). */
        if (r >= 0 && where_here(&w) == 0) {
                char nsid[24];
                snprintf(nsid, sizeof nsid, "%llu", (unsigned long long) w.ns.id);
                r = journal_note(j, J_WHERE, w.boot, nsid, w.ns.dev, w.ns.ino, NULL);
        }
        if (r >= 0)
                r = journal_commit(j);
        if (r >= 0)
                r = named ? (link(tmp, path) < 0 ? negative_errno() : 0) : link_tmpfile(j->fd, path);
        if (named)
                unlink(tmp);
        if (r < 0) {
                journal_free(j);
                return r;
        }
        *ret = j;
        return 0;
}

bool journal_where(const struct journal *j, struct where *ret)
{
        for (size_t i = 2; i < j->n_recs; i++) {
                const struct jrec *r = &j->recs[i];

                if (r->type != J_WHERE)
                        continue;
                *ret = (struct where) { .ns = { .dev = r->ref, .ino = r->n } };
                memcpy(ret->boot, r->a, BOOT_ID_LEN + 1);
                (void) parse_u64(r->b, &ret->ns.id);
                return true;
        }
        return false;
}

void journal_head_clear(struct journal_head *h)
{
        free(h->id);
        free(h->root);
        *h = (struct journal_head) {};
}

int journal_head_read(const char *path, struct journal_head *ret)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        _cleanup_free_ char *buf = NULL;
        struct journal_head h = {};
        struct stat st;
        unsigned lineno = 0;
        size_t len;
        int r;

        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        r = read_all(fd, (size_t) st.st_size, &buf, &len);
        if (r < 0)
                return r;
        /* The first few lines, of which only the number, the type and the
         * fields read here are looked at: a newer cairn may write more.
         * J_ROOTID comes right after J_ROOT, or after J_OWNER and the
         * identity of a root cairn made. */
        for (char *line = buf, *nl; line < buf + len && ++lineno <= 5; line = nl + 1) {
                char *save = NULL, *seq, *type, *f1, *f2;

                nl = memchr(line, '\n', (size_t) (buf + len - line));
                if (!nl)
                        break;
                *nl = '\0';
                seq = strtok_r(line, " ", &save);
                type = seq ? strtok_r(NULL, " ", &save) : NULL;
                f1 = type ? strtok_r(NULL, " ", &save) : NULL;
                f2 = f1 ? strtok_r(NULL, " ", &save) : NULL;
                if (!f1)
                        break;
                if (lineno == 1 && streq(type, type_names[J_SESSION]))
                        h.id = decode(f1);
                else if (lineno == 2 && streq(type, type_names[J_ROOT]) && f2) {
                        h.root = decode(f1);
                        h.owned = streq(f2, "owned");
                } else if (streq(type, type_names[J_ROOTID]) && f2) {
                        if (parse_u64(f1, &h.dev) < 0 || parse_u64(f2, &h.ino) < 0)
                                h.dev = h.ino = 0;
                        break;
                }
                if (lineno == 2 && !h.root)
                        break;
        }
        if (!h.id || !h.root) {
                journal_head_clear(&h);
                return -EBADMSG;
        }
        *ret = h;
        return 0;
}

void journal_root(const struct journal *j, struct journal_root *ret)
{
        *ret = (struct journal_root) { .path = j->recs[1].a, .owned = streq(j->recs[1].b, "owned") };
        uint64_t fs_seq = 0;

        for (size_t i = 2; i < j->n_recs; i++) {
                const struct jrec *r = &j->recs[i];

                if (r->type == J_ROOTID) {
                        ret->dev = r->ref;
                        ret->ino = r->n;
                } else if (r->type == J_ROOTFS) {
                        fs_seq = r->seq;
                        ret->fs = r->a;
                        ret->fs_id = r->n;
                        ret->fs_unique = r->n != 0;
                } else if (r->type == J_MOUNTED && fs_seq && r->ref == fs_seq)
                        ret->fs_id = r->n;
                else if (r->type == J_UNDONE && fs_seq && r->ref == fs_seq)
                        ret->fs_undone = true;
        }
}

int journal_open(const char *path, enum journal_lock lock, struct journal **ret)
{
        _cleanup_close_ int fd = -1;
        struct journal *j;
        struct stat st;
        bool active = false;
        int r;

        fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        switch (lock) {
        case JOURNAL_WAIT:
                while (flock(fd, LOCK_EX) < 0)
                        if (errno != EINTR)
                                return negative_errno();
                break;
        case JOURNAL_TRY:
                if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                        return errno == EWOULDBLOCK ? -EWOULDBLOCK : negative_errno();
                break;
        case JOURNAL_PEEK:
                /* Held by another cairn: a live setup or teardown. */
                if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
                        if (errno != EWOULDBLOCK)
                                return negative_errno();
                        active = true;
                } else
                        (void) flock(fd, LOCK_UN);
                break;
        }
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_nlink == 0)
                return -ENOENT; /* finished by whoever held the lock */
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
                log_error("%s: not a journal cairn wrote; refusing it", path);
                return -EPERM;
        }
        j = journal_new(TAKE_FD(fd), path);
        if (!j)
                return -ENOMEM;
        j->active = active;
        r = read_records(j, (size_t) st.st_size, lock != JOURNAL_PEEK);
        if (r < 0) {
                journal_free(j);
                return r;
        }
        j->id = j->recs[0].a ? strdup(j->recs[0].a) : NULL;
        *ret = j;
        return 0;
}

const struct jrec *journal_find(const struct journal *j, uint64_t seq)
{
        /* Records are appended in seq order: binary search. */
        size_t lo = 0, hi = j->n_recs;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (j->recs[mid].seq == seq)
                        return &j->recs[mid];
                if (j->recs[mid].seq < seq)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

bool journal_is_undone(const struct journal *j, uint64_t seq)
{
        for (size_t i = j->n_recs; i > 0; i--)
                if (j->recs[i - 1].type == J_UNDONE && j->recs[i - 1].ref == seq)
                        return true;
        return false;
}

int journal_remove(struct journal *j)
{
        int r = 0;

        j->n_pending = 0; /* nothing more to say about a finished session */
        if (unlink(j->path) < 0 && errno != ENOENT)
                r = log_errno(negative_errno(), "%s: remove", j->path);
        journal_free(j);
        return r;
}

void journal_free(struct journal *j)
{
        if (!j)
                return;
        /* What waited is written: the next teardown or gc reads it. */
        if (j->fd >= 0)
                (void) journal_commit(j);
        free(j->pending);
        for (size_t i = 0; i < j->n_recs; i++) {
                free(j->recs[i].a);
                free(j->recs[i].b);
        }
        free(j->recs);
        if (j->fd >= 0)
                close(j->fd);
        free(j->path);
        free(j->id);
        free(j);
}
