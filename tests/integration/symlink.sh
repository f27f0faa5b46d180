#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A symlink inside the root cannot redirect a mount onto the host (the
# seed joined paths as strings).  The test plugin "plant" plants one, as
# a careless or hostile earlier step could; the next entry mounts through
# it and must be refused, with nothing mounted or created on the host side.
. "$(dirname "$0")/lib.sh"

H=$IT_HOST/victim
mkdir -p "$H"
before=$(awk '{ print $5 }' /proc/self/mountinfo | sort)

# attack NAME LINK TO ENTRY-LINE...: stack "evil next"; evil plants the
# symlink LINK -> TO in the root, next is made of ENTRY-LINEs.
attack() {
        local name=$1 link=$2 to=$3
        shift 3
        { printf '[evil]\nplugin = plant\npath = %s\nto = %s\n\n[next]\n' "$link" "$to"
          printf '%s\n' "$@"; } | write_conf "$IT_CONF" "evil next"
        run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" setup
        is "$RC" 1 "$name: setup exits 1"
        check "$name: nothing mounted on the host side" nothing_mounted_under "$H"
        check "$name: nothing created on the host side" dir_is_empty "$H"
        is "$(awk '{ print $5 }' /proc/self/mountinfo | sort)" "$before" "$name: mountinfo is as before"
        check "$name: no root left" dir_is_empty "$IT_ROOTS"
        check "$name: no journal left" no_journals
}

attack "mount below a symlink to a host dir" /evil "$H" "plugin = tmpfs" "target = /evil/x"
check "... refused as a symlink (ELOOP)" grep -q "symbolic link" <<<"$ERR"
attack "mount on a symlink to a host dir" /evil "$H" "plugin = tmpfs" "target = /evil"
attack "bind below a symlink to a host dir" /evil "$H" "plugin = binbind" \
        'source = ${runtime}' "target = /evil/runsc"
attack "proc below a relative symlink out of the root" /evil "../../../../../..$H" \
        "plugin = proc" "target = /evil/proc"
attack "kvm through a symlinked /dev" /dev "$H" "plugin = kvm"
attack "devices through a symlinked /dev" /dev "$H" "plugin = devices" "devices = /dev/null"

done_testing
