/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A session's root directory as an object, not a path: opened once, and
 * known from then on by its descriptor and its identity (st_dev, st_ino).
 * The path is kept for messages and to find the directory again in
 * another process, where what it leads to is compared with the identity
 * before it is used.
 */
#ifndef CAIRN_ROOT_H
#define CAIRN_ROOT_H

#include <stdint.h>

/* A `--root DIR`, opened. */
struct given_root {
        int fd;     /* O_PATH, O_DIRECTORY */
        char *path; /* DIR made absolute, for messages and `teardown DIR` */
        uint64_t dev, ino;
};

/* Open `dir` once (following symlinks, /proc/PID/root's too: a runtime
 * names a container's tree that way) and check what was opened: a
 * directory, not deleted, not the host's root directory, in this mount
 * namespace (where cairn's mounts can be attached).  Every later step
 * uses the descriptor, never `dir` again.  Errors are logged, naming
 * `dir`: bad usage (exit 2). */
int given_root_open(const char *dir, struct given_root *ret);
void given_root_clear(struct given_root *g);

/* st_dev and st_ino of what fd refers to. */
int fd_identity(int fd, uint64_t *ret_dev, uint64_t *ret_ino);

#endif
