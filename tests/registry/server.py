#!/usr/bin/env python3
"""A small Ollama-protocol registry for lmd's pull tests (stdlib only).

Serves the models of an Ollama-layout store (--root, under registry.ollama.ai/library) at
  GET /v2/<ns>/<model>/manifests/<tag>   and   GET /v2/<ns>/<model>/blobs/<digest>  (Range)
on 127.0.0.1:<port>, plus a second listener on 127.0.0.2 used as the "other host" that blob
redirects point to. The namespace or model name picks a behaviour:
  ns private     bearer challenge (realm on this host) for manifests and blobs; blobs redirect
                 to 127.0.0.2, which rejects any request carrying credentials (and logs it)
  ns redir       blobs answer 302 to 127.0.0.2
  ns loop        blobs redirect to themselves forever
  ns evilrealm   401 whose realm is on 127.0.0.2
  ns mismatch    blobs served with the right size but different content
  ns slow        blobs send 10 bytes, then nothing (stall)
  ns throttle    blobs without Range trickle at ~64 KB/s (so a test can kill the client)
  ns oversize    blobs send more bytes than the manifest says
  ns flaky       the first request for each blob is cut off half-way (the retry must resume)
  other ns       served from library/<model>/<tag>; tag "latest" with no such tag picks
                 Q4_K_M if present, else the first tag (what hf.co does for GGUF repos)
  model dotdot / shortdigest / hugemanifest / manylayers / layers2000 / gzipbomb
                 hostile manifests (path traversal digest, 63-hex digest, 100 MB body,
                 100000 layers, 2000 layers, gzip bomb)
Every request is logged as one line to --log: "<host> <path> range=<..> auth=<yes|no>".
Writes "<port>" to --port-file when ready."""
import argparse, gzip, hashlib, json, os, re, threading, time, zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
PORT = 0
LOCK = threading.Lock()
TOKEN = "good-token"
CUT = set()
H64 = "0123456789abcdef" * 4

def log(line):
    with LOCK:
        with open(ARGS.log, "a") as f:
            f.write(line + "\n")

def blob_path(digest):
    m = re.fullmatch(r"sha256[:-]([0-9a-f]{64})", digest)
    if not m:
        return None
    p = os.path.join(ARGS.root, "blobs", "sha256-" + m.group(1))
    return p if os.path.isfile(p) else None

