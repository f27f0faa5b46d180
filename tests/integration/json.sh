#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# setup --json and list --json: each parses as JSON (python3's parser) and
# carries the documented fields: id, root, entries [{name, plugin, status}];
# list adds state, stale, created, owner.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || bail "python3 is needed to parse JSON (.ci/run installs it)"
shipped_conf "$IT_CONF"
{ cat "$IT_CONF"; printf '\n[broken]\nplugin = fail\ncontrol = optional\n'; } >"$IT_DIR/json.conf"
sed -i 's/^stack = .*/stack = proc runsc kvm broken/' "$IT_DIR/json.conf"

# py EXPR: evaluate EXPR with `d` = the JSON in $OUT; prints the result.
py() {
        python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$1" <<<"$OUT"
}

run_cairn -c "$IT_DIR/json.conf" --set runtime="$IT_RUNTIME" setup --json
is "$RC" 0 "setup --json exits 0"
check "setup --json: stdout is one JSON object" py 'type(d).__name__ == "dict" or exit(1)'
ROOT=$(py 'd["root"]')
ID=$(py 'd["id"]')
is "$ID" "${ROOT##*/}" "setup --json: id is the root's basename"
check "setup --json: root exists" test -d "$ROOT"
is "$(py '[(e["name"], e["plugin"], e["status"]) for e in d["entries"]]')" \
        "[('proc', 'proc', 'done'), ('runsc', 'binbind', 'done'), ('kvm', 'kvm', 'skipped'), ('broken', 'fail', 'failed')]" \
        "setup --json: each entry's name, plugin and status (done/skipped/failed)"

sleep 300 &
owner=$!
run_cairn -c "$IT_DIR/json.conf" --set runtime="$IT_RUNTIME" setup --json --owner "$owner"
ROOT2=$(py 'd["root"]')

run_cairn -c "$IT_CONF" list --json
is "$RC" 0 "list --json exits 0"
is "$(py 'len(d["sessions"])')" 2 "list --json: both sessions"
is "$(py 'sorted(d["sessions"][0].keys())')" \
        "['boot_id', 'created', 'entries', 'id', 'mount_namespace', 'mount_namespace_id', 'owner', 'owner_alive', 'root', 'stale', 'state', 'this_boot', 'this_namespace']" \
        "list --json: the documented fields"
is "$(py '[(s["this_namespace"], s["this_boot"], s["mount_namespace"]) for s in d["sessions"]][0]')" \
        "(True, True, $(readlink /proc/self/ns/mnt | tr -dc 0-9))" \
        "list --json: a session of this namespace and boot says so, and which namespace"
check "list --json: boot_id is this boot's" \
        py 'd["sessions"][0]["boot_id"] == open("/proc/sys/kernel/random/boot_id").read().strip() or exit(1)'
is "$(py '[(s["state"], s["stale"], s["owner"] is None) for s in d["sessions"] if s["root"] == "'"$ROOT"'"][0]')" \
        "('ready', False, True)" "list --json: a ready session with no owner"
is "$(py '[s["owner"] for s in d["sessions"] if s["root"] == "'"$ROOT2"'"][0]')" "$owner" \
        "list --json: the owner's pid"
check "list --json: created is ISO-8601 UTC" \
        py '__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d["sessions"][0]["created"]) or exit(1)'
is "$(py '[e["status"] for e in d["sessions"][0]["entries"]]')" "['done', 'done', 'skipped', 'failed']" \
        "list --json: entries with their status"

kill "$owner"
wait "$owner" 2>/dev/null
run_cairn -c "$IT_CONF" gc --all
is "$RC" 0 "gc --all exits 0"
run_cairn -c "$IT_CONF" list --json
is "$(py 'd["sessions"]')" "[]" "list --json: no sessions left"
check "nothing left" nothing_left

done_testing
