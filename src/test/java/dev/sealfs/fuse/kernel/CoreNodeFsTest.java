package dev.sealfs.fuse.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sealfs.core.Caller;
import dev.sealfs.core.Errno;
import dev.sealfs.core.FsException;
import dev.sealfs.core.Mkfs;
import dev.sealfs.core.SealFs;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node table of {@link CoreNodeFs} over a real image: counts, renames, unlinks, seeks. */
final class CoreNodeFsTest {

  private static final Caller ME = Caller.ROOT;
  private static final int O_RDWR = 2;
  private static final int S_IFREG = 0100000;

  @TempDir Path dir;

  private SealFs newFs() {
    Path img = dir.resolve("img");
    Mkfs.run(img, 64L << 20, 4096, true, false);
    return SealFs.open(img, false);
  }

  /** Creates and opens regular file {@code name} in {@code dir} for reading and writing. */
  private static NodeFs.Created newFile(NodeFs fs, long dir, String name) {
    return fs.create(dir, name, S_IFREG | 0644, O_RDWR, ME);
  }

  private static void write(NodeFs fs, long fh, byte[] b, long off) {
    assertEquals(b.length, fs.write(fh, ByteBuffer.wrap(b), off, () -> ME));
  }

  /** Node ids are inode numbers; an unlinked inode lives until the kernel forgets it. */
  @Test
  void lookupCountsAndForget() {
    try (SealFs core = newFs()) {
      CoreNodeFs fs = new CoreNodeFs(core);
      NodeFs.Entry f = fs.mknod(NodeFs.ROOT, "f", S_IFREG | 0644, 0, ME);
      assertEquals(f.stat().ino(), f.nodeId());
      assertEquals(f.nodeId(), fs.lookup(NodeFs.ROOT, "f").nodeId());
      NodeFs.Entry l = fs.link(f.nodeId(), NodeFs.ROOT, "g");
      assertEquals(f.nodeId(), l.nodeId(), "a hard link is the same node");
      fs.unlink(NodeFs.ROOT, "f");
      fs.unlink(NodeFs.ROOT, "g");
      fs.forget(f.nodeId(), 2);
      assertEquals(0, fs.getattr(f.nodeId(), -1).nlink(), "one lookup still holds the inode");
      fs.forget(f.nodeId(), 1);
      assertEquals(Errno.ENOENT, assertThrows(FsException.class,
          () -> fs.getattr(f.nodeId(), -1)).errno());
      NodeFs.Entry again = fs.mknod(NodeFs.ROOT, "f", S_IFREG | 0644, 0, ME);
      assertNotEquals(f.nodeId(), again.nodeId(), "node ids are not reused");
    }
  }

  /** Renaming a directory moves the paths of the nodes below it; rename over detaches. */
  @Test
  void renameMovesChildrenAndDetachesTheVictim() {
    try (SealFs core = newFs()) {
      CoreNodeFs fs = new CoreNodeFs(core);
      NodeFs.Entry a = fs.mkdir(NodeFs.ROOT, "a", 0755, ME);
      NodeFs.Created f = newFile(fs, a.nodeId(), "f");
      write(fs, f.fh(), new byte[] {1, 2, 3}, 0);
      fs.rename(NodeFs.ROOT, "a", NodeFs.ROOT, "b", 0);
      assertEquals(3, fs.getattr(f.entry().nodeId(), -1).size(), "child found under the new name");
      NodeFs.Created g = newFile(fs, NodeFs.ROOT, "g");
      assertEquals(Errno.EEXIST, assertThrows(FsException.class,
          () -> fs.rename(a.nodeId(), "f", NodeFs.ROOT, "g", 1)).errno(), "RENAME_NOREPLACE");
      fs.rename(a.nodeId(), "f", NodeFs.ROOT, "g", 0);
      assertEquals(0, fs.getattr(g.entry().nodeId(), g.fh()).size(),
          "the replaced (empty) file is reached through its handle");
      assertEquals(3, fs.lookup(NodeFs.ROOT, "g").stat().size());
      fs.release(g.fh());
      fs.release(f.fh());
    }
  }

