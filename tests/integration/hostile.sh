#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Hostile trees under `cairn setup --root DIR` (an OCI-rootfs-like
# directory that someone else made): symlinks out of the root at a mount
# target, at a parent of one, at the final component, absolute and
# relative, dangling or not; /proc and /dev as symlinks; ".." tricks; a
# symlink swapped in during setup (the test plugin "swap", between two
# entries); a FIFO where a mount point goes.
#
# cairn resolves a mount target inside the root the way RESOLVE_IN_ROOT
# does (cairn.conf(5), inroot.c): a symlink is followed as if the root
# were "/", ".." never climbs above it.  So each shape either lands inside
# DIR, where the link leads when DIR is the root (setup exits 0, the mount
# is there, and teardown exits 0), or is refused (a loop, a FIFO, a ".."
# in the config, a swap that a later lookup finds: exit 1 or 2); either
# way, afterwards
#   - nothing outside DIR was mounted, created or changed (a listing with
#     modes, owners, sizes, mtimes and checksums of the "host" directories
#     around DIR, and the whole mount table, are as before);
#   - nothing is mounted under DIR, and DIR is exactly as given (same
#     listing, modes and contents: cairn removed only what it made and left
#     the planted symlinks alone);
#   - no journal, nothing under root_parent.
# Each config is first run on the clean tree (setup 0, teardown 0, DIR as
# given), so a refusal is the shape's doing, not a bad config's.
. "$(dirname "$0")/lib.sh"

# The swap plugin is ours: lib.sh does not copy it.
install -m 0755 "$IT_MODULES/check/swap.so" "$IT_PLUGINS/" ||
        bail "copy test plugin swap.so"

# A hang (a FIFO opened for reading, say) is a failure, not a stuck test:
# cairn runs under timeout (exit 124 then).
cat >"$IT_DIR/cairn-timeout" <<EOF_WRAP || bail "write the timeout wrapper"
#!/bin/sh
exec timeout -k 2 8 "$IT_CAIRN" "\$@"
EOF_WRAP
chmod 0755 "$IT_DIR/cairn-timeout"
IT_CAIRN=$IT_DIR/cairn-timeout

B=$IT_DIR/bundle        # an OCI bundle; its rootfs is DIR
R=$B/rootfs
H=$IT_DIR/canary        # a "host" directory that symlinks point at
export LC_ALL=C

make_host() {
        rm -rf "$H" "$B"
        mkdir -p "$H/sub" "$B"
        echo "host data" >"$H/victim"
        chmod 0640 "$H/victim"
        printf '{"ociVersion":"1.0.2"}\n' >"$B/config.json"
        touch -d '2001-01-01 00:00:00' "$H/sub" "$H/victim" "$H" "$B/config.json"
}

# A small image: a few directories and files, with modes of its own.
make_rootfs() {
        rm -rf "$R"
        mkdir -p "$R/etc" "$R/usr/bin" "$R/var" "$R/run" "$R/a" "$R/later" "$R/tmp"
        echo "root:x:0:0::/root:/bin/sh" >"$R/etc/passwd"
        cp "$IT_RUNTIME" "$R/usr/bin/tool"
        chmod 1777 "$R/tmp"
        chmod 0711 "$R/later"
        chmod 0750 "$R"
}

# Everything in the "host" directories around DIR (the bundle without its
# rootfs, and the canary), with mtimes and checksums; -xdev: a leaked
# mount shows up as a difference, it is not walked into.
host_state() {
        (cd "$IT_DIR" && find canary bundle -xdev -path bundle/rootfs -prune -o \
                -printf '%p %y %m %U:%G %s %T@ %l\n' | sort
         cd "$IT_DIR" && find canary bundle -xdev -path bundle/rootfs -prune -o -type f -print0 |
                sort -z | xargs -0r md5sum)
}
# DIR as a listing: names, types, modes, owners, sizes, link targets,
# checksums (not mtimes: cairn may have made and removed things in it).
root_state() {
        (cd "$R" && find . -xdev -printf '%p %y %m %U:%G %s %l\n' | sort
         cd "$R" && find . -xdev -type f -print0 | sort -z | xargs -0r md5sum)
}
mount_table() { awk '{ print $5 }' /proc/self/mountinfo | sort; }

