/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci-hook create|delete: cairn as an OCI runtime hook (cairn-oci(7)).
 * create, at createRuntime: the container's state on stdin, its bundle's
 * rootfs as --root, its process as --owner, the stack built in the
 * container's mount namespace; delete, at poststop: that session, found by
 * (container id, bundle), torn down.  Nothing on stdout; every message
 * carries the container id.
 */
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "loader.h"
#include "log.h"
#include "oci_state.h"
#include "root.h"
#include "sessions.h"
#include "util.h"
#include "where.h"

#define ANNOTATION_SET "cairn.set."

static const char oci_usage[] =
        "Usage: cairn [OPTIONS] oci-hook create|delete [--entry NAME]\n"
        "An OCI runtime hook: the container's state on stdin.\n"
        "  create   at createRuntime: build the stack into the container's rootfs,\n"
        "           in its mount namespace, owned by its process\n"
        "  delete   at poststop: tear that session down (exit 0 if there is none)\n"
        "  --entry NAME  only the stack's entry NAME (a session of its own)\n"
        "Annotations cairn.set.NAME=VALUE set the variables [cairn] oci_variables names.\n";

static int parse_oci(int argc, char *argv[], bool *create, const char **entry)
{
        static const struct option opts[] = {
                { "entry", required_argument, NULL, 'e' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        /* 0, not 1: getopt starts afresh and permutes, so --entry may come
         * after the verb (as the CDI hooks give it). */
        optind = 0;
        *entry = NULL;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'e':
                        if (!name_is_valid(optarg)) {
                                log_error("oci-hook: --entry \"%s\": not an entry name", optarg);
                                return -EINVAL;
                        }
                        *entry = optarg;
                        break;
                case 'h':
                        printf("%s", oci_usage);
                        return 1;
                default:
                        fprintf(stderr, "%s", oci_usage);
                        return -EINVAL;
                }
        }
        if (optind + 1 != argc || (!streq(argv[optind], "create") && !streq(argv[optind], "delete"))) {
                log_error("oci-hook: give create or delete");
                fprintf(stderr, "%s", oci_usage);
                return -EINVAL;
        }
        *create = streq(argv[optind], "create");
        return 0;
}

/* The annotations cairn.set.NAME=VALUE, as variables: each NAME must be
 * one [cairn] oci_variables allows (an annotation is whoever created the
 * container speaking, and a variable may name a host path).  The hook's
 * own --set wins over an annotation. */
static int annotation_vars(const struct oci_state *st, char **allowed, struct cfg_vars *vars)
{
        for (size_t i = 0; i < st->n_annotations; i++) {
                const char *key = st->annotations[i].key, *name = key + strlen(ANNOTATION_SET);
                _cleanup_free_ char *assign = NULL;
                bool ok = false;

                if (strncmp(key, ANNOTATION_SET, strlen(ANNOTATION_SET)) != 0)
                        continue;
                for (char **a = allowed; a && *a && !ok; a++)
                        ok = streq(*a, name);
                if (!ok || !var_name_is_valid(name)) {
                        log_error("annotation %s: %s is not a variable [cairn] oci_variables allows "
                                  "(refused; nothing done)", key, name);
                        return -EINVAL;
                }
                if (vars_get(vars, name))
                        continue;
                assign = xasprintf("%s=%s", name, st->annotations[i].value);
                if (!assign || vars_set(vars, assign) < 0)
                        return -EINVAL;
        }
        return 0;
}

static char *session_key(const struct oci_state *st, const char *entry)
{
        return entry ? xasprintf("%s %s", st->id, entry) : strdup(st->id);
}

/* The container's mount namespace, from its process: not the hook's own
 * (then the pid is not the container's, or the runtime shares the host's
 * namespace, where --root does the job). */
