#!/usr/bin/env bash
# test_server_gen.sh — generation through a real `lmd serve` on a free loopback port with a
# temp store built from ../shared models: Ollama and OpenAI endpoints streaming and not,
# 32 concurrent greedy streams each equal to its solo output, a disconnecting client's
# blocks freed (cancelled count in /api/ps), a shared long system prompt reported as cached
# tokens, load/unload, lmd ps / lmd stop, num_ctx clamping.
set -u
cd "$(dirname "$0")/../.."
LMD=${LMD:-./build/lmd}
SHARED=${LMD_SHARED:-../shared}
SHARED=$(cd "$SHARED" && pwd)
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }

tmp=$(mktemp -d)
srv_pid=
cleanup() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# Small models run on the engine thread; a small KV budget makes 32 clients compete.
env LMD_HOST=127.0.0.1:0 LMD_MODELS="$tmp/models" LMD_KV_CACHE_MB=1 LMD_REGISTRY=http://127.0.0.1:1 \
    "$LMD" serve 2>"$tmp/serve.log" &
srv_pid=$!
for _ in $(seq 1 100); do
    PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$tmp/serve.log" | head -n1)
    [ -n "$PORT" ] && break
    sleep 0.05
done
[ -n "$PORT" ] || { cat "$tmp/serve.log"; echo "0 passed, 1 failed"; exit 1; }
B=http://127.0.0.1:$PORT
export LMD_HOST=127.0.0.1:$PORT

