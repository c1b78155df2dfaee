#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/fuzz_<name>.c) with clang + ASan + UBSan into
# build-fuzz/ and runs each for SECONDS (default 60), one process, seeded from
# tests/fuzz/corpus/<name>/. The growing corpus stays in build-fuzz/corpus/<name>/; a crash,
# leak or timeout is saved in build-fuzz/findings/<name>/ and fails the run (exit 1): add it
# to tests/fuzz/corpus/<name>/ and a regression test once fixed.
# Usage: scripts/fuzz.sh [SECONDS] [NAME...]     e.g. scripts/fuzz.sh 600 gguf
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
B=build-fuzz
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

# The library, instrumented for coverage (fuzzer-no-link), built by the normal Makefile rules.
make --no-print-directory B=$B CC=clang OPT="-O1 -g $SAN -fsanitize=fuzzer-no-link" \
    LDFLAGS="$SAN" $B/liblmd.a >/dev/null

LDLIBS="-ljansson -lpcre2-8 -lmicrohttpd -lcurl -lcrypto -ledit -lz -lm -pthread"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.c; do
        n=$(basename "$f" .c); targets+=("${n#fuzz_}")
    done
fi

status=0
for name in "${targets[@]}"; do
    src=tests/fuzz/fuzz_$name.c
    bin=$B/fuzz_$name
    clang -std=c11 -D_GNU_SOURCE -O1 -g $SAN -fsanitize=fuzzer -Isrc -Itests/unit \
        -o "$bin" "$src" $B/liblmd.a $LDLIBS
    mkdir -p "$B/corpus/$name" "$B/findings/$name" "tests/fuzz/corpus/$name"
    echo "fuzz: $name for ${seconds}s"
    if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$B/findings/$name/" \
        "$B/corpus/$name" "tests/fuzz/corpus/$name" 2>"$B/fuzz_$name.log"; then
        tail -n 40 "$B/fuzz_$name.log"
        echo "fuzz: $name FAILED (see $B/findings/$name/ and $B/fuzz_$name.log)"
        status=1
    else
        grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$B/fuzz_$name.log" || true
        echo "fuzz: $name clean"
    fi
done
exit $status
