#!/usr/bin/env bash
# lmd bench: the JSON shape the issue fixes (model, threads, pp, tg, batched), -p 0 / -n 0 /
# -b 0 leave their parts out, and bad input exits 2. Speeds are not asserted (no timed tests).
set -u
cd "$(dirname "$0")/../.."
LMD=./build/lmd
SHARED=${LMD_SHARED:-../shared}
M="$SHARED/models/stories260K/stories260K.gguf"
pass=0 fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

out=$($LMD bench --model "$M" -p 16 -n 4 -b 2 -r 1 -t 1 --json 2>&1) || bad "bench failed: $out"
python3 - "$out" "$M" <<'PY' && ok || bad "bench JSON has the wrong shape: $out"
import json, sys
d = json.loads(sys.argv[1])
assert set(d) == {"model", "threads", "pp", "tg", "batched"}, d
assert d["model"] == sys.argv[2] and d["threads"] == 1
assert d["pp"]["tokens"] == 16 and d["pp"]["tokens_per_s"] > 0
assert d["tg"]["tokens"] == 4 and d["tg"]["tokens_per_s"] > 0
assert d["batched"]["batch"] == 2 and d["batched"]["tokens_per_s"] > 0
PY
out=$($LMD bench --model "$M" -p 0 -n 4 -b 0 -r 1 --json 2>&1)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert set(d)=={"model","threads","tg"}, d' "$out" \
    && ok || bad "-p 0 -b 0 should leave pp and batched out: $out"
out=$($LMD bench --model "$M" -p 8 -n 4 -b 2 -r 1 2>&1) && [[ $out == *pp8* && $out == *"tg4 x2"* ]] \
    && ok || bad "table output: $out"
$LMD bench --model "$M" -p abc >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "bad number must exit 2"
$LMD bench --model /nonexistent.gguf -r 1 >/dev/null 2>&1; rc=$?; [ $rc -ne 0 ] && ok || bad "missing file must fail"
$LMD bench >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "no model must exit 2"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
