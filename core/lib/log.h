/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging for the library and the CLI.  The library never prints by
 * itself: everything goes through one sink (stderr with a "cairn: " prefix
 * by default), so tests can capture messages and the CLI's -v/-q can set
 * the level.  log_errno() returns the error it logs, so an error path is
 * one line: `return log_errno(r, "bind %s", p);`
 */
#ifndef CAIRN_LOG_H
#define CAIRN_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "cairn/plugin.h" /* enum cairn_log_level */

typedef void (*log_sink_fn)(int level, const char *msg, void *userdata);

void log_set_level(int level); /* messages above it are dropped */
/* Every message on stderr after "cairn: TAG: " (NULL or "": none): the
 * container an OCI hook works for. */
void log_set_tag(const char *tag);
/* Hold the messages from here on; log_release_held() says them after
 * all, in order, or only those below error level when `drop_errors`:
 * for a step tried again, whose second try says what still fails. */
void log_hold(void);
void log_release_held(bool drop_errors);
/* NULL restores the default stderr sink. */
void log_set_sink(log_sink_fn fn, void *userdata);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_msgv(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Logs "MESSAGE: strerror(-err)" and returns err (which must be < 0). */
int log_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(CAIRN_LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(CAIRN_LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(CAIRN_LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(CAIRN_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(CAIRN_LOG_DEBUG, __VA_ARGS__)

#endif
