# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
#
# Shared by the integration tests; each one starts with
#     . "$(dirname "$0")/lib.sh"
#
# - runs the test as root in a private mount namespace (re-executing the
#   script under `unshare --mount --propagation private`), so whatever a
#   failed test leaves mounted dies with the namespace;
# - gives it a scratch directory with its own root_parent, state_dir, empty
#   confdir and plugin directory (the built plugins plus the test plugins);
# - the TAP helpers of tests/tap.sh (the plan comes last), and checkers
#   that read /proc/self/mountinfo and look inside the root, never at
#   cairn's own account of what it did.
#
# Not root, or no private namespace: the test fails (Bail out!); it never
# skips.  IT_KEEP=1 keeps the scratch directory for a post-mortem.

# Plain sh syntax up to here: the harness may run us with another shell.
if [ -z "${BASH_VERSION:-}" ]; then
        exec /bin/bash "$0" "$@"
fi
set -u
umask 022

# ok, not_ok, check, is, diag, bail, done_testing.
. "$(dirname "${BASH_SOURCE[0]}")/../tap.sh"

# ---- root and a private mount namespace -------------------------------------

[ "$(id -u)" = 0 ] ||
        bail "integration tests must run as root: they make real mounts (uid $(id -u))"
[ -n "${abs_top_builddir:-}" ] && [ -n "${abs_top_srcdir:-}" ] ||
        bail "abs_top_builddir and abs_top_srcdir must be set (run through make check)"

if [ -z "${CAIRN_IT_HOST_MNTNS:-}" ]; then
        CAIRN_IT_HOST_MNTNS=$(readlink /proc/self/ns/mnt)
        export CAIRN_IT_HOST_MNTNS
        exec unshare --mount --propagation private -- /bin/bash "$0" "$@"
fi
[ "$(readlink /proc/self/ns/mnt)" != "$CAIRN_IT_HOST_MNTNS" ] ||
        bail "unshare did not give a new mount namespace"
# "/" must not propagate to the host's namespace (optional fields: shared:N).
awk '$5 == "/" { for (i = 7; $i != "-"; i++) if ($i ~ /^shared:/) exit 1 }' \
        /proc/self/mountinfo || bail "mount propagation is not private"

# ---- sanitizers: their reports must not look like cairn's own exit codes ----
# (verify_asan_link_order=0: the fault shim is preloaded ahead of the
# sanitizer runtime; it is not instrumented and intercepts no allocation.)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86:verify_asan_link_order=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1:exitcode=87"

# ---- scratch layout -----------------------------------------------------------

IT_CAIRN=$abs_top_builddir/cairn
[ -x "$IT_CAIRN" ] || bail "$IT_CAIRN not built"

# Everything mounted at or below DIR, one mount point a line (field 5 of
# mountinfo; our paths have nothing that mountinfo would escape).
mounts_under() {
        awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
}

it_cleanup() {
        local m
        [ -n "${IT_KEEP:-}" ] && { diag "kept $IT_DIR"; return; }
        # A leak was already reported by the test that made it.  Never
        # remove files through a mount: unmount (in this namespace only)
        # first, and leave everything if that did not work.
        for m in $(mounts_under "$IT_DIR" | sort -r); do
                umount -l "$m" 2>/dev/null
        done
        if [ -n "$(mounts_under "$IT_DIR")" ]; then
                diag "still mounted under $IT_DIR; left in place"
                return
        fi
        rm -rf --one-file-system "$IT_DIR"
}

IT_DIR=$(mktemp -d /tmp/cairn-it.XXXXXX) || bail "mktemp"
trap it_cleanup EXIT
# A tmpfs of our own, in our namespace: whatever cairn did to the
# filesystem its roots and "host" files live on (a remount that should have
# been per-bind, say) could not reach the host's real filesystem.  Not
# nodev: the device tests make nodes here.  (IT_KEEP=1: no tmpfs, so the
# files survive the namespace.)
if [ -z "${IT_KEEP:-}" ]; then
        mount -t tmpfs -o mode=0700 cairn-it "$IT_DIR" || bail "mount a tmpfs on $IT_DIR"
fi
IT_ROOTS=$IT_DIR/roots       # root_parent
IT_STATE=$IT_DIR/state       # state_dir
IT_CONFD=$IT_DIR/conf.d      # --confdir: empty, the host's drop-ins stay out
IT_PLUGINS=$IT_DIR/plugins   # plugin_dir
IT_HOST=$IT_DIR/host         # "host" files bound into roots
IT_CONF=$IT_DIR/cairn.conf
mkdir -p "$IT_ROOTS" "$IT_STATE" "$IT_CONFD" "$IT_PLUGINS" "$IT_HOST" || bail "mkdir $IT_DIR/*"

# The built modules: IT_MODULES/pkglib/NAME.so, the built-in plugins;
# IT_MODULES/check/NAME.so, the test plugins and the fault shim
# (tests/Makemodule.am).
IT_MODULES=$abs_top_builddir/tests/modules

