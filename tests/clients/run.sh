#!/usr/bin/env bash
# run.sh — the client conformance suite: starts a real `lmd serve` on a free loopback port
# over a temporary model store, creates the test model from ../shared, installs the official
# npm clients from the committed lock file (`npm ci`), and runs the node:test files here
# (ollama.test.mjs, openai.test.mjs, readme.test.mjs). Prints `N passed, N failed`.
# Environment: LMD (binary, default ./build/lmd), LMD_SHARED (default ../shared).
set -u
cd "$(dirname "$0")/../.."
root=$(pwd)
LMD=${LMD:-$root/build/lmd}
SHARED=${LMD_SHARED:-$(cd .. && pwd)/shared}
summary_fail() { echo "$1"; echo "0 passed, 1 failed"; exit 1; }

[ -x "$LMD" ] || summary_fail "no $LMD (run make)"
command -v node >/dev/null || summary_fail "node is not installed (scripts/deps.sh installs nodejs)"
command -v npm >/dev/null || summary_fail "npm is not installed"
gguf="$SHARED/models/TinyStories-656K.Q8_0.gguf"
[ -f "$gguf" ] || summary_fail "missing $gguf"

# the clients, exactly as locked
if [ ! -f tests/clients/node_modules/.package-lock.json ] ||
   [ tests/clients/package-lock.json -nt tests/clients/node_modules/.package-lock.json ]; then
    (cd tests/clients && npm ci --no-audit --no-fund --loglevel=error) >&2 || summary_fail "npm ci failed"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lmd-clients.XXXXXX")
srv_pid=
cleanup() {
    if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

export LMD_MODELS="$tmp/models"
cat >"$tmp/Modelfile" <<MF
FROM $gguf
TEMPLATE """{{ if .System }}{{ .System }}
{{ end }}{{ range .Messages }}{{ .Content }}
{{ end }}"""
PARAMETER stop "<|end_story|>"
MF
"$LMD" create stories -f "$tmp/Modelfile" >"$tmp/create.log" 2>&1 ||
    { cat "$tmp/create.log"; summary_fail "lmd create failed"; }

LMD_HOST=127.0.0.1:0 "$LMD" serve 2>"$tmp/serve.log" &
srv_pid=$!
port=
for _ in $(seq 1 200); do
    port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/serve.log" | head -n1)
    [ -n "$port" ] && break
    kill -0 "$srv_pid" 2>/dev/null || break
    sleep 0.05
done
[ -n "$port" ] || { cat "$tmp/serve.log"; summary_fail "lmd serve did not start"; }

export LMD_TEST_HOST="127.0.0.1:$port" LMD_TEST_MODEL=stories
node --test --test-reporter=tap tests/clients/ollama.test.mjs tests/clients/openai.test.mjs \
    tests/clients/readme.test.mjs >"$tmp/tap.out" 2>&1
rc=$?
# show what failed (the TAP "not ok" entries and their messages), then the summary
grep -E '^\s*not ok|^\s+(error|expected|actual|message):' "$tmp/tap.out" | head -80
pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tmp/tap.out" | tail -n1)
fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tmp/tap.out" | tail -n1)
if [ -z "$pass" ] || [ -z "$fail" ]; then
    tail -n 30 "$tmp/tap.out"
    summary_fail "node --test printed no summary (exit $rc)"
fi
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
if ! kill -0 "$srv_pid" 2>/dev/null; then
    echo "lmd serve died during the run:"; tail -n 20 "$tmp/serve.log"; fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
