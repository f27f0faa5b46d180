#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A --root DIR is one directory, opened once: what DIR's path leads to a
# moment later, or through a magic link, changes nothing (issue 11,
# findings 1, 2, 3, 5, 8).
#
#   - /proc/PID/root of a process pivot_root'ed into another tree (another
#     mount namespace: how a runtime addresses a container), a path under
#     it, /proc/PID/fd/N of a deleted directory with a decoy named like
#     its link: refused, exit 2, nothing mounted anywhere, in neither
#     namespace; /proc/PID/root of a process chroot'ed in this namespace
#     builds into that tree and is torn down by the same name;
#   - DIR swapped with a symlink to / (RENAME_EXCHANGE in a loop) during
#     setup and during exec: setup builds into the directory or refuses
#     (exit 2), never into "/"; exec's command runs in the root or not at
#     all;
#   - a symlink planted at a gone root's name (absolute, relative, to a
#     --root directory) never leads teardown to another session;
#   - two setups of one directory at once, or by another name (a bind
#     mount, a symlink, "DIR/."): one session, the other refused, exit 2.
# Checked from /proc/self/mountinfo (and the other namespace's), never
# from cairn's account.
. "$(dirname "$0")/lib.sh"

SB=$abs_top_builddir/tests/integration/sandboxed
[ -x "$SB" ] || bail "$SB not built"
export LC_ALL=C

cat >"$IT_DIR/cairn-timeout" <<EOF_WRAP || bail "write the timeout wrapper"
#!/bin/sh
exec timeout -k 2 20 "$IT_CAIRN" "\$@"
EOF_WRAP
chmod 0755 "$IT_DIR/cairn-timeout"
IT_CAIRN=$IT_DIR/cairn-timeout

# proc at /proc: on the host's "/" (if cairn ever went there) it lands on
# a /proc that exists, in this test's namespace only, and no directory is
# made on the host's filesystem.
write_conf "$IT_CONF" "p" <<EOF_CONF
[p]
plugin = proc
EOF_CONF
write_conf "$IT_DIR/empty.conf" "" </dev/null

mount_table() { awk '{ print $5 }' /proc/self/mountinfo | sort; }
# The mounts at exactly PATH.
mounts_at() { awk -v p="$1" '$5 == p' /proc/self/mountinfo | wc -l; }
journals() { ls -A "$IT_STATE" | grep -c '\.journal$'; }

# A tree for a process to live in: the static helper and a /proc.
make_tree() {
        mkdir -p "$1/proc" "$1/tmp" || bail "mkdir $1"
        install -m 0755 "$SB" "$1/sandboxed" || bail "copy the helper into $1"
}

# start_holder NAME CMD...: run CMD (which prints its pid when ready) in
# the background; HOLDER is its pid.
start_holder() {
        local name=$1 out=$IT_DIR/$1.holder
        shift
        "$@" >"$out" 2>"$out.err" &
        HOLDER_JOB=$!
        HOLDER=
        for _ in $(seq 100); do
                HOLDER=$(head -n 1 "$out" 2>/dev/null)
                [ -n "$HOLDER" ] && return 0
                sleep 0.05
        done
        bail "$name: the holder did not start ($(cat "$out.err"))"
}
stop_holder() {
        kill -KILL "$HOLDER" "$HOLDER_JOB" 2>/dev/null
        wait "$HOLDER_JOB" 2>/dev/null
}

# refused_root NAME ROOT WORD: setup --root ROOT exits 2 naming WORD, and
# nothing is mounted here, nor in namespace NSPID's (if given), and no
# journal is left; then teardown ROOT finds nothing to do.
refused_root() {
        local name=$1 root=$2 word=$3 nspid=${4:-} before other=
        before=$(mount_table)
        [ -n "$nspid" ] && other=$(awk '{ print $5 }' "/proc/$nspid/mountinfo" | sort)
        run_cairn -c "$IT_CONF" setup --root "$root"
        is "$RC" 2 "$name: setup --root exits 2"
        check "$name: the message says \"$word\"" grep -qF -- "$word" <<<"$ERR"
        check "$name: nothing on stdout" test -z "$OUT"
        is "$(mount_table)" "$before" "$name: nothing mounted in this namespace"
        if [ -n "$nspid" ]; then
                is "$(awk '{ print $5 }' "/proc/$nspid/mountinfo" | sort)" "$other" \
                        "$name: nothing mounted in the other namespace"
        fi
        check "$name: no journal" no_journals
        run_cairn -c "$IT_CONF" teardown "$root"
        is "$RC" 0 "$name: teardown of the same path finds nothing to do"
        is "$(mount_table)" "$before" "$name: ... and still nothing is mounted"
}

# ---- finding 1: magic links -------------------------------------------------------

