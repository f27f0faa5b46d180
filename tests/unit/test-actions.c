/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The journaled mount helpers, with the mount system calls mocked at link
 * time (-Wl,--wrap=...): the order of calls, what is journaled around
 * them, and what each failure leaves.  Mount points are made for real in
 * a scratch root, so symlink handling is tested against the kernel.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "actions.h"
#include "engine.h"
#include "helpers.h"
#include "journal.h"
#include "loader.h"
#include "resolve.h"
#include "undo.h"
#include "util.h"

/* ---- mocks ------------------------------------------------------------- */

static char trace[512];

static void traced(const char *call)
{
        strncat(trace, trace[0] ? " " : "", sizeof trace - strlen(trace) - 1);
        strncat(trace, call, sizeof trace - strlen(trace) - 1);
}

/* A stand-in descriptor for a mount: "/" opened O_PATH. */
static int fake_fd(void)
{
        return open("/", O_PATH | O_CLOEXEC);
}

int __wrap_fsopen(const char *fs, unsigned flags);
int __wrap_fsopen(const char *fs, unsigned flags)
{
        traced("fsopen");
        return fake_fd();
}

int __wrap_fsconfig(int fd, unsigned cmd, const char *key, const void *value, int aux);
/* What fsconfig was given, "KEY=VALUE" or "+FLAG" or "create", blank
 * separated; a key equal to fsconfig_fail fails with EINVAL. */
static char fsconfig_args[512];
static const char *fsconfig_fail;
int __wrap_fsconfig(int fd, unsigned cmd, const char *key, const void *value, int aux)
{
        char one[128];

        traced("fsconfig");
        if (cmd == FSCONFIG_SET_STRING)
                snprintf(one, sizeof one, "%s=%s", key, (const char *) value);
        else if (cmd == FSCONFIG_SET_FLAG)
                snprintf(one, sizeof one, "+%s", key);
        else
                snprintf(one, sizeof one, "%s", cmd == FSCONFIG_CMD_CREATE ? "create" : "?");
        strncat(fsconfig_args, fsconfig_args[0] ? " " : "", sizeof fsconfig_args - strlen(fsconfig_args) - 1);
        strncat(fsconfig_args, one, sizeof fsconfig_args - strlen(fsconfig_args) - 1);
        if (fsconfig_fail && key && streq(key, fsconfig_fail)) {
                errno = EINVAL;
                return -1;
        }
        return 0;
}

static unsigned last_attrs;
int __wrap_fsmount(int fd, unsigned flags, unsigned attrs);
int __wrap_fsmount(int fd, unsigned flags, unsigned attrs)
{
        int err = mock_type(int);

        traced("fsmount");
        last_attrs = attrs;
        if (err) {
                errno = err;
                return -1;
        }
        return fake_fd();
}

int __wrap_open_tree(int dfd, const char *path, unsigned flags);
int __wrap_open_tree(int dfd, const char *path, unsigned flags)
{
        traced("open_tree");
        return fake_fd();
}

static uint64_t last_setattr;
int __wrap_mount_setattr(int fd, const char *path, unsigned flags, struct mount_attr *a, size_t size);
int __wrap_mount_setattr(int fd, const char *path, unsigned flags, struct mount_attr *a, size_t size)
{
        int err = mock_type(int);

        traced("mount_setattr");
        last_setattr = a->attr_set;
        if (err) {
                errno = err;
                return -1;
        }
        return 0;
}

int __wrap_move_mount(int from, const char *fp, int to, const char *tp, unsigned flags);
int __wrap_move_mount(int from, const char *fp, int to, const char *tp, unsigned flags)
{
        int err = mock_type(int);

        traced("move_mount");
        if (err) {
                errno = err;
                return -1;
        }
        return 0;
}

int __wrap_fstatvfs(int fd, struct statvfs *sv);
int __wrap_fstatvfs(int fd, struct statvfs *sv)
{
        traced("fstatvfs");
        memset(sv, 0, sizeof *sv);
        sv->f_flag = mock_type(unsigned long);
        return 0;
}

int __wrap_umount2(const char *path, int flags);
int __wrap_umount2(const char *path, int flags)
{
        int err = mock_type(int);

        traced("umount2");
        assert_true(flags & UMOUNT_NOFOLLOW);
        if (err) {
                errno = err;
                return -1;
        }
        return 0;
}

