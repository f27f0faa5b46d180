/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `--set NAME=VALUE` variables: ${NAME} in values, and `when`.
 */
#ifndef CAIRN_VARS_H
#define CAIRN_VARS_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg_place.h"

/* The `--set NAME=VALUE` variables, for ${NAME} and `when`.  A later
 * assignment of the same name replaces the earlier one. */
struct cfg_vars {
        char **names;
        char **values;
        size_t n;
};
/* Parse "NAME=VALUE" (NAME is [A-Za-z_][A-Za-z0-9_]*); -EINVAL, logged. */
int vars_set(struct cfg_vars *vars, const char *assignment);
const char *vars_get(const struct cfg_vars *vars, const char *name);
void vars_clear(struct cfg_vars *vars);

/* [A-Za-z_][A-Za-z0-9_]* */
bool var_name_is_valid(const char *name);
/* Expand ${NAME} in `value`; `$` not followed by `{` is literal.  An
 * unterminated ${, a bad name or an unset variable is an error at `p`. */
int vars_expand(const struct cfg_vars *vars, const char *value, const struct cfg_place *p,
                char **ret);
/* Parse `when` ("K=V[, K=V...]"; empty: no condition) and evaluate it:
 * true iff every K is set and equal to V.  A malformed list is an error
 * at `p`. */
int when_evaluate(const struct cfg_vars *vars, const char *when, const struct cfg_place *p,
                  bool *ret_enabled);

/* Each variable name `when` compares ("K=V[, K=V...]"), passed to `fn`
 * with its length (not NUL-terminated); the first error stops it. */
int when_each_name(const char *when, int (*fn)(const char *name, size_t len, void *ud), void *ud);

#endif
