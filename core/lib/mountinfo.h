/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What is mounted, from /proc/self/mountinfo, parsed by util-linux's
 * libmount (it handles the escaping and the optional fields) and kept as
 * two sorted indexes, by mount ID and by target, so that a teardown of
 * thousands of mounts asks its questions in O(log n): is anything mounted
 * at or beneath a path (then nothing there may be removed), does a mount
 * ID still exist, where is it.
 */
#ifndef CAIRN_MOUNTINFO_H
#define CAIRN_MOUNTINFO_H

#include <stdbool.h>
#include <stdint.h>

struct mountinfo;

int mountinfo_load(struct mountinfo **ret);
void mountinfo_free(struct mountinfo *mi);

/* The first mount at `path` or beneath it ("PATH/": strictly beneath):
 * returns true and its target (owned by the table) and ID. */
bool mountinfo_beneath(struct mountinfo *mi, const char *path, const char **ret_target,
                       uint64_t *ret_id);
/* The same, passing over the mounts for which skip(id) is true. */
bool mountinfo_beneath_except(struct mountinfo *mi, const char *path,
                              bool (*skip)(uint64_t id, void *ud), void *ud,
                              const char **ret_target, uint64_t *ret_id);

/* The deepest mount inside `root` at `path` or above it for which skip(id)
 * is false: what hides `path`.  NULL if none. */
const char *mountinfo_covering(struct mountinfo *mi, const char *root, const char *path,
                               bool (*skip)(uint64_t id, void *ud), void *ud);

bool mountinfo_has_id(struct mountinfo *mi, uint64_t id);
/* The target of mount `id`, or NULL. */
const char *mountinfo_target(struct mountinfo *mi, uint64_t id);
/* The mount `id` is gone (we unmounted it): forget it. */
void mountinfo_forget(struct mountinfo *mi, uint64_t id);

#endif