# conf STACK < SECTIONS
conf() { write_conf "$IT_CONF" "$1"; }
go() { run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" "$@"; }

# control NAME: the config as it is, on the clean tree, works.
control() {
        local name=$1 before
        make_rootfs
        before=$(root_state)
        go setup --root "$R"
        is "$RC" 0 "$name: control: setup on the clean tree exits 0"
        go teardown "$R"
        is "$RC" 0 "$name: control: teardown exits 0"
        is "$(root_state)" "$before" "$name: control: DIR is as given after teardown"
        check "$name: control: nothing left" nothing_left_at_all
}

# attack NAME WANT PLANT-COMMAND...: the clean tree, then PLANT (run in
# DIR), then setup --root DIR, which must exit WANT; then the checks.  With
# WANT 0, LANDS (set by the caller: a path inside DIR) must be where the
# mount went, and the checks come after a teardown, which must exit 0.
attack() {
        local name=$1 want=$2 host_before root_before mounts_before
        shift 2
        make_host
        make_rootfs
        (cd "$R" && "$@") || bail "$name: planting the shape failed"
        host_before=$(host_state)
        root_before=$(root_state)
        mounts_before=$(mount_table)

        go setup --root "$R"
        is "$RC" "$want" "$name: setup exits $want"
        check "$name: nothing on stdout but the root" test -z "$OUT" -o "$OUT" = "$R"
        check "$name: nothing mounted on the host side" nothing_mounted_under "$H"
        if [ "$want" -eq 0 ]; then
                check "$name: the mount is inside DIR, where the link leads there ($LANDS)" \
                        is_mounted "$R$LANDS"
                check "$name: every mount of the session is inside DIR" \
                        bash -c 'diff <(echo "$1") <(awk "{ print \$5 }" /proc/self/mountinfo | sort) |
                                 grep "^>" | grep -qv "^> $2/" && exit 1; exit 0' bash "$mounts_before" "$R"
                go teardown "$R"
                is "$RC" 0 "$name: teardown exits 0"
        fi
        check "$name: nothing mounted under DIR" nothing_mounted_under "$R"
        is "$(mount_table)" "$mounts_before" "$name: the mount table is as before"
        is "$(host_state)" "$host_before" "$name: nothing outside DIR created or changed"
        is "$(root_state)" "$root_before" "$name: DIR is as given (planted symlinks left alone)"
        check "$name: no journal, nothing under root_parent" nothing_left
}

make_host

# The checkers themselves see what they must (else every "as before"
# below could pass vacuously): a changed mtime, mode or byte in the host
# dirs, and a removed or added entry in DIR.
make_rootfs
s0=$(host_state)
touch "$H/sub"
check "checker: host_state sees a changed mtime" test "$(host_state)" != "$s0"
make_host
chmod 0600 "$B/config.json"
check "checker: host_state sees a changed mode beside DIR" test "$(host_state)" != "$s0"
make_host
make_rootfs
s0=$(root_state)
echo x >>"$R/etc/passwd"
check "checker: root_state sees changed contents" test "$(root_state)" != "$s0"
make_rootfs
mkdir "$R/new"
check "checker: root_state sees an added directory" test "$(root_state)" != "$s0"
make_rootfs
unset s0

# ---- a symlink at a parent of the target ------------------------------------
conf "t" <<EOF
[t]
plugin = tmpfs
target = /etc/x
EOF
control "tmpfs at /etc/x"
LANDS=$H/x attack "parent /etc -> host dir (absolute)" 0 eval 'rm -rf etc && ln -s "$H" etc'
LANDS=/canary/x attack "parent /etc -> host dir (relative, ../../canary)" 0 eval 'rm -rf etc && ln -s ../../canary etc'
LANDS=$H/x attack "parent /etc -> host dir (relative, many ../)" 0 eval \
        'rm -rf etc && ln -s "../../../../../../../../..$H" etc'
LANDS=$H/newdir/x attack "parent /etc -> dangling host path" 0 eval 'rm -rf etc && ln -s "$H/newdir" etc'
check "... the dangling host path was not created" test ! -e "$H/newdir"

conf "t" <<EOF
[t]
plugin = tmpfs
target = /a/b/c/d
EOF
control "tmpfs at /a/b/c/d"
LANDS=$H/c/d attack "deeper parent /a/b -> host dir, c and d missing" 0 eval 'ln -s "$H" a/b'
check "... nothing made in the host dir through it" test ! -e "$H/c"

# ---- a symlink at the final component ------------------------------------------
conf "t" <<EOF
[t]
plugin = tmpfs
target = /mnt
EOF
control "tmpfs at /mnt"
LANDS=$H attack "final /mnt -> host dir (absolute)" 0 eval 'ln -s "$H" mnt'
LANDS=/canary/sub attack "final /mnt -> host dir (relative)" 0 eval 'ln -s ../../canary/sub mnt'

conf "r" <<EOF
[r]
plugin = binbind
source = \${runtime}
target = /usr/bin/runsc
EOF
control "bind a file at /usr/bin/runsc"
LANDS=/canary/victim attack "final file target -> host file (relative)" 0 eval \
        'ln -s ../../../../canary/victim usr/bin/runsc'
LANDS=$H/planted attack "final file target -> dangling host path (absolute)" 0 eval \
        'ln -s "$H/planted" usr/bin/runsc'
check "... the dangling host file was not created" test ! -e "$H/planted"

# ---- /proc and /dev as symlinks ------------------------------------------------
conf "proc" <<EOF
[proc]
EOF
control "proc"
LANDS=/canary/sub attack "/proc -> host dir (relative)" 0 eval 'ln -s ../../canary/sub proc'
attack "/proc -> /proc (the host's, or itself: a loop inside the root)" 1 eval 'ln -s /proc proc'
check "... refused as a loop" grep -q "more than 40 symlinks" <<<"$ERR"

conf "kvm" <<EOF
[kvm]
device = /dev/null
EOF
control "kvm (device /dev/null)"
LANDS=$H/null attack "/dev -> host dir (absolute), kvm" 0 eval 'ln -s "$H" dev'
check "... no device node made in the host dir" test ! -e "$H/null"

conf "devices" <<EOF
[devices]
devices = /dev/null /dev/zero
EOF
control "devices /dev/null /dev/zero"
LANDS=/canary/zero attack "/dev -> host dir (relative), devices" 0 eval 'ln -s ../../canary dev'
LANDS=$H/victim attack "/dev real, /dev/zero -> host file" 0 eval 'mkdir dev && ln -s "$H/victim" dev/zero'

# ---- ".." tricks ---------------------------------------------------------------
conf "t" <<EOF
[t]
plugin = tmpfs
target = /up/escaped
EOF
control "tmpfs at /up/escaped"
LANDS=/escaped attack "/up -> .. (the bundle, beside DIR)" 0 eval 'ln -s .. up'
check "... nothing made beside DIR" test ! -e "$B/escaped"
LANDS=/canary/escaped attack "/up -> ./../../canary (dot and dot-dot)" 0 eval 'ln -s ./../../canary up'
LANDS=/escaped attack "/up -> a chain of in-root links ending in .." 0 eval \
        'ln -s hop1 up && ln -s hop2 hop1 && ln -s .. hop2'

# A ".." in the configured target is refused before anything is done.
conf "t" <<EOF
[t]
plugin = tmpfs
target = /etc/../../canary
EOF
attack "target /etc/../../canary in the config" 2 true
check "... refused as not normalized" grep -q "not a normalized path" <<<"$ERR"

# A symlink that stays inside the root is followed there (a merged /usr's).
conf "t" <<EOF
[t]
plugin = tmpfs
target = /var/run/x
EOF
control "tmpfs at /var/run/x"
LANDS=/run/x attack "/var/run -> ../run (inside the root)" 0 eval 'ln -s ../run var/run'
attack "/var/run -> itself (a loop)" 1 eval 'ln -s run var/run'

# ---- a FIFO where the mount point goes (opening it would block) ---------------
conf "t" <<EOF
[t]
plugin = tmpfs
target = /etc/fifo
EOF
attack "a FIFO at the target" 1 eval 'mkfifo etc/fifo'

# ---- swapped in during setup ------------------------------------------------
# early: a mount that succeeds; swap: /later becomes a symlink to the host
# dir; late: a target under /later, which the later lookup resolves inside
# DIR (the link's text taken from DIR as the root).
conf "early swap late" <<EOF
[early]
plugin = tmpfs
target = /tmp/early

[swap]
path = /later
to = $H

[late]
plugin = tmpfs
target = /later/x
EOF
LANDS=$H/x attack "/later swapped for a symlink to the host during setup" 0 true
check "... nothing made in the host dir through it" test ! -e "$H/x"
# The control for the swap: no swap entry, the same other entries.
conf "early late" <<EOF
[early]
plugin = tmpfs
target = /tmp/early

[late]
plugin = tmpfs
target = /later/x
EOF
control "early + late without the swap"

conf "early swap late" <<EOF
[early]
plugin = binbind
source = \${runtime}
target = /tmp/runsc

[swap]
path = /later
to = ../../canary

[late]
plugin = tmpfs
target = /later
EOF
LANDS=/canary attack "/later (the target itself) swapped for a relative symlink during setup" 0 true

# ---- swapped between setup and teardown ------------------------------------------
# The root's user moves /later (with cairn's mount in it) aside, and puts
# a symlink to a host dir that has the same names (new/m) in its place.
# Teardown must not unmount, or remove, anything through it: the host dir
# stays as it is; teardown may finish (0) or report what is in the way
# (3, journal kept), and once the swap is undone a teardown finishes.
conf "t" <<EOF
[t]
plugin = tmpfs
target = /later/new/m
EOF
make_host
make_rootfs
root_before=$(root_state)
go setup --root "$R"
is "$RC" 0 "swap after setup: setup exits 0"
mkdir -p "$H/new/m"
touch -d '2001-01-01 00:00:00' "$H/new/m" "$H/new" "$H"
mv "$R/later" "$R/moved"
ln -s "$H" "$R/later"
host_before=$(host_state)
go teardown "$R"
check "swap after setup: teardown exits 0 or 3 (got $RC)" test "$RC" -eq 0 -o "$RC" -eq 3
is "$(host_state)" "$host_before" "swap after setup: nothing in the host dir removed or changed"
check "swap after setup: nothing mounted on the host side" nothing_mounted_under "$H"
if [ "$RC" -eq 3 ]; then
        check "swap after setup: exit 3 names the moved mount" grep -qF "$R/moved/new/m" <<<"$ERR"
        check "swap after setup: the journal is kept" compgen -G "$IT_STATE/*.journal"
fi
rm "$R/later"
mv "$R/moved" "$R/later"
go teardown "$R"
is "$RC" 0 "swap after setup, undone: teardown exits 0"
check "swap after setup, undone: nothing mounted under DIR" nothing_mounted_under "$R"
is "$(root_state)" "$root_before" "swap after setup, undone: DIR is as given"
check "swap after setup, undone: nothing left" nothing_left
is "$(host_state)" "$host_before" "swap after setup, undone: the host dir is still untouched"

done_testing
