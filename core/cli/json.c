/* SPDX-License-Identifier: Apache-2.0 */
#include "json.h"

void json_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p < 0x20 || *p == 0x7f)
                        fprintf(f, "\\u%04x", *p);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
}

void json_entries(FILE *f, const struct session_entry *v, size_t n)
{
        fputs("\"entries\":[", f);
        for (size_t i = 0; i < n; i++) {
                fputs(i ? ",{\"name\":" : "{\"name\":", f);
                json_string(f, v[i].name);
                fputs(",\"plugin\":", f);
                json_string(f, v[i].plugin);
                fprintf(f, ",\"status\":\"%s\"}", v[i].status);
        }
        fputc(']', f);
}
