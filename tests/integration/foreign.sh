#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A mount cairn did not make, inside a root: teardown (and gc --all) leave
# it alone, never delete through it, name it on stderr, exit 3 and keep
# the journal; once it is gone, a second run finishes and leaves nothing.
# Three places: on a directory cairn made (hiding a mount of cairn's
# beneath it), on a directory made by someone else (in the root, or inside
# one of cairn's tmpfs), and stacked on top of one of cairn's own mounts
# (same path: cairn must tell them apart by mount ID, not by path).
. "$(dirname "$0")/lib.sh"

# The host directory bound into roots by "someone else", with a canary.
canary_dir=$IT_HOST/precious
mkdir -p "$canary_dir/sub"
echo "do not delete" >"$canary_dir/canary"
echo "nor this" >"$canary_dir/sub/deep"
canary_ok() {
        [ "$(cat "$canary_dir/canary" 2>&1)" = "do not delete" ] &&
                [ "$(cat "$canary_dir/sub/deep" 2>&1)" = "nor this" ]
}

{
        entry proc
        entry_tmpfs a /a
        entry_tmpfs abc /a/b/c
        entry_tmpfs xy /x/y
        entry_binbind runsc "$IT_RUNTIME" /runsc
} | write_conf "$IT_CONF" "proc a abc xy runsc"

# names_foreign TEXT PATH: a line of TEXT names PATH itself as a mount that
# is in the way (not only as a directory that was not removed).
names_foreign() {
        local line
        while IFS= read -r line; do
                mentions_path "$line" "$2" &&
                        grep -Eqi "not by cairn|did not make|not cairn's|foreign|is mounted there|mounted inside" \
                                <<<"$line" && return 0
        done <<<"$1"
        return 1
}

# undo CMD: `cairn teardown ROOT` or `cairn gc --all`.
undo() {
        if [ "$1" = teardown ]; then
                run_cairn -c "$IT_CONF" teardown "$ROOT"
        else
                run_cairn -c "$IT_CONF" gc --all
        fi
}

# foreign CMD WHERE PLACE DESC: mount the canary directory at ROOT/PLACE
# in the way WHERE says, then CMD must refuse to finish, and finish after
# it is unmounted.
foreign() {
        local cmd=$1 where=$2 place=$3 desc="$1, foreign mount $4" fm m
        setup_root "$desc" -c "$IT_CONF" || return
        fm=$ROOT$place
        case $where in
        mkdir) mkdir "$fm" ;;        # a directory cairn did not make
        esac
        if ! mount --bind "$canary_dir" "$fm"; then
                not_ok "$desc: mount --bind the canary on $fm"
                return
        fi
        check "$desc: the foreign mount is there" is_mounted "$fm"
        mounts_before=$(mounts_under "$ROOT" | sort)

        undo "$cmd"
        is "$RC" 3 "$desc: $cmd exits 3"
        check "$desc: stderr names the foreign mount $fm" names_foreign "$ERR" "$fm"
        check "$desc: the journal is kept" test -f "$IT_STATE/$ID.journal"
        check "$desc: the canary and its directory survive" canary_ok
        check "$desc: the canary is still seen through the foreign mount" \
                test "$(cat "$fm/canary" 2>&1)" = "do not delete"
        check "$desc: the foreign mount is left mounted" is_mounted "$fm"
        check "$desc: the foreign mount is still the canary directory" \
                test "$(stat -c %d:%i "$fm")" = "$(stat -c %d:%i "$canary_dir")"
        undo "$cmd"
        is "$RC" 3 "$desc: $cmd again, still mounted: exits 3 again"
        check "$desc: ... and the canary still survives" canary_ok
        check "$desc: ... and the foreign mount is still there" is_mounted "$fm"

        # The admin takes the foreign mount away (and what they made).
        umount "$fm" || not_ok "$desc: umount $fm"
        case $where in
        mkdir) rmdir "$fm" ;;
        esac
        undo "$cmd"
        is "$RC" 0 "$desc: once it is gone, $cmd exits 0"
        assert_gone "$desc: then" "$ROOT" "$ID"
        check "$desc: nothing left at all" nothing_left_at_all
        check "$desc: the canary survives" canary_ok
        if ! nothing_left_at_all; then
                for m in $(mounts_under "$IT_ROOTS" | sort -r); do umount -l "$m"; done
                rm -rf --one-file-system "${IT_ROOTS:?}"/* "${IT_STATE:?}"/*
        fi
}

for cmd in teardown gc; do
        # On /x, a directory cairn made for its tmpfs at /x/y: that tmpfs
        # is hidden beneath the foreign mount.
        foreign "$cmd" cairn-dir /x "on a directory cairn made, over one of cairn's mounts"
        # On /a/b, a directory cairn made inside its own tmpfs /a.
        foreign "$cmd" cairn-dir /a/b "on a directory cairn made inside its tmpfs"
        # On a directory someone else made in the root itself.
        foreign "$cmd" mkdir /mine "on a directory cairn did not make, in the root"
        # On a directory someone else made inside cairn's tmpfs /a.
        foreign "$cmd" mkdir /a/mine "on a directory cairn did not make, inside cairn's tmpfs"
        # Stacked on cairn's own mount at /a: same path, another mount ID.
        foreign "$cmd" stacked /a "stacked on top of cairn's mount at /a"
done

# A foreign mount over a file cairn bound: stacked on a file mount.
echo "file canary" >"$IT_HOST/file-canary"
setup_root "file" -c "$IT_CONF" || done_testing
mount --bind "$IT_HOST/file-canary" "$ROOT/runsc" || not_ok "mount --bind a file over $ROOT/runsc"
run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 3 "foreign file mount stacked on cairn's /runsc: teardown exits 3"
check "foreign file mount stacked on cairn's /runsc: stderr names it" names_foreign "$ERR" "$ROOT/runsc"
is "$(cat "$IT_HOST/file-canary" 2>&1)" "file canary" "the file canary survives"
check "the runtime, bound by cairn below it, survives too" test -x "$IT_RUNTIME"
umount "$ROOT/runsc"
run_cairn -c "$IT_CONF" teardown "$ROOT"
is "$RC" 0 "foreign file mount gone: teardown exits 0"
assert_gone "foreign file mount gone" "$ROOT" "$ID"
check "nothing left at all" nothing_left_at_all

done_testing
