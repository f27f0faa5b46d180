/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test plugin "crash": mounts a tmpfs at each of `mounts`, then kills its
 * own process with SIGKILL (no atexit, no cleanup), as a power cut or an
 * OOM kill would in the middle of a setup.  What it leaves behind is for
 * `cairn gc` to finish.
 */
#include <errno.h>
#include <signal.h>

#include <cairn/plugin.h>

static int crash_setup(struct cairn_ctx *ctx)
{
        char **mounts = NULL;
        int r;

        r = cairn_ctx_option_list(ctx, "mounts", &mounts);
        if (r < 0)
                return cairn_log_errno(ctx, r, "read option mounts");
        for (size_t i = 0; mounts && mounts[i]; i++) {
                r = cairn_mount_fs(ctx, "tmpfs", "cairn-test", mounts[i], 0, NULL);
                if (r < 0) {
                        cairn_strv_free(mounts);
                        return cairn_log_errno(ctx, r, "mount tmpfs on %s", mounts[i]);
                }
        }
        cairn_strv_free(mounts);
        {
                const char *sig = cairn_ctx_option(ctx, "signal");

                if (sig && sig[0] == 'S' && sig[1] == 'E')
                        /* A fault of the plugin's own, as a bug would make
                         * (raised: a real NULL write is undefined to the
                         * compiler, and a sanitizer build would catch it). */
                        raise(SIGSEGV);
                raise(sig && sig[0] == 'A' ? SIGABRT : SIGKILL);
        }
        return -EINTR; /* not reached */
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "crash",
        .summary = "test: mount some tmpfs, then die by SIGKILL",
        .options = (const struct cairn_option[]) {
                { .name = "mounts", .type = CAIRN_OPT_LIST,
                  .help = "targets to mount a tmpfs on before dying" },
                { .name = "signal", .type = CAIRN_OPT_CHOICE, .default_value = "KILL",
                  .choices = (const char *const[]) { "KILL", "SEGV", "ABRT", NULL },
                  .help = "how to die: SIGKILL, a NULL write (SIGSEGV), or abort" },
                { .name = NULL },
        },
        .setup = crash_setup,
};
