package dev.sealfs.fuse;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * A one-file filesystem for lifecycle tests (no sealfs core): "/" plus at most one file "/f".
 * Records the path every handle-based op arrived with, to check flag_nullpath_ok.
 */
public final class TinyFs extends FuseStubFS {
  /** The file handle handed out for "/f". */
  static final long FH = 7;

  /** "op path" for each handle-based call, path "null" when libfuse passed none. */
  final List<String> calls = new CopyOnWriteArrayList<>();
  /** Whether "/f" has a name. */
  private volatile boolean linked;
  /** Size of "/f". */
  private volatile long size;

  /** Creates the filesystem with the same operation flags as SealFuse. */
  public TinyFs() {
    SealFuse.setOperationFlags(fuseOperations,
        SealFuse.FLAG_NULLPATH_OK | SealFuse.FLAG_UTIME_OMIT_OK);
  }

  /** Runs fuse_main_real. */
  int fuseMain(String[] args) {
    return libFuse.fuse_main_real(args.length, args, fuseOperations, Struct.size(fuseOperations),
        null);
  }

  @Override
  public void umount() {}

  @Override
  public int getattr(String path, FileStat stat) {
    if ("/".equals(path)) {
      stat.st_mode.set(FileStat.S_IFDIR | 0755);
      stat.st_nlink.set(2);
      stat.st_ino.set(1);
      return 0;
    }
    if ("/f".equals(path) && linked) {
      fill(stat);
      return 0;
    }
    return -2;
  }

  @Override
  public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
    calls.add("fgetattr " + path + " fh=" + fi.fh.get());
    fill(stat);
    return 0;
  }

  @Override
  public int create(String path, long mode, FuseFileInfo fi) {
    linked = true;
    fi.fh.set(FH);
    return 0;
  }

  @Override
  public int open(String path, FuseFileInfo fi) {
    fi.fh.set(FH);
    return 0;
  }

  @Override
  public int write(String path, Pointer buf, long n, long offset, FuseFileInfo fi) {
    calls.add("write " + path + " fh=" + fi.fh.get());
    size = Math.max(size, offset + n);
    return (int) n;
  }

  @Override
  public int unlink(String path) {
    linked = false;
    return 0;
  }

  @Override
  public int release(String path, FuseFileInfo fi) {
    calls.add("release " + path + " fh=" + fi.fh.get());
    return 0;
  }

  @Override
  public int ioctl(String path, int cmd, Pointer arg, FuseFileInfo fi, long flags,
      Pointer data) {
    calls.add("ioctl " + path + " fh=" + fi.fh.get() + " cmd=" + Integer.toHexString(cmd));
    if (cmd != IoctlCodec.STATUS) {
      return -25;
    }
    data.putInt(0, 1);
    data.putLong(24, size);
    return 0;
  }

  @Override
  public int readdir(String path, Pointer buf, FuseFillDir filter, long offset,
      FuseFileInfo fi) {
    filter.apply(buf, ".", null, 0);
    filter.apply(buf, "..", null, 0);
    return 0;
  }

  /** Fills the attributes of "/f". */
  private void fill(FileStat stat) {
    stat.st_mode.set(FileStat.S_IFREG | 0644);
    stat.st_nlink.set(linked ? 1 : 0);
    stat.st_ino.set(2);
    stat.st_size.set(size);
  }

  /**
   * Mounts a TinyFs at args[0] until unmounted or killed: raw fuse_main_real (stale-mount test),
   * or with "--managed" through FuseMount with its shutdown hook (signal test), printing
   * "mounted" once live and "closed" when FuseMount closes the filesystem.
   */
  public static void main(String[] args) throws Exception {
    Path mnt = Paths.get(args[0]);
    TinyFs fs = new TinyFs();
    String[] argv = FuseMount.fuseArgs(mnt, Paths.get("/tiny"), List.of(), false);
    if (args.length < 2) {
      fs.fuseMain(argv);
      return;
    }
    FuseMount m = new FuseMount(fs::fuseMain, () -> System.out.println("closed"), mnt, argv,
        null);
    m.start();
    System.out.println("mounted");
    m.awaitExit();
    m.close();
  }
}
