/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A static program for tests to run inside a root that holds nothing
 * else, and to play a hostile neighbour:
 *   exit N            exit with status N
 *   kill SIG          kill itself with signal SIG
 *   wait-term         print its pid, then wait; SIGTERM makes it exit 42
 *   test-file PATH    exit 0 if PATH exists (lstat), 1 if not
 *   pivot DIR         in a mount namespace of its own, make DIR its root
 *                     (pivot_root, the old root detached), then wait-term:
 *                     how a container's /proc/PID/root comes to be
 *   exchange A B SECS swap A and B (renameat2 RENAME_EXCHANGE) as fast as
 *                     it can for SECS seconds (0: once); print how many swaps
 *   escape DIR PATH   the classic way out of a chroot (chroot into DIR,
 *                     a directory of the root, then ".." up from outside
 *                     it, chroot there), then test-file PATH: 0 if PATH
 *                     is there, so outside a root that is only a chroot
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void on_term(int sig)
{
        _exit(42);
}

static int wait_term(void)
{
        signal(SIGTERM, on_term);
        printf("%d\n", (int) getpid());
        fflush(stdout);
        for (int i = 0; i < 600; i++)
                sleep(1);
        return 98;
}

static int pivot(const char *dir)
{
        if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0 || chdir(dir) < 0 ||
            syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
                perror("sandboxed pivot");
                return 96;
        }
        return wait_term();
}

static int exchange(const char *a, const char *b, int seconds)
{
        time_t end = time(NULL) + seconds;
        unsigned long n = 0;

        if (seconds == 0) {
                if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */) < 0) {
                        perror("sandboxed exchange");
                        return 1;
                }
                printf("1\n");
                return 0;
        }
        while (time(NULL) < end) {
                for (int i = 0; i < 1000; i++)
                        if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */) == 0)
                                n++;
        }
        printf("%lu\n", n);
        return 0;
}

static int escape(const char *dir, const char *path)
{
        struct stat st;

        if (chroot(dir) < 0)
                return 95;
        for (int i = 0; i < 64; i++)
                if (chdir("..") < 0)
                        return 95;
        if (chroot(".") < 0)
                return 95;
        return lstat(path, &st) == 0 ? 0 : 1;
}

int main(int argc, char *argv[])
{
        struct stat st;

        if (argc == 3 && !strcmp(argv[1], "test-file"))
                return lstat(argv[2], &st) == 0 ? 0 : 1;
        if (argc == 3 && !strcmp(argv[1], "pivot"))
                return pivot(argv[2]);
        if (argc == 5 && !strcmp(argv[1], "exchange"))
                return exchange(argv[2], argv[3], atoi(argv[4]));
        if (argc == 3 && !strcmp(argv[1], "exit"))
                return atoi(argv[2]);
        if (argc == 3 && !strcmp(argv[1], "kill")) {
                kill(getpid(), atoi(argv[2]));
                return 99;
        }
        if (argc == 2 && !strcmp(argv[1], "wait-term"))
                return wait_term();
        if (argc == 4 && !strcmp(argv[1], "escape"))
                return escape(argv[2], argv[3]);
        fprintf(stderr, "usage: sandboxed exit N | kill SIG | wait-term | test-file PATH | pivot DIR"
                        " | exchange A B SECS | escape DIR PATH\n");
        return 97;
}
