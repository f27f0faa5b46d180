#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The vendor kit, end to end, the way a vendor uses it: cairn is installed
# (`make install DESTDIR=...` of this build), the example vendor plugin
# tests/vendor/acme-accel.c is built OUT of cairn's tree with its own plain
# Makefile and `pkg-config --cflags --libs cairn` (nothing from cairn's
# source or build tree: only what was installed), installed to
# `pkg-config --variable=plugindir cairn` with its drop-in, and the
# INSTALLED cairn runs it.  It must be listed by `cairn plugins`, come after
# the main stack in `cairn check` and at setup (mountinfo order), and be
# torn down first: its teardown hook runs before anything is unmounted, and
# its nodes are unmounted before the main stack's mounts (seen from outside:
# cairn is stopped after every umount2 by the fault shim and mountinfo read).
. "${abs_top_srcdir:?run through make check}/tests/integration/lib.sh"

# What the test wants from the environment, not from make check's: only
# what was installed; a make of its own.
unset MAKEFLAGS MFLAGS MAKELEVEL PKG_CONFIG_PATH
export LC_ALL=C

# absent GREP-ARG...: grep finds nothing (for check).
absent() { ! grep "$@"; }

DEST=$IT_DIR/destdir
VENDOR=$IT_DIR/acme-src   # the vendor's own tree (srcdir may be read-only)
LEDGER=$IT_DIR/acme-leases
NODES=$IT_HOST/dev        # the "host's" ACME nodes

# ---- 1. install cairn into a staging directory -------------------------------

if make -C "$abs_top_builddir" install DESTDIR="$DEST" >"$IT_DIR/install.log" 2>&1; then
        ok "make install DESTDIR=... of this build"
else
        diag "$(tail -n 30 "$IT_DIR/install.log")"
        bail "make install DESTDIR=$DEST failed"
fi

# Where it went: found in the staging tree, through the installed cairn.pc.
pc=$(find "$DEST" -path '*/pkgconfig/cairn.pc' | head -n 1)
[ -n "$pc" ] || bail "no pkgconfig/cairn.pc installed under $DEST"
export PKG_CONFIG_LIBDIR=${pc%/cairn.pc} PKG_CONFIG_SYSROOT_DIR=$DEST
PLUGINDIR=$(pkg-config --variable=plugindir cairn)
LIBDIR=$(pkg-config --variable=libdir cairn)
INCLUDEDIR=$(pkg-config --variable=includedir cairn)
BIN=$(find "$DEST" -path '*/bin/cairn' -type f | head -n 1)
CONF=$(find "$DEST" -path '*/cairn/cairn.conf' -type f | head -n 1)
CONFD=${CONF%/cairn.conf}/conf.d
diag "plugindir $PLUGINDIR" "libdir $LIBDIR" "cairn $BIN" "conf.d $CONFD"

check "pkg-config: plugindir is inside the staging tree and holds the built-ins" \
        test "${PLUGINDIR#"$DEST"/}" != "$PLUGINDIR" -a -f "$PLUGINDIR/proc.so"
check "pkg-config: plugindir is \$(libdir)/cairn" test "$PLUGINDIR" = "$LIBDIR/cairn"
check "installed: <cairn/plugin.h> under includedir" test -f "$INCLUDEDIR/cairn/plugin.h"
check "installed: no libcairn to link against (the cairn binary provides the API)" \
        sh -c '! ls "$1"/libcairn* 2>/dev/null | grep -q .' sh "$LIBDIR"
check "installed: the cairn binary" test -x "$BIN"
check "installed: cairn.conf, and an empty conf.d for drop-ins" dir_is_empty "$CONFD"
check "installed: no libtool .la next to the plugins" \
        sh -c '! ls "$1"/*.la 2>/dev/null | grep -q .' sh "$PLUGINDIR"

# ---- 2. build the vendor plugin out of tree, install it with its drop-in ----

mkdir -p "$VENDOR" || bail "mkdir $VENDOR"
for f in Makefile acme-accel.c acme-accel.conf; do
        cp "$abs_top_srcdir/tests/vendor/$f" "$VENDOR/" || bail "copy $f"
done
chmod -R u+w "$VENDOR"
if make -C "$VENDOR" CFLAGS="-O2 -g -Wall -Wextra -Werror" >"$IT_DIR/vendor.log" 2>&1; then
        ok "vendor plugin: built out of tree with pkg-config --cflags --libs cairn"
else
        diag "$(cat "$IT_DIR/vendor.log")"
        bail "the vendor plugin does not build against the installed cairn"
fi
check "vendor plugin: compiled with the installed header (-I from pkg-config)" \
        grep -qF -- "-I$INCLUDEDIR " "$IT_DIR/vendor.log"
is "$(pkg-config --libs cairn)" "" "pkg-config: no libraries to link (the API comes from cairn)"
is "$(nm -D --defined-only "$VENDOR/acme-accel.so" | awk '$2 != "A" { print $3 }')" \
        cairn_plugin_descriptor "vendor plugin: exports its descriptor and nothing else"
