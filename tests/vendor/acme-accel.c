/* SPDX-License-Identifier: Apache-2.0 */
/*
 * acme-accel: an example vendor plugin for cairn, built out of cairn's tree
 * against the installed <cairn/plugin.h> and libcairn (see Makefile here:
 * `pkg-config --cflags --libs cairn`, installed to `pkg-config
 * --variable=plugindir cairn`), and switched on by a drop-in.
 *
 * It binds the character devices of ACME's accelerator cards into the root,
 * each at its own path:
 *
 *     [acme-accel]
 *     nodes   = /dev/acme-accel[0-9]*  ; paths or glob(3) patterns
 *     ledger  = /run/acme/leases      ; optional: a host file, see below
 *     control = optional              ; a node without a card still gets a root
 *
 * Every match (pattern by pattern, each pattern's matches sorted; each node
 * once) is opened without following a symlink and
 * must be a character device; the bind goes through that checked descriptor,
 * and the result is checked to be the same device.  A pattern with no match
 * is an error.  Host modes are never changed.
 *
 * The binds are journaled by cairn's helpers, so cairn undoes them without
 * the plugin.  What cairn cannot undo is the plugin's own bookkeeping: with
 * `ledger`, setup appends "bind ROOT NODE" for each node it binds and the
 * teardown hook appends "release ROOT".  cairn runs the hook first when the
 * root is torn down (or setup is rolled back), while the nodes are still
 * mounted, then unmounts them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cairn/plugin.h>

static int negative_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}

/* Append one line to the ledger, if there is one.  One write(2) with
 * O_APPEND: lines of concurrent sessions do not interleave. */
static int ledger_append(struct cairn_ctx *ctx, const char *what, const char *node)
{
        const char *ledger = cairn_ctx_option(ctx, "ledger");
        char line[4096];
        int fd, n, r = 0;

        if (!ledger)
                return 0;
        n = snprintf(line, sizeof line, "%s %s%s%s\n", what, cairn_ctx_root(ctx),
                     node ? " " : "", node ? node : "");
        if (n < 0 || (size_t) n >= sizeof line)
                return cairn_log_errno(ctx, -ENAMETOOLONG, "ledger %s: line too long", ledger);
        fd = open(ledger, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return cairn_log_errno(ctx, negative_errno(), "open ledger %s", ledger);
        if (write(fd, line, (size_t) n) != n)
                r = cairn_log_errno(ctx, negative_errno(), "write ledger %s", ledger);
        if (close(fd) < 0 && r == 0)
                r = cairn_log_errno(ctx, negative_errno(), "close ledger %s", ledger);
        return r;
}

static int bind_node(struct cairn_ctx *ctx, const char *node)
{
        struct stat st, mst;
        int fd, mfd = -1, r;

        fd = open(node, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return cairn_log_errno(ctx, negative_errno(), "open %s", node);
        if (fstat(fd, &st) < 0) {
                r = cairn_log_errno(ctx, negative_errno(), "stat %s", node);
                goto out;
        }
        if (!S_ISCHR(st.st_mode)) {
                r = cairn_log_errno(ctx, -ENODEV, "%s is not a character device", node);
                goto out;
        }
        r = cairn_bind_fd(ctx, fd, node, 0, &mfd);
        if (r < 0)
                goto out; /* the helper said what failed */
        if (fstat(mfd, &mst) < 0)
                r = cairn_log_errno(ctx, negative_errno(), "stat %s in the root", node);
        else if (!S_ISCHR(mst.st_mode) || mst.st_rdev != st.st_rdev)
                r = cairn_log_errno(ctx, -EXDEV, "%s in the root is not the host's %u:%u", node,
                                    major(st.st_rdev), minor(st.st_rdev));
        else {
                cairn_log(ctx, CAIRN_LOG_INFO, "bound %s (%u:%u)", node, major(st.st_rdev),
                          minor(st.st_rdev));
                r = ledger_append(ctx, "bind", node);
        }
        close(mfd);
out:
        close(fd);
        return r;
}

static int acme_setup(struct cairn_ctx *ctx)
{
        glob_t g = { 0 };
        char **patterns = NULL;
        int flags = 0, r;

        r = cairn_ctx_option_list(ctx, "nodes", &patterns);
        if (r < 0)
                return cairn_log_errno(ctx, r, "read option nodes");
        for (size_t i = 0; patterns && patterns[i]; i++) {
                if (patterns[i][0] != '/') {
                        r = cairn_log_errno(ctx, -EINVAL, "nodes: \"%s\" is not absolute",
                                            patterns[i]);
                        goto out;
                }
                switch (glob(patterns[i], flags, NULL, &g)) {
                case 0:
                        break;
                case GLOB_NOMATCH:
                        r = cairn_log_errno(ctx, -ENOENT, "no ACME node matches %s", patterns[i]);
                        goto out;
                default:
                        r = cairn_log_errno(ctx, -EIO, "expand %s", patterns[i]);
                        goto out;
                }
                flags = GLOB_APPEND;
        }
        if (!flags) {
                r = cairn_log_errno(ctx, -EINVAL, "nodes: no node named");
                goto out;
        }
        for (size_t i = 0; i < g.gl_pathc; i++) {
                bool dup = false;

                for (size_t k = 0; k < i && !dup; k++)
                        dup = strcmp(g.gl_pathv[k], g.gl_pathv[i]) == 0;
                if (dup)
                        continue;
                r = bind_node(ctx, g.gl_pathv[i]);
                if (r < 0)
                        goto out;
        }
        r = 0;
out:
        globfree(&g);
        cairn_strv_free(patterns);
        return r;
}

/* Runs first at teardown (and at a rollback), while the nodes are still
 * bound; cairn unmounts them afterwards, from its journal. */
static int acme_teardown(struct cairn_ctx *ctx)
{
        return ledger_append(ctx, "release", NULL);
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "acme-accel",
        .summary = "example vendor plugin: bind ACME accelerator nodes into the root",
        .options = (const struct cairn_option[]) {
                { .name = "nodes", .type = CAIRN_OPT_LIST,
                  .default_value = "/dev/acme-accel[0-9]*",
                  .help = "accelerator nodes: paths or glob patterns (character devices)" },
                { .name = "ledger", .type = CAIRN_OPT_PATH,
                  .help = "host file that records each root's nodes (appended to)" },
                { .name = NULL },
        },
        .setup = acme_setup,
        .teardown = acme_teardown,
};
