#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A required entry fails after earlier entries and its own first steps
# mounted things: setup exits 1 and everything is rolled back (the seed
# left /proc mounted and the directory behind).
. "$(dirname "$0")/lib.sh"

{
        entry proc
        entry_tmpfs scratch /scratch
        entry boom fail "mounts=/a /b/c" errno=EBUSY
        entry_tmpfs after /after
} | write_conf "$IT_CONF" "proc scratch boom after"

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
{
        entry proc
        entry_tmpfs t1 /t1
        entry_tmpfs t2 /t1/t2
        entry_tmpfs t3 /t1/t2/t3
        entry_tmpfs t4 /deep/er/t4
        entry boom fail mounts=/t1/t2/t3/x
} | write_conf "$IT_CONF" "proc t1 t2 t3 t4 boom"

run_cairn -c "$IT_CONF" setup
is "$RC" 1 "nested mounts: setup exits 1"
check "nested mounts: nothing mounted under root_parent" nothing_mounted_under "$IT_ROOTS"
check "nested mounts: no root directory left" dir_is_empty "$IT_ROOTS"
check "nested mounts: no journal left" no_journals

done_testing
