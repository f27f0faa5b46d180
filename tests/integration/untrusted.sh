#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Files that steer a root process are used only if they are regular files
# owned by root and not writable by group or others (as sudo does): the
# config, each drop-in, each plugin.  Each untrusted or unusable one is
# refused by name with exit 2 and nothing done; a plugin built for a
# newer minor of the ABI is accepted.  Nothing may hang on a FIFO either:
# cairn runs under timeout (124 is a hang).
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
NOBODY=65534

# Our extra test plugins (lib.sh copies a fixed list).
for p in nosym abi2 newminor abi10; do
        install -m 0755 "$IT_MODULES/check/$p.so" "$IT_PLUGINS/" ||
                bail "copy test plugin $p.so"
done
cat >"$IT_DIR/cairn-timeout" <<EOF_WRAP || bail "write the timeout wrapper"
#!/bin/sh
exec timeout -k 2 5 "$IT_CAIRN" "\$@"
EOF_WRAP
chmod 0755 "$IT_DIR/cairn-timeout"
IT_CAIRN=$IT_DIR/cairn-timeout

mount_table() { awk '{ print $5 }' /proc/self/mountinfo | sort; }
MOUNTS0=$(mount_table)

# conf [STACK [SECTIONS]]: a good config (a tmpfs at /t by default).
conf() {
        local stack=${1:-t}
        rm -f "$IT_CONF" # a new file: root's, whatever the last case did
        if [ $# -ge 2 ]; then
                printf '%s\n' "$2"
        else
                printf '[t]\nplugin = tmpfs\ntarget = /t\n'
        fi | write_conf "$IT_CONF" "$stack"
        chmod 0644 "$IT_CONF"
}
plugin_conf() { conf "x" "$(printf '[x]\nplugin = %s\n' "$1")"; }

# refused NAME FILE WORD... [-- CAIRN-ARG...]: exit 2, the message names
# FILE and each WORD, nothing done.  Default command: setup.
refused() {
        local name=$1 file=$2 w
        local -a words=() args=()
        shift 2
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
                words+=("$1")
                shift
        done
        if [ $# -gt 0 ]; then
                shift
                args=("$@")
        else
                args=(-c "$IT_CONF" setup)
        fi
        run_cairn "${args[@]}"
        is "$RC" 2 "$name: refused, exit 2"
        check "$name: the message names $file" mentions_path "$ERR" "$file"
        for w in "${words[@]}"; do
                check "$name: the message says \"$w\"" grep -qF -- "$w" <<<"$ERR"
        done
        check "$name: nothing under root_parent or state_dir" nothing_left
        is "$(mount_table)" "$MOUNTS0" "$name: nothing mounted"
}

# Sanity: the good config and each good plugin work.
conf
run_cairn -c "$IT_CONF" check
is "$RC" 0 "the good config passes check"

# ---- the config ---------------------------------------------------------------------
conf
chmod 0646 "$IT_CONF"
refused "world-writable config" "$IT_CONF" "writable by others"
conf
chmod 0664 "$IT_CONF"
refused "group-writable config" "$IT_CONF" "writable by group"
conf
chown "$NOBODY" "$IT_CONF"
refused "config owned by uid $NOBODY" "$IT_CONF" "owned by uid $NOBODY" "not by root"
conf
chown "$NOBODY" "$IT_CONF"
refused "config owned by uid $NOBODY, for teardown" "$IT_CONF" "not by root" -- \
        -c "$IT_CONF" teardown cairn-abcdef
conf
chmod 0646 "$IT_CONF"
refused "world-writable config, for gc" "$IT_CONF" "writable by others" -- -c "$IT_CONF" gc
conf

# A symlink (root's own) to a world-writable file: what it points to counts.
cp "$IT_CONF" "$IT_DIR/ww.conf"
chmod 0666 "$IT_DIR/ww.conf"
ln -sf "$IT_DIR/ww.conf" "$IT_DIR/link.conf"
refused "config: a symlink to a world-writable file" "$IT_DIR/link.conf" "writable by others" -- \
        -c "$IT_DIR/link.conf" setup

# A FIFO: not a regular file, and opening it for reading must not block.
mkfifo -m 0600 "$IT_DIR/fifo.conf"
refused "config: a FIFO" "$IT_DIR/fifo.conf" "not a regular file" -- -c "$IT_DIR/fifo.conf" setup
# A directory.
mkdir -m 0755 "$IT_DIR/dir.conf"
refused "config: a directory" "$IT_DIR/dir.conf" "not a regular file" -- -c "$IT_DIR/dir.conf" setup

# ---- drop-ins -----------------------------------------------------------------------
D=$IT_CONFD/50-vendor.conf
conf
printf '[t]\ntarget = /t2\n' >"$D"
chmod 0646 "$D"
refused "world-writable drop-in" "$D" "writable by others"
chmod 0664 "$D"
refused "group-writable drop-in" "$D" "writable by group"
chmod 0644 "$D"
chown "$NOBODY" "$D"
refused "drop-in owned by uid $NOBODY" "$D" "owned by uid $NOBODY"
chown 0 "$D"
rm -f "$D"
cp "$IT_CONF" "$IT_DIR/ww-dropin"
chmod 0666 "$IT_DIR/ww-dropin"
ln -s "$IT_DIR/ww-dropin" "$D"
refused "drop-in: a symlink to a world-writable file" "$D" "writable by others"
rm -f "$D"
# A FIFO named *.conf in the drop-in directory is skipped (documented:
# non-regular files are), without blocking.
mkfifo -m 0600 "$D"
run_cairn -c "$IT_CONF" check
is "$RC" 0 "drop-in: a FIFO is skipped, check exits 0 (no hang)"
rm -f "$D"

# ---- plugins ---------------------------------------------------------------------------
P=$IT_PLUGINS
conf
chmod o+w "$P/tmpfs.so"
refused "world-writable plugin" "$P/tmpfs.so" "writable by others"
chmod 0755 "$P/tmpfs.so"
chown "$NOBODY" "$P/tmpfs.so"
refused "plugin owned by uid $NOBODY" "$P/tmpfs.so" "owned by uid $NOBODY"
chown 0 "$P/tmpfs.so"

plugin_conf garbage
printf 'this is not an ELF shared object\n' >"$P/garbage.so"
chmod 0755 "$P/garbage.so"
refused "garbage .so" "$P/garbage.so" "not a loadable plugin"

plugin_conf nosym
refused ".so without the descriptor" "$P/nosym.so" "no \"cairn_plugin_descriptor\" symbol"

plugin_conf abi2
refused "ABI major 2" "$P/abi2.so" "plugin ABI 2.0" "supports 1.x" "built for 1.3"

# A plugin that is a symlink to a world-writable copy.
cp "$P/newminor.so" "$IT_DIR/ww.so"
chmod 0777 "$IT_DIR/ww.so"
ln -s "$IT_DIR/ww.so" "$P/wwlink.so"
plugin_conf wwlink
refused "plugin: a symlink to a world-writable .so" "$P/wwlink.so" "writable by others"

mkfifo -m 0600 "$P/fifo.so"
plugin_conf fifo
refused "plugin: a FIFO" "$P/fifo.so" "not a regular file"

mkdir -m 0755 "$P/dir.so"
plugin_conf dir
refused "plugin: a directory" "$P/dir.so" "not a regular file"

# A newer minor of the same major is accepted, and runs.
plugin_conf newminor
run_cairn -c "$IT_CONF" check
is "$RC" 0 "ABI 1.99 (a newer minor): check exits 0"
check "ABI 1.99: check names the plugin" grep -qF "$P/newminor.so" <<<"$OUT"
run_cairn -c "$IT_CONF" setup
is "$RC" 0 "ABI 1.99: setup exits 0"
if [ "$RC" -eq 0 ]; then
        run_cairn -c "$IT_CONF" teardown "$OUT"
        is "$RC" 0 "ABI 1.99: teardown exits 0"
fi
check "ABI 1.99: nothing left" nothing_left_at_all

# A plugin of the first release (ABI 1.0: no `check`, CAIRN_1's functions
# only) loads and runs in this cairn (1.3): its tmpfs is mounted.
plugin_conf abi10
run_cairn -c "$IT_CONF" check
is "$RC" 0 "ABI 1.0: check exits 0"
run_cairn -c "$IT_CONF" setup
is "$RC" 0 "ABI 1.0: setup exits 0"
abi10_root=$OUT
is "$(mount_fstype "$abi10_root/abi10")" tmpfs "ABI 1.0: its tmpfs is mounted in the root"
if [ "$RC" -eq 0 ]; then
        run_cairn -c "$IT_CONF" teardown "$abi10_root"
        is "$RC" 0 "ABI 1.0: teardown exits 0"
fi
check "ABI 1.0: nothing left" nothing_left_at_all

# ---- the directories on the way (issue 11, finding 11) ---------------------------
# Whoever can write a directory on the way to a file decides what the file
# is: the plugin directory, the config's directory, the drop-in directory,
# and every directory above them, must be root's and not writable by group
# or others (a sticky one, like /tmp, may be: then what is in it on the
# way must be root's).  A symlink is followed only through such
# directories.
conf
chmod 0775 "$P"
refused "group-writable plugin_dir" "$P" "writable by group"
refused "group-writable plugin_dir, for check" "$P" "writable by group" -- -c "$IT_CONF" check
# The shape of the finding: a member of that group made proc.so a symlink
# to another root-owned ELF, which cairn then loaded as root.
mv "$P/proc.so" "$IT_DIR/proc.so.real"
ln -s /bin/true "$P/proc.so"
plugin_conf proc
refused "group-writable plugin_dir, proc.so a symlink to another ELF" "$P" "writable by group"
rm -f "$P/proc.so"
mv "$IT_DIR/proc.so.real" "$P/proc.so"
chmod 0755 "$P"
conf
chmod 1777 "$P"
refused "world-writable plugin_dir, even sticky" "$P" "writable by others"
chmod 0755 "$P"

# A directory higher up, writable by others: every file below it is refused.
mkdir -p "$IT_DIR/up/mid"
cp -a "$P" "$IT_DIR/up/mid/plugins"
chmod 0757 "$IT_DIR/up"
write_conf "$IT_CONF" "t" <<EOF_CONF
[t]
plugin = tmpfs
target = /t
EOF_CONF
sed -i "s|^plugin_dir = .*|plugin_dir = $IT_DIR/up/mid/plugins|" "$IT_CONF"
refused "plugin_dir under a world-writable directory" "$IT_DIR/up" "writable by others"
chmod 0755 "$IT_DIR/up"
run_cairn -c "$IT_CONF" check
is "$RC" 0 "... the same with that directory 0755: check exits 0"

# A plugin that is a symlink: into a directory others can write (refused,
# naming that directory), or into a trusted one (used).
mkdir -m 0777 "$IT_DIR/evil"
cp "$P/newminor.so" "$IT_DIR/evil/x.so"
chmod 0755 "$IT_DIR/evil/x.so"
ln -s "$IT_DIR/evil/x.so" "$P/evillink.so"
plugin_conf evillink
refused "plugin: a symlink into a world-writable directory" "$IT_DIR/evil" "writable by others"
mkdir -m 0755 "$IT_DIR/vendor"
cp "$P/newminor.so" "$IT_DIR/vendor/v.so"
chmod 0755 "$IT_DIR/vendor/v.so"
ln -s ../vendor/v.so "$P/vlink.so"
plugin_conf vlink
run_cairn -c "$IT_CONF" check
is "$RC" 0 "plugin: a (relative) symlink into a trusted directory is used: check exits 0"
rm -f "$P/evillink.so" "$P/vlink.so"

# The config file's own directory.
mkdir -m 0775 "$IT_DIR/cfgdir"
conf
cp "$IT_CONF" "$IT_DIR/cfgdir/cairn.conf"
refused "config in a group-writable directory" "$IT_DIR/cfgdir" "writable by group" -- \
        -c "$IT_DIR/cfgdir/cairn.conf" setup
refused "config in a group-writable directory, for gc" "$IT_DIR/cfgdir" "writable by group" -- \
        -c "$IT_DIR/cfgdir/cairn.conf" gc
# A config that is a symlink into a directory others can write.
cp "$IT_CONF" "$IT_DIR/evil/cairn.conf"
chmod 0644 "$IT_DIR/evil/cairn.conf"
ln -sf "$IT_DIR/evil/cairn.conf" "$IT_DIR/evil-link.conf"
refused "config: a symlink into a world-writable directory" "$IT_DIR/evil" "writable by others" -- \
        -c "$IT_DIR/evil-link.conf" setup

# The drop-in directory itself, and a drop-in that is a symlink out of it.
conf
chmod 0775 "$IT_CONFD"
refused "group-writable drop-in directory" "$IT_CONFD" "writable by group"
chmod 0755 "$IT_CONFD"
printf '[t]\ntarget = /t2\n' >"$IT_DIR/evil/50-x.conf"
chmod 0644 "$IT_DIR/evil/50-x.conf"
ln -s "$IT_DIR/evil/50-x.conf" "$IT_CONFD/50-x.conf"
refused "drop-in: a symlink into a world-writable directory" "$IT_DIR/evil" "writable by others"
rm -f "$IT_CONFD/50-x.conf"

# A sticky directory others can write (like /tmp): what root put in it
# is fine, anyone else's on the way is not.
mkdir -m 1777 "$IT_DIR/sticky"
mkdir -m 0755 "$IT_DIR/sticky/roots" "$IT_DIR/sticky/theirs"
conf
cp "$IT_CONF" "$IT_DIR/sticky/roots/cairn.conf"
run_cairn -c "$IT_DIR/sticky/roots/cairn.conf" check
is "$RC" 0 "config in root's directory in a sticky world-writable one: check exits 0"
cp "$IT_CONF" "$IT_DIR/sticky/theirs/cairn.conf"
chown "$NOBODY" "$IT_DIR/sticky/theirs"
refused "config in uid $NOBODY's directory in a sticky world-writable one" "$IT_DIR/sticky/theirs" \
        "owned by uid $NOBODY" -- -c "$IT_DIR/sticky/theirs/cairn.conf" setup
ln -s "$IT_DIR/sticky/roots/cairn.conf" "$IT_DIR/sticky/link.conf"
chown -h "$NOBODY" "$IT_DIR/sticky/link.conf"
refused "config: uid $NOBODY's symlink in a sticky world-writable directory" "$IT_DIR/sticky/link.conf" \
        "owned by uid $NOBODY" -- -c "$IT_DIR/sticky/link.conf" setup

# A file named with a trailing "/" is a directory that is not there, as
# open(2) has it; so is a symlink to the file named so.
conf
refused "config named with a trailing /" "$IT_CONF/" "Not a directory" -- -c "$IT_CONF/" check
ln -sf "$IT_CONF" "$IT_DIR/slash-link.conf"
refused "config: a symlink to it named with a trailing /" "$IT_DIR/slash-link.conf/" "Not a directory" -- \
        -c "$IT_DIR/slash-link.conf/" check

done_testing
