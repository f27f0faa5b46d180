#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every bad input is exit 2, a message that names it (FILE:LINE, [section]
# and key where they apply), and nothing done: nothing under root_parent or
# state_dir, nothing mounted, a --root DIR untouched.  badconfig.sh covers
# the first few (unknown plugin key, missing required key, a bad boolean,
# relative target, stack without section, plugin "KVM.so", bad control,
# bad when, unset variable, exit codes of an unknown option/command and a
# bare teardown); these are the rest: the file syntax iniparser would
# mangle, [cairn] values, names, variables, drop-ins, and the command line.
. "$(dirname "$0")/lib.sh"

# `... | conf_refused` must count its TAP lines in this shell, not in a
# pipeline's subshell.
shopt -s lastpipe
export LC_ALL=C
D=$IT_CONFD/50-test.conf    # a drop-in
R=$IT_HOST/rootfs           # a --root DIR that must stay as it is
mkdir -p "$R/etc"
echo keep >"$R/etc/keep"

# The [cairn] lines every case starts with (the scratch directories).
CS="[cairn]
plugin_dir = $IT_PLUGINS
state_dir = $IT_STATE
root_parent = $IT_ROOTS"

mount_table() { awk '{ print $5 }' /proc/self/mountinfo | sort; }
tree_of() { (cd "$1" && find . -printf '%p %y %m %s %T@\n' | sort); }
MOUNTS0=$(mount_table)
ROOTDIR0=$(tree_of "$R")

# line_of FILE MARK: the number of the first line of FILE holding MARK.
line_of() { grep -nF -m1 -- "$2" "$1" | cut -d: -f1; }

# refused NAME WHERE WORD... -- CAIRN-ARG...: run cairn (with the scratch
# confdir); exit 2; stderr names WHERE (if not empty) and each WORD;
# nothing on stdout; nothing done.
refused() {
        local name=$1 where=$2 w
        local -a words=()
        shift 2
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
                words+=("$1")
                shift
        done
        shift
        run_cairn "$@"
        is "$RC" 2 "$name: exit 2"
        if [ -n "$where" ]; then
                check "$name: the message names $where" grep -qF -- "$where" <<<"$ERR"
        fi
        for w in "${words[@]}"; do
                check "$name: the message says \"$w\"" grep -qF -- "$w" <<<"$ERR"
        done
        check "$name: nothing on stdout" test -z "$OUT"
        check "$name: nothing under root_parent or state_dir" nothing_left
        is "$(mount_table)" "$MOUNTS0" "$name: nothing mounted"
        is "$(tree_of "$R")" "$ROOTDIR0" "$name: a --root DIR is untouched"
}

# conf_refused NAME MARK WORD... < FILE: the config from stdin, then
# `setup`; the message must name $IT_CONF:LINE, LINE being the first line
# holding MARK (no MARK: no line is checked).
conf_refused() {
        local name=$1 mark=$2 where=
        shift 2
        cat >"$IT_CONF"
        [ -z "$mark" ] || where="$IT_CONF:$(line_of "$IT_CONF" "$mark")"
        [ "$where" != "$IT_CONF:" ] || bail "$name: mark \"$mark\" not in the config"
        refused "$name" "$where" "$@" -- -c "$IT_CONF" --set runtime="$IT_RUNTIME" setup
}

# A good base, to show that each failure below is its edit's.
good() {
        printf '%s\nstack = proc runsc\n\n[proc]\n\n[runsc]\nplugin = binbind\nsource = ${runtime}\ntarget = /runsc\n' "$CS"
}
good >"$IT_CONF"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" check
is "$RC" 0 "the base config passes check"

# An empty config is valid: no stack, nothing to do (not an error).
: >"$IT_DIR/empty.conf"
run_cairn -c "$IT_DIR/empty.conf" check
is "$RC" 0 "an empty config file is valid (check exits 0)"
check "an empty config: nothing created" nothing_left

# ---- what the file is made of -------------------------------------------------

# 1. Binary garbage: an ELF header (0x7f, NUL bytes) as the config.
head -c 256 "$IT_RUNTIME" >"$IT_DIR/garbage.conf"
chmod 0644 "$IT_DIR/garbage.conf"
refused "binary garbage (an ELF file)" "$IT_DIR/garbage.conf:1" "binary file?" -- \
        -c "$IT_DIR/garbage.conf" setup

