#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# binbind beyond the seed: the default target, readonly = no, directories
# (read-only binds do not make the host read-only), a missing source.
. "$(dirname "$0")/lib.sh"

mkdir -p "$IT_HOST/data"
echo hello >"$IT_HOST/data/file"
echo before >"$IT_HOST/rw"
cp "$IT_RUNTIME" "$IT_HOST/tool"

write_conf "$IT_CONF" "tool rw data" <<EOF_CONF
[tool]
plugin = binbind
source = $IT_HOST/tool

[rw]
plugin   = binbind
source   = $IT_HOST/rw
target   = /etc/rw
readonly = no

[data]
plugin = binbind
source = $IT_HOST/data
target = /srv/data
EOF_CONF

setup_root "binbind" -c "$IT_CONF" || done_testing
check "default target: /tool (the source's basename) is mounted" is_mounted "$ROOT/tool"
check "default target: read-only by default (mountinfo)" mount_has_opts "$ROOT/tool" ro
check "readonly = no: /etc/rw is mounted rw (mountinfo)" mount_has_opts "$ROOT/etc/rw" rw
echo after >"$ROOT/etc/rw"
is "$(cat "$IT_HOST/rw")" after "readonly = no: a write through the bind reaches the host file"
check "directory: /srv/data is mounted ro (mountinfo)" mount_has_opts "$ROOT/srv/data" ro
is "$(cat "$ROOT/srv/data/file" 2>&1)" hello "directory: its files are readable in the root"
err=$(touch "$ROOT/srv/data/new" 2>&1)
check "directory: creating a file in it fails with EROFS" grep -q "Read-only file system" <<<"$err"
check "directory: the host directory is still writable" touch "$IT_HOST/data/new-on-host"
check "directory: ... and the new host file shows in the root" test -e "$ROOT/srv/data/new-on-host"
run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 0 "binbind: teardown exits 0"
assert_gone "binbind" "$ROOT" "$ID"

# A missing source: setup fails (1), names it, leaves nothing.
write_conf "$IT_CONF" "proc gone" <<EOF_CONF
[proc]

[gone]
plugin = binbind
source = $IT_HOST/does-not-exist
EOF_CONF
run_cairn -c "$IT_CONF" setup
is "$RC" 1 "missing source: setup exits 1"
check "missing source: the message names it" grep -qF "$IT_HOST/does-not-exist" <<<"$ERR"
check "missing source: nothing mounted" nothing_mounted_under "$IT_ROOTS"
check "missing source: no root left" dir_is_empty "$IT_ROOTS"
check "missing source: no journal left" no_journals

# source = / without a target: there is no basename to name it after.
write_conf "$IT_CONF" "slash" <<EOF_CONF
[slash]
plugin = binbind
source = /
EOF_CONF
run_cairn -c "$IT_CONF" setup
check "source = / without target: refused (exit 1 or 2)" test "$RC" -eq 1 -o "$RC" -eq 2
check "source = / without target: the message asks for a target" grep -q target <<<"$ERR"
check "source = / without target: nothing left" nothing_left

done_testing
