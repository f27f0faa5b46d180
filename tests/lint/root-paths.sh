#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# No root is used by its path after it was first opened (issue 11): every
# realpath(), chdir() and chroot() call in cairn's own code is one of those
# listed here, each with the reason it is not a root's path used again.
# A new one fails this test until it is added with its reason (or goes).
# fchdir() takes a descriptor and is not looked for.  Needs no root.  TAP.
set -u
: "${abs_top_srcdir:?run through make check}"
export LC_ALL=C

# FILE@@CODE (the call's line, blanks squeezed)@@why it is no root by path
allowed='core/lib/resolve.c@@real = realpath(path, NULL);@@open_real_dir(), for root_parent only: resolved once and opened; the root is made (mkdirat) and opened (openat) relative to that descriptor, and the resolved path is only the name the root is recorded and printed under
core/cli/exec_child.c@@if (syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)@@exec, after pivot_root into the root (entered by fchdir on its clone, or without the new mount API on its bind onto itself, found by identity): "/" is the root itself
core/cli/exec_child.c@@if (o->cwd && chdir(o->cwd) < 0)@@exec --cwd, after pivot_root: the path is CMD'"'"'s, looked up in CMD'"'"'s own "/", the root itself; no host path leads out of it
core/cli/cmd_cdi.c@@me.config = realpath(cli->config, NULL);@@cdi: the config file named in the hooks a CDI spec gives the runtime (an admin'"'"'s path, no root)
core/cli/cmd_cdi.c@@me.confdir = cli->confdir ? realpath(cli->confdir, NULL) : NULL;@@cdi: the confdir named in those hooks (an admin'"'"'s path, no root)'

. "$abs_top_srcdir/tests/tap.sh"

found=$(cd "$abs_top_srcdir" && grep -nE '(^|[^f_a-z])(realpath|chdir|chroot)\(' core/*/*.c plugins/*.c |
        grep -vE '^[^:]*:[0-9]+:[[:space:]]*(/?\*|//)' |
        sed -E 's/^([^:]*):[0-9]+:[[:space:]]*/\1@@/; s/[[:space:]]+/ /g')
listed=$(printf '%s\n' "$allowed" | sed 's/@@[^@]*$//')

# (Here-documents, not pipes, feed the loops: ok and not_ok count in this
# shell, not in a subshell of a pipeline.)
while IFS= read -r line; do
        [ -n "$line" ] || continue
        file=${line%%@@*}
        code=${line#*@@}
        if printf '%s\n' "$listed" | grep -qxF -- "$file@@$code"; then
                ok "$file: $code (listed, with its reason)"
        else
                not_ok "$file: $code: a path call not listed in $0 (is it a root's path used again?)"
        fi
done <<EOF
$found
EOF

# Each listed call is still there (a list that outlived its code says
# nothing).
while IFS= read -r entry; do
        file=${entry%%@@*}
        code=${entry#*@@}
        if printf '%s\n' "$found" | grep -qxF -- "$file@@$code"; then
                ok "listed call still in $file: $code"
        else
                not_ok "listed call gone from $file: $code"
        fi
done <<EOF
$listed
EOF
done_testing
