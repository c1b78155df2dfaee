#!/usr/bin/env bash
# Renders Go templates with lmd's C interpreter and with Go's own text/template (the reference
# program tests/gotmpl_ref, built here with the local Go toolchain, standard library only)
# and compares the two byte for byte; when Go fails, lmd must fail too.
#   - every template Ollama ships (../shared/templates/go/*.gotmpl), Ollama's way of building
#     values, with Ollama's three test conversations and the contexts in tests/gotmpl_ref/contexts
#   - tests/gotmpl_ref/ollama/*.gotmpl (legacy .Prompt/.Response, tools, suffix) the same way
#   - tests/gotmpl_ref/cases/*.gotmpl: language features over plain JSON data (NAME.json)
# Prints `N passed, N failed`.
set -u
cd "$(dirname "$0")/../.."
SHARED="${LMD_SHARED:-$(cd .. && pwd)/shared}"
pass=0 fail=0
failf() { echo "FAIL $*"; fail=$((fail + 1)); }

render_c=""
for b in build-asan/tests/test_gotmpl_render build/tests/test_gotmpl_render; do
    [ -x "$b" ] && { render_c=$b; break; }
done
if [ -z "$render_c" ]; then echo "test_gotmpl_render not built (make tests)"; echo "0 passed, 1 failed"; exit 1; fi
if ! command -v go >/dev/null; then echo "go not installed (scripts/deps.sh installs golang-go)"; echo "0 passed, 1 failed"; exit 1; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lmd-gotmpl.XXXXXX")
trap 'rm -rf "$work"' EXIT
export GOPATH="${TMPDIR:-/tmp}/lmd-gotmpl-gopath-$(id -u)" GOCACHE="${TMPDIR:-/tmp}/lmd-gotmpl-gocache-$(id -u)"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local GO111MODULE=on
if ! (cd tests/gotmpl_ref && go build -o "$work/gotmpl_ref" .) >"$work/build.log" 2>&1; then
    cat "$work/build.log"; echo "0 passed, 1 failed"; exit 1
fi
ref="$work/gotmpl_ref"

compare() {   # mode template data label
    local mode=$1 tmpl=$2 data=$3 label=$4 rc_go rc_c
    "$ref" "$mode" "$tmpl" "$data" >"$work/go.out" 2>"$work/go.err"; rc_go=$?
    # a sanitizer report (leak included) exits 23, never mistaken for a render error (1)
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:exitcode=23" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:exitcode=23" \
        "$render_c" --render "$mode" "$tmpl" "$data" >"$work/c.out" 2>"$work/c.err"; rc_c=$?
    if [ $rc_go -ge 2 ] || [ $rc_c -ge 2 ]; then
        failf "$label: could not run (go $rc_go: $(head -c 200 "$work/go.err"); c $rc_c: $(head -c 200 "$work/c.err"))"
        return
    fi
    if [ $rc_go -ne 0 ]; then
        if [ $rc_c -ne 0 ]; then pass=$((pass + 1)); else
            failf "$label: Go fails ($(head -c 200 "$work/go.err")) but lmd rendered"; fi
        return
    fi
    if [ $rc_c -ne 0 ]; then failf "$label: lmd fails: $(head -c 300 "$work/c.err")"; return; fi
    if cmp -s "$work/go.out" "$work/c.out"; then pass=$((pass + 1)); else
        failf "$label: output differs"
        diff <(od -c "$work/go.out") <(od -c "$work/c.out") | head -20
    fi
}

# Ollama's test conversations, as values JSON
conv_dir="$work/conv"; mkdir -p "$conv_dir"
sys='{"role":"system","content":"You are a helpful assistant."}'
u1='{"role":"user","content":"Hello, how are you?"}'
a1='{"role":"assistant","content":"I'"'"'m doing great. How can I help you today?"}'
u2='{"role":"user","content":"I'"'"'d like to show off how chat templating works!"}'
echo "{\"messages\":[$u1]}" >"$conv_dir/user.json"
echo "{\"messages\":[$u1,$a1,$u2]}" >"$conv_dir/user-assistant-user.json"
echo "{\"messages\":[$sys,$u1,$a1,$u2]}" >"$conv_dir/system-user-assistant-user.json"

n_shipped=0
for t in "$SHARED"/templates/go/*.gotmpl tests/gotmpl_ref/ollama/*.gotmpl; do
    [ -f "$t" ] || continue
    case $t in "$SHARED"/*) n_shipped=$((n_shipped + 1)) ;; esac
    for c in "$conv_dir"/*.json tests/gotmpl_ref/contexts/*.json; do
        compare ollama "$t" "$c" "$(basename "$t") + $(basename "$c")"
    done
done
[ "$n_shipped" -ge 20 ] || failf "expected the 20 templates of ../shared/templates/go, found $n_shipped"

for t in tests/gotmpl_ref/cases/*.gotmpl; do
    compare json "$t" "${t%.gotmpl}.json" "cases/$(basename "$t")"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