# Helpers in Python (python3 is a build dependency): join NDJSON/SSE text, read fields.
join_ndjson() { python3 -c '
import json,sys
out=""
for line in sys.stdin:
    line=line.strip()
    if not line: continue
    o=json.loads(line)
    if "error" in o: print("ERROR:"+str(o["error"])); sys.exit(0)
    out+=o.get("response","") or (o.get("message") or {}).get("content","")
sys.stdout.write(out)'; }
join_sse() { python3 -c '
import json,sys
out=""; done=False
for line in sys.stdin:
    line=line.strip()
    if not line.startswith("data: "): continue
    d=line[6:]
    if d=="[DONE]": done=True; continue
    o=json.loads(d)
    for c in o.get("choices",[]):
        out+=(c.get("delta") or {}).get("content") or c.get("text") or ""
sys.stdout.write(out if done else "NO-DONE")'; }
field() { python3 -c "import json,sys; o=json.load(sys.stdin); print(eval('o'+sys.argv[1]))" "$1"; }
export -f join_ndjson join_sse field

M=$SHARED/models/TinyStories-656K.Q8_0.gguf
curl -s "$B/api/create" -d "{\"model\":\"tiny\",\"from\":\"$M\",\"stream\":false}" > "$tmp/c"
check "create tiny" grep -q success "$tmp/c"

G='{"model":"tiny","prompt":"Once upon a time","stream":false,"options":{"temperature":0,"num_predict":24}}'
curl -s "$B/api/generate" -d "$G" > "$tmp/g"
check "generate (stream:false) answers text with Ollama's stats" \
    bash -c "[ \"\$(field '[\"eval_count\"]' < $tmp/g)\" = 24 ] && [ \"\$(field '[\"done_reason\"]' < $tmp/g)\" = length ] && [ \"\$(field '[\"prompt_eval_count\"]' < $tmp/g)\" -gt 1 ] && [ \"\$(field '[\"eval_duration\"]' < $tmp/g)\" -gt 0 ] && [ \"\$(field '[\"total_duration\"]' < $tmp/g)\" -gt 0 ] && [ -n \"\$(field '[\"response\"]' < $tmp/g)\" ]"
field '["response"]' < "$tmp/g" > "$tmp/g.txt"; truncate -s -1 "$tmp/g.txt"
curl -s "$B/api/generate" -d "${G/\"stream\":false,/}" | join_ndjson > "$tmp/gs.txt"
check "streamed NDJSON joins to the same text" cmp -s "$tmp/g.txt" "$tmp/gs.txt"
curl -s "$B/v1/completions" -d '{"model":"tiny","prompt":"Once upon a time","temperature":0,"max_tokens":24}' > "$tmp/oc"
field '["choices"][0]["text"]' < "$tmp/oc" > "$tmp/oc.txt"; truncate -s -1 "$tmp/oc.txt"
check "/v1/completions gives the same greedy text" cmp -s "$tmp/g.txt" "$tmp/oc.txt"
curl -s "$B/v1/completions" -d '{"model":"tiny","prompt":"Once upon a time","temperature":0,"max_tokens":24,"stream":true}' | join_sse > "$tmp/ocs.txt"
check "/v1/completions streamed (SSE, [DONE]) gives the same text" cmp -s "$tmp/g.txt" "$tmp/ocs.txt"

CH='{"model":"tiny","messages":[{"role":"user","content":"Once upon a time"}],"temperature":0,"max_tokens":16'
curl -s "$B/v1/chat/completions" -d "$CH,\"logprobs\":true,\"top_logprobs\":2,\"seed\":1}" > "$tmp/cc"
check "/v1/chat/completions: message, finish_reason, usage, logprobs" \
    bash -c "[ \"\$(field '[\"object\"]' < $tmp/cc)\" = chat.completion ] && [ \"\$(field '[\"choices\"][0][\"finish_reason\"]' < $tmp/cc)\" = length ] && [ \"\$(field '[\"usage\"][\"completion_tokens\"]' < $tmp/cc)\" = 16 ] && [ \"\$(field '[\"choices\"][0][\"logprobs\"][\"content\"].__len__()' < $tmp/cc)\" = 16 ] && [ \"\$(field '[\"choices\"][0][\"logprobs\"][\"content\"][0][\"top_logprobs\"].__len__()' < $tmp/cc)\" = 2 ]"
curl -s "$B/v1/chat/completions" -d "$CH,\"stream\":true,\"stream_options\":{\"include_usage\":true}}" > "$tmp/ccs"
check "/v1/chat/completions streamed: same text, usage chunk, [DONE]" \
    bash -c "[ \"\$(join_sse < $tmp/ccs)\" = \"\$(field '[\"choices\"][0][\"message\"][\"content\"]' < $tmp/cc)\" ] && grep -q '\"usage\":{\"prompt_tokens\"' $tmp/ccs && tail -n 2 $tmp/ccs | grep -q 'data: \[DONE\]'"
check "/v1/chat/completions with stop ends at the stop string" \
    bash -c "curl -s $B/v1/chat/completions -d '{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"temperature\":0,\"max_tokens\":40,\"stop\":[\"girl\"]}' > $tmp/st; [ \"\$(field '[\"choices\"][0][\"finish_reason\"]' < $tmp/st)\" = stop ] && ! field '[\"choices\"][0][\"message\"][\"content\"]' < $tmp/st | grep -q girl"
check "/api/chat streams and ends with done:true" \
    bash -c "curl -s $B/api/chat -d '{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"The dog\"}],\"options\":{\"num_predict\":8}}' | tail -n1 | grep -q '\"done\":true,\"done_reason\":\"length\"'"
check "seeded sampling repeats" \
    bash -c "a=\$(curl -s $B/api/generate -d '{\"model\":\"tiny\",\"prompt\":\"A cat\",\"stream\":false,\"options\":{\"seed\":42,\"temperature\":1,\"num_predict\":20}}' | field '[\"response\"]'); b=\$(curl -s $B/api/generate -d '{\"model\":\"tiny\",\"prompt\":\"A cat\",\"stream\":false,\"options\":{\"seed\":42,\"temperature\":1,\"num_predict\":20}}' | field '[\"response\"]'); [ -n \"\$a\" ] && [ \"\$a\" = \"\$b\" ]"
check "num_ctx above the trained context is clamped, not an error" \
    bash -c "curl -s $B/api/generate -d '{\"model\":\"tiny\",\"prompt\":\"Hi\",\"stream\":false,\"options\":{\"num_ctx\":1000000,\"num_predict\":3}}' | grep -q '\"done\":true'"
check "unknown model is 404" \
    bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $B/api/generate -d '{\"model\":\"nosuch\",\"prompt\":\"x\"}')\" = 404 ]"

# ---- 32 concurrent greedy streams, each equal to its solo output ----
words=("Once upon a time" "The dog" "Lily and Tom went to the park" "A big red ball" "The sun was" "Tim had a toy car" "In the forest" "Mom said")
for i in $(seq 0 31); do
    echo "{\"model\":\"tiny\",\"prompt\":\"${words[$((i % 8))]} $i\",\"options\":{\"temperature\":0,\"num_predict\":$((40 + i))}}" > "$tmp/req$i"
done
for i in $(seq 0 31); do curl -s "$B/api/generate" -d @"$tmp/req$i" | join_ndjson > "$tmp/solo$i"; done
pids=()
for i in $(seq 0 31); do (curl -s -N "$B/api/generate" -d @"$tmp/req$i" | join_ndjson > "$tmp/par$i") & pids+=($!); done
wait "${pids[@]}"
same=0
for i in $(seq 0 31); do [ -s "$tmp/solo$i" ] && cmp -s "$tmp/solo$i" "$tmp/par$i" && same=$((same + 1)); done
check "32 concurrent streaming greedy clients each get their solo output ($same/32)" [ "$same" = 32 ]

# ---- a disconnecting client frees its blocks ----
ps_engine() { curl -s "$B/api/ps" | python3 -c "import json,sys; ms=json.load(sys.stdin)['models']; m=[x for x in ms if x['name']=='$1:latest']; print(m[0]['lmd_engine']['$2'] if m else -1)"; }
export -f ps_engine
export B
before=$(ps_engine tiny cancelled)
curl -s -N "$B/api/generate" -d '{"model":"tiny","prompt":"Once","options":{"num_predict":-1,"num_ctx":100000}}' | head -c 300 > /dev/null
freed=no
for _ in $(seq 1 200); do
    [ "$(ps_engine tiny kv_blocks_used)" = 0 ] && [ "$(ps_engine tiny running)" = 0 ] && { freed=yes; break; }
    sleep 0.05
done
check "a client that disconnects mid-stream is cancelled and its blocks freed" \
    bash -c "[ $freed = yes ] && [ \"\$(ps_engine tiny cancelled)\" = \$(( $before + 1 )) ]"

# ---- a long shared system prompt is reused from the prefix cache ----
S=$(python3 -c "print('Once upon a time there was a little girl who loved stories. ' * 10)")
curl -s "$B/api/create" -d "{\"model\":\"tinysys\",\"from\":\"tiny\",\"template\":\"{{ .System }} {{ .Prompt }}\",\"system\":\"$S\",\"stream\":false}" > /dev/null
a=$(curl -s "$B/api/generate" -d '{"model":"tinysys","prompt":"First","stream":false,"options":{"num_predict":4}}' | field '["prompt_cached_count"]')
b=$(curl -s "$B/api/generate" -d '{"model":"tinysys","prompt":"Second one","stream":false,"options":{"num_predict":4}}' | field '["prompt_cached_count"]')
c=$(curl -s "$B/v1/chat/completions" -d '{"model":"tinysys","messages":[{"role":"user","content":"Third"}],"max_tokens":4}' | field '["usage"]["prompt_tokens_details"]["cached_tokens"]')
check "second request sharing the system prompt reports cached tokens (ollama $a then $b, openai $c)" \
    bash -c "[ $a = 0 ] && [ $b -ge 128 ] && [ $c -ge 128 ]"

# ---- load, ps, stop ----
check "empty prompt loads (done_reason load)" \
    bash -c "curl -s $B/api/generate -d '{\"model\":\"tiny\"}' | grep -q '\"done_reason\":\"load\"'"
check "lmd ps lists loaded models" bash -c "$LMD ps | grep -q '^tiny:latest'"
check "lmd stop unloads a model" \
    bash -c "$LMD stop tinysys && for i in \$(seq 1 100); do $LMD ps | grep -q '^tinysys' || exit 0; sleep 0.05; done; exit 1"
check "keep_alive 0 with an empty prompt unloads (done_reason unload)" \
    bash -c "curl -s $B/api/generate -d '{\"model\":\"tiny\",\"keep_alive\":0}' | grep -q '\"done_reason\":\"unload\"' && ! $LMD ps | grep -q '^tiny:latest'"

kill "$srv_pid"; wait "$srv_pid" 2>/dev/null; srv_pid=
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
