#!/usr/bin/env python3
"""Known-answer frames for byz/frame.h (header version 2), written from the
format table alone (struct packing, a bitwise CRC32C, and ChaCha20/Poly1305
from RFC 8439 in plain Python), independently of dataplane/net/frame.c and
auth.c. Sealed frames (# key=...) carry the tag of byz/auth.h under that
direction key; the others have ctr = 0 and a zero tag (authentication off).

Each NAME.hex holds '# key=value' lines (the fields the C parser must report,
or drop=REASON for a frame it must reject) and then the frame as hex.
Run: python3 gen_frames.py  (rewrites the .hex files in this folder)."""
import os
import struct

def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

assert crc32c(b"123456789") == 0xE3069283

def ip_csum(h):
    s = sum(struct.unpack("!10H", h))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF

M32 = 0xFFFFFFFF

def chacha20_block(key, counter, nonce):
    """RFC 8439 section 2.3."""
    def rotl(v, c):
        return ((v << c) & M32) | (v >> (32 - c))
    def qr(s, a, b, c, d):
        s[a] = (s[a] + s[b]) & M32; s[d] = rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & M32; s[b] = rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & M32; s[d] = rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & M32; s[b] = rotl(s[b] ^ s[c], 7)
    st = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    st += list(struct.unpack("<8I", key)) + [counter] + list(struct.unpack("<3I", nonce))
    w = list(st)
    for _ in range(10):
        qr(w, 0, 4, 8, 12); qr(w, 1, 5, 9, 13); qr(w, 2, 6, 10, 14); qr(w, 3, 7, 11, 15)
        qr(w, 0, 5, 10, 15); qr(w, 1, 6, 11, 12); qr(w, 2, 7, 8, 13); qr(w, 3, 4, 9, 14)
    return struct.pack("<16I", *[(a + b) & M32 for a, b in zip(w, st)])

def poly1305(key, msg):
    """RFC 8439 section 2.5."""
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:], "little")
    p = (1 << 130) - 5
    acc = 0
    for i in range(0, len(msg), 16):
        n = int.from_bytes(msg[i:i + 16] + b"\x01", "little")
        acc = (acc + n) * r % p
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, "little")

# RFC 8439 2.3.2 and 2.5.2 test vectors
assert chacha20_block(bytes(range(32)), 1, bytes.fromhex("000000090000004a00000000"))[:4] \
    == bytes.fromhex("10f1e7e4")
assert poly1305(bytes.fromhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b"),
                b"Cryptographic Forum Research Group") == bytes.fromhex("a8061dc1305136c6c22b8baf0c0127a9")

def tag(key, hdr_to_tag, payload):
    """byz/auth.h: Poly1305 under ChaCha20 block 0 of (key, 0^4 || ctr)."""
    ctr = hdr_to_tag[48:56]
    otk = chacha20_block(key, 0, b"\0" * 4 + ctr)[:32]
    return poly1305(otk, hdr_to_tag + payload)

def frame_v1(f, payload):
    """The retired version-1 layout (48-byte header), for the refusal vector."""
    hdr = struct.pack("<BBBBHHIIHHIII", 1, f["type"], f["flags"], f["kind"],
                      f["src"], f["dst"], f["session"], f["step"], f["part"],
                      len(payload), f["seq"], f["aux"], 0)
    hdr += struct.pack("<QQ", f["ts"], f["ts_echo"])
    crc = crc32c(hdr + payload)
    hdr = hdr[:28] + struct.pack("<I", crc) + hdr[32:]
    return wrap(f, hdr, payload), crc

def frame(f, payload):
    hdr = struct.pack("<BBBBHHIIHHIII", 2, f["type"], f["flags"], f["kind"],
                      f["src"], f["dst"], f["session"], f["step"], f["part"],
                      len(payload), f["seq"], f["aux"], 0)
    hdr += struct.pack("<QQQ", f["ts"], f["ts_echo"], f["ctr"]) + b"\0" * 16
    assert len(hdr) == 72
    crc = crc32c(hdr + payload)  # crc and tag fields zero
    hdr = hdr[:28] + struct.pack("<I", crc) + hdr[32:]
    if f["key"] is not None:
        hdr = hdr[:56] + tag(f["key"], hdr[:56], payload)
    return wrap(f, hdr, payload), crc

def wrap(f, hdr, payload):
    udp_len = 8 + len(hdr) + len(payload)
    udp = struct.pack("!HHHH", f["sport"], f["dport"], udp_len, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0,
                     bytes(f["sip"]), bytes(f["dip"]))
    ip = ip[:10] + struct.pack("!H", ip_csum(ip)) + ip[12:]
    eth = bytes(f["dmac"]) + bytes(f["smac"]) + b"\x08\x00"
    return eth + ip + udp + hdr + payload

