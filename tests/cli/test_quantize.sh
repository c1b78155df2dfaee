#!/usr/bin/env bash
# test_quantize.sh — `lmd quantize` against llama-quantize (llama.cpp 0253fb21): quantizing
# each F32 golden model must reproduce the golden quantized file byte for byte — the
# --pure llama-* files (every 2-D weight of one type) and the normal Q8_0 / Q4_K_M mixes of
# qwen2, qwen3 and gemma3 (per-tensor types, data, metadata order, layout). Then bad usage
# and bad input exit 2 and leave no output file. Prints `N passed, N failed`.
set -u
cd "$(dirname "$0")/../.."
LMD=${LMD:-build/lmd}
SHARED=${LMD_SHARED:-$(cd .. && pwd)/shared}
G=$SHARED/golden/models
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

same() {   # src type golden [flags]
    local src=$1 type=$2 golden=$3; shift 3
    if ! "$LMD" quantize "$src" "$tmp/out.gguf" "$type" "$@" >"$tmp/log" 2>&1; then
        bad "quantize $(basename "$src") $type $*: $(tail -n 1 "$tmp/log")"; return
    fi
    if cmp -s "$tmp/out.gguf" "$golden"; then ok
    else bad "quantize $(basename "$src") $type $*: differs from $(basename "$golden") ($(cmp "$tmp/out.gguf" "$golden" 2>&1 | head -n 1))"; fi
}

for t in F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_M Q4_K_M Q5_K_M Q6_K; do
    same "$G/llama-F32.gguf" "$t" "$G/llama-$t.gguf" --pure
done
for m in qwen2 qwen3 gemma3; do
    for t in Q8_0 Q4_K_M; do same "$G/$m-F32.gguf" "$t" "$G/$m-$t.gguf"; done
done

# Bad usage and input: exit 2, one message, no output file left behind.
expect2() {   # description, args...
    local what=$1; shift
    rm -f "$tmp/x.gguf"
    "$LMD" quantize "$@" >/dev/null 2>"$tmp/err"; local rc=$?
    if [ $rc -eq 2 ] && [ -s "$tmp/err" ] && [ ! -e "$tmp/x.gguf" ] &&
       [ -z "$(ls "$tmp" | grep '\.tmp\.')" ]; then ok
    else bad "$what: exit $rc, stderr: $(head -c 200 "$tmp/err")"; fi
}
head -c 4000 "$G/llama-F32.gguf" >"$tmp/trunc.gguf"
expect2 "unknown type" "$G/llama-F32.gguf" "$tmp/x.gguf" Q9_9
expect2 "missing argument" "$G/llama-F32.gguf" "$tmp/x.gguf"
expect2 "missing input" "$tmp/none.gguf" "$tmp/x.gguf" Q8_0
expect2 "truncated input" "$tmp/trunc.gguf" "$tmp/x.gguf" Q8_0
expect2 "requantize without flag" "$G/llama-Q8_0.gguf" "$tmp/x.gguf" Q4_0
grep -q 'allow-requantize' "$tmp/err" && ok || bad "requantize message does not name the flag"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
