#!/usr/bin/env bash
# test_server.sh — `lmd serve` over real HTTP on a free loopback port: every endpoint's
# answers and error cases (404, 405, 413, malformed JSON, wrong types), `lmd ps`/`lmd stop`.
set -u
cd "$(dirname "$0")/../.."
LMD=${LMD:-./build/lmd}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }

tmp=$(mktemp -d)
srv_pid=
cleanup() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

start_server() {   # env... ; sets PORT, BASE
    env LMD_HOST=127.0.0.1:0 LMD_MODELS="$tmp/models" "$@" "$LMD" serve 2>"$tmp/serve.log" &
    srv_pid=$!
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/serve.log" | head -n1)
        [ -n "$PORT" ] && break
        sleep 0.05
    done
    BASE=http://127.0.0.1:$PORT
}

start_server LMD_MAX_BODY=1024
[ -n "$PORT" ] || { echo "server did not start"; cat "$tmp/serve.log"; echo "0 passed, 1 failed"; exit 1; }

code() { curl -s -o "$tmp/body" -w '%{http_code}' "$@"; }

check "GET / is 200 'Ollama is running'" \
    bash -c "[ \"\$(curl -s $BASE/)\" = 'Ollama is running' ]"
check "HEAD / is 200" bash -c "[ \"\$(curl -s -I -o /dev/null -w '%{http_code}' $BASE/)\" = 200 ]"
check "/api/version has a version" bash -c "curl -s $BASE/api/version | grep -q '\"version\":\"[0-9]'"
check "unknown /api path is a JSON 404" \
    bash -c "[ \"\$(curl -s -o $tmp/b -w '%{http_code}' $BASE/api/nope)\" = 404 ] && grep -q '\"error\"' $tmp/b"
check "unknown /v1 path is an OpenAI-shaped 404" \
    bash -c "curl -s $BASE/v1/nope | grep -q '\"type\":\"not_found_error\"'"
check "wrong method is 405 with Allow" \
    bash -c "curl -s -i -X POST $BASE/api/version | grep -q '^Allow: GET, HEAD'"
check "GET on a POST endpoint is 405" \
    bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $BASE/api/generate)\" = 405 ]"
head -c 5000 /dev/zero | tr '\0' 'a' > "$tmp/big"
check "body over LMD_MAX_BODY is 413" \
    bash -c "[ \"\$(curl -s -o $tmp/b -w '%{http_code}' --data-binary @$tmp/big $BASE/api/generate)\" = 413 ] && grep -q LMD_MAX_BODY $tmp/b"
check "chunked body over LMD_MAX_BODY is 413" \
    bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' --data-binary @$tmp/big $BASE/api/chat)\" = 413 ]"
check "/api/ps lists models" bash -c "curl -s $BASE/api/ps | grep -q '\"models\":\\['"
check "lmd ps talks to the server" \
    bash -c "LMD_HOST=127.0.0.1:$PORT $LMD ps | grep -q '^NAME'"
check "lmd stop of a model not loaded fails with exit 1" \
    bash -c "LMD_HOST=127.0.0.1:$PORT $LMD stop nosuch 2>$tmp/e; [ \$? = 1 ] && grep -q 'not' $tmp/e"
check "lmd ps without a server says so" \
    bash -c "LMD_HOST=127.0.0.1:1 $LMD ps 2>$tmp/e; [ \$? = 1 ] && grep -q 'could not connect' $tmp/e"

kill "$srv_pid"; wait "$srv_pid" 2>/dev/null; srv_pid=
check "server shuts down cleanly on SIGTERM" grep -q 'shutting down' "$tmp/serve.log"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
