#!/usr/bin/env bash
# `make bench`: lmd vs llama.cpp on the same random-weight files, side by side in one run.
#
# Models come from `lmd genmodel` (no download). The peer is llama.cpp's llama-bench, looked
# up at $LLAMA_CPP_BIN (default /tmp/llama.cpp/build/bin; build it there with cmake — it is
# never part of this repository). Without it, only lmd's figures are printed.
# Output: a Markdown report on stdout (and in $OUT, default bench/last-run.md).
set -euo pipefail
cd "$(dirname "$0")/.."
LMD=./build/lmd
SHARED=${LMD_SHARED:-$(cd .. && pwd)/shared}
export LMD_SHARED=$SHARED
PEER=${LLAMA_CPP_BIN:-/tmp/llama.cpp/build/bin}
MODELS=${BENCH_MODELS:-/tmp/lmd-bench-models}
REPS=${BENCH_REPS:-3}
PP=${BENCH_PP:-512}
TG=${BENCH_TG:-128}
THREADS=${BENCH_THREADS:-"1 2"}
OUT=${OUT:-bench/last-run.md}
mkdir -p "$MODELS" "$(dirname "$OUT")"

# name preset type
SETS=${BENCH_SETS:-"tinyllama-Q4_0:tinyllama-1.1b:Q4_0 tinyllama-Q8_0:tinyllama-1.1b:Q8_0 tinyllama-Q4_K_M:tinyllama-1.1b:Q4_K_M smollm2-Q8_0:smollm2-135m:Q8_0"}

make_model() {   # name preset type
    local f="$MODELS/$1.gguf"
    [ -s "$f" ] && return
    case $3 in
    *_M|*_S)   # a llama.cpp mix: quantize an F16 file with lmd quantize (its recipe)
        [ -s "$MODELS/$2-F16.gguf" ] || $LMD genmodel --preset "$2" --type F16 -o "$MODELS/$2-F16.gguf" >&2
        $LMD quantize "$MODELS/$2-F16.gguf" "$f" "$3" >&2 ;;
    *)  $LMD genmodel --preset "$2" --type "$3" -o "$f" >&2 ;;
    esac
}

{
echo "## Run of $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM; lmd kernels: $(LMD_LOG=error $LMD bench --help >/dev/null 2>&1; echo auto)"
echo "Commands: \`lmd bench --model F -p $PP -n $TG -t T -b 8 -r $REPS --json\` and \`llama-bench -m F -t T -p $PP -n $TG -r $REPS -o json\`"
echo
echo "| model | threads | lmd pp$PP t/s | llama.cpp pp$PP t/s | lmd tg$TG t/s | llama.cpp tg$TG t/s | lmd batched x8 t/s |"
echo "|---|---|---|---|---|---|---|"
for set in $SETS; do
    IFS=: read -r name preset type <<<"$set"
    make_model "$name" "$preset" "$type"
    f="$MODELS/$name.gguf"
    for t in $THREADS; do
        l=$($LMD bench --model "$f" -p "$PP" -n "$TG" -t "$t" -b 8 -r "$REPS" --json)
        lpp=$(python3 -c 'import json,sys; print("%.2f" % json.loads(sys.argv[1])["pp"]["tokens_per_s"])' "$l")
        ltg=$(python3 -c 'import json,sys; print("%.2f" % json.loads(sys.argv[1])["tg"]["tokens_per_s"])' "$l")
        lbt=$(python3 -c 'import json,sys; print("%.2f" % json.loads(sys.argv[1])["batched"]["tokens_per_s"])' "$l")
        ppp=- ptg=-
        if [ -x "$PEER/llama-bench" ]; then
            p=$("$PEER/llama-bench" -m "$f" -t "$t" -p "$PP" -n "$TG" -r "$REPS" -o json 2>/dev/null)
            ppp=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.2f" % [x for x in d if x["n_prompt"]>0][0]["avg_ts"])' "$p")
            ptg=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.2f" % [x for x in d if x["n_gen"]>0][0]["avg_ts"])' "$p")
        fi
        echo "| $name | $t | $lpp | $ppp | $ltg | $ptg | $lbt |"
    done
done
} | tee "$OUT"
