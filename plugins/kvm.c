/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kvm: bind the KVM character device (`device`, default /dev/kvm) into the
 * root at the same path, with cairn_bind_device(): opened without
 * following a symlink, checked, bound through that descriptor, and never
 * chmod'ed (the seed made /dev/kvm 0777).
 */
#include <string.h>

#include <cairn/plugin.h>

static int kvm_setup(struct cairn_ctx *ctx)
{
        return cairn_bind_device(ctx, cairn_ctx_option(ctx, "device"), CAIRN_DEVICE_CHAR);
}

/* The device is bound at its own path inside the root: not "/". */
static int kvm_check(struct cairn_ctx *ctx)
{
        const char *device = cairn_ctx_option(ctx, "device");

        if (device && strcmp(device, "/") == 0)
                return cairn_ctx_config_error(ctx, "device", "\"/\" is not a device path");
        return 0;
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "kvm",
        .summary = "bind the KVM character device into the root at the same path",
        .options = (const struct cairn_option[]) {
                { .name = "device", .type = CAIRN_OPT_PATH, .default_value = "/dev/kvm",
                  .help = "the host's KVM device node" },
                { .name = NULL },
        },
        .setup = kvm_setup,
        .check = kvm_check,
};
