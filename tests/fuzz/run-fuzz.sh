#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# tests/fuzz/run-fuzz.sh BUILDDIR SECONDS [config|journal]
#
# A bounded run of the config fuzzer (tests/fuzz/fuzz-config, the default)
# or the journal fuzzer (tests/fuzz/fuzz-journal), built by
# `./configure CC=clang --enable-fuzz`, on a copy of its seed corpus
# (tests/fuzz/corpus, tests/fuzz/journal-corpus; the copy grows, the
# tree's corpus does not), with its dictionary (config.dict, journal.dict).  Exit 0 if SECONDS passed without
# a crash, a leak, a timeout or an oracle abort; otherwise exit 1, showing
# the input (hex) and the report.  FUZZ_OUT=DIR keeps the run's corpus and
# artifacts there (default: a temporary directory, removed on success).
# Extra libFuzzer flags: FUZZ_FLAGS="-jobs=2 ...".
set -u

if [ $# -lt 2 ] || [ $# -gt 3 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]] || ! [[ ${3:-config} =~ ^(config|journal)$ ]]; then
        echo "usage: $0 BUILDDIR SECONDS [config|journal]" >&2
        exit 2
fi
builddir=$(cd "$1" && pwd) || exit 2
seconds=$2
target=${3:-config}
srcdir=$(cd "$(dirname "$0")" && pwd)
fuzzer=$builddir/tests/fuzz/fuzz-$target
if [ "$target" = config ]; then
        corpus=$srcdir/corpus
else
        corpus=$srcdir/journal-corpus
fi
dict=$srcdir/$target.dict

if [ ! -x "$fuzzer" ]; then
        echo "$fuzzer: not built (configure CC=clang --enable-fuzz, then make)" >&2
        exit 1
fi
if ! compgen -G "$corpus/*" >/dev/null; then
        echo "$corpus: no seed inputs" >&2
        exit 1
fi

if [ -n "${FUZZ_OUT:-}" ]; then
        out=$FUZZ_OUT
        mkdir -p "$out" || exit 1
        keep=1
else
        out=$(mktemp -d "${TMPDIR:-/tmp}/cairn-fuzz.XXXXXX") || exit 1
        keep=
fi
mkdir -p "$out/corpus" "$out/artifacts" || exit 1
cp "$corpus"/* "$out/corpus/" || exit 1
nseeds=$(ls "$out/corpus" | wc -l)

echo "fuzzing the $target reader for ${seconds}s from $nseeds inputs ($out)"
# Sanitizer reports must fail the run, never be recovered from.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"
# shellcheck disable=SC2086
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -dict="$dict" -artifact_prefix="$out/artifacts/" \
        -print_final_stats=1 ${FUZZ_FLAGS:-} "$out/corpus" >"$out/fuzz.log" 2>&1
rc=$?

tail -n 15 "$out/fuzz.log" | grep -E '^(stat::|Done|#[0-9]+)' || true
if [ "$rc" -eq 0 ] && ! compgen -G "$out/artifacts/*" >/dev/null; then
        echo "fuzz: no crash in ${seconds}s ($(ls "$out/corpus" | wc -l) inputs in the corpus now)"
        [ -n "$keep" ] || rm -rf "$out"
        exit 0
fi

echo "fuzz: FAILED (exit $rc); log and inputs kept in $out" >&2
sed -n '/^==[0-9]*==ERROR\|runtime error\|^SUMMARY\|without logging\|^accepted\|^required\|^enabled\|^oracle/,$p' \
        "$out/fuzz.log" | head -n 80 >&2
for a in "$out"/artifacts/*; do
        [ -f "$a" ] || continue
        echo "--- $a ($(stat -c %s "$a") bytes), as hex:" >&2
        od -An -tx1 -v "$a" | head -n 40 >&2
done
exit 1
