/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Entries meet their plugins: every key an entry sets must be one its
 * plugin declares, with a value of the declared type, and every required
 * key must be set -- all before anything is mounted (the value syntax is
 * cfg_value.c's), and then a plugin's own check of them together.
 */
#include <limits.h>
#include <stdio.h>
#include <strings.h>

#include "cfg_bind.h"
#include "cfg_value.h"
#include "config.h"
#include "ctx.h"
#include "loader.h"
#include "log.h"
#include "util.h"

static const struct cairn_option *plugin_option(const struct cairn_plugin *pl, const char *key)
{
        for (const struct cairn_option *o = pl->options; o && o->name; o++)
                if (streq(o->name, key))
                        return o;
        return NULL;
}

static int unknown_key(const struct cfg_entry *e, const struct cairn_plugin *pl,
                       const struct cfg_place *p)
{
        _cleanup_free_ char *list = NULL;
        size_t len = 0;
        FILE *f;

        if (!pl->options || !pl->options[0].name)
                return cfg_error(p, "unknown key (plugin %s accepts no keys)", e->plugin_name);
        f = open_memstream(&list, &len);
        if (!f)
                return log_errno(-ENOMEM, "%s", p->file);
        for (const struct cairn_option *o = pl->options; o->name; o++)
                fprintf(f, "%s%s", o == pl->options ? "" : ", ", o->name);
        if (fclose(f) != 0)
                return log_errno(-ENOMEM, "%s", p->file);
        return cfg_error(p, "unknown key (plugin %s accepts: %s)", e->plugin_name, list);
}

static int entry_check(const struct cfg_entry *e, const struct cairn_plugin *pl)
{
        int r;

        for (size_t i = 0; i < e->n_options; i++) {
                const struct cfg_option *o = &e->options[i];
                struct cfg_place p = { o->where.file, o->where.line, e->name, o->key };
                const struct cairn_option *decl = plugin_option(pl, o->key);

                if (!decl)
                        return unknown_key(e, pl, &p);
                /* A skipped entry is not expanded; what it cannot know yet
                 * it does not check. */
                if (!e->enabled && strstr(o->value, "${"))
                        continue;
                r = cfg_check_option(decl, CAIRN_ABI_MINOR_OF(pl->abi) >= 3, o->value, &p);
                if (r < 0)
                        return r;
        }

        for (const struct cairn_option *o = pl->options; o && o->name; o++) {
                bool set = false;

                if (!(o->flags & CAIRN_OPT_REQUIRED))
                        continue;
                for (size_t i = 0; i < e->n_options && !set; i++)
                        set = streq(e->options[i].key, o->name);
                if (!set)
                        return cfg_error(&(struct cfg_place) { e->where.file, e->where.line, e->name, o->name },
                                         "required key is missing");
        }
        return 0;
}

/* The plugin's own check of the entry's options together (ABI 1.1). */
static int entry_plugin_check(const struct cfg_entry *e, const struct cairn_plugin *pl)
{
        int r = ctx_call_entry(NULL, e, pl, pl->check, "check");

        if (r == 0)
                return 0;
        /* A refusal the plugin did not explain is still named. */
        if (r != -EINVAL)
                cfg_log(CAIRN_LOG_ERR, &(struct cfg_place) { e->where.file, e->where.line, e->name, NULL },
                        "plugin %s refused the entry (its check returned %d)", e->plugin_name, r);
        return -EINVAL;
}

int cfg_bind_plugins(struct cfg *cfg, struct loader *loader)
{
        for (size_t i = 0; i < cfg->n_entries; i++) {
                struct cfg_entry *e = &cfg->entries[i];
                const struct cairn_plugin *pl;
                const char *path;
                int r;

                /* A skipped entry whose plugin name is made of variables
                 * cannot be bound; it will not run either. */
                if (!e->enabled && strstr(e->plugin_name, "${")) {
                        log_debug("[%s]: skipped, and its plugin \"%s\" is not expanded; not checked",
                                  e->name, e->plugin_name);
                        continue;
                }
                /* Held: a missing plugin of an optional entry is a
                 * warning below, not the loader's error. */
                log_hold();
                r = loader_get(loader, e->plugin_name, &pl, &path);
                log_release_held(r == -ENOENT && e->control == CFG_OPTIONAL);
                if (r == -ENOENT && e->control == CFG_OPTIONAL) {
                        /* A vendor's package removed, its drop-in left: an
                         * optional entry does not stop every setup. */
                        cfg_log(CAIRN_LOG_WARNING,
                                &(struct cfg_place) { e->plugin_where.file, e->plugin_where.line, e->name, "plugin" },
                                "plugin \"%s\" is not installed; the optional entry is skipped", e->plugin_name);
                        e->enabled = false;
                        e->plugin_missing = true;
                        continue;
                }
                if (r < 0) {
                        cfg_log(CAIRN_LOG_ERR,
                                &(struct cfg_place) { e->plugin_where.file, e->plugin_where.line, e->name, "plugin" },
                                "cannot load plugin \"%s\"", e->plugin_name);
                        return r;
                }
                r = entry_check(e, pl);
                if (r < 0)
                        return r;
                /* A skipped entry is not expanded: nothing to check yet. */
                if (e->enabled && pl->check && CAIRN_ABI_MINOR_OF(pl->abi) >= 1) {
                        r = entry_plugin_check(e, pl);
                        if (r < 0)
                                return r;
                }
                e->plugin = pl;
                e->plugin_path = path;
        }
        return 0;
}
