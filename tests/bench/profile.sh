#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# `make bench-profile`: where cairn's time goes with a stack of N binbind
# entries (BENCH_PROFILE_N, 1000): `cairn setup` and `cairn teardown`, each
# under `valgrind --tool=callgrind` (instructions, user space only; the top
# functions by inclusive cost) and under `perf record` (wall-clock samples,
# kernel included; DWARF call graphs, so inclusive costs hold for
# libraries built without frame pointers), if perf works here.
#
# valgrind 3.19 knows neither openat2 nor fsopen/open_tree: under it cairn
# falls back to an O_NOFOLLOW walk and mount(2).  Fine for relative costs
# in user space; perf sees the real paths.
#
# As root, inside `unshare --mount --propagation private`, on a tmpfs.
# BENCH_PROFILE_OUT=DIR keeps the callgrind.out.* and perf.data.* files.
set -euo pipefail

src=${BENCH_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
build=${BENCH_BUILDDIR:-$src}
n=${BENCH_PROFILE_N:-1000}
top=${BENCH_PROFILE_TOP:-15}
runs=${BENCH_PROFILE_RUNS:-3}
freq=${BENCH_PROFILE_FREQ:-5000}

die() { echo "profile: $*" >&2; exit 1; }

if [ -z "${CAIRN_PROFILE_WORK:-}" ]; then
	[ "$(id -u)" = 0 ] || die "must run as root (it mounts)"
	[ -x "$build/cairn" ] || die "$build/cairn missing: build cairn first"
	[ -x "$build/tests/bench/stub" ] || die "$build/tests/bench/stub missing: run \`make bench-profile\`"
	work=$(mktemp -d /tmp/cairn-profile.XXXXXX)
	rc=0
	CAIRN_PROFILE_WORK=$work unshare --mount --propagation private -- \
		bash "${BASH_SOURCE[0]}" "$@" || rc=$?
	rmdir "$work" 2>/dev/null || true
	exit "$rc"
fi

work=$CAIRN_PROFILE_WORK
mount -t tmpfs -o mode=0755,size=1g cairn-profile "$work"
mkdir -m 0700 "$work/state"
mkdir "$work/roots" "$work/conf.d" "$work/out" "$work/src"
# The bind source on a tmpfs of its own, as in the harness: a bind's cost
# in the kernel grows with the number of mounts on the source's mount
# (fs/namespace.c has_locked_children), which is not cairn's doing.
mount -t tmpfs -o mode=0755,size=16m cairn-profile-src "$work/src"
cp "$build/tests/bench/stub" "$work/src/runsc"
cat >"$work/cairn.conf" <<EOF
[cairn]
plugin_dir  = $build/tests/modules/pkglib
state_dir   = $work/state
root_parent = $work/roots
root_fs = dir
EOF
# 100 entries a drop-in: a file holds at most 1024 sections and keys.
for ((i = 0; i < n; i++)); do
	printf '[b%d]\nplugin = binbind\nsource = %s\ntarget = /b%d\nreadonly = no\n\n' \
		"$i" "$work/src/runsc" "$i" >>"$work/conf.d/binds-$((i / 100)).conf"
done

cairn=("$build/cairn" -c "$work/cairn.conf" --confdir "$work/conf.d")
out=$work/out
keep() {
	if [ -n "${BENCH_PROFILE_OUT:-}" ]; then
		mkdir -p "$BENCH_PROFILE_OUT"
		cp "$out"/callgrind.out.* "$out"/perf.data.* "$BENCH_PROFILE_OUT"/ 2>/dev/null || true
	fi
}
trap keep EXIT

# Inclusive cost per function, top $top, of one callgrind output: one
# line per function (callgrind_annotate lists some twice, by absolute and
# relative file name), start-up frames (ld.so, libc, main) left out.
cg_top() {
	callgrind_annotate --inclusive=yes --tree=none --threshold=100 "$1" 2>/dev/null |
		sed 's/( */(/' |
		awk -v top="$top" '
			/PROGRAM TOTALS/ { printf "  %s instructions in all\n", $1; next }
			/below main/ { next }
			$1 !~ /^[0-9,]+$/ || $2 !~ /^\(/ { next }
			{
				fn = $3; obj = $4
				file = fn; sub(/:.*$/, "", file); sub(/^.*\//, "", file)
				name = fn; sub(/^[^:]*:/, "", name)
				if (file == "???") {        # no debug info: name the object
					file = obj; gsub(/[\[\]]/, "", file); sub(/^.*\//, "", file)
				}
				if (name ~ /^0x|below main|^__libc_start|^_start$/ || file == "main.c" || seen[name]++)
					next
				if (shown++ < top) printf "  %15s %9s  %s:%s\n", $1, $2, file, name
			}'
}

# A perf report's first $top lines of samples.
perf_top() {
	perf report "$@" --comm cairn --stdio --no-demangle -g none --percent-limit 0.3 2>/dev/null |
		awk -v top="$top" '/^ +[0-9]/ && shown++ < top'
}

echo "== cairn with $n binbind entries (readonly = no), state_dir and root_parent on tmpfs"
if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
	vg=(valgrind --tool=callgrind --quiet --dump-instr=no --collect-jumps=no)
	# valgrind 3.19 warns of each unknown system call (openat2, open_tree):
	# those warnings are dropped, anything else is shown.
	root=$("${vg[@]}" --callgrind-out-file="$out/callgrind.out.setup" "${cairn[@]}" setup \
		2>"$out/vg.err") || { cat "$out/vg.err" >&2; die "cairn setup under callgrind failed"; }
	"${vg[@]}" --callgrind-out-file="$out/callgrind.out.teardown" "${cairn[@]}" teardown "$root" \
		2>>"$out/vg.err" || { cat "$out/vg.err" >&2; die "cairn teardown under callgrind failed"; }
	grep -v -e 'unhandled amd64-linux syscall' -e 'write your own handler' -e README_MISSING \
		-e 'consider this a bug' -e 'valgrind.org/support/bug_reports' "$out/vg.err" >&2 || true
	for phase in setup teardown; do
		echo
		echo "-- callgrind, $phase: top $top functions by inclusive instructions (file:function)"
		cg_top "$out/callgrind.out.$phase"
	done
else
	echo "(valgrind not installed: no callgrind profile; apt-get install valgrind)"
fi

# perf: wall-clock samples of $runs setups, then of their teardowns.
if command -v perf >/dev/null && perf record -q -e cpu-clock -o "$out/perf.probe" -- true >/dev/null 2>&1; then
	roots=()
	perf record -q -e cpu-clock -F "$freq" --call-graph dwarf,16384 -o "$out/perf.data.setup" -- \
		bash -c 'for ((i = 0; i < '"$runs"'; i++)); do "$@" setup || exit 1; done' _ "${cairn[@]}" \
		>"$out/roots" 2>"$out/perf.err" || { cat "$out/perf.err" >&2; die "perf record of setup failed"; }
	mapfile -t roots <"$out/roots"
	perf record -q -e cpu-clock -F "$freq" --call-graph dwarf,16384 -o "$out/perf.data.teardown" -- \
		bash -c 'for r; do '"$(printf '%q ' "${cairn[@]}")"' teardown "$r" || exit 1; done' _ "${roots[@]}" \
		2>"$out/perf.err" || { cat "$out/perf.err" >&2; die "perf record of teardown failed"; }
	for phase in setup teardown; do
		echo
		echo "-- perf, $phase ($runs runs): top $top symbols by inclusive samples (children), cairn only"
		echo "   (children = inclusive, self = exclusive; [k] kernel, [.] user space; a name twice:"
		echo "    DWARF unwinding cut some stacks short, the larger share is the truer)"
		perf_top -i "$out/perf.data.$phase" --children --sort symbol
		echo "-- perf, $phase: top $top by self samples, with their object"
		perf_top -i "$out/perf.data.$phase" --no-children --sort dso,symbol
	done
else
	echo
	echo "(perf not usable here: no wall-clock profile)"
fi

# Nothing may be left: no mount, no root, no journal.
if grep -q " $work/roots/" /proc/self/mountinfo || [ -n "$(ls -A "$work/roots")$(ls -A "$work/state")" ]; then
	die "something was left behind in $work"
fi
