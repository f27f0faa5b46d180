/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Messages that name a place in a config file: FILE:LINE: [SECTION] KEY.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "cfg_place.h"
#include "log.h"

void cfg_log(int level, const struct cfg_place *p, const char *fmt, ...)
{
        char msg[3072], line[16] = "";
        const char *file = p->file ? p->file : "";
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (p->line > 0)
                snprintf(line, sizeof line, ":%u", p->line);

        if (p->section && p->key)
                log_msg(level, "%s%s: [%s] %s: %s", file, line, p->section, p->key, msg);
        else if (p->section)
                log_msg(level, "%s%s: [%s]: %s", file, line, p->section, msg);
        else if (p->key)
                log_msg(level, "%s%s: %s: %s", file, line, p->key, msg);
        else
                log_msg(level, "%s%s: %s", file, line, msg);
}

int cfg_error(const struct cfg_place *p, const char *fmt, ...)
{
        char msg[3072];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        cfg_log(CAIRN_LOG_ERR, p, "%s", msg);
        return -EINVAL;
}
