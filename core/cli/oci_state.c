/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "oci_state.h"
#include "root.h"
#include "util.h"

#define STATE_MAX (1 << 20)  /* bytes of state on stdin */
#define CONFIG_MAX (4 << 20) /* bytes of config.json */

/* A string field: present (unless optional), a string, no NUL in it, at
 * most `max` bytes.  *ret (copied) stays NULL for an absent optional one. */
static int get_string(json_t *obj, const char *what, const char *key, bool optional, size_t max,
                      char **ret)
{
        json_t *v = json_object_get(obj, key);
        size_t n;

        *ret = NULL;
        if (!v) {
                if (optional)
                        return 0;
                log_error("%s: no \"%s\"", what, key);
                return -EINVAL;
        }
        if (!json_is_string(v)) {
                log_error("%s: \"%s\" is not a string", what, key);
                return -EINVAL;
        }
        n = json_string_length(v);
        if (n == 0 || n > max || memchr(json_string_value(v), '\0', n)) {
                log_error("%s: \"%s\" is empty, too long or holds a NUL", what, key);
                return -EINVAL;
        }
        *ret = strndup(json_string_value(v), n);
        return *ret ? 0 : -ENOMEM;
}

/* A container id as runtimes make them: printable, no blank, no '/'
 * (cairn puts it in messages and its journal, never in a path). */
static bool id_is_valid(const char *id)
{
        for (const unsigned char *p = (const unsigned char *) id; *p; p++)
                if (*p <= ' ' || *p >= 0x7f || *p == '/' || *p == '\\')
                        return false;
        return true;
}

static int get_annotations(json_t *obj, const char *what, struct oci_state *st)
{
        json_t *a = json_object_get(obj, "annotations"), *v;
        const char *key;

        if (!a || json_is_null(a))
                return 0;
        if (!json_is_object(a)) {
                log_error("%s: \"annotations\" is not an object", what);
                return -EINVAL;
        }
        json_object_foreach(a, key, v) {
                struct oci_annotation *more;

                if (!json_is_string(v) || memchr(json_string_value(v), '\0', json_string_length(v))) {
                        log_error("%s: annotation \"%s\" is not a string", what, key);
                        return -EINVAL;
                }
                if (oci_annotation(st, key))
                        continue; /* the state's own, before config.json's */
                more = realloc(st->annotations, (st->n_annotations + 1) * sizeof *more);
                if (!more)
                        return -ENOMEM;
                st->annotations = more;
                more[st->n_annotations] = (struct oci_annotation) {
                        .key = strdup(key), .value = strdup(json_string_value(v)) };
                if (!more[st->n_annotations].key || !more[st->n_annotations].value) {
                        free(more[st->n_annotations].key);
                        free(more[st->n_annotations].value);
                        return -ENOMEM;
                }
                st->n_annotations++;
        }
        return 0;
}

int oci_state_parse(const char *buf, size_t len, bool need_pid, struct oci_state *ret)
{
        _cleanup_(oci_state_clear) struct oci_state st = { .bundle_fd = -1 };
        static const char what[] = "OCI state on stdin";
        json_error_t err;
        json_t *root, *pid;
        int r = -EINVAL;

        root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
        if (!root) {
                log_error("%s: not JSON: %s (line %d, column %d)", what, err.text, err.line, err.column);
                return -EINVAL;
        }
        if (!json_is_object(root)) {
                log_error("%s: not a JSON object", what);
                goto out;
        }
        if ((r = get_string(root, what, "id", false, 1024, &st.id)) < 0 ||
            (r = get_string(root, what, "bundle", false, PATH_MAX - 64, &st.bundle)) < 0 ||
            (r = get_string(root, what, "status", true, 64, &st.status)) < 0)
                goto out;
        r = -EINVAL;
        if (!id_is_valid(st.id)) {
                log_error("%s: \"id\" is not a container id (printable, no blank, no '/')", what);
                goto out;
        }
        if (st.bundle[0] != '/') {
                log_error("%s: \"bundle\" %s is not an absolute path", what, st.bundle);
                goto out;
        }
        pid = json_object_get(root, "pid");
        if (pid && !json_is_integer(pid)) {
                log_error("%s: \"pid\" is not an integer", what);
                goto out;
        }
        if (pid && (json_integer_value(pid) < 0 || json_integer_value(pid) > INT_MAX)) {
                log_error("%s: \"pid\" %lld is not a process id", what, (long long) json_integer_value(pid));
                goto out;
        }
        st.pid = pid ? (pid_t) json_integer_value(pid) : 0;
        if (need_pid && st.pid <= 1) {
                log_error("%s: \"pid\" is %s: the hook needs the container's process (run it at "
                          "createRuntime, where the runtime gives it; see cairn-oci(7))",
                          what, pid ? (st.pid == 1 ? "1" : "0") : "missing");
                goto out;
        }
        r = get_annotations(root, what, &st);
        if (r < 0)
                goto out;
        *ret = st;
        st = (struct oci_state) { .bundle_fd = -1 };
        r = 0;
out:
        json_decref(root);
        return r;
}

