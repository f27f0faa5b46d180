/* SPDX-License-Identifier: Apache-2.0 */
/*
 * binbind: bind a host file or directory (`source`) into the root at
 * `target` (default: /BASENAME(source)), read-only unless `readonly = no`;
 * with `recursive = yes`, the mounts beneath a bound directory too (each
 * read-only as well: the helper sets the attribute on the whole tree).
 *
 * Two of the seed's defects lived here: MS_BIND|MS_RDONLY in one mount(2)
 * call is silently read-write, and chmod 0777 on the mount point changed
 * the host binary.  The helper makes the bind read-only before it is
 * attached; this plugin checks the result once more on the new mount, and
 * never touches a mode.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cairn/plugin.h>

/* "/" + the last component of an absolute, normalized path (no trailing
 * "/", no "." or ".."; the engine checked that). */
static int default_target(const char *source, char *buf, size_t size)
{
        const char *base = strrchr(source, '/');

        if (!base || !base[1])
                return -EINVAL; /* source is "/": nothing to name the target after */
        if ((size_t) snprintf(buf, size, "%s", base) >= size)
                return -ENAMETOOLONG;
        return 0;
}

static int binbind_setup(struct cairn_ctx *ctx)
{
        const char *source = cairn_ctx_option(ctx, "source");
        const char *target = cairn_ctx_option(ctx, "target");
        bool readonly = cairn_ctx_option_bool(ctx, "readonly", true);
        bool recursive = cairn_ctx_option_bool(ctx, "recursive", false);
        char buf[4096];
        struct statvfs sv;
        int fd = -1, r;

        if (!source)
                return cairn_log_errno(ctx, -EINVAL, "no source to bind");
        if (!target) {
                r = default_target(source, buf, sizeof buf);
                if (r < 0)
                        return cairn_log_errno(ctx, r,
                                               "cannot derive a target from source %s; set target",
                                               source);
                target = buf;
        }

        r = cairn_bind(ctx, source, target,
                       (readonly ? CAIRN_BIND_RDONLY : 0) | (recursive ? CAIRN_BIND_RECURSIVE : 0), &fd);
        if (r < 0)
                return r; /* the helper said what failed */

        /* Belt and braces: the helper already verified it, but a read-only
         * bind that is not read-only is the seed's defect 1, so look again. */
        if (readonly) {
                if (fstatvfs(fd, &sv) < 0)
                        r = cairn_log_errno(ctx, errno > 0 ? -errno : -EIO, "statvfs %s", target);
                else if (!(sv.f_flag & ST_RDONLY))
                        r = cairn_log_errno(ctx, -EROFS,
                                            "bind %s -> %s is writable although readonly = yes",
                                            source, target);
        }
        close(fd);
        return r;
}

/* What setup would refuse, said as a config error at the key to blame. */
static int binbind_check(struct cairn_ctx *ctx)
{
        const char *source = cairn_ctx_option(ctx, "source");
        const char *target = cairn_ctx_option(ctx, "target");
        char buf[4096];

        if (target && strcmp(target, "/") == 0)
                return cairn_ctx_config_error(ctx, "target", "cannot bind over the root itself");
        if (!target && source && default_target(source, buf, sizeof buf) < 0)
                return cairn_ctx_config_error(ctx, "source",
                                              "\"%s\" has no name to bind it under: set target",
                                              source);
        return 0;
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "binbind",
        .summary = "bind a host file or directory into the root, read-only by default",
        .options = (const struct cairn_option[]) {
                { .name = "source", .type = CAIRN_OPT_PATH, .flags = CAIRN_OPT_REQUIRED,
                  .help = "host file or directory to bind (symlinks followed)" },
                { .name = "target", .type = CAIRN_OPT_PATH,
                  .help = "where inside the root; default: /BASENAME(source)" },
                { .name = "readonly", .type = CAIRN_OPT_BOOL, .default_value = "yes",
                  .help = "make the bind read-only" },
                { .name = "recursive", .type = CAIRN_OPT_BOOL, .default_value = "no",
                  .help = "include the mounts beneath source (read-only too if readonly)" },
                { .name = NULL },
        },
        .setup = binbind_setup,
        .check = binbind_check,
};
