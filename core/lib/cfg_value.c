/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The value syntax of a config (modes, booleans, lists, paths, choices),
 * in one place, so that [cairn], the check of an entry's options and the
 * plugin context read a value exactly as it was checked.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <strings.h>

#include "cfg_value.h"
#include "log.h"
#include "util.h"

bool cfg_parse_mode(const char *s, mode_t *ret)
{
        mode_t m = 0;

        if (!s || !*s)
                return false;
        for (; *s; s++) {
                if (*s < '0' || *s > '7')
                        return false;
                m = m * 8 + (mode_t) (*s - '0');
                if (m > 07777) /* also keeps many digits from overflowing */
                        return false;
        }
        *ret = m;
        return true;
}

bool cfg_parse_bool(const char *s, bool *ret)
{
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };

        if (!s)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return true;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return true;
                }
        }
        return false;
}

bool cfg_size_is_valid(const char *s)
{
        size_t digits = s ? strspn(s, "0123456789") : 0;
        int64_t n;

        /* A percentage of memory (tmpfs takes it); else a size. */
        if (digits > 0 && digits <= 3 && streq(s + digits, "%"))
                return (n = strtol(s, NULL, 10)) >= 1 && n <= 100;
        return cfg_parse_int(s, true, &n) && n > 0;
}

bool cfg_parse_int(const char *s, bool size, int64_t *ret)
{
        static const char suffixes[] = "kmgt";
        bool neg = false;
        uint64_t v = 0, limit;
        const char *c = s;
        unsigned shift = 0;

        if (!s || !*s)
                return false;
        if (*c == '-' && !size) {
                neg = true;
                c++;
        }
        if (*c < '0' || *c > '9')
                return false;
        limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
        for (; *c >= '0' && *c <= '9'; c++) {
                unsigned d = (unsigned) (*c - '0');

                if (v > (limit - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        if (*c && size) {
                const char *x = strchr(suffixes, *c | 0x20);

                if (!x || !*x)
                        return false;
                shift = 10 * (unsigned) (x - suffixes + 1);
                c++;
        }
        if (*c)
                return false;
        if (shift && v > (limit >> shift))
                return false;
        v <<= shift;
        *ret = neg ? (int64_t) (0 - v) : (int64_t) v;
        return true;
}

int cfg_split_words(const char *s, char ***ret)
{
        _cleanup_strv_free_ char **v = NULL;
        int r;

        v = calloc(1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (;;) {
                size_t n;
                _cleanup_free_ char *w = NULL;

                s += strspn(s, " \t,");
                n = strcspn(s, " \t,");
                if (n == 0)
                        break;
                w = strndup(s, n);
                if (!w)
                        return -ENOMEM;
                r = strv_push(&v, w);
                if (r < 0)
                        return r;
                s += n;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

int cfg_check_value(enum cairn_option_type type, const char *const *choices, const char *value,
                    const struct cfg_place *p)
{
        _cleanup_strv_free_ char **words = NULL;
        int64_t n;
        mode_t m;
        bool b;
        int r;

        switch (type) {
        case CAIRN_OPT_STRING:
                return 0;
        case CAIRN_OPT_INT:
                if (cfg_parse_int(value, false, &n))
                        return 0;
                return cfg_error(p, "\"%s\" is not a decimal integer (from %" PRId64 " to %" PRId64 ")",
                                 value, INT64_MIN, INT64_MAX);
        case CAIRN_OPT_SIZE:
                if (cfg_parse_int(value, true, &n))
                        return 0;
                return cfg_error(p, "\"%s\" is not a size (bytes, or a number with the suffix k, m, "
                                    "g or t)", value);
        case CAIRN_OPT_PATH:
                if (path_is_normalized_absolute(value))
                        return 0;
                if (!*value)
                        return cfg_error(p, "empty path");
                if (value[0] != '/')
                        return cfg_error(p, "\"%s\" is not an absolute path", value);
                if (strlen(value) >= PATH_MAX)
                        return cfg_error(p, "path is too long");
                return cfg_error(p, "\"%s\" is not a normalized path (no \"//\", \".\" or \"..\" "
                                    "components, no trailing \"/\")", value);
        case CAIRN_OPT_BOOL:
                if (cfg_parse_bool(value, &b))
                        return 0;
                return cfg_error(p, "\"%s\" is not a boolean (use yes/no, true/false, on/off or 1/0)",
                                 value);
        case CAIRN_OPT_MODE:
                if (cfg_parse_mode(value, &m))
                        return 0;
                return cfg_error(p, "\"%s\" is not an octal mode from 0 to 07777", value);
        case CAIRN_OPT_LIST:
                r = cfg_split_words(value, &words);
                if (r < 0)
                        return log_errno(r, "%s", p->file);
                if (!words[0])
                        return cfg_error(p, "empty list (at least one word is needed)");
                return 0;
        case CAIRN_OPT_CHOICE: {
                char list[1024] = "";
                size_t len = 0;

                for (size_t i = 0; choices && choices[i]; i++) {
                        if (streq(choices[i], value))
                                return 0;
                        len += (size_t) snprintf(list + len, len < sizeof list ? sizeof list - len : 0,
                                                 "%s%s", i ? ", " : "", choices[i]);
                        if (len >= sizeof list)
                                len = sizeof list - 1;
                }
                return cfg_error(p, "\"%s\" is not one of: %s", value, list);
        }
        }
        return cfg_error(p, "option of unknown type %d", (int) type);
}

int cfg_check_option(const struct cairn_option *decl, bool ranged, const char *value,
                     const struct cfg_place *p)
{
        const struct cairn_int_range *range = ranged ? decl->range : NULL;
        bool size = decl->type == CAIRN_OPT_SIZE;
        int64_t n;
        int r;

        r = cfg_check_value(decl->type, decl->choices, value, p);
        if (r < 0 || (decl->type != CAIRN_OPT_INT && !size) || !range)
                return r;
        (void) cfg_parse_int(value, size, &n);
        if (n >= range->min && n <= range->max)
                return 0;
        return cfg_error(p, "%s is out of range (%" PRId64 " to %" PRId64 "%s)", value, range->min,
                         range->max, size ? " bytes" : "");
}