int oci_state_read(int fd, bool need_pid, struct oci_state *ret)
{
        _cleanup_free_ char *buf = malloc(STATE_MAX + 1);
        size_t len = 0;

        if (!buf)
                return -ENOMEM;
        /* Never more than the limit and a byte, whatever the writer sends. */
        while (len <= STATE_MAX) {
                ssize_t n = read(fd, buf + len, STATE_MAX + 1 - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return log_errno(negative_errno(), "read the OCI state on stdin");
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len > STATE_MAX) {
                log_error("OCI state on stdin: more than %d bytes", STATE_MAX);
                return -EINVAL;
        }
        return oci_state_parse(buf, len, need_pid, ret);
}

/* The host id the container's 0 maps to in a linux.uidMappings-style
 * array; `*found` false if there is none (no user namespace). */
static int map_zero(json_t *maps, const char *what, const char *key, bool *found, unsigned *ret)
{
        json_t *m;
        size_t i;

        *found = false;
        if (!maps || json_is_null(maps))
                return 0;
        if (!json_is_array(maps)) {
                log_error("%s: linux.%s is not an array", what, key);
                return -EINVAL;
        }
        json_array_foreach(maps, i, m) {
                json_t *c = json_object_get(m, "containerID"), *h = json_object_get(m, "hostID"),
                       *n = json_object_get(m, "size");
                json_int_t ci, hi, sz;

                if (!json_is_integer(c) || !json_is_integer(h) || !json_is_integer(n)) {
                        log_error("%s: linux.%s[%zu] lacks containerID, hostID or size", what, key, i);
                        return -EINVAL;
                }
                ci = json_integer_value(c);
                hi = json_integer_value(h);
                sz = json_integer_value(n);
                if (ci < 0 || hi < 0 || sz <= 0 || ci > UINT32_MAX || hi > UINT32_MAX - sz) {
                        log_error("%s: linux.%s[%zu] is not a mapping", what, key, i);
                        return -EINVAL;
                }
                if (ci == 0) {
                        *found = true;
                        *ret = (unsigned) hi;
                }
        }
        return 0;
}

/* openat2() beneath `dfd`, no magic links: what a bundle's relative
 * root.path may lead to (a symlink inside the bundle is followed, one
 * out of it is refused with EXDEV). */
static int open_in_bundle(int dfd, const char *path, int flags)
{
        struct open_how how = { .flags = (uint64_t) (flags | O_CLOEXEC),
                                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
        long fd = syscall(SYS_openat2, dfd, path, &how, sizeof how);

        return fd < 0 ? negative_errno() : (int) fd;
}

int oci_bundle_load(struct oci_state *st)
{
        _cleanup_free_ char *buf = NULL, *what = xasprintf("%s/config.json", st->bundle);
        _cleanup_close_ int cfd = -1, rfd = -1;
        json_t *cfg = NULL, *root, *linux_, *ro;
        json_error_t err;
        _cleanup_free_ char *path = NULL;
        bool found_u = false, found_g = false;
        unsigned u = 0, g = 0;
        struct stat sb;
        size_t len;
        int r = -EINVAL;

        if (!what)
                return -ENOMEM;
        st->bundle_fd = open(st->bundle, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (st->bundle_fd < 0) {
                r = negative_errno();
                log_error("bundle %s: %s", st->bundle,
                          r == -ELOOP || r == -ENOTDIR ? "not a directory (a symlink, or a file)" : strerror(-r));
                return -EINVAL;
        }
        cfd = open_in_bundle(st->bundle_fd, "config.json", O_RDONLY | O_NOFOLLOW);
        if (cfd < 0) {
                log_errno(cfd, "%s", what);
                return -EINVAL;
        }
        if (fstat(cfd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > CONFIG_MAX) {
                log_error("%s: not a regular file of at most %d bytes", what, CONFIG_MAX);
                return -EINVAL;
        }
        r = read_all(cfd, (size_t) sb.st_size, &buf, &len);
        if (r < 0)
                return log_errno(r, "read %s", what);
        cfg = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
        if (!cfg) {
                log_error("%s: not JSON: %s (line %d, column %d)", what, err.text, err.line, err.column);
                return -EINVAL;
        }
        r = -EINVAL;
        root = json_object_get(cfg, "root");
        if (!json_is_object(cfg) || !json_is_object(root)) {
                log_error("%s: no \"root\" object", what);
                goto out;
        }
        if ((r = get_string(root, what, "path", false, PATH_MAX - 64, &path)) < 0)
                goto out;
        r = -EINVAL;
        ro = json_object_get(root, "readonly");
        if (ro && !json_is_boolean(ro)) {
                log_error("%s: root.readonly is not a boolean", what);
                goto out;
        }
        st->readonly = ro && json_is_true(ro);
        if (path[0] == '/') {
                rfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                st->rootfs = strdup(path);
        } else {
                rfd = open_in_bundle(st->bundle_fd, path, O_PATH | O_DIRECTORY);
                if (rfd == -EXDEV) {
                        log_error("%s: root.path \"%s\" leaves the bundle", what, path);
                        goto out;
                }
                st->rootfs = xasprintf("%s/%s", st->bundle, path);
        }
        if (!st->rootfs) {
                r = -ENOMEM;
                goto out;
        }
        if (rfd < 0) {
                log_errno(rfd, "%s: root.path %s", what, st->rootfs);
                goto out;
        }
        if (fd_identity(rfd, &st->rootfs_dev, &st->rootfs_ino) < 0)
                goto out;
        linux_ = json_object_get(cfg, "linux");
        if (linux_ && !json_is_object(linux_)) {
                log_error("%s: \"linux\" is not an object", what);
                goto out;
        }
        if (map_zero(json_object_get(linux_, "uidMappings"), what, "uidMappings", &found_u, &u) < 0 ||
            map_zero(json_object_get(linux_, "gidMappings"), what, "gidMappings", &found_g, &g) < 0)
                goto out;
        st->userns = found_u || found_g;
        st->root_uid = found_u ? (uid_t) u : 0;
        st->root_gid = found_g ? (gid_t) g : 0;
        r = get_annotations(cfg, what, st);
out:
        json_decref(cfg);
        return r;
}

const char *oci_annotation(const struct oci_state *st, const char *key)
{
        for (size_t i = 0; i < st->n_annotations; i++)
                if (streq(st->annotations[i].key, key))
                        return st->annotations[i].value;
        return NULL;
}

void oci_state_clear(struct oci_state *st)
{
        free(st->id);
        free(st->status);
        free(st->bundle);
        free(st->rootfs);
        for (size_t i = 0; i < st->n_annotations; i++) {
                free(st->annotations[i].key);
                free(st->annotations[i].value);
        }
        free(st->annotations);
        if (st->bundle_fd >= 0)
                close(st->bundle_fd);
        *st = (struct oci_state) { .bundle_fd = -1 };
}
