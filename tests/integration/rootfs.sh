#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The root's own filesystem ([cairn] root_fs, root_size, root_readonly): a
# root cairn makes is a fresh tmpfs by default, so that whatever a runtime
# or a workload writes into it cannot block the teardown, which unmounts
# it and removes one empty directory; root_readonly makes the root's own
# mount read-only once set up.  Checked from mountinfo, statfs and from
# inside the root.
. "$(dirname "$0")/lib.sh"

BB=/bin/busybox
ldd "$BB" 2>&1 | grep -Eq 'not a dynamic|statically linked' ||
        bail "$BB is not a static busybox (apt-get install busybox-static)"

# conf FILE [CAIRN-KEY=VALUE...]: proc, a runtime binary at /usr/bin/runsc
# (its directories made by cairn) and busybox at /bin/sh; [cairn] keys added.
conf() {
        local f=$1 kv
        shift
        {
                cairn_section "proc runsc sh"
                entry proc
                entry_binbind runsc "$IT_RUNTIME" /usr/bin/runsc
                entry_binbind sh "$BB" /bin/sh
        } >"$f"
        for kv; do
                sed -i "/^\[cairn\]/a ${kv%%=*} = ${kv#*=}" "$f"
        done
}
size_of() { stat -f -c '%b %S' "$1" | awk '{ print $1 * $2 }'; }

# ---- the default: a tmpfs root -----------------------------------------------
conf "$IT_CONF"
setup_root "tmpfs root" -c "$IT_CONF" || bail "no root"
is "$(mount_fstype "$ROOT")" tmpfs "the root is a tmpfs mount (mountinfo)"
check "... nosuid,nodev" mount_has_opts "$ROOT" nosuid nodev
check "... whose source names the session" \
        awk -v p="$ROOT" -v id="$ID" '$5 == p { for (i = 7; $i != "-"; i++) ; if ($(i + 2) == id) f = 1 } END { exit !f }' /proc/self/mountinfo
is "$(size_of "$ROOT")" $((64 << 20)) "... of the default root_size, 64m (statfs)"
check "... a filesystem of its own, not root_parent's" test "$(stat -c %d "$ROOT")" != "$(stat -c %d "$IT_ROOTS")"
is "$(stat -c %a "$ROOT")" 755 "... with root_mode once set up"
check "proc is mounted in it" is_mounted "$ROOT/proc"
check "/usr/bin/runsc is bound in it" is_mounted "$ROOT/usr/bin/runsc"
# A runtime writes into the root it got, everywhere, also into the
# directories cairn made.
mkdir -p "$ROOT/var/lib/x" && echo data >"$ROOT/var/lib/x/f" && echo hi >"$ROOT/usr/bin/tool" &&
        mkdir "$ROOT/usr/bin/sub" && ln -s /nowhere "$ROOT/usr/l" && echo t >"$ROOT/top"
is "$?" 0 "a runtime writes files, directories and links anywhere in the root"
run_cairn -c "$IT_CONF" teardown "$ID"
is "$RC" 0 "teardown after the runtime wrote into the root exits 0"
check "... no root left" dir_is_empty "$IT_ROOTS"
check "... no journal left" no_journals
check "... no mount left" nothing_mounted_under "$IT_ROOTS"

# Nothing of a tmpfs root lands on the host's filesystem: the directory
# under the tmpfs is empty while the session lives.
setup_root "under the tmpfs" -c "$IT_CONF" || bail "no root"
echo x >"$ROOT/written"
mkdir "$IT_DIR/peek" && mount --bind "$IT_ROOTS" "$IT_DIR/peek"
check "the directory under a tmpfs root is empty on the host's filesystem" dir_is_empty "$IT_DIR/peek/$ID"
umount "$IT_DIR/peek"
run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 0 "teardown by path exits 0"
check "... nothing left" nothing_left_at_all

# root_size.
conf "$IT_CONF" root_size=1m
setup_root "root_size = 1m" -c "$IT_CONF" || bail "no root"
is "$(size_of "$ROOT")" $((1 << 20)) "the root tmpfs has 1 MiB (statfs)"
dd if=/dev/zero of="$ROOT/big" bs=64k count=64 2>/dev/null
is "$?" 1 "... and writing 4 MiB into it fails"
run_cairn -c "$IT_CONF" teardown "$ID"
is "$RC" 0 "... teardown of a full root exits 0"
check "... nothing left" nothing_left_at_all

# A workload under exec writes into its root: its exit status is cairn's,
# and nothing is left.
conf "$IT_CONF"
run_cairn -c "$IT_CONF" exec -- /bin/sh -c 'echo hi > /x && mkdir -p /a/b && echo y > /a/b/y && echo z > /usr/bin/z && test "$(cat /x)" = hi'
is "$RC" 0 "exec: a workload writing files and directories in its root: exit 0"
check "... nothing left" nothing_left_at_all
run_cairn -c "$IT_CONF" exec -- /bin/sh -c 'mkdir /d && echo x > /d/f && exit 5'
is "$RC" 5 "exec: a workload that wrote and exits 5: exit 5"
check "... nothing left" nothing_left_at_all
run_cairn -c "$IT_CONF" exec -- /bin/sh -c 'grep " / " /proc/self/mountinfo'
check "exec: / is a tmpfs inside" grep -q ' - tmpfs ' <<<"$OUT"