# The plugin directory: the built-in plugins and the test plugins.
for p in "$IT_MODULES"/pkglib/{proc,binbind,kvm,devices,tmpfs,copy,symlink,dev}.so \
        "$IT_MODULES"/check/{fail,plant,node,crash}.so; do
        [ -f "$p" ] || bail "plugin $p not built"
        install -m 0755 "$p" "$IT_PLUGINS/" || bail "copy $p"
done
unset p

# The "runtime" to bind at /runsc: a copy of a static binary if there is
# one, so it can be run inside the root; else a copy of /bin/true.
IT_RUNTIME=$IT_HOST/runsc-test
IT_RUNTIME_STATIC=
if ldd /sbin/ldconfig 2>&1 | grep -Eq 'not a dynamic|statically linked'; then
        cp /sbin/ldconfig "$IT_RUNTIME" && IT_RUNTIME_STATIC=1
else
        cp /bin/true "$IT_RUNTIME"
fi || bail "copy the test runtime"
chmod 0755 "$IT_RUNTIME"

# The [cairn] section for a scratch config.  IT_ROOT_FS=dir: roots are
# plain directories (root_fs = dir), for tests of how names cairn made in
# them are removed (in a tmpfs root, the default, they go with the tmpfs).
cairn_section() {
        printf '[cairn]\nplugin_dir = %s\nstate_dir = %s\nroot_parent = %s\n%sstack = %s\n\n' \
                "$IT_PLUGINS" "$IT_STATE" "$IT_ROOTS" "${IT_ROOT_FS:+root_fs = $IT_ROOT_FS
}" "$1"
}

# write_conf FILE STACK < SECTIONS: a config with the scratch directories.
write_conf() {
        { cairn_section "$2"; cat; } >"$1"
}

