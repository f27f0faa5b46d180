/* SPDX-License-Identifier: Apache-2.0 */
/* Test plugin "abi10": built for ABI 1.0 (no `check`, only CAIRN_1's
 * functions), as a plugin of the first release is; a cairn of a later
 * minor must load and run it.  Mounts a tmpfs at /abi10. */
#include <stddef.h>

#include <cairn/plugin.h>

static int abi10_setup(struct cairn_ctx *ctx)
{
        return cairn_mount_fs(ctx, "tmpfs", "cairn-abi10", "/abi10", CAIRN_MOUNT_NODEV, NULL);
}

CAIRN_PLUGIN_DEFINE = {
        .abi = 1u << 16,
        .name = "abi10",
        .summary = "test: a plugin built for ABI 1.0",
        .setup = abi10_setup,
};
