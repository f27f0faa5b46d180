/* SPDX-License-Identifier: Apache-2.0 */
/*
 * floor: the bare system calls of cairn's job, in one process, with no
 * journal, no config, no plugins and no checks.  It is what `make bench`
 * compares cairn against: nothing that builds this root can cost less.
 *
 *   floor [-p PARENT] [-b BIN] [-d DEV] seed
 *       the seed's stack (gVisor's runsc/sandbox/chroot.go): mkdtemp;
 *       mkdir proc + mount proc nosuid,nodev,noexec; create /runsc + bind
 *       BIN + remount it read-only; mkdir dev + create dev/kvm + bind DEV;
 *       then unmount all three, unlink/rmdir what was made, rmdir the root.
 *   floor [-p PARENT] [-b BIN] [-d DEV] -t [-R] seed
 *       the same in a tmpfs root, as cairn's root_fs = tmpfs (the default)
 *       and today's gVisor make it: a tmpfs (size=64m, mode 0700,
 *       nosuid,nodev) mounted on the fresh directory first; with -R
 *       remounted read-only once done (root_readonly); undone by the three
 *       unmounts, the tmpfs's (what was made in it goes with it) and one
 *       rmdir.
 *   floor [-p PARENT] [-s SRC] [-r] binds N
 *       N bind mounts of SRC (a file or a directory) at /b0 ... /bN-1 of a
 *       fresh root (read-only with -r: bind + remount), then their undo,
 *       last first: the floor of a cairn stack of N binbind entries.
 *
 * It uses the classic mount(2) (a bind, then a MS_REMOUNT|MS_BIND|MS_RDONLY
 * for a read-only bind): "the bare syscalls".  cairn itself uses the new
 * mount API when the kernel has it (open_tree + mount_setattr + move_mount,
 * fsopen/fsconfig/fsmount for proc), which is one or two calls more per
 * mount; it falls back to mount(2) where that API is missing.
 *
 * Any failure is fatal (exit 1) after undoing nothing: run it inside
 * `unshare --mount --propagation private` on a scratch tmpfs, as the
 * harness does, so a failure leaks nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *prog = "floor";

static void die(const char *what, const char *path)
{
        fprintf(stderr, "%s: %s %s: %s\n", prog, what, path, strerror(errno));
        exit(1);
}

static void xmkdir(const char *path)
{
        if (mkdir(path, 0755) < 0)
                die("mkdir", path);
}

/* A file mount point, as cairn makes one (mknod S_IFREG, mode 0644). */
static void xcreate(const char *path)
{
        if (mknod(path, S_IFREG | 0644, 0) < 0)
                die("create", path);
}

static void xmount(const char *src, const char *dst, const char *type, unsigned long flags)
{
        if (mount(src, dst, type, flags, NULL) < 0)
                die("mount", dst);
}

static void xbind(const char *src, const char *dst, int rdonly)
{
        xmount(src, dst, NULL, MS_BIND);
        /* MS_BIND|MS_RDONLY in one call would be silently read-write. */
        if (rdonly)
                xmount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY);
}

static void xumount(const char *path)
{
        if (umount2(path, UMOUNT_NOFOLLOW) < 0)
                die("umount", path);
}

static void xunlink(const char *path)
{
        if (unlink(path) < 0)
                die("unlink", path);
}

static void xrmdir(const char *path)
{
        if (rmdir(path) < 0)
                die("rmdir", path);
}

static void make_root(const char *parent, char root[static PATH_MAX])
{
        if ((size_t) snprintf(root, PATH_MAX, "%s/cairn-XXXXXX", parent) >= PATH_MAX) {
                errno = ENAMETOOLONG;
                die("root in", parent);
        }
        if (!mkdtemp(root))
                die("mkdtemp", root);
}

static void join(char out[static PATH_MAX], const char *root, const char *rel)
{
        if ((size_t) snprintf(out, PATH_MAX, "%s/%s", root, rel) >= PATH_MAX) {
                errno = ENAMETOOLONG;
                die("path", rel);
        }
}

static int seed(const char *parent, const char *bin, const char *dev, int tmpfs, int ro_root)
{
        char root[PATH_MAX], proc[PATH_MAX], runsc[PATH_MAX], devdir[PATH_MAX], kvm[PATH_MAX];

        make_root(parent, root);
        if (tmpfs && mount("floor", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=0700") < 0)
                die("mount tmpfs", root);
        join(proc, root, "proc");
        join(runsc, root, "runsc");
        join(devdir, root, "dev");
        join(kvm, root, "dev/kvm");

        xmkdir(proc);
        xmount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
        xcreate(runsc);
        xbind(bin, runsc, 1);
        xmkdir(devdir);
        xcreate(kvm);
        xbind(dev, kvm, 0);
        /* The root is 0700 until it is done, as in cairn (root_mode). */
        if (chmod(root, 0755) < 0)
                die("chmod", root);
        if (ro_root)
                xmount(NULL, root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV);

        xumount(kvm);
        xumount(runsc);
        xumount(proc);
        if (tmpfs) {
                xumount(root);
                xrmdir(root);
                return 0;
        }
        xunlink(kvm);
        xrmdir(devdir);
        xunlink(runsc);
        xrmdir(proc);
        xrmdir(root);
        return 0;
}

static int binds(const char *parent, const char *src, long n, int rdonly)
{
        char root[PATH_MAX], path[PATH_MAX], name[32];
        struct stat st;
        int dir;

        if (stat(src, &st) < 0)
                die("stat", src);
        dir = S_ISDIR(st.st_mode);
        make_root(parent, root);
        for (long i = 0; i < n; i++) {
                snprintf(name, sizeof name, "b%ld", i);
                join(path, root, name);
                if (dir)
                        xmkdir(path);
                else
                        xcreate(path);
                xbind(src, path, rdonly);
        }
        if (chmod(root, 0755) < 0)
                die("chmod", root);
        for (long i = n; i-- > 0;) {
                snprintf(name, sizeof name, "b%ld", i);
                join(path, root, name);
                xumount(path);
                if (dir)
                        xrmdir(path);
                else
                        xunlink(path);
        }
        xrmdir(root);
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: %s [-p PARENT] [-b BIN] [-d DEV] [-t [-R]] seed\n"
                   "       %s [-p PARENT] [-s SRC] [-r] binds N\n", prog, prog);
}

int main(int argc, char *argv[])
{
        const char *parent = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        const char *bin = "/bin/true", *dev = "/dev/kvm", *src = NULL;
        int rdonly = 0, tmpfs = 0, ro_root = 0, c;

        while ((c = getopt(argc, argv, "+p:b:d:s:rtRh")) != -1) {
                switch (c) {
                case 'p': parent = optarg; break;
                case 'b': bin = optarg; break;
                case 'd': dev = optarg; break;
                case 's': src = optarg; break;
                case 'r': rdonly = 1; break;
                case 't': tmpfs = 1; break;
                case 'R': ro_root = 1; break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        if (optind < argc && strcmp(argv[optind], "seed") == 0 && optind + 1 == argc)
                return seed(parent, bin, dev, tmpfs, tmpfs && ro_root);
        if (optind < argc && strcmp(argv[optind], "binds") == 0 && optind + 2 == argc) {
                char *end;
                long n = strtol(argv[optind + 1], &end, 10);

                if (*end || n < 0) {
                        usage(stderr);
                        return 2;
                }
                return binds(parent, src ? src : bin, n, rdonly);
        }
        usage(stderr);
        return 2;
}
