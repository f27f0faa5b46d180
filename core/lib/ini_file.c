/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a config file: trust_open_real(), the scanner, then iniparser
 * once, and the cross-check (see ini_file.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cfg_place.h"
#include "ini_file.h"
#include "log.h"
#include "trust.h"
#include "util.h"

/* iniparser reports errors through a printf-like callback (stderr by
 * default); keep the first message so that it is logged like ours. */
static char iniparser_msg[256];

__attribute__((format(printf, 1, 2))) static int iniparser_error(const char *fmt, ...)
{
        va_list ap;
        int r;

        if (iniparser_msg[0])
                return 0;
        va_start(ap, fmt);
        r = vsnprintf(iniparser_msg, sizeof iniparser_msg, fmt, ap);
        va_end(ap);
        for (char *c = iniparser_msg; *c; c++)
                if (*c == '\n')
                        *c = ' ';
        return r;
}

static int read_fd(int fd, const char *path, char **ret, size_t *ret_len)
{
        /* One byte more than the limit, to tell "too large" from "full";
         * the pages a small file does not reach are never touched. */
        _cleanup_free_ char *buf = malloc(INI_FILE_MAX + 1);
        size_t len = 0;
        struct stat st;

        if (!buf)
                return log_errno(-ENOMEM, "%s", path);
        if (fstat(fd, &st) < 0)
                return log_errno(negative_errno(), "%s: stat", path);
        while (len <= INI_FILE_MAX) {
                ssize_t n = pread(fd, buf + len, INI_FILE_MAX + 1 - len, (off_t) len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return log_errno(negative_errno(), "%s: read", path);
                if (n == 0)
                        break;
                len += (size_t) n;
                /* All that fstat() said (a file on a local filesystem is
                 * not read short but at its end): the end, without one
                 * more read to be told so.  st_size is only a hint: a
                 * file that grew is read on. */
                if ((off_t) len == st.st_size)
                        break;
        }
        if (len > INI_FILE_MAX) {
                log_error("%s: file is larger than %d bytes", path, INI_FILE_MAX);
                return -EINVAL;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* iniparser must have read exactly what the scanner did: the same
 * sections, the same keys, the same values.  One pass over iniparser's
 * dictionary, each entry looked up in the scanner's; each key then holds
 * iniparser's value. */
static int cross_check(struct ini_scan *s, const dictionary *d, const char *path)
{
        size_t n = 0;

        for (ssize_t i = 0; i < d->size; i++) {
                const char *full = d->key[i], *v = d->val[i];
                const struct ini_section *sec;
                struct ini_key *key;

                if (!full)
                        continue;
                n++;
                ini_scan_lookup(s, full, &sec, &key);
                if (!sec && !key) {
                        log_error("%s: iniparser read \"%s\", which cairn's scanner did not; "
                                  "refusing the file", path, full);
                        return -EINVAL;
                }
                if (key && (!v || !streq(v, key->value)))
                        return cfg_error(&(struct cfg_place) { path, key->line, key->section, key->name },
                                         "iniparser reads the value as \"%s\", cairn's scanner "
                                         "as \"%s\"; refusing the ambiguous value",
                                         v ? v : "(null)", key->value);
                if (key)
                        key->parsed = v;
        }
        if (n != s->n_sections + s->n_keys) {
                log_error("%s: iniparser read %zu sections and keys, cairn's scanner %zu; "
                          "refusing the file", path, n, s->n_sections + s->n_keys);
                return -EINVAL;
        }
        return 0;
}

/* Have iniparser read the file by `real`, the symlink-free path the trust
 * walk found it by: only root can change what it names (a magic link
 * under /proc would cost a procfs lookup, and iniparser 4.1 reads only by
 * name).  Whatever it reads is cross-checked against the scanner's bytes. */
static int parse_file(struct ini_file *f, const char *path, const char *real)
{
        iniparser_msg[0] = '\0';
        iniparser_set_error_callback(iniparser_error);
        f->dict = iniparser_load(real);
        iniparser_set_error_callback(NULL);
        if (!f->dict) {
                log_error("%s: iniparser cannot read the file: %s", path,
                          iniparser_msg[0] ? iniparser_msg : "unknown error");
                return -EINVAL;
        }
        return cross_check(f->scan, f->dict, path);
}

int ini_file_load(const char *path, const char *only, struct ini_file **ret)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL, *real = NULL;
        struct ini_file *f;
        size_t len = 0;
        int r;

        r = trust_open_real(path, TRUST_READ, &fd, &real);
        if (r < 0)
                return r;
        r = read_fd(fd, path, &buf, &len);
        if (r < 0)
                return r;
        f = calloc(1, sizeof(*f));
        if (!f)
                return log_errno(-ENOMEM, "%s", path);
        r = ini_scan_buffer(buf, len, path, &f->scan);
        if (r == 0 && (!only || ini_scan_section(f->scan, only)))
                r = parse_file(f, path, real);
        if (r < 0) {
                ini_file_free(f);
                return r;
        }
        *ret = f;
        return 0;
}

void ini_file_free(struct ini_file *f)
{
        if (!f)
                return;
        ini_scan_free(f->scan);
        if (f->dict)
                iniparser_freedict(f->dict);
        free(f);
}

const char *ini_file_value(const struct ini_file *f, const char *section, const char *key)
{
        const struct ini_section *sec = ini_scan_section(f->scan, section);
        const struct ini_key *k = sec ? ini_scan_key(f->scan, sec, key) : NULL;

        return k ? k->parsed : NULL;
}
