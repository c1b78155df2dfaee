#!/usr/bin/env bash
# test_store_cli.sh — lmd list/show/cp/rm/create on an Ollama-layout store the test builds the
# way Ollama lays one out (manifests, config, template/system/params layers with a Go template
# in Ollama's library format), plus create from a Modelfile and its errors.
set -u
cd "$(dirname "$0")/../.."
LMD=$(realpath "${LMD:-build/lmd}")
SHARED=${LMD_SHARED:-../shared}
GGUF=$SHARED/models/TinyStories-656K.Q8_0.gguf
T=$(mktemp -d /tmp/lmd-store-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
export LMD_MODELS=$T/models
unset OLLAMA_MODELS
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

# A llama3-style template as Ollama's library ships it.
cat > "$T/llama3.tmpl" <<'TMPL'
{{ if .System }}<|start_header_id|>system<|end_header_id|>

{{ .System }}<|eot_id|>{{ end }}{{ if .Prompt }}<|start_header_id|>user<|end_header_id|>

{{ .Prompt }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>

{{ .Response }}<|eot_id|>
TMPL
cat > "$T/tools.tmpl" <<'TMPL'
{{- if .Messages }}{{- range .Messages }}{{ if eq .Role "user" }}[INST] {{ if and $.Tools (eq (len $.Messages) 1) }}[AVAILABLE_TOOLS] {{ json $.Tools }}[/AVAILABLE_TOOLS]{{ end }}{{ .Content }}[/INST]{{ else }}{{ .Content }}</s>{{ end }}{{ end }}{{- else }}[INST] {{ .Prompt }} [/INST]{{ end }}{{ .Response }}
TMPL
id1=$(python3 tests/registry/mkstore.py "$LMD_MODELS" registry.ollama.ai/library/llama3/latest "$GGUF" \
    --template "$T/llama3.tmpl" --system "You are a storyteller." \
    --params '{"stop":["<|start_header_id|>","<|end_header_id|>","<|eot_id|>"],"num_keep":24}' \
    --license $'LLAMA 3 COMMUNITY LICENSE\nsecond line\nthird line')
id2=$(python3 tests/registry/mkstore.py "$LMD_MODELS" registry.ollama.ai/someone/mistral-tools/7b "$GGUF" \
    --template "$T/tools.tmpl")

out=$($LMD list)
check "list prints the header as Ollama" '[[ $(head -1 <<<"$out") =~ ^NAME\ +ID\ +SIZE\ +MODIFIED ]]'
check "list shows library model with its manifest id" 'grep -Eq "^llama3:latest +${id1:0:12} +750 KB +(Less than a second|[0-9]+ seconds?) ago" <<<"$out"'
check "list shows a namespaced model" 'grep -q "^someone/mistral-tools:7b  *${id2:0:12} " <<<"$out"'
check "list filters by prefix" '[ "$($LMD list some | wc -l)" = 2 ]'

show=$($LMD show llama3)
check "show prints architecture" 'grep -Eq "^    architecture +llama$" <<<"$show"'
check "show prints context and embedding length" 'grep -Eq "^    context length +512$" <<<"$show" && grep -Eq "^    embedding length +128$" <<<"$show"'
check "show prints quantization" 'grep -Eq "^    quantization +Q8_0$" <<<"$show"'
check "show prints parameters" 'grep -Eq "^    stop +\"<\|eot_id\|>\"$" <<<"$show" && grep -Eq "^    num_keep +24$" <<<"$show"'
check "show prints first license lines only" 'grep -q "second line" <<<"$show" && ! grep -q "third line" <<<"$show"'
check "show --template is the layer verbatim" '[ "$($LMD show llama3 --template)" = "$(cat "$T/llama3.tmpl")" ]'
check "show --system" '[ "$($LMD show LLAMA3:Latest --system)" = "You are a storyteller." ]'
check "show lists tools capability from the template" '$LMD show someone/mistral-tools:7b | grep -Eq "^    tools$"'
check "show --parameters as Ollama" '$LMD show llama3 --parameters | grep -Eq "^stop {27}\"<\|start_header_id\|>\"$"'

$LMD show llama3 --modelfile > "$T/Modelfile.out"
check "show --modelfile round-trips through create" 'sed -i "s#^FROM .*#FROM llama3#" "$T/Modelfile.out" && $LMD create again -f "$T/Modelfile.out" 2>/dev/null && [ "$($LMD show again --template)" = "$(cat "$T/llama3.tmpl")" ] && [ "$($LMD show again --system)" = "You are a storyteller." ]'

mkdir -p "$T/mf"
cp "$GGUF" "$T/mf/weights.gguf"
printf 'FROM ./weights.gguf\nPARAMETER temperature 0\nPARAMETER stop "<|end_story|>"\nSYSTEM """Tell a story."""\n' > "$T/mf/Modelfile"
check "create from a GGUF relative to the Modelfile" '(cd / && $LMD create stories -f "$T/mf/Modelfile" 2>/dev/null)'
check "created model shows its parameters" '$LMD show stories --parameters | grep -q "^temperature  *0$"'
printf 'FROM ./weights.gguf\nPARAMETER temperature warm\n' > "$T/mf/Bad"
err=$($LMD create broken -f "$T/mf/Bad" 2>&1); rc=$?
check "create reports a bad parameter with its line and exit 2" '[ $rc = 2 ] && grep -q "line 2: parameter .temperature.: invalid float value .warm." <<<"$err"'
check "failed create leaves no model" '! $LMD list | grep -q broken'

check "create from a Hugging Face safetensors folder converts to GGUF" 'printf "FROM %s\n" "$(realpath "$SHARED/models/TinyStories-656K")" > "$T/mf/HF" && $LMD create tiny-hf -f "$T/mf/HF" 2>"$T/err" && grep -q "^converting model$" "$T/err"'
check "converted model shows F32 llama with the config's sizes" 'out=$($LMD show tiny-hf) && grep -Eq "^    quantization +F32$" <<<"$out" && grep -Eq "^    context length +512$" <<<"$out" && grep -Eq "^    architecture +llama$" <<<"$out"'
# -q through `lmd quantize`: F32 conversion quantized to Q8_0 must be the very tensors llama.cpp
# wrote into the shared Q8_0 GGUF (same weights, same reference quantizer), so the model's
# greedy output is the golden one by construction.
check "create -q q8_0 from the safetensors folder" '$LMD create tiny-q8 -q q8_0 -f "$T/mf/HF" >/dev/null 2>&1 && $LMD show tiny-q8 | grep -Eq "^    quantization +Q8_0$"'
check "quantized conversion is tensor-for-tensor identical to llama.cpp's Q8_0 GGUF" 'p=$($LMD show tiny-q8 --modelfile | sed -n "s/^FROM //p") && [ -n "$p" ] && diff <(python3 tests/cli/gguf_tensor_bytes.py "$p") <(python3 tests/cli/gguf_tensor_bytes.py "$GGUF") >/dev/null'
check "create -q rejects an unknown type and keeps the store unchanged" '! $LMD create tiny-bad -q q9_9 -f "$T/mf/HF" >/dev/null 2>&1 && ! $LMD list | grep -q tiny-bad'
$LMD rm tiny-q8 >/dev/null
check "cp copies with the same id" '$LMD cp stories me/stories:v2 >/dev/null && [ "$($LMD list me/ | tail -1 | awk "{print \$2}")" = "$($LMD list stories | tail -1 | awk "{print \$2}")" ]'
nblobs=$(ls "$LMD_MODELS/blobs" | wc -l)
check "rm of one copy keeps shared blobs" '$LMD rm stories >/dev/null && [ "$(ls "$LMD_MODELS/blobs" | wc -l)" = "$nblobs" ]'
$LMD rm nope >/dev/null 2>"$T/err"; rc=$?
check "rm of a missing model fails with a clear message" '[ $rc = 1 ] && grep -q "model .nope:latest. not found" "$T/err"'
check "rm of every model prunes every blob" '$LMD rm me/stories:v2 llama3 someone/mistral-tools:7b again tiny-hf >/dev/null && [ -z "$(ls "$LMD_MODELS/blobs")" ]'
check "bad names are usage errors" '$LMD cp "../x" y 2>/dev/null; [ $? = 2 ]'
check "OLLAMA_MODELS is accepted as the store" '(unset LMD_MODELS; export OLLAMA_MODELS=$T/ollama; python3 tests/registry/mkstore.py $OLLAMA_MODELS registry.ollama.ai/library/x/latest "$GGUF" >/dev/null; $LMD list | grep -q "^x:latest")'

echo "$pass passed, $fail failed"
[ $fail = 0 ]
