/* SPDX-License-Identifier: Apache-2.0 */
/* What a plugin can ask of its context: names, options, logging. */
#include <signal.h>
#include <unistd.h>
#include <stdio.h>

#include "cfg_value.h"
#include "config.h"
#include "ctx.h"
#include "log.h"
#include "util.h"

CAIRN_API const char *cairn_ctx_entry(const struct cairn_ctx *ctx)
{
        return ctx->entry;
}

CAIRN_API const char *cairn_ctx_root(const struct cairn_ctx *ctx)
{
        return ctx->s ? ctx->s->root : NULL;
}

CAIRN_API int cairn_ctx_root_fd(const struct cairn_ctx *ctx)
{
        return ctx->s ? ctx->s->root_fd : -1;
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
        const char *v = cairn_ctx_option(ctx, name);
        bool b;

        /* Read exactly as the config layer checked it. */
        return v && cfg_parse_bool(v, &b) ? b : def;
}

CAIRN_API int cairn_ctx_option_int(const struct cairn_ctx *ctx, const char *name, int64_t def,
                                   int64_t *ret)
{
        const struct cairn_option *o = ctx->plugin ? ctx->plugin->options : NULL;
        const char *v = cairn_ctx_option(ctx, name);
        bool size = false;

        *ret = def;
        if (!v)
                return -ENOENT;
        for (; o && o->name; o++)
                if (streq(o->name, name))
                        size = o->type == CAIRN_OPT_SIZE;
        /* Read exactly as the config layer checked it. */
        return cfg_parse_int(v, size, ret) ? 0 : -EINVAL;
}

CAIRN_API void cairn_strv_free(char **strv)
{
        strv_freep(&strv);
}

CAIRN_API int cairn_ctx_option_list(const struct cairn_ctx *ctx, const char *name, char ***ret)
{
        const char *value = cairn_ctx_option(ctx, name);

        return cfg_split_words(value ? value : "", ret);
}

__attribute__((format(printf, 3, 0)))
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

CAIRN_API int cairn_ctx_config_error(const struct cairn_ctx *ctx, const char *key, const char *fmt, ...)
{
        const struct cfg_entry *e = ctx->cfg;
        struct cfg_place p = { .section = ctx->entry, .key = key };
        char buf[3072];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (e) {
                p.file = e->where.file;
                p.line = e->where.line;
                for (size_t i = 0; key && i < e->n_options; i++)
                        if (streq(e->options[i].key, key)) {
                                p.file = e->options[i].where.file;
                                p.line = e->options[i].where.line;
                        }
        }
        return cfg_error(&p, "%s", buf);
}

/* While a plugin runs: the line to say if it crashes, made before the
 * call, written from the signal handler with write(2) alone. */
static char crash_line[512];
static size_t crash_len;

static void plugin_crashed(int sig)
{
        /* Async-signal-safe: one write, then the default action again
         * (SA_RESETHAND), so the process dies of the same signal and the
         * session stays for gc. */
        if (crash_len)
                (void) !write(STDERR_FILENO, crash_line, crash_len);
        raise(sig);
}

static void crash_watch(const struct cairn_ctx *ctx, const char *what)
{
        static bool installed;
        int n = snprintf(crash_line, sizeof crash_line,
                         "cairn: [%s] plugin %s crashed in its %s (a fault in the plugin); the session "
                         "is left for `cairn gc`\n",
                         ctx->entry ? ctx->entry : "?", ctx->plugin && ctx->plugin->name ? ctx->plugin->name : "?",
                         what);

        crash_len = n > 0 ? (size_t) n < sizeof crash_line ? (size_t) n : sizeof crash_line - 1 : 0;
        if (!installed) {
                struct sigaction sa = { .sa_handler = plugin_crashed, .sa_flags = SA_RESETHAND | SA_NODEFER };
                static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE };

                for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
                        (void) sigaction(sigs[i], &sa, NULL);
                installed = true;
        }
}

int ctx_call(struct cairn_ctx *ctx, int (*fn)(struct cairn_ctx *), const char *what)
{
        int r;

        crash_watch(ctx, what);
        r = fn(ctx);
        crash_len = 0;

        if (r > 0) {
                log_error("[%s] %s returned %d, not 0 or -errno; taken as a failure", ctx->entry, what, r);
                return -EPROTO;
        }
        return r;
}

int ctx_call_entry(struct session *s, const struct cfg_entry *e, const struct cairn_plugin *p,
                   int (*fn)(struct cairn_ctx *), const char *what)
{
        _cleanup_free_ const char **keys = calloc(e->n_options + 1, sizeof(char *));
        _cleanup_free_ const char **values = calloc(e->n_options + 1, sizeof(char *));
        struct cairn_ctx ctx = { .s = s, .cfg = e, .entry = e->name, .plugin = p,
                                 .keys = keys, .values = values, .n_values = e->n_options };

        if (!keys || !values)
                return log_errno(-ENOMEM, "[%s]", e->name);
        for (size_t i = 0; i < e->n_options; i++) {
                keys[i] = e->options[i].key;
                values[i] = e->options[i].value;
        }
        return ctx_call(&ctx, fn, what);
}