# A process pivot_root'ed into a tree of its own: /proc/PID/root is that
# tree's root, in another mount namespace.  HOSTDIR names a directory that
# exists both in the tree and on the host side.
T=$IT_DIR/tree
HOSTDIR=$IT_DIR/hostdir
make_tree "$T"
mkdir -p "$T$HOSTDIR/proc" "$HOSTDIR/proc"
start_holder pivot "$SB" pivot "$T"
check "the holder lives in another mount namespace" \
        test "$(readlink "/proc/$HOLDER/ns/mnt")" != "$(readlink /proc/self/ns/mnt)"
refused_root "/proc/PID/root of a pivoted process" "/proc/$HOLDER/root" \
        "in another mount namespace" "$HOLDER"
refused_root "/proc/PID/root/PATH of a pivoted process" "/proc/$HOLDER/root$HOSTDIR" \
        "in another mount namespace" "$HOLDER"
check "... nothing mounted in the host's directory of that name" nothing_mounted_under "$HOSTDIR"
refused_root "/proc/PID/cwd of a pivoted process" "/proc/$HOLDER/cwd" \
        "in another mount namespace" "$HOLDER"
stop_holder

# /proc/PID/fd/N of a directory deleted since, with a decoy named the way
# the kernel shows the link ("N (deleted)").
GONE=$IT_DIR/gone
mkdir -p "$GONE" "$GONE (deleted)/proc"
start_holder deleted bash -c 'exec 9<"$1" && rmdir "$1" && echo $$ && exec sleep 600' _ "$GONE"
check "the holder's fd 9 is a deleted directory" \
        sh -c 'readlink "/proc/$1/fd/9" | grep -qF "(deleted)"' sh "$HOLDER"
refused_root "/proc/PID/fd/N of a deleted directory" "/proc/$HOLDER/fd/9" "has been deleted"
check "... nothing mounted in the decoy" nothing_mounted_under "$GONE (deleted)"
stop_holder

# A process chroot'ed in this namespace: /proc/PID/root is its tree, and
# setup builds there; teardown of the same name takes it down.
C=$IT_DIR/chrooted
make_tree "$C"
start_holder chroot chroot "$C" /sandboxed wait-term
before=$(mount_table)
run_cairn -c "$IT_CONF" setup --root "/proc/$HOLDER/root"
is "$RC" 0 "/proc/PID/root of a process chroot'ed here: setup exits 0"
is "$OUT" "/proc/$HOLDER/root" "... and prints the root as given"
check "... proc is mounted in that tree" is_mounted "$C/proc"
is "$(mounts_at /proc)" 1 "... and nothing more at this namespace's /proc"
run_cairn -c "$IT_CONF" teardown "/proc/$HOLDER/root"
is "$RC" 0 "... teardown /proc/PID/root exits 0"
is "$(mount_table)" "$before" "... and nothing is left mounted"
check "... nor any journal" no_journals
stop_holder

# ---- finding 2: DIR swapped for a symlink to / during setup -------------------------

# run_cairn without the diagnostics: the race loops' refusals are many.
quiet_cairn() {
        "$IT_CAIRN" --confdir "$IT_CONFD" "$@" >"$IT_DIR/out" 2>"$IT_DIR/err"
        RC=$?
        OUT=$(cat "$IT_DIR/out")
        ERR=$(cat "$IT_DIR/err")
        if grep -Eq 'Sanitizer|runtime error:' "$IT_DIR/err"; then
                not_ok "no sanitizer report from: cairn $*"
                diag "$ERR"
        fi
}

