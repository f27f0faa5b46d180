#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The man pages, cairn(8), cairn.conf(5) and cairn-plugin(7), against the
# code they describe (a TAP test; needs man-db and groff-base, not root):
#
#   - each page renders with `MANWIDTH=80 man --warnings -l PAGE` without a
#     word on stderr (in the caller's locale, in C and in C.UTF-8);
#   - every command of `cairn --help`, every global option, and every option
#     of `cairn COMMAND --help` is described in cairn(8);
#   - every option of every built-in plugin (`cairn plugins`) has the tag
#     line "NAME (TYPE[, required][, default VALUE])" under its plugin in
#     cairn.conf(5), and nothing there describes an option or plugin that
#     does not exist;
#   - the examples of cairn.conf(5) pass `cairn check` (the complete one
#     resolves to the same stack as the shipped conf/cairn.conf, the drop-in
#     merges as the page says); the example plugin of cairn-plugin(7)
#     compiles against <cairn/plugin.h> and libcairn, exports only its
#     descriptor, is listed by `cairn plugins` as the page shows, and its
#     drop-in passes `cairn check`.
#
# cairn uses only config files and plugins owned by root: run as another
# user (in a build without --enable-test-mode), the checks that run cairn
# on a config of this test are skipped; everything else still runs.

# Plain sh syntax up to here: the harness runs us with $(SHELL).
if [ -z "${BASH_VERSION:-}" ]; then
        exec /bin/bash "$0" "$@"
fi
set -u
umask 022

# ok, not_ok, skip, is, diag, bail, done_testing (not lib.sh: this test
# runs as any user, outside a namespace of its own).
. "$(dirname "$0")/../tap.sh"

[ -n "${abs_top_builddir:-}" ] && [ -n "${abs_top_srcdir:-}" ] ||
        bail "abs_top_builddir and abs_top_srcdir must be set (run through make check)"
command -v man >/dev/null ||
        bail "man is not installed (Debian: apt-get install man-db groff-base)"

MANDIR=$abs_top_srcdir/core/man
CAIRN8=$MANDIR/cairn.8
CONF5=$MANDIR/cairn.conf.5
PLUGIN7=$MANDIR/cairn-plugin.7
CAIRN=$abs_top_builddir/cairn
[ -x "$CAIRN" ] || bail "$CAIRN not built"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cairn-man.XXXXXX") || bail "mktemp -d"
trap 'rm -rf "$TMP"' EXIT

# ---- 1. rendering without warnings ------------------------------------------

for page in "$CAIRN8" "$CONF5" "$PLUGIN7"; do
        for loc in "" C C.UTF-8; do
                err=$(
                        [ -z "$loc" ] || export LC_ALL=$loc
                        MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null
                        echo "rc=$?"
                )
                if [ "$err" = "rc=0" ]; then
                        ok "${page##*/}: renders without warnings${loc:+ (LC_ALL=$loc)}"
                else
                        not_ok "${page##*/}: renders without warnings${loc:+ (LC_ALL=$loc)}"
                        diag "$err"
                fi
        done
done

# The page as text, 80 columns, plain ASCII, no overstrike or colour.
render() {
        env -u MAN_KEEP_FORMATTING LC_ALL=C MANWIDTH=80 man -l "$1" 2>/dev/null |
                sed -e 's/.\x08//g' -e 's/\x1b\[[0-9;]*m//g'
}
# section TEXT-FILE HEADING: the lines of one .SH section (without it).
section() {
        awk -v h="$2" '$0 == h { f = 1; next } /^[A-Z]/ { f = 0 } f' "$1"
}

render "$CAIRN8" >"$TMP/cairn.8.txt"
render "$CONF5" >"$TMP/cairn.conf.5.txt"
render "$PLUGIN7" >"$TMP/cairn-plugin.7.txt"
for f in cairn.8 cairn.conf.5 cairn-plugin.7; do
        [ -s "$TMP/$f.txt" ] || bail "man -l $f rendered nothing"
done
section "$TMP/cairn.8.txt" COMMANDS >"$TMP/commands.txt"
section "$TMP/cairn.8.txt" OPTIONS >"$TMP/options.txt"

# ---- 2. cairn(8) describes every command and option --------------------------

