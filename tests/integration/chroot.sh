#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The plugins for what gVisor's runsc/cmd/chroot.go does today (issue 13):
# tmpfs, copy, symlink, dev, proc's readonly and fallback, binbind's
# recursive.  A stack of all of them, checked from mountinfo and from
# inside the root, then torn down to nothing; the errors each refuses
# (config: exit 2; setup: exit 1, rolled back), nothing left; and proc's
# fallback where a fresh procfs is refused (a user namespace whose /proc
# has a locked mount over part of it).
. "$(dirname "$0")/lib.sh"

# ---- host files --------------------------------------------------------------

# A file to copy, setuid (the copy must not be); another with a mode of
# its own for the copy.
printf 'TZif2 pretend zoneinfo\n' >"$IT_HOST/localtime"
chmod 4755 "$IT_HOST/localtime"
printf 'nameserver 192.0.2.1\n' >"$IT_HOST/resolv.conf"
chmod 0640 "$IT_HOST/resolv.conf"
lt_stat=$(stat_of "$IT_HOST/localtime")
rc_stat=$(stat_of "$IT_HOST/resolv.conf")
# A directory with a mount beneath it, for a recursive bind.
mkdir -p "$IT_HOST/tree/sub" "$IT_HOST/tree/plain"
echo top >"$IT_HOST/tree/top"
mount -t tmpfs -o size=1m,mode=0755 hostsub "$IT_HOST/tree/sub" || bail "mount a tmpfs on $IT_HOST/tree/sub"
echo beneath >"$IT_HOST/tree/sub/file"

# ---- a stack of every new plugin -----------------------------------------------

{
        entry proc proc readonly=yes
        entry dev
        entry localtime copy source="$IT_HOST/localtime" target=/etc/localtime
        entry resolv copy source="$IT_HOST/resolv.conf" target=/etc/resolv.conf mode=0600
        entry same copy source="$IT_HOST/resolv.conf"
        entry zone symlink path=/usr/share/zoneinfo/Local to=../../../etc/localtime
        entry scratch tmpfs target=/scratch size=64m mode=1777
        entry exe tmpfs target=/exe noexec=no size=1m
        entry tree binbind source="$IT_HOST/tree" target=/tree recursive=yes
        entry flat binbind source="$IT_HOST/tree" target=/flat
} | write_conf "$IT_CONF" "proc dev localtime resolv same zone scratch exe tree flat"

run_cairn -c "$IT_CONF" check
is "$RC" 0 "check of the stack exits 0"
setup_root "every new plugin" -c "$IT_CONF" || done_testing

