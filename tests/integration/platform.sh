#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `when = platform=kvm`: with --set platform=ptrace (or no platform at all)
# the kvm entry is skipped: no /dev/kvm mount, not even a ROOT/dev.
. "$(dirname "$0")/lib.sh"

shipped_conf "$IT_CONF"

for platform in ptrace ""; do
        name="platform=${platform:-(unset)}"
        if [ -n "$platform" ]; then
                set -- --set platform="$platform"
        else
                set --
        fi
        setup_root "$name" -c "$IT_CONF" --set runtime="$IT_RUNTIME" "$@" || continue
        check "$name: /proc is mounted" is_mounted "$ROOT/proc"
        check "$name: /runsc is mounted" is_mounted "$ROOT/runsc"
        check "$name: no /dev/kvm mount" not_mounted "$ROOT/dev/kvm"
        check "$name: nothing mounted below ROOT/dev" nothing_mounted_under "$ROOT/dev"
        check "$name: no ROOT/dev created" test ! -e "$ROOT/dev"
        run_cairn -c "$IT_CONF" teardown "$ID"
        is "$RC" 0 "$name: teardown exits 0"
        assert_gone "$name" "$ROOT" "$ID"
done

done_testing