static int container_ns(const struct oci_state *st, int *ret_fd)
{
        _cleanup_close_ int fd = -1;
        struct mntns theirs;
        struct where here;
        char path[64];

        snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int) st->pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                log_errno(negative_errno(), "pid %d: its mount namespace (%s)", (int) st->pid, path);
                return -EINVAL;
        }
        if (mntns_of_fd(fd, &theirs) < 0 || where_here(&here) < 0)
                return log_errno(-EIO, "pid %d: which mount namespace", (int) st->pid);
        if (mntns_same(&theirs, &here.ns)) {
                log_error("pid %d is not the container's: it is in the hook's own mount namespace",
                          (int) st->pid);
                return -EINVAL;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int dir_identity(const char *path, uint64_t *dev, uint64_t *ino)
{
        struct stat sb;

        if (stat(path, &sb) < 0)
                return negative_errno();
        *dev = (uint64_t) sb.st_dev;
        *ino = (uint64_t) sb.st_ino;
        return 0;
}

static int oci_create(struct cli *cli, struct oci_state *st, const char *entry)
{
        _cleanup_free_ char *key = session_key(st, entry);
        struct setup_result res = { .root_fd = -1 };
        struct given_root root = { .fd = -1 };
        _cleanup_close_ int nsfd = -1, sfd = -1;
        struct cfg *settings = NULL, *cfg = NULL;
        struct loader *l = NULL;
        struct setup_opts o = {};
        struct journal *j = NULL;
        uint64_t sdev = 0, sino = 0, dev, ino;
        int r, status = EXIT_USAGE;

        if (!key)
                return EXIT_SETUP_FAILED;
        if (oci_bundle_load(st) < 0)
                return EXIT_USAGE;
        /* [cairn] first: oci_variables says which annotations may set what. */
        if (cfg_load_settings(cli->config, cli->confdir, &settings) < 0)
                return EXIT_USAGE;
        r = annotation_vars(st, settings->oci_variables, &cli->vars);
        cfg_free(settings);
        if (r < 0)
                return EXIT_USAGE;
        if (container_ns(st, &nsfd) < 0)
                return EXIT_USAGE;
        o.owner = st->pid;
        if (process_start_time(o.owner, &o.owner_start) < 0) {
                log_error("pid %d: no such process", (int) st->pid);
                return EXIT_USAGE;
        }
        if (cli_load(cli, CFG_DIR_STATE, &cfg, &l) < 0)
                return EXIT_USAGE;
        if (entry) {
                bool found = false;

                for (size_t i = 0; i < cfg->n_entries; i++) {
                        if (streq(cfg->entries[i].name, entry))
                                found = true;
                        else
                                cfg->entries[i].enabled = false;
                }
                if (!found) {
                        log_error("--entry %s: no such entry in the stack", entry);
                        goto out;
                }
        }
        /* Already set up (a runtime may run the hook twice): nothing to do.
         * One left by a create that died: taken down, then made again. */
        r = session_find_oci(cfg->state_dir, key, st->bundle, &j);
        if (r < 0) {
                status = EXIT_LEFTOVER;
                goto out;
        }
        if (r > 0) {
                struct session_info si;

                r = session_info_from_journal(j, true, &si);
                if (r >= 0 && si.state == SESSION_READY) {
                        log_info("session %s is set up already", si.id);
                        session_info_clear(&si);
                        journal_free(j);
                        status = EXIT_DONE;
                        goto out;
                }
                if (r >= 0)
                        session_info_clear(&si);
                if (engine_teardown_journal(j, -1, l) < 0) {
                        status = EXIT_LEFTOVER;
                        goto out;
                }
        }
        /* Made (0700) and trusted as setup would; its identity, to find
         * it again in the container's namespace. */
        r = state_dir_open(cfg->state_dir, &sfd);
        if (r >= 0)
                r = fd_identity(sfd, &sdev, &sino);
        if (r < 0) {
                log_errno(r, "state_dir %s", cfg->state_dir);
                status = EXIT_SETUP_FAILED;
                goto out;
        }
        /* Into the container's mount namespace: its rootfs, with the
         * runtime's mounts in it, is there. */
        if (setns(nsfd, CLONE_NEWNS) < 0) {
                log_errno(negative_errno(), "enter the mount namespace of pid %d", (int) st->pid);
                status = EXIT_SETUP_FAILED;
                goto out;
        }
        if (dir_identity(cfg->state_dir, &dev, &ino) < 0 || dev != sdev || ino != sino) {
                log_error("state_dir %s is not the same directory in the container's mount namespace: "
                          "nothing done", cfg->state_dir);
                status = EXIT_SETUP_FAILED;
                goto out;
        }
        if (given_root_open(st->rootfs, &root) < 0) {
                status = EXIT_SETUP_FAILED;
                goto out;
        }
        if (root.dev != st->rootfs_dev || root.ino != st->rootfs_ino) {
                log_error("rootfs %s is another directory in the container's mount namespace: nothing "
                          "done", st->rootfs);
                status = EXIT_SETUP_FAILED;
                goto out;
        }
        o.root = &root;
        if (st->userns) {
                /* Owned by the container's root, as it sees them. */
                o.chown_made = true;
                o.uid = st->root_uid;
                o.gid = st->root_gid;
        }
        o.oci_key = key;
        o.oci_bundle = st->bundle;
        r = engine_setup(cfg, l, &o, &res);
        status = r == 0 ? EXIT_DONE : r == -EBUSY ? EXIT_LEFTOVER : r == -EEXIST ? EXIT_USAGE
                                                                               : EXIT_SETUP_FAILED;
        if (r == 0)
                log_info("session %s set up in %s", res.id, st->rootfs);
out:
        setup_result_clear(&res);
        given_root_clear(&root);
        loader_free_at_exit(l);
        cfg_free(cfg);
        return status;
}

static int oci_delete(struct cli *cli, const struct oci_state *st, const char *entry)
{
        _cleanup_free_ char *key = session_key(st, entry);
        struct cfg *cfg = NULL;
        struct loader *l = NULL;
        struct journal *j = NULL;
        int r, status;

        if (!key)
                return EXIT_SETUP_FAILED;
        if (cli_load_settings(cli, CFG_DIR_STATE | CFG_DIR_STATE_MAY_LACK, &cfg, &l) < 0)
                return EXIT_USAGE;
        r = session_find_oci(cfg->state_dir, key, st->bundle, &j);
        if (r == 0) {
                log_info("no session for this container (torn down already?)");
                status = EXIT_DONE;
        } else if (r < 0)
                status = EXIT_LEFTOVER;
        else
                status = engine_teardown_journal(j, -1, l) < 0 ? EXIT_LEFTOVER : EXIT_DONE;
        loader_free_at_exit(l);
        cfg_free(cfg);
        return status;
}

int cmd_oci_hook(struct cli *cli, int argc, char *argv[])
{
        _cleanup_(oci_state_clear) struct oci_state st = { .bundle_fd = -1 };
        const char *entry;
        bool create;
        int r;

        r = parse_oci(argc, argv, &create, &entry);
        if (r != 0)
                return r > 0 ? EXIT_DONE : EXIT_USAGE;
        if (oci_state_read(STDIN_FILENO, create, &st) < 0)
                return EXIT_USAGE;
        log_set_tag(st.id);
        return create ? oci_create(cli, &st, entry) : oci_delete(cli, &st, entry);
}
