#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A required entry fails after earlier entries and its own first steps
# mounted things: setup exits 1 and everything is rolled back (the seed
# left /proc mounted and the directory behind).
. "$(dirname "$0")/lib.sh"

write_conf "$IT_CONF" "proc scratch boom after" <<'EOF_CONF'
[proc]

[scratch]
plugin = tmpfs
target = /scratch

[boom]
plugin = fail
mounts = /a /b/c
errno  = EBUSY

[after]
plugin = tmpfs
target = /after
EOF_CONF

run_cairn -c "$IT_CONF" setup
is "$RC" 1 "required failure: setup exits 1"
check "required failure: the failing plugin ran (its message is shown)" \
        grep -q "failing on purpose" <<<"$ERR"
check "required failure: the error is named (EBUSY)" grep -q "busy" <<<"$ERR"
check "required failure: nothing printed on stdout" test -z "$OUT"
check "required failure: nothing mounted under root_parent" nothing_mounted_under "$IT_ROOTS"
check "required failure: no root directory left" dir_is_empty "$IT_ROOTS"
check "required failure: no journal left" no_journals

# The same with a longer stack before the failure (rollback order, many mounts).
write_conf "$IT_CONF" "proc t1 t2 t3 t4 boom" <<'EOF_CONF'
[proc]

[t1]
plugin = tmpfs
target = /t1

[t2]
plugin = tmpfs
target = /t1/t2

[t3]
plugin = tmpfs
target = /t1/t2/t3

[t4]
plugin = tmpfs
target = /deep/er/t4

[boom]
plugin = fail
mounts = /t1/t2/t3/x
EOF_CONF

run_cairn -c "$IT_CONF" setup
is "$RC" 1 "nested mounts: setup exits 1"
check "nested mounts: nothing mounted under root_parent" nothing_mounted_under "$IT_ROOTS"
check "nested mounts: no root directory left" dir_is_empty "$IT_ROOTS"
check "nested mounts: no journal left" no_journals

done_testing
