#!/usr/bin/env bash
# Cross-builds the tensor unit tests for arm64 (gcc-aarch64-linux-gnu) and runs them under
# qemu-user, so the NEON kernels are tested against the scalar reference on this x86 machine.
# Prints the summed `N passed, N failed` of the test programs.
set -u
cd "$(dirname "$0")/../.."
CC_ARM=aarch64-linux-gnu-gcc
QEMU=qemu-aarch64
if ! command -v "$CC_ARM" >/dev/null || ! command -v "$QEMU" >/dev/null; then
    echo "missing $CC_ARM or $QEMU (scripts/deps.sh installs gcc-aarch64-linux-gnu qemu-user)"
    echo "0 passed, 1 failed"
    exit 1
fi
out=build-arm64
mkdir -p "$out"
srcs=$(ls src/tensor/*.c | grep -v -e '_avx2\.c$' -e '_avx512\.c$')
pass=0 fail=0
for t in tests/unit/test_tensor_*.c; do
    name=$(basename "$t" .c)
    if ! $CC_ARM -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Wshadow -Wvla -Wno-unused-parameter \
        -Werror -Isrc -Itests/unit -pthread -o "$out/$name" "$t" $srcs src/util/err.c -lm 2>"$out/$name.log"; then
        cat "$out/$name.log"
        echo "FAIL build $name"
        fail=$((fail + 1))
        continue
    fi
    res=$(LMD_SHARED="${LMD_SHARED:-}" $QEMU -L /usr/aarch64-linux-gnu "$out/$name" 2>&1)
    line=$(printf '%s\n' "$res" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$line" ]; then
        printf '%s\n' "$res" | tail -n 20
        echo "FAIL run $name (no summary)"
        fail=$((fail + 1))
        continue
    fi
    printf '%s\n' "$res" | grep -E '^(FAIL|  )' | head -20
    echo "arm64 $name: $line"
    p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    pass=$((pass + p)); fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
