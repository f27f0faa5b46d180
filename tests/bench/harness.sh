#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# `make bench`: time cairn against the syscall floor and its peers, pair by
# pair in one run (A B A B ..., after warm-ups), and print one table: the
# median of each side and the median of the per-pair ratios A/B.
#
#   BENCH_BUILDDIR=... BENCH_SRCDIR=... bash tests/bench/harness.sh
#
# Environment: BENCH_PAIRS (100) pairs per row, BENCH_PAIRS_PEERS (30) for
# the rows against the mount(8) script and schroot (10 to 100 times slower),
# BENCH_PAIRS_BIG (20) for the N=1000 row, BENCH_WARMUPS (5) per side,
# BENCH_RAW=DIR keeps the raw per-pair nanoseconds there (one file per row).
#
# Why so many pairs: on a 2-CPU virtual machine one pair's ratio ranges
# over +-15% (2.1 to 2.9 for the cycle), so the median of 30 moved by
# +-0.05 from run to run; the median of 100 moves by about half that.  The
# last column shows the middle half of the ratios, for the spread.
#
# As root.  Everything runs inside `unshare --mount --propagation private`,
# on a tmpfs mounted there (root_parent on it), with another on the
# compiled-in state directory (BENCH_STATEDIR, /run/cairn: a tmpfs on a real
# system), so nothing leaks to the host; the configs leave state_dir unset,
# as most installations do, except in the row that measures what setting
# it costs (teardown ROOT then reads the config).  The only
# things written outside are the schroot chroot definition and its profile
# directory in /etc/schroot, removed again (by the outer process too, if the
# inner one dies).
set -euo pipefail

