/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What is mounted, from /proc/self/mountinfo, kept as two sorted indexes,
 * by mount ID and by target, so that a teardown of thousands of mounts
 * asks its questions in O(log n): is anything mounted at or beneath a
 * path (then nothing there may be removed), does a mount ID still exist,
 * where is it.
 *
 * Only two fields of each line are needed (the mount ID and the mount
 * point, octal-escaped), so the file is read here rather than by
 * util-linux's libmount: linking libmount pulls in libblkid, libselinux
 * and pcre2, whose loading and constructors cost ~0.4 ms in every cairn
 * process, more than half of what the seed's whole job costs in system
 * calls (measured with tests/bench; see README, Performance).
 */
#ifndef CAIRN_MOUNTINFO_H
#define CAIRN_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mountinfo;

int mountinfo_load(struct mountinfo **ret);
/* Read it through `fd`, this process's /proc/PID directory opened before
 * it entered another mount namespace (whose /proc, a container's, may not
 * show it): mountinfo is that of the namespace the process is in when the
 * file is opened.  -1: /proc/self again. */
void mountinfo_use_proc_self(int fd);

/* "FSTYPE SOURCE, mount ID" of the mount with mountinfo ID `id`, for a
 * message; -ENOENT if it is not there. */
int mountinfo_describe(uint64_t id, char *buf, size_t size);
/* The same from the text of a mountinfo file (modified in place); -EBADMSG
 * for a line that is not "ID PARENT MAJ:MIN ROOT /MOUNT-POINT ...". */
int mountinfo_parse(char *buf, struct mountinfo **ret);
void mountinfo_free(struct mountinfo *mi);
/* Undo the kernel's octal escapes of a mountinfo field, in place. */
void mountinfo_unescape(char *s);

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
