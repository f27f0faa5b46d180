# shellcheck shell=sh
# SPDX-License-Identifier: Apache-2.0
#
# TAP for the shell tests, one copy: every test script sources it (the
# integration tests through tests/integration/lib.sh).  What it prints is
# read by automake's tap-driver.sh (tests/Makemodule.am):
#
#   ok DESC / not_ok DESC      one numbered result line
#   skip REASON                a result that did not run ("ok N # SKIP")
#   check DESC COMMAND [ARG...] ok if COMMAND succeeds; its output goes to
#                              stderr, the log, never into the TAP stream
#   is GOT EXPECTED DESC       ok if the two strings are equal, else both
#   diag LINE...               "# " before every line of every argument
#   bail REASON                a failed result and "Bail out!": exit 1
#   done_testing               the plan, last, then exit 0
#
# Plain sh (the lint tests are /bin/sh scripts; `local` is in every sh
# cairn builds on: dash, bash, busybox).  The counters are TAP_N and
# TAP_FAILED; a test names its own variables otherwise.

TAP_N=0
TAP_FAILED=0

diag() {
        [ $# -gt 0 ] || return 0
        printf '%s\n' "$@" | sed 's/^/# /'
}

ok() {
        TAP_N=$((TAP_N + 1))
        echo "ok $TAP_N - $*"
}

not_ok() {
        TAP_N=$((TAP_N + 1))
        TAP_FAILED=$((TAP_FAILED + 1))
        echo "not ok $TAP_N - $*"
}

skip() {
        TAP_N=$((TAP_N + 1))
        echo "ok $TAP_N # SKIP $*"
}

# The failed result first: the driver counts it, and the log shows which
# step the test stopped at.
bail() {
        echo "not ok $((TAP_N + 1)) - $*"
        echo "Bail out! $*"
        exit 1
}

check() {
        local desc
        desc=$1
        shift
        if "$@" >&2; then
                ok "$desc"
        else
                not_ok "$desc"
                diag "failed: $*"
        fi
}

is() {
        if [ "$1" = "$2" ]; then
                ok "$3"
        else
                not_ok "$3"
                diag "expected: '$2'" "     got: '$1'"
        fi
}

# The exit status stays 0 whatever failed: the "not ok" lines are the
# failures, and a non-zero exit would be counted as one more error.
done_testing() {
        echo "1..$TAP_N"
        [ "$TAP_FAILED" -eq 0 ] || diag "$TAP_FAILED of $TAP_N failed"
        exit 0
}