# A TTY workload with the dev plugin: run under script(1), CMD's stdin is
# a terminal, /dev/tty opens, and /dev/pts is a private devpts.
{
        cairn_section "proc dev sh"
        entry proc
        entry dev
        entry_binbind sh "$BB" /bin/sh
} >"$IT_DIR/tty.conf"
script -qec "$IT_CAIRN --confdir $IT_CONFD -c $IT_DIR/tty.conf exec -- /bin/sh -c 'test -t 0 && echo on-tty > /dev/tty && test -c /dev/pts/ptmx && test -L /dev/ptmx && echo tty-ok'" \
        "$IT_DIR/typescript" >"$IT_DIR/tty.out" 2>&1 </dev/null
tty_out=$(tr -d '\r' <"$IT_DIR/tty.out")
diag "script: $(head -c 2000 <<<"$tty_out")"
check "exec with dev under a pty: stdin is a terminal, /dev/tty and /dev/pts work" grep -q '^tty-ok$' <<<"$tty_out"
check "... what CMD wrote to /dev/tty reached the terminal" grep -q '^on-tty$' <<<"$tty_out"
check "... nothing left" nothing_left_at_all

# ---- root_readonly --------------------------------------------------------------
conf "$IT_CONF" root_readonly=yes
setup_root "root_readonly" -c "$IT_CONF" || bail "no root"
check "the root's mount is read-only (mountinfo)" mount_has_opts "$ROOT" ro
check "... proc in it keeps its own flags (rw)" mount_has_opts "$ROOT/proc" rw
err=$(touch "$ROOT/x" 2>&1)
check "writing into the root from the host fails with EROFS" grep -q 'Read-only file system' <<<"$err"
err=$(mkdir "$ROOT/usr/new" 2>&1)
check "... also in a directory cairn made" grep -q 'Read-only file system' <<<"$err"
run_cairn -c "$IT_CONF" teardown "$ID"
is "$RC" 0 "teardown of a read-only root exits 0"
check "... nothing left" nothing_left_at_all
run_cairn -c "$IT_CONF" exec -- /bin/sh -c 'echo x > /x'
check "exec: writing into a read-only root fails" test "$RC" -ne 0
check "... with EROFS" grep -q 'Read-only file system' <<<"$ERR"
check "... nothing left" nothing_left_at_all

# root_fs = dir: a plain directory, as before.
conf "$IT_CONF" root_fs=dir
setup_root "root_fs = dir" -c "$IT_CONF" || bail "no root"
check "a root_fs = dir root is not a mount" not_mounted "$ROOT"
run_cairn -c "$IT_CONF" teardown "$ID"
is "$RC" 0 "... teardown exits 0"
check "... nothing left" nothing_left_at_all

# root_fs = dir with root_readonly: the directory bound onto itself.
conf "$IT_CONF" root_fs=dir root_readonly=yes
setup_root "root_fs = dir, root_readonly" -c "$IT_CONF" || bail "no root"
check "the root is a read-only bind of itself (mountinfo)" mount_has_opts "$ROOT" ro
is "$(stat -c %d "$ROOT")" "$(stat -c %d "$IT_ROOTS")" "... on root_parent's own filesystem"
err=$(touch "$ROOT/x" 2>&1)
check "... writing into it fails with EROFS" grep -q 'Read-only file system' <<<"$err"
run_cairn -c "$IT_CONF" teardown "$ID"
is "$RC" 0 "... teardown exits 0"
check "... nothing left" nothing_left_at_all

# --root DIR with root_readonly: the caller's directory is left as it is
# (a notice says so), so that one config serves both kinds of root.
mkdir "$IT_DIR/given"
run_cairn -c "$IT_CONF" setup --root "$IT_DIR/given"
is "$RC" 0 "--root with root_readonly = yes: exit 0"
check "... a notice names the key and the directory" \
        grep -q "$IT_CONF:[0-9]*: \[cairn\] root_readonly applies to roots cairn makes; --root $IT_DIR/given" <<<"$ERR"
check "... the directory is not made a mount" not_mounted "$IT_DIR/given"
touch "$IT_DIR/given/w"
is "$?" 0 "... and stays writable"
rm -f "$IT_DIR/given/w"
run_cairn -c "$IT_CONF" teardown "$IT_DIR/given"
is "$RC" 0 "... teardown exits 0"
check "... nothing left" nothing_left_at_all
check "... the directory is empty again" dir_is_empty "$IT_DIR/given"

# Bad values: exit 2 naming file, line, section and key.
for bad in root_fs=tmpfs2 root_size=abc root_size=0 root_size=10x root_size=101% root_readonly=maybe; do
        conf "$IT_CONF" "$bad"
        run_cairn -c "$IT_CONF" setup
        is "$RC" 2 "$bad: exit 2"
        check "... names the file, line and key" grep -q "$IT_CONF:2: \[cairn\] ${bad%%=*}:" <<<"$ERR"
        check "... nothing done" nothing_left_at_all
done

# A setup that fails part-way rolls back the tmpfs root too.
conf "$IT_CONF"
{ entry bad fail; } >>"$IT_CONF"
sed -i 's/^stack = .*/stack = proc runsc sh bad/' "$IT_CONF"
run_cairn -c "$IT_CONF" setup
is "$RC" 1 "a failed setup on a tmpfs root: exit 1"
check "... rolled back: nothing left" nothing_left_at_all

done_testing
