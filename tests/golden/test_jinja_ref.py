#!/usr/bin/env python3
"""Reference renderer for tests/golden/test_jinja_vs_python.c.

Collects chat templates from $LMD_SHARED (templates/jinja/*.jinja, models/*/tokenizer_config.json
chat_template, and tokenizer.chat_template of every GGUF, read with the stdlib struct module),
renders each with every context in test_jinja_contexts.json the way Hugging Face's
apply_chat_template does (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks,
loopcontrols, raise_exception, strftime_now, HF's tojson), and prints one JSON line per case:
{"name", "template", "context", "ok", "output" | "error"}. Templates are embedded so the C side
renders exactly the same text. strftime_now uses a fixed clock (LMD_JINJA_NOW, UTC)."""
import datetime
import glob
import json
import os
import struct
import sys

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

NOW = int(os.environ.get("LMD_JINJA_NOW", "1735732800"))


def gguf_chat_template(path):
    """tokenizer.chat_template of a GGUF file, or None (stdlib only, header and KV only)."""
    with open(path, "rb") as f:
        data = f.read(64 << 20)
    if data[:4] != b"GGUF":
        return None
    off = 4
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

    def u(fmt):
        nonlocal off
        v = struct.unpack_from("<" + fmt, data, off)[0]
        off += struct.calcsize(fmt)
        return v

    def s():
        nonlocal off
        n = u("Q")
        b = data[off:off + n]
        off += n
        return b

    def skip(t):
        nonlocal off
        if t == 8:
            s()
        elif t == 9:
            et, n = u("I"), u("Q")
            if et in sizes:
                off += sizes[et] * n
            else:
                for _ in range(n):
                    skip(et)
        else:
            off += sizes[t]

    u("I")  # version
    u("Q")  # tensor count
    n_kv = u("Q")
    for _ in range(n_kv):
        key = s().decode()
        t = u("I")
        if key == "tokenizer.chat_template" and t == 8:
            return s().decode()
        skip(t)
    return None


def collect(shared):
    out = {}
    for p in sorted(glob.glob(os.path.join(shared, "templates/jinja/*.jinja"))):
        with open(p, encoding="utf-8", newline="") as f:
            out["jinja/" + os.path.basename(p)] = f.read()
    # Ollama's index of known HF templates and its test set of Jinja templates.
    idx = os.path.join(shared, "templates/go/index.json")
    if os.path.exists(idx):
        with open(idx, encoding="utf-8") as f:
            for i, e in enumerate(json.load(f)):
                if isinstance(e.get("template"), str):
                    out["ollama-index/%d-%s" % (i, e.get("name"))] = e["template"]
    jl = os.path.join(shared, "templates/go/testdata/templates.jsonl")
    if os.path.exists(jl):
        with open(jl, encoding="utf-8") as f:
            for i, line in enumerate(f):
                for k, v in json.loads(line).items():
                    out["ollama-testdata/%d-%s" % (i, k)] = v
    configs, ggufs = [], []
    # os.walk without following links: ../shared holds a link to itself.
    for root, dirs, files in os.walk(shared):
        dirs.sort()
        for f in sorted(files):
            if f == "tokenizer_config.json":
                configs.append(os.path.join(root, f))
            elif f.endswith(".gguf"):
                ggufs.append(os.path.join(root, f))
    for p in configs:
        with open(p, encoding="utf-8") as f:
            ct = json.load(f).get("chat_template")
        if isinstance(ct, str):
            out["config/" + os.path.relpath(p, shared)] = ct
        elif isinstance(ct, list):
            for e in ct:
                out["config/%s:%s" % (os.path.relpath(p, shared), e.get("name"))] = e.get("template")
    seen = set()
    for p in ggufs:
        t = gguf_chat_template(p)
        if t is None or t in seen:  # many quantizations of one model carry the same template
            continue
        seen.add(t)
        out["gguf/" + os.path.relpath(p, shared)] = t
    return out


def make_env():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def strftime_now(fmt):
        return datetime.datetime.fromtimestamp(NOW, datetime.timezone.utc).strftime(fmt)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def main():
    shared = os.environ.get("LMD_SHARED") or os.path.join(os.path.dirname(__file__), "../../../shared")
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "test_jinja_contexts.json"), encoding="utf-8") as f:
        contexts = json.load(f)
    env = make_env()
    templates = collect(shared)
    if len(sys.argv) > 1:  # only the named templates (debugging)
        templates = {k: v for k, v in templates.items() if any(a in k for a in sys.argv[1:])}
    for name, text in templates.items():
        try:
            tmpl = env.from_string(text)
            compile_error = None
        except Exception as e:  # noqa: BLE001 - any failure is a result to compare
            compile_error = "%s: %s" % (type(e).__name__, e)
        for cname, ctx in contexts.items():
            rec = {"name": name, "template": text, "context": cname, "vars": ctx}
            if compile_error:
                rec.update(ok=False, error=compile_error)
            else:
                try:
                    rec.update(ok=True, output=tmpl.render(**ctx))
                except Exception as e:  # noqa: BLE001
                    rec.update(ok=False, error="%s: %s" % (type(e).__name__, e))
            print(json.dumps(rec, ensure_ascii=False))


if __name__ == "__main__":
    main()
