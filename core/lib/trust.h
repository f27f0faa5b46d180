/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files that steer a root process (the config, drop-ins, plugins) are
 * opened first and checked on the open descriptor, as sudo does: a regular
 * file, owned by root, not writable by group or others.  The caller then
 * reads or dlopen()s through the descriptor (/proc/self/fd/N), so swapping
 * the file between check and use changes nothing.
 *
 * A build configured with --enable-test-mode accepts files owned by the
 * invoking user too (never the default); the mode check always applies.
 */
#ifndef CAIRN_TRUST_H
#define CAIRN_TRUST_H

/* Open `path` read-only, O_CLOEXEC, and check it.  Logs why a file is
 * refused, naming it; -EPERM for an untrusted file. */
int open_trusted(const char *path, int *ret_fd);
/* The same, but the descriptor is the checked O_PATH one: for whoever
 * opens "/proc/self/fd/N" itself (dlopen()), so it is not opened twice. */
int open_trusted_path(const char *path, int *ret_fd);

/* "/proc/self/fd/N" for a descriptor, into buf (at least 32 bytes). */
const char *fd_path(int fd, char buf[static 32]);

#endif