# 2. A NUL byte in the middle of an otherwise good file, on line 5.
{ good | sed -n 1,4p; printf 'stack = pr\0oc\n'; } >"$IT_DIR/nul.conf"
refused "a NUL byte on line 5" "$IT_DIR/nul.conf:5" "NUL byte" -- -c "$IT_DIR/nul.conf" setup

# 3. A UTF-8 byte-order mark.
{ printf '\xef\xbb\xbf'; good; } | conf_refused "a byte-order mark" "" "$IT_CONF:1" "byte order mark"

# 4. A line of 2000 bytes.
{ good; printf 'target2 = /%s\n' "$(head -c 2000 /dev/zero | tr '\0' a)"; } |
        conf_refused "a 2000-byte line" "target2 =" "line is too long"

# 5. A file over 1 MiB (comments only).
{ good; yes '; padding padding padding padding padding padding padding padding' |
        head -c 1100000; } | conf_refused "a file over 1 MiB" "" "$IT_CONF" "larger than"

# 5b. More than 1024 sections and keys in one file (iniparser's time grows
# with the square): the base has 10, so 1014 more sections fit and the
# next is refused at its line; the same entries in a drop-in are fine.
{ good; for ((i = 0; i < 1014; i++)); do printf '[pad%d]\n' "$i"; done; } >"$IT_DIR/full.conf"
run_cairn -c "$IT_DIR/full.conf" --set runtime="$IT_RUNTIME" check
is "$RC" 0 "a file of 1024 sections and keys passes check"
{ cat "$IT_DIR/full.conf"; echo '[toomany]'; } | conf_refused "a file of 1025 sections and keys" \
        "[toomany]" "more than 1024 sections and keys in one file; put the rest in drop-in files"

# 6. A continuation line (iniparser would join the next line to it).
{ good; printf 'readonly = yes \\\n'; } | conf_refused "a continuation line" 'readonly = yes \' \
        "continuation"

# 7. Control characters (ESC) in a value.
{ good; printf 'readonly = y\033es\n'; } | conf_refused "an ESC in a value" "readonly =" \
        "control character 0x1b"

# ---- syntax ------------------------------------------------------------------------

# 8. A section header without "]".
{ good; printf '[kvm\n'; } | conf_refused "a header without ]" "[kvm" "closing"

# 9. Text after a section header.
{ good; printf '[kvm] extra\n'; } | conf_refused "text after ]" "[kvm] extra" "text after"

# 10. A comment on a section header's line (iniparser drops the header).
{ good | sed 's/^\[runsc\]$/[runsc] ; the runtime/'; } |
        conf_refused "a comment after a header" "[runsc] ;" "comment cannot follow"

# 11. A line that is neither a header, a key nor a comment.
{ good; printf 'just some words\n'; } | conf_refused "a line without =" "just some" \
        "expected" "just some words"

# 12. A key before any section.
{ printf 'stack = proc\n'; good; } | conf_refused "a key before any section" "stack = proc" \
        "before any [section]"

# 13. An empty section name.
{ good; printf '[]\n'; } | conf_refused "an empty section name" "[]" "empty section name"

# 14. An uppercase section name.
{ good; printf '[Kvm]\n'; } | conf_refused "an uppercase section" "[Kvm]" "must be lowercase"

# 15. A ":" in a section name (iniparser's key separator).
{ good; printf '[a:b]\n'; } | conf_refused "a : in a section name" "[a:b]" '":"'

# 16. A key name with a blank in it.
{ good; printf 'read only = yes\n'; } | conf_refused "a key with a blank" "read only" \
        "[runsc]" "invalid key name"

# 17. An unquoted value with ";" not after a blank.
good | sed 's|^target = /runsc$|target = /runsc;x|' | conf_refused "a ; inside an unquoted value" \
        "target = /runsc;x" "[runsc] target" "quote the value"

# 18. An unterminated quote.
good | sed 's|^target = /runsc$|target = "/runsc|' | conf_refused "an unterminated quote" \
        'target = "/runsc' "[runsc] target" "unterminated quoted value"