# Each try: a swapper exchanges DIR and a symlink to "/" as fast as it
# can while setup runs.  Setup opens DIR once: it gets the directory
# (exit 0, proc mounted in it) or "/" (exit 2, the host's root refused),
# never a root of "/" with proc mounted at this namespace's /proc.
RACE=$IT_DIR/race
mkdir -p "$RACE/rootfs/proc"
ln -s / "$RACE/link"
settle() { # the directory back under its name
        if [ -L "$RACE/rootfs" ]; then
                "$SB" exchange "$RACE/rootfs" "$RACE/link" 0 >/dev/null || bail "settle $RACE"
        fi
}
TRIES=${CAIRN_RACE_TRIES:-40}
bad=0 won=0 refused=0 first_bad=
proc_mounts=$(mounts_at /proc)
for i in $(seq "$TRIES"); do
        "$SB" exchange "$RACE/rootfs" "$RACE/link" 10 >/dev/null &
        swapper=$!
        quiet_cairn -c "$IT_CONF" setup --root "$RACE/rootfs"
        rc=$RC out=$OUT
        kill "$swapper" 2>/dev/null
        wait "$swapper" 2>/dev/null
        settle
        if [ "$(mounts_at /proc)" != "$proc_mounts" ] ||
                grep -qs '^1 root / ' "$IT_STATE"/*.journal; then
                bad=$((bad + 1))
                [ -n "$first_bad" ] || first_bad=$i
                diag "try $i: a root of \"/\" (exit $rc)"
                # Clean up after it, in this namespace.
                while [ "$(mounts_at /proc)" -gt "$proc_mounts" ]; do umount -l /proc; done
                rm -f "$IT_STATE"/*.journal
                continue
        fi
        case $rc in
        0)
                won=$((won + 1))
                is_mounted "$RACE/rootfs/proc" || { bad=$((bad + 1)); diag "try $i: exit 0, nothing mounted in DIR"; }
                quiet_cairn -c "$IT_CONF" teardown "$out"
                [ "$RC" = 0 ] || { bad=$((bad + 1)); diag "try $i: teardown exit $RC: $ERR"; }
                ;;
        2) refused=$((refused + 1)) ;;
        *) bad=$((bad + 1)); diag "try $i: setup exit $rc: $ERR" ;;
        esac
done
diag "race on setup --root: $TRIES tries, $won built, $refused refused (DIR was the symlink), $bad bad${first_bad:+ (first at try $first_bad)}"
is "$bad" 0 "DIR swapped with a symlink to / during setup: never a root of \"/\" ($TRIES tries)"
check "... the swap did happen (some tries were refused or built)" test $((won + refused)) -eq "$TRIES"
check "... nothing is left" nothing_left
check "... nothing mounted in DIR" nothing_mounted_under "$RACE"

# ---- finding 3: exec enters its root by the descriptor ------------------------------

# The tree holds the helper at /t and a marker; CMD checks the marker.  In
# the root, CMD exits 0; in the host's "/", /t is not there (127) or the
# marker is not (1).  With DIR swapped all along, exec either refuses
# (exit 2: it opened the symlink) or runs CMD in the root.
mkdir -p "$RACE/rootfs/proc"
install -m 0755 "$SB" "$RACE/rootfs/t" || bail "copy the helper"
: >"$RACE/rootfs/inside-the-root"
bad=0 ran=0 refused=0 first_bad=
for i in $(seq "$TRIES"); do
        "$SB" exchange "$RACE/rootfs" "$RACE/link" 10 >/dev/null &
        swapper=$!
        quiet_cairn -c "$IT_DIR/empty.conf" exec --root "$RACE/rootfs" -- /t test-file /inside-the-root
        rc=$RC
        kill "$swapper" 2>/dev/null
        wait "$swapper" 2>/dev/null
        settle
        case $rc in
        0) ran=$((ran + 1)) ;;
        2) refused=$((refused + 1)) ;;
        *) bad=$((bad + 1)); [ -n "$first_bad" ] || first_bad=$i; diag "try $i: exec exit $rc: $ERR" ;;
        esac
done
diag "race on exec --root: $TRIES tries, $ran ran in the root, $refused refused, $bad bad${first_bad:+ (first at try $first_bad)}"
is "$bad" 0 "DIR swapped with a symlink to / during exec: CMD never runs outside the root ($TRIES tries)"
check "... CMD did run in the root some of the time" test "$ran" -gt 0
check "... nothing is left" nothing_left
settle
rm -f "$RACE/rootfs/t" "$RACE/rootfs/inside-the-root"

# ---- finding 5: a symlink planted at a gone root's name ----------------------------

# plant NAME HOW: setup A and B; teardown A; put HOW at A's name; a
# retried teardown A exits 0 and leaves B as it is.
write_conf "$IT_DIR/seed.conf" "p" <<EOF_CONF
[p]
plugin = proc
EOF_CONF
plant() {
        local name=$1 how=$2 a b id_b target
        setup_root "$name (A)" -c "$IT_DIR/seed.conf" || return
        a=$ROOT
        if [ "$how" = given ]; then
                b=$IT_DIR/given-b
                mkdir -p "$b/proc"
                run_cairn -c "$IT_DIR/seed.conf" setup --root "$b"
                is "$RC" 0 "$name (B, a --root directory): setup exits 0"
                id_b=$(grep -l "^1 root $b given\$" "$IT_STATE"/*.journal)
                id_b=${id_b##*/}
                id_b=${id_b%.journal}
        else
                setup_root "$name (B)" -c "$IT_DIR/seed.conf" || return
                b=$ROOT id_b=$ID
        fi
        run_cairn -c "$IT_DIR/seed.conf" teardown "$a"
        is "$RC" 0 "$name: teardown A exits 0"
        case $how in
        absolute) target=$b ;;
        relative) target=${b##*/} ;;
        given) target=$b ;;
        esac
        ln -s "$target" "$a" || bail "plant $a"
        run_cairn -c "$IT_DIR/seed.conf" teardown "$a"
        is "$RC" 0 "$name: a retried teardown A exits 0 (nothing to do)"
        check "$name: B is still mounted" is_mounted "$b/proc"
        check "$name: B's journal is still there" test -n "$(ls "$IT_STATE" | grep -F "$id_b")"
        rm -f "$a"
        run_cairn -c "$IT_DIR/seed.conf" teardown "$b"
        is "$RC" 0 "$name: B's own teardown exits 0"
        check "$name: then nothing is left" nothing_left_at_all
        check "$name: ... nothing mounted in B" nothing_mounted_under "$b"
        [ "$how" = given ] && rm -rf "$b"
}
plant "symlink to another root (absolute)" absolute
plant "symlink to another root (relative)" relative
plant "symlink to a --root directory" given