/* ---- fixture --------------------------------------------------------------- */

struct fixture {
        char *dir, *root;
        struct session s;
        struct cairn_ctx ctx;
        struct loader *l;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof *f);

        f->dir = scratch_dir();
        f->root = xasprintf("%s/root", f->dir);
        assert_int_equal(mkdir(f->root, 0700), 0);
        f->s.root = f->root;
        f->s.root_fd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        {
                const struct journal_root root = { .path = f->root, .owned = false };

                assert_int_equal(journal_create(f->dir, "cairn-unit00", &root, &f->s.j), 0);
        }
        f->ctx = (struct cairn_ctx) { .s = &f->s, .entry = "t" };
        assert_int_equal(loader_new(NULL, &f->l), 0);
        trace[0] = '\0';
        fsconfig_args[0] = '\0';
        fsconfig_fail = NULL;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        char *cmd = xasprintf("rm -rf '%s'", f->dir);

        journal_free(f->s.j);
        close(f->s.root_fd);
        loader_free(f->l);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        free(f->root);
        free(f->dir);
        free(f);
        return 0;
}

/* journal_create() records no place (the record indexes below stay as
 * they were; J_WHERE has tests of its own in test-journal), and mkdir
 * no file handle, unless a test sets fake_handle. */
struct where;
int __wrap_where_here(struct where *ret);
int __wrap_where_here(struct where *ret)
{
        (void) ret;
        return -ENOENT;
}

static const char *fake_handle;

char *__wrap_handle_text_of(int dirfd, const char *name);
char *__wrap_handle_text_of(int dirfd, const char *name)
{
        (void) dirfd;
        (void) name;
        if (!fake_handle) {
                errno = EOPNOTSUPP;
                return NULL;
        }
        return strdup(fake_handle);
}

/* The journal's record types, from index `from`, as "type type ...". */
static const char *types(const struct journal *j, size_t from)
{
        static char buf[512];

        buf[0] = '\0';
        for (size_t i = from; i < j->n_recs; i++) {
                strncat(buf, buf[0] ? " " : "", sizeof buf - strlen(buf) - 1);
                strncat(buf, jtype_name(j->recs[i].type), sizeof buf - strlen(buf) - 1);
        }
        return buf;
}

static bool in_root(struct fixture *f, const char *rel)
{
        char *p = xasprintf("%s%s", f->root, rel);
        struct stat st;
        bool r = lstat(p, &st) == 0;

        free(p);
        return r;
}

/* What the journal shows after an attach: with unique mount IDs (Linux
 * 6.8) the J_MOUNT carries the ID and no J_MOUNTED follows. */
static const char *after_attach(void)
{
        uint64_t id;
        int fd = open("/", O_PATH | O_CLOEXEC);
        bool unique = fd >= 0 && mount_id_unique_at(fd, "", &id) == 0;

        if (fd >= 0)
                close(fd);
        return unique ? "" : " mounted";
}

/* ---- tests ----------------------------------------------------------------- */

/* A directory cairn makes gets its file handle journaled after it, for a
 * teardown to tell it hidden from gone; a filesystem without handles
 * gets none, and nothing else changes. */
static void test_mkdir_records_its_handle(void **state)
{
        struct fixture *f = *state;
        int fd = -1;

        fake_handle = "1:00ff";
        assert_int_equal(make_dirs(&f->ctx, "/h/i", 0755, &fd), 0);
        fake_handle = NULL;
        close(fd);
        assert_string_equal(types(f->s.j, 2), "mkdir handle mkdir handle");
        assert_string_equal(f->s.j->recs[3].a, "1:00ff");
        assert_int_equal(f->s.j->recs[3].ref, f->s.j->recs[2].seq);
        assert_int_equal(f->s.j->recs[5].ref, f->s.j->recs[4].seq);
}

