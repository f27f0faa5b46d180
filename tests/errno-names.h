/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An errno by its name, for the test plugin "fail" (its `errno` option)
 * and the fault shim (CAIRN_SHIM_FAIL=NAME:N:ERRNO): one table, so a name
 * one of them takes the other takes too.  The shim calls nothing it
 * interposes: strcmp and strtol only.
 */
#ifndef CAIRN_TESTS_ERRNO_NAMES_H
#define CAIRN_TESTS_ERRNO_NAMES_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ERRNO as a name (EIO) or a number (5): the errno, or -1. */
static inline int errno_from_name(const char *s)
{
        static const struct {
                const char *name;
                int value;
        } names[] = {
                { "EPERM", EPERM },   { "ENOENT", ENOENT }, { "EIO", EIO },       { "ENOMEM", ENOMEM },
                { "EACCES", EACCES }, { "EBUSY", EBUSY },   { "EEXIST", EEXIST }, { "ENODEV", ENODEV },
                { "EINVAL", EINVAL }, { "ENOSPC", ENOSPC }, { "EROFS", EROFS },   { "ELOOP", ELOOP },
                { "EINTR", EINTR },   { "ENOSYS", ENOSYS }, { "ENOTDIR", ENOTDIR },
                { "EAGAIN", EAGAIN }, { "EMFILE", EMFILE }, { "ENOTEMPTY", ENOTEMPTY },
        };
        char *end;
        long v;

        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strcmp(s, names[i].name) == 0)
                        return names[i].value;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v <= 0 || v > 4095)
                return -1;
        return (int) v;
}

#endif
