#!/usr/bin/env bash
# Builds and runs the kernel micro-benchmarks (bench/bench_kernels.c) against build/liblmd.a.
# Usage: bench/kernels.sh [path ...]   (paths: scalar avx2 avx512 neon; default: all usable)
set -eu
cd "$(dirname "$0")/.."
make --no-print-directory build/liblmd.a >/dev/null
cc -std=c11 -D_GNU_SOURCE -O2 -Isrc -pthread -o build/bench_kernels bench/bench_kernels.c \
    build/liblmd.a -lm -pthread
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
./build/bench_kernels "$@"
