#!/usr/bin/env bash
# Installs the Debian packages lmd's build and tests need, and only those that are missing.
# Checks with dpkg first; runs `apt-get update` at most once, and only when it must install.
set -euo pipefail

packages=(
    build-essential pkg-config          # the C toolchain
    clang libclang-rt-14-dev            # libFuzzer and the sanitizer runtimes
    libjansson-dev                      # JSON
    libpcre2-dev                        # pre-tokenizer regular expressions (UTF + UCP)
    libmicrohttpd-dev                   # HTTP server
    libcurl4-openssl-dev                # HTTP client for pulls
    libssl-dev                          # SHA-256 (libcrypto)
    libedit-dev                         # line editing in `lmd run`
    zlib1g-dev                          # gzip (registry bodies)
    python3 python3-jinja2              # the reference Jinja2 renderer for template tests
    golang-go                           # the reference Go text/template for template tests
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user   # arm64 cross build + kernel tests
    nodejs                              # the official ollama/openai clients (npm ships with it)
    curl                                # README examples
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "deps.sh: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
