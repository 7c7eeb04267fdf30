#!/usr/bin/env python3
"""Known-answer frames for byz/frame.h, written from the format table alone
(struct packing and a bitwise CRC32C), independently of dataplane/net/frame.c.

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

def frame(f, payload):
    hdr = struct.pack("<BBBBHHIIHHIII", 1, f["type"], f["flags"], f["kind"],
                      f["src"], f["dst"], f["session"], f["step"], f["part"],
                      len(payload), f["seq"], f["aux"], 0)
    hdr += struct.pack("<QQ", f["ts"], f["ts_echo"])
    assert len(hdr) == 48
    crc = crc32c(hdr + payload)
    hdr = hdr[:28] + struct.pack("<I", crc) + hdr[32:]
    udp_len = 8 + len(hdr) + len(payload)
    udp = struct.pack("!HHHH", f["sport"], f["dport"], udp_len, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0,
                     bytes(f["sip"]), bytes(f["dip"]))
    ip = ip[:10] + struct.pack("!H", ip_csum(ip)) + ip[12:]
    eth = bytes(f["dmac"]) + bytes(f["smac"]) + b"\x08\x00"
    return eth + ip + udp + hdr + payload, crc

BASE = dict(flags=0, kind=1, src=1, dst=2, session=0xA1B2C3D4, step=7, part=2,
            seq=0, aux=0, ts=0x0102030405060708, ts_echo=0,
            sport=49153, dport=7410, sip=[10, 0, 0, 1], dip=[10, 0, 0, 2],
            smac=[2, 0, 0, 0, 0, 1], dmac=[2, 0, 0, 0, 0, 2])

def vec(name, over, payload, mutate=None, drop=None):
    f = dict(BASE)
    f.update(over)
    b, crc = frame(f, payload)
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
    mutate=lambda b: b[:42] + b"\x02" + b[43:], drop="version")
