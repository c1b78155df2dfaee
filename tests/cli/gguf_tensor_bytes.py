#!/usr/bin/env python3
"""Prints "<name> <type> <shape> <sha256 of data>" for each tensor of a GGUF file, sorted by
name, so two files can be compared tensor by tensor (used by test_store_cli.sh)."""
import hashlib, struct, sys

def main(path):
    b = open(path, "rb").read()
    o = 4
    _, nt, nkv = struct.unpack_from("<IQQ", b, o); o += 20
    size = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    def rs():
        nonlocal o
        n = struct.unpack_from("<Q", b, o)[0]; o += 8
        s = b[o:o + n]; o += n
        return s
    def rv(t):
        nonlocal o
        if t == 8: return rs()
        if t == 9:
            et = struct.unpack_from("<I", b, o)[0]; o += 4
            n = struct.unpack_from("<Q", b, o)[0]; o += 8
            return [rv(et) for _ in range(n)]
        v = b[o:o + size[t]]; o += size[t]
        return v
    align = 32
    for _ in range(nkv):
        k = rs(); t = struct.unpack_from("<I", b, o)[0]; o += 4
        v = rv(t)
        if k == b"general.alignment": align = struct.unpack("<I", v)[0]
    ts = []
    for _ in range(nt):
        name = rs(); nd = struct.unpack_from("<I", b, o)[0]; o += 4
        ne = struct.unpack_from("<%dQ" % nd, b, o); o += 8 * nd
        ty, off = struct.unpack_from("<IQ", b, o); o += 12
        ts.append((off, name.decode(), ty, ne))
    data = (o + align - 1) // align * align
    ts.sort()
    rows = []
    for i, (off, name, ty, ne) in enumerate(ts):
        end = ts[i + 1][0] if i + 1 < len(ts) else len(b) - data
        blob = b[data + off:data + end].rstrip(b"\0")  # alignment padding is not data
        rows.append("%s %d %s %s" % (name, ty, "x".join(map(str, ne)), hashlib.sha256(blob).hexdigest()))
    print("\n".join(sorted(rows)))

main(sys.argv[1])
