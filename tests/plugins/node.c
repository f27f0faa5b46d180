/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test plugin "node": cairn_mknod() at `path` (a character device, 1:3,
 * the null device's number, mode 0640), and with `empty` a file made
 * with cairn_write_file() and no contents: the ABI 1.3 file helpers that
 * no built-in plugin uses, for the crash and fault tests.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cairn/plugin.h>

static int node_setup(struct cairn_ctx *ctx)
{
        const char *empty = cairn_ctx_option(ctx, "empty");
        int r;

        r = cairn_mknod(ctx, cairn_ctx_option(ctx, "path"), S_IFCHR | 0640, makedev(1, 3));
        if (r < 0 || !empty)
                return r;
        return cairn_write_file(ctx, empty, "", 0, 0600);
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "node",
        .summary = "test: make a device node and an empty file with the helpers",
        .options = (const struct cairn_option[]) {
                { .name = "path", .type = CAIRN_OPT_PATH, .flags = CAIRN_OPT_REQUIRED,
                  .help = "where the node goes, inside the root" },
                { .name = "empty", .type = CAIRN_OPT_PATH,
                  .help = "where an empty file goes, inside the root" },
                { .name = NULL },
        },
        .setup = node_setup,
};
