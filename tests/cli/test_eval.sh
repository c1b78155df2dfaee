#!/usr/bin/env bash
# test_eval.sh — `lmd eval`: the JSON of stories260K's and qwen3-F32's golden prompts matches
# llama.cpp's golden top-10 lists (ids exactly where the reference's neighbours are apart,
# logits within 1e-3) and greedy continuation; --logits-out writes n_vocab float32 equal to
# the golden .logits.f32 within 1e-3; bad input (unknown flag, ids out of range, non-numbers,
# context overflow, missing/short model file) exits 2 with one line on stderr.
# Prints `N passed, N failed`.
set -u
cd "$(dirname "$0")/../.."
LMD=${LMD:-build/lmd}
# (the tokenizer warns about stories260K's unused special ids; keep stderr to our line)
export LMD_LOG=error
SHARED=${LMD_SHARED:-$(cd .. && pwd)/shared}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. Golden comparison through the CLI.
check_golden() {   # model path, stem, prompt index
    local model=$1 stem=$2 idx=$3
    local ids n_gen
    ids=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["prompts"][int(sys.argv[2])]; print(" ".join(map(str,p["tokens"])))' \
        "$SHARED/golden/outputs/$stem.json" "$idx")
    n_gen=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["prompts"][int(sys.argv[2])]; print(len(p["generated"]) + (p["stop_reason"] == "eog"))' \
        "$SHARED/golden/outputs/$stem.json" "$idx")
    if ! "$LMD" eval --model "$model" --tokens "$ids" --top 10 --greedy "$n_gen" \
        --logits-out "$tmp/last.f32" --threads 2 >"$tmp/out.json" 2>"$tmp/err"; then
        bad "$stem p$idx: exit $? ($(cat "$tmp/err"))"; return
    fi
    if python3 - "$SHARED/golden/outputs/$stem.json" "$idx" "$tmp/out.json" "$tmp/last.f32" \
        "$SHARED/golden/outputs" <<'PY'
import json, struct, sys
ref = json.load(open(sys.argv[1]))
p = ref["prompts"][int(sys.argv[2])]
got = json.load(open(sys.argv[3]))
assert set(got) == {"top", "greedy"}, got.keys()
assert len(got["top"]) == p["n_tokens"], (len(got["top"]), p["n_tokens"])
for i, (mine, theirs) in enumerate(zip(got["top"], p["prompt_top10"])):
    assert len(mine) == 10
    mine_d = dict((a, b) for a, b in mine)
    for j, (tid, tl) in enumerate(theirs):
        # ids must agree where the reference's neighbours are clearly apart
        apart = (j == 0 or theirs[j - 1][1] - tl > 1e-3) and (j == 9 or tl - theirs[j + 1][1] > 1e-3)
        if apart and j < 9:
            assert mine[j][0] == tid, (i, j, mine[j], tid)
        if tid in mine_d:
            assert abs(mine_d[tid] - tl) < 1e-3, (i, tid, mine_d[tid], tl)
assert got["greedy"] == p["generated"], (got["greedy"], p["generated"])
data = open(sys.argv[4], "rb").read()
refl = open(sys.argv[5] + "/" + p["last_logits_file"], "rb").read()
assert len(data) == len(refl) == 4 * ref["n_vocab"], (len(data), len(refl))
a = struct.unpack("<%df" % ref["n_vocab"], data)
b = struct.unpack("<%df" % ref["n_vocab"], refl)
assert max(abs(x - y) for x, y in zip(a, b)) < 1e-3
PY
    then ok; else bad "$stem p$idx: output differs from the golden"; fi
}
for i in 0 1 2 3; do check_golden "$SHARED/models/stories260K/stories260K.gguf" stories260K $i; done
for i in 0 5; do check_golden "$SHARED/golden/models/qwen3-F32.gguf" qwen3-F32 $i; done

# 2. Defaults: top 10, no greedy.
if "$LMD" eval --model "$SHARED/models/stories260K/stories260K.gguf" --tokens "1 403 407" \
    >"$tmp/d.json" 2>"$tmp/err" &&
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["top"])==3 and all(len(r)==10 for r in d["top"]) and d["greedy"]==[]' "$tmp/d.json"; then
    ok; else bad "defaults: $(cat "$tmp/err")"; fi
# F16 KV cache runs and gives the same top-1 on this short prompt
if "$LMD" eval --model "$SHARED/models/stories260K/stories260K.gguf" --tokens "1 403 407" --kv-type f16 --top 1 \
    >"$tmp/h.json" 2>"$tmp/err" &&
    python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert [r[0][0] for r in a["top"]]==[r[0][0] for r in b["top"]]' "$tmp/h.json" "$tmp/d.json"; then
    ok; else bad "f16 kv: $(cat "$tmp/err")"; fi

# 3. Bad input: exit 2, one line on stderr naming the problem.
expect_2() {   # description, grep pattern for stderr, args...
    local what=$1 pat=$2; shift 2
    "$LMD" eval "$@" >"$tmp/o" 2>"$tmp/e"
    local rc=$?
    if [ $rc -ne 2 ]; then bad "$what: exit $rc, want 2 ($(cat "$tmp/e"))"; return; fi
    if [ "$(wc -l <"$tmp/e")" -ne 1 ]; then bad "$what: stderr is not one line: $(cat "$tmp/e")"; return; fi
    if ! grep -q -- "$pat" "$tmp/e"; then bad "$what: stderr lacks '$pat': $(cat "$tmp/e")"; return; fi
    ok
}
M="$SHARED/models/stories260K/stories260K.gguf"
expect_2 "no args" "usage"
expect_2 "unknown flag" "usage" --model "$M" --tokens "1" --bogus 1
expect_2 "missing --tokens" "usage" --model "$M"
expect_2 "bad --top" "usage" --model "$M" --tokens "1" --top x
expect_2 "bad kv type" "usage" --model "$M" --tokens "1" --kv-type q8
expect_2 "non-numeric id" "token ids" --model "$M" --tokens "1 two 3"
expect_2 "empty ids" "token ids" --model "$M" --tokens " "
expect_2 "id out of range" "out of range" --model "$M" --tokens "1 512"
expect_2 "negative id" "out of range" --model "$M" --tokens "1 -3"
expect_2 "context overflow" "context" --model "$M" --tokens "1 2 3" --greedy 126
head -c 100000 "$M" >"$tmp/short.gguf"
expect_2 "truncated model" "short.gguf" --model "$tmp/short.gguf" --tokens "1"
# a tensor renamed: missing tensor named in the message
python3 - "$M" "$tmp/renamed.gguf" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
d = d.replace(b"blk.2.ffn_up.weight", b"blk.2.ffn_UP.weight", 1)
open(sys.argv[2], "wb").write(d)
PY
expect_2 "missing tensor" "blk.2.ffn_up.weight" --model "$tmp/renamed.gguf" --tokens "1"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
