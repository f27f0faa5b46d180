#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A bad config, or a plugin that must not be loaded, is exit 2 with a
# message naming the file and line (sudo style) -- before anything is
# created under root_parent or state_dir.
. "$(dirname "$0")/lib.sh"

# The base: the seed's stack, every value valid.
base() {
        cat <<EOF_CONF
[proc]

[runsc]
plugin   = binbind
source   = \${runtime}
target   = /runsc
readonly = yes

[kvm]
plugin  = kvm
when    = platform=kvm
control = optional
EOF_CONF
}

# bad NAME STACK SED-EXPR MARK [WORD...]: the base config edited by
# SED-EXPR must be refused with exit 2; the message must name
# "FILE:LINE" where LINE is the first line containing MARK (after the
# edit), and each WORD.
bad() {
        local name=$1 stack=$2 expr=$3 mark=$4 line w
        shift 4
        base | sed -e "$expr" | write_conf "$IT_CONF" "$stack"
        line=$(grep -nF -m1 -- "$mark" "$IT_CONF" | cut -d: -f1)
        run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm setup
        is "$RC" 2 "$name: exit 2"
        check "$name: the message names $IT_CONF:$line" grep -qF "$IT_CONF:$line" <<<"$ERR"
        for w in "$@"; do
                check "$name: the message names \"$w\"" grep -qF -- "$w" <<<"$ERR"
        done
        check "$name: nothing printed on stdout" test -z "$OUT"
        check "$name: nothing created under root_parent" dir_is_empty "$IT_ROOTS"
        check "$name: nothing created under state_dir" dir_is_empty "$IT_STATE"
}

# Sanity: the base itself is good (so each failure below is the edit's).
base | write_conf "$IT_CONF" "proc runsc kvm"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm check
is "$RC" 0 "the unedited config passes check"

bad "unknown key" "proc runsc kvm" '/^\[kvm\]/a devnode = /dev/kvm' devnode "[kvm]" devnode
bad "missing required key" "proc runsc kvm" '/^source /d' "[runsc]" runsc source
bad "bad boolean" "proc runsc kvm" 's/^readonly = yes/readonly = maybe/' maybe readonly maybe
bad "relative path" "proc runsc kvm" 's|^target   = /runsc|target   = runsc|' "= runsc" target
bad "stack entry without a section" "proc runsc nosuch kvm" 's/x/x/' "stack =" nosuch
bad "bad plugin name" "proc runsc kvm" 's/^plugin  = kvm/plugin  = KVM.so/' KVM.so plugin
bad "bad control" "proc runsc kvm" 's/^control = optional/control = sometimes/' sometimes control
bad "bad when" "proc runsc kvm" 's/^when    = platform=kvm/when    = platform/' "when    =" when
bad "unset variable" "proc runsc kvm" 's/\${runtime}/${nosuch}/' nosuch nosuch

# A plugin that does not exist, or is not trusted, is a "bad plugin": 2
# (for a required entry: an optional one is skipped, admin.sh).
base | sed -e 's/^plugin  = kvm/plugin  = nosuchplugin/' -e 's/^control = optional/control = required/' |
        write_conf "$IT_CONF" "proc runsc kvm"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm setup
is "$RC" 2 "missing plugin: exit 2"
check "missing plugin: the message names it" grep -q nosuchplugin <<<"$ERR"
check "missing plugin: nothing created" nothing_left

base | write_conf "$IT_CONF" "proc runsc kvm"
chmod g+w "$IT_PLUGINS/kvm.so"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm setup
is "$RC" 2 "group-writable plugin: exit 2"
check "group-writable plugin: the message names the file" grep -qF "$IT_PLUGINS/kvm.so" <<<"$ERR"
check "group-writable plugin: nothing created" nothing_left
chmod g-w "$IT_PLUGINS/kvm.so"

chmod o+w "$IT_CONF"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm setup
is "$RC" 2 "world-writable config: exit 2"
check "world-writable config: the message names the file" grep -qF "$IT_CONF" <<<"$ERR"
check "world-writable config: nothing created" nothing_left
chmod o-w "$IT_CONF"

# A bad drop-in is named too (file and line of the drop-in).
base | write_conf "$IT_CONF" "proc runsc kvm"
printf '; a drop-in\n[proc]\ntraget = /proc\n' >"$IT_CONFD/10-typo.conf"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm setup
is "$RC" 2 "bad drop-in: exit 2"
check "bad drop-in: the message names $IT_CONFD/10-typo.conf:3" \
        grep -qF "$IT_CONFD/10-typo.conf:3" <<<"$ERR"
check "bad drop-in: nothing created" nothing_left
rm -f "$IT_CONFD/10-typo.conf"

# Bad usage.
run_cairn -c "$IT_CONF" --no-such-option setup
is "$RC" 2 "unknown option: exit 2"
run_cairn -c "$IT_CONF" no-such-command
is "$RC" 2 "unknown command: exit 2"
run_cairn -c "$IT_CONF" teardown
is "$RC" 2 "teardown without ROOT|ID: exit 2"
check "bad usage: nothing created" nothing_left

# ---- what check must know before setup meets it (issue 11, finding 12) ----------

