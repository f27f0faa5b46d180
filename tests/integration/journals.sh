#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A journal is only ever cairn's own, read for what it is, and never
# damaged by what happens around it (issue 11, findings 4, 6, 7, 9, and
# what was seen with them):
#   - a trusted.cairn.journal attribute shipped on a --root directory
#     (an image unpacked by root keeps trusted.* attributes), naming a
#     forged journal beside it: teardown DIR takes down the real session,
#     runs nothing the forgery names, and leaves the forged file alone;
#   - stderr (or stdout) closed: cairn's messages never land in a journal;
#   - a torn last record (setup under `ulimit -f`, a record cut at every
#     byte): nothing is ever appended to it, and teardown and gc finish;
#   - a journal without its root record, or with records that refer to
#     nothing: named, left alone, exit 3; gc still collects the others;
#   - two journals swapped under each other's names: teardown ID refuses;
#   - a root path with a newline in it: `list` stays one line a session.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
install -m 0755 "$IT_MODULES/check/hook.so" "$IT_PLUGINS/" ||
        bail "copy test plugin hook.so"

write_conf "$IT_CONF" "t u" <<EOF_CONF
[t]
plugin = tmpfs
target = /t

[u]
plugin = tmpfs
target = /t/u
EOF_CONF
C=(-c "$IT_CONF")

journal_of() { echo "$IT_STATE/$1.journal"; }
# A process whose working directory is DIR: the mount holding it is busy.
hold() {
        (cd "$1" && exec sleep 600) &
        HOLD=$!
        sleep 0.1
}
release() { kill "$HOLD" 2>/dev/null; wait "$HOLD" 2>/dev/null; }
journal_reads() { # the journal of ID parses as cairn's: `list` shows it
        run_cairn "${C[@]}" list
        [ "$RC" = 0 ] && grep -q "^$1 " <<<"$OUT"
}

# ---- finding 4: a forged trusted.cairn.journal --------------------------------------

B=$IT_DIR/bundle
R=$B/cairn-forged           # the image names its rootfs like a session
mkdir -p "$R"
run_cairn "${C[@]}" setup --root "$R"
is "$RC" 0 "forged record: the real session's setup exits 0"
check "... its mounts are there" is_mounted "$R/t/u"
VICTIM=$IT_HOST/written-by-root
cat >"$B/cairn-forged.journal" <<EOF_J
0 session cairn-forged 2 0
1 root $R owned
2 entry x $IT_PLUGINS/hook.so 1
3 opt target /x
4 opt crash_once $VICTIM
5 ready
EOF_J
chmod 0600 "$B/cairn-forged.journal"
cp "$B/cairn-forged.journal" "$IT_DIR/forged.copy"
python3 -c 'import os, sys; os.setxattr(sys.argv[1], "trusted.cairn.journal", sys.argv[2].encode())' \
        "$R" "$B/cairn-forged.journal" || bail "set the forged attribute"
run_cairn "${C[@]}" teardown "$R"
is "$RC" 0 "forged record: teardown DIR exits 0"
check "... the real session is gone: nothing mounted in DIR" nothing_mounted_under "$R"
check "... its journal is gone" no_journals
check "... the forged entry's teardown did not run (no file written)" test ! -e "$VICTIM"
check "... the forged journal is left as it was" cmp -s "$B/cairn-forged.journal" "$IT_DIR/forged.copy"
check "... DIR is still there" test -d "$R"

# The same, the attribute naming a journal in state_dir of another
# session (someone with CAP_SYS_ADMIN, or an image, wrote it).
setup_root "forged record (other session)" "${C[@]}" || done_testing
other_root=$ROOT other_id=$ID
run_cairn "${C[@]}" setup --root "$R"
is "$RC" 0 "forged record (other session): setup --root exits 0"
python3 -c 'import os, sys; os.setxattr(sys.argv[1], "trusted.cairn.journal", sys.argv[2].encode())' \
        "$R" "$(journal_of "$other_id")"
run_cairn "${C[@]}" teardown "$R"
is "$RC" 0 "forged record (other session): teardown DIR exits 0"
check "... DIR's session is gone" nothing_mounted_under "$R"
check "... the other session is untouched" is_mounted "$other_root/t/u"
run_cairn "${C[@]}" teardown "$other_root"
is "$RC" 0 "... which its own teardown takes down"
check "... nothing left" nothing_left_at_all

# ---- finding 6: closed stderr and stdout ---------------------------------------------

