#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The devices plugin: paths and globs, each match bound at its own path as
# the same device (character and block); a pattern without a match is an
# error or, with missing = skip, a notice; a symlink or a regular file is
# refused and everything is rolled back.  kvm binds through the same helper
# (cairn_bind_device), for character devices only.
. "$(dirname "$0")/lib.sh"

D=$IT_HOST/devs
mkdir -p "$D"
mknod "$D/c1" c 1 3 && mknod "$D/c2" c 1 5 && mknod "$D/blk" b 7 200 || bail "mknod in $D"
ln -s /dev/null "$D/link"
echo plain >"$D/plain"

# devs_conf DEVICES [MISSING]
devs_conf() {
        write_conf "$IT_CONF" "proc devs" <<EOF_CONF
[proc]

[devs]
plugin  = devices
devices = $1
${2:+missing = $2}
EOF_CONF
}

# same_node PATH: ROOT/PATH is a mount of the same kind of node, same rdev.
same_node() {
        is_mounted "$ROOT$1" && [ "$(stat -c %F:%t:%T "$ROOT$1")" = "$(stat -c %F:%t:%T "$1")" ]
}

devs_conf "/dev/null, /dev/zero $D/c[0-9] $D/blk"
setup_root "devices" -c "$IT_CONF" || done_testing
for p in /dev/null /dev/zero "$D/c1" "$D/c2" "$D/blk"; do
        check "devices: $p is bound at its own path, same device" same_node "$p"
done
is "$(mounts_under "$ROOT" | grep -vxF "$ROOT" | sort | tr '\n' ' ')" \
        "$(printf "$ROOT%s\n" "$D/blk" "$D/c1" "$D/c2" /dev/null /dev/zero /proc | sort | tr '\n' ' ')" \
        "devices: exactly the matches (and proc) are mounted"
is "$(head -c 4 "$ROOT/dev/zero" | od -An -tx1 | tr -d ' ')" 00000000 \
        "devices: ROOT/dev/zero works (reads zeros)"
run_cairn -c "$IT_CONF" teardown "$ID"
is "$RC" 0 "devices: teardown exits 0"
assert_gone "devices" "$ROOT" "$ID"

# No match: an error naming the pattern (default), or skipped.
devs_conf "/dev/null $D/nomatch*"
run_cairn -c "$IT_CONF" setup
is "$RC" 1 "missing = error: a pattern without a match fails setup"
check "missing = error: the message names the pattern" grep -qF "$D/nomatch*" <<<"$ERR"
check "missing = error: nothing left" nothing_left

devs_conf "/dev/null $D/nomatch*" skip
setup_root "missing = skip" -c "$IT_CONF" || done_testing
check "missing = skip: the pattern is reported" grep -qF "$D/nomatch*" <<<"$ERR"
check "missing = skip: the other devices are bound" same_node /dev/null
run_cairn -c "$IT_CONF" teardown "$ID"
assert_gone "missing = skip" "$ROOT" "$ID"

# Not a device node: refused, named, rolled back (the device before it too).
for bad in "$D/link" "$D/plain" /dev/stdin "$D"; do
        devs_conf "/dev/null $bad"
        run_cairn -c "$IT_CONF" setup
        is "$RC" 1 "not a device ($bad): setup exits 1"
        check "not a device ($bad): the message names it" grep -qF "$bad" <<<"$ERR"
        check "not a device ($bad): nothing mounted" nothing_mounted_under "$IT_ROOTS"
        check "not a device ($bad): nothing left" nothing_left
done
devs_conf "$D/*" skip
run_cairn -c "$IT_CONF" setup
is "$RC" 1 "a glob that matches a symlink and a file among devices: setup exits 1"
check "... nothing mounted" nothing_mounted_under "$IT_ROOTS"
check "... nothing left" nothing_left

devs_conf "dev/null"
run_cairn -c "$IT_CONF" setup
check "a relative pattern is refused (exit 1 or 2)" test "$RC" -eq 1 -o "$RC" -eq 2
check "a relative pattern: the message names it" grep -qF "dev/null" <<<"$ERR"
check "a relative pattern: nothing left" nothing_left

# kvm: a character device only, by the same helper.
kvm_conf() {
        write_conf "$IT_CONF" "proc kvm" <<EOF_CONF
[proc]

[kvm]
plugin = kvm
device = $1
EOF_CONF
}
kvm_conf "$D/c1"
setup_root "kvm on a character device" -c "$IT_CONF" || done_testing
check "kvm: $D/c1 is bound at its own path, same device" same_node "$D/c1"
run_cairn -c "$IT_CONF" teardown "$ID"
assert_gone "kvm" "$ROOT" "$ID"
for bad in "$D/blk:a block device" "$D/link:a symlink" "$D/plain:a regular file"; do
        kvm_conf "${bad%%:*}"
        run_cairn -c "$IT_CONF" setup
        is "$RC" 1 "kvm on ${bad#*:}: setup exits 1"
        check "kvm on ${bad#*:}: the message says so" \
                grep -qF "[kvm] ${bad%%:*} is ${bad#*:}, not a character device" <<<"$ERR"
        check "kvm on ${bad#*:}: nothing mounted" nothing_mounted_under "$IT_ROOTS"
        check "kvm on ${bad#*:}: nothing left" nothing_left
done

done_testing