help=$("$CAIRN" --help) || bail "cairn --help failed"
commands=$(printf '%s\n' "$help" |
        awk '/^Commands:/ { f = 1; next } /^$/ { if (f) exit } f && /^  [a-z]/ { print $1 }')
n_commands=$(printf '%s\n' "$commands" | grep -c .)
[ "$n_commands" -ge 7 ] || bail "found only $n_commands commands in cairn --help"

# The block of one command in COMMANDS: its tag line (7 blanks and its
# name) up to the next command's.
command_block() {
        awk -v c="$1" '
                /^       [^ ]/ { f = ($1 == c) }
                f' "$TMP/commands.txt"
}

for cmd in $commands; do
        block=$(command_block "$cmd")
        if [ -n "$block" ]; then
                ok "cairn(8) COMMANDS describes \"$cmd\""
        else
                not_ok "cairn(8) COMMANDS describes \"$cmd\""
                continue
        fi
        usage=$("$CAIRN" "$cmd" --help) || { not_ok "cairn $cmd --help exits 0"; continue; }
        for opt in $(printf '%s\n' "$usage" | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
                [ "$opt" = --help ] && continue # every command's; said once
                if printf '%s\n' "$block" | grep -qE -- "(^|[^a-z-])$opt([^a-z-]|\$)"; then
                        ok "cairn(8): $cmd $opt"
                else
                        not_ok "cairn(8): $cmd $opt"
                        diag "\`cairn $cmd --help\` has $opt; its entry in COMMANDS does not"
                fi
        done
done

options=$(printf '%s\n' "$help" | awk '/^Options:/ { f = 1; next } /^$/ { if (f) exit } f' |
        grep -oE -- '(^|[ ,])--?[a-z][a-z-]*' | tr -d ' ,' | sort -u)
[ -n "$options" ] || bail "no options found in cairn --help"
for opt in $options; do
        if grep -qE -- "^       (.*[ ,])?$opt([ ,=]|\$)" "$TMP/options.txt"; then
                ok "cairn(8) OPTIONS: $opt"
        else
                not_ok "cairn(8) OPTIONS: $opt"
        fi
done

# ---- 3. cairn.conf(5): the built-in plugins' options --------------------------

# A config of our own for `cairn plugins` and `cairn check`.
# write_conf FILE PLUGIN_DIR [MORE-TEXT]
write_conf() {
        printf '[cairn]\nplugin_dir = "%s"\nstate_dir = "%s"\n%s' "$2" "$TMP/state" "${3:-}" >"$1"
}
mkdir -p "$TMP/empty" || bail "mkdir"
write_conf "$TMP/builtin.conf" "$abs_top_builddir/tests/modules/pkglib"

trusted=yes
if ! "$CAIRN" -q -c "$TMP/builtin.conf" --confdir "$TMP/empty" plugins >"$TMP/plugins.txt" 2>"$TMP/plugins.err"; then
        if [ "$(id -u)" != 0 ] && grep -q "not by root" "$TMP/plugins.err"; then
                trusted=
        else
                not_ok "cairn plugins on the built plugins"
                diag "$(cat "$TMP/plugins.err")"
        fi
fi

if [ -z "$trusted" ]; then
        skip "not root: cairn does not use this test's configs (build with --enable-test-mode)"
else
        section "$TMP/cairn.conf.5.txt" "BUILT-IN PLUGINS" >"$TMP/builtins.txt"
        # The block of one .SS plugin: "   NAME" up to the next heading.
        plugin_block() {
                awk -v p="$1" '/^   [^ ]/ { f = ($0 == "   " p) } f' "$TMP/builtins.txt"
        }
        plugins=$(grep -oE '^[a-z0-9_-]+ - ' "$TMP/plugins.txt" | sed 's/ - $//')
        is "$(printf '%s\n' "$plugins" | tr '\n' ' ')" "binbind copy dev devices kvm proc symlink tmpfs " \
                "cairn plugins lists the eight built-ins"
        is "$(grep -E '^   [^ ]' "$TMP/builtins.txt" | sed 's/^   //' | sort | tr '\n' ' ')" \
                "$(printf '%s\n' "$plugins" | sort | tr '\n' ' ')" \
                "cairn.conf(5) has a subsection for each built-in plugin, and no other"
        cur=
        declare -A declared=()
        while IFS= read -r line; do
                if [[ $line =~ ^([a-z0-9_-]+)\ -\  ]]; then
                        cur=${BASH_REMATCH[1]}
                        continue
                fi
                # "    NAME  TYPE [required] [(default VALUE)] [[A|B]]  HELP"
                if ! [[ $line =~ ^\ {4}([a-z0-9_-]+)\ +([a-z]+)(\ +required)?(\ +\(default\ ([^\)]*)\))?(\ |$) ]]; then
                        not_ok "cairn plugins: cannot parse \"$line\""
                        continue
                fi
                name=${BASH_REMATCH[1]} type=${BASH_REMATCH[2]}
                req=${BASH_REMATCH[3]:+, required}
                def=${BASH_REMATCH[4]:+, default ${BASH_REMATCH[5]}}
                declared[$cur/$name]=1
                tag="$name ($type$req$def)"
                if plugin_block "$cur" | grep -qxF "       $tag"; then
                        ok "cairn.conf(5) [$cur]: $tag"
                else
                        not_ok "cairn.conf(5) [$cur]: $tag"
                        diag "under \"$cur\" in BUILT-IN PLUGINS, no tag line \"$tag\"" \
                                "$(plugin_block "$cur" | grep -E '^       [a-z]' | sed 's/^ */  found: /')"
                fi
        done <"$TMP/plugins.txt"
        # ... and no tag line there for an option that does not exist.
        for p in $plugins; do
                for name in $(plugin_block "$p" |
                        grep -oE '^       [a-z0-9_-]+ \((string|path|boolean|mode|list|choice|int|size)[,)]' |
                        awk '{ print $1 }'); do
                        [ -n "${declared[$p/$name]:-}" ] ||
                                not_ok "cairn.conf(5) [$p] describes \"$name\", which plugin $p does not declare"
                done
        done
