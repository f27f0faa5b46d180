/* SPDX-License-Identifier: Apache-2.0 */
/* The cairn binary: everything lives in libcairn, so plugins and the CLI
 * share one copy of the engine's state. */
#include "cli.h"

int main(int argc, char *argv[])
{
        return cairn_main(argc, argv);
}
