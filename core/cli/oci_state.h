/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an OCI runtime tells a hook: the container's state on stdin (the
 * runtime-spec's "state": id, pid, bundle, annotations) and, in the
 * bundle, config.json (root.path, root.readonly, the user namespace's
 * mappings, annotations).  Read with jansson, each field checked before
 * it is used: the state comes from the runtime, but its annotations from
 * whoever created the container.
 */
#ifndef CAIRN_OCI_STATE_H
#define CAIRN_OCI_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct oci_annotation {
        char *key, *value;
};

struct oci_state {
        char *id;
        char *status;  /* may be NULL */
        pid_t pid;     /* 0: not given (delete) */
        char *bundle;  /* absolute */
        struct oci_annotation *annotations;
        size_t n_annotations;

        /* From BUNDLE/config.json (create only). */
        int bundle_fd;  /* O_PATH of the bundle directory, -1 */
        char *rootfs;   /* root.path, absolute (the bundle's joined) */
        uint64_t rootfs_dev, rootfs_ino; /* what it is, seen from the hook */
        bool readonly;  /* root.readonly */
        /* linux.uidMappings / gidMappings: the host ids of the container's
         * root (0 0, no user namespace: root is root). */
        bool userns;
        uid_t root_uid;
        gid_t root_gid;
};

/* Parse the state JSON in buf (len bytes).  Malformed or hostile input is
 * logged, naming the field: -EINVAL.  `need_pid`: create's state must
 * name the container's process. */
int oci_state_parse(const char *buf, size_t len, bool need_pid, struct oci_state *ret);

/* Read stdin (at most 1 MiB) and parse it. */
int oci_state_read(int fd, bool need_pid, struct oci_state *ret);

/* Open the bundle (a directory, not a symlink), read its config.json and
 * find the rootfs (relative to the bundle, never out of it; or absolute).
 * -EINVAL (logged) for what is not a bundle. */
int oci_bundle_load(struct oci_state *st);

/* The value of annotation `key`, or NULL. */
const char *oci_annotation(const struct oci_state *st, const char *key);

void oci_state_clear(struct oci_state *st);

#endif