# A teardown that cannot finish (a busy mount) keeps its journal; with
# stderr closed, its messages must not go into that journal.
closed() { # NAME FD...: teardown ID -v with those descriptors closed
        local name=$1 fd redir=
        shift
        for fd; do redir+=" $fd>&-"; done
        setup_root "$name" "${C[@]}" || return
        hold "$ROOT/t/u"
        (eval "exec $redir" && exec "$IT_CAIRN" --confdir "$IT_CONFD" -v "${C[@]}" teardown "$ID")
        is "$?" 3 "$name: a teardown with a busy mount exits 3"
        check "$name: the journal still reads" journal_reads "$ID"
        release
        run_cairn "${C[@]}" teardown "$ID"
        is "$RC" 0 "$name: once free, teardown exits 0"
        check "$name: nothing left" nothing_left_at_all
}
closed "stderr closed" 2
closed "stdout and stderr closed" 1 2
closed "stdin, stdout and stderr closed" 0 1 2
# gc, and a setup that fails, with stderr closed.
setup_root "gc, stderr closed" "${C[@]}" -- --owner 1 || true
if [ -n "$ROOT" ]; then
        hold "$ROOT/t/u"
        ("$IT_CAIRN" --confdir "$IT_CONFD" -v "${C[@]}" gc --all 2>&-)
        is "$?" 3 "gc --all with a busy mount and stderr closed exits 3"
        check "... the journal still reads" journal_reads "$ID"
        release
        run_cairn "${C[@]}" gc --all
        is "$RC" 0 "... then gc --all exits 0"
        check "... nothing left" nothing_left_at_all
fi
# setup with stdout closed: nobody would learn the root.
("$IT_CAIRN" --confdir "$IT_CONFD" "${C[@]}" setup >&- 2>"$IT_DIR/closed.err")
is "$?" 2 "setup with stdout closed exits 2"
check "... saying why" grep -q "standard output is closed" "$IT_DIR/closed.err"
check "... and does nothing" nothing_left_at_all

# ---- finding 7: a torn last record ----------------------------------------------------

# cut_at NAME BYTES: a ready session's journal loses its last BYTES bytes
# (a record torn there); a teardown that cannot finish appends after it,
# then one that can must read it all and finish.
cut_at() {
        local name=$1 bytes=$2 j size
        setup_root "$name" "${C[@]}" || return
        j=$(journal_of "$ID")
        size=$(stat -c %s "$j")
        truncate -s $((size - bytes)) "$j"
        hold "$ROOT/t/u"
        run_cairn "${C[@]}" teardown "$ID"
        is "$RC" 3 "$name: a teardown with a busy mount exits 3"
        check "$name: the journal still reads" journal_reads "$ID"
        release
        run_cairn "${C[@]}" gc --all
        is "$RC" 0 "$name: gc --all then exits 0"
        check "$name: nothing left" nothing_left_at_all
}
# The last record of a ready session is "N ready\n": cut after each of its
# bytes but the last.
setup_root "probe" "${C[@]}" || done_testing
last=$(tail -n 1 "$(journal_of "$ID")")
run_cairn "${C[@]}" teardown "$ID"
for b in $(seq 1 "${#last}"); do
        cut_at "record cut $b bytes before its end" "$b"
done

# Setup under a file size limit: a record cut by the limit (SIGXFSZ, or
# EFBIG), never a cairn killed with a torn record and its mounts left.
stack=$(printf 'e%s ' $(seq 1 30))
for i in $(seq 1 30); do printf '[e%d]\nplugin = tmpfs\ntarget = /e%d\n\n' "$i" "$i"; done |
        write_conf "$IT_DIR/big.conf" "$stack"
(ulimit -f 1 && exec "$IT_CAIRN" --confdir "$IT_CONFD" -c "$IT_DIR/big.conf" setup \
        >"$IT_DIR/ulimit.out" 2>"$IT_DIR/ulimit.err")
rc=$?
diag "setup under ulimit -f 1: exit $rc: $(head -c 600 "$IT_DIR/ulimit.err")"
check "setup under ulimit -f 1 fails as a failed setup (1 or 3), not killed (exit $rc)" \
        test "$rc" = 1 -o "$rc" = 3
check "... printing no root" test ! -s "$IT_DIR/ulimit.out"
run_cairn -c "$IT_DIR/big.conf" gc --all
is "$RC" 0 "... then gc --all exits 0"
check "... and nothing is left" nothing_left_at_all

