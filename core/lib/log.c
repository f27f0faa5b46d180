/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int max_level = CAIRN_LOG_NOTICE;
static log_sink_fn sink;
static void *sink_userdata;
static char tag[300];

void log_set_tag(const char *t)
{
        snprintf(tag, sizeof tag, "%s%s", t ? t : "", t && *t ? ": " : "");
}

void log_set_level(int level)
{
        max_level = level;
}

void log_set_sink(log_sink_fn fn, void *userdata)
{
        sink = fn;
        sink_userdata = userdata;
}

/* Held messages (log_hold()): replayed, or their errors dropped, at
 * log_release_held(). */
static struct held {
        int level;
        char *text;
} *held;
static size_t n_held;
static unsigned holding; /* depth: an inner hold's release leaves the rest to the outer */

static void emit(int level, const char *buf);

void log_hold(void)
{
        holding++;
}

void log_release_held(bool drop_errors)
{
        if (holding > 1) {
                holding--;
                return;
        }
        holding = 0;
        for (size_t i = 0; i < n_held; i++) {
                if (!(drop_errors && held[i].level <= CAIRN_LOG_ERR))
                        emit(held[i].level, held[i].text);
                free(held[i].text);
        }
        free(held);
        held = NULL;
        n_held = 0;
}

void log_msgv(int level, const char *fmt, va_list ap)
{
        char buf[4096];

        if (level > max_level)
                return;
        vsnprintf(buf, sizeof buf, fmt, ap);
        if (holding) {
                struct held *more = realloc(held, (n_held + 1) * sizeof *more);
                char *text = strdup(buf);

                if (more && text) {
                        held = more;
                        held[n_held++] = (struct held) { level, text };
                        return;
                }
                if (more)
                        held = more;
                free(text); /* without memory: said now, not held */
        }
        emit(level, buf);
}

static void emit(int level, const char *buf)
{
        if (sink) {
                sink(level, buf, sink_userdata);
                return;
        }
        /* One write per message, so lines from concurrent cairn processes
         * sharing a stderr do not interleave mid-line. */
        fprintf(stderr, "cairn: %s%s\n", tag, buf);
}

void log_msg(int level, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        log_msgv(level, fmt, ap);
        va_end(ap);
}

int log_errno(int err, const char *fmt, ...)
{
        char buf[4096];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        log_msg(CAIRN_LOG_ERR, "%s: %s", buf, strerror(err < 0 ? -err : err));
        return err < 0 ? err : -err;
}
