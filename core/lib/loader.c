/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>

#include "loader.h"
#include "log.h"
#include "trust.h"
#include "util.h"

struct loaded {
        char *name; /* NULL for plugins loaded by path only */
        char *path;
        void *handle; /* NULL for static plugins */
        const struct cairn_plugin *plugin;
};

struct loader {
        char *plugin_dir;
        struct loaded *items;
        size_t n_items;
};

int loader_new(const char *plugin_dir, struct loader **ret)
{
        struct loader *l = calloc(1, sizeof *l);

        if (!l)
                return -ENOMEM;
        if (plugin_dir && !(l->plugin_dir = strdup(plugin_dir))) {
                free(l);
                return -ENOMEM;
        }
        *ret = l;
        return 0;
}

static void loader_done(struct loader *l, bool unload)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n_items; i++) {
                struct loaded *it = &l->items[i];
                if (it->handle && unload)
                        dlclose(it->handle);
                free(it->name);
                free(it->path);
        }
        free(l->items);
        free(l->plugin_dir);
        free(l);
}

void loader_free(struct loader *l)
{
        loader_done(l, true);
}

void loader_free_at_exit(struct loader *l)
{
        loader_done(l, false);
}

static int option_check(const struct cairn_option *o, uint32_t minor, const char *label)
{
        /* The types each minor knows: INT and SIZE came with 1.3. */
        unsigned last = minor >= 3 ? CAIRN_OPT_SIZE : CAIRN_OPT_CHOICE;

        if (!name_is_valid(o->name)) {
                log_error("%s: option name \"%s\" is not [a-z0-9_-]+", label, o->name);
                return -EINVAL;
        }
        if (minor >= 3 && o->range && (o->type != CAIRN_OPT_INT && o->type != CAIRN_OPT_SIZE)) {
                log_error("%s: option \"%s\" has a range but is not an int or size", label, o->name);
                return -EINVAL;
        }
        if (minor >= 3 && o->range && o->range->min > o->range->max) {
                log_error("%s: option \"%s\" has an empty range", label, o->name);
                return -EINVAL;
        }
        if ((unsigned) o->type > last) {
                log_error("%s: option \"%s\" has unknown type %d", label, o->name, (int) o->type);
                return -EINVAL;
        }
        if (o->type == CAIRN_OPT_CHOICE && (!o->choices || !o->choices[0])) {
                log_error("%s: option \"%s\" is a choice without choices", label, o->name);
                return -EINVAL;
        }
        if (streq(o->name, "plugin") || streq(o->name, "when") || streq(o->name, "control")) {
                log_error("%s: option \"%s\" is reserved for the engine", label, o->name);
                return -EINVAL;
        }
        return 0;
}

int plugin_descriptor_check(const struct cairn_plugin *p, const char *label)
{
        uint32_t major = CAIRN_ABI_MAJOR_OF(p->abi);

        if (major != CAIRN_ABI_MAJOR) {
                log_error("%s: plugin ABI %u.%u, but this cairn supports %u.x (built for %u.%u)",
                          label, major, CAIRN_ABI_MINOR_OF(p->abi), CAIRN_ABI_MAJOR,
                          CAIRN_ABI_MAJOR, CAIRN_ABI_MINOR);
                return -EINVAL;
        }
        if (!name_is_valid(p->name)) {
                log_error("%s: plugin name \"%s\" is not [a-z0-9_-]+", label,
                          p->name ? p->name : "(null)");
                return -EINVAL;
        }
        if (!p->setup) {
                log_error("%s: plugin \"%s\" has no setup function", label, p->name);
                return -EINVAL;
        }
        for (const struct cairn_option *o = p->options; o && o->name; o++) {
                int r = option_check(o, CAIRN_ABI_MINOR_OF(p->abi), label);
                if (r < 0)
                        return r;
        }
        return 0;
}

static struct loaded *find(struct loader *l, const char *name, const char *path)
{
        for (size_t i = 0; i < l->n_items; i++) {
                if (name && streq_ptr(l->items[i].name, name))
                        return &l->items[i];
                if (path && streq_ptr(l->items[i].path, path))
                        return &l->items[i];
        }
        return NULL;
}

static int add_item(struct loader *l, struct loaded *it)
{
        struct loaded *n = realloc(l->items, (l->n_items + 1) * sizeof *n);

        if (!n)
                return -ENOMEM;
        l->items = n;
        l->items[l->n_items++] = *it;
        return 0;
}