is "$(readelf -d "$VENDOR/acme-accel.so" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')" \
        "libc.so.6 " "vendor plugin: needs nothing but libc"
check "vendor plugin: leaves the API to the cairn that loads it (cairn_* undefined)" \
        sh -c 'nm -D --undefined-only "$1" | grep -q " cairn_ctx_option\$"' sh "$VENDOR/acme-accel.so"

if make -C "$VENDOR" install confdir="$CONFD" >>"$IT_DIR/vendor.log" 2>&1; then
        ok "vendor plugin: make install"
else
        diag "$(cat "$IT_DIR/vendor.log")"
        not_ok "vendor plugin: make install"
fi
is "$(stat -c %a "$PLUGINDIR/acme-accel.so" 2>&1)" 755 \
        "vendor plugin: installed to pkg-config's plugindir"
is "$(stat -c %a "$CONFD/acme-accel.conf" 2>&1)" 644 "vendor plugin: its drop-in in conf.d"

# This host's ACME nodes (character devices in the scratch tree), and a
# node of another kind that the vendor's pattern must leave alone.
mkdir -p "$NODES" &&
        mknod "$NODES/acme-accel0" c 1 3 && mknod "$NODES/acme-accel1" c 1 5 &&
        mknod "$NODES/other0" c 1 7 || bail "mknod in $NODES"
# The site's own drop-in, read after the vendor's (name order): it points
# the vendor's entry at these nodes and turns its ledger on.
cat >"$CONFD/zz-site.conf" <<EOF
[acme-accel]
nodes  = $NODES/acme-accel[0-9]*
ledger = $LEDGER
EOF
# The installed cairn.conf (the shipped stack: proc runsc kvm), with the
# staged plugin_dir and the scratch state_dir and root_parent.
awk -v pd="$PLUGINDIR" -v sd="$IT_STATE" -v rp="$IT_ROOTS" '
        /^[ \t]*(plugin_dir|state_dir|root_parent)[ \t]*=/ { next }
        { print }
        /^[ \t]*\[cairn\][ \t]*$/ {
                print "plugin_dir = " pd; print "state_dir = " sd; print "root_parent = " rp
        }' "$CONF" >"$IT_CONF" || bail "write $IT_CONF"

# From here on, run_cairn (lib.sh) runs the installed cairn on the
# installed drop-ins.
IT_CAIRN=$BIN
IT_CONFD=$CONFD
check "the installed cairn exports the plugin API (CAIRN_1)" \
        sh -c 'nm -D --defined-only "$1" | grep -q " cairn_bind_fd@@CAIRN_1\$"' sh "$BIN"
MAIN=(-c "$IT_CONF" --set "runtime=$IT_RUNTIME")

# ---- 3. plugins and check ----------------------------------------------------

run_cairn -c "$IT_CONF" plugins
is "$RC" 0 "cairn plugins exits 0"
check "cairn plugins: lists acme-accel with its summary" \
        grep -qx 'acme-accel - example vendor plugin: bind ACME accelerator nodes into the root' <<<"$OUT"
is "$(sed -n '/^acme-accel - /,/^[^ ]/{/^ /p}' <<<"$OUT" | awk '{ print $1 }' | tr '\n' ' ')" \
        "nodes ledger " "cairn plugins: and its options"
is "$(grep -c '^\(proc\|binbind\|kvm\|devices\) - ' <<<"$OUT")" 4 \
        "cairn plugins: the built-ins are still there"

run_cairn "${MAIN[@]}" check
is "$RC" 0 "cairn check exits 0"
is "$(sed -n 's/^[0-9]*\. \[\([^]]*\)\].*/\1/p' <<<"$OUT" | tr '\n' ' ')" "proc runsc localtime kvm acme-accel " \
        "cairn check: the main stack, then the vendor's entry"
check "cairn check: acme-accel is loaded from plugindir, after the main stack, from the drop-in" \
        grep -qE "^5\. \[acme-accel\] plugin acme-accel \($PLUGINDIR/acme-accel\.so\), optional +$CONFD/acme-accel\.conf:[0-9]+\$" <<<"$OUT"
check "cairn check: its nodes come from the site's drop-in, which overrides the vendor's" \
        grep -qE "^ +nodes = $NODES/acme-accel\[0-9\]\* +$CONFD/zz-site\.conf:2\$" <<<"$OUT"

# ---- 4. setup: the vendor's nodes are mounted after the main stack -------------

setup_root "vendor stack" "${MAIN[@]}" || done_testing
check "setup: the ACME nodes are bound in the root" is_mounted "$ROOT$NODES/acme-accel0"
for n in acme-accel0 acme-accel1; do
        check "setup: $n in the root is the host's device" \
                test "$(stat -c %F:%t:%T "$ROOT$NODES/$n")" = "$(stat -c %F:%t:%T "$NODES/$n")"