# ---- finding 9: journals that are not what cairn writes ----------------------------

# Each is named, left alone (exit 3), and does not stop gc from taking
# down a crashed session beside it.
invalid() { # NAME ID TEXT
        local name=$1 id=$2 j
        j=$(journal_of "$id")
        printf '%b' "$3" >"$j"
        chmod 0600 "$j"
        setup_root "$name: beside it" "${C[@]}" -- --owner 1 || return
        run_cairn "${C[@]}" gc --all
        is "$RC" 3 "$name: gc --all exits 3"
        check "$name: gc names it" grep -qF "$j" <<<"$ERR"
        check "$name: gc took down the other session" test ! -e "$ROOT"
        check "$name: and left this one's journal" test -f "$j"
        run_cairn "${C[@]}" teardown "$id"
        is "$RC" 3 "$name: teardown ID exits 3"
        check "$name: teardown names it" grep -qF "$j" <<<"$ERR"
        run_cairn "${C[@]}" list
        is "$RC" 0 "$name: list still exits 0"
        rm -f "$j"
        check "$name: nothing else left" nothing_left_at_all
}
invalid "no root record" cairn-noroot '0 session cairn-noroot 2 0\n1 ready\n'
invalid "only a session record" cairn-alone1 '0 session cairn-alone1 2 0\n'
invalid "an undo of nothing" cairn-undo01 '0 session cairn-undo01 2 0\n1 root /nowhere/cairn-undo01 owned\n2 undone 77\n3 teardown\n'
invalid "a root not named after its session" cairn-rname1 "0 session cairn-rname1 2 0\n1 root $IT_HOST owned\n2 failed\n"
check "... the directory it names is still there" test -d "$IT_HOST"
invalid "a mount point outside the root" cairn-escape "0 session cairn-escape 2 0\n1 root /nowhere/cairn-escape owned\n2 mkdir /../../etc 0 0\n"

# ---- also seen: journals under each other's names ---------------------------------

setup_root "swapped (a)" "${C[@]}" || done_testing
root_a=$ROOT id_a=$ID
setup_root "swapped (b)" "${C[@]}" || done_testing
root_b=$ROOT id_b=$ID
mv "$(journal_of "$id_a")" "$IT_DIR/a.journal"
mv "$(journal_of "$id_b")" "$(journal_of "$id_a")"
mv "$IT_DIR/a.journal" "$(journal_of "$id_b")"
run_cairn "${C[@]}" teardown "$id_a"
is "$RC" 3 "teardown A with B's journal under A's name exits 3"
check "... naming the journal's own session" grep -qF "the journal of session $id_b, not of $id_a" <<<"$ERR"
check "... A is untouched" is_mounted "$root_a/t/u"
check "... B is untouched" is_mounted "$root_b/t/u"
run_cairn "${C[@]}" gc --all
is "$RC" 3 "gc --all leaves misnamed journals alone: exit 3"
check "... A is untouched" is_mounted "$root_a/t/u"
mv "$(journal_of "$id_a")" "$IT_DIR/b.journal"
mv "$(journal_of "$id_b")" "$(journal_of "$id_a")"
mv "$IT_DIR/b.journal" "$(journal_of "$id_b")"
run_cairn "${C[@]}" teardown "$id_a"
is "$RC" 0 "named right again, teardown A exits 0"
run_cairn "${C[@]}" teardown "$root_b"
is "$RC" 0 "... and teardown B"
check "... nothing left" nothing_left_at_all

# ---- also seen: a root path with a newline ---------------------------------------

NL=$IT_DIR/$'odd\ncairn-FAKE00 ready /etc 2000-01-01T00:00:00Z -'
mkdir -p "$NL"
run_cairn "${C[@]}" setup --root "$NL"
is "$RC" 0 "setup --root of a directory named with a newline exits 0"
run_cairn "${C[@]}" list
is "$(grep -c . <<<"$OUT")" 1 "list prints one line for the one session"
check "... no line stands for a session that does not exist" sh -c '! grep -q "^cairn-FAKE00" "$1"' sh "$IT_DIR/out"
check "... the newline is escaped (\\012)" grep -qF 'odd\012cairn-FAKE00' <<<"$OUT"
run_cairn "${C[@]}" teardown "$NL"
is "$RC" 0 "... its teardown by that name exits 0"
check "... nothing left" nothing_left_at_all

done_testing
