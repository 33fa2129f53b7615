import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import jnr.constants.platform.Errno;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The benchmark floor: a minimal jnr-fuse passthrough of a host directory, built the way sealfs'
 * adapter is (libfuse 2.9 high-level API via fuse_main_real, -s, direct ByteBuffers over libfuse's
 * buffers, FileChannel positional I/O). Only what fio and the metadata loop need. No xattrs by
 * default: libfuse answers ENOSYS, and the kernel then stops asking for security.capability
 * before every write. With -Dpt.xattr=true getxattr is implemented (always ENODATA), as in any
 * filesystem that supports xattrs: the kernel then sends one GETXATTR per write.
 * Usage: java -cp sealfs.jar:. [-Dpt.xattr=true] Passthrough SRC_DIR MOUNTPOINT [fuse args...]
 */
public class Passthrough extends FuseStubFS {
  private final String root;
  private final POSIX posix = POSIXFactory.getNativePOSIX();
  private final Map<Long, FileChannel> open = new HashMap<>();
  private long nextFh = 1;

  Passthrough(String root) { this.root = root; }

  private String real(String p) { return root + p; }

  private static int err(IOException e) {
    if (e instanceof NoSuchFileException) return -Errno.ENOENT.intValue();
    if (e instanceof java.nio.file.FileAlreadyExistsException) return -Errno.EEXIST.intValue();
    if (e instanceof java.nio.file.DirectoryNotEmptyException) return -Errno.ENOTEMPTY.intValue();
    return -Errno.EIO.intValue();
  }

  @Override public int getattr(String path, FileStat st) {
    jnr.posix.FileStat s = posix.allocateStat();
    if (posix.lstat(real(path), s) < 0) return -posix.errno();
    st.st_mode.set(s.mode()); st.st_ino.set(s.ino()); st.st_nlink.set(s.nlink());
    st.st_uid.set(s.uid()); st.st_gid.set(s.gid()); st.st_size.set(s.st_size());
    st.st_blocks.set(s.blocks()); st.st_blksize.set(s.blockSize());
    st.st_atim.tv_sec.set(s.atime()); st.st_mtim.tv_sec.set(s.mtime());
    st.st_ctim.tv_sec.set(s.ctime());
    return 0;
  }

  @Override public int readdir(String path, Pointer buf, FuseFillDir filler, long off,
      FuseFileInfo fi) {
    filler.apply(buf, ".", null, 0);
    filler.apply(buf, "..", null, 0);
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of(real(path)))) {
      for (Path p : ds) filler.apply(buf, p.getFileName().toString(), null, 0);
      return 0;
    } catch (IOException e) { return err(e); }
  }

  private int openFile(String path, FuseFileInfo fi, boolean create) {
    int acc = fi.flags.get() & 3;
    Set<StandardOpenOption> o = EnumSet.noneOf(StandardOpenOption.class);
    if (acc != 1) o.add(StandardOpenOption.READ);
    if (acc != 0) o.add(StandardOpenOption.WRITE);
    if (create) o.add(StandardOpenOption.CREATE);
    if ((fi.flags.get() & 01000) != 0) o.add(StandardOpenOption.TRUNCATE_EXISTING);
    try {
      FileChannel ch = FileChannel.open(Path.of(real(path)), o);
      long fh = nextFh++;
      open.put(fh, ch);
      fi.fh.set(fh);
      return 0;
    } catch (IOException e) { return err(e); }
  }

  @Override public int open(String path, FuseFileInfo fi) { return openFile(path, fi, false); }

  @Override public int create(String path, long mode, FuseFileInfo fi) {
    int r = openFile(path, fi, true);
    if (r == 0) posix.chmod(real(path), (int) mode & 07777);
    return r;
  }

  private static ByteBuffer direct(Pointer p, long size) {
    return MemoryIO.getInstance().newDirectByteBuffer(p.address(), (int) size);
  }

  @Override public int read(String path, Pointer buf, long size, long off, FuseFileInfo fi) {
    try {
      ByteBuffer b = direct(buf, size);
      FileChannel ch = open.get(fi.fh.get());
      while (b.hasRemaining()) {
        int n = ch.read(b, off + b.position());
        if (n < 0) break;
      }
      return b.position();
    } catch (IOException e) { return err(e); }
  }

  @Override public int write(String path, Pointer buf, long size, long off, FuseFileInfo fi) {
    try {
      ByteBuffer b = direct(buf, size);
      FileChannel ch = open.get(fi.fh.get());
      while (b.hasRemaining()) ch.write(b, off + b.position());
      return (int) size;
    } catch (IOException e) { return err(e); }
  }

  @Override public int release(String path, FuseFileInfo fi) {
    FileChannel ch = open.remove(fi.fh.get());
    try { if (ch != null) ch.close(); return 0; } catch (IOException e) { return err(e); }
  }

  @Override public int fsync(String path, int datasync, FuseFileInfo fi) {
    try { open.get(fi.fh.get()).force(datasync == 0); return 0; }
    catch (IOException e) { return err(e); }
  }

  @Override public int truncate(String path, long size) {
    return posix.truncate(real(path), size) < 0 ? -posix.errno() : 0;
  }

  @Override public int ftruncate(String path, long size, FuseFileInfo fi) {
    try { open.get(fi.fh.get()).truncate(size); return 0; } catch (IOException e) { return err(e); }
  }

  @Override public int unlink(String path) {
    return posix.unlink(real(path)) < 0 ? -posix.errno() : 0;
  }

  @Override public int mkdir(String path, long mode) {
    return posix.mkdir(real(path), (int) mode) < 0 ? -posix.errno() : 0;
  }

  @Override public int rmdir(String path) {
    return posix.rmdir(real(path)) < 0 ? -posix.errno() : 0;
  }

  @Override public int rename(String from, String to) {
    return posix.rename(real(from), real(to)) < 0 ? -posix.errno() : 0;
  }

  @Override public int chmod(String path, long mode) {
    return posix.chmod(real(path), (int) mode) < 0 ? -posix.errno() : 0;
  }

  @Override public int utimens(String path, Timespec[] ts) { return 0; }

  /** With xattrs on: no attribute exists (what the kernel's security.capability probe gets). */
  @Override public int getxattr(String path, String name, Pointer value, long size) {
    return -Errno.ENODATA.intValue();
  }

  /** The jnr-fuse stub, so that only the overridden callbacks are registered with libfuse. */
  private static final class NoXattr extends Passthrough {
    NoXattr(String root) { super(root); }

    @Override @ru.serce.jnrfuse.NotImplemented
    public int getxattr(String path, String name, Pointer value, long size) { return 0; }
  }

  /** Runs fuse_main_real in the foreground, as sealfs does; returns when unmounted. */
  public static void main(String[] args) {
    String root = Path.of(args[0]).toAbsolutePath().toString();
    Passthrough fs = Boolean.getBoolean("pt.xattr") ? new Passthrough(root) : new NoXattr(root);
    String[] argv = new String[args.length];
    argv[0] = "passthrough";
    argv[1] = args[1];
    System.arraycopy(args, 2, argv, 2, args.length - 2);
    int rc = fs.libFuse.fuse_main_real(argv.length, argv, fs.fuseOperations,
        Struct.size(fs.fuseOperations), null);
    System.exit(rc);
  }
}