done
check "setup: a node the pattern does not match is not bound" test ! -e "$ROOT$NODES/other0"
# mountinfo lists a namespace's mounts in the order they were made.
order=$(mounts_under "$ROOT" | grep -vxF "$ROOT" | sed "s|^$ROOT||" | tr '\n' ' ')
is "$order" "/proc /runsc $NODES/acme-accel0 $NODES/acme-accel1 " \
        "setup: mountinfo order: the main stack (proc, runsc), then the vendor's nodes"
is "$(cat "$LEDGER" 2>&1)" "bind $ROOT $NODES/acme-accel0
bind $ROOT $NODES/acme-accel1" "setup: the vendor plugin's ledger has its two binds"

# ---- 5. teardown: the vendor's entry first -------------------------------------

# Stop the (separate) teardown process right after each umount2(2) and look
# at what is still mounted: the order things go, as the kernel saw it.
[ -f "$IT_SHIM" ] || bail "the fault shim $IT_SHIM is not built"
asan=$(ldd "$BIN" 2>/dev/null | awk '/lib(a|ub)san/ { print $3 }' | tr '\n' ':')
stops=umount2:1,umount2:2,umount2:3,umount2:4,umount2:5,umount2:6
before=$(mounts_under "$ROOT" | grep -vxF "$ROOT")
LD_PRELOAD="$asan$IT_SHIM" CAIRN_SHIM_STOP_AT=$stops \
        "$BIN" --confdir "$CONFD" -c "$IT_CONF" teardown "$ID" >"$IT_DIR/out" 2>"$IT_DIR/err" &
pid=$!
# Whatever happens to this script, the stopped teardown must not stay.
trap 'kill -KILL "$pid" 2>/dev/null; it_cleanup' EXIT
gone=()
st=
ledger_at_first_stop=
for _ in 1 2 3 4 5 6; do
        # Wait until it is stopped (T) or has exited.
        for _ in $(seq 1 500); do
                st=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || break
                [ "$st" = T ] && break
                [ "$st" = Z ] && break
                sleep 0.02
        done
        [ "${st:-}" = T ] || break
        [ ${#gone[@]} -gt 0 ] || ledger_at_first_stop=$(cat "$LEDGER")
        now=$(mounts_under "$ROOT" | grep -vxF "$ROOT")
        gone+=("$(comm -23 <(sort <<<"$before") <(sort <<<"$now") | sed "s|^$ROOT||" | tr '\n' ' ')")
        before=$now
        kill -CONT "$pid"
done
wait "$pid"
RC=$?
trap it_cleanup EXIT
[ ! -s "$IT_DIR/err" ] || diag "teardown (exit $RC):" "$(cat "$IT_DIR/err")"
is "$RC" 0 "teardown exits 0"
is "$(printf '%s|' "${gone[@]}")" \
        "$NODES/acme-accel1 |$NODES/acme-accel0 |/runsc |/proc ||" \
        "teardown: one mount per umount2, the vendor's nodes (last first), then the main stack, then the root's tmpfs"
is "$ledger_at_first_stop" "bind $ROOT $NODES/acme-accel0
bind $ROOT $NODES/acme-accel1
release $ROOT" "teardown: the vendor's hook ran before the first unmount"
assert_gone "vendor stack" "$ROOT" "$ID"

# ---- 6. a vendor failure that is optional --------------------------------------

# A node the site names that is not a character device: the optional entry
# fails, its own work is undone (its hook runs), the main stack stays.
: >"$LEDGER"
echo not-a-node >"$NODES/acme-accel2"
setup_root "a failing optional vendor entry" "${MAIN[@]}" || done_testing
check "failing vendor entry: the failure names the node" grep -qF "$NODES/acme-accel2" <<<"$ERR"
check "failing vendor entry: the main stack is mounted" is_mounted "$ROOT/proc"
check "failing vendor entry: none of its nodes is left mounted" \
        absent -qF "$ROOT$NODES" <<<"$(mounts_under "$ROOT")"
check "failing vendor entry: its hook ran for the partial work" grep -qx "release $ROOT" "$LEDGER"
run_cairn -c "$IT_CONF" teardown "$ID"
is "$RC" 0 "failing vendor entry: teardown exits 0"
assert_gone "failing vendor entry" "$ROOT" "$ID"
rm -f "$NODES/acme-accel2"

# ---- 7. the vendor's uninstall leaves the staging tree as cairn made it --------

if make -C "$VENDOR" uninstall confdir="$CONFD" >>"$IT_DIR/vendor.log" 2>&1; then
        ok "vendor plugin: make uninstall"
else
        not_ok "vendor plugin: make uninstall"
fi
check "vendor plugin: uninstalled" test ! -e "$PLUGINDIR/acme-accel.so" -a ! -e "$CONFD/acme-accel.conf"
rm -f "$CONFD/zz-site.conf"
run_cairn -c "$IT_CONF" plugins
check "cairn plugins: acme-accel is gone again" absent -q "^acme-accel " <<<"$OUT"

done_testing