fi

# ---- 4. the examples ---------------------------------------------------------

# example PAGE NAME: the text between `.\" BEGIN NAME` and `.\" END NAME`,
# roff requests dropped and the escapes the examples use undone.
example() {
        awk -v b=".\\\\\" BEGIN $2" -v e=".\\\\\" END $2" '
                $0 == b { f = 1; next }
                $0 == e { f = 0 }
                f && !/^\./' "$1" |
                sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' -e 's/\\(ga/`/g' \
                    -e 's/\\&//g' -e 's/\\e/\\/g'
}
while read -r name page; do # (page last: its path may hold blanks)
        example "$page" "$name" >"$TMP/$name"
        [ -s "$TMP/$name" ] || bail "no example \"$name\" in ${page##*/}"
done <<EOF
cairn.conf $CONF5
50-gpu.conf $CONF5
scratch.c $PLUGIN7
scratch.conf $PLUGIN7
EOF

# The settings a check needs, for a config written with the page's example.
# settings FILE: plugin_dir and state_dir set (commented out in the page)
settings() {
        sed -e "s|^;plugin_dir .*|plugin_dir = \"$abs_top_builddir/tests/modules/pkglib\"|" \
            -e "s|^;state_dir .*|state_dir = \"$TMP/state\"|" "$1"
}
# The stack as `cairn check` resolves it, without the FILE:LINE of each line.
resolved() {
        "$CAIRN" -q -c "$1" --confdir "$2" --set runtime=/bin/true --set gpu=yes check |
                sed -e 's/  [^ ]*:[0-9]*$//' -e 's/^plugin_dir .*/plugin_dir/'
}

if [ -z "$trusted" ]; then
        skip "not root: cairn does not use this test's configs (cairn.conf(5) examples)"
else
        settings "$TMP/cairn.conf" >"$TMP/example.conf"
        settings "$abs_top_srcdir/conf/cairn.conf" >"$TMP/shipped.conf"
        grep -q '^plugin_dir = ' "$TMP/example.conf" ||
                not_ok "cairn.conf(5) example: has a ;plugin_dir line to set"
        mkdir -p "$TMP/gpu.d" && cp "$TMP/50-gpu.conf" "$TMP/gpu.d/" || bail "copy drop-in"
        if got=$(resolved "$TMP/example.conf" "$TMP/empty" 2>&1); then
                ok "cairn.conf(5): the complete example passes cairn check"
                is "$got" "$(resolved "$TMP/shipped.conf" "$TMP/empty" 2>&1)" \
                        "cairn.conf(5): the complete example is the shipped stack"
        else
                not_ok "cairn.conf(5): the complete example passes cairn check"
                diag "$got"
        fi
        if got=$(resolved "$TMP/example.conf" "$TMP/gpu.d" 2>&1); then
                ok "cairn.conf(5): the example with its drop-in passes cairn check"
                is "$(printf '%s\n' "$got" | grep -E '^[0-9]+\. ' | sed 's/ (.*), / /')" \
"1. [proc] plugin proc required
2. [runsc] plugin binbind required
3. [localtime] plugin copy optional
4. [kvm] plugin kvm required, skipped: when platform=kvm
5. [gpu] plugin devices required" \
                        "cairn.conf(5): the drop-in appends [gpu] and changes [kvm] in place"
        else
                not_ok "cairn.conf(5): the example with its drop-in passes cairn check"
                diag "$got"
        fi
fi

# The example plugin: compiled as a vendor would, against the header of
# this build (the API itself comes from the cairn that loads it).
mkdir -p "$TMP/pd" "$TMP/scratch.d" || bail "mkdir"
if ${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -fPIC -fvisibility=hidden \
        -I"$abs_top_srcdir/core/include" -shared \
        -o "$TMP/pd/scratch.so" "$TMP/scratch.c" \
        >"$TMP/cc.log" 2>&1; then
        ok "cairn-plugin(7): the example plugin compiles (-Wall -Wextra -Werror)"
        is "$(nm -D --defined-only "$TMP/pd/scratch.so" | awk '$2 != "A" { print $3 }')" \
                cairn_plugin_descriptor "cairn-plugin(7): the example exports its descriptor only"
        if [ -z "$trusted" ]; then
                skip "not root: cairn does not use this test's configs (example plugin)"
        else
                write_conf "$TMP/scratch-main.conf" "$TMP/pd"
                cp "$TMP/scratch.conf" "$TMP/scratch.d/50-scratch.conf" || bail "copy"
                if listed=$("$CAIRN" -q -c "$TMP/scratch-main.conf" --confdir "$TMP/empty" plugins 2>&1); then
                        ok "cairn-plugin(7): cairn plugins loads the example"
                        # The page's listing, with "..." where it cuts a line.
                        shown=$(render "$PLUGIN7" | sed -n '/^EXAMPLE$/,/^[A-Z]/p' |
                                awk '/^       scratch - / { f = 1 } f && /^$/ { exit } f' | sed 's/^       //')
                        same=yes
                        i=0
                        while IFS= read -r want; do
                                i=$((i + 1))
                                have=$(printf '%s\n' "$listed" | sed -n "${i}p")
                                case $want in
                                *...) [ "${have#"${want%...}"}" != "$have" ] || same= ;;
                                *) [ "$have" = "$want" ] || same= ;;
                                esac
                        done <<<"$shown"
                        if [ -n "$same" ] && [ "$i" = "$(printf '%s\n' "$listed" | grep -c .)" ]; then
                                ok "cairn-plugin(7): the page shows what cairn plugins prints"
                        else
                                not_ok "cairn-plugin(7): the page shows what cairn plugins prints"
                                diag "page:" "$shown" "cairn plugins:" "$listed"
                        fi
                else
                        not_ok "cairn-plugin(7): cairn plugins loads the example"
                        diag "$listed"
                fi
                if got=$("$CAIRN" -q -c "$TMP/scratch-main.conf" --confdir "$TMP/scratch.d" check 2>&1) &&
                        printf '%s\n' "$got" | grep -q '^1\. \[scratch\] plugin scratch ' &&
                        printf '%s\n' "$got" | grep -q '^     dirs = work, cache  '; then
                        ok "cairn-plugin(7): the example's drop-in passes cairn check"
                else
                        not_ok "cairn-plugin(7): the example's drop-in passes cairn check"
                        diag "$got"
                fi
        fi
else
        not_ok "cairn-plugin(7): the example plugin compiles (-Wall -Wextra -Werror)"
        diag "$(cat "$TMP/cc.log")"
fi

done_testing
