/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cairn plugin ABI.
 *
 * A plugin is a shared object that exports one const descriptor named
 * CAIRN_PLUGIN_SYMBOL ("cairn_plugin_descriptor").  Its first field is the
 * ABI version it was built against; the loader refuses a different major
 * and accepts an older or newer minor (it then uses only what it knows).
 *
 * Plugins see an opaque context.  Everything that changes the system goes
 * through the journaled helpers below: they resolve targets inside the
 * root without following symlinks, mount through file descriptors, and
 * record every action before doing it, so that the engine can undo a
 * plugin's work without the plugin (a plugin that only uses the helpers
 * needs no teardown of its own).
 *
 * Every function returns 0 (or a count) on success and a negative errno
 * on failure.
 */
#ifndef CAIRN_PLUGIN_H
#define CAIRN_PLUGIN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CAIRN_ABI_MAJOR 1
/* 1: `check`, cairn_ctx_config_error(); 2: cairn_bind_device(); 3: CAIRN_OPT_INT and
 * CAIRN_OPT_SIZE, cairn_ctx_option_int(), cairn_mount_fs_opts(), cairn_symlink(),
 * cairn_write_file(), cairn_mknod() */
#define CAIRN_ABI_MINOR 3
#define CAIRN_ABI_VERSION ((uint32_t) ((CAIRN_ABI_MAJOR << 16) | CAIRN_ABI_MINOR))
#define CAIRN_ABI_MAJOR_OF(v) ((uint32_t) (v) >> 16)
#define CAIRN_ABI_MINOR_OF(v) ((uint32_t) (v) & 0xffffu)

#define CAIRN_PLUGIN_SYMBOL "cairn_plugin_descriptor"

/* How the engine validates an option's value before anything is mounted. */
enum cairn_option_type {
        CAIRN_OPT_STRING = 0, /* any text */
        CAIRN_OPT_PATH,       /* absolute, no "." or ".." components */
        CAIRN_OPT_BOOL,       /* yes/no, true/false, on/off, 1/0 */
        CAIRN_OPT_MODE,       /* octal permission bits, 0 to 07777 */
        CAIRN_OPT_LIST,       /* words separated by blanks or commas */
        CAIRN_OPT_CHOICE,     /* one of `choices` */
        /* ABI 1.3: */
        CAIRN_OPT_INT,        /* a decimal integer, within `range` if given */
        CAIRN_OPT_SIZE,       /* bytes: a decimal integer, with an optional suffix
                               * k, m, g or t (KiB ... TiB, either case); within
                               * `range` (in bytes) if given */
};

/* ABI 1.3: the bounds of a CAIRN_OPT_INT or CAIRN_OPT_SIZE option, both
 * included. */
struct cairn_int_range {
        int64_t min, max;
};

/* Option flags. */
#define CAIRN_OPT_REQUIRED (1u << 0)

/* One key a plugin accepts.  Arrays end with an entry whose name is NULL. */
struct cairn_option {
        const char *name;
        enum cairn_option_type type;
        unsigned flags;
        const char *default_value; /* NULL: none */
        const char *help;
        const char *const *choices; /* CAIRN_OPT_CHOICE: NULL-terminated */
        /* ABI 1.3 (read only from a plugin that says 1.3 or later), may be
         * NULL: CAIRN_OPT_INT's or CAIRN_OPT_SIZE's bounds. */
        const struct cairn_int_range *range;
        void *reserved[1];
};

struct cairn_ctx;

struct cairn_plugin {
        uint32_t abi; /* CAIRN_ABI_VERSION */
        const char *name;
        const char *summary;
        const struct cairn_option *options;
        int (*setup)(struct cairn_ctx *ctx);    /* 0 or -errno */
        int (*teardown)(struct cairn_ctx *ctx); /* may be NULL */
        void *reserved[4];                      /* zero */
        /* ABI 1.1 (read only from a plugin that says 1.1 or later), may be
         * NULL: check an entry's options together, once each has passed
         * its declared type's check, before anything is done (by setup,
         * exec and check alike), so that a config setup would fail on is
         * an error that names its file, line and key.  The context has the
         * options but no root (cairn_ctx_root() is NULL,
         * cairn_ctx_root_fd() -1, the helpers refuse).  Report each
         * problem with cairn_ctx_config_error(); return 0 or -EINVAL.
         * Only what the options say: whether a source exists is setup's
         * business (it may exist by then). */
        int (*check)(struct cairn_ctx *ctx);
};

