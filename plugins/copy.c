/* SPDX-License-Identifier: Apache-2.0 */
/*
 * copy: copy a host file into the root (never a bind: the sandbox gets
 * its own inode, and nothing it does reaches the host's file), as gVisor's
 * runsc/cmd/chroot.go copies /etc/localtime.
 *
 *     [localtime]
 *     plugin = copy
 *     source = /etc/localtime
 *
 * `source` is opened once (symlinks followed: the admin named it), must be
 * a regular file of at most COPY_MAX bytes, and is read to its end through
 * that one descriptor; the copy is made with cairn_write_file() at
 * `target` (default: the same path), a new file (it must not exist), with
 * `mode` (default: the source's, without setuid, setgid and sticky bits).
 * The host file is only read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairn/plugin.h>

#define COPY_MAX (16u << 20) /* 16 MiB: a config file, a zoneinfo, a certificate bundle */

/* Read all of `fd` (a regular file of `size` bytes as fstat said; it may
 * grow or shrink meanwhile: read to the end, at most COPY_MAX). */
static int read_fd(struct cairn_ctx *ctx, int fd, const char *source, size_t size, char **ret,
                   size_t *ret_len)
{
        size_t cap = size + 1, len = 0;
        char *buf = malloc(cap);

        if (!buf)
                return cairn_log_errno(ctx, -ENOMEM, "read %s", source);
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        char *more;

                        if (cap > COPY_MAX) {
                                free(buf);
                                return cairn_log_errno(ctx, -EFBIG, "%s: grew beyond %u bytes while "
                                                       "read", source, COPY_MAX);
                        }
                        more = realloc(buf, cap * 2);
                        if (!more) {
                                free(buf);
                                return cairn_log_errno(ctx, -ENOMEM, "read %s", source);
                        }
                        buf = more;
                        cap *= 2;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int r = -errno;

                        free(buf);
                        return cairn_log_errno(ctx, r, "read %s", source);
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len > COPY_MAX) {
                free(buf);
                return cairn_log_errno(ctx, -EFBIG, "%s: grew beyond %u bytes while read", source,
                                       COPY_MAX);
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

static int copy_setup(struct cairn_ctx *ctx)
{
        const char *source = cairn_ctx_option(ctx, "source");
        const char *target = cairn_ctx_option(ctx, "target");
        const char *mode_s = cairn_ctx_option(ctx, "mode");
        char *data = NULL;
        size_t len = 0;
        struct stat st;
        mode_t mode;
        int fd, r;

        if (!source)
                return cairn_log_errno(ctx, -EINVAL, "no source to copy");
        if (!target)
                target = source;
        fd = open(source, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return cairn_log_errno(ctx, -errno, "open %s", source);
        if (fstat(fd, &st) < 0) {
                r = cairn_log_errno(ctx, -errno, "stat %s", source);
                goto out;
        }
        if (!S_ISREG(st.st_mode)) {
                r = cairn_log_errno(ctx, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL,
                                    "%s is not a regular file: only files are copied", source);
                goto out;
        }
        if (st.st_size > (off_t) COPY_MAX) {
                r = cairn_log_errno(ctx, -EFBIG, "%s is %jd bytes, more than a copy may be (%u); "
                                    "bind it instead", source, (intmax_t) st.st_size, COPY_MAX);
                goto out;
        }
        r = read_fd(ctx, fd, source, (size_t) st.st_size, &data, &len);
        if (r < 0)
                goto out;
        /* "mode" is an octal mode the engine checked. */
        mode = mode_s ? (mode_t) strtoul(mode_s, NULL, 8) : (st.st_mode & 0777);
        r = cairn_write_file(ctx, target, data, len, mode);
out:
        free(data);
        close(fd);
        return r;
}

static int copy_check(struct cairn_ctx *ctx)
{
        const char *source = cairn_ctx_option(ctx, "source");
        const char *target = cairn_ctx_option(ctx, "target");

        if (target ? strcmp(target, "/") == 0 : source && strcmp(source, "/") == 0)
                return cairn_ctx_config_error(ctx, target ? "target" : "source",
                                              "the root itself cannot be a copy");
        return 0;
}

CAIRN_PLUGIN_DEFINE = {
        .abi = CAIRN_ABI_VERSION,
        .name = "copy",
        .summary = "copy a host file into the root (never a bind)",
        .options = (const struct cairn_option[]) {
                { .name = "source", .type = CAIRN_OPT_PATH, .flags = CAIRN_OPT_REQUIRED,
                  .help = "host file to copy (symlinks followed), at most 16 MiB" },
                { .name = "target", .type = CAIRN_OPT_PATH,
                  .help = "where inside the root; default: the same path; must not exist" },
                { .name = "mode", .type = CAIRN_OPT_MODE,
                  .help = "the copy's mode; default: the source's without setuid/setgid/sticky" },
                { .name = NULL },
        },
        .setup = copy_setup,
        .check = copy_check,
};
