/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where in a config file something is, for messages, and the errors that
 * name it: every config error cairn gives reads
 *     FILE:LINE: [SECTION] KEY: MESSAGE
 * (the parts that do not apply left out).  Below everything that reads a
 * config: the scanner, iniparser's cross-check, variables, the loader of
 * the stack and the plugin context all report through it.
 */
#ifndef CAIRN_CFG_PLACE_H
#define CAIRN_CFG_PLACE_H

/* A place in a config file for messages: FILE:LINE: [SECTION] KEY.  Any
 * part may be absent (NULL, or line 0). */
struct cfg_place {
        const char *file;
        unsigned line;
        const char *section;
        const char *key;
};
/* Log "FILE:LINE: [SECTION] KEY: MESSAGE" at `level`. */
void cfg_log(int level, const struct cfg_place *p, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* The same at error level; returns -EINVAL. */
int cfg_error(const struct cfg_place *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