/* Define a plugin's descriptor: CAIRN_PLUGIN_DEFINE = { .name = ..., }; */
#define CAIRN_PLUGIN_DEFINE                                                    \
        __attribute__((visibility("default"))) extern const struct cairn_plugin \
                cairn_plugin_descriptor;                                       \
        const struct cairn_plugin cairn_plugin_descriptor

/* ---- the context -------------------------------------------------------- */

/* The entry's section name (for messages) and the root's absolute path. */
const char *cairn_ctx_entry(const struct cairn_ctx *ctx);
const char *cairn_ctx_root(const struct cairn_ctx *ctx);
/* A descriptor of the root directory, for use as a dirfd (it may be
 * O_PATH); owned by the engine. */
int cairn_ctx_root_fd(const struct cairn_ctx *ctx);

/* An option's value (after ${VAR} expansion), or its default, or NULL. */
const char *cairn_ctx_option(const struct cairn_ctx *ctx, const char *name);
/* A CAIRN_OPT_BOOL option (or `def` if unset and without default). */
bool cairn_ctx_option_bool(const struct cairn_ctx *ctx, const char *name, bool def);
/* A CAIRN_OPT_LIST option split into words: a NULL-terminated array that
 * the caller frees with cairn_strv_free(). */
int cairn_ctx_option_list(const struct cairn_ctx *ctx, const char *name, char ***ret);
void cairn_strv_free(char **strv);
/* ABI 1.3.  A CAIRN_OPT_INT or CAIRN_OPT_SIZE option (a size in bytes), read
 * exactly as the engine checked it: 0, or -ENOENT if unset and without a
 * default (*ret is then `def`), or -EINVAL if it does not parse. */
int cairn_ctx_option_int(const struct cairn_ctx *ctx, const char *name, int64_t def, int64_t *ret);

/* ---- logging: messages are prefixed with the entry's name ---------------- */

/* From a plugin's `check` (ABI 1.1): log "FILE:LINE: [ENTRY] KEY: MESSAGE"
 * at error level, FILE:LINE where `key` was set (the entry's section if
 * it was not: its default is at fault), and return -EINVAL. */
