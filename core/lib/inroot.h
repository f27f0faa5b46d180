/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A target path inside a root, resolved the way the kernel's
 * RESOLVE_IN_ROOT (and runc's securejoin, bubblewrap) resolve it: a
 * symlink in the tree is followed as if the root were "/", an absolute
 * one from the root, ".." never above it.  Real images have such links
 * (a merged /usr: /bin -> usr/bin).  The result has no symlink in it (up
 * to the first name that does not exist yet; the rest is kept, "." and
 * ".." taken out); everything after works on it beneath the root with
 * RESOLVE_NO_SYMLINKS, so a link swapped in after this is refused there,
 * never followed out.
 */
#ifndef CAIRN_INROOT_H
#define CAIRN_INROOT_H

/* Resolve `path` (absolute, inside the root) beneath `root_fd`.  *ret:
 * the resolved absolute path (the caller frees it); *ret_links: how many
 * symlinks were followed; *ret_first (may be NULL; freed by the caller):
 * the first link followed, "PATH -> TEXT", for a message.  -ELOOP after
 * 40 links; -ENOTDIR if a component that is not a directory has more
 * after it. */
int resolve_in_root(int root_fd, const char *path, char **ret, unsigned *ret_links, char **ret_first);

#endif