# ---- finding 8: two sessions on one --root ----------------------------------------

G=$IT_DIR/shared
mkdir -p "$G/proc"
# Both setups start at once: each waits for the go file, spinning.
racing_setup() { # TAG
        (while [ ! -e "$IT_DIR/go" ]; do :; done
         exec "$IT_CAIRN" --confdir "$IT_CONFD" -c "$IT_CONF" setup --root "$G" \
                >"$IT_DIR/$1.out" 2>"$IT_DIR/$1.err"
        ) &
}
ROUNDS=${CAIRN_RACE_TRIES:-20}
bad=0
for i in $(seq "$ROUNDS"); do
        rm -f "$IT_DIR/go"
        racing_setup s1
        p1=$!
        racing_setup s2
        p2=$!
        sleep 0.05
        touch "$IT_DIR/go"
        wait "$p1"
        r1=$?
        wait "$p2"
        r2=$?
        rcs=$(printf '%s\n' "$r1" "$r2" | sort | tr '\n' ' ')
        n=$(mounts_at "$G/proc")
        if [ "$rcs" != "0 2 " ] || [ "$n" != 1 ] || [ "$(journals)" != 1 ]; then
                bad=$((bad + 1))
                diag "round $i: exits $rcs, $n mounts at DIR/proc, $(journals) journals"
        fi
        quiet_cairn -c "$IT_CONF" teardown "$G"
        # A second session, if there is one, by its id.
        for j in "$IT_STATE"/*.journal; do
                [ -e "$j" ] || continue
                j=${j##*/}
                quiet_cairn -c "$IT_CONF" teardown "${j%.journal}"
        done
        while is_mounted "$G/proc"; do umount -l "$G/proc"; done
done
is "$bad" 0 "two setups of one directory at once: one session, the other refused with exit 2 ($ROUNDS rounds)"
check "... the refusal names the other session" grep -q "already the root of session cairn-" "$IT_DIR/s1.err" "$IT_DIR/s2.err"
check "... nothing is left" nothing_left

# The same directory by other names, one after the other.
mkdir -p "$IT_DIR/bindpoint"
mount --bind "$G" "$IT_DIR/bindpoint" || bail "bind $G"
ln -s "$G" "$IT_DIR/shared-link"
run_cairn -c "$IT_CONF" setup --root "$G"
is "$RC" 0 "setup --root DIR exits 0"
first=$OUT
for other in "$IT_DIR/bindpoint" "$IT_DIR/shared-link" "$G/." "$G/" "$IT_DIR//shared"; do
        run_cairn -c "$IT_CONF" setup --root "$other"
        is "$RC" 2 "setup --root $other (the same directory) exits 2"
        check "... naming the session it is the root of" grep -q "already the root of session cairn-" <<<"$ERR"
done
is "$(journals)" 1 "one session in all"
is "$(mounts_at "$G/proc")" 1 "one proc mounted in DIR"
# Another path to the root (a bind mount of it) while the recorded one
# still leads there: not the session's root by another name.
run_cairn -c "$IT_CONF" teardown "$IT_DIR/bindpoint"
is "$RC" 2 "teardown of a bind mount of a session's root, its own path still there: exit 2"
check "... naming the session's root" mentions_path "$ERR" "$G"
is "$(mounts_at "$G/proc")" 1 "... the session is left as it is"
run_cairn -c "$IT_CONF" teardown "$first"
is "$RC" 0 "its teardown exits 0"
umount "$IT_DIR/bindpoint"
check "... and nothing is left" nothing_left
check "... nothing mounted in DIR" nothing_mounted_under "$G"

# A root moved away from its recorded path: found by what it is.
run_cairn -c "$IT_CONF" setup --root "$G"
is "$RC" 0 "setup --root DIR exits 0 (to be moved)"
mv "$G" "$IT_DIR/moved"
run_cairn -c "$IT_CONF" teardown "$IT_DIR/moved"
is "$RC" 0 "teardown by the path the root was moved to exits 0"
check "... nothing is left" nothing_left
check "... nothing mounted in it" nothing_mounted_under "$IT_DIR/moved"
mv "$IT_DIR/moved" "$G"

done_testing
