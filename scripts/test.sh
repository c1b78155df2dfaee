#!/usr/bin/env bash
# Runs every test suite and sums their closing lines (`N passed, N failed[, N skipped]`).
# Unit tests run from the sanitizer tree (ASan + UBSan); golden tests from the optimized tree
# (they compute forward passes, which the sanitizers slow down tenfold).
set -u
cd "$(dirname "$0")/.."
export LMD_SHARED="${LMD_SHARED:-$(cd .. && pwd)/shared}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

total_pass=0 total_fail=0 total_skip=0
failed_suites=()

run_suite() {   # name, command...
    local name=$1; shift
    local out rc line
    echo "== $name"
    out=$("$@" 2>&1); rc=$?
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$line" ]; then
        printf '%s\n' "$out" | tail -n 30
        echo "   (no summary line; exit $rc: counted as 1 failure)"
        total_fail=$((total_fail + 1)); failed_suites+=("$name"); return
    fi
    local p f s
    p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    s=0; [[ $line == *skipped* ]] && s=$(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$line")
    if [ "$f" -gt 0 ] || [ $rc -ne 0 ]; then
        printf '%s\n' "$out" | grep -vE '^(ok  |  skipped)' | tail -n 60
        failed_suites+=("$name")
        [ "$f" -eq 0 ] && f=1
    fi
    echo "   $line"
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + s))
}

for t in build-asan/tests/test_*; do
    [ -x "$t" ] && run_suite "unit $(basename "$t") (asan)" "$t"
done
for t in build/tests/golden_*; do
    [ -x "$t" ] && run_suite "golden $(basename "$t")" "$t"
done
for t in tests/cli/test_*.sh; do
    [ -f "$t" ] && run_suite "cli $(basename "$t")" bash "$t"
done

echo
[ ${#failed_suites[@]} -gt 0 ] && echo "failed suites: ${failed_suites[*]}"
if [ "$total_skip" -gt 0 ]; then
    echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
    echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" -eq 0 ]
