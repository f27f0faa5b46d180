#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `cairn exec`: the seed's stack in a throw-away root, in a private mount
# namespace, for one command; its exit status is the command's; nothing is
# left afterwards.
. "$(dirname "$0")/lib.sh"

shipped_conf "$IT_CONF"
[ -n "$IT_RUNTIME_STATIC" ] || bail "no static binary to run inside the root (/sbin/ldconfig)"

run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm exec -- /runsc --version
is "$RC" 0 "exec -- /runsc --version exits 0"
check "exec ran /runsc inside the root" grep -q ldconfig <<<"$OUT"
check "exec leaves no root" dir_is_empty "$IT_ROOTS"
check "exec leaves no journal" no_journals
check "exec leaves no mount" nothing_mounted_under "$IT_ROOTS"

run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" exec -- /runsc --no-such-option
is "$RC" 64 "exec returns the command's exit status (ldconfig --no-such-option: 64)"
check "... and leaves no root" dir_is_empty "$IT_ROOTS"
check "... and no journal" no_journals

done_testing
