/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON cairn prints (--json, --status-fd, CDI specs), built and
 * written with jansson (configure.ac says why that library).  One compact
 * object a line.
 */
#ifndef CAIRN_JSON_H
#define CAIRN_JSON_H

#include <jansson.h>
#include <stdio.h>

#include "sessions.h"

/* A JSON string of `s`.  JSON text is UTF-8: a byte that is not part of
 * valid UTF-8 (a path may hold any byte) becomes U+FFFD; the text
 * outputs (list, setup) give such paths exactly, octal-escaped.  NULL
 * only without memory. */
json_t *json_text(const char *s);

/* [{"name":..,"plugin":..,"status":..},...] */
json_t *json_entries(const struct session_entry *v, size_t n);

/* `v` (taken: freed) as one compact line, to `f`: 0, or -errno (-ENOMEM
 * for a NULL `v`, the mark of an allocation that failed building it). */
int json_print_line(FILE *f, json_t *v);
/* The same as a string with its newline, for one write(2); NULL on failure. */
char *json_line(json_t *v);
/* The same with a blank after each ':' and ',' ({"exit-code": 0}): the
 * --status-fd lines, as they always were and as bubblewrap writes them. */
char *json_line_spaced(json_t *v);

#endif
