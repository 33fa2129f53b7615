package dev.sealfs.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inode-addressed API and the FUSE lookup-count contract. */
class InodeApiTest {
  private static final Caller ME = new Caller(1000, 1000, 42);
  private static final long ROOT = SealFs.ROOT_INO;

  @TempDir Path dir;

  private SealFs mount() {
    Path img = dir.resolve("fs.img");
    Mkfs.run(img, 16L << 20, 4096, true, false);
    return SealFs.open(img, false);
  }

  private static Errno errno(Runnable r) {
    return assertThrows(FsException.class, r::run).errno();
  }

  @Test
  void rootIsInodeOneAndFindTakesNoReference() {
    try (SealFs fs = mount()) {
      assertEquals(1, ROOT);
      assertEquals(1, fs.getattr(ROOT).ino());
      Stat d = fs.mkdir(ROOT, "d", 0755, ME);
      assertEquals(d.ino(), fs.find(ROOT, "d"));
      assertEquals(ROOT, fs.find(d.ino(), ".."));
      assertEquals(0, fs.find(ROOT, "none"));
      assertEquals(Errno.ENOENT, errno(() -> fs.lookup(ROOT, "none")));
      assertEquals(Errno.ENOTDIR, errno(() -> fs.find(fs.create(d.ino(), "f", 0644, 2, ME)
          .attr().ino(), "x")));
      assertEquals(Errno.EINVAL, errno(() -> fs.mkdir(ROOT, "..", 0755, ME)));
      assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.mkdir(ROOT, "n".repeat(256), 0755, ME)));
    }
  }

  @Test
  void anUnlinkedInodeLivesWhileALookupReferenceIsLeft() {
    try (SealFs fs = mount()) {
      Created c = fs.create(ROOT, "f", 0644, 2, ME);
      assertEquals(4096, fs.write(c.fh(), ByteBuffer.wrap(new byte[4096]), 0));
      fs.release(c.fh());
      long ino = c.attr().ino();
      long freeBefore = fs.statfs().freeBlocks();
      Stat looked = fs.lookup(ROOT, "f");
      assertEquals(ino, looked.ino());
      fs.unlink(ROOT, "f");
      assertEquals(0, fs.getattr(ino).nlink());
      fs.forget(ino, 1);
      assertEquals(0, fs.getattr(ino).nlink());
      assertEquals(freeBefore, fs.statfs().freeBlocks());
      fs.forget(ino, 1);
      assertEquals(Errno.ENOENT, errno(() -> fs.getattr(ino)));
      assertEquals(freeBefore + 1, fs.statfs().freeBlocks());
      fs.forget(ino, 5);
    }
  }

  @Test
  void aRemovedDirectoryTakesNoNewNames() {
    try (SealFs fs = mount()) {
      Stat d = fs.mkdir(ROOT, "d", 0755, ME);
      fs.rmdir(ROOT, "d");
      assertEquals(0, fs.getattr(d.ino()).nlink());
      assertEquals(Errno.ENOENT, errno(() -> fs.mkdir(d.ino(), "x", 0755, ME)));
      assertEquals(2, fs.readdir(d.ino()).size());
      fs.forget(d.ino(), 1);
      assertEquals(Errno.ENOENT, errno(() -> fs.getattr(d.ino())));
    }
  }

  @Test
  void setattrAppliesSizeOwnerModeAndTimes() {
    try (SealFs fs = mount()) {
      Created c = fs.create(ROOT, "f", 04755, 2, ME);
      Stat st = fs.setattr(c.attr().ino(), 0,
          SetAttr.NONE.withSize(5000).withOwner(7, -1).withMode(0640).withTimes(1000, 2000),
          Caller.ROOT);
      assertEquals(5000, st.size());
      assertEquals(7, st.uid());
      assertEquals(0100640, st.mode());
      assertEquals(1000, st.atimeNs());
      assertEquals(2000, st.mtimeNs());
      fs.seal(c.fh(), SealFs.SEAL_ASIS, 0, 0, null, Caller.ROOT);
      assertEquals(Errno.ETXTBSY, errno(() -> fs.setattr(c.attr().ino(), c.fh(),
          SetAttr.NONE.withSize(1), Caller.ROOT)));
    }
  }
}
