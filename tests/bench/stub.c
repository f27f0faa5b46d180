/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stub: the "runtime binary" of the benchmark.  Linked statically, so it
 * runs in a root that holds nothing but /proc, /runsc and /dev/kvm, and
 * does the least a sandbox runtime does first: look at /proc.
 */
#include <unistd.h>

int main(void)
{
        return access("/proc/self/stat", R_OK) == 0 ? 0 : 1;
}
