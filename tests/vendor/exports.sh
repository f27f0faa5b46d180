#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# cairn's plugin ABI is what its header says, and nothing more:
# - the cairn binary (which plugins get the API from) exports exactly the
#   names in the version script
#   core/libcairn.sym, all cairn_*, the plugin API under CAIRN_1 (and what
#   a later minor of the ABI added under CAIRN_1.MINOR) and only cairn_main
#   under CAIRN_PRIVATE;
# - every function <cairn/plugin.h> declares is exported (under CAIRN_1 or
#   CAIRN_1.MINOR);
# - the header compiles on its own, as C99, C11 and C++ (if there is a C++
#   compiler), with -Wall -Wextra -Werror -pedantic, and a plugin written
#   with it compiles the same way.
# Needs no root.  TAP; the plan comes last.
set -u
: "${abs_top_srcdir:?run through make check}" "${abs_top_builddir:?run through make check}"
export LC_ALL=C

# ok, not_ok, skip, is, diag, bail, done_testing.
. "$abs_top_srcdir/tests/tap.sh"

lib=$abs_top_builddir/cairn
sym=$abs_top_srcdir/core/libcairn.sym
header=$abs_top_srcdir/core/include/cairn/plugin.h
[ -f "$lib" ] && [ -f "$sym" ] && [ -f "$header" ] || bail "missing $lib, $sym or $header"
tmp=$(mktemp -d /tmp/cairn-exports.XXXXXX) || bail "mktemp"
trap 'rm -rf "$tmp"' EXIT

# ---- the binary's dynamic symbol table ---------------------------------------

is "$(head -c 4 "$lib" | od -An -c | tr -d ' ')" '177ELF' "$lib is the program itself (no libtool wrapper)"

# "NAME@@VERSION" per exported definition; the version nodes themselves
# (type A) are not symbols of the API, nor are libc's data objects that
# the program holds a copy of (copy relocations, "stderr@GLIBC_2.2.5":
# iniparser's archive refers to stderr).
nm -D --defined-only "$lib" | awk '$2 != "A" && $3 !~ /@GLIBC_/ { print $3 }' | sort >"$tmp/exported"
[ -s "$tmp/exported" ] || bail "nm -D found nothing in $lib"

is "$(grep -v '^cairn_' "$tmp/exported" | tr '\n' ' ')" "" \
        "cairn exports only cairn_* symbols"
is "$(grep -v '@@CAIRN_\(1\|1\.[1-9][0-9]*\|PRIVATE\)$' "$tmp/exported" | tr '\n' ' ')" "" \
        "every export has a version (CAIRN_1, CAIRN_1.MINOR or CAIRN_PRIVATE)"
is "$(sed -n 's/@@CAIRN_PRIVATE$//p' "$tmp/exported" | tr '\n' ' ')" "cairn_main " \
        "only the CLI's entry point is CAIRN_PRIVATE"

# The global names of the version script, comments stripped.
sed 's,/\*.*\*/,,g' "$sym" | awk '
        /^[ \t]*global:/ { g = 1; next }
        /^[ \t]*local:/ || /}/ { g = 0 }
        g { gsub(/[ \t;]/, ""); if ($0 != "") print }' | sort >"$tmp/script"
is "$(sed 's/@@.*//' "$tmp/exported" | sort | tr '\n' ' ')" "$(tr '\n' ' ' <"$tmp/script")" \
        "the exports are exactly the version script's names"

# Every function the header declares: "cairn_NAME(" at the start of a
# declaration (after the return type).
sed -n 's/^[a-z].*[ *]\(cairn_[a-z_0-9]*\)(.*/\1/p' "$header" | sort -u >"$tmp/declared"
[ -s "$tmp/declared" ] || bail "no function declarations found in $header"
sed -n 's/@@CAIRN_1\(\.[1-9][0-9]*\)\{0,1\}$//p' "$tmp/exported" | sort >"$tmp/api"
is "$(comm -13 "$tmp/api" "$tmp/declared" | tr '\n' ' ')" "" \
        "every function <cairn/plugin.h> declares is exported under CAIRN_1 or CAIRN_1.MINOR"
