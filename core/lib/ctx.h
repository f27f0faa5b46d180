/* SPDX-License-Identifier: Apache-2.0 */
/* The session being built or taken down, and the context a plugin sees. */
#ifndef CAIRN_CTX_H
#define CAIRN_CTX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cairn/plugin.h"
#include "journal.h"

/* A function of the plugin API (cairn/plugin.h): exported from the cairn
 * binary, under the version core/libcairn.sym gives it. */
#define CAIRN_API __attribute__((visibility("default")))

struct mountinfo;

struct session {
        char *id;
        char *root;  /* absolute, canonical */
        /* The root directory (O_RDONLY for a root cairn made, O_PATH for a
         * --root one and in teardown), or -1. */
        int root_fd;
        /* root_fd's st_dev and st_ino, once asked (0 0: not yet). */
        uint64_t root_dev, root_ino;
        /* A root cairn made: the directory's own st_dev and st_ino (its
         * J_ROOTID), which differ from root_fd's once a tmpfs is on it. */
        uint64_t made_dev, made_ino;
        bool owned_root;
        struct journal *j;
        struct mountinfo *mounts; /* loaded on first need by undo */
        /* Its mount namespace (or boot) is gone, and every mount it made
         * with it: undo writes them off, never looking one up by ID. */
        bool mounts_gone;
        /* What cairn makes in the root (mount points, directories, files)
         * is chown()ed to these (oci-hook, a container with a user
         * namespace: the host ids of the container's root). */
        bool chown_made;
        uid_t made_uid;
        gid_t made_gid;
};

struct cfg_entry;

struct cairn_ctx {
        struct session *s; /* NULL in a plugin's `check` */
        const struct cfg_entry *cfg; /* the entry's config, for its places; may be NULL */
        const char *entry;
        const struct cairn_plugin *plugin;
        /* The configured values (keys[i] = values[i]); defaults come from
         * plugin->options. */
        const char *const *keys;
        const char *const *values;
        size_t n_values;
};

/* Call `fn`, one of ctx->plugin's functions (`what`: "setup", "teardown",
 * "check").  Like PAM with its modules, cairn does not trust a return
 * value outside the contract (0 or -errno): above 0 is a failure,
 * -EPROTO, logged. */
int ctx_call(struct cairn_ctx *ctx, int (*fn)(struct cairn_ctx *), const char *what);

/* ctx_call() for the entry `e` of the config, with its options, in
 * session `s` (NULL for a check, which has no root). */
int ctx_call_entry(struct session *s, const struct cfg_entry *e, const struct cairn_plugin *p,
                   int (*fn)(struct cairn_ctx *), const char *what);

#endif
