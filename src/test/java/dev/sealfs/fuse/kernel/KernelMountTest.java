package dev.sealfs.fuse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The translation of sealfs's -o list into mount(2) arguments for the native binding. */
final class KernelMountTest {

  /** The jnr-fuse defaults become source, type, flags and two kernel options. */
  @Test
  void defaults() {
    KernelMount m = KernelMount.of(List.of("big_writes", "max_write=131072",
        "fsname=/dev/x\\,y", "subtype=sealfs", "default_permissions", "use_ino",
        "attr_timeout=0", "allow_other"), 2);
    assertEquals("/dev/x,y", m.source());
    assertEquals("fuse.sealfs", m.type());
    assertEquals(Libc.MS_NOSUID | Libc.MS_NODEV, m.flags());
    assertEquals("default_permissions,allow_other", m.kernelOptions());
    assertEquals(2, m.threads());
    assertEquals("fd=5,rootmode=40000,user_id=0,group_id=0,default_permissions,allow_other",
        m.data(5, 0, 0));
  }

  /** ro, noatime, threads= and nokillpriv_v2 are understood; unknown options go to the kernel. */
  @Test
  void flagsAndSessionOptions() {
    KernelMount m = KernelMount.of(List.of("ro", "noatime", "threads=7", "nokillpriv_v2",
        "binding=native", "max_read=65536", "whatever"), 2);
    assertEquals(Libc.MS_NOSUID | Libc.MS_NODEV | Libc.MS_RDONLY | Libc.MS_NOATIME, m.flags());
    assertEquals(7, m.threads());
    assertFalse(m.killPrivV2());
    assertTrue(m.keepCache(), "the page cache is kept across opens by default");
    assertFalse(KernelMount.of(List.of("nokeep_cache"), 1).keepCache());
    assertTrue(KernelMount.of(List.of("nokeep_cache", "keep_cache"), 1).keepCache());
    assertEquals("max_read=65536,whatever", m.kernelOptions());
    assertThrows(IllegalArgumentException.class, () -> KernelMount.of(List.of("threads=0"), 2));
  }

  /** A user's mount hands fusermount3 the same options, flags by name, fsname escaped. */
  @Test
  void fusermountOptions() {
    KernelMount m = KernelMount.of(List.of("big_writes", "fsname=/dev/x\\,y", "subtype=sealfs",
        "default_permissions", "use_ino", "noatime", "ro"), 2);
    assertEquals("fsname=/dev/x\\,y,subtype=sealfs,ro,nosuid,nodev,noatime,default_permissions",
        m.fusermountOptions());
  }

  /** No SCM_RIGHTS message (the sender closed its end) is -1, not a descriptor. */
  @Test
  void receiveFdAtEof() {
    Libc.Api c = Libc.api();
    int[] sv = new int[2];
    assertEquals(0, c.socketpair(UserMount.AF_UNIX, UserMount.SOCK_STREAM, 0, sv));
    c.close(sv[1]);
    assertEquals(-1, UserMount.receiveFd(c, sv[0]));
    c.close(sv[0]);
    assertEquals("exit status 1", UserMount.describe(1 << 8));
    assertEquals("killed by signal 9", UserMount.describe(9));
  }

  /** -o io_uring, io_uring=on|off|auto choose the transport and never reach the kernel. */
  @Test
  void transportOption() {
    assertEquals(KernelMount.IoUring.AUTO, KernelMount.of(List.of("rw"), 1).ioUring());
    assertEquals(KernelMount.IoUring.ON, KernelMount.of(List.of("io_uring"), 1).ioUring());
    assertEquals(KernelMount.IoUring.ON, KernelMount.of(List.of("io_uring=on"), 1).ioUring());
    KernelMount off = KernelMount.of(List.of("io_uring", "io_uring=off"), 1);
    assertEquals(KernelMount.IoUring.OFF, off.ioUring(), "the last one wins");
    assertEquals("", off.kernelOptions());
    assertEquals(KernelMount.IoUring.AUTO,
        KernelMount.of(List.of("io_uring=off", "io_uring=auto"), 1).ioUring());
    assertThrows(IllegalArgumentException.class,
        () -> KernelMount.of(List.of("io_uring=yes"), 1));
    assertFalse(KernelMount.isIoUringOption("io_uringx"));
  }
}
