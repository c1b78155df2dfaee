#!/usr/bin/env bash
# lmd genmodel: random-weight models of real shapes (benchmark inputs) have the preset's
# shapes, the requested types (with llama.cpp's fallback for K-quants on odd widths), a
# tokenizer copied from the vocabulary file, and are rejected for unknown presets/types.
# A mix type (Q4_K_M) gives llama-quantize's per-tensor types (fallbacks for 576-wide rows,
# Q6_K for the "more bits" ffn_down, Q8_0 for the tied embedding) and a chat template; the
# same seed gives the same bytes and another seed other weights. Prints `N passed, N failed`.
set -u
cd "$(dirname "$0")/../.."
LMD=./build/lmd
export LMD_SHARED=${LMD_SHARED:-$(cd .. && pwd)/shared}
SHARED=$LMD_SHARED
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
if $LMD genmodel --preset smollm2-135m --type Q4_K_M --layers 2 -o "$tmp/a.gguf" 2>"$tmp/err"; then ok
else bad "genmodel failed: $(cat "$tmp/err")"; fi
$LMD inspect "$tmp/a.gguf" --json >"$tmp/a.json" 2>"$tmp/err" && ok || bad "inspect: $(cat "$tmp/err")"
python3 - "$tmp/a.json" "$SHARED/golden/gguf/ggml-vocab-starcoder.json" <<'PY' && ok || bad "shape/mix/tokenizer checks"
import json, sys
d = json.load(open(sys.argv[1])); v = json.load(open(sys.argv[2]))
kv = {k["key"]: k for k in d["kv"]}
t = {x["name"]: x for x in d["tensors"]}
want = {
    "token_embd.weight": ("Q8_0", [576, 49152]),
    "blk.0.attn_q.weight": ("Q5_0", [576, 576]),
    "blk.0.attn_k.weight": ("Q5_0", [576, 192]),
    "blk.1.attn_v.weight": ("Q8_0", [576, 192]),
    "blk.0.ffn_down.weight": ("Q4_K", [1536, 576]),
    "blk.1.ffn_down.weight": ("Q6_K", [1536, 576]),
    "blk.1.ffn_up.weight": ("Q5_0", [576, 1536]),
    "output_norm.weight": ("F32", [576]),
}
errs = []
if d["n_tensors"] != 20: errs.append(f"n_tensors {d['n_tensors']}")
for name, (ty, shape) in want.items():
    if name not in t or t[name]["type"] != ty or t[name]["shape"] != shape:
        errs.append(f"{name}: {t.get(name)}")
if "output.weight" in t: errs.append("tied model has output.weight")
if kv["llama.block_count"]["value"] != 2: errs.append("block_count")
if kv["llama.attention.head_count_kv"]["value"] != 3: errs.append("head_count_kv")
if kv["general.file_type"]["value"] != 15: errs.append("file_type")
vt = {k["key"]: k for k in v["kv"]}["tokenizer.ggml.tokens"]
tok = kv["tokenizer.ggml.tokens"]
if (tok["length"], tok["first5"], tok["last5"]) != (vt["length"], vt["first5"], vt["last5"]):
    errs.append("tokens differ from the vocab file")
if "<|im_start|>" not in kv["tokenizer.chat_template"]["value"]: errs.append("no ChatML template")
if errs: print("\n".join(errs), file=sys.stderr); sys.exit(1)
PY
$LMD genmodel --preset smollm2-135m --type Q4_K_M --layers 2 -o "$tmp/b.gguf" 2>/dev/null
cmp -s "$tmp/a.gguf" "$tmp/b.gguf" && ok || bad "same seed, different bytes"
$LMD genmodel --preset smollm2-135m --type Q4_K_M --layers 2 --seed 7 -o "$tmp/c.gguf" 2>/dev/null
[ "$(stat -c %s "$tmp/a.gguf")" = "$(stat -c %s "$tmp/c.gguf")" ] && ! cmp -s "$tmp/a.gguf" "$tmp/c.gguf" &&
    ok || bad "another seed should give the same size and other bytes"
$LMD genmodel --preset qwen2.5-0.5b --type Q8_0 --layers 1 -o "$tmp/q.gguf" 2>/dev/null
$LMD inspect "$tmp/q.gguf" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
t = {x["name"]: x for x in d["tensors"]}
ok = all(x["type"] == ("Q8_0" if len(x["shape"]) == 2 else "F32") for x in d["tensors"])
ok = ok and t["blk.0.attn_q.bias"]["shape"] == [896] and t["blk.0.attn_k.weight"]["shape"] == [896, 128]
ok = ok and t["token_embd.weight"]["shape"] == [896, 151936]
sys.exit(0 if ok else 1)' && ok || bad "qwen2.5 --pure Q8_0: types or shapes"
$LMD genmodel --preset smollm2-135m --type Q4_K_M -o "$tmp/x.gguf" --vocab "$tmp/none.gguf" 2>/dev/null; rc=$?
[ $rc -eq 2 ] && [ ! -e "$tmp/x.gguf" ] && ok || bad "missing vocab: exit $rc"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
