#!/usr/bin/env bash
# test_store_pull.sh — lmd pull against a real registry on loopback (tests/registry/server.py)
# serving models built from ../shared files: plain pull, bearer auth with the blob redirected to
# another host (no credentials may follow), a pull killed with -9 mid-blob then resumed with a
# Range request, and hostile registries (bad digests, content not matching its digest, 100 MB
# manifest, 100000 and 2000 layers, gzip bomb, realm on another host, redirect loop, oversize
# blob, slow drip): each must fail with a clear message and leave the store exactly as it was.
set -u
cd "$(dirname "$0")/../.."
LMD=$(realpath "${LMD:-build/lmd}")
SHARED=${LMD_SHARED:-../shared}
GGUF=$SHARED/models/TinyStories-656K.Q8_0.gguf
T=$(mktemp -d /tmp/lmd-store-pull.XXXXXX)
SRV=""
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

printf '{{ if .System }}{{ .System }} {{ end }}{{ .Prompt }}' > "$T/tmpl"
python3 tests/registry/mkstore.py "$T/root" registry.ollama.ai/library/tiny/latest "$GGUF" \
    --template "$T/tmpl" --params '{"temperature":0,"stop":["<|end_story|>"]}' > "$T/tiny.id"
python3 tests/registry/server.py --root "$T/root" --log "$T/log" --port-file "$T/port" &
SRV=$!
for _ in $(seq 100); do [ -f "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")
export LMD_REGISTRY=http://127.0.0.1:$PORT LMD_PULL_RETRIES=0 LMD_PULL_STALL_TIMEOUT=2
unset OLLAMA_MODELS
model_hex=$(sha256sum "$GGUF" | cut -c1-64)

# Every named blob must hash to its name.
blobs_ok() {
    local f
    for f in "$1"/blobs/sha256-*; do
        [ -e "$f" ] || continue
        case $f in *-partial*) continue ;; esac
        [ "$(sha256sum "$f" | cut -c1-64)" = "${f##*/sha256-}" ] || return 1
    done
}
# Fingerprint of what the store holds (named files only; resumable partials are state, not model).
snapshot() { (cd "$1" && find manifests blobs -type f ! -name '*-lmd-partial*' -print0 | sort -z | xargs -0 -r sha256sum); }

export LMD_MODELS=$T/s1
check "pull from the loopback registry" '$LMD pull tiny --insecure 2>"$T/err"'
check "pull printed Ollama status lines" 'grep -q "^pulling manifest$" "$T/err" && grep -q "^verifying sha256 digest$" "$T/err" && grep -q "^success$" "$T/err"'
check "pulled manifest is byte-identical (same ID)" '$LMD list | grep -q "^tiny:latest  *$(cut -c1-12 "$T/tiny.id") "'
check "pulled blobs match their digests" 'blobs_ok "$LMD_MODELS" && [ -f "$LMD_MODELS/blobs/sha256-$model_hex" ]'
check "pulled model shows" '$LMD show tiny | grep -Eq "^    architecture +llama$" && [ "$($LMD show tiny --template)" = "$(cat "$T/tmpl")" ]'
check "http registry refused without --insecure" '! $LMD pull tiny 2>"$T/err" && grep -q "only https:// unless --insecure" "$T/err"'
check "unknown model is a clear error" '! $LMD pull nosuch --insecure 2>"$T/err" && grep -q "file does not exist" "$T/err"'

export LMD_MODELS=$T/s2
: > "$T/log"
check "pull with bearer challenge and a redirect to another host" '$LMD pull private/tiny --insecure 2>/dev/null'
check "token fetched from the realm on the registry host" 'grep -q "^127.0.0.1 /token?service=lmd-test&scope=repository%3Aprivate%2Ftiny%3Apull" "$T/log"'
check "credentials never sent to the redirect host" '! grep -q LEAKED-AUTH "$T/log" && grep -q "^127.0.0.2 /store/sha256:$model_hex range=- auth=no" "$T/log"'
check "authenticated pull stored and verified" 'blobs_ok "$LMD_MODELS" && $LMD list | grep -q "^private/tiny:latest"'

# Kill -9 mid-blob, then resume.
export LMD_MODELS=$T/s3
: > "$T/log"
$LMD pull throttle/tiny --insecure 2>/dev/null &
PID=$!
part=$LMD_MODELS/blobs/sha256-$model_hex-lmd-partial
for _ in $(seq 200); do
    if [ -f "$part.offset" ] && [ "$(cat "$part.offset")" -ge 131072 ] 2>/dev/null; then break; fi
    sleep 0.1
done
kill -9 $PID 2>/dev/null; wait $PID 2>/dev/null
off=$(cat "$part.offset" 2>/dev/null || echo 0)
check "killed pull left a partial blob and a recorded offset" '[ "$off" -ge 131072 ] && [ "$off" -lt $(stat -c %s "$GGUF") ]'
check "killed pull left no manifest and no unverified named blob" '[ -z "$(find "$LMD_MODELS/manifests" -type f)" ] && [ ! -e "$LMD_MODELS/blobs/sha256-$model_hex" ]'
check "pull again resumes and completes" '$LMD pull throttle/tiny --insecure 2>/dev/null'
check "resume asked for the rest with a Range from the recorded offset" 'grep -Eq "/v2/throttle/tiny/blobs/sha256:$model_hex range=bytes=([0-9]+)- " "$T/log" && r=$(grep -Eo "sha256:$model_hex range=bytes=[0-9]+" "$T/log" | tail -1 | grep -Eo "[0-9]+$") && [ "$r" -ge "$off" ]'
check "resumed blob verified and named, partial gone" 'blobs_ok "$LMD_MODELS" && [ -f "$LMD_MODELS/blobs/sha256-$model_hex" ] && [ ! -e "$part" ] && [ ! -e "$part.offset" ]'
check "resumed model lists and shows" '$LMD show throttle/tiny | grep -q "quantization *Q8_0"'

