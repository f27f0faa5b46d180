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

/* iniparser 4.1's line buffer: a line needs to fit in 1023 bytes with its
 * newline. */
#define INI_LINE_MAX 1024
struct ini_key {
        char *name;
        char *value; /* as the scanner reads it; cross-checked */
        unsigned line;
        size_t offset; /* of its line, in the file */
};

struct ini_section {
        char *name;
        unsigned line; /* of its header */
        size_t offset; /* of its header line, in the file */
        size_t body;   /* just past the header line's newline */
        struct ini_key *keys; /* in file order */
        size_t n_keys, keys_cap;
        /* iniparser read this section's keys and values as the scanner
         * did; only then does ini_file_value() hand them out. */
        bool checked;
};

/* A slot of the key index: key+1 of section `section`, 0 if free. */
struct ini_key_slot {
        size_t section, key;
};

struct ini_scan {
        struct ini_section *sections; /* in file order */
        size_t n_sections, sections_cap;
        /* Open-addressing hash of section names: index+1 into sections,
         * 0 free.  Lookups stay O(1) for configs of thousands of entries. */
        size_t *index;
        size_t index_cap; /* a power of two, at least twice n_sections */
        /* The same for (section, key name), over every key of the file, so
         * that a section of thousands of keys is not quadratic either. */
        struct ini_key_slot *key_index;
        size_t key_index_cap; /* a power of two, at least twice n_keys */
        size_t n_keys;        /* in all sections */
        size_t len;           /* of the scanned buffer */
        unsigned n_lines;
};

/* Scan `len` bytes of `buf`; `label` names the file in messages.  -EINVAL
 * (logged) for any refused line. */
int ini_scan_buffer(const char *buf, size_t len, const char *label, struct ini_scan **ret);
void ini_scan_free(struct ini_scan *s);

const struct ini_section *ini_scan_section(const struct ini_scan *s, const char *name);
/* Key `name` of `sec`, a section of `s`. */
const struct ini_key *ini_scan_key(const struct ini_scan *s, const struct ini_section *sec,
                                   const char *name);

#endif
