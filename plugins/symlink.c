/* SPDX-License-Identifier: Apache-2.0 */
/*
 * symlink: make a symlink at `path` inside the root whose text is `to`
 * (not resolved: it is what the sandbox sees, "/proc/self/fd" say), with
 * cairn_symlink(): journaled, refused if anything is at `path` already,
 * and removed at teardown only if it is still that symlink.
 *
 *     [localtime]
 *     plugin = symlink
 *     path   = /etc/localtime
 *     to     = /usr/share/zoneinfo/UTC
 */
#include <string.h>

#include <cairn/plugin.h>

static int symlink_setup(struct cairn_ctx *ctx)
{
        return cairn_symlink(ctx, cairn_ctx_option(ctx, "path"), cairn_ctx_option(ctx, "to"));
}

static int symlink_check(struct cairn_ctx *ctx)
{
        const char *path = cairn_ctx_option(ctx, "path");
        const char *to = cairn_ctx_option(ctx, "to");

        if (path && strcmp(path, "/") == 0)
                return cairn_ctx_config_error(ctx, "path", "the root itself cannot be a symlink");
        if (to && !*to)
                return cairn_ctx_config_error(ctx, "to", "a symlink needs a text to point to");
        return 0;
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "symlink",
        .summary = "make a symlink inside the root",
        .options = (const struct cairn_option[]) {
                { .name = "path", .type = CAIRN_OPT_PATH, .flags = CAIRN_OPT_REQUIRED,
                  .help = "where, inside the root; refused if it exists" },
                { .name = "to", .type = CAIRN_OPT_STRING, .flags = CAIRN_OPT_REQUIRED,
                  .help = "the symlink's text (not resolved)" },
                { .name = NULL },
        },
        .setup = symlink_setup,
        .check = symlink_check,
};
