/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One INI file, opened with trust_open_real() and read through that
 * descriptor by cairn's scanner (ini_scan.h: why, and the accepted
 * syntax), and by iniparser, the parser of record, by the symlink-free
 * path the trust walk reached it by (only root can change what that path
 * names; a piece of a file, a copy of the bytes the scanner read), and
 * cross-checked: any difference is refused.
 */
#ifndef CAIRN_INI_FILE_H
#define CAIRN_INI_FILE_H

#include "ini_scan.h"

/* Config files are small; refuse anything larger than this. */
#define INI_FILE_MAX (1024 * 1024)
/* At most this many sections and keys (iniparser's dictionary entries) go
 * to one iniparser_load(): iniparser 4.1's dictionary starts with 128
 * slots and dictionary_set() looks at every slot, so a piece that fits
 * costs at most 128 steps an entry and a file costs O(n).  See
 * "Cross-checking in pieces" in ini_file.c. */
#define INI_PIECE_ENTRIES 128

/* A file read by the scanner and by iniparser (see above), and
 * cross-checked.  Every byte is scanned (its refusals apply
 * to the whole file); iniparser reads the sections that are to be used,
 * in pieces of at most INI_PIECE_ENTRIES entries, and each piece must hold
 * exactly what the scanner read there. */
struct ini_file {
        struct ini_scan *scan;
};

/* Open `path` with trust_open_real() and read it.  `only`: NULL to have
 * iniparser check every section; else the name of the one section that
 * will be used (cfg_load_settings() reads only [cairn]), and only that
 * one is checked, unless the whole file fits in one piece (then it is
 * all checked: that costs less than copying out a piece); ini_file_value()
 * of a section that was not checked is NULL.  Errors
 * from opening are trust_open_real()'s (-ENOENT, -EPERM, ...); a refused
 * file is -EINVAL. */
int ini_file_load(const char *path, const char *only, struct ini_file **ret);
void ini_file_free(struct ini_file *f);
/* iniparser's value of [section] key; NULL if there is none, or if that
 * section was not cross-checked (see `only` above). */
const char *ini_file_value(const struct ini_file *f, const char *section, const char *key);

/* Tests and the fuzzer: pieces of at most `n` entries (at least 2; 0
 * restores INI_PIECE_ENTRIES), so that small inputs are cut too. */
void ini_set_piece_entries(size_t n);

#endif
