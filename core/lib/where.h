/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a session lives: the mount namespace it was set up in and the
 * boot it was made in (the journal's J_WHERE).  Its mounts exist only
 * there: a teardown from another namespace enters it (setns(2), through a
 * process found in it), and one of a namespace or a boot that is gone
 * knows its mounts are gone with it.
 */
#ifndef CAIRN_WHERE_H
#define CAIRN_WHERE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define BOOT_ID_LEN 36 /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */

/* A mount namespace: its nsfs file's st_dev and st_ino (what
 * /proc/PID/ns/mnt is), and, where the kernel gives it (NS_GET_MNTNS_ID,
 * Linux 6.8), its 64-bit ID, never reused in a boot: nsfs inode numbers
 * are reused once a namespace is freed.  id 0: not known. */
struct mntns {
        uint64_t dev, ino, id;
};

struct where {
        char boot[BOOT_ID_LEN + 1];
        struct mntns ns;
};

/* This process's: its boot (/proc/sys/kernel/random/boot_id) and its mount
 * namespace.  -errno (and nothing to record) if /proc cannot say. */
int where_here(struct where *ret);

/* The same, but the namespace's device and inode only (one stat(2), no
 * ID): enough to tell whether this is the namespace a journal records,
 * since an inode number it shares with a namespace that is gone still
 * finds none of the session's mounts by their unique IDs. */
int where_here_quick(struct where *ret);

/* The namespace of the nsfs file open at `fd`. */
int mntns_of_fd(int fd, struct mntns *ret);

/* The same namespace: device and inode, and the IDs where both know one. */
bool mntns_same(const struct mntns *a, const struct mntns *b);

/* Whether `boot` looks like a boot id (36 characters of hex and dashes). */
bool boot_id_is_valid(const char *boot);

/* Find a way into namespace `ns`: the mount namespace file of process
 * `hint` (the session's owner; 0: none) if it is in it, else of any
 * process whose /proc/PID/ns/mnt is that namespace, else an nsfs file of
 * it bound somewhere in this namespace (as `ip netns` keeps namespaces).
 * Each candidate is opened once and checked on the descriptor.  1: found,
 * *ret_fd (O_RDONLY, close-on-exec) and *ret_pid (0 for a bound file);
 * 0: nothing leads to it (it is gone, as far as anyone can tell); -errno. */
int mntns_find(const struct mntns *ns, pid_t hint, int *ret_fd, pid_t *ret_pid);

#endif
