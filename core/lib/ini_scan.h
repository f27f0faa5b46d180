/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading one INI file safely with iniparser 4.1: the scanner (the
 * reading and cross-checking is ini_file.h's).
 *
 * iniparser is the parser of record (values come from it), but it is
 * silent where a config for a root process must not be: it lowercases
 * names, keeps the last of two duplicate keys, merges two headers of the
 * same section, stops reading a line at a NUL byte, joins lines that end
 * in "\", and gives up on a long line with a message on stderr.  So before
 * iniparser sees a file, a line scanner reads the same bytes, records
 * where every section and key is (for messages), and refuses each of
 * those traps with FILE:LINE.  Afterwards, every key and value iniparser
 * reports is checked against what the scanner saw; any difference is
 * refused rather than guessed at.
 *
 * The accepted syntax (a subset of iniparser's):
 *   - blank lines; comments: a line whose first non-blank is ';' or '#';
 *   - "[name]" alone on its line, name [a-z0-9_-]+ (blanks inside the
 *     brackets are ignored, as iniparser does);
 *   - "key = value", key [a-z0-9_-]+, inside a section.  An unquoted
 *     value ends at a ';' or '#' that follows a blank (an inline comment);
 *     one that follows anything else is refused, because iniparser would
 *     cut the value there silently ("/opt/c#/bin" -> "/opt/c").  A value
 *     in "..." or '...' is taken literally, without escapes; only blanks
 *     or a comment may follow the closing quote;
 *   - lines shorter than 1024 bytes (with the newline), no control
 *     characters but tabs (and a CR before the newline), no line ending
 *     in "\" (continuation lines are not supported).
 */
#ifndef CAIRN_INI_SCAN_H
#define CAIRN_INI_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "strmap.h"

/* iniparser 4.1's line buffer: a line needs to fit in 1023 bytes with its
 * newline. */
#define INI_LINE_MAX 1024
/* At most this many sections and keys in one file.  iniparser 4.1's
 * dictionary_set() looks at every slot of the dictionary, so reading a
 * file costs the square of its entries: 0.6 ms for 1,000 here, 8 ms for
 * 5,000.  A stack bigger than about 200 entries belongs in drop-ins. */
#define INI_MAX_ENTRIES 1024

struct ini_key {
        char *full;       /* "section:key", as iniparser names it */
        const char *name; /* the key, in `full` */
        const char *section; /* its section's name */
        char *value;      /* as the scanner reads it */
        /* iniparser's value, once it read the file and agreed with the
         * scanner; NULL until then (ini_file.c). */
        const char *parsed;
        unsigned line;
};

struct ini_section {
        char *name;
        unsigned line; /* of its header */
        struct ini_key *keys; /* in file order, in ini_scan.keys */
        size_t n_keys;
};

struct ini_scan {
        struct ini_section *sections; /* in file order */
        size_t n_sections, sections_cap;
        struct ini_key *keys; /* of every section, in file order */
        size_t n_keys, keys_cap;
        /* Section names and "section:key" names: 2i for section i, 2j+1
         * for key j of `keys`. */
        struct strmap names;
};

/* Scan `len` bytes of `buf`; `label` names the file in messages.  -EINVAL
 * (logged) for any refused line. */
int ini_scan_buffer(const char *buf, size_t len, const char *label, struct ini_scan **ret);
void ini_scan_free(struct ini_scan *s);

const struct ini_section *ini_scan_section(const struct ini_scan *s, const char *name);
/* Key `name` of `sec`, a section of `s`. */
const struct ini_key *ini_scan_key(const struct ini_scan *s, const struct ini_section *sec,
                                   const char *name);
/* The section or key iniparser names `full` ("section" or "section:key"):
 * one of them is set, or neither if the scanner read no such thing. */
void ini_scan_lookup(const struct ini_scan *s, const char *full, const struct ini_section **ret_section,
                     struct ini_key **ret_key);

#endif
