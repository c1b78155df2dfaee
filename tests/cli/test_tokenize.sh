#!/usr/bin/env bash
# test_tokenize.sh — `lmd tokenize` / `lmd detokenize` flags and output formats, against the
# reference ids of ../shared/vocab and ../shared/golden/tokenizer.
set -u
cd "$(dirname "$0")/../.."
LMD=./build/lmd
SHARED="${LMD_SHARED:-$(cd .. && pwd)/shared}"
pass=0 fail=0
check() {  # name, expected, actual
    if [ "$2" == "$3" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1: want [$2] got [$3]"; fi
}
Q="$SHARED/vocab/ggml-vocab-qwen2.gguf"
S="$SHARED/vocab/ggml-vocab-llama-spm.gguf"
if [ ! -f "$Q" ]; then echo "0 passed, 0 failed, 1 skipped"; exit 0; fi

# ids of text 0 of the standard set, from the .out file (no BOS, no special parsing)
want=$(sed -n 1p "$Q.out" | sed 's/^ //')
check "qwen2 text 0" "$want" "$($LMD tokenize --model "$Q" --no-bos --no-special "$(printf 'ied 4 \xc2\xbd months')")"
check "spm BOS" "1 15043 3186" "$($LMD tokenize --model "$S" "Hello world")"
check "spm --no-bos" "15043 3186" "$($LMD tokenize --model "$S" --no-bos "Hello world")"
check "json" "[1, 15043, 3186]" "$($LMD tokenize --model "$S" --json "Hello world")"
check "json empty" "[]" "$($LMD tokenize --model "$Q" --json --no-bos "")"
check "special on" "151644 872" "$($LMD tokenize --model "$Q" "<|im_start|>user")"
check "special off" "27 91 318 4906 91 29 872" "$($LMD tokenize --model "$Q" --no-special "<|im_start|>user")"
tmp=$(mktemp)
printf 'Hello world' > "$tmp"
check "--file" "1 15043 3186" "$($LMD tokenize --model "$S" --file "$tmp")"
rm -f "$tmp"
check "detokenize" "Hello world" "$($LMD detokenize --model "$S" 15043 3186)"
# control tokens show their text, and then the first piece keeps its space (llama_detokenize)
check "detokenize BOS" "<s> Hello world" "$($LMD detokenize --model "$S" 1 15043 3186)"
check "detokenize list" "<|im_start|>user" "$($LMD detokenize --model "$Q" "151644, 872")"
check "detokenize json" "Hello world" "$($LMD detokenize --model "$S" "$($LMD tokenize --model "$S" --no-bos --json 'Hello world')")"

$LMD tokenize "x" >/dev/null 2>&1; check "no model exit" 2 $?
$LMD tokenize --model "$S" >/dev/null 2>&1; check "no text exit" 2 $?
$LMD tokenize --model /nonexistent.gguf x >/dev/null 2>&1; check "missing file exit" 1 $?
$LMD tokenize --model "$SHARED/vocab/ggml-vocab-qwen2.gguf.out" x >/dev/null 2>&1; check "not gguf exit" 2 $?
$LMD detokenize --model "$S" 99999999 >/dev/null 2>&1; check "id out of range exit" 2 $?
$LMD detokenize --model "$S" abc >/dev/null 2>&1; check "bad id exit" 2 $?
echo "$pass passed, $fail failed"
