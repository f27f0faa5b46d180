/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Plugin loader: PLUGIN_DIR/NAME.so, opened and checked as a trusted file,
 * dlopen()ed through its descriptor, its one descriptor symbol looked up
 * and its ABI major checked.  Each .so is loaded once however many entries
 * use it.  Messages name the file and the reason.
 */
#ifndef CAIRN_LOADER_H
#define CAIRN_LOADER_H

#include "cairn/plugin.h"

struct loader;

int loader_new(const char *plugin_dir, struct loader **ret);
void loader_free(struct loader *l);
/* The same, for a process about to exit: the plugins stay loaded.  Each
 * dlclose() unmaps its object, two munmap() calls and their TLB flushes,
 * work that exit() does for the whole address space at once; a plugin's
 * destructors still run, from exit(). */
void loader_free_at_exit(struct loader *l);

/* NAME must match [a-z0-9_-]+.  -ENOENT: no such plugin; -EINVAL: not a
 * valid plugin (bad ELF, no descriptor, wrong ABI, bad declarations);
 * -EPERM: untrusted file.  `*ret_path` stays owned by the loader. */
int loader_get(struct loader *l, const char *name, const struct cairn_plugin **ret_plugin,
               const char **ret_path);

/* Load a plugin by its full path (teardown, from the journal). */
int loader_get_path(struct loader *l, const char *path, const struct cairn_plugin **ret_plugin);

/* Register an in-process plugin under its descriptor's name (unit tests). */
int loader_add_static(struct loader *l, const struct cairn_plugin *p);

/* Check a descriptor: ABI major, name, options.  `label` names it in
 * messages.  -EINVAL when it is not usable. */
int plugin_descriptor_check(const struct cairn_plugin *p, const char *label);

/* Every NAME.so in the plugin directory, sorted; the caller frees. */
int loader_list(struct loader *l, char ***ret_names);

#endif
