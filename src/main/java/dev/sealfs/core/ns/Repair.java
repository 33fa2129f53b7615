package dev.sealfs.core.ns;

import dev.sealfs.core.Caller;
import dev.sealfs.core.Limits;
import dev.sealfs.core.inode.Inode;
import dev.sealfs.core.inode.Metadata;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * fsck's repair of the namespace: drops entries naming missing inodes, links unreachable inodes
 * into /lost+found, and sets every link count to what the entries say. Runs on a freshly
 * mounted filesystem under the facade's exclusive lock.
 */
public final class Repair {
  private Repair() {}

  /** Repairs the names of {@code meta} through {@code ns}. */
  public static void repairNames(Metadata meta, Namespace ns) {
    long t = Limits.nowNs();
    Map<Long, Long> refs = new HashMap<>();
    for (Inode d : new ArrayList<>(meta.inodes.values())) {
      if (!d.isDir()) {
        continue;
      }
      for (Map.Entry<String, Long> e : new ArrayList<>(d.entries.entrySet())) {
        if (meta.get(e.getValue()) == null) {
          meta.removeEntry(d, e.getKey());
          touch(meta, d, t);
        } else {
          refs.merge(e.getValue(), 1L, Long::sum);
        }
      }
    }
    List<Inode> lost = new ArrayList<>();
    for (Inode i : meta.inodes.values()) {
      if (i.ino != Metadata.ROOT_INO && refs.getOrDefault(i.ino, 0L) == 0 && i.nlink > 0) {
        lost.add(i);
      }
    }
    if (!lost.isEmpty()) {
      Namespace.Parent lf = new Namespace.Parent(meta.get(Metadata.ROOT_INO), "lost+found");
      Inode dir = ns.child(lf);
      if (dir == null) {
        dir = ns.createNode(lf, Inode.S_IFDIR | 0700, 0, Caller.ROOT);
      }
      for (Inode i : lost) {
        meta.addEntry(dir, "#" + i.ino, i);
        touch(meta, dir, t);
      }
    }
    fixLinkCounts(meta, t);
    meta.relinkParents();
  }

  private static void touch(Metadata meta, Inode dir, long t) {
    dir.mtimeNs = t;
    dir.ctimeNs = t;
    meta.markDirty(dir);
  }

  private static void fixLinkCounts(Metadata meta, long t) {
    Map<Long, Long> names = new HashMap<>();
    Map<Long, Long> subdirs = new HashMap<>();
    for (Inode d : meta.inodes.values()) {
      if (d.isDir()) {
        for (Long c : d.entries.values()) {
          names.merge(c, 1L, Long::sum);
          Inode ci = meta.get(c);
          if (ci != null && ci.isDir()) {
            subdirs.merge(d.ino, 1L, Long::sum);
          }
        }
      }
    }
    for (Inode i : meta.inodes.values()) {
      long want = i.isDir() ? 2 + subdirs.getOrDefault(i.ino, 0L) : names.getOrDefault(i.ino, 0L);
      if (i.nlink != want && (i.ino == Metadata.ROOT_INO || names.containsKey(i.ino))) {
        i.nlink = want;
        i.ctimeNs = t;
        meta.markDirty(i);
      }
    }
  }
}
