/* SPDX-License-Identifier: Apache-2.0 */
/* Test plugin "nosym": a valid shared object that exports no descriptor;
 * the loader must say it is not a cairn plugin. */
#include <cairn/plugin.h>

__attribute__((visibility("default"))) int cairn_test_nosym(void);

int cairn_test_nosym(void)
{
        return CAIRN_ABI_VERSION != 0;
}
