#!/usr/bin/env bash
# test_run.sh — `lmd run` from the outside: usage and bad input exit 2 with a message naming
# the problem; with --raw and temperature 0 on stories260K the answer equals llama.cpp's greedy
# generation in ../shared/golden/outputs/stories260K.json for the same prompts (metric: text
# identical; the golden text is the generated ids detokenized on their own, so llama.cpp drops
# the SPM leading space of the first piece that a streamed continuation keeps: one leading
# space is allowed where the golden has none). The generation checks are skipped (and say so)
# only while this build has no model forward pass (src/model not merged yet).
set -u
cd "$(dirname "$0")/../.."
LMD=${LMD:-build/lmd}
SHARED=${LMD_SHARED:-$(cd .. && pwd)/shared}
MODEL=$SHARED/models/stories260K/stories260K.gguf
GOLD=$SHARED/golden/outputs/stories260K.json
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0 skip=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

expect_exit() {   # name, code, grep-pattern-in-stderr, command...
    local name=$1 code=$2 pat=$3; shift 3
    "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    local rc=$?
    if [ "$rc" -eq "$code" ] && grep -q -- "$pat" "$TMP/err"; then ok "$name"
    else bad "$name (exit $rc, stderr: $(head -c 300 "$TMP/err"))"; fi
}

expect_exit "no model argument is a usage error" 2 "usage" "$LMD" run
expect_exit "missing model file exits 2 naming it" 2 "/nonexistent/model.gguf" "$LMD" run /nonexistent/model.gguf hi
expect_exit "unknown flag exits 2" 2 "unknown flag --bogus" "$LMD" run "$MODEL" --bogus hi
expect_exit "flag without value exits 2" 2 "needs a value" "$LMD" run "$MODEL" hi --seed
expect_exit "bad temperature exits 2" 2 "temperature" "$LMD" run "$MODEL" --temperature abc hi
expect_exit "bad num-ctx exits 2" 2 "num_ctx" "$LMD" run "$MODEL" --num-ctx 0 hi
printf 'not a gguf file' >"$TMP/bad.gguf"
expect_exit "a file that is not GGUF exits 2" 2 "GGUF" "$LMD" run "$TMP/bad.gguf" hi
head -c 100 "$MODEL" >"$TMP/trunc.gguf"
expect_exit "a truncated GGUF exits 2" 2 "trunc.gguf" "$LMD" run "$TMP/trunc.gguf" hi
"$LMD" run --help >"$TMP/out" 2>&1 && grep -q "num-predict" "$TMP/out" && ok "--help prints usage" || bad "--help prints usage"

# Generation against the golden greedy continuations.
"$LMD" run "$MODEL" --raw --temperature 0 --num-predict 1 "Once" >"$TMP/out" 2>"$TMP/err"
if [ $? -ne 0 ] && grep -q "no model forward pass" "$TMP/err"; then
    echo "  skipped: this build has no model forward pass yet (generation checks)"
    skip=$((skip + 1))
else
    n=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['prompts']))" "$GOLD")
    for ((i = 0; i < n; i++)); do
        python3 - "$GOLD" "$i" "$TMP" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["prompts"][int(sys.argv[2])]
open(sys.argv[3] + "/prompt", "w").write(p["text"])
open(sys.argv[3] + "/want", "wb").write(bytes.fromhex(p["generated_text_hex"]))
open(sys.argv[3] + "/ngen", "w").write(str(len(p["generated"])))
PY
        "$LMD" run "$MODEL" --raw --temperature 0 --num-predict "$(cat "$TMP/ngen")" "$(cat "$TMP/prompt")" >"$TMP/got" 2>"$TMP/err"
        rc=$?
        python3 - "$TMP/got" "$TMP/want" <<'PY'
import sys
got, want = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
if got.endswith(b"\n"): got = got[:-1]            # lmd run ends the answer with a newline
if got.startswith(b" ") and not want.startswith(b" "): got = got[1:]
sys.exit(0 if got == want else 1)
PY
        same=$?
        if [ $rc -eq 0 ] && [ $same -eq 0 ]; then ok "greedy output of prompt $i equals llama.cpp's"
        else bad "greedy output of prompt $i (exit $rc): got '$(head -c 200 "$TMP/got")' want '$(head -c 200 "$TMP/want")'"; fi
    done
    # Piped stdin is the prompt; --verbose prints statistics on stderr.
    printf 'Once upon a time' | "$LMD" run "$MODEL" --raw --temperature 0 --num-predict 8 --verbose >"$TMP/got" 2>"$TMP/err"
    "$LMD" run "$MODEL" --raw --temperature 0 --num-predict 8 "Once upon a time" >"$TMP/got2" 2>/dev/null
    if cmp -s "$TMP/got" "$TMP/got2"; then ok "stdin prompt equals argument prompt"; else bad "stdin prompt equals argument prompt"; fi
    if grep -q "^eval count: *8 token(s)" "$TMP/err" && grep -q "^prompt eval count: *5 token(s)" "$TMP/err" &&
       grep -q "^eval rate:" "$TMP/err" && grep -q "^total duration:" "$TMP/err"; then ok "--verbose prints Ollama statistics"
    else bad "--verbose prints Ollama statistics: $(head -c 400 "$TMP/err")"; fi
    # Same seed, same options: same sampled text.
    "$LMD" run "$MODEL" --raw --temperature 1 --seed 42 --num-predict 16 "Once upon a time" >"$TMP/a" 2>/dev/null
    "$LMD" run "$MODEL" --raw --temperature 1 --seed 42 --num-predict 16 "Once upon a time" >"$TMP/b" 2>/dev/null
    if [ -s "$TMP/a" ] && cmp -s "$TMP/a" "$TMP/b"; then ok "same seed gives the same output"; else bad "same seed gives the same output"; fi
    # Through the chat template (ChatML fallback: stories260K has no template).
    "$LMD" run "$MODEL" --temperature 0 --num-predict 8 "Hello" >"$TMP/out" 2>"$TMP/err"
    if [ $? -eq 0 ]; then ok "chat (template) run succeeds"; else bad "chat run: $(head -c 300 "$TMP/err")"; fi
    # Interactive session through a pseudo-terminal: /set, /show, multi-line, /bye.
    if command -v script >/dev/null; then
        printf '/set parameter temperature 0\n/set parameter num_predict 4\n/show parameters\n"""Once upon\na time"""\n/bye\n' |
            script -qec "$LMD run $MODEL --raw" /dev/null >"$TMP/tty" 2>&1
        if grep -q "Set parameter 'temperature' to '0'" "$TMP/tty" && grep -q "num_predict" "$TMP/tty" &&
           grep -q ", there was a" "$TMP/tty"; then
            ok "interactive /set, /show and /bye"
        else bad "interactive session: $(tr -d '\r' <"$TMP/tty" | head -c 600)"; fi
    fi
fi

if [ $skip -gt 0 ]; then echo "$pass passed, $fail failed, $skip skipped"; else echo "$pass passed, $fail failed"; fi
[ $fail -eq 0 ]
