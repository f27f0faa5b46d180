/* SPDX-License-Identifier: Apache-2.0 */
/*
 * File handles (name_to_handle_at(2)) of the directories cairn makes,
 * journaled as "TYPE:HEX": after a crash, a name that cannot be found
 * at its path is either gone or hidden under a mount someone placed over
 * a directory above it; open_by_handle_at(2) tells which, where a path
 * cannot.
 */
#ifndef CAIRN_HANDLE_H
#define CAIRN_HANDLE_H

/* The handle of `name` in `dirfd` (not following a symlink), as text, for
 * the caller to free; NULL if the filesystem gives none (errno set). */
char *handle_text_of(int dirfd, const char *name);

/* Whether the directory with handle `text` still exists, looked up on the
 * filesystem of `fs_fd` (any descriptor on it): 1 yes (linked somewhere),
 * 0 gone (ESTALE, or no longer linked); -errno if it cannot be told
 * (the filesystem, or the process, cannot open handles). */
int handle_dir_exists(int fs_fd, const char *text);

#endif