static void test_mount_fs_order_and_journal(void **state)
{
        struct fixture *f = *state;
        int fd = -1;

        will_return(__wrap_fsmount, 0);
        will_return(__wrap_move_mount, 0);
        assert_int_equal(cairn_mount_fs(&f->ctx, "proc", "proc", "/a/proc",
                                        CAIRN_MOUNT_NOSUID | CAIRN_MOUNT_NODEV | CAIRN_MOUNT_NOEXEC, &fd), 0);
        assert_true(fd >= 0);
        close(fd);
        assert_string_equal(trace, "fsopen fsconfig fsconfig fsmount move_mount");
        assert_int_equal(last_attrs, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        /* Each change journaled before it is made, the mount ID after. */
        {
                char want[64];

                snprintf(want, sizeof want, "mkdir mkdir mount%s", after_attach());
                assert_string_equal(types(f->s.j, 2), want);
        }
        assert_string_equal(f->s.j->recs[2].a, "/a");
        assert_string_equal(f->s.j->recs[3].a, "/a/proc");
        assert_string_equal(f->s.j->recs[4].b, "proc");
        if (f->s.j->n_recs > 5)
                assert_int_equal(f->s.j->recs[5].ref, f->s.j->recs[4].seq);
        else
                assert_true(f->s.j->recs[4].n != 0); /* the unique ID */
        assert_true(in_root(f, "/a/proc"));
}

static void test_fsmount_failure_mounts_nothing(void **state)
{
        struct fixture *f = *state;

        will_return(__wrap_fsmount, EPERM);
        logs_capture();
        assert_int_equal(cairn_mount_fs(&f->ctx, "proc", "proc", "/proc", 0, NULL), -EPERM);
        assert_logged("[t] make proc mount: Operation not permitted");
        logs_release();
        /* The mount is made before its mount point: nothing was made. */
        assert_string_equal(types(f->s.j, 2), "");
        assert_false(in_root(f, "/proc"));
}

static void test_move_mount_failure_is_marked_undone(void **state)
{
        struct fixture *f = *state;

        will_return(__wrap_fsmount, 0);
        will_return(__wrap_move_mount, ENOSPC);
        logs_capture();
        assert_int_equal(cairn_mount_fs(&f->ctx, "tmpfs", NULL, "/t", 0, NULL), -ENOSPC);
        assert_logged("mount tmpfs on");
        logs_release();
        assert_string_equal(types(f->s.j, 2), "mkdir mount undone");
        trace[0] = '\0';
        assert_int_equal(undo_records(&f->s, 2, f->l), 0);
        assert_string_equal(trace, ""); /* no umount of what never was */
        assert_false(in_root(f, "/t"));
}

static void test_rdonly_bind_is_readonly_before_attach(void **state)
{
        struct fixture *f = *state;
        int src = open("/etc/hostname", O_PATH | O_CLOEXEC);

        assert_true(src >= 0);
        will_return(__wrap_mount_setattr, 0);
        will_return(__wrap_move_mount, 0);
        will_return(__wrap_fstatvfs, ST_RDONLY);
        assert_int_equal(cairn_bind_fd(&f->ctx, src, "/etc/hostname", CAIRN_BIND_RDONLY, NULL), 0);
        close(src);
        assert_string_equal(trace, "open_tree mount_setattr move_mount fstatvfs");
        assert_int_equal(last_setattr, MOUNT_ATTR_RDONLY);
        {
                char want[64];

                snprintf(want, sizeof want, "mkdir create mount%s", after_attach());
                assert_string_equal(types(f->s.j, 2), want);
        }
        assert_string_equal(f->s.j->recs[4].b, "bind");
}

static void test_rdonly_bind_still_writable_fails(void **state)
{
        struct fixture *f = *state;
        int src = open("/etc", O_PATH | O_CLOEXEC);

        will_return(__wrap_mount_setattr, 0);
        will_return(__wrap_move_mount, 0);
        will_return(__wrap_fstatvfs, 0);
        logs_capture();
        assert_int_equal(cairn_bind_fd(&f->ctx, src, "/etc", CAIRN_BIND_RDONLY, NULL), -EROFS);
        assert_logged("/etc: still writable after a read-only bind");
        logs_release();
        close(src);
        /* The journal has the mount: the rollback unmounts it. */
        will_return(__wrap_umount2, 0);
        assert_int_equal(undo_records(&f->s, 2, f->l), 0);
        assert_true(strstr(trace, "umount2") != NULL);
        assert_false(in_root(f, "/etc"));
}

static void test_setattr_failure_attaches_nothing(void **state)
{
        struct fixture *f = *state;
        int src = open("/etc", O_PATH | O_CLOEXEC);

        will_return(__wrap_mount_setattr, EINVAL);
        logs_capture();
        assert_int_equal(cairn_bind_fd(&f->ctx, src, "/etc", CAIRN_BIND_RDONLY, NULL), -EINVAL);
        assert_logged("make bind for /etc read-only");
        logs_release();
        close(src);
        assert_null(strstr(trace, "move_mount"));
        assert_string_equal(types(f->s.j, 2), "");
        assert_false(in_root(f, "/etc"));
}

static void test_busy_unmount_keeps_everything(void **state)
{
        struct fixture *f = *state;

        will_return(__wrap_fsmount, 0);
        will_return(__wrap_move_mount, 0);
        assert_int_equal(cairn_mount_fs(&f->ctx, "tmpfs", NULL, "/busy", 0, NULL), 0);
        will_return(__wrap_umount2, EBUSY);
        logs_capture();
        assert_int_equal(undo_records(&f->s, 2, f->l), -EBUSY);
        assert_logged("/busy (left mounted; teardown can finish later): Device or resource busy");
        assert_logged("/busy: not removed: a mount there was left in place");
        logs_release();
        /* Not marked undone, so a later teardown tries again. */
        {
                char want[64];

                snprintf(want, sizeof want, "mkdir mount%s", after_attach());
                assert_string_equal(types(f->s.j, 2), want);
        }
        assert_true(in_root(f, "/busy"));
}

/* A symlink in a target is followed inside the root, as if the root were
 * "/" (inroot.c): /dev -> OUTSIDE (an absolute host path) puts /dev/shm at
 * ROOT/OUTSIDE/shm, never at OUTSIDE/shm on the host. */
static void test_symlink_in_target_resolved_inside(void **state)
{
        struct fixture *f = *state;
        char *link = xasprintf("%s/dev", f->root);
        char *outside = xasprintf("%s/outside", f->dir);
        char *inside = xasprintf("%s/x", outside);
        int fd = -1;

        assert_int_equal(mkdir(outside, 0755), 0);
        assert_int_equal(symlink(outside, link), 0);
        assert_int_equal(cairn_mkdir(&f->ctx, "/dev/x", 0755), 0);
        /* Made inside the root, where the link leads there. */
        assert_true(in_root(f, inside));
        assert_int_equal(access(inside, F_OK), -1);
        assert_string_equal(f->s.j->recs[f->s.j->n_recs - 1].a, inside); /* journaled resolved */
        /* A symlink as the last component of a mount target: followed
         * too, and the mount point made inside. */
        will_return(__wrap_fsmount, 0);
        will_return(__wrap_move_mount, 0);
        assert_int_equal(cairn_mount_fs(&f->ctx, "tmpfs", NULL, "/dev", 0, &fd), 0);
        close(fd);
        assert_non_null(strstr(trace, "move_mount"));
        {
                char *p = xasprintf("%s/shm", outside);
                assert_int_equal(access(p, F_OK), -1);
                free(p);
        }
        free(inside);
        free(link);
        free(outside);
}

/* A symlink loop in a target: refused (-ELOOP), nothing made. */
static void test_symlink_loop_refused(void **state)
{
        struct fixture *f = *state;
        char *link = xasprintf("%s/loop", f->root);

        assert_int_equal(symlink("/loop", link), 0);
        logs_capture();
        assert_int_equal(cairn_mkdir(&f->ctx, "/loop/x", 0755), -ELOOP);
        assert_logged("more than 40 symlinks");
        logs_release();
        assert_string_equal(types(f->s.j, 2), "");
        free(link);
}

static void test_bad_targets(void **state)
{
        struct fixture *f = *state;
        int src = open("/etc/hostname", O_PATH | O_CLOEXEC);
        char *d = xasprintf("%s/isdir", f->root);

        assert_int_equal(mkdir(d, 0755), 0);
        logs_capture();
        assert_int_equal(cairn_mount_fs(&f->ctx, "tmpfs", NULL, "/a/../b", 0, NULL), -EINVAL);
        assert_int_equal(cairn_mount_fs(&f->ctx, "tmpfs", NULL, "relative", 0, NULL), -EINVAL);
        assert_logged("relative: not an absolute, normalized path inside the root");
        assert_int_equal(cairn_mount_fs(&f->ctx, "tmpfs", NULL, "/", 0, NULL), -EINVAL);
        assert_logged("cannot mount over the root itself");
        assert_string_equal(trace, ""); /* refused before anything is made */
        assert_int_equal(cairn_bind_fd(&f->ctx, src, "/isdir", 0, NULL), -EISDIR);
        assert_logged("exists and is  a directory");
        logs_release();
        assert_string_equal(trace, "open_tree"); /* cloned, never attached */
        assert_string_equal(types(f->s.j, 2), "");
        close(src);
        free(d);
}

/* The filesystem options of cairn_mount_fs_opts(), split. */
static void test_fs_options_split(void **state)
{
        struct fs_option *o = NULL;
        size_t n = 9;

        (void) state;
        assert_int_equal(fs_options_parse(NULL, &o, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(fs_options_parse("", &o, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(fs_options_parse("size=64m,mode=1777,newinstance,ptmxmode=0666,opt=a=b,empty=", &o, &n), 0);
        assert_int_equal(n, 6);
        assert_string_equal(o[0].key, "size");
        assert_string_equal(o[0].value, "64m");
        assert_string_equal(o[1].key, "mode");
        assert_string_equal(o[1].value, "1777");
        assert_string_equal(o[2].key, "newinstance");
        assert_null(o[2].value); /* a flag */
        assert_string_equal(o[3].key, "ptmxmode");
        assert_string_equal(o[3].value, "0666");
        assert_string_equal(o[4].key, "opt");
        assert_string_equal(o[4].value, "a=b"); /* only the first "=" splits */
        assert_string_equal(o[5].key, "empty");
        assert_string_equal(o[5].value, "");
        fs_options_free(o, n);
        for (const char *bad = "\0,a\0a,\0a,,b\0,a\0=x\0a=1,=2\0k y=1\0"; *bad; bad += strlen(bad) + 1) {
                o = NULL;
                assert_int_equal(fs_options_parse(bad, &o, &n), -EINVAL);
                assert_null(o);
        }
        assert_int_equal(fs_options_parse(",", &o, &n), -EINVAL);
}

/* Each option goes to fsconfig, in order, after the source and before
 * the filesystem is created. */
static void test_mount_fs_opts_order(void **state)
{
        struct fixture *f = *state;

        will_return(__wrap_fsmount, 0);
        will_return(__wrap_move_mount, 0);
        assert_int_equal(cairn_mount_fs_opts(&f->ctx, "tmpfs", "tmpfs", "/t", CAIRN_MOUNT_NOSUID,
                                             "size=64m,mode=1777,noswap", NULL), 0);
        assert_string_equal(fsconfig_args, "source=tmpfs size=64m mode=1777 +noswap create");
        assert_string_equal(trace, "fsopen fsconfig fsconfig fsconfig fsconfig fsconfig fsmount move_mount");
        assert_true(in_root(f, "/t"));
}

/* A refused option is named, and nothing is made; a bad list is refused
 * before anything is asked of the kernel. */
static void test_mount_fs_opts_refused(void **state)
{
        struct fixture *f = *state;

        fsconfig_fail = "mode";
        logs_capture();
        assert_int_equal(cairn_mount_fs_opts(&f->ctx, "tmpfs", NULL, "/t", 0, "size=1m,mode=abc", NULL),
                         -EINVAL);
        assert_logged("tmpfs: option mode=abc refused");
        logs_release();
        assert_string_equal(fsconfig_args, "size=1m mode=abc");
        assert_false(in_root(f, "/t"));
        assert_string_equal(types(f->s.j, 2), "");

        trace[0] = '\0';
        logs_capture();
        assert_int_equal(cairn_mount_fs_opts(&f->ctx, "tmpfs", NULL, "/t", 0, "size=1m,,mode=1", NULL),
                         -EINVAL);
        assert_logged("an empty word or key");
        logs_release();
        assert_string_equal(trace, "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_mkdir_records_its_handle, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mount_fs_order_and_journal, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fsmount_failure_mounts_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_move_mount_failure_is_marked_undone, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rdonly_bind_is_readonly_before_attach, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rdonly_bind_still_writable_fails, setup, teardown),
                cmocka_unit_test_setup_teardown(test_setattr_failure_attaches_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_busy_unmount_keeps_everything, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_in_target_resolved_inside, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_loop_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_targets, setup, teardown),
                cmocka_unit_test(test_fs_options_split),
                cmocka_unit_test_setup_teardown(test_mount_fs_opts_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mount_fs_opts_refused, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