# both NAME SECTIONS-STACK FILE-EDIT MARK WORD...: the base config (stack
# "proc runsc kvm" plus SECTIONS) edited by the sed expression FILE-EDIT
# on the whole file must be refused by check and by setup alike: exit 2,
# FILE:LINE (LINE: the first line holding MARK), each WORD, nothing made.
both() {
        local name=$1 extra=$2 expr=$3 mark=$4 line w cmd
        shift 4
        { base; printf '%b' "$extra"; } | write_conf "$IT_CONF" "proc runsc kvm${extra:+ x}"
        sed -i -e "$expr" "$IT_CONF"
        line=$(grep -nF -m1 -- "$mark" "$IT_CONF" | cut -d: -f1)
        for cmd in check setup; do
                run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm "$cmd"
                is "$RC" 2 "$name: $cmd exits 2"
                check "$name: $cmd names $IT_CONF:$line" grep -qF "$IT_CONF:$line:" <<<"$ERR"
                for w in "$@"; do
                        check "$name: $cmd says \"$w\"" grep -qF -- "$w" <<<"$ERR"
                done
                check "$name: $cmd made nothing" nothing_left_at_all
        done
}
both "binbind target = /" "" 's|^target   = /runsc|target   = /|' "target   = /" \
        "[runsc] target" "root itself"
both "binbind source = / without a target" "" 's|^source   = .*|source   = /|; /^target   =/d' \
        "source   = /" "[runsc] source" "set target"
both "proc target = /" "" 's|^\[proc\]|[proc]\ntarget = /|' "target = /" "[proc] target" "root itself"
both "kvm device = /" "" 's|^control = optional|control = optional\ndevice = /|' "device = /" \
        "[kvm] device" "not a device path"
for pat in dev/null /dev/../etc/passwd /dev/./null "/dev/null dev/zero"; do
        both "devices pattern \"$pat\"" "\n[x]\nplugin = devices\ndevices = $pat\n" "" "devices = " \
                "[x] devices" "is not an absolute path"
done

# The [cairn] directories, as setup will meet them.
mkdir -p "$IT_DIR/gw-state"
chmod 0770 "$IT_DIR/gw-state"
both "a group-writable state_dir" "" "s|^state_dir = .*|state_dir = $IT_DIR/gw-state|" "state_dir =" \
        "[cairn] state_dir" "writable by group"
: >"$IT_DIR/state-file"
both "a state_dir that is a file" "" "s|^state_dir = .*|state_dir = $IT_DIR/state-file|" "state_dir =" \
        "[cairn] state_dir" "Not a directory"
mkdir -p "$IT_DIR/gw-parent"
chmod 0775 "$IT_DIR/gw-parent"
both "a state_dir in a group-writable directory" "" \
        "s|^state_dir = .*|state_dir = $IT_DIR/gw-parent/state|" "state_dir =" \
        "[cairn] state_dir" "$IT_DIR/gw-parent: writable by group"
check "... state_dir was not made" test ! -e "$IT_DIR/gw-parent/state"
both "a state_dir under a missing directory" "" \
        "s|^state_dir = .*|state_dir = $IT_DIR/nowhere/state|" "state_dir =" \
        "[cairn] state_dir" "No such file or directory"
both "a missing root_parent" "" "s|^root_parent = .*|root_parent = $IT_DIR/no-roots|" "root_parent =" \
        "[cairn] root_parent" "No such file or directory"
both "a root_parent that is a file" "" "s|^root_parent = .*|root_parent = $IT_DIR/state-file|" \
        "root_parent =" "[cairn] root_parent" "not a directory"
# A root is made in root_parent, then opened, by name: nobody else may be
# able to rename a directory of theirs into its place in between.
mkdir -p "$IT_DIR/ow-roots" "$IT_DIR/user-roots" "$IT_DIR/sticky-roots"
chmod 0777 "$IT_DIR/ow-roots"
both "a root_parent writable by others, not sticky" "" \
        "s|^root_parent = .*|root_parent = $IT_DIR/ow-roots|" "root_parent =" "[cairn] root_parent" \
        "mode 0777" "another user could put a directory of theirs"
chown nobody "$IT_DIR/user-roots"
both "a root_parent owned by another user" "" \
        "s|^root_parent = .*|root_parent = $IT_DIR/user-roots|" "root_parent =" "[cairn] root_parent" \
        "owned by uid $(id -u nobody)"
check "... nothing made in them" test -z "$(ls -A "$IT_DIR/ow-roots")$(ls -A "$IT_DIR/user-roots")"
chmod 1777 "$IT_DIR/sticky-roots"
base | write_conf "$IT_CONF" "proc runsc kvm"
sed -i "s|^root_parent = .*|root_parent = $IT_DIR/sticky-roots|" "$IT_CONF"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm setup
is "$RC" 0 "a sticky root_parent writable by all (like /tmp): setup exits 0"
case $OUT in "$IT_DIR/sticky-roots/cairn-"*) ok "... the root is made in it" ;; *) not_ok "... the root is made in it ($OUT)" ;; esac
run_cairn -c "$IT_CONF" teardown "$OUT"
is "$RC" 0 "... and torn down"
check "... leaving nothing in it" test -z "$(ls -A "$IT_DIR/sticky-roots")"
chmod 0775 "$IT_PLUGINS"
both "a group-writable plugin_dir" "" "s|x|x|" "plugin_dir =" "[cairn] plugin_dir" "writable by group"
chmod 0755 "$IT_PLUGINS"

# Sanity: after all that, the base config is still good.
base | write_conf "$IT_CONF" "proc runsc kvm"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set platform=kvm check
is "$RC" 0 "the unedited config still passes check"

done_testing