# 19. Text after the closing quote.
good | sed 's|^target = /runsc$|target = "/runsc" /x|' | conf_refused "text after a closing quote" \
        'target = "/runsc"' "[runsc] target" "text after the closing quote"

# ---- name clashes ------------------------------------------------------------------

# 20. A section twice in one file.
{ good; printf '\n[proc ]\n'; } | conf_refused "a section twice in a file" "[proc ]" "[proc]" \
        "section appears twice" "first at line"

# 21. A key twice in one section.
{ good; printf 'target = /again\n'; } | conf_refused "a key twice in a section" "target = /again" \
        "[runsc] target" "key appears twice"

# 22. An entry twice in the stack.
good | sed 's/^stack = proc runsc$/stack = proc runsc proc/' | conf_refused "an entry twice in the stack" \
        "stack =" "[cairn] stack" '"proc" appears twice'

# 23. The settings section named as an entry.
good | sed 's/^stack = proc runsc$/stack = proc cairn/' | conf_refused "stack names [cairn]" \
        "stack =" "[cairn] stack" "settings section"

# 24. An entry name that is not [a-z0-9_-]+ in the stack.
good | sed 's/^stack = proc runsc$/stack = proc ..\/runsc/' | conf_refused "a stack name with / and .." \
        "stack =" "[cairn] stack" "invalid entry name"

# ---- plugin names ------------------------------------------------------------------

# 25. A plugin name with "/": a path out of plugin_dir.
good | sed 's|^plugin = binbind$|plugin = ../../../tmp/evil|' | conf_refused "plugin name with / and .." \
        "plugin = ../" "[runsc] plugin" "invalid plugin name" "../../../tmp/evil"

# 26. A plugin name that is "..".
good | sed 's|^plugin = binbind$|plugin = ..|' | conf_refused 'plugin name ".."' "plugin = .." \
        "[runsc] plugin" "invalid plugin name"

# 27. A plugin name made of a variable that expands to a path.
good | sed 's|^plugin = binbind$|plugin = ${p}|' >"$IT_CONF"
refused "plugin name \${p} = /tmp/evil" "$IT_CONF:$(line_of "$IT_CONF" 'plugin = ${p}')" \
        "[runsc] plugin" "invalid plugin name" "/tmp/evil" -- \
        -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set p=/tmp/evil setup

# ---- [cairn] values ----------------------------------------------------------------

# 28. An unknown [cairn] key.
{ good | sed 's/^stack = proc runsc$/stack = proc runsc\nroot_dir = \/srv/'; } |
        conf_refused "an unknown [cairn] key" "root_dir" "[cairn] root_dir" "unknown key"

# 29. A mode with a digit that is not octal.
{ good | sed 's/^stack = proc runsc$/stack = proc runsc\nroot_mode = 0789/'; } |
        conf_refused "root_mode 0789" "root_mode" "[cairn] root_mode" "not an octal mode"

# 30. A mode out of range.
{ good | sed 's/^stack = proc runsc$/stack = proc runsc\nroot_mode = 017777/'; } |
        conf_refused "root_mode 017777" "root_mode" "[cairn] root_mode" "0 to 07777"

# 31. A relative state_dir.
good | sed "s|^state_dir = .*|state_dir = run/cairn|" | conf_refused "a relative state_dir" \
        "state_dir" "[cairn] state_dir" "not an absolute path"

# 32. A root_parent with "//" and a trailing "/".
good | sed "s|^root_parent = .*|root_parent = /tmp//x/|" | conf_refused "root_parent /tmp//x/" \
        "root_parent" "[cairn] root_parent" "not a normalized path"

# 33. A plugin_dir with "..".
good | sed "s|^plugin_dir = .*|plugin_dir = /usr/lib/../../tmp|" | conf_refused "plugin_dir with .." \
        "plugin_dir" "[cairn] plugin_dir" "not a normalized path"

# 34. A variable in [cairn] (teardown, list and gc read it without --set).
good | sed 's|^state_dir = .*|state_dir = ${statedir}|' | conf_refused "a variable in [cairn]" \
        "state_dir" "[cairn] state_dir" 'variables cannot be used here'

