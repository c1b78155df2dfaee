#!/usr/bin/env bash
# lmd genmodel: random-weight models of real shapes (benchmark inputs) have the preset's
# shapes, the requested types (with llama.cpp's fallback for K-quants on odd widths), a
# tokenizer copied from the vocabulary file, and are rejected for unknown presets/types.
set -u
cd "$(dirname "$0")/../.."
LMD=./build/lmd
SHARED=${LMD_SHARED:-../shared}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

if $LMD genmodel --preset smollm2-135m --type Q4_K --layers 2 -o "$tmp/s.gguf" \
        --vocab "$SHARED/vocab/ggml-vocab-starcoder.gguf" 2>"$tmp/err"; then ok; else bad "genmodel failed: $(cat "$tmp/err")"; fi
$LMD inspect --json "$tmp/s.gguf" > "$tmp/s.json" || bad "inspect of generated model failed"
python3 - "$tmp/s.json" <<'PY' && ok || bad "generated model has wrong shapes or types"
import json, sys
d = json.load(open(sys.argv[1]))
kv = {k["key"]: k for k in d["kv"]}
t = {x["name"]: x for x in d["tensors"]}
assert kv["general.architecture"]["value"] == "llama"
assert kv["llama.block_count"]["value"] == 2
assert kv["llama.embedding_length"]["value"] == 576
assert kv["tokenizer.ggml.tokens"]["length"] == 49152
assert len(t) == 1 + 2 * 9 + 1, len(t)          # tied output: no output.weight
assert "output.weight" not in t
assert t["token_embd.weight"]["shape"] == [576, 49152]
assert t["blk.0.attn_k.weight"]["shape"] == [576, 192]
# rows of 576 are not whole 256-blocks: Q4_K falls back to Q5_0, as llama.cpp does
assert t["blk.0.attn_q.weight"]["type"].upper() == "Q5_0", t["blk.0.attn_q.weight"]["type"]
assert t["blk.1.ffn_down.weight"]["type"].upper() == "Q4_K"   # 1536 columns
assert t["blk.1.ffn_norm.weight"]["type"].upper() == "F32"
PY
$LMD genmodel --preset nosuch --type Q8_0 -o "$tmp/x.gguf" 2>/dev/null; [ $? -eq 2 ] && ok || bad "unknown preset must exit 2"
$LMD genmodel --preset smollm2-135m --type Q9_9 -o "$tmp/x.gguf" 2>/dev/null; [ $? -eq 2 ] && ok || bad "unknown type must exit 2"
[ ! -e "$tmp/x.gguf" ] && ok || bad "a failed genmodel left a file"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