def fake_layer(i):
    return {"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:" + H64, "size": i}

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def host(self):
        return self.server.server_address[0]

    def send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def authed(self):
        return self.headers.get("Authorization") == "Bearer " + TOKEN

    def challenge(self, realm_host, scope):
        realm = "http://%s:%d/token" % (realm_host, PORT)
        self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', [
            ("WWW-Authenticate", 'Bearer realm="%s",service="lmd-test",scope="%s"' % (realm, scope))])

    def serve_file(self, path, mode=""):
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            data = f.read()
        if mode == "mismatch":
            data = bytes(b ^ 0x5A for b in data)
        start = 0
        rng = self.headers.get("Range")
        m = re.fullmatch(r"bytes=(\d+)-", rng or "")
        if m:
            start = int(m.group(1))
            if start >= size:
                return self.send(416, b"")
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, size - 1, size))
        else:
            self.send_response(200)
        body = data[start:]
        if mode == "flaky" and not m:
            with LOCK:
                first = ("flaky", path) not in CUT
                CUT.add(("flaky", path))
            if first:  # promise everything, send half, hang up
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body[:len(body) // 2]); self.wfile.flush()
                self.close_connection = True
                return
        if mode == "oversize":
            body += b"extra bytes the manifest never mentioned" * 100
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if mode == "slow":
                self.wfile.write(body[:10]); self.wfile.flush()
                time.sleep(60)
                return
            if mode == "throttle" and not m:
                for i in range(0, len(body), 4096):
                    self.wfile.write(body[i:i + 4096]); self.wfile.flush()
                    time.sleep(4096 / 65536)
                return
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        auth = "yes" if self.headers.get("Authorization") else "no"
        log("%s %s range=%s auth=%s" % (self.host(), self.path, self.headers.get("Range", "-"), auth))
        if self.host() == "127.0.0.2":
            return self.other_host()
        if self.path.startswith("/token"):
            return self.send(200, json.dumps({"token": TOKEN}).encode(),
                             [("Content-Type", "application/json")])
        m = re.fullmatch(r"/v2/([^/]+)/([^/]+)/(manifests|blobs)/([^/?]+)", self.path)
        if not m:
            return self.send(404, b"not found")
        ns, model, kind, ref = m.groups()
        if ns == "evilrealm":
            return self.challenge("127.0.0.2", "repository:%s/%s:pull" % (ns, model))
        if ns == "private" and not self.authed():
            return self.challenge("127.0.0.1", "repository:%s/%s:pull" % (ns, model))
        if kind == "manifests":
            return self.manifest(model, ref)
        if ns in ("private", "redir"):
            return self.send(307 if ns == "private" else 302, b"",
                             [("Location", "http://127.0.0.2:%d/store/%s" % (PORT, ref))])
        if ns == "loop":
            return self.send(302, b"", [("Location", "http://127.0.0.1:%d%s" % (PORT, self.path))])
        p = blob_path(ref)
        if not p:
            return self.send(404, b"blob unknown")
        return self.serve_file(p, ns)

    def other_host(self):
        if self.headers.get("Authorization"):
            log("LEAKED-AUTH " + self.path)
            return self.send(400, b"credentials sent to another host")
        m = re.fullmatch(r"/store/([^/]+)", self.path)
        p = blob_path(m.group(1)) if m else None
        if not p:
            return self.send(404, b"no")
        return self.serve_file(p)

    def manifest(self, model, tag):
        cfg = {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2}
        if model == "dotdot":
            body = {"schemaVersion": 2, "config": dict(cfg, digest="sha256:../../../../tmp/" + H64[:51]),
                    "layers": []}
            return self.send(200, json.dumps(body).encode())
        if model == "shortdigest":
            body = {"schemaVersion": 2, "config": dict(cfg, digest="sha256:" + H64[:63]), "layers": []}
            return self.send(200, json.dumps(body).encode())
        if model in ("manylayers", "layers2000"):
            n = 100000 if model == "manylayers" else 2000
            body = {"schemaVersion": 2, "config": dict(cfg, digest="sha256:" + H64),
                    "layers": [fake_layer(i) for i in range(n)]}
            return self.send(200, json.dumps(body, separators=(",", ":")).encode())
        if model == "hugemanifest":
            total = 100 << 20
            self.send_response(200)
            self.send_header("Content-Length", str(total))
            self.end_headers()
            chunk = b" " * (1 << 20)
            try:
                for _ in range(100):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        if model == "gzipbomb":
            c = zlib.compressobj(9, zlib.DEFLATED, 31)
            parts = [c.compress(b" " * (1 << 20)) for _ in range(64)]  # 64 MB of spaces
            parts.append(c.flush())
            body = b"".join(parts)
            return self.send(200, body, [("Content-Encoding", "gzip"),
                                         ("Content-Type", "application/json")])
        d = os.path.join(ARGS.root, "manifests", "registry.ollama.ai", "library", model)
        p = os.path.join(d, tag)
        if tag == "latest" and not os.path.isfile(p) and os.path.isdir(d):
            tags = sorted(os.listdir(d))
            pick = "Q4_K_M" if "Q4_K_M" in tags else (tags[0] if tags else "none")
            p = os.path.join(d, pick)
        if not os.path.isfile(p):
            return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
        with open(p, "rb") as f:
            return self.send(200, f.read(),
                             [("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")])

class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients hanging up on hostile answers is the point of those answers

def main():
    global ARGS, PORT
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ARGS = ap.parse_args()
    for _ in range(50):
        a = Server(("127.0.0.1", 0), Handler)
        PORT = a.server_address[1]
        try:
            b = Server(("127.0.0.2", PORT), Handler)
            break
        except OSError:
            a.server_close()
    a.daemon_threads = b.daemon_threads = True
    threading.Thread(target=b.serve_forever, daemon=True).start()
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(PORT))
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    a.serve_forever()

main()