BASE = dict(flags=0, kind=1, src=1, dst=2, session=0xA1B2C3D4, step=7, part=2,
            seq=0, aux=0, ts=0x0102030405060708, ts_echo=0, ctr=0, key=None,
            sport=49153, dport=7410, sip=[10, 0, 0, 1], dip=[10, 0, 0, 2],
            smac=[2, 0, 0, 0, 0, 1], dmac=[2, 0, 0, 0, 0, 2])

def vec(name, over, payload, mutate=None, drop=None, v1=False, tag_ok=True):
    f = dict(BASE)
    f.update(over)
    b, crc = (frame_v1 if v1 else frame)(f, payload)
    if mutate:
        b = mutate(bytearray(b))
    lines = ["# %s" % name]
    if drop:
        lines.append("# drop=%s" % drop)
    else:
        for k in ("type", "flags", "kind", "src", "dst", "session", "step", "part",
                  "seq", "aux", "ts", "ts_echo", "sport", "dport"):
            lines.append("# %s=%d" % (k, f[k]))
        lines.append("# sip=%d.%d.%d.%d" % tuple(f["sip"]))
        lines.append("# dip=%d.%d.%d.%d" % tuple(f["dip"]))
        lines.append("# payload_len=%d" % len(payload))
        lines.append("# crc=%d" % crc)
        lines.append("# ctr=%d" % f["ctr"])
        if f["key"] is not None:
            lines.append("# key=%s" % f["key"].hex())
            lines.append("# tag_ok=%d" % tag_ok)
    hexs = bytes(b).hex()
    lines += [hexs[i:i + 64] for i in range(0, len(hexs), 64)]
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".hex"), "w") as o:
        o.write("\n".join(lines) + "\n")

def sack(cum, grant, bits):
    return struct.pack("<II4Q", cum, grant, *bits)

pat = bytes((i * 7 + 3) & 0xFF for i in range(1424))
vec("data_full", dict(type=1, seq=3, aux=10000), pat)
vec("data_last", dict(type=1, seq=7, aux=10000, flags=0x01 | 0x02, kind=2, part=0),
    pat[:10000 - 7 * 1424])
vec("data_tiny", dict(type=1, seq=0, aux=1, src=0, dst=1023, part=65535), b"\x5a")
vec("sack", dict(type=2, flags=0x08, kind=2, ts_echo=0x1122334455667788),
    sack(12, 76, [0x5, 0, 0x8000000000000000, 1]))
vec("nack", dict(type=3, kind=1), struct.pack("<3I", 4, 9, 0xFFFFFFFF))
vec("control", dict(type=4, kind=0, part=0), b"signed protocol message")
vec("probe", dict(type=5, kind=0, part=0), b"")
vec("probe_reply", dict(type=5, kind=0, part=0, flags=0x04, ts_echo=42), b"")
# Rejections the parser must name.
vec("bad_crc", dict(type=1, seq=1, aux=5000), pat[:1424],
    mutate=lambda b: b[:-1] + bytes([b[-1] ^ 1]), drop="crc")
vec("bad_parity", dict(type=6, kind=1), b"\0" * 16, drop="type")
def wrong_ipsum(b):
    b[14 + 10] ^= 0xFF
    return b
vec("bad_ipcsum", dict(type=4, kind=0, part=0), b"x", mutate=wrong_ipsum, drop="ip-csum")
vec("bad_version", dict(type=4, kind=0, part=0), b"x",
    mutate=lambda b: b[:42] + b"\x03" + b[43:], drop="version")
# A genuine version-1 frame: refused by version, whatever its CRC says.
vec("old_v1", dict(type=4, kind=0, part=0), b"signed protocol message", v1=True,
    drop="version")
# Sealed frames: the tag under a fixed direction key and counter.
KEY = bytes((0xA0 + i) & 0xFF for i in range(32))
vec("sealed_data", dict(type=1, seq=3, aux=10000, ctr=0x1122334455667788, key=KEY), pat)
vec("sealed_control", dict(type=4, kind=0, part=0, ctr=1, key=KEY), b"signed protocol message")
vec("sealed_sack", dict(type=2, flags=0x08, kind=2, ctr=2, key=KEY),
    sack(12, 76, [0x5, 0, 0x8000000000000000, 1]))
vec("sealed_probe", dict(type=5, kind=0, part=0, ctr=0, key=KEY), b"")
# The tag is outside the CRC: a flipped tag bit parses, and only the tag check fails.
vec("sealed_bad_tag", dict(type=4, kind=0, part=0, ctr=1, key=KEY), b"signed protocol message",
    mutate=lambda b: b[:14 + 20 + 8 + 60] + bytes([b[14 + 20 + 8 + 60] ^ 4]) + b[14 + 20 + 8 + 61:],
    tag_ok=False)
