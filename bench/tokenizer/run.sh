#!/usr/bin/env bash
# run.sh — the tokenizer benchmark: builds bench_tokenizer against build/liblmd.a, makes ~4 MB of
# English text by repeating the Ollama docs in ../shared/reference/ollama, and measures
# lmd_tokenize (add_special=false, parse_special=false) on several vocabularies. When
# /tmp/llama.cpp/READY exists, llama.cpp's llama-tokenize is timed on the same text as the peer.
set -eu
cd "$(dirname "$0")/../.."
SHARED="${LMD_SHARED:-$(cd .. && pwd)/shared}"
make -s lmd >/dev/null
mkdir -p build/bench
cc -std=c11 -D_GNU_SOURCE -O2 -Isrc -o build/bench/bench_tokenizer bench/tokenizer/bench_tokenizer.c \
   build/liblmd.a -ljansson -lpcre2-8 -lm -pthread
TEXT=build/bench/tokenizer_text.txt
: > "$TEXT"
while [ "$(stat -c %s "$TEXT")" -lt 4000000 ]; do cat "$SHARED"/reference/ollama/*.md >> "$TEXT"; done
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; text $(stat -c %s "$TEXT") bytes"
for v in llama-bpe qwen2 gpt-2 deepseek-v3 llama-spm bert-bge; do
    ./build/bench/bench_tokenizer "$SHARED/vocab/ggml-vocab-$v.gguf" "$TEXT" 3
done
if [ -e /tmp/llama.cpp/READY ]; then
    TINY=build/bench/tokenizer_tiny.txt
    printf 'hi' > "$TINY"
    for v in llama-bpe qwen2 gpt-2 llama-spm; do
        m="$SHARED/vocab/ggml-vocab-$v.gguf"
        t0=$(date +%s.%N)
        /tmp/llama.cpp/build/bin/llama-tokenize -m "$m" -f "$TINY" --ids --no-bos --no-parse-special \
            --no-escape --log-disable >/dev/null 2>&1 || true
        t1=$(date +%s.%N)
        /tmp/llama.cpp/build/bin/llama-tokenize -m "$m" -f "$TEXT" --ids --no-bos --no-parse-special \
            --no-escape --log-disable > build/bench/llama_$v.txt 2>/dev/null || true
        t2=$(date +%s.%N)
        ./build/lmd tokenize --model "$m" --no-bos --no-special --json --file "$TEXT" > build/bench/lmd_$v.txt
        same=$(cmp -s build/bench/llama_$v.txt build/bench/lmd_$v.txt && echo identical || echo DIFFERENT)
        echo "llama-tokenize $v: load $(echo "$t1 - $t0" | bc) s, tokenize+print $(echo "$t2 - $t1 - ($t1 - $t0)" | bc) s; ids $same"
    done
else
    echo "peer: /tmp/llama.cpp/READY missing, llama.cpp's llama-tokenize not measured"
fi