# copy: its own inode, the contents, the mode as said; the host's as it was.
for f in localtime:/etc/localtime resolv.conf:/etc/resolv.conf resolv.conf:"$IT_HOST/resolv.conf"; do
        h=$IT_HOST/${f%%:*} c=$ROOT${f#*:}
        check "copy ${f#*:}: a regular file in the root" test -f "$c" -a ! -L "$c"
        check "copy ${f#*:}: the same contents as $h" cmp -s "$h" "$c"
        check "copy ${f#*:}: not a mount (never a bind)" not_mounted "$c"
        check "copy ${f#*:}: another inode than the host file's" \
                test "$(stat -c %d:%i "$h")" != "$(stat -c %d:%i "$c")"
done
is "$(stat -c %a "$ROOT/etc/localtime")" 755 "copy: default mode is the source's without setuid (4755 -> 755)"
is "$(stat -c %a "$ROOT/etc/resolv.conf")" 600 "copy: mode = 0600 is the copy's mode"
is "$(stat -c %a "$ROOT$IT_HOST/resolv.conf")" 640 "copy: default target is the source's path, its mode the source's"
echo changed >>"$ROOT/etc/localtime"
is "$(cat "$IT_HOST/localtime")" "TZif2 pretend zoneinfo" "copy: writing the copy does not reach the host file"
is "$(stat_of "$IT_HOST/localtime")" "$lt_stat" "copy: the host file keeps its mode and owner"
is "$(stat_of "$IT_HOST/resolv.conf")" "$rc_stat" "copy: ... both of them"

# symlink: the text as given, not resolved.
check "symlink: /usr/share/zoneinfo/Local is a symlink" test -L "$ROOT/usr/share/zoneinfo/Local"
is "$(readlink "$ROOT/usr/share/zoneinfo/Local")" ../../../etc/localtime "symlink: its text is \"to\""

# tmpfs: size, mode, options.
is "$(mount_fstype "$ROOT/scratch")" tmpfs "tmpfs: /scratch is a tmpfs (mountinfo)"
check "tmpfs: nosuid,nodev,noexec by default (mountinfo)" mount_has_opts "$ROOT/scratch" rw nosuid nodev noexec
is "$(stat -f -c '%b*%S' "$ROOT/scratch" | bc)" $((64 << 20)) "tmpfs: size = 64m is 64 MiB (statfs)"
is "$(stat -c %a "$ROOT/scratch")" 1777 "tmpfs: mode = 1777 (stat)"
check "tmpfs: noexec = no leaves exec (mountinfo)" mount_has_opts "$ROOT/exe" nosuid nodev
check "tmpfs: ... not noexec" sh -c '! mount_has() { :; }; awk -v p="$1" '\''$5 == p && $6 ~ /noexec/ { f = 1 } END { exit f }'\'' /proc/self/mountinfo' sh "$ROOT/exe"
is "$(stat -c %a "$ROOT/exe")" 755 "tmpfs: mode defaults to 0755"

# proc, readonly.
is "$(mount_fstype "$ROOT/proc")" proc "proc: a procfs"
check "proc: readonly = yes mounts it ro (mountinfo)" mount_has_opts "$ROOT/proc" ro nosuid nodev noexec

# binbind, recursive: the submount is there, read-only like the top.
check "binbind recursive: /tree is mounted ro" mount_has_opts "$ROOT/tree" ro
check "binbind recursive: the submount /tree/sub is mounted too" is_mounted "$ROOT/tree/sub"
check "binbind recursive: ... read-only too (mountinfo)" mount_has_opts "$ROOT/tree/sub" ro
is "$(cat "$ROOT/tree/sub/file" 2>&1)" beneath "binbind recursive: the submount's file is seen inside"
err=$(touch "$ROOT/tree/sub/new" 2>&1)
check "binbind recursive: writing into the submount fails with EROFS" grep -q "Read-only file system" <<<"$err"
check "binbind recursive: the host's submount is still writable" touch "$IT_HOST/tree/sub/host-new"
check "binbind without recursive: /flat/sub is not a mount" not_mounted "$ROOT/flat/sub"
check "binbind without recursive: ... and holds nothing of the submount" test ! -e "$ROOT/flat/sub/file"

# dev: the minimal /dev.
is "$(mount_fstype "$ROOT/dev")" tmpfs "dev: /dev is a tmpfs"
check "dev: nosuid,nodev,noexec (mountinfo)" mount_has_opts "$ROOT/dev" nosuid nodev noexec
is "$(stat -c %a "$ROOT/dev")" 755 "dev: mode 0755"
for d in null zero full random urandom tty; do
        check "dev: $d is the host's character device" \
                test -c "$ROOT/dev/$d" -a "$(stat -c %t:%T "$ROOT/dev/$d")" = "$(stat -c %t:%T "/dev/$d")"
        check "dev: $d is a bind (mountinfo)" is_mounted "$ROOT/dev/$d"
done
check "dev: writing to null works (a bind on a nodev tmpfs is still a device)" sh -c 'echo x >"$1"' sh "$ROOT/dev/null"
is "$(head -c 4 "$ROOT/dev/zero" | od -An -tx1 | tr -d ' ')" 00000000 "dev: zero reads zeros"
is "$(mount_fstype "$ROOT/dev/pts")" devpts "dev: pts is a devpts"
check "dev: pts is nosuid,noexec" mount_has_opts "$ROOT/dev/pts" nosuid noexec
m=$(awk -v p="$ROOT/dev/pts" '$5 == p { for (i = 7; $i != "-"; i++) ; print $(i + 3) }' /proc/self/mountinfo)
check "dev: pts is a new instance with mode=620,ptmxmode=666 ($m)" \
        sh -c 'case ,$1, in *,mode=620,*ptmxmode=666,*) exit 0 ;; *) exit 1 ;; esac' sh "$m"
is "$(stat -c %a "$ROOT/dev/pts/ptmx")" 666 "dev: pts/ptmx is 0666"
is "$(readlink "$ROOT/dev/ptmx")" pts/ptmx "dev: ptmx -> pts/ptmx"
is "$(mount_fstype "$ROOT/dev/shm")" tmpfs "dev: shm is a tmpfs"
check "dev: shm is nosuid,nodev" mount_has_opts "$ROOT/dev/shm" nosuid nodev
is "$(stat -c %a "$ROOT/dev/shm")" 1777 "dev: shm is 1777"
is "$(readlink "$ROOT/dev/fd")" /proc/self/fd "dev: fd -> /proc/self/fd"
is "$(readlink "$ROOT/dev/stdin") $(readlink "$ROOT/dev/stdout") $(readlink "$ROOT/dev/stderr")" \
        "/proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2" "dev: stdin, stdout, stderr"

# From inside the root: what a sandboxed program sees.
if [ -n "$IT_RUNTIME_STATIC" ] || command -v chroot >/dev/null; then
        got=$(chroot "$ROOT" /bin/sh -c 'cat /etc/resolv.conf' 2>/dev/null)
        [ -x "$ROOT/bin/sh" ] || got=$(cat "$ROOT/etc/resolv.conf")
        is "$got" "nameserver 192.0.2.1" "inside: the copy reads as the host file did"
fi

run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 0 "every new plugin: teardown exits 0"
assert_gone "every new plugin" "$ROOT" "$ID"
check "every new plugin: nothing left at all" nothing_left_at_all
is "$(cat "$IT_HOST/tree/sub/file")" beneath "teardown: the host's submount and its file are still there"
is "$(stat_of "$IT_HOST/localtime") $(stat_of "$IT_HOST/resolv.conf")" "$lt_stat $rc_stat" \
        "teardown: the host files keep their modes"

# ---- setup errors: exit 1, rolled back, nothing left -----------------------------

# refused_setup DESC WORD ENTRY-ARGS...: a stack of proc, a tmpfs and the
# entry; setup exits 1, says WORD, leaves nothing.
refused_setup() {
        local desc=$1 word=$2
        shift 2
        { entry proc; entry_tmpfs t /t; entry "$@"; } | write_conf "$IT_CONF" "proc t $1"
        run_cairn -c "$IT_CONF" setup
        is "$RC" 1 "$desc: setup exits 1"
        check "$desc: the message says \"$word\"" grep -qF -- "$word" <<<"$ERR"
        check "$desc: nothing left" nothing_left_at_all
}
mkdir -p "$IT_HOST/adir"
truncate -s $(((16 << 20) + 1)) "$IT_HOST/big"
refused_setup "copy of a missing source" "$IT_HOST/missing" c copy source="$IT_HOST/missing"
refused_setup "copy of a directory" "not a regular file" c copy source="$IT_HOST/adir"
refused_setup "copy of a file over 16 MiB" "more than a copy may be" c copy source="$IT_HOST/big"
refused_setup "copy onto a path that exists" "exists already" c copy source="$IT_HOST/localtime" target=/t
refused_setup "symlink whose path exists" "exists already" s symlink path=/t to=/elsewhere
refused_setup "symlink whose path is a mount point's parent" "exists already" s symlink path=/proc to=/x
{ entry proc; entry l symlink path=/l to="$IT_HOST"; entry s symlink path=/l/x to=y; } |
        write_conf "$IT_CONF" "proc l s"
# /l/x: its directory resolved inside the root (inroot.c), as if the
# root were "/": the link lands at ROOT$IT_HOST/x, never on the host.
run_cairn -c "$IT_CONF" setup
is "$RC" 0 "symlink below a symlink: setup exits 0 (the first link followed inside the root)"
check "symlink below a symlink: it is made where the link leads inside the root" \
        test -L "$OUT$IT_HOST/x"
check "symlink below a symlink: nothing made on the host" test ! -e "$IT_HOST/x"
run_cairn -c "$IT_CONF" teardown "$OUT"
is "$RC" 0 "symlink below a symlink: teardown exits 0"
check "symlink below a symlink: nothing left" nothing_left_at_all
is "$(stat_of "$IT_HOST/localtime")" "$lt_stat" "the refused copies left the host file as it was"

# ---- config errors: exit 2, named, nothing done ------------------------------------

# refused_conf DESC KEY ENTRY-ARGS...: exit 2 from check and from setup,
# the message names the file, the line, the section and KEY.
refused_conf() {
        local desc=$1 key=$2 cmd line
        shift 2
        { entry proc; entry "$@"; } | write_conf "$IT_CONF" "proc $1"
        line=$(grep -n "^$key = " "$IT_CONF" | cut -d: -f1)
        for cmd in check setup; do
                run_cairn -c "$IT_CONF" $cmd
                is "$RC" 2 "$desc: $cmd exits 2"
                check "$desc: $cmd names $IT_CONF:$line, [$1] and $key" \
                        grep -qE "$IT_CONF:$line: \[$1\] $key:" <<<"$ERR"
        done
        check "$desc: nothing left" nothing_left_at_all
}
refused_conf "tmpfs size = abc" size t tmpfs target=/t size=abc
refused_conf "tmpfs size = 12q" size t tmpfs target=/t size=12q
refused_conf "tmpfs size = 1 (out of range)" size t tmpfs target=/t size=1
refused_conf "tmpfs size = 20000000t (overflows)" size t tmpfs target=/t size=20000000t
refused_conf "tmpfs size = -1" size t tmpfs target=/t size=-1
refused_conf "tmpfs mode = 999" mode t tmpfs target=/t mode=999
refused_conf "tmpfs target = /" target t tmpfs target=/
refused_conf "proc fallback = maybe" fallback p proc fallback=maybe
refused_conf "binbind recursive = sometimes" recursive b binbind source=/etc recursive=sometimes
refused_conf "symlink path = /" path s symlink path=/ to=x
refused_conf "copy source = relative" source c copy source=etc/passwd
refused_conf "dev target = /" target d dev target=/

# ---- proc's fallback, where a fresh procfs is refused -------------------------------

# A user namespace (root mapped to root) whose /proc has a mount over
# /proc/sys made before it was created, so the mount is locked: the kernel
# refuses a fresh procfs there (EPERM: it would reveal what the mount
# hides).  In a mount namespace of its own, so the overmount stays out of
# ours.  userns_run SCRIPT ARG...: bash -c SCRIPT with $0, $1... the ARGs.
userns_run() {
        unshare --mount --propagation private -- /bin/bash -c '
                mount -t tmpfs -o size=1m masked /proc/sys || exit 90
                exec unshare --user --map-root-user --mount --pid --fork -- /bin/bash -c "$@"' \
                - "$@"
}
# The script run there, with $0 cairn, $1 confdir, $2 config, $3 scratch,
# $4 roots, $5 state: setup, what is mounted at the root's /proc (options,
# type) and /proc/sys, a write into it, teardown, what is left; one
# "KEY=VALUE" a line.
inner='
        cd /
        "$0" --confdir "$1" -c "$2" setup >"$3/out" 2>"$3/err"; echo "setup=$?"
        root=$(cat "$3/out")
        echo "root=$root"
        awk -v p="$root/proc" '\''$5 == p { for (i = 7; $i != "-"; i++) ; print "proc=" $6 " " $(i + 1) }
                $5 == p "/sys" { print "procsys=" $6 }'\'' /proc/self/mountinfo
        if [ -n "$root" ] && { : >"$root/proc/sys/x"; } 2>/dev/null; then echo write=ok; else echo write=refused; fi
        if [ -n "$root" ]; then "$0" --confdir "$1" -c "$2" teardown "$root" >/dev/null 2>>"$3/err"; echo "teardown=$?"; fi
        echo "left=$({ ls -A "$4"; ls -A "$5"; } | grep -c cairn-)"
        echo "mounted=$(awk -v d="$4/" '\''index($5, d) == 1'\'' /proc/self/mountinfo | wc -l)"'
fallback_case() {
        local desc=$1 fb=$2
        entry proc proc fallback="$fb" | write_conf "$IT_CONF" proc
        res=$(userns_run "$inner" "$IT_CAIRN" "$IT_CONFD" "$IT_CONF" "$IT_DIR" "$IT_ROOTS" "$IT_STATE" 2>&1)
        diag "$desc:" "$res" "stderr:" "$(cat "$IT_DIR/err" 2>/dev/null)"
}
val() { sed -n "s/^$1=//p" <<<"$res"; }

fallback_case "fallback = bind" bind
is "$(val setup)" 0 "fallback = bind, a fresh procfs refused: setup exits 0"
check "fallback = bind: it said so (a notice)" grep -q "fallback = bind" "$IT_DIR/err"
check "fallback = bind: the kernel did refuse a fresh procfs (EPERM)" grep -q "Operation not permitted" "$IT_DIR/err"
is "$(val proc | cut -d' ' -f2)" proc "fallback = bind: the root's /proc is procfs (the host's)"
check "fallback = bind: it is read-only ($(val proc))" sh -c 'case ,${1%% *}, in *,ro,*) exit 0 ;; *) exit 1 ;; esac' sh "$(val proc)"
check "fallback = bind: the mount over /proc/sys came along, read-only too ($(val procsys))" \
        sh -c 'case ,$1, in *,ro,*) exit 0 ;; *) exit 1 ;; esac' sh "$(val procsys)"
is "$(val write)" refused "fallback = bind: nothing can be written through it"
is "$(val teardown)" 0 "fallback = bind: teardown exits 0"
is "$(val left) $(val mounted)" "0 0" "fallback = bind: nothing left (no root, no journal, no mount)"

fallback_case "fallback = none" none
is "$(val setup)" 1 "fallback = none, a fresh procfs refused: setup exits 1"
check "fallback = none: the message says why" grep -q "Operation not permitted" "$IT_DIR/err"
is "$(val left) $(val mounted)" "0 0" "fallback = none: nothing left (no root, no journal, no mount)"
check "and nothing left here either" nothing_left_at_all

umount "$IT_HOST/tree/sub"
done_testing
