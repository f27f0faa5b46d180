#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# No dependency cycle among the modules of core/lib (issue 12): a module is
# a FOO.c and its FOO.h; it depends on BAR if either includes "BAR.h".  The
# layers ARCHITECTURE.md names hold only if nothing lower reaches back up.
# Prints the graph (one "# FOO: BAR BAZ" line a module) and one TAP line a
# module: ok if no cycle passes through it (tsort(1) names the loops).
# Needs no root.  Run through make check (abs_top_srcdir), or by hand with
# abs_top_srcdir=. sh tests/lint/include-graph.sh.
set -u
: "${abs_top_srcdir:?run through make check}"
export LC_ALL=C
lib=$abs_top_srcdir/core/lib
. "$abs_top_srcdir/tests/tap.sh"

modules=$(cd "$lib" && ls ./*.c ./*.h | sed 's|^\./||; s|\.[ch]$||' | sort -u)
edges=$(for m in $modules; do
        for f in "$lib/$m.c" "$lib/$m.h"; do
                [ -f "$f" ] || continue
                sed -n 's/^#include "\([a-z_]*\)\.h".*/\1/p' "$f"
        done | sort -u | while read -r dep; do
                [ "$dep" = "$m" ] || [ ! -f "$lib/$dep.h" ] || echo "$m $dep"
        done
done)

for m in $modules; do
        echo "# $m: $(printf '%s\n' "$edges" | awk -v m="$m" '$1 == m { printf "%s ", $2 }')"
done
# tsort prints each loop it finds on stderr, one member a line.
loops=$( { printf '%s\n' "$edges"; for m in $modules; do echo "$m $m"; done; } | tsort 2>&1 >/dev/null |
        sed -n 's/^tsort: //p' | grep -v 'input contains a loop' | sort -u)
for m in $modules; do
        if printf '%s\n' "$loops" | grep -qx -- "$m"; then
                not_ok "$m is in a dependency cycle"
        else
                ok "$m is in no dependency cycle"
        fi
done
done_testing