  /** An unlinked file keeps answering GETATTR through its open handle. */
  @Test
  void unlinkedButOpen() {
    try (SealFs core = newFs()) {
      CoreNodeFs fs = new CoreNodeFs(core);
      NodeFs.Created f = newFile(fs, NodeFs.ROOT, "f");
      write(fs, f.fh(), new byte[10], 0);
      fs.unlink(NodeFs.ROOT, "f");
      assertEquals(10, fs.getattr(f.entry().nodeId(), -1).size());
      assertEquals(0, fs.getattr(f.entry().nodeId(), -1).nlink());
      fs.release(f.fh());
    }
  }

  /** SEEK_DATA/SEEK_HOLE follow the written extents; -1 stands for ENXIO. */
  @Test
  void seekDataAndHole() {
    try (SealFs core = newFs()) {
      CoreNodeFs fs = new CoreNodeFs(core);
      NodeFs.Created f = newFile(fs, NodeFs.ROOT, "f");
      write(fs, f.fh(), new byte[4096], 8192);
      fs.setattr(f.entry().nodeId(), new NodeFs.SetAttrIn(FuseAbi.FATTR_SIZE | FuseAbi.FATTR_FH,
          f.fh(), 65536, 0, 0, 0, 0, 0), ME);
      int data = NodeFs.SEEK_DATA;
      int hole = NodeFs.SEEK_HOLE;
      assertEquals(8192, fs.seekDataHole(f.fh(), 0, data));
      assertEquals(0, fs.seekDataHole(f.fh(), 0, hole));
      assertEquals(12288, fs.seekDataHole(f.fh(), 8192, hole));
      assertEquals(-1, fs.seekDataHole(f.fh(), 12288, data));
      assertEquals(-1, fs.seekDataHole(f.fh(), 65536, hole));
      fs.release(f.fh());
    }
  }

  /** copy_file_range copies inside the core, and into a sealed file copies nothing. */
  @Test
  void copyRangeRefusesSealedDestination() {
    try (SealFs core = newFs()) {
      CoreNodeFs fs = new CoreNodeFs(core);
      NodeFs.Created src = newFile(fs, NodeFs.ROOT, "s");
      NodeFs.Created dst = newFile(fs, NodeFs.ROOT, "d");
      byte[] pat = new byte[10000];
      for (int i = 0; i < pat.length; i++) {
        pat[i] = (byte) i;
      }
      write(fs, src.fh(), pat, 0);
      assertEquals(10000, fs.copyRange(src.fh(), 0, dst.fh(), 100, 10000, () -> ME));
      ByteBuffer back = ByteBuffer.allocate(10000);
      assertEquals(10000, fs.read(dst.fh(), back, 100));
      assertArrayEquals(pat, back.array());
      core.seal(dst.fh(), 0, 0, 0, new long[3], ME);
      assertEquals(Errno.ETXTBSY, assertThrows(FsException.class,
          () -> fs.copyRange(src.fh(), 0, dst.fh(), 0, 4096, () -> ME)).errno());
      assertEquals(10100, fs.getattr(dst.entry().nodeId(), dst.fh()).size());
      fs.release(src.fh());
      fs.release(dst.fh());
    }
  }

  /** open(O_TRUNC) truncates before it opens, so a seal_on_open seal does not refuse it. */
  @Test
  void openTruncWithSealOnOpen() {
    try (SealFs core = newFs()) {
      CoreNodeFs fs = new CoreNodeFs(core);
      NodeFs.Created f = newFile(fs, NodeFs.ROOT, "f");
      write(fs, f.fh(), new byte[8192], 0);
      fs.release(f.fh());
      fs.setxattr(f.entry().nodeId(), SealFs.SEAL_ON_OPEN, "strict".getBytes(), 0);
      long fh = fs.open(f.entry().nodeId(), O_RDWR | 01000, ME);
      assertEquals(0, fs.getattr(f.entry().nodeId(), fh).size());
      assertEquals(true, core.sealStatus(fh).heldByMe(), "sealed on open");
      fs.release(fh);
    }
  }
}