int loader_add_static(struct loader *l, const struct cairn_plugin *p)
{
        struct loaded it = { .plugin = p };
        int r;

        r = plugin_descriptor_check(p, p->name ? p->name : "(static)");
        if (r < 0)
                return r;
        it.name = strdup(p->name);
        it.path = xasprintf("(built-in %s)", p->name);
        if (!it.name || !it.path || add_item(l, &it) < 0) {
                free(it.name);
                free(it.path);
                return -ENOMEM;
        }
        return 0;
}

/* Check and dlopen one .so, by the path the check walked. */
static int load_file(const char *path, struct loaded *ret)
{
        _cleanup_free_ char *real = NULL;
        const struct cairn_plugin *p;
        void *h;
        int r;

        r = trust_open_real(path, 0, NULL, &real);
        if (r < 0)
                return r;
        /* By the walked path, not a descriptor's magic link: only root can
         * change what it names (trust.h), and glibc then knows the object
         * by a name that stays its own. */
        h = dlopen(real, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                log_error("%s: not a loadable plugin: %s", path, dlerror());
                return -EINVAL;
        }
        p = dlsym(h, CAIRN_PLUGIN_SYMBOL);
        if (!p) {
                log_error("%s: no \"%s\" symbol: not a cairn plugin", path, CAIRN_PLUGIN_SYMBOL);
                dlclose(h);
                return -EINVAL;
        }
        r = plugin_descriptor_check(p, path);
        if (r < 0) {
                dlclose(h);
                return r;
        }
        if (CAIRN_ABI_MINOR_OF(p->abi) > CAIRN_ABI_MINOR)
                log_debug("%s: plugin ABI 1.%u is newer than 1.%u; using what 1.%u knows", path,
                          CAIRN_ABI_MINOR_OF(p->abi), CAIRN_ABI_MINOR, CAIRN_ABI_MINOR);
        *ret = (struct loaded) { .handle = h, .plugin = p };
        return 0;
}

int loader_get_path(struct loader *l, const char *path, const struct cairn_plugin **ret_plugin)
{
        struct loaded it, *found = find(l, NULL, path);
        int r;

        if (found) {
                *ret_plugin = found->plugin;
                return 0;
        }
        r = load_file(path, &it);
        if (r < 0)
                return r;
        it.path = strdup(path);
        if (!it.path || add_item(l, &it) < 0) {
                free(it.path);
                dlclose(it.handle);
                return -ENOMEM;
        }
        *ret_plugin = it.plugin;
        return 0;
}

int loader_get(struct loader *l, const char *name, const struct cairn_plugin **ret_plugin,
               const char **ret_path)
{
        _cleanup_free_ char *path = NULL;
        struct loaded it, *found;
        int r;

        if (!name_is_valid(name)) {
                log_error("plugin name \"%s\" is not [a-z0-9_-]+", name);
                return -EINVAL;
        }
        found = find(l, name, NULL);
        if (found)
                goto done;
        if (!l->plugin_dir) {
                log_error("plugin \"%s\": no plugin directory", name);
                return -ENOENT;
        }
        path = xasprintf("%s/%s.so", l->plugin_dir, name);
        if (!path)
                return -ENOMEM;
        r = load_file(path, &it);
        if (r < 0)
                return r;
        if (!streq(it.plugin->name, name))
                log_debug("%s: calls itself \"%s\"", path, it.plugin->name);
        it.name = strdup(name);
        it.path = TAKE_PTR(path);
        if (!it.name || add_item(l, &it) < 0) {
                free(it.name);
                free(it.path);
                dlclose(it.handle);
                return -ENOMEM;
        }
        found = &l->items[l->n_items - 1];
done:
        if (ret_plugin)
                *ret_plugin = found->plugin;
        if (ret_path)
                *ret_path = found->path;
        return 0;
}

int loader_list(struct loader *l, char ***ret_names)
{
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        d = opendir(l->plugin_dir ? l->plugin_dir : "/nonexistent");
        if (!d)
                return log_errno(negative_errno(), "%s", l->plugin_dir ? l->plugin_dir : "(none)");
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                char stem[256];

                if (n <= 3 || n - 3 >= sizeof stem || !streq(de->d_name + n - 3, ".so"))
                        continue;
                memcpy(stem, de->d_name, n - 3);
                stem[n - 3] = '\0';
                if (!name_is_valid(stem))
                        continue;
                r = strv_push(&names, stem);
                if (r < 0)
                        return r;
        }
        strv_sort(names);
        *ret_names = TAKE_PTR(names);
        return 0;
}
