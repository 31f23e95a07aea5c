#!/usr/bin/env python3
"""Write the seed corpus of qs-fuzz-virtio-gpu into fuzz/corpus/.

Each seed is: one config byte, then records [op u8][len u16 le][bytes]
(see fuzz_virtio_gpu.c). Commands are little-endian virtio-gpu wire
structs (virtio v1.2, 5.7.6.7-5.7.6.9). Run from anywhere:
    python3 native/emu/fuzz/gen_seeds.py
"""
import os
import struct

CREATE_BLOB, MAP_BLOB, UNMAP_BLOB, UNREF = 0x010C, 0x0208, 0x0209, 0x0102
FLAG_FENCE = 1
MEM_GUEST, MEM_HOST3D = 1, 2
MAPPABLE = 1


def hdr(type_, flags=0, fence=0, ctx=0, ring=0):
    # struct virtio_gpu_ctrl_hdr: le32 type, le32 flags, le64 fence_id,
    # le32 ctx_id, u8 ring_idx, u8 padding[3]  (24 bytes)
    return struct.pack("<IIQIB3x", type_, flags, fence, ctx, ring)


def create(rid, size, mem=MEM_HOST3D, flags=MAPPABLE, entries=()):
    body = struct.pack("<IIIIQQ", rid, mem, flags, len(entries), 0, size)
    ents = b"".join(struct.pack("<QII", a, l, 0) for a, l in entries)
    return hdr(CREATE_BLOB) + body + ents  # 56 + 16 * n bytes


def map_(rid, offset, fence=0):
    return hdr(MAP_BLOB, FLAG_FENCE if fence else 0, fence) + struct.pack("<IIQ", rid, 0, offset)


def unmap(rid):
    return hdr(UNMAP_BLOB) + struct.pack("<II", rid, 0)


def unref(rid):
    return hdr(UNREF) + struct.pack("<II", rid, 0)


def rec(op, payload=b""):
    return struct.pack("<BH", op, len(payload)) + payload


SUBMIT, SUBMIT_RING, POLL, SECTION = 0, 1, 2, 3

seeds = {
    "lifecycle": bytes([1]) + rec(SUBMIT, create(1, 0x10000)) + rec(SUBMIT, map_(1, 0))
    + rec(SUBMIT, unmap(1)) + rec(SUBMIT, unref(1)),
    "queued_behind_unmap": bytes([0]) + rec(SUBMIT, create(1, 0x10000))
    + rec(SUBMIT, create(2, 0x2000)) + rec(SUBMIT, map_(1, 0x1000))
    + rec(SUBMIT_RING, unmap(1)) + rec(SUBMIT_RING, map_(2, 0x1000, fence=7))
    + rec(SUBMIT_RING, unref(1)) + rec(POLL) + rec(SUBMIT_RING, unmap(2)) + rec(POLL),
    "guest_blob": bytes([2]) + rec(SUBMIT, create(3, 0x3000, MEM_GUEST, MAPPABLE,
                                                  [(0x100000, 0x1000), (0x200000, 0x2000)]))
    + rec(SUBMIT, map_(3, 0xF0000)) + rec(SUBMIT, unmap(3)) + rec(SUBMIT, unref(3)),
    "errors": bytes([3]) + rec(SUBMIT, hdr(0x4242)) + rec(SUBMIT, b"\x02\x01")
    + rec(SUBMIT, create(0, 0x1000)) + rec(SUBMIT, map_(9, 0)) + rec(SUBMIT, create(1, 0x1000))
    + rec(SUBMIT, map_(1, 0xFFFFF)) + rec(SUBMIT, unref(1)) + rec(SUBMIT, unmap(1)),
    "section": bytes([1]) + rec(SUBMIT, create(1, 0x1000)) + rec(SECTION)
    + rec(SUBMIT, map_(1, 0)) + rec(SECTION) + rec(SUBMIT, map_(1, 0))
    + rec(SUBMIT_RING, unmap(1)) + rec(POLL),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(out, exist_ok=True)
for name, data in sorted(seeds.items()):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    print(f"{name}: {len(data)} bytes")