src=${BENCH_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
build=${BENCH_BUILDDIR:-$src}
statedir=${BENCH_STATEDIR:-/run/cairn}
pairs=${BENCH_PAIRS:-100}
pairs_peers=${BENCH_PAIRS_PEERS:-30}
pairs_big=${BENCH_PAIRS_BIG:-20}
warm=${BENCH_WARMUPS:-5}
bench=$build/tests/bench

die() { echo "harness: $*" >&2; exit 1; }
say() { echo "harness: $*" >&2; }

# Our chroot definition, its profile, and what a failed session leaves.
schroot_cleanup() {
	local name=$1
	[ -n "$name" ] || return 0
	rm -rf "/etc/schroot/chroot.d/$name" "/etc/schroot/$name"
	rm -f /var/lib/schroot/session/"$name"-*
	rmdir /run/schroot/mount/"$name"-* 2>/dev/null || true
}

# ---- outside: check, then re-run in a private mount namespace --------------
if [ -z "${CAIRN_BENCH_WORK:-}" ]; then
	[ "$(id -u)" = 0 ] || die "must run as root (it mounts)"
	for p in floor run stub; do
		[ -x "$bench/$p" ] || die "$bench/$p missing: run \`make bench\`, not this script alone"
	done
	[ -x "$build/cairn" ] || die "$build/cairn missing: build cairn first"
	command -v unshare >/dev/null || die "unshare(1) is needed (util-linux)"
	work=$(mktemp -d /tmp/cairn-bench.XXXXXX)
	# Roots on a disk filesystem too (BENCH_DISK, /var/tmp): where a
	# root's directory is made matters once a tmpfs goes on it.
	disk=$(mktemp -d "${BENCH_DISK:-/var/tmp}/cairn-bench-roots.XXXXXX")
	rc=0
	CAIRN_BENCH_WORK=$work CAIRN_BENCH_DISK=$disk unshare --mount --propagation private -- \
		bash "${BASH_SOURCE[0]}" "$@" || rc=$?
	schroot_cleanup "${work##*/}"
	rmdir "$work" 2>/dev/null || true
	rmdir "$disk" 2>/dev/null || true
	exit "$rc"
fi

# ---- inside the namespace ----------------------------------------------------
work=$CAIRN_BENCH_WORK
mount -t tmpfs -o mode=0755,size=256m cairn-bench "$work"
mkdir -m 0700 "$work/state"
# The default state directory: made on the host if it is missing (as cairn
# setup would), a private tmpfs on it here.
[ -d "$statedir" ] || mkdir -p -m 0755 "$statedir"
mount -t tmpfs -o mode=0755,size=16m cairn-bench-state "$statedir"
mkdir "$work/roots" "$work/conf" "$work/conf/empty.d" "$work/bin" "$work/data"
# The bound binary on a tmpfs of its own, as /usr/bin is apart from /run
# and /tmp on most hosts: a bind's cost in the kernel grows with the number
# of mounts on the source's mount (fs/namespace.c has_locked_children), so
# with the source among the roots the N=1000 rows would time that.
mount -t tmpfs -o mode=0755,size=16m cairn-bench-bin "$work/bin"
cp "$bench/stub" "$work/bin/runsc"
bin=$work/bin/runsc
roots=$work/roots

# The KVM device if there is one; otherwise another character device, so
# the kvm entry and its floor still bind a device node.
dev=/dev/kvm
[ -c "$dev" ] || dev=/dev/null

# cairn from the build tree: the program itself (it links no shared
# library of the build's, so libtool makes no wrapper script for it).
cairn_bin=$build/cairn
head -c 4 "$cairn_bin" | grep -q ELF || die "$cairn_bin is not an ELF program"
unset LD_LIBRARY_PATH

droots=$CAIRN_BENCH_DISK
disk_fs=$(stat -f -c %T "$droots")

# The seed's stack with plain directory roots (root_fs = dir), as cairn
# made every root before root_fs, on a tmpfs.
cat >"$work/conf/seed.conf" <<EOF
[cairn]
plugin_dir  = $build/tests/modules/pkglib
root_parent = $roots
root_fs     = dir
stack       = proc runsc kvm

[proc]
plugin = proc

[runsc]
plugin   = binbind
source   = \${runtime}
target   = /runsc

[kvm]
plugin  = kvm
device  = $dev
when    = platform=kvm
control = optional
EOF

# N binbind entries: the stack line is limited to an ini line, so they
# come from a drop-in, each a section of its own (b0 ... bN-1).
make_n_conf() {
	local n=$1 i
	mkdir "$work/conf/n$n.d"
	cat >"$work/conf/n$n.conf" <<EOF
[cairn]
plugin_dir  = $build/tests/modules/pkglib
root_parent = $roots
root_fs     = dir
EOF
	# 100 entries a drop-in: a file holds at most 1024 sections and keys.
	for ((i = 0; i < n; i++)); do
		printf '[b%d]\nplugin = binbind\nsource = %s\ntarget = /b%d\nreadonly = no\n\n' \
			"$i" "$bin" "$i" >>"$work/conf/n$n.d/binds-$((i / 100)).conf"
	done
}

cairn() { # cairn CONF CONFDIR ARGS... -> the words of one timed command
	local conf=$1 confdir=$2
	shift 2
	printf '%s\n' "$cairn_bin" -c "$conf" --confdir "$confdir" "$@"
}
mapfile -t c_seed < <(cairn "$work/conf/seed.conf" "$work/conf/empty.d" \
	--set "runtime=$bin" --set platform=kvm setup)
mapfile -t c_down < <(cairn "$work/conf/seed.conf" "$work/conf/empty.d" teardown '{}')
mapfile -t c_exec < <(cairn "$work/conf/tmpfs.conf" "$work/conf/empty.d" \
	--set "runtime=$bin" --set platform=kvm exec -- /runsc)
cycle=("${c_seed[@]}" :: "${c_down[@]}")
# As today's gVisor builds it: a tmpfs root (the default), read-only once
# set up; with root_parent on a tmpfs, and on a disk filesystem.
sed -e 's/^root_fs .*/root_readonly = yes/' "$work/conf/seed.conf" >"$work/conf/gv.conf"
sed -e "s|^root_parent .*|root_parent = $droots|" "$work/conf/gv.conf" >"$work/conf/gv-disk.conf"
# exec: the default tmpfs root (bwrap makes its own, and leaves it writable).
sed -e '/^root_fs /d' "$work/conf/seed.conf" >"$work/conf/tmpfs.conf"
sed -e "s|^root_parent .*|root_parent = $droots|" "$work/conf/tmpfs.conf" >"$work/conf/tmpfs-disk.conf"
gv_cycle() { # CONF -> setup :: teardown
	cairn "$1" "$work/conf/empty.d" --set "runtime=$bin" --set platform=kvm setup
	echo ::
	cairn "$1" "$work/conf/empty.d" teardown '{}'
}
mapfile -t gv_cycle_tmpfs < <(gv_cycle "$work/conf/gv.conf")
mapfile -t gv_cycle_disk < <(gv_cycle "$work/conf/gv-disk.conf")
mapfile -t c_exec_disk < <(cairn "$work/conf/tmpfs-disk.conf" "$work/conf/empty.d" \
	--set "runtime=$bin" --set platform=kvm exec -- /runsc)
# The same stack with state_dir set in the config.
sed "s|^\\[cairn\\]\$|&\\nstate_dir   = $work/state|" "$work/conf/seed.conf" >"$work/conf/seed-state.conf"
mapfile -t c_seed_state < <(cairn "$work/conf/seed-state.conf" "$work/conf/empty.d" \
	--set "runtime=$bin" --set platform=kvm setup)
mapfile -t c_down_state < <(cairn "$work/conf/seed-state.conf" "$work/conf/empty.d" teardown '{}')

# Before timing: cairn's seed stack must really mount the three things.
verify_cairn() {
	local root n
	root=$("${c_seed[@]}") || die "cairn setup of the seed stack failed"
	n=$(grep -c " $root/" /proc/self/mountinfo || true)
	"${c_down[@]:0:${#c_down[@]}-1}" "$root" || die "cairn teardown $root failed"
	[ "$n" = 3 ] || die "cairn setup made $n mounts in $root, not 3 (proc, /runsc, /dev/kvm)"
}

# Nothing may be left after a row: no mount, no root, no journal.
check_clean() {
	if grep -qE " ($roots|$droots)/" /proc/self/mountinfo; then
		grep -E " ($roots|$droots)/" /proc/self/mountinfo >&2
		die "$1: mounts left behind"
	fi
	[ -z "$(ls -A "$roots")" ] || die "$1: roots left behind: $(ls -A "$roots")"
	[ -z "$(ls -A "$droots")" ] || die "$1: roots left behind: $(ls -A "$droots")"
	[ -z "$(ls -A "$work/state")" ] || die "$1: journals left behind: $(ls -A "$work/state")"
	[ -z "$(ls -A "$statedir")" ] || die "$1: journals left behind: $(ls -A "$statedir")"
}

rows=()     # "label|A ms|B ms|ratio|q1-q3", or "label|n/a|reason||"
declare -A med_a=() med_b=()

median() { # numbers on stdin -> their median
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan";
		else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# row KEY LABEL PAIRS A-WORDS... // B-WORDS...
row() {
	local key=$1 label=$2 n=$3 out=$work/data/$1.txt
	shift 3
	say "$label ($n pairs after $warm warm-ups each)"
	if ! "$bench/run" -n "$n" -w "$warm" -- "$@" >"$out"; then
		rows+=("$label|failed|(see above)|")
		check_clean "$label" || true
		return 0
	fi
	check_clean "$label"
	local a b r q
	a=$(cut -d' ' -f1 "$out" | median)
	b=$(cut -d' ' -f2 "$out" | median)
	r=$(awk '{ print $1 / $2 }' "$out" | median)
	# The middle half of the ratios: from the first quartile to the third.
	q=$(awk '{ print $1 / $2 }' "$out" | sort -g | awk '{ v[NR] = $1 } END {
		lo = int((NR + 3) / 4); hi = NR + 1 - lo; printf "%.2f-%.2f", v[lo], v[hi] }')
	med_a[$key]=$a
	med_b[$key]=$b
	rows+=("$(awk -v l="$label" -v a="$a" -v b="$b" -v r="$r" -v q="$q" \
		'BEGIN { printf "%s|%.3f|%.3f|%.2f|(%s)", l, a / 1e6, b / 1e6, r, q }')")
	if [ -n "${BENCH_RAW:-}" ]; then
		mkdir -p "$BENCH_RAW"
		cp "$out" "$BENCH_RAW/$key.txt"
	fi
}

na() { rows+=("$1|n/a|$2|"); say "$1: n/a: $2"; }

# ---- the rows ------------------------------------------------------------------
verify_cairn
row cycle "cycle: cairn setup+teardown vs floor seed" "$pairs" \
	"${cycle[@]}" // "$bench/floor" -p "$roots" -b "$bin" -d "$dev" seed
row gv "cycle, tmpfs root + read-only vs floor -t -R" "$pairs" \
	"${gv_cycle_tmpfs[@]}" // "$bench/floor" -p "$roots" -b "$bin" -d "$dev" -t -R seed
row gv_disk "  the same, root_parent on $disk_fs" "$pairs" \
	"${gv_cycle_disk[@]}" // "$bench/floor" -p "$droots" -b "$bin" -d "$dev" -t -R seed
row cycle_state "  cycle, state_dir set in the config" "$pairs" \
	"${c_seed_state[@]}" :: "${c_down_state[@]}" // "$bench/floor" -p "$roots" -b "$bin" -d "$dev" seed
# What two processes cost before they do anything: the part of the cycle
# that no work in cairn can remove (the floor is one process).
true_bin=$(type -P true)
row startup "  start-up: 2x /bin/true vs floor seed" "$pairs" \
	"$true_bin" :: "$true_bin" // "$bench/floor" -p "$roots" -b "$bin" -d "$dev" seed
row version "  start-up: 2x cairn --version vs floor seed" "$pairs" \
	"$cairn_bin" --version :: "$cairn_bin" --version // "$bench/floor" -p "$roots" -b "$bin" -d "$dev" seed

if command -v bwrap >/dev/null; then
	# The same job: bwrap makes its own tmpfs root, mounts a procfs, binds
	# the binary read-only and the device, and runs it.
	bw=(bwrap --proc /proc --ro-bind "$bin" /runsc --dev-bind "$dev" /dev/kvm /runsc)
	row exec "exec: cairn exec -- /runsc vs bwrap" "$pairs" "${c_exec[@]}" // "${bw[@]}"
	row exec_disk "  the same, root_parent on $disk_fs" "$pairs" "${c_exec_disk[@]}" // "${bw[@]}"
else
	na "exec: cairn exec -- /runsc vs bwrap" "bwrap not installed (apt-get install bubblewrap)"
fi

row sh "cycle: cairn vs mount(8) script" "$pairs_peers" \
	"${cycle[@]}" // /bin/sh "$src/tests/bench/seed-mount.sh" "$roots" "$bin" "$dev"

schroot_label="cycle: cairn vs schroot -b/-e"
if command -v schroot >/dev/null && [ -d /etc/schroot/chroot.d ]; then
	# A directory chroot whose fstab holds the same three mounts, and no
	# copied files, NSS databases or services.  schroot binds the
	# directory itself at /run/schroot/mount/SESSION first (a fourth
	# mount, part of how a directory chroot works).
	# schroot takes setup files relative to /etc/schroot: a profile
	# directory of our own there, removed with the chroot definition.
	name=${work##*/}
	sdir=$work/schroot
	prof=/etc/schroot/$name
	mkdir -p "$sdir/root/proc" "$sdir/root/dev" "$sdir/root/etc"
	: >"$sdir/root/runsc"
	: >"$sdir/root/dev/kvm"
	trap 'schroot_cleanup "$name"' EXIT
	mkdir -m 0755 "$prof"
	cat >"$prof/fstab" <<EOF
proc  /proc     proc  nosuid,nodev,noexec  0 0
$bin  /runsc    none  bind,ro              0 0
$dev  /dev/kvm  none  bind                 0 0
EOF
	: >"$prof/copyfiles"
	: >"$prof/nssdatabases"
	cat >"/etc/schroot/chroot.d/$name" <<EOF
[$name]
description=cairn bench (temporary; make bench removes it)
type=directory
directory=$sdir/root
users=root
root-users=root
profile=$name
EOF
	# A trial session first: it must hold the three mounts of the fstab
	# (and the directory's own bind).
	smounts=0
	if s=$(schroot -b -c "$name" 2>"$work/schroot.err"); then
		smounts=$(grep -c "/schroot/mount/$s" /proc/self/mountinfo || true)
		schroot -e -c "$s" 2>>"$work/schroot.err" || smounts=0
	fi
	if [ "$smounts" = 4 ]; then
		row schroot "$schroot_label" "$pairs_peers" \
			"${cycle[@]}" // schroot -b -c "$name" :: schroot -e -c '{}'
	else
		na "$schroot_label" "schroot session failed or had $smounts mounts, not 4: $(head -c 200 "$work/schroot.err" | tr '\n' ' ')"
	fi
	schroot_cleanup "$name"
	trap - EXIT
else
	na "$schroot_label" "schroot not installed (apt-get install schroot)"
fi

for n in 10 100 1000; do
	make_n_conf "$n"
	mapfile -t up < <(cairn "$work/conf/n$n.conf" "$work/conf/n$n.d" setup)
	mapfile -t down < <(cairn "$work/conf/n$n.conf" "$work/conf/n$n.d" teardown '{}')
	p=$pairs
	[ "$n" -lt 1000 ] || p=$pairs_big
	row "n$n" "N=$n binbind: cairn cycle vs floor binds $n" "$p" \
		"${up[@]}" :: "${down[@]}" // "$bench/floor" -p "$roots" -s "$bin" binds "$n"
done
# Growth from 100 to 1000 entries (10 if linear), cairn's and the floor's
# (the kernel's own growth is the floor's).
scale_row() { # LABEL T1000 T100
	[ -n "$2" ] && [ -n "$3" ] || return 0
	rows+=("$(awk -v l="$1" -v a="$2" -v b="$3" \
		'BEGIN { printf "%s|%.3f|%.3f|%.2f", l, a / 1e6, b / 1e6, a / b }')")
}
scale_row "cairn t(1000)/t(100) (linear: 10)" "${med_a[n1000]:-}" "${med_a[n100]:-}"
scale_row "floor t(1000)/t(100)" "${med_b[n1000]:-}" "${med_b[n100]:-}"

# ---- the table -------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "# cairn $(cd "$src" && git describe --always --dirty 2>/dev/null || echo '?') bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# $(uname -sr), ${cpu:-unknown CPU}, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $pairs pairs (mount(8) and schroot: $pairs_peers, N=1000: $pairs_big) after $warm warm-ups per side;"
echo "# A = cairn, B = the other; the middle half of the per-pair ratios A/B in parentheses;"
echo "# state_dir ($statedir unless set) and root_parent on tmpfs (or on $disk_fs where a row says), the bound binary on a tmpfs of its own; KVM device: $dev;"
echo "# cycle rows: root_fs = dir unless a row says (tmpfs root: root_fs = tmpfs, the default; + read-only: root_readonly = yes)"
echo "# N rows: N binbind entries (readonly = no) vs N plain binds of the same file"
printf '%-46s %12s %12s %11s %s\n' "comparison (A vs B)" "median A ms" "median B ms" "median A/B" "(middle half)"
for r in "${rows[@]}"; do
	IFS='|' read -r l a b q iq <<<"$r"
	case $a in
	n/a | failed) printf '%-46s %12s   %s\n' "$l" "$a" "$b" ;;
	*) printf '%-46s %12s %12s %11s %s\n' "$l" "$a" "$b" "$q" "$iq" ;;
	esac
done
