/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The --set variables: storage, ${NAME} expansion and `when` conditions.
 *
 * There is deliberately no escape for a literal "${": no value that cairn
 * needs contains one, and an escape syntax is one more thing to get wrong.
 */
#include <stdio.h>

#include "vars.h"
#include "log.h"
#include "util.h"

bool var_name_is_valid(const char *name)
{
        if (!name || !((*name >= 'A' && *name <= 'Z') || (*name >= 'a' && *name <= 'z') || *name == '_'))
                return false;
        for (name++; *name; name++)
                if (!((*name >= 'A' && *name <= 'Z') || (*name >= 'a' && *name <= 'z') ||
                      (*name >= '0' && *name <= '9') || *name == '_'))
                        return false;
        return true;
}

static ssize_t vars_find(const struct cfg_vars *vars, const char *name)
{
        for (size_t i = 0; i < vars->n; i++)
                if (streq(vars->names[i], name))
                        return (ssize_t) i;
        return -1;
}

int vars_set(struct cfg_vars *vars, const char *assignment)
{
        _cleanup_free_ char *name = NULL, *value = NULL;
        const char *eq = strchr(assignment, '=');
        char **nn, **nv;
        ssize_t i;

        if (!eq) {
                log_error("--set \"%s\": expected NAME=VALUE", assignment);
                return -EINVAL;
        }
        name = strndup(assignment, (size_t) (eq - assignment));
        value = strdup(eq + 1);
        if (!name || !value)
                return log_errno(-ENOMEM, "--set");
        if (!var_name_is_valid(name)) {
                log_error("--set \"%s\": invalid variable name \"%s\" (use [A-Za-z_][A-Za-z0-9_]*)",
                          assignment, name);
                return -EINVAL;
        }

        i = vars_find(vars, name);
        if (i >= 0) {
                free(vars->values[i]);
                vars->values[i] = TAKE_PTR(value);
                return 0;
        }

        /* Grow both arrays before storing anything, so a failure leaves
         * `vars` as it was. */
        nn = realloc(vars->names, (vars->n + 1) * sizeof(char *));
        if (!nn)
                return log_errno(-ENOMEM, "--set");
        vars->names = nn;
        nv = realloc(vars->values, (vars->n + 1) * sizeof(char *));
        if (!nv)
                return log_errno(-ENOMEM, "--set");
        vars->values = nv;
        vars->names[vars->n] = TAKE_PTR(name);
        vars->values[vars->n] = TAKE_PTR(value);
        vars->n++;
        return 0;
}

const char *vars_get(const struct cfg_vars *vars, const char *name)
{
        ssize_t i;

        if (!vars || !name)
                return NULL;
        i = vars_find(vars, name);
        return i < 0 ? NULL : vars->values[i];
}

void vars_clear(struct cfg_vars *vars)
{
        if (!vars)
                return;
        for (size_t i = 0; i < vars->n; i++) {
                free(vars->names[i]);
                free(vars->values[i]);
        }
        free(vars->names);
        free(vars->values);
        *vars = (struct cfg_vars) {};
}

int vars_expand(const struct cfg_vars *vars, const char *value, const struct cfg_place *p,
                char **ret)
{
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        FILE *f;
        int r = 0;

        f = open_memstream(&out, &len);
        if (!f)
                return log_errno(-ENOMEM, "expanding variables");

        for (const char *c = value; *c && r == 0;) {
                const char *end;
                _cleanup_free_ char *name = NULL;
                const char *v;

                if (c[0] != '$' || c[1] != '{') {
                        fputc(*c++, f);
                        continue;
                }
                end = strchr(c + 2, '}');
                if (!end) {
                        r = cfg_error(p, "unterminated \"${\" in \"%s\"", value);
                        break;
                }
                name = strndup(c + 2, (size_t) (end - c - 2));
                if (!name) {
                        r = log_errno(-ENOMEM, "expanding variables");
                        break;
                }
                if (!var_name_is_valid(name)) {
                        r = cfg_error(p, "invalid variable name \"%s\" in ${%s}", name, name);
                        break;
                }
                v = vars_get(vars, name);
                if (!v) {
                        r = cfg_error(p, "${%s} is not set (use --set %s=...)", name, name);
                        break;
                }
                fputs(v, f);
                c = end + 1;
        }

        if (fclose(f) != 0 && r == 0)
                r = log_errno(-ENOMEM, "expanding variables");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}

static char *strip(char *s)
{
        char *e;

        while (*s == ' ' || *s == '\t')
                s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                *--e = '\0';
        return s;
}

int when_evaluate(const struct cfg_vars *vars, const char *when, const struct cfg_place *p,
                  bool *ret_enabled)
{
        _cleanup_free_ char *copy = NULL;
        bool enabled = true;
        char *item, *rest;

        copy = strdup(when);
        if (!copy)
                return log_errno(-ENOMEM, "when");

        /* An empty `when` means "no condition": a drop-in can clear the
         * condition the main file set. */
        if (*strip(copy) == '\0') {
                *ret_enabled = true;
                return 0;
        }

        rest = copy;
        do {
                char *eq, *name, *value;
                const char *v;

                item = rest;
                rest = strchr(rest, ',');
                if (rest)
                        *rest++ = '\0';
                item = strip(item);
                if (*item == '\0')
                        return cfg_error(p, "empty condition in \"%s\" (expected NAME=VALUE[, NAME=VALUE...])",
                                         when);
                eq = strchr(item, '=');
                if (!eq)
                        return cfg_error(p, "condition \"%s\" is not NAME=VALUE", item);
                *eq = '\0';
                name = strip(item);
                value = strip(eq + 1);
                if (!var_name_is_valid(name))
                        return cfg_error(p, "invalid variable name \"%s\" in condition", name);

                /* Evaluate every condition anyway: each must be well-formed. */
                v = vars_get(vars, name);
                if (!v || !streq(v, value))
                        enabled = false;
        } while (rest);

        *ret_enabled = enabled;
        return 0;
}

/* The variable names a `when` compares ("K=V[, K=V...]"), each passed to
 * `fn` with its length; stops at the first error. */
int when_each_name(const char *when, int (*fn)(const char *name, size_t len, void *ud), void *ud)
{
        for (const char *c = when; c && *c;) {
                const char *comma = strchrnul(c, ','), *eq = memchr(c, '=', (size_t) (comma - c));
                const char *a = c, *b = eq ? eq : comma;
                int r;

                while (a < b && (*a == ' ' || *a == '\t'))
                        a++;
                while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
                        b--;
                if (b > a && (r = fn(a, (size_t) (b - a), ud)) < 0)
                        return r;
                c = *comma ? comma + 1 : comma;
        }
        return 0;
}