# The sections for write_conf, one call an entry:
#   entry NAME [PLUGIN [KEY=VALUE...]]   [NAME], "plugin = PLUGIN" (none:
#                                        the plugin named as the section),
#                                        then "KEY = VALUE" each
#   entry_tmpfs NAME TARGET [KEY=VALUE...]           the built-in plugin tmpfs
#   entry_binbind NAME SOURCE TARGET [KEY=VALUE...]  a bind (read-only
#                                        unless readonly=no)
# e.g. { entry proc; entry_tmpfs a /a; } | write_conf "$IT_CONF" "proc a"
entry() {
        local kv
        printf '[%s]\n' "$1"
        [ $# -lt 2 ] || printf 'plugin = %s\n' "$2"
        shift $(($# < 2 ? $# : 2))
        for kv; do
                printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"
        done
        echo
}
entry_tmpfs() { entry "$1" tmpfs target="$2" "${@:3}"; }
entry_binbind() { entry "$1" binbind source="$2" target="$3" "${@:4}"; }

# shipped_conf FILE: the shipped conf/cairn.conf, with the scratch
# directories put into its [cairn] section (and nothing else changed).
shipped_conf() {
        awk -v pd="$IT_PLUGINS" -v sd="$IT_STATE" -v rp="$IT_ROOTS" '
                /^[ \t]*(plugin_dir|state_dir|root_parent)[ \t]*=/ { next }
                { print }
                /^[ \t]*\[cairn\][ \t]*$/ {
                        print "plugin_dir = " pd; print "state_dir = " sd; print "root_parent = " rp
                }' "$abs_top_srcdir/conf/cairn.conf" >"$1"
}

# ---- running cairn -------------------------------------------------------------

# run_cairn ARG...: run cairn with the scratch confdir; sets RC, OUT (stdout)
# and ERR (stderr), and shows stderr as TAP diagnostics.  A sanitizer report
# is a failure of its own.
run_cairn() {
        "$IT_CAIRN" --confdir "$IT_CONFD" "$@" >"$IT_DIR/out" 2>"$IT_DIR/err"
        RC=$?
        OUT=$(cat "$IT_DIR/out")
        ERR=$(cat "$IT_DIR/err")
        [ -z "$ERR" ] || diag "cairn $* (exit $RC):" "$ERR"
        if grep -Eq 'Sanitizer|runtime error:' "$IT_DIR/err"; then
                not_ok "no sanitizer report from: cairn $*"
        fi
        return 0
}

# setup_root DESC ARG... [-- SETUP-ARG...]: `cairn ARG... setup SETUP-ARG...`;
# on success ROOT and ID are set.  One TAP line: exit 0 and a root path of
# the right shape.
setup_root() {
        local desc=$1 a after=
        local -a args=() sargs=()
        shift
        for a; do
                if [ -z "$after" ] && [ "$a" = -- ]; then
                        after=1
                elif [ -n "$after" ]; then
                        sargs+=("$a")
                else
                        args+=("$a")
                fi
        done
        ROOT=
        ID=
        run_cairn "${args[@]}" setup "${sargs[@]}"
        if [ "$RC" -eq 0 ] && [[ $OUT == "$IT_ROOTS"/cairn-* ]] && [[ $OUT != *$'\n'* ]] &&
                [ -d "$OUT" ]; then
                ROOT=$OUT
                ID=${ROOT##*/}
                ok "$desc: setup exits 0 and prints the root ($ID)"
                return 0
        fi
        not_ok "$desc: setup exits 0 and prints the root"
        diag "exit $RC, stdout: '$OUT'"
        return 1
}

# ---- checkers -------------------------------------------------------------------

# The top mount at exactly PATH: "OPTIONS FSTYPE" (per-mount options,
# field 6, and the filesystem type after the " - " separator).
mount_at() {
        awk -v p="$1" '$5 == p { for (i = 7; $i != "-"; i++) ; r = $6 " " $(i + 1) } END { if (r != "") print r }' \
                /proc/self/mountinfo
}
is_mounted() { [ -n "$(mount_at "$1")" ]; }
not_mounted() { [ -z "$(mount_at "$1")" ]; }
nothing_mounted_under() { [ -z "$(mounts_under "$1")" ]; }
mount_fstype() { local m; m=$(mount_at "$1"); echo "${m#* }"; }
# mount_has_opts PATH OPT...: every OPT is among PATH's per-mount options.
mount_has_opts() {
        local m o
        m=$(mount_at "$1")
        shift
        [ -n "$m" ] || return 1
        for o in "$@"; do
                [[ ,${m%% *}, == *,"$o",* ]] || return 1
        done
}
no_journals() { ! compgen -G "$IT_STATE/*.journal" >/dev/null; }
dir_is_empty() { [ -d "$1" ] && [ -z "$(ls -A "$1")" ]; }
# Nothing at all under root_parent and state_dir (after a refused or
# rolled-back setup).
nothing_left() { dir_is_empty "$IT_ROOTS" && dir_is_empty "$IT_STATE"; }
# stat_of PATH: mode:uid:gid, for "host modes never change".
stat_of() { stat -c %a:%u:%g "$1"; }

# assert_gone DESC ROOT ID: what teardown must leave (cairn(8): no mount, no
# directory, no journal).
assert_gone() {
        check "$1: nothing mounted under the root" nothing_mounted_under "$2"
        check "$1: the root directory is gone" test ! -e "$2"
        check "$1: the journal is gone" test ! -e "$IT_STATE/$3.journal"
        check "$1: nothing of the session is left in state_dir" \
                sh -c '! ls -A "$1" | grep -qF "$2"' sh "$IT_STATE" "$3"
}

# ---- the fault shim (tests/shim/fault.c): crashes and failures on cue ---------

IT_SHIM=$IT_MODULES/check/fault.so

# shim_cairn SPEC... -- ARG...: run_cairn ARG... with the fault shim preloaded
# and each SPEC (CAIRN_SHIM_KILL_AT=write:3, CAIRN_SHIM_FAIL=mount:1:EIO,
# CAIRN_SHIM_COUNT=FILE, ...) in its environment, for this run only.
# (Under a sanitizer build, lib.sh's ASAN_OPTIONS lets the uninstrumented
# shim come first; preloading the sanitizer runtime too would put it into
# every program libtool's wrapper runs.)
shim_cairn() {
        local -a specs=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
                specs+=("$1")
                shift
        done
        [ $# -gt 0 ] && shift
        [ -f "$IT_SHIM" ] || bail "the fault shim $IT_SHIM is not built"
        local -x LD_PRELOAD="$IT_SHIM"
        [ ${#specs[@]} -eq 0 ] || local -x "${specs[@]}"
        # Not bash's own "Killed" notice for a job the shim killed (RC
        # says it: 137); cairn's stderr is in ERR, as always.
        run_cairn "$@" 2>/dev/null
}

# count_calls FILE NAME: how many calls of NAME a CAIRN_SHIM_COUNT=FILE run made.
count_calls() {
        grep -cx "$2" "$1" 2>/dev/null || true
}

# Nothing under root_parent and state_dir, and nothing mounted beneath
# root_parent (what a rolled-back setup, a teardown or a gc must leave).
nothing_left_at_all() { nothing_left && nothing_mounted_under "$IT_ROOTS"; }

# The ID of the one session in root_parent or state_dir (journal or root,
# hidden journals too); empty if there is none.
some_session() {
        { ls -A "$IT_ROOTS"; ls -A "$IT_STATE" | sed -n 's/^\.\{0,1\}\(cairn-[^.]*\)\.journal.*/\1/p'; } |
                sort -u | head -n 1
}

# mentions_path TEXT PATH: TEXT names PATH itself (not only a longer path
# that starts with it, like PATH/sub or PATHx).
mentions_path() {
        local t=$1 p=$2 rest
        while [[ $t == *"$p"* ]]; do
                rest=${t#*"$p"}
                [[ $rest =~ ^[^[:alnum:]/._-] || -z $rest ]] && return 0
                t=$rest
        done
        return 1
}
