/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the cmocka unit tests: captured log messages, scratch files. */
#ifndef CAIRN_TEST_HELPERS_H
#define CAIRN_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* Route log messages into a buffer (one message a line) instead of stderr. */
void logs_capture(void);
/* Everything captured since logs_capture(), "" if nothing. */
const char *logs(void);
void logs_release(void);
/* Assert that the captured messages contain `needle`. */
#define assert_logged(needle) assert_logs_contain((needle), __FILE__, __LINE__)
void assert_logs_contain(const char *needle, const char *file, int line);

/* A fresh directory under $TMPDIR (or /tmp); the caller frees the name. */
char *scratch_dir(void);
/* Write `content` to DIR/NAME (mode 0644); returns the malloc'ed path. */
char *scratch_file(const char *dir, const char *name, const char *content);
/* Remove a scratch directory made by scratch_dir() and the plain files and
 * empty directories in it (one level of subdirectories). */
void scratch_remove(const char *dir);

#endif
