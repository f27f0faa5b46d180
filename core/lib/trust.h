/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files that steer a root process (the config, drop-ins, plugins, the
 * journals' directory) are opened first and checked on the open
 * descriptor, as sudo does: a regular file (or directory), owned by root,
 * not writable by group or others -- and so is every directory on the way
 * to it, from "/" down, each checked before anything in it is looked up
 * (a sticky directory such as /tmp may be writable by others; what is in
 * it on the way must then be root's).  Symlinks on the way are followed
 * only as part of that walk: what they point to is reached through
 * checked directories too.  The caller then reads through the descriptor,
 * or hands the symlink-free path the walk found to a library that opens
 * files by name (dlopen(), iniparser_load()): every directory on that path
 * and the file itself can only be changed by root, so the name leads to
 * what was checked (and a magic link under /proc, the alternative, costs a
 * procfs lookup of ~15 us per process).
 *
 * A build configured with --enable-test-mode accepts files owned by the
 * invoking user too (never the default); the mode checks always apply.
 */
#ifndef CAIRN_TRUST_H
#define CAIRN_TRUST_H

#include <stdbool.h>
#include <sys/stat.h>

/* Open `path` read-only, O_CLOEXEC, and check it.  Logs why a file is
 * refused, naming it; -EPERM for an untrusted file. */
int open_trusted(const char *path, int *ret_fd);

/* Either, as `flags` say: TRUST_DIR, a directory (*ret_fd, if not NULL,
 * gets it opened O_RDONLY); TRUST_QUIET, nothing logged (the caller says
 * what it means, trust_reason() says why).  ret_fd may be NULL: a check. */
#define TRUST_DIR (1u << 0)
#define TRUST_QUIET (1u << 1)
#define TRUST_READ (1u << 2) /* a file, opened O_RDONLY (not O_PATH) */
int trust_open(const char *path, unsigned flags, int *ret_fd);
/* The same, and *ret_real (if not NULL; free() it) gets the absolute,
 * symlink-free path the walk reached the file by: no "." or "..", no
 * symlink, only directories that root alone can change. */
int trust_open_real(const char *path, unsigned flags, int *ret_fd, char **ret_real);
/* Forget the directories this process has checked (a process about to
 * exit, so that valgrind sees nothing of cairn's). */
void trust_forget(void);
/* Why the last refusal (or failure) of these was: "PATH: REASON". */
const char *trust_reason(void);

/* Whether nobody but root (or this process's user) can rename or remove
 * entries of the directory `st` says of: its owner is one of them, and
 * others may not write to it, or it is sticky (only an entry's owner
 * renames it then).  Where this does not hold, another user could put a
 * directory of theirs where cairn made one, between two system calls. */
bool dir_keeps_entries(const struct stat *st);

/* "/proc/self/fd/N" for a descriptor, into buf (at least 32 bytes). */
const char *fd_path(int fd, char buf[static 32]);

#endif
