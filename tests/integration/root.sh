#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `setup --root DIR`: build into an existing directory (an OCI bundle's
# rootfs); teardown removes only what cairn created and leaves DIR and its
# contents in place.  A symlink the image ships (/proc -> a host dir) does
# not redirect a mount.
. "$(dirname "$0")/lib.sh"

shipped_conf "$IT_CONF"
set -- -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm
R=$IT_HOST/bundle/rootfs
mkdir -p "$R/proc" "$R/etc"
echo keep >"$R/etc/keep"
chmod 0750 "$R"

run_cairn "$@" setup --root "$R"
is "$RC" 0 "--root: setup exits 0"
if [ "$RC" -eq 0 ]; then
        is "$OUT" "$R" "--root: setup prints DIR"
        check "--root: DIR/proc is a proc mount" sh -c '[ "$(stat -f -c %T "$1/proc")" = proc ]' sh "$R"
        check "--root: DIR/proc is a mount (mountinfo)" is_mounted "$R/proc"
        check "--root: DIR/runsc is mounted ro (mountinfo)" mount_has_opts "$R/runsc" ro
        check "--root: DIR/dev/kvm is mounted (mountinfo)" is_mounted "$R/dev/kvm"
        check "--root: a session journal exists" compgen -G "$IT_STATE/*.journal"
        check "--root: nothing made under root_parent" dir_is_empty "$IT_ROOTS"

        run_cairn -c "$IT_CONF" teardown "$R"
        is "$RC" 0 "--root: teardown DIR exits 0"
        check "--root: nothing mounted under DIR" nothing_mounted_under "$R"
        check "--root: DIR is still there" test -d "$R"
        is "$(stat -c %a "$R")" 750 "--root: DIR keeps its mode"
        is "$(cat "$R/etc/keep" 2>&1)" keep "--root: DIR's files are still there"
        check "--root: DIR/proc (there before) is still there" test -d "$R/proc"
        check "--root: DIR/runsc (made by cairn) is removed" test ! -e "$R/runsc"
        check "--root: DIR/dev (made by cairn) is removed" test ! -e "$R/dev"
        check "--root: no journal left" no_journals
        run_cairn -c "$IT_CONF" teardown "$R"
        is "$RC" 0 "--root: a second teardown exits 0"
        check "--root: DIR is still there after the second teardown" test -f "$R/etc/keep"
fi

# An image whose /proc is a symlink to a host directory.
H=$IT_HOST/victim
mkdir -p "$H"
rmdir "$R/proc"
ln -s "$H" "$R/proc"
# The image's link is followed inside DIR, as if DIR were "/": proc lands
# at DIR$H, never on the host's $H.
run_cairn "$@" setup --root "$R"
is "$RC" 0 "--root with /proc -> host dir: setup exits 0 (the link followed inside DIR)"
check "--root with /proc -> host dir: proc is at DIR$H" is_mounted "$R$H"
check "--root with /proc -> host dir: nothing mounted on the host dir" nothing_mounted_under "$H"
check "--root with /proc -> host dir: the host dir is untouched" dir_is_empty "$H"
run_cairn "$@" teardown "$R"
is "$RC" 0 "--root with /proc -> host dir: teardown exits 0"
check "--root with /proc -> host dir: nothing mounted under DIR" nothing_mounted_under "$R"
check "--root with /proc -> host dir: the image's symlink is left alone" test -L "$R/proc"
check "--root with /proc -> host dir: nothing made inside DIR is left" test ! -e "$R${H%/*}"
check "--root with /proc -> host dir: no journal left" no_journals

# DIR must exist.
run_cairn "$@" setup --root "$IT_HOST/nonexistent"
check "--root DIR that does not exist: refused (exit 1 or 2)" test "$RC" -eq 1 -o "$RC" -eq 2
check "--root DIR that does not exist: not created" test ! -e "$IT_HOST/nonexistent"
check "--root DIR that does not exist: nothing left" nothing_left

done_testing
