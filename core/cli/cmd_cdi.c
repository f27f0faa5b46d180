/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cdi: the stack as a CDI spec (Container Device Interface), for podman,
 * containerd and CRI-O (enable_cdi).  One CDI device per enabled entry:
 *   kvm, devices -> deviceNodes with the host node's type, major:minor,
 *                   mode, uid and gid (the runtime adds the device-cgroup
 *                   rule, and the node keeps the host's mode);
 *   binbind      -> a read-only (unless readonly = no) bind mount;
 *   anything else -> a createRuntime/poststop hook pair running
 *                   `cairn oci-hook create|delete --entry NAME`;
 * and "all", the union.  --check FILE says whether FILE is that spec.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cfg_value.h"
#include "cli.h"
#include "json.h"
#include "loader.h"
#include "log.h"
#include "util.h"

static const char cdi_usage[] =
        "Usage: cairn [OPTIONS] cdi [--cdi-version 0.5.0|0.6.0] [--kind VENDOR/CLASS]\n"
        "                           [--output FILE | --check FILE]\n"
        "The stack as a CDI spec: a device per entry (device nodes, read-only binds,\n"
        "or oci-hook hooks), and \"all\".  Default kind: cairn.dev/stack.\n"
        "  --output FILE  write it there, atomically (default: standard output)\n"
        "  --check FILE   exit 0 if FILE is the spec this config gives, 1 if not\n";

struct cdi_opts {
        const char *version, *kind, *output, *check;
};

static bool kind_is_valid(const char *k)
{
        const char *slash = strchr(k, '/');

        if (!slash || slash == k || !slash[1] || strchr(slash + 1, '/'))
                return false;
        for (const char *p = k; *p; p++)
                if (p != slash && !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
                        return false;
        return true;
}

static int parse_cdi(int argc, char *argv[], struct cdi_opts *o)
{
        enum { OPT_VERSION = 0x100, OPT_KIND, OPT_OUTPUT, OPT_CHECK };
        static const struct option opts[] = {
                { "cdi-version", required_argument, NULL, OPT_VERSION },
                { "kind", required_argument, NULL, OPT_KIND },
                { "output", required_argument, NULL, OPT_OUTPUT },
                { "check", required_argument, NULL, OPT_CHECK },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        *o = (struct cdi_opts) { .version = "0.5.0", .kind = "cairn.dev/stack" };
        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (c) {
                case OPT_VERSION:
                        if (!streq(optarg, "0.5.0") && !streq(optarg, "0.6.0")) {
                                log_error("cdi: --cdi-version %s: 0.5.0 or 0.6.0", optarg);
                                return -EINVAL;
                        }
                        o->version = optarg;
                        break;
                case OPT_KIND:
                        if (!kind_is_valid(optarg)) {
                                log_error("cdi: --kind %s: not VENDOR/CLASS", optarg);
                                return -EINVAL;
                        }
                        o->kind = optarg;
                        break;
                case OPT_OUTPUT:
                        o->output = optarg;
                        break;
                case OPT_CHECK:
                        o->check = optarg;
                        break;
                case 'h':
                        printf("%s", cdi_usage);
                        return 1;
                default:
                        fprintf(stderr, "%s", cdi_usage);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                log_error("cdi: unexpected argument \"%s\"", argv[optind]);
                return -EINVAL;
        }
        if (o->output && o->check) {
                log_error("cdi: --output and --check together");
                return -EINVAL;
        }
        return 0;
}

/* A device node of the host, as CDI deviceNodes gives it. */
static int device_node(const char *path, json_t *nodes)
{
        struct stat st;
        json_t *n;

        if (stat(path, &st) < 0)
                return log_errno(negative_errno(), "cdi: %s", path);
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
                log_error("cdi: %s is not a device node", path);
                return -ENODEV;
        }
        n = json_pack("{s:o, s:s, s:I, s:I, s:i, s:I, s:I}", "path", json_text(path), "type",
                      S_ISCHR(st.st_mode) ? "c" : "b", "major", (json_int_t) major(st.st_rdev), "minor",
                      (json_int_t) minor(st.st_rdev), "fileMode", (int) (st.st_mode & 07777), "uid",
                      (json_int_t) st.st_uid, "gid", (json_int_t) st.st_gid);
        return n && json_array_append_new(nodes, n) == 0 ? 0 : -ENOMEM;
}

/* Each of the `devices` entry's patterns, expanded as the plugin does. */
static int devices_nodes(const struct cfg_entry *e, json_t *nodes)
{
        _cleanup_free_ char *list = NULL;
        const char *v = cfg_entry_value(e, "devices"), *missing = cfg_entry_value(e, "missing");
        char *save = NULL;
        int r = 0;

        list = strdup(v ? v : "");
        if (!list)
                return -ENOMEM;
        for (char *w = strtok_r(list, " ,\t", &save); w && r >= 0; w = strtok_r(NULL, " ,\t", &save)) {
                glob_t g;
                /* Sorted: the same spec each time, for --check. */
                int k = glob(w, 0, NULL, &g);

                if (k == GLOB_NOMATCH) {
                        if (!missing || !streq(missing, "skip")) {
                                log_error("cdi: [%s] devices: %s matches nothing", e->name, w);
                                r = -ENOENT;
                        }
                        continue;
                }
                if (k != 0)
                        return log_errno(-EIO, "cdi: [%s] devices: %s", e->name, w);
                for (size_t i = 0; i < g.gl_pathc && r >= 0; i++)
                        r = device_node(g.gl_pathv[i], nodes);
                globfree(&g);
        }
        return r;
}

static int bind_mount(const struct cfg_entry *e, json_t *mounts)
{
        const char *source = cfg_entry_value(e, "source"), *target = cfg_entry_value(e, "target"),
                   *ro = cfg_entry_value(e, "readonly"), *rec = cfg_entry_value(e, "recursive");
        _cleanup_free_ char *copy = NULL, *deflt = NULL;
        bool readonly = true, recursive = false;
        json_t *m;

        if (!source)
                return -EINVAL;
        if (!target) {
                copy = strdup(source);
                deflt = copy ? xasprintf("/%s", basename(copy)) : NULL;
                if (!deflt)
                        return -ENOMEM;
                target = deflt;
        }
        if (ro)
                (void) cfg_parse_bool(ro, &readonly);
        if (rec)
                (void) cfg_parse_bool(rec, &recursive);
        m = json_pack("{s:o, s:o, s:[s, s, s]}", "hostPath", json_text(source), "containerPath",
                      json_text(target), "options", readonly ? "ro" : "rw", "nosuid",
                      recursive ? "rbind" : "bind");
        return m && json_array_append_new(mounts, m) == 0 ? 0 : -ENOMEM;
}

/* The words that run this cairn again, as it was run: its binary and
 * config (absolute), confdir and --set variables. */
struct self {
        char exe[PATH_MAX];
        char *config, *confdir;
        const struct cfg_vars *vars;
};

static json_t *hook(const struct self *me, const char *stage, const char *verb, const char *entry)
{
        json_t *args = json_pack("[s, s, o, s, o]", "cairn", "-c", json_text(me->config), "--confdir",
                                 json_text(me->confdir));

        for (size_t i = 0; args && i < me->vars->n; i++) {
                _cleanup_free_ char *a = xasprintf("%s=%s", me->vars->names[i], me->vars->values[i]);
                if (!a || json_array_append_new(args, json_string("--set")) < 0 ||
                    json_array_append_new(args, json_text(a)) < 0) {
                        json_decref(args);
                        return NULL;
                }
        }
        if (!args || json_array_append_new(args, json_string("oci-hook")) < 0 ||
            json_array_append_new(args, json_string(verb)) < 0 ||
            json_array_append_new(args, json_string("--entry")) < 0 ||
            json_array_append_new(args, json_string(entry)) < 0) {
                json_decref(args);
                return NULL;
        }
        return json_pack("{s:s, s:o, s:o}", "hookName", stage, "path", json_text(me->exe), "args", args);
}

static int hooks_of(const struct self *me, const struct cfg_entry *e, json_t *hooks)
{
        if (json_array_append_new(hooks, hook(me, "createRuntime", "create", e->name)) < 0 ||
            json_array_append_new(hooks, hook(me, "poststop", "delete", e->name)) < 0)
                return -ENOMEM;
        return 0;
}

/* The containerEdits of one entry, added to `edits` (an object whose
 * deviceNodes, mounts and hooks arrays are made as needed). */
static int entry_edits(const struct self *me, const struct cfg_entry *e, json_t *edits)
{
        const char *kinds[] = { "deviceNodes", "mounts", "hooks" };
        json_t *a[3];

        for (size_t i = 0; i < 3; i++) {
                a[i] = json_object_get(edits, kinds[i]);
                if (!a[i]) {
                        a[i] = json_array();
                        if (!a[i] || json_object_set_new(edits, kinds[i], a[i]) < 0)
                                return -ENOMEM;
                }
        }
        if (streq(e->plugin_name, "kvm"))
                return device_node(cfg_entry_value(e, "device") ? cfg_entry_value(e, "device") : "/dev/kvm",
                                   a[0]);
        if (streq(e->plugin_name, "devices"))
                return devices_nodes(e, a[0]);
        if (streq(e->plugin_name, "binbind"))
                return bind_mount(e, a[1]);
        return hooks_of(me, e, a[2]);
}

/* Drop the empty arrays of an edits object: CDI wants none there. */
static void prune(json_t *edits)
{
        const char *kinds[] = { "deviceNodes", "mounts", "hooks" };

        for (size_t i = 0; i < 3; i++) {
                json_t *v = json_object_get(edits, kinds[i]);
                if (v && json_array_size(v) == 0)
                        json_object_del(edits, kinds[i]);
        }
}

static json_t *build_spec(const struct cdi_opts *o, const struct cfg *cfg, const struct self *me)
{
        json_t *devices = json_array(), *all = json_object(), *spec;

        if (!devices || !all)
                goto fail;
        for (size_t i = 0; i < cfg->n_entries; i++) {
                const struct cfg_entry *e = &cfg->entries[i];
                json_t *edits = json_object(), *d;

                if (!e->enabled) {
                        json_decref(edits);
                        continue;
                }
                if (!edits || entry_edits(me, e, edits) < 0 || entry_edits(me, e, all) < 0) {
                        json_decref(edits);
                        goto fail;
                }
                prune(edits);
                d = json_pack("{s:s, s:o}", "name", e->name, "containerEdits", edits);
                if (!d || json_array_append_new(devices, d) < 0)
                        goto fail;
        }
        prune(all);
        if (json_array_append_new(devices, json_pack("{s:s, s:o}", "name", "all", "containerEdits", all)) < 0) {
                all = NULL;
                goto fail;
        }
        spec = json_pack("{s:s, s:s, s:o}", "cdiVersion", o->version, "kind", o->kind, "devices", devices);
        return spec;
fail:
        json_decref(devices);
        json_decref(all);
        return NULL;
}

/* Write `text` to `path` atomically: a new file beside it, synced, then
 * renamed over it. */
static int write_atomic(const char *path, const char *text)
{
        _cleanup_free_ char *copy = strdup(path), *tmp = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        if (!copy)
                return -ENOMEM;
        tmp = xasprintf("%s/.%s.XXXXXX", dirname(copy), strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
        if (!tmp)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return log_errno(negative_errno(), "cdi: create %s", tmp);
        r = write_all(fd, text, strlen(text));
        if (r >= 0 && fchmod(fd, 0644) < 0)
                r = negative_errno();
        if (r >= 0 && fsync(fd) < 0)
                r = negative_errno();
        if (r >= 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0) {
                (void) unlink(tmp);
                return log_errno(r, "cdi: write %s", path);
        }
        return 0;
}

static int check_spec(const char *path, json_t *want)
{
        json_error_t err;
        json_t *have = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
        int status;

        if (!have) {
                log_error("cdi: %s: %s (line %d)", path, err.text, err.line);
                return EXIT_USAGE;
        }
        if (json_equal(have, want)) {
                log_info("%s is the spec of this config", path);
                status = EXIT_DONE;
        } else {
                log_error("%s is not the spec this config gives (run cairn cdi --output %s)", path, path);
                status = EXIT_SETUP_FAILED;
        }
        json_decref(have);
        return status;
}

int cmd_cdi(struct cli *cli, int argc, char *argv[])
{
        struct self me = { .vars = &cli->vars };
        struct cdi_opts o;
        struct cfg *cfg = NULL;
        struct loader *l = NULL;
        _cleanup_free_ char *text = NULL;
        json_t *spec = NULL;
        ssize_t n;
        int r, status = EXIT_USAGE;

        r = parse_cdi(argc, argv, &o);
        if (r != 0)
                return r > 0 ? EXIT_DONE : EXIT_USAGE;
        n = readlink("/proc/self/exe", me.exe, sizeof me.exe - 1);
        if (n <= 0)
                return log_errno(negative_errno(), "cdi: which binary is this"), EXIT_USAGE;
        me.exe[n] = '\0';
        me.config = realpath(cli->config, NULL);
        me.confdir = cli->confdir ? realpath(cli->confdir, NULL) : NULL;
        if (!me.config) {
                log_errno(negative_errno(), "cdi: %s", cli->config);
                goto out;
        }
        if (!me.confdir)
                me.confdir = strdup(cli->confdir ? cli->confdir : "/nonexistent");
        if (cli_load(cli, 0, &cfg, &l) < 0)
                goto out;
        spec = build_spec(&o, cfg, &me);
        if (!spec)
                goto out;
        if (o.check) {
                status = check_spec(o.check, spec);
                goto out;
        }
        text = json_dumps(spec, JSON_INDENT(2));
        if (!text)
                goto out;
        if (o.output)
                status = write_atomic(o.output, text) == 0 ? EXIT_DONE : EXIT_SETUP_FAILED;
        else
                status = printf("%s\n", text) > 0 && fflush(stdout) == 0 ? EXIT_DONE : EXIT_SETUP_FAILED;
out:
        json_decref(spec);
        free(me.config);
        free(me.confdir);
        loader_free_at_exit(l);
        cfg_free(cfg);
        return status;
}
