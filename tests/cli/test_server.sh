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
    env LMD_HOST=127.0.0.1:0 LMD_MODELS="$tmp/models" LMD_REGISTRY=http://127.0.0.1:1 "$@" "$LMD" serve 2>"$tmp/serve.log" &
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

# ---- the store over HTTP, on a temp store built with /api/create ----
M=${LMD_SHARED:-../shared}/models/TinyStories-656K.Q8_0.gguf
M=$(cd "$(dirname "$M")" && pwd)/$(basename "$M")
curl -s "$BASE/api/create" -d "{\"model\":\"tiny\",\"from\":\"$M\",\"system\":\"You tell stories.\",\"parameters\":{\"temperature\":0.5,\"stop\":[\"END\"]}}" > "$tmp/create"
check "/api/create streams progress and ends with success" \
    bash -c "grep -q '\"status\":\"parsing' $tmp/create && [ \"\$(tail -n1 $tmp/create)\" = '{\"status\":\"success\"}' ] && [ \$(grep -c success $tmp/create) = 1 ]"
check "/api/tags lists the model with details" \
    bash -c "curl -s $BASE/api/tags | grep -q '\"name\":\"tiny:latest\".*\"quantization_level\":\"Q8_0\"'"
curl -s "$BASE/api/show" -d '{"model":"tiny"}' > "$tmp/show"
check "/api/show has modelfile, parameters, system, model_info, capabilities" \
    bash -c "grep -q '\"parameters\":\"temperature' $tmp/show && grep -q '\"system\":\"You tell stories.\"' $tmp/show && grep -q '\"llama.context_length\":512' $tmp/show && grep -q '\"capabilities\":\[\"completion\"' $tmp/show"
check "/api/show of an unknown model is 404" \
    bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $BASE/api/show -d '{\"model\":\"nope\"}')\" = 404 ]"
check "/api/show without a model is 400" \
    bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $BASE/api/show -d '{}')\" = 400 ]"
check "/api/copy copies" \
    bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $BASE/api/copy -d '{\"source\":\"tiny\",\"destination\":\"tiny2\"}')\" = 200 ] && curl -s $BASE/api/tags | grep -q tiny2:latest"
check "/api/copy of a missing source is 404" \
    bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $BASE/api/copy -d '{\"source\":\"nope\",\"destination\":\"x\"}')\" = 404 ]"
check "/v1/models lists both" \
    bash -c "curl -s $BASE/v1/models | grep -q '\"object\":\"list\".*tiny2:latest'"
check "/v1/models/{id} finds one, 404s another" \
    bash -c "curl -s $BASE/v1/models/tiny2 | grep -q '\"id\":\"tiny2:latest\"' && [ \"\$(curl -s -o /dev/null -w '%{http_code}' $BASE/v1/models/nope)\" = 404 ]"
check "/api/delete deletes, then 404s" \
    bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -X DELETE $BASE/api/delete -d '{\"model\":\"tiny2\"}')\" = 200 ] && [ \"\$(curl -s -o /dev/null -w '%{http_code}' -X DELETE $BASE/api/delete -d '{\"model\":\"tiny2\"}')\" = 404 ]"
D=$(sha256sum "$M" | cut -d' ' -f1)
printf 'hello blob' > "$tmp/h"; H=$(sha256sum "$tmp/h" | cut -d' ' -f1)
check "HEAD /api/blobs finds a stored blob, 404s a new one" \
    bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -I $BASE/api/blobs/sha256:$D)\" = 200 ] && [ \"\$(curl -s -o /dev/null -w '%{http_code}' -I $BASE/api/blobs/sha256:$H)\" = 404 ]"
check "POST /api/blobs stores a blob whose hash matches (201)" \
    bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --data-binary @$tmp/h $BASE/api/blobs/sha256:$H)\" = 201 ] && [ \"\$(curl -s -o /dev/null -w '%{http_code}' -I $BASE/api/blobs/sha256:$H)\" = 200 ]"
check "POST /api/blobs with a wrong hash is 400 and stores nothing" \
    bash -c "printf 'other' > $tmp/o; O=\$(sha256sum $tmp/o | cut -d' ' -f1); [ \"\$(curl -s -o $tmp/b -w '%{http_code}' --data-binary @$tmp/h $BASE/api/blobs/sha256:\$O)\" = 400 ] && grep -q mismatch $tmp/b && [ \"\$(curl -s -o /dev/null -w '%{http_code}' -I $BASE/api/blobs/sha256:\$O)\" = 404 ] && ! ls $tmp/models/blobs | grep -q upload"
check "POST /api/blobs with a malformed digest is 400" \
    bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --data-binary @$tmp/h $BASE/api/blobs/sha256:xyz)\" = 400 ]"
check "/api/create from an uploaded blob (files), stream:false" \
    bash -c "curl -s $BASE/api/create -d '{\"model\":\"fromblob\",\"files\":{\"m.gguf\":\"sha256:$D\"},\"stream\":false}' | grep -q '^{\"status\":\"success\"}' && curl -s $BASE/api/tags | grep -q fromblob:latest"
check "/api/create with a bad Modelfile is 400 naming the line" \
    bash -c "curl -s $BASE/api/create -d '{\"model\":\"bad\",\"modelfile\":\"FROM $M\\nPARAMETER temperature hot\",\"stream\":false}' -o $tmp/b -w '%{http_code}' | grep -q 400 && grep -q 'line 2' $tmp/b"
check "/api/pull of an invalid name is 400" \
    bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $BASE/api/pull -d '{\"model\":\"Bad Name!!\"}')\" = 400 ]"
check "/api/pull from an unreachable registry ends with an error line" \
    bash -c "curl -s $BASE/api/pull -d '{\"model\":\"nosuch\",\"insecure\":true}' | tail -n1 | grep -q '\"error\"'"

kill "$srv_pid"; wait "$srv_pid" 2>/dev/null; srv_pid=
check "server shuts down cleanly on SIGTERM" grep -q 'shutting down' "$tmp/serve.log"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
