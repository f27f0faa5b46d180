/* SPDX-License-Identifier: Apache-2.0 */
/* Test plugin "abi2": built for ABI 2.0; the loader must refuse it and name
 * the file and both versions. */
#include <cairn/plugin.h>

static int abi2_setup(struct cairn_ctx *ctx)
{
        return 0;
}

CAIRN_PLUGIN_DEFINE = {
        .abi = (2u << 16) | 0u,
        .name = "abi2",
        .summary = "test: a plugin for a future ABI major",
        .setup = abi2_setup,
};