int cairn_ctx_config_error(const struct cairn_ctx *ctx, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

enum cairn_log_level {
        CAIRN_LOG_ERR = 3,
        CAIRN_LOG_WARNING = 4,
        CAIRN_LOG_NOTICE = 5,
        CAIRN_LOG_INFO = 6,
        CAIRN_LOG_DEBUG = 7,
};

void cairn_log(const struct cairn_ctx *ctx, int level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Logs "MESSAGE: strerror(-err)" at error level and returns err (< 0). */
int cairn_log_errno(const struct cairn_ctx *ctx, int err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* ---- journaled helpers ---------------------------------------------------
 *
 * Each helper logs its own failure (what, to what, why) before returning
 * -errno: a plugin just returns it.
 *
 * `target` is an absolute path inside the root.  Missing parent directories
 * are created (mode 0755); the mount point itself is created as a directory
 * or an empty file to match what is mounted.  No component of `target` may
 * be a symlink: cairn refuses (-ELOOP) rather than follow it.
 */

/* Bind flags. */
#define CAIRN_BIND_RDONLY (1u << 0)    /* read-only, applied before attaching */
#define CAIRN_BIND_RECURSIVE (1u << 1) /* include submounts (rbind) */

/* Mount attributes for cairn_mount_fs (same meaning as MOUNT_ATTR_*). */
#define CAIRN_MOUNT_RDONLY (1u << 0)
#define CAIRN_MOUNT_NOSUID (1u << 1)
#define CAIRN_MOUNT_NODEV (1u << 2)
#define CAIRN_MOUNT_NOEXEC (1u << 3)

/* Mount a fresh filesystem of `fstype` (with `source` as its source name,
 * may be NULL) at `target`.  On success, if ret_fd is not NULL, it gets an
 * O_PATH descriptor of the new mount's root (caller closes it). */
int cairn_mount_fs(struct cairn_ctx *ctx, const char *fstype, const char *source,
                   const char *target, unsigned attrs, int *ret_fd);

/* ABI 1.3.  As cairn_mount_fs(), with filesystem parameters: `options`
 * (may be NULL) is a comma-separated list of KEY=VALUE (fsconfig
 * FSCONFIG_SET_STRING) and FLAG words (FSCONFIG_SET_FLAG), given before
 * the filesystem is created, e.g. "size=64m,mode=1777" for tmpfs or
 * "newinstance,ptmxmode=0666" for devpts.  A parameter the filesystem
 * refuses is named in the message (-EINVAL, or what the kernel said). */
int cairn_mount_fs_opts(struct cairn_ctx *ctx, const char *fstype, const char *source,
                        const char *target, unsigned attrs, const char *options, int *ret_fd);

/* Bind the host path `source` (symlinks in it are followed: the admin named
 * it) at `target`.  With CAIRN_BIND_RDONLY the bind is read-only from the
 * moment it appears, and this is checked. */
int cairn_bind(struct cairn_ctx *ctx, const char *source, const char *target,
               unsigned flags, int *ret_fd);

/* Bind what the descriptor `source_fd` refers to (opened and checked by
 * the plugin, e.g. O_PATH|O_NOFOLLOW and fstat) at `target`. */
int cairn_bind_fd(struct cairn_ctx *ctx, int source_fd, const char *target,
                  unsigned flags, int *ret_fd);

/* Device kinds for cairn_bind_device(), with CAIRN_BIND_RDONLY. */
#define CAIRN_DEVICE_CHAR (1u << 8)  /* a character device */
#define CAIRN_DEVICE_BLOCK (1u << 9) /* a block device */

/* ABI 1.2.  Bind the host's device node `path` (absolute) into the root at
 * the same path: opened without following a symlink, it must be a device
 * of a kind `flags` names (-ENODEV; neither kind: either), is bound
 * through that descriptor as cairn_bind_fd() does, and the node in the
 * root must be the same device (-EXDEV). */
int cairn_bind_device(struct cairn_ctx *ctx, const char *path, unsigned flags);

/* Make a directory (and its parents) inside the root; journaled. */
int cairn_mkdir(struct cairn_ctx *ctx, const char *path, mode_t mode);

/* ABI 1.3.  Files made inside the root, journaled, each at `path`
 * (missing parent directories made as for a mount point); -EEXIST, with a
 * message, if something is at `path` already (a symlink included: it is
 * never followed).  The undo removes each only if it is still of the kind
 * cairn made (a symlink, a regular file, a node of that type), never
 * through a mount. */

/* A symlink whose text is `to` (not resolved, not checked). */
int cairn_symlink(struct cairn_ctx *ctx, const char *path, const char *to);

/* A new regular file with `len` bytes of `data` and mode `mode` (at most
 * 07777; set with fchmod once written, so the umask does not matter). */
int cairn_write_file(struct cairn_ctx *ctx, const char *path, const void *data, size_t len,
                     mode_t mode);

/* A device node: `mode` is S_IFCHR or S_IFBLK with the permission bits
 * (set as given, umask or not), `dev` its number (makedev()). */
int cairn_mknod(struct cairn_ctx *ctx, const char *path, mode_t mode, dev_t dev);

/* Open an existing path inside the root without following symlinks;
 * `flags` are open(2) flags (O_CLOEXEC and O_NOFOLLOW are added). */
int cairn_open_in_root(struct cairn_ctx *ctx, const char *path, int flags, int *ret_fd);

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_PLUGIN_H */
