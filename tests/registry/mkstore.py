#!/usr/bin/env python3
"""Builds an Ollama-layout model (blobs + manifest) from a GGUF file, the way Ollama lays it
out: config blob, model layer, and template/system/params/license layers. Used by the store
tests both to fake a user's existing Ollama store and to fill the test registry.

usage: mkstore.py ROOT NAME_PATH GGUF [--template FILE] [--system TEXT] [--params JSON]
  NAME_PATH is host/namespace/model/tag. Prints the manifest digest."""
import argparse, hashlib, json, os, shutil, sys

def put_blob(root, data):
    h = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(root, "blobs"), exist_ok=True)
    p = os.path.join(root, "blobs", "sha256-" + h)
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(data)
    return {"digest": "sha256:" + h, "size": len(data)}

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root"); ap.add_argument("name"); ap.add_argument("gguf")
    ap.add_argument("--template"); ap.add_argument("--system"); ap.add_argument("--params")
    ap.add_argument("--license")
    a = ap.parse_args()
    layers = []
    with open(a.gguf, "rb") as f:
        layers.append(dict(mediaType="application/vnd.ollama.image.model", **put_blob(a.root, f.read())))
    if a.template:
        with open(a.template, "rb") as f:
            layers.append(dict(mediaType="application/vnd.ollama.image.template", **put_blob(a.root, f.read())))
    if a.system:
        layers.append(dict(mediaType="application/vnd.ollama.image.system", **put_blob(a.root, a.system.encode())))
    if a.license:
        layers.append(dict(mediaType="application/vnd.ollama.image.license", **put_blob(a.root, a.license.encode())))
    if a.params:
        layers.append(dict(mediaType="application/vnd.ollama.image.params", **put_blob(a.root, a.params.encode())))
    cfg = {"model_format": "gguf", "model_family": "llama", "model_families": ["llama"],
           "model_type": "656K", "file_type": "Q8_0", "architecture": "amd64", "os": "linux",
           "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}}
    config = dict(mediaType="application/vnd.docker.container.image.v1+json",
                  **put_blob(a.root, json.dumps(cfg, separators=(",", ":")).encode()))
    man = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
           "config": config, "layers": layers}
    data = json.dumps(man, separators=(",", ":")).encode()
    p = os.path.join(a.root, "manifests", a.name)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    print(hashlib.sha256(data).hexdigest())

main()