# Two pulls of the same model at once take turns on each blob and both succeed.
export LMD_MODELS=$T/s6
$LMD pull throttle/tiny --insecure 2>/dev/null & P1=$!
$LMD pull throttle/tiny --insecure 2>/dev/null & P2=$!
wait $P1; r1=$?; wait $P2; r2=$?
check "two concurrent pulls of one model both succeed with verified blobs" '[ $r1 = 0 ] && [ $r2 = 0 ] && blobs_ok "$LMD_MODELS" && [ -f "$LMD_MODELS/blobs/sha256-$model_hex" ] && [ -z "$(ls "$LMD_MODELS/blobs" | grep partial)" ]'

# A transfer cut half-way is retried (with backoff) from where it stopped.
export LMD_MODELS=$T/s4
: > "$T/log"
check "a cut-off blob is retried and resumed" 'LMD_PULL_RETRIES=2 $LMD pull flaky/tiny --insecure 2>/dev/null && blobs_ok "$LMD_MODELS" && [ -f "$LMD_MODELS/blobs/sha256-$model_hex" ]'
check "the retry asked only for the missing bytes" 'grep -Eq "/v2/flaky/tiny/blobs/sha256:$model_hex range=bytes=[1-9][0-9]*- " "$T/log"'

# Hugging Face GGUF repositories: hf.co/<user>/<repo>[:<quant>] over the same protocol.
python3 tests/registry/mkstore.py "$T/root" registry.ollama.ai/library/TinyStories-GGUF/Q8_0 "$GGUF" >/dev/null
export LMD_MODELS=$T/s5
check "pull hf.co/<user>/<repo>:<quant>" '$LMD pull hf.co/someone/TinyStories-GGUF:Q8_0 --insecure 2>/dev/null && $LMD list | grep -q "^hf.co/someone/TinyStories-GGUF:Q8_0 "'
check "pull hf.co/<user>/<repo> without a tag reports the quantization it got" '$LMD pull hf.co/someone/TinyStories-GGUF --insecure 2>"$T/err" && grep -q "no quantization tag given: hf.co picked Q8_0 (the repo has no Q4_K_M)" "$T/err"'

# Hostile registries: each fails clearly and changes nothing in a store that already holds a model.
hostile() {   # description, model name, expected message (grep -E)
    export LMD_MODELS=$T/h
    local before after rc
    before=$(snapshot "$LMD_MODELS")
    $LMD pull "$2" --insecure 2>"$T/err"; rc=$?
    after=$(snapshot "$LMD_MODELS")
    # A stalled transfer keeps its partial (that is what resumes); hostile bytes are dropped.
    local partial_ok=1
    if [ "$2" != slow/tiny ] && ls "$LMD_MODELS/blobs" | grep -q -- '-lmd-partial'; then partial_ok=0; fi
    if [ $rc -ne 0 ] && grep -Eq "$3" "$T/err" && [ "$before" = "$after" ] && blobs_ok "$LMD_MODELS" \
        && [ $partial_ok = 1 ] && $LMD show other --system >/dev/null; then
        ok "$1"
    else
        bad "$1 (rc=$rc: $(head -c 300 "$T/err"))"
    fi
}
# The hostile cases run on a store holding another model, so tiny's blobs must really be fetched.
python3 tests/registry/mkstore.py "$T/h" registry.ollama.ai/library/other/latest \
    "$SHARED/models/llama-2-tiny-random.gguf" --system "keep me" >/dev/null
hostile "digest with ../ is rejected" library/dotdot "config.digest: expected sha256:<64 hex>"
hostile "digest of wrong length is rejected" library/shortdigest "config.digest: expected sha256:<64 hex>"
hostile "content not matching its digest is discarded" mismatch/tiny "content hashes to sha256:"
hostile "100 MB manifest is refused" library/hugemanifest "manifest larger than"
hostile "100000 layers are refused" library/manylayers "manifest larger than|layers, limit"
hostile "2000 layers exceed the layer cap" library/layers2000 "2000 layers, limit 1024"
hostile "gzip bomb manifest is refused after decompression" library/gzipbomb "manifest larger than .* \(after decompression\)"
hostile "auth realm on another host is refused" evilrealm/tiny "is on another host; refusing to send credentials"
hostile "redirect loop is cut" loop/tiny "more than 8 redirects"
hostile "blob longer than the manifest says is refused" oversize/tiny "more than the [0-9]+ bytes the manifest declares"
hostile "slow drip stalls out" slow/tiny "stalled"
check "no credentials leaked in any case" '! grep -q LEAKED-AUTH "$T/log"'

echo "$pass passed, $fail failed"
[ $fail = 0 ]
