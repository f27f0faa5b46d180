/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test plugin "hook": a plugin with a teardown of its own, that changes the
 * system by its own means as well as through the helpers.  Setup makes
 * `target` (cairn_mkdir, journaled) and mounts a tmpfs there with mount(2)
 * itself; its teardown unmounts that tmpfs.  With `crash_once = FILE`, the
 * teardown kills its process (SIGKILL) the first time, when FILE does not
 * exist yet (it creates it): a vendor's teardown that crashes half-way.
 * With `strict = yes`, the teardown fails if its tmpfs is not mounted
 * there (cairn-plugin(7) promises it is, until the teardown has run).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cairn/plugin.h>

static int where(struct cairn_ctx *ctx, char *buf, size_t size)
{
        const char *t = cairn_ctx_option(ctx, "target");

        if ((size_t) snprintf(buf, size, "%s%s", cairn_ctx_root(ctx), t) >= size)
                return -ENAMETOOLONG;
        return 0;
}

static int hook_setup(struct cairn_ctx *ctx)
{
        char path[4096];
        int r;

        r = cairn_mkdir(ctx, cairn_ctx_option(ctx, "target"), 0755);
        if (r < 0)
                return r;
        r = where(ctx, path, sizeof path);
        if (r < 0)
                return r;
        if (mount("cairn-test-hook", path, "tmpfs", 0, NULL) < 0)
                return cairn_log_errno(ctx, -errno, "mount tmpfs on %s", path);
        return 0;
}

static int hook_teardown(struct cairn_ctx *ctx)
{
        const char *once = cairn_ctx_option(ctx, "crash_once");
        char path[4096];
        int r;

        if (once) {
                int fd = open(once, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

                if (fd >= 0) {
                        close(fd);
                        raise(SIGKILL);
                }
        }
        r = where(ctx, path, sizeof path);
        if (r < 0)
                return r;
        const char *strict = cairn_ctx_option(ctx, "strict");
        if (umount2(path, UMOUNT_NOFOLLOW) < 0 && ((errno != EINVAL && errno != ENOENT) ||
                                                   (strict && !strcmp(strict, "yes"))))
                return cairn_log_errno(ctx, -errno, "unmount %s", path);
        return 0;
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "hook",
        .summary = "test: mount a tmpfs by itself, unmount it in its own teardown",
        .options = (const struct cairn_option[]) {
                { .name = "target", .type = CAIRN_OPT_PATH, .flags = CAIRN_OPT_REQUIRED,
                  .help = "where to mount the tmpfs" },
                { .name = "crash_once", .type = CAIRN_OPT_PATH,
                  .help = "die in teardown the first time, creating this file" },
                { .name = "strict", .type = CAIRN_OPT_STRING,
                  .help = "yes: fail in teardown if the tmpfs is not mounted" },
                { .name = NULL },
        },
        .setup = hook_setup,
        .teardown = hook_teardown,
};
