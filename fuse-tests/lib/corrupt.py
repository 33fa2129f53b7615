#!/usr/bin/env python3
"""Damages a sealfs image in known places (for fsck-corrupt.sh). Little-endian, layout from
docs/design.md and the Superblock/Journal class comments.

  corrupt.py info IMG            prints "key=value" lines: block_size, journal_start,
                                 journal_blocks, data_start, newest (slot), seq, journal_seq,
                                 checkpoint_block (first block of the newest checkpoint)
  corrupt.py records IMG         prints "offset seq type length" for every valid journal record
                                 after the newest checkpoint (offset in bytes into the image)
  corrupt.py flip IMG OFFSET [N] inverts N (default 8) bytes at byte OFFSET
  corrupt.py crcfix-record IMG OFFSET  recomputes the CRC32C of the journal record at OFFSET
  corrupt.py set-sb IMG FIELD VALUE    sets a u64/u32 superblock field in both copies and
                                 recomputes their CRC32C (FIELD: total_blocks, journal_blocks,
                                 checkpoint_bytes, checkpoint_runs, run0_block, run0_count)
"""
import struct
import sys

JMAGIC = 0x4C4E524A


def crc32c(data, crc=0):
  table = crc32c.table
  if table is None:
    table = crc32c.table = []
    for i in range(256):
      c = i
      for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
      table.append(c)
  crc ^= 0xFFFFFFFF
  for b in data:
    crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
  return crc ^ 0xFFFFFFFF


crc32c.table = None


def superblocks(img):
  out = []
  with open(img, "rb") as f:
    head = f.read(1024)
    bs = struct.unpack_from("<I", head, 12)[0]
    if bs < 1024 or bs > 65536:
      bs = 4096
    f.seek(0)
    raw = f.read(2 * bs)
  for slot in (0, 1):
    s = raw[slot * bs:(slot + 1) * bs]
    if len(s) < bs or s[:8] != b"SEALFS01":
      continue
    if struct.unpack_from("<I", s, bs - 4)[0] != crc32c(s[:bs - 4]):
      continue
    _, _, bs2, total, js, jb, ds, db = struct.unpack_from("<QIIQQQQQ", s, 0)
    seq, jseq, ckbytes, _, nruns = struct.unpack_from("<QQQII", s, 88)
    first = struct.unpack_from("<Q", s, 256)[0] if nruns else -1
    out.append(dict(slot=slot, block_size=bs2, journal_start=js, journal_blocks=jb,
                    data_start=ds, seq=seq, journal_seq=jseq, checkpoint_block=first))
  return out


def newest(img):
  sbs = superblocks(img)
  if not sbs:
    sys.exit("no valid superblock")
  return max(sbs, key=lambda s: s["seq"])


def records(img):
  sb = newest(img)
  bs = sb["block_size"]
  start = sb["journal_start"] * bs
  with open(img, "rb") as f:
    f.seek(start)
    region = f.read(sb["journal_blocks"] * bs)
  pos, want, out = 0, sb["journal_seq"], []
  while pos + 24 <= len(region):
    magic, typ, _, length, seq = struct.unpack_from("<IHHIQ", region, pos)
    if magic != JMAGIC or seq != want or length > len(region) - pos - 24:
      break
    crc = struct.unpack_from("<I", region, pos + 20 + length)[0]
    if crc != crc32c(region[pos:pos + 20 + length]):
      break
    out.append((start + pos, seq, typ, length))
    pos += 24 + length
    want += 1
  return out


def main(argv):
  cmd = argv[1] if len(argv) > 1 else ""
  if cmd == "info" and len(argv) == 3:
    sb = newest(argv[2])
    sb["newest"] = sb.pop("slot")
    for k, v in sb.items():
      print("%s=%d" % (k, v))
  elif cmd == "records" and len(argv) == 3:
    for r in records(argv[2]):
      print("%d %d %d %d" % r)
  elif cmd == "flip" and len(argv) in (4, 5):
    off, n = int(argv[3]), int(argv[4]) if len(argv) == 5 else 8
    with open(argv[2], "r+b") as f:
      f.seek(off)
      b = f.read(n)
      f.seek(off)
      f.write(bytes(x ^ 0xFF for x in b))
  elif cmd == "crcfix-record" and len(argv) == 4:
    off = int(argv[3])
    with open(argv[2], "r+b") as f:
      f.seek(off)
      hdr = f.read(20)
      length = struct.unpack_from("<I", hdr, 8)[0]
      body = hdr + f.read(length)
      f.write(struct.pack("<I", crc32c(body)))
  elif cmd == "set-sb" and len(argv) == 5:
    fields = {"total_blocks": (16, "<Q"), "journal_blocks": (32, "<Q"),
              "checkpoint_bytes": (104, "<Q"), "checkpoint_runs": (116, "<I"),
              "run0_block": (256, "<Q"), "run0_count": (264, "<Q")}
    off, fmt = fields[argv[3]]
    bs = newest(argv[2])["block_size"]
    with open(argv[2], "r+b") as f:
      for slot in (0, 1):
        f.seek(slot * bs)
        b = bytearray(f.read(bs))
        struct.pack_into(fmt, b, off, int(argv[4], 0))
        struct.pack_into("<I", b, bs - 4, crc32c(bytes(b[:bs - 4])))
        f.seek(slot * bs)
        f.write(b)
  else:
    sys.exit(__doc__)


if __name__ == "__main__":
  main(sys.argv)
