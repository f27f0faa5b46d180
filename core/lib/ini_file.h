/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One INI file, opened with trust_open_real() and read through that
 * descriptor by cairn's scanner (ini_scan.h: why, and the accepted
 * syntax), then once by iniparser, the parser of record, by the
 * symlink-free path the trust walk reached it by (only root can change
 * what that path names), and cross-checked: iniparser must have read
 * exactly the sections, keys and values the scanner did, or the file is
 * refused.
 */
#ifndef CAIRN_INI_FILE_H
#define CAIRN_INI_FILE_H

#include <iniparser.h>

#include "ini_scan.h"

/* Config files are small; refuse anything larger than this. */
#define INI_FILE_MAX (1024 * 1024)

struct ini_file {
        struct ini_scan *scan; /* where every section and key is */
        dictionary *dict;      /* iniparser's reading; NULL if not read */
};

/* Open `path` with trust_open_real() and read it.  `only`: NULL, or the
 * one section that will be used (cfg_load_settings() reads only [cairn]):
 * a file without it is only scanned, and iniparser does not read it.
 * Errors from opening are trust_open_real()'s (-ENOENT, -EPERM, ...); a
 * refused file is -EINVAL. */
int ini_file_load(const char *path, const char *only, struct ini_file **ret);
void ini_file_free(struct ini_file *f);
/* iniparser's value of [section] key; NULL if there is none, or if
 * iniparser did not read the file (see `only`). */
const char *ini_file_value(const struct ini_file *f, const char *section, const char *key);

#endif
