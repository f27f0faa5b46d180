/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The value syntax of a config, shared by the config's checks and the
 * plugin context (ctx.c): what a value is checked as is what it is read
 * as.
 */
#ifndef CAIRN_CFG_VALUE_H
#define CAIRN_CFG_VALUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cairn/plugin.h"
#include "cfg_place.h"

/* Octal permission bits 0..07777 ("0755", "755"); false otherwise. */
bool cfg_parse_mode(const char *s, mode_t *ret);
/* A filesystem size as tmpfs takes it: a CAIRN_OPT_SIZE (cfg_parse_int()
 * with `size`) other than 0, or digits and "%" (of memory, 1 to 100). */
bool cfg_size_is_valid(const char *s);
/* yes/no, true/false, on/off, 1/0, case-insensitive; false otherwise. */
bool cfg_parse_bool(const char *s, bool *ret);
/* Split words separated by blanks and/or commas into a NULL-terminated
 * vector (empty when there is no word).  0 or -ENOMEM. */
int cfg_split_words(const char *s, char ***ret);

/* A decimal integer ("-12", "300"), or with `size` a size in bytes: a
 * decimal integer, not negative, with an optional suffix k, m, g or t (any
 * case: KiB, MiB, GiB, TiB).  No blanks, signs ("+1") or other bases;
 * false also if it does not fit in an int64_t. */
bool cfg_parse_int(const char *s, bool size, int64_t *ret);

/* Check `value` against an option type (`choices` for CAIRN_OPT_CHOICE);
 * a bad value is an error at `p`. */
int cfg_check_value(enum cairn_option_type type, const char *const *choices, const char *value,
                    const struct cfg_place *p);

/* cfg_check_value() for a plugin's declared option: a CAIRN_OPT_INT or
 * CAIRN_OPT_SIZE within its `range` too, if `ranged` (a plugin of ABI 1.3
 * or later: before, the field was reserved). */
int cfg_check_option(const struct cairn_option *decl, bool ranged, const char *value,
                     const struct cfg_place *p);

#endif