# ---- values of entries ----------------------------------------------------------------

# 35. An empty path.
good | sed 's|^target = /runsc$|target =|' | conf_refused "an empty target" "target =" \
        "[runsc] target" "empty path"

# 36. A bad boolean (a number that is not 0 or 1).
{ good; printf 'readonly = 2\n'; } | conf_refused "readonly = 2" "readonly" "[runsc] readonly" \
        "not a boolean"

# 37. A value not among a choice's values.
printf '%s\nstack = dev\n\n[dev]\nplugin = devices\ndevices = /dev/null\nmissing = ignore\n' "$CS" |
        conf_refused "missing = ignore" "missing =" "[dev] missing" "not one of: error, skip"

# 38. An empty list.
printf '%s\nstack = dev\n\n[dev]\nplugin = devices\ndevices = " , "\n' "$CS" |
        conf_refused "an empty device list" "devices =" "[dev] devices" "empty list"

# 39. An unterminated "${".
good | sed 's|^source = .*|source = ${runtime|' | conf_refused 'an unterminated ${' "source =" \
        "[runsc] source" 'unterminated "${"'

# 40. A bad variable name in ${...}.
good | sed 's|^source = .*|source = ${1runtime}|' | conf_refused 'a bad name in ${1runtime}' \
        "source =" "[runsc] source" "invalid variable name"

# 41. An empty condition in `when`.
{ good; printf 'when = a=1,,b=2\n'; } | conf_refused "an empty condition in when" "when =" \
        "[runsc] when" "empty condition"

# 42. A control that a variable makes bad.
{ good; printf 'control = ${ctl}\n'; } >"$IT_CONF"
refused "control = \${ctl} = maybe" "$IT_CONF:$(line_of "$IT_CONF" 'control =')" \
        "[runsc] control" "not one of: required, optional" -- \
        -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set ctl=maybe setup

# ---- drop-ins --------------------------------------------------------------------------

good >"$IT_CONF"
# 43. `stack` in a drop-in.
printf '[cairn]\nstack = proc\n' >"$D"
refused "stack in a drop-in" "$D:2" "[cairn] stack" "only be set in the main config file" -- \
        -c "$IT_CONF" --set runtime="$IT_RUNTIME" setup

# 44. Binary garbage in a drop-in (line 3).
printf '; fine\n[proc]\n\001\002\003\377\n' >"$D"
refused "binary garbage in a drop-in" "$D:3" "control character 0x01" -- \
        -c "$IT_CONF" --set runtime="$IT_RUNTIME" setup

# 45. A drop-in entry for a plugin with an unknown key.
printf '[extra]\nplugin = tmpfs\ntraget = /x\n' >"$D"
refused "a drop-in entry with an unknown key" "$D:3" "[extra] traget" "unknown key" "target" -- \
        -c "$IT_CONF" --set runtime="$IT_RUNTIME" setup
rm -f "$D"

# 46. A stack entry whose section is only in a drop-in.
good | sed 's/^stack = proc runsc$/stack = proc runsc late/' >"$IT_CONF"
printf '[late]\nplugin = tmpfs\ntarget = /late\n' >"$D"
refused "a stack entry defined only in a drop-in" "$IT_CONF:$(line_of "$IT_CONF" 'stack =')" \
        '"late" has no [late] section' -- -c "$IT_CONF" --set runtime="$IT_RUNTIME" setup
rm -f "$D"

# ---- the command line ------------------------------------------------------------------

good >"$IT_CONF"
set -- -c "$IT_CONF" --set runtime="$IT_RUNTIME"

# 47. --set without "=".
refused "--set without =" "" "--set" "expected NAME=VALUE" -- "$@" --set runtime setup
# 48. --set with a bad name.
refused "--set 1x=y" "" "invalid variable name" -- "$@" --set 1x=y setup
# 49. No command at all.
refused "no command" "" "no command given" -- "$@"
# 50. An unknown command, named.
refused "unknown command, named" "" 'unknown command "destroy"' -- "$@" destroy
# 51. An unknown setup option.
refused "setup --bogus" "" "Usage:" -- "$@" setup --bogus
# 52. An extra argument to setup.
refused "setup extra" "" 'unexpected argument "extra"' -- "$@" setup extra
# 53. --owner that is not a number.
refused "--owner abc" "" '--owner "abc": not a process id' -- "$@" setup --owner abc
# 54. --owner 0.
refused "--owner 0" "" "not a process id" -- "$@" setup --owner 0
# 55. --owner of a process that does not exist.
refused "--owner of no process" "" "no such process" -- "$@" setup --owner 2147483647
# 56. --root that does not exist.
refused "--root missing" "" "--root $IT_HOST/nonexistent" "No such file" -- \
        "$@" setup --root "$IT_HOST/nonexistent"
