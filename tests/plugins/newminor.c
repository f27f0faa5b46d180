/* SPDX-License-Identifier: Apache-2.0 */
/* Test plugin "newminor": ABI 1.99, a newer minor of the same major; the
 * loader must accept it. */
#include <cairn/plugin.h>

static int newminor_setup(struct cairn_ctx *ctx)
{
        return 0;
}

CAIRN_PLUGIN_DEFINE = {
        .abi = (1u << 16) | 99u,
        .name = "newminor",
        .summary = "test: a plugin built for a newer ABI minor",
        .setup = newminor_setup,
};
