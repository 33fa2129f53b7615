#!/usr/bin/env python3
"""Metadata-heavy workload for the crash cases, and the checks run after recovery.

  crashload.py run MNT ROOT LOG SEED ID_BASE [share]
      Creates MNT/ROOT (ROOT: a fresh directory name) and runs create/write/truncate/rename/link/
      unlink/mkdir/rmdir/xattr operations in a tree below it until an operation fails (the daemon
      was killed). At random points it fsyncs a file and then every directory from its parent up
      to ROOT's parent. LOG (outside the mount) gets one JSON line per event, written before the
      next operation starts:
        {"e":"mut", "paths":[...], "inos":[...]}   before every change (what it may touch)
        {"e":"sync", "path":P, "ino":I, "sha":H, "size":N, "xattrs":{...}}  after a successful
                                                    fsync of the file and its directories
      Paths are relative to the mount root. Exit 2 when an operation fails with ENOTCONN, ECANCELED,
      ECONNABORTED or EIO (the daemon is gone), 3 on any other error.
      With "share" (SPEC 11, shared extents) it also copies whole files to new names with
      `cp --reflink=auto` or copy_file_range(2) (sealfs shares their aligned blocks), after an
      fsync of the source; fsyncs each copy and its directories, requires it to read as the
      source did at copy time, and logs it as a sync record with "copy_sha" (that sha); and it
      writes into files that share blocks (copy-on-write), fsyncing half of them. A copy keeps
      its source's data tags (its writes too), so `tags` still holds. The stop message then
      counts the copies and how many of them shared blocks (user.sealfs.layout).
  crashload.py check MNT LOG
      Every file whose last logged change before the kill was followed by a sync record must be
      at that path with exactly the logged size, sha256 and user.* xattrs. Conservative: a sync
      record counts only if no later "mut" names its path, a directory above it, or its inode.
      Prints "checked N files", with "(M copies)" when the log has copies.
  crashload.py tags DIR
      Every regular file below DIR holds only zero 16-byte units or units tagged with one single
      file id and their own unit index (so no file shows another file's data or misplaced
      blocks). Prints "tagged N files".
"""
import errno
import hashlib
import json
import os
import random
import struct
import subprocess
import sys

MAGIC = b"sfT1"
UNIT = 16
GONE = (errno.ENOTCONN, errno.ECONNABORTED, errno.ECANCELED, errno.EIO)  # ECANCELED: io_uring


