#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# control = optional: the failing entry's own partial work is undone, the
# entries before and after it stay, setup exits 0; teardown is clean.
. "$(dirname "$0")/lib.sh"

{
        entry proc
        entry_tmpfs before /before
        entry boom fail "mounts=/a /b" control=optional
        entry_tmpfs after /after
} | write_conf "$IT_CONF" "proc before boom after"

setup_root "optional failure" -c "$IT_CONF" || done_testing
check "optional failure: the failing plugin ran" grep -q "failing on purpose" <<<"$ERR"
check "optional failure: /proc (before) is mounted" is_mounted "$ROOT/proc"
check "optional failure: /before is mounted" is_mounted "$ROOT/before"
check "optional failure: /after (after the failure) is mounted" is_mounted "$ROOT/after"
is "$(mount_fstype "$ROOT/after")" tmpfs "optional failure: /after is a tmpfs"
check "optional failure: the failed entry's /a is unmounted" not_mounted "$ROOT/a"
check "optional failure: the failed entry's /b is unmounted" not_mounted "$ROOT/b"
check "optional failure: the failed entry's mount points are removed" \
        sh -c '! test -e "$1/a" && ! test -e "$1/b"' sh "$ROOT"
is "$(mounts_under "$ROOT" | grep -vxF "$ROOT" | sort | tr '\n' ' ')" \
        "$ROOT/after $ROOT/before $ROOT/proc " "optional failure: exactly proc, before and after are mounted"

run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 0 "optional failure: teardown exits 0"
assert_gone "optional failure" "$ROOT" "$ID"

done_testing
