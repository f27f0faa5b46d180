/* SPDX-License-Identifier: Apache-2.0 */
/* What a plugin can ask of its context: names, options, logging. */
#include <stdio.h>
#include <strings.h>

#include "ctx.h"
#include "log.h"
#include "util.h"

#define CAIRN_API __attribute__((visibility("default")))

CAIRN_API const char *cairn_ctx_entry(const struct cairn_ctx *ctx)
{
        return ctx->entry;
}

CAIRN_API const char *cairn_ctx_root(const struct cairn_ctx *ctx)
{
        return ctx->s->root;
}

CAIRN_API int cairn_ctx_root_fd(const struct cairn_ctx *ctx)
{
        return ctx->s->root_fd;
}

CAIRN_API const char *cairn_ctx_option(const struct cairn_ctx *ctx, const char *name)
{
        for (size_t i = 0; i < ctx->n_values; i++)
                if (streq(ctx->keys[i], name))
                        return ctx->values[i];
        for (const struct cairn_option *o = ctx->plugin ? ctx->plugin->options : NULL; o && o->name; o++)
                if (streq(o->name, name))
                        return o->default_value;
        return NULL;
}

CAIRN_API bool cairn_ctx_option_bool(const struct cairn_ctx *ctx, const char *name, bool def)
{
        static const char *const yes[] = { "yes", "true", "on", "1" };
        const char *v = cairn_ctx_option(ctx, name);

        if (!v)
                return def;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(v, yes[i]) == 0)
                        return true;
        return false; /* the config layer has already refused anything else */
}

CAIRN_API void cairn_strv_free(char **strv)
{
        strv_freep(&strv);
}

CAIRN_API int cairn_ctx_option_list(const struct cairn_ctx *ctx, const char *name, char ***ret)
{
        _cleanup_strv_free_ char **v = NULL;
        _cleanup_free_ char *copy = NULL;
        const char *value = cairn_ctx_option(ctx, name);
        char *save = NULL;

        if (value) {
                copy = strdup(value);
                if (!copy)
                        return -ENOMEM;
                for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save))
                        if (strv_push(&v, w) < 0)
                                return -ENOMEM;
        }
        if (!v) {
                v = calloc(1, sizeof(char *));
                if (!v)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

static void ctx_logv(const struct cairn_ctx *ctx, int level, const char *fmt, va_list ap)
{
        char buf[4096];

        vsnprintf(buf, sizeof buf, fmt, ap);
        log_msg(level, "[%s] %s", ctx->entry, buf);
}

CAIRN_API void cairn_log(const struct cairn_ctx *ctx, int level, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        ctx_logv(ctx, level, fmt, ap);
        va_end(ap);
}

CAIRN_API int cairn_log_errno(const struct cairn_ctx *ctx, int err, const char *fmt, ...)
{
        char buf[4096];
        va_list ap;

        if (err > 0)
                err = -err;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        log_msg(CAIRN_LOG_ERR, "[%s] %s: %s", ctx->entry, buf, strerror(-err));
        return err;
}
