/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A loaded config meets its plugins: above the config (config.h) and the
 * plugin context (ctx.h), which a plugin's own check is given.
 */
#ifndef CAIRN_CFG_BIND_H
#define CAIRN_CFG_BIND_H

#include "config.h"

struct loader;

/* Load each entry's plugin through `loader` and check the entry's keys and
 * values against the options the plugin declares, then (a plugin of ABI
 * 1.1 or later with a check function) against each other. */
int cfg_bind_plugins(struct cfg *cfg, struct loader *loader);

#endif
