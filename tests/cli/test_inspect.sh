#!/usr/bin/env bash
# test_inspect.sh — `lmd inspect`: --json on every GGUF under ../shared must equal the facts
# gguf-py recorded in ../shared/golden/gguf/*.json (all fields but the path; floats exactly);
# the text view names the version, keys and tensors; bad files and bad usage exit 2 with one
# line on stderr. Prints `N passed, N failed`.
set -u
cd "$(dirname "$0")/../.."
LMD=${LMD:-build/lmd}
SHARED=${LMD_SHARED:-$(cd .. && pwd)/shared}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. JSON against every golden facts file.
n_golden=0
for golden in "$SHARED"/golden/gguf/*.json; do
    n_golden=$((n_golden + 1))
    rel=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["file"])' "$golden")
    out="$tmp/out.json"
    if ! "$LMD" inspect "$SHARED/$rel" --json >"$out" 2>"$tmp/err"; then
        bad "$rel: exit $? ($(cat "$tmp/err"))"; continue
    fi
    if python3 - "$golden" "$out" <<'PY'
import json, sys
want = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
for k in ("file", "stored_as"):
    want.pop(k, None)
got.pop("file", None)
if want != got:
    for k in want:
        if want[k] != got.get(k):
            w, g = want[k], got.get(k)
            if isinstance(w, list) and isinstance(g, list):
                for i, (a, b) in enumerate(zip(w, g)):
                    if a != b:
                        print(f"  {k}[{i}]: want {a!r} got {b!r}", file=sys.stderr); break
                else:
                    print(f"  {k}: lengths {len(w)} vs {len(g)}", file=sys.stderr)
            else:
                print(f"  {k}: want {w!r} got {g!r}", file=sys.stderr)
    sys.exit(1)
PY
    then ok; else bad "$rel: --json differs from $(basename "$golden")"; fi
done
# ../shared holds 40 GGUF files with facts; fewer means the data is missing, not a pass.
if [ "$n_golden" -ge 40 ]; then ok; else bad "only $n_golden golden facts files under $SHARED"; fi

# 2. Text view.
model="$SHARED/golden/models/llama-Q4_K_M.gguf"
if "$LMD" inspect "$model" >"$tmp/text" 2>&1 &&
   grep -q 'GGUF v3' "$tmp/text" && grep -q 'tokenizer.ggml.tokens  *\[STRING x 1000\]' "$tmp/text" &&
   grep -Eq 'blk\.0\.attn_q\.weight +Q4_K +\[256, 256\] +36864' "$tmp/text"; then ok
else bad "text view of llama-Q4_K_M lacks version, array summary or tensor row"; fi

# 3. Bad input: exit 2, exactly one line on stderr, nothing on stdout.
head -c 5000 "$model" >"$tmp/truncated.gguf"
printf 'not a gguf file at all\n' >"$tmp/text.gguf"
: >"$tmp/empty.gguf"
python3 - "$model" "$tmp/badtype.gguf" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
# first tensor info's type field: patch to a removed ggml type id (4)
import struct
pos = 24
n_tensors, n_kv = struct.unpack_from("<QQ", data, 8)
def skip_value(pos, t):
    sizes = {0:1,1:1,2:2,3:2,4:4,5:4,6:4,7:1,10:8,11:8,12:8}
    if t in sizes: return pos + sizes[t]
    if t == 8: return pos + 8 + struct.unpack_from("<Q", data, pos)[0]
    et, n = struct.unpack_from("<IQ", data, pos); pos += 12
    for _ in range(n): pos = skip_value(pos, et)
    return pos
for _ in range(n_kv):
    klen = struct.unpack_from("<Q", data, pos)[0]; pos += 8 + klen
    t = struct.unpack_from("<I", data, pos)[0]; pos += 4
    pos = skip_value(pos, t)
nlen = struct.unpack_from("<Q", data, pos)[0]; pos += 8 + nlen
nd = struct.unpack_from("<I", data, pos)[0]; pos += 4 + 8 * nd
struct.pack_into("<I", data, pos, 4)
open(sys.argv[2], "wb").write(data)
PY
for f in truncated.gguf text.gguf empty.gguf badtype.gguf missing.gguf; do
    "$LMD" inspect "$tmp/$f" --json >"$tmp/out" 2>"$tmp/err"; rc=$?
    lines=$(wc -l <"$tmp/err")
    if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$tmp/out" ] && grep -q "$f" "$tmp/err"; then ok
    else bad "$f: exit $rc, $lines stderr lines: $(head -c 300 "$tmp/err")"; fi
done
grep -q 'unknown tensor type 4 at offset' <("$LMD" inspect "$tmp/badtype.gguf" 2>&1) && ok ||
    bad "badtype.gguf: message does not name the type and offset"
"$LMD" inspect >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "no argument: exit not 2"
"$LMD" inspect "$model" --bogus >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "unknown flag: exit not 2"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
