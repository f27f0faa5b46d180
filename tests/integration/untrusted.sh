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
for p in nosym abi2 newminor; do
        install -m 0755 "$abs_top_builddir/tests/plugins/.libs/$p.so" "$IT_PLUGINS/" ||
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
refused "ABI major 2" "$P/abi2.so" "plugin ABI 2.0" "supports 1.x" "built for 1.1"

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

done_testing
