/* SPDX-License-Identifier: Apache-2.0 */
/*
 * devices: bind host device nodes into the root, each at its own path.
 *
 *     [gpu]
 *     plugin  = devices
 *     devices = /dev/nvidia* /dev/dri/renderD128
 *     missing = skip          ; error (default) | skip
 *
 * Each word of `devices` is an absolute path or a glob(3) pattern; its
 * matches are bound in sorted order, each by cairn_bind_device(): opened
 * without following a symlink, it must be a character or block device (a
 * symlink, a regular file or a directory that matches is an error naming
 * it, so a pattern cannot be used to bind arbitrary host files), and is
 * bound through the checked descriptor.  A pattern with no match is an
 * error, or a notice with `missing = skip`.  Host modes are never changed.
 */
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/plugin.h>

/* Absolute, and no empty, "." or ".." component: the match is used as a
 * path inside the root too. */
static bool pattern_is_valid(const char *p)
{
        if (p[0] != '/' || p[1] == '\0')
                return false;
        for (const char *c = p + 1;;) {
                size_t n = strcspn(c, "/");

                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                if (!c[n])
                        return true;
                c += n + 1;
        }
}

static bool seen(char *const *paths, size_t n, const char *path)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(paths[i], path) == 0)
                        return true;
        return false;
}

/* Bind every match of one pattern.  `bound` collects what is already bound
 * (by earlier patterns too), so overlapping patterns do not stack mounts. */
static int bind_pattern(struct cairn_ctx *ctx, const char *pattern, bool skip_missing,
                        char ***bound, size_t *n_bound)
{
        glob_t g = { 0 };
        int r = 0;

        if (!pattern_is_valid(pattern))
                return cairn_log_errno(ctx, -EINVAL,
                                       "device pattern \"%s\" is not an absolute path without "
                                       "\".\" or \"..\"",
                                       pattern);

        switch (glob(pattern, 0, NULL, &g)) {
        case 0:
                break;
        case GLOB_NOMATCH:
                globfree(&g);
                if (skip_missing) {
                        cairn_log(ctx, CAIRN_LOG_NOTICE, "no device matches %s; skipped", pattern);
                        return 0;
                }
                return cairn_log_errno(ctx, -ENOENT, "no device matches %s", pattern);
        case GLOB_NOSPACE:
                globfree(&g);
                return cairn_log_errno(ctx, -ENOMEM, "expand %s", pattern);
        default:
                globfree(&g);
                return cairn_log_errno(ctx, -EIO, "expand %s: read error", pattern);
        }

        for (size_t i = 0; i < g.gl_pathc && r >= 0; i++) {
                const char *path = g.gl_pathv[i];
                char **n;

                if (seen(*bound, *n_bound, path))
                        continue;
                r = cairn_bind_device(ctx, path, CAIRN_DEVICE_CHAR | CAIRN_DEVICE_BLOCK);
                if (r < 0)
                        break;
                n = realloc(*bound, (*n_bound + 1) * sizeof *n);
                if (!n || !(n[*n_bound] = strdup(path))) {
                        if (n)
                                *bound = n;
                        r = cairn_log_errno(ctx, -ENOMEM, "bind %s", path);
                        break;
                }
                *bound = n;
                (*n_bound)++;
        }
        globfree(&g);
        return r;
}

static int devices_setup(struct cairn_ctx *ctx)
{
        const char *missing = cairn_ctx_option(ctx, "missing");
        bool skip_missing = missing && strcmp(missing, "skip") == 0;
        char **patterns = NULL, **bound = NULL;
        size_t n_bound = 0;
        int r;

        r = cairn_ctx_option_list(ctx, "devices", &patterns);
        if (r < 0)
                return cairn_log_errno(ctx, r, "read option devices");
        if (!patterns || !patterns[0])
                r = cairn_log_errno(ctx, -EINVAL, "devices: no device named");

        for (size_t i = 0; r >= 0 && patterns && patterns[i]; i++)
                r = bind_pattern(ctx, patterns[i], skip_missing, &bound, &n_bound);

        for (size_t i = 0; i < n_bound; i++)
                free(bound[i]);
        free(bound);
        cairn_strv_free(patterns);
        return r < 0 ? r : 0;
}

/* Each pattern is used as a path inside the root too: a relative one, or
 * one with "." or "..", is a config error, not a failed setup. */
static int devices_check(struct cairn_ctx *ctx)
{
        char **patterns = NULL;
        int r;

        r = cairn_ctx_option_list(ctx, "devices", &patterns);
        if (r < 0)
                return cairn_log_errno(ctx, r, "read option devices");
        for (size_t i = 0; r == 0 && patterns && patterns[i]; i++)
                if (!pattern_is_valid(patterns[i]))
                        r = cairn_ctx_config_error(ctx, "devices",
                                                   "\"%s\" is not an absolute path without \".\" "
                                                   "or \"..\" components",
                                                   patterns[i]);
        cairn_strv_free(patterns);
        return r;
}

static const char *const missing_choices[] = { "error", "skip", NULL };

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "devices",
        .summary = "bind host device nodes (globs allowed) into the root at the same paths",
        .options = (const struct cairn_option[]) {
                { .name = "devices", .type = CAIRN_OPT_LIST, .flags = CAIRN_OPT_REQUIRED,
                  .help = "device paths or glob patterns, separated by blanks or commas" },
                { .name = "missing", .type = CAIRN_OPT_CHOICE, .default_value = "error",
                  .help = "a pattern that matches nothing: error or skip",
                  .choices = missing_choices },
                { .name = NULL },
        },
        .setup = devices_setup,
        .check = devices_check,
};
