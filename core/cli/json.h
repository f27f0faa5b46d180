/* SPDX-License-Identifier: Apache-2.0 */
/* The little JSON cairn prints: strings escaped per RFC 8259, nothing more
 * (a library would be more code than this). */
#ifndef CAIRN_JSON_H
#define CAIRN_JSON_H

#include <stdio.h>

#include "sessions.h"

void json_string(FILE *f, const char *s);
/* "entries":[{"name":..,"plugin":..,"status":..},...] */
void json_entries(FILE *f, const struct session_entry *v, size_t n);

#endif