def tagged(ino, gen, off, length):
  """Returns LENGTH bytes of file data for file id INO at byte offset OFF (16-aligned)."""
  first = off // UNIT
  return b"".join(struct.pack("<4sIII", MAGIC, ino, gen, first + k) for k in range(length // UNIT))


def sha_of(path):
  h = hashlib.sha256()
  with open(path, "rb") as f:
    while True:
      b = f.read(1 << 20)
      if not b:
        return h.hexdigest()
      h.update(b)


class Wrong(Exception):
  """The mount answered without an error but not as it should (exit 3)."""


def xattrs_of(path):
  return {k: os.getxattr(path, k).hex() for k in sorted(os.listxattr(path)) if k.startswith("user.k")}


class Load:
  """The workload and its model of the tree (files: rel path -> id, dirs: rel paths)."""

  def __init__(self, mnt, root, log, seed, id_base, share=False):
    self.mnt = mnt
    self.share = share
    self.root = root
    self.rnd = random.Random(seed)
    self.log = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    self.next_id = id_base
    self.gen = 0
    self.files = {}
    self.frozen = {}
    self.dirs = [root]
    self.ops = 0
    self.syncs = 0
    self.tag = {}          # file id -> the id its data is tagged with (a copy's: its source's)
    self.sharers = set()   # ids of files that were copied or are copies
    self.copies = 0
    self.shared_copies = 0

  def emit(self, rec):
    os.write(self.log, (json.dumps(rec, sort_keys=True) + "\n").encode())

  def mut(self, paths, inos):
    self.emit({"e": "mut", "paths": paths, "inos": [i for i in inos if i is not None]})

  def abs(self, rel):
    return os.path.join(self.mnt, rel)

  def new_name(self, prefix):
    return os.path.join(self.rnd.choice(self.dirs), "%s%d" % (prefix, self.rnd.randrange(60)))

  def exists(self, rel):
    return rel in self.files or rel in self.frozen or rel in self.dirs

  def write_at(self, rel, off, length):
    self.gen += 1
    fd = os.open(self.abs(rel), os.O_WRONLY)
    try:
      ino = self.files[rel]
      os.pwrite(fd, tagged(self.tag.get(ino, ino), self.gen, off, length), off)
    finally:
      os.close(fd)

  def size_of(self, rel):
    return os.stat(self.abs(rel)).st_size

  # ---- operations -------------------------------------------------------------------------

  def op_create(self):
    rel = self.new_name("f")
    if self.exists(rel):
      return
    ino = self.next_id
    self.next_id += 1
    self.mut([rel], [ino])
    fd = os.open(self.abs(rel), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.close(fd)
    self.files[rel] = ino
    n = self.rnd.randrange(0, 4096) * UNIT
    if n:
      self.write_at(rel, 0, n)

  def pick_file(self):
    return self.rnd.choice(sorted(self.files)) if self.files else None

  def op_write(self):
    rel = self.pick_file()
    if rel is None:
      return
    size = self.size_of(rel)
    off = self.rnd.randrange(0, size // UNIT + 64) * UNIT
    length = self.rnd.randrange(1, 2048) * UNIT
    if off + length > 131072:
      return
    self.mut([rel], [self.files[rel]])
    self.write_at(rel, off, length)

  def op_truncate(self):
    rel = self.pick_file()
    if rel is None:
      return
    size = self.size_of(rel)
    new = self.rnd.randrange(0, size // UNIT + 256) * UNIT
    self.mut([rel], [self.files[rel]])
    os.truncate(self.abs(rel), min(new, 131072))

  def op_rename(self):
    rel = self.pick_file()
    if rel is None:
      return
    dst = self.new_name("f")
    if dst in self.dirs or dst in self.frozen or self.files.get(dst) == self.files[rel]:
      return
    self.mut([rel, dst], [self.files[rel], self.files.get(dst)])
    os.rename(self.abs(rel), self.abs(dst))
    self.files[dst] = self.files.pop(rel)

  def op_link(self):
    rel = self.pick_file()
    if rel is None:
      return
    dst = self.new_name("f")
    if self.exists(dst):
      return
    self.mut([rel, dst], [self.files[rel]])
    os.link(self.abs(rel), self.abs(dst))
    self.files[dst] = self.files[rel]

  def op_unlink(self):
    rel = self.pick_file()
    if rel is None:
      return
    self.mut([rel], [self.files[rel]])
    os.unlink(self.abs(rel))
    del self.files[rel]

  def op_mkdir(self):
    rel = self.new_name("d")
    if self.exists(rel) or rel.count("/") > 4:
      return
    self.mut([rel], [])
    os.mkdir(self.abs(rel))
    self.dirs.append(rel)

  def op_rmdir(self):
    empty = [d for d in self.dirs[1:]
             if not any(p.startswith(d + "/")
                        for p in list(self.files) + list(self.frozen) + self.dirs)]
    if not empty:
      return
    rel = self.rnd.choice(sorted(empty))
    self.mut([rel], [])
    os.rmdir(self.abs(rel))
    self.dirs.remove(rel)

  def op_rename_dir(self):
    if len(self.dirs) < 2:
      return
    rel = self.rnd.choice(sorted(self.dirs[1:]))
    dst = self.new_name("d")
    if self.exists(dst) or dst == rel or dst.startswith(rel + "/") or dst.count("/") > 4:
      return
    moved = [(m, p) for m in (self.files, self.frozen) for p in m if p.startswith(rel + "/")]
    self.mut([rel, dst], [m[p] for m, p in moved])
    os.rename(self.abs(rel), self.abs(dst))
    for m, p in moved:
      m[dst + p[len(rel):]] = m.pop(p)
    self.dirs = [dst + d[len(rel):] if d == rel or d.startswith(rel + "/") else d
                 for d in self.dirs]

  def op_xattr(self):
    rel = self.pick_file()
    if rel is None:
      return
    name = "user.k%d" % self.rnd.randrange(4)
    self.mut([rel], [self.files[rel]])
    if self.rnd.random() < 0.3:
      try:
        os.removexattr(self.abs(rel), name)
      except OSError as e:
        if e.errno != errno.ENODATA:
          raise
    else:
      os.setxattr(self.abs(rel), name, os.urandom(self.rnd.randrange(1, 200)))

  def op_sync(self):
    rel = self.pick_file()
    if rel is None:
      return
    self.sync_file(rel)

  def fsync_chain(self, rel):
    """fsyncs the file REL and then every directory from its parent up to the mount root."""
    fd = os.open(self.abs(rel), os.O_RDONLY)
    try:
      os.fsync(fd)
    finally:
      os.close(fd)
    chain = [os.path.dirname(rel)]
    while chain[-1] != self.root:
      chain.append(os.path.dirname(chain[-1]))
    for d in chain + [""]:
      dfd = os.open(self.abs(d) if d else self.mnt, os.O_RDONLY | os.O_DIRECTORY)
      try:
        os.fsync(dfd)
      finally:
        os.close(dfd)

  def sync_file(self, rel, extra=None):
    """fsyncs REL and its directories and logs the sync record (plus EXTRA's fields)."""
    self.fsync_chain(rel)
    self.syncs += 1
    rec = {"e": "sync", "path": rel, "ino": self.files[rel], "sha": sha_of(self.abs(rel)),
           "size": self.size_of(rel), "xattrs": xattrs_of(self.abs(rel))}
    if extra:
      if rec["sha"] != extra["copy_sha"]:
        raise Wrong("%s reads as sha %s after fsync, its source read as %s when copied"
                    % (rel, rec["sha"][:12], extra["copy_sha"][:12]))
      rec.update(extra)
    self.emit(rec)
    # Half of the fsync'd files are left alone from now on (only a directory rename above them
    # may still move them), so the check after the crash has files to compare.
    if self.rnd.random() < 0.5 and self.files[rel] not in [i for p, i in self.files.items()
                                                             if p != rel]:
      self.frozen[rel] = self.files.pop(rel)

  # ---- shared extents (SPEC 11) ------------------------------------------------------------

  def copy_range(self, src, dst):
    """Copies SRC to a new DST with copy_file_range(2), looping on short counts."""
    i = os.open(self.abs(src), os.O_RDONLY)
    try:
      o = os.open(self.abs(dst), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
      try:
        size = os.fstat(i).st_size
        done = 0
        while done < size:
          n = os.copy_file_range(i, o, size - done, done, done)
          if n == 0:
            raise Wrong("copy_file_range of %s stopped at %d of %d bytes" % (src, done, size))
          done += n
      finally:
        os.close(o)
    finally:
      os.close(i)

  def op_copy(self):
    """Copies a whole fsync'd file to a new name; the copy, fsync'd, must read as the source."""
    pool = sorted(self.files) + sorted(self.frozen)
    if not pool:
      return
    src = self.rnd.choice(pool)
    sid = self.files[src] if src in self.files else self.frozen[src]
    dst = self.new_name("c")
    if self.exists(dst):
      return
    ino = self.next_id
    self.next_id += 1
    self.mut([dst], [ino])
    fd = os.open(self.abs(src), os.O_RDONLY)
    try:
      os.fsync(fd)
    finally:
      os.close(fd)
    want = sha_of(self.abs(src))
    if self.rnd.random() < 0.5:
      cp = subprocess.run(["cp", "--reflink=auto", self.abs(src), self.abs(dst)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
      if cp.returncode != 0:
        # cp names no errno: copy again by hand, which raises the mount's error if it is gone
        self.copy_range(src, dst)
        self.fsync_chain(dst)
        raise Wrong("cp %s %s failed on a working mount: %s"
                    % (src, dst, cp.stderr.decode(errors="replace").strip()))
    else:
      self.copy_range(src, dst)
    self.files[dst] = ino
    self.tag[ino] = self.tag.get(sid, sid)
    self.sharers.update((sid, ino))
    self.copies += 1
    layout = os.getxattr(self.abs(dst), "user.sealfs.layout").decode()
    if any(line.split()[-1:] == ["shared"] for line in layout.splitlines()):
      self.shared_copies += 1
    self.sync_file(dst, {"copy_of": src, "copy_sha": want})

  def op_cow(self):
    """Writes into a file that shares blocks (a copy or a copied file); fsyncs half of them."""
    live = sorted(p for p, i in self.files.items() if i in self.sharers)
    if not live:
      return
    rel = self.rnd.choice(live)
    size = self.size_of(rel)
    off = self.rnd.randrange(0, size // 4096 + 1) * 4096 + self.rnd.choice((0, 0, 1000)) * UNIT
    length = self.rnd.choice((UNIT, 4096, 8192, self.rnd.randrange(1, 1024) * UNIT))
    if off + length > 131072:
      return
    self.mut([rel], [self.files[rel]])
    self.write_at(rel, off, length)
    if self.rnd.random() < 0.5:
      self.sync_file(rel)

  def run(self):
    os.mkdir(self.abs(self.root))
    dfd = os.open(self.mnt, os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(dfd)
    os.close(dfd)
    self.emit({"e": "ready"})
    print("ready", flush=True)
    ops = [(self.op_create, 14), (self.op_write, 14), (self.op_truncate, 5),
           (self.op_rename, 8), (self.op_link, 4), (self.op_unlink, 6), (self.op_mkdir, 4),
           (self.op_rmdir, 2), (self.op_rename_dir, 2), (self.op_xattr, 8), (self.op_sync, 6)]
    if self.share:
      ops += [(self.op_copy, 10), (self.op_cow, 12)]
    funcs = [f for f, _ in ops]
    weights = [w for _, w in ops]
    while True:
      f = self.rnd.choices(funcs, weights)[0]
      f()
      self.ops += 1


def cmd_run(mnt, root, log, seed, id_base, mode=None):
  load = Load(mnt, root, log, int(seed), int(id_base), mode == "share")
  try:
    load.run()
  except (OSError, Wrong) as e:
    code = 2 if isinstance(e, OSError) and e.errno in GONE else 3
    what = errno.errorcode.get(e.errno, str(e.errno)) if code == 2 else str(e)
    copies = ", %d copies (%d sharing blocks)" % (load.copies, load.shared_copies) \
        if load.share else ""
    print("workload: stopped after %d ops, %d fsync points%s: %s"
          % (load.ops, load.syncs, copies, what), file=sys.stderr)
    sys.exit(code)


def cmd_check(mnt, log):
  recs = []
  with open(log) as f:
    for line in f:
      try:
        recs.append(json.loads(line))
      except ValueError:
        pass  # a line cut by the end of the workload
  # Walk backwards, remembering every path and inode a later "mut" may have touched.
  touched_paths = set()
  touched_inos = set()
  want = {}
  for r in reversed(recs):
    if r["e"] == "mut":
      touched_paths.update(r["paths"])
      touched_inos.update(r["inos"])
    elif r["e"] == "sync":
      p = r["path"]
      parts = p.split("/")
      above = {"/".join(parts[:k]) for k in range(1, len(parts) + 1)}
      if r["ino"] in touched_inos or above & touched_paths or p in want:
        continue
      want[p] = r
  bad = []
  copies = sum(1 for r in recs if r["e"] == "sync" and "copy_sha" in r)
  copies_checked = 0
  for p, r in sorted(want.items()):
    path = os.path.join(mnt, p)
    if not os.path.isfile(path) or os.path.islink(path):
      bad.append("%s: missing (fsync'd with size %d)" % (p, r["size"]))
      continue
    size = os.stat(path).st_size
    sha = sha_of(path)
    xa = xattrs_of(path)
    if size != r["size"] or sha != r["sha"]:
      what = " (a copy of %s)" % r["copy_of"] if "copy_sha" in r else ""
      bad.append("%s%s: size %d sha %s, fsync'd size %d sha %s" % (p, what, size, sha[:12],
                                                                 r["size"], r["sha"][:12]))
    elif "copy_sha" in r:
      copies_checked += 1
    if xa != r["xattrs"]:
      bad.append("%s: xattrs %s, fsync'd %s" % (p, sorted(xa), sorted(r["xattrs"])))
  for b in bad:
    print("LOST: " + b, file=sys.stderr)
  print("checked %d files%s" % (len(want), " (%d copies)" % copies_checked if copies else ""))
  sys.exit(1 if bad else 0)


def cmd_tags(top):
  n = 0
  bad = []
  for d, _, names in os.walk(top):
    for name in names:
      path = os.path.join(d, name)
      if os.path.islink(path) or not os.path.isfile(path):
        continue
      with open(path, "rb") as f:
        data = f.read()
      n += 1
      if len(data) % UNIT:
        bad.append("%s: size %d is not a multiple of %d" % (path, len(data), UNIT))
        continue
      owner = None
      for k in range(len(data) // UNIT):
        u = data[k * UNIT:(k + 1) * UNIT]
        if u == bytes(UNIT):
          continue
        magic, ino, _, idx = struct.unpack("<4sIII", u)
        if magic != MAGIC or idx != k or (owner is not None and ino != owner):
          bad.append("%s: unit %d (offset %d) holds %r, file id %s" % (path, k, k * UNIT, u,
                                                                       owner))
          break
        owner = ino
  for b in bad:
    print("FOREIGN DATA: " + b, file=sys.stderr)
  print("tagged %d files" % n)
  sys.exit(1 if bad else 0)


def main(argv):
  if len(argv) >= 2 and argv[1] == "run" and (len(argv) == 7
                                               or len(argv) == 8 and argv[7] == "share"):
    cmd_run(*argv[2:])
  elif len(argv) == 4 and argv[1] == "check":
    cmd_check(argv[2], argv[3])
  elif len(argv) == 3 and argv[1] == "tags":
    cmd_tags(argv[2])
  else:
    sys.exit(__doc__)


if __name__ == "__main__":
  main(sys.argv)