is "$(comm -23 "$tmp/api" "$tmp/declared" | tr '\n' ' ')" "" \
        "nothing is exported under CAIRN_1 or CAIRN_1.MINOR that the header does not declare"
is "$(sed -n 's/@@CAIRN_1\.1$//p' "$tmp/exported" | tr '\n' ' ')" "cairn_ctx_config_error " \
        "ABI 1.1's addition is under CAIRN_1.1"

# ---- the header on its own -----------------------------------------------------

cc=${CC:-cc}
cxx=${CXX:-c++}
inc=-I$abs_top_srcdir/core/include
strict="-Wall -Wextra -Werror -pedantic"

# A translation unit that includes nothing but the header and uses it.
cat >"$tmp/only.c" <<'EOF'
#include <cairn/plugin.h>
int use(struct cairn_ctx *ctx);
int use(struct cairn_ctx *ctx)
{
        return cairn_bind(ctx, cairn_ctx_option(ctx, "source"), "/x", CAIRN_BIND_RDONLY, NULL);
}
EOF
# A whole plugin, every field given in order (the strictest way to write
# one: a field added by a later ABI minor is appended, so this source
# breaks only under -Wmissing-field-initializers, and the loader reads a
# field only from plugins built for the minor that added it).
cat >"$tmp/plugin.c" <<'EOF'
#include <cairn/plugin.h>

static int demo_setup(struct cairn_ctx *ctx)
{
        const char *target = cairn_ctx_option(ctx, "target");
        int r = cairn_mount_fs(ctx, "tmpfs", "demo", target, CAIRN_MOUNT_NOSUID, NULL);

        if (r < 0)
                return cairn_log_errno(ctx, r, "mount %s", target);
        cairn_log(ctx, CAIRN_LOG_INFO, "mounted %s", target);
        return 0;
}

static const struct cairn_option demo_options[] = {
        { "target", CAIRN_OPT_PATH, CAIRN_OPT_REQUIRED, "/demo", "where", NULL, NULL, { NULL } },
        { NULL, CAIRN_OPT_STRING, 0, NULL, NULL, NULL, NULL, { NULL } },
};

CAIRN_PLUGIN_DEFINE = {
        CAIRN_ABI_VERSION, "demo", "a demo", demo_options, demo_setup, NULL,
        { NULL, NULL, NULL, NULL }, NULL,
};
EOF
for std in c99 c11; do
        for f in only plugin; do
                if "$cc" -std="$std" $strict -Wstrict-prototypes -Wmissing-prototypes \
                        "$inc" -c "$tmp/$f.c" -o "$tmp/$f.o" 2>"$tmp/err"; then
                        ok "<cairn/plugin.h> ($f.c) compiles as -std=$std $strict"
                else
                        not_ok "<cairn/plugin.h> ($f.c) compiles as -std=$std $strict"
                        diag "$(cat "$tmp/err")"
                fi
        done
done

if command -v "$cxx" >/dev/null 2>&1; then
        cp "$tmp/only.c" "$tmp/only.cc"
        # In C++ the API keeps C linkage: the object refers to cairn_bind, unmangled.
        for std in c++11 c++17; do
                if "$cxx" -std="$std" $strict "$inc" -c "$tmp/only.cc" -o "$tmp/only.o" \
                        2>"$tmp/err"; then
                        ok "<cairn/plugin.h> compiles as C++ (-std=$std $strict)"
                else
                        not_ok "<cairn/plugin.h> compiles as C++ (-std=$std $strict)"
                        diag "$(cat "$tmp/err")"
                fi
        done
        is "$(nm -u "$tmp/only.o" 2>/dev/null | awk '{ print $2 }' | grep cairn | sort | tr '\n' ' ')" \
                "cairn_bind cairn_ctx_option " "C++: the API functions have C linkage"
else
        skip "no C++ compiler ($cxx)"
fi

done_testing
