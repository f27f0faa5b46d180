/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test plugin "fail": mounts a tmpfs at each of `mounts` (inside the root),
 * then fails with `errno` (a name such as EIO, or a number).  It proves
 * that a failed entry's partial work, and the entries before it, are
 * rolled back.
 */
#include <errno.h>

#include <cairn/plugin.h>

#include "../errno-names.h"

static int fail_setup(struct cairn_ctx *ctx)
{
        const char *e = cairn_ctx_option(ctx, "errno");
        char **mounts = NULL;
        int err, r;

        err = errno_from_name(e ? e : "EIO");
        if (err < 0)
                return cairn_log_errno(ctx, -EINVAL, "errno = \"%s\" is not an errno name or number",
                                       e);

        r = cairn_ctx_option_list(ctx, "mounts", &mounts);
        if (r < 0)
                return cairn_log_errno(ctx, r, "read option mounts");
        for (size_t i = 0; mounts && mounts[i]; i++) {
                r = cairn_mount_fs(ctx, "tmpfs", "cairn-test", mounts[i], 0, NULL);
                if (r < 0) {
                        cairn_log_errno(ctx, r, "mount tmpfs on %s", mounts[i]);
                        break;
                }
        }
        cairn_strv_free(mounts);
        if (r < 0)
                return r;
        return cairn_log_errno(ctx, -err, "failing on purpose");
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "fail",
        .summary = "test: mount some tmpfs, then fail",
        .options = (const struct cairn_option[]) {
                { .name = "errno", .type = CAIRN_OPT_STRING, .default_value = "EIO",
                  .help = "the error to fail with: a name (EIO) or a number" },
                { .name = "mounts", .type = CAIRN_OPT_LIST,
                  .help = "targets to mount a tmpfs on before failing" },
                { .name = NULL },
        },
        .setup = fail_setup,
};