check "--root missing: not created" test ! -e "$IT_HOST/nonexistent"
# 57. --root that is a file.
refused "--root a file" "" "not a directory" -- "$@" setup --root "$R/etc/keep"
# 58. --root with no argument.
refused "--root without DIR" "" "Usage:" -- "$@" setup --root
# 58b. --root that is the host's root, by any name.
refused "--root /" "" "the host's root directory" -- "$@" setup --root /
refused "--root /tmp/.." "" "the host's root directory" -- "$@" setup --root /tmp/..
refused "exec --root /" "" "the host's root directory" -- "$@" exec --root / -- /bin/true
# 59. A config file that does not exist.
refused "-c missing file" "" "$IT_DIR/nosuch.conf" "No such file" -- -c "$IT_DIR/nosuch.conf" check
# 60. A directory as the config file.
refused "-c a directory" "" "$IT_HOST" "not a regular file" -- -c "$IT_HOST" check
# 61. A file as the drop-in directory.
refused "--confdir a file" "" "$IT_CONF" "Not a directory" -- "$@" --confdir "$IT_CONF" setup
# 62. teardown of a malformed id.
refused "teardown of a malformed id" "" 'is not a session id' -- "$@" teardown 'cairn-..'
# 63. teardown of a relative root path.
refused "teardown of a relative path" "" "absolute path" -- "$@" teardown roots/cairn-abc123
# 64. teardown with two arguments.
refused "teardown with two arguments" "" "one ROOT or ID" -- "$@" teardown cairn-aaaaaa cairn-bbbbbb
# 65. exec without a command.
refused "exec without a command" "" "exec: no command given" -- "$@" exec --
# 66. list with an extra argument.
refused "list extra" "" 'unexpected argument "extra"' -- "$@" list extra
# 67. gc with an unknown option.
refused "gc --bogus" "" "Usage:" -- "$@" gc --bogus
# 68. check with an extra argument (it would be silently ignored).
refused "check extra" "" "extra" -- "$@" check extra
# 69. plugins with an extra argument.
refused "plugins extra" "" "extra" -- "$@" plugins extra

# 70. What setup accepts, teardown must accept too: a ${VAR} in [cairn]
# (teardown, list and gc read [cairn] only).  Either setup refuses it
# (exit 2, nothing done) or the session it makes can be torn down with
# the same command line.
good | sed "s|^state_dir = .*|state_dir = \${sd}|" >"$IT_CONF"
run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set sd="$IT_STATE" setup
case $RC in
2)
        ok "\${VAR} in [cairn]: setup refuses it (exit 2)"
        check "\${VAR} in [cairn]: nothing done" nothing_left_at_all
        ;;
0)
        root=$OUT
        run_cairn -c "$IT_CONF" --set runtime="$IT_RUNTIME" --set sd="$IT_STATE" teardown "$root"
        is "$RC" 0 "\${VAR} in [cairn]: setup accepted it, so teardown (same command line) exits 0"
        run_cairn -c "$IT_CONF" --set sd="$IT_STATE" list
        is "$RC" 0 "\${VAR} in [cairn]: list exits 0"
        # Clean up for the tests that follow, whatever cairn did: this
        # namespace's mounts, then the session's files.
        for m in $(mounts_under "$root" | sort -r); do umount -l "$m"; done
        nothing_mounted_under "$root" && rm -rf "${root:?}" "${IT_STATE:?}"/* "${IT_STATE:?}"/.??* 2>/dev/null
        ;;
*)
        not_ok "\${VAR} in [cairn]: setup exits 0 or 2 (got $RC)"
        ;;
esac

done_testing
