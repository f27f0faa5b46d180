#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Host files keep their modes and owners (the seed chmod'ed the runtime
# binary and /dev/kvm 0777 through the mount): checked right after setup and
# after teardown, for every kind of bind a built-in plugin makes.
. "$(dirname "$0")/lib.sh"

mkdir -p "$IT_HOST/dir"
echo data >"$IT_HOST/rwfile"
chown 1234:5678 "$IT_RUNTIME" "$IT_HOST/rwfile" "$IT_HOST/dir"
chmod 0751 "$IT_RUNTIME"
chmod 0640 "$IT_HOST/rwfile"
chmod 0710 "$IT_HOST/dir"

write_conf "$IT_CONF" "proc runsc rw dir kvm devs" <<EOF_CONF
[proc]

[runsc]
plugin = binbind
source = \${runtime}
target = /runsc

[rw]
plugin   = binbind
source   = $IT_HOST/rwfile
readonly = no

[dir]
plugin = binbind
source = $IT_HOST/dir

[kvm]
when = platform=kvm

[devs]
plugin  = devices
devices = /dev/null /dev/zero
EOF_CONF

files=("$IT_RUNTIME" "$IT_HOST/rwfile" "$IT_HOST/dir" /dev/kvm /dev/null /dev/zero)
before=$(for f in "${files[@]}"; do echo "$f $(stat_of "$f")"; done)

setup_root "host modes" -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm ||
        done_testing
for f in "${files[@]}"; do
        is "$(stat_of "$f")" "$(awk -v f="$f" '$1 == f { print $2 }' <<<"$before")" \
                "host modes: $f keeps mode:uid:gid after setup"
done
is "$(stat -c %a "$ROOT/runsc")" 751 "host modes: ROOT/runsc shows the host's mode (nothing chmod'ed)"

run_cairn -c "$IT_CONF" teardown "$ID"
is "$RC" 0 "host modes: teardown exits 0"
assert_gone "host modes" "$ROOT" "$ID"
for f in "${files[@]}"; do
        want=$(awk -v f="$f" '$1 == f { print $2 }' <<<"$before")
        is "$(stat_of "$f")" "$want" "host modes: $f keeps mode:uid:gid after teardown"
        # Put a real host device back if cairn changed it (and say so above).
        case $f in /dev/*) [ "$(stat_of "$f")" = "$want" ] || chmod "${want%%:*}" "$f" ;; esac
done

done_testing
