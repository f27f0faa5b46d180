#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A symlink inside the root cannot redirect a mount onto the host (the
# seed joined paths as strings).  The test plugin "plant" plants one, as
# a careless or hostile earlier step could; the next entry mounts through
# it, and the mount lands inside the root, where the link leads when the
# root is "/" (RESOLVE_IN_ROOT; inroot.c), with nothing mounted or created
# on the host side; teardown then leaves nothing.
. "$(dirname "$0")/lib.sh"

H=$IT_HOST/victim
mkdir -p "$H"
before=$(awk '{ print $5 }' /proc/self/mountinfo | sort)

# attack NAME LINK TO LANDS ENTRY-LINE...: stack "evil next"; evil plants
# the symlink LINK -> TO in the root, next is made of ENTRY-LINEs, and its
# mount must be at LANDS inside the root.
attack() {
        local name=$1 link=$2 to=$3 lands=$4 root
        shift 4
        { printf '[evil]\nplugin = plant\npath = %s\nto = %s\n\n[next]\n' "$link" "$to"
          printf '%s\n' "$@"; } | write_conf "$IT_CONF" "evil next"
        run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" setup
        root=$OUT
        is "$RC" 0 "$name: setup exits 0"
        check "$name: the mount is inside the root, where the link leads there" is_mounted "$root$lands"
        check "$name: nothing mounted on the host side" nothing_mounted_under "$H"
        check "$name: nothing created on the host side" dir_is_empty "$H"
        check "$name: every new mount is in the root" \
                bash -c 'diff <(echo "$1") <(awk "{ print \$5 }" /proc/self/mountinfo | sort) |
                         grep "^>" | grep -qv "^> $2" && exit 1; exit 0' bash "$before" "$root"
        run_cairn -c "$IT_CONF" teardown "$root"
        is "$RC" 0 "$name: teardown exits 0"
        is "$(awk '{ print $5 }' /proc/self/mountinfo | sort)" "$before" "$name: mountinfo is as before"
        check "$name: no root left" dir_is_empty "$IT_ROOTS"
        check "$name: no journal left" no_journals
}

attack "mount below a symlink to a host dir" /evil "$H" "$H/x" "plugin = tmpfs" "target = /evil/x"
attack "mount on a symlink to a host dir" /evil "$H" "$H" "plugin = tmpfs" "target = /evil"
attack "bind below a symlink to a host dir" /evil "$H" "$H/runsc" "plugin = binbind" \
        'source = ${runtime}' "target = /evil/runsc"
attack "proc below a relative symlink out of the root" /evil "../../../../../..$H" "$H/proc" \
        "plugin = proc" "target = /evil/proc"
attack "kvm through a symlinked /dev" /dev "$H" "$H/kvm" "plugin = kvm"
attack "devices through a symlinked /dev" /dev "$H" "$H/null" "plugin = devices" "devices = /dev/null"

done_testing
