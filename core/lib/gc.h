/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CAIRN_GC_H
#define CAIRN_GC_H

#include <stdbool.h>

struct loader;

/* Tear down the sessions that crashed (setup or teardown died) and the
 * ready ones whose owner is gone; with `all`, every session (waiting for
 * those in progress).  0, or -EBUSY if something could not be undone. */
int sessions_gc(const char *state_dir, bool all, struct loader *loader);

#endif
