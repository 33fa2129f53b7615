package dev.sealfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The options libfuse gets: defaults, the user's, and allow_other for root mounts. */
class FuseMountOptionsTest {
  private static final Path DEV = Path.of("/srv/a,b.img");

  @Test
  void rootMountsAllowOtherUsersUnlessAskedNotTo() {
    List<String> root = FuseMount.effectiveOptions(DEV, List.of("ro"), true);
    assertTrue(root.contains("allow_other"), root.toString());
    assertTrue(root.contains("ro") && root.contains("default_permissions"), root.toString());
    assertTrue(root.contains("fsname=/srv/a\\,b.img"), root.toString());
    List<String> priv = FuseMount.effectiveOptions(DEV, List.of("noallow_other"), true);
    assertFalse(priv.contains("allow_other") || priv.contains("noallow_other"), priv.toString());
    List<String> user = FuseMount.effectiveOptions(DEV, List.of(), false);
    assertFalse(user.contains("allow_other"), user.toString());
    List<String> twice = FuseMount.effectiveOptions(DEV, List.of("allow_other"), true);
    assertEquals(1, twice.stream().filter("allow_other"::equals).count(), twice.toString());
  }

  @Test
  void aDeviceOthersCanOpenIsWarnedAboutOnlyWithAllowOther() {
    Optional<String> w = FuseMount.deviceAccessWarning(DEV,
        PosixFilePermissions.fromString("rw-r--r--"), true);
    assertTrue(w.isPresent());
    assertTrue(w.get().startsWith("sealfs: warning: /srv/a,b.img (mode 0644) is readable by"
        + " every user"), w.get());
    assertTrue(w.get().endsWith("fix: chmod 600 /srv/a,b.img"), w.get());
    assertFalse(w.get().contains("\n"), w.get());
    assertTrue(FuseMount.deviceAccessWarning(DEV, PosixFilePermissions.fromString("rw-rw----"),
        true).orElseThrow().contains("(mode 0660) is readable by its group"));
    assertTrue(FuseMount.deviceAccessWarning(DEV, PosixFilePermissions.fromString("rw-------"),
        true).isEmpty());
    assertTrue(FuseMount.deviceAccessWarning(DEV, PosixFilePermissions.fromString("rw-r--r--"),
        false).isEmpty());
    assertEquals(0755, FuseMount.modeBits(PosixFilePermissions.fromString("rwxr-xr-x")));
  }

  /** -o io_uring never reaches libfuse; $SEALFS_TRANSPORT is the default the -o overrides. */
  @Test
  void transportOptionsAndTheirEnvironmentDefault() {
    List<String> lib = FuseMount.effectiveOptions(DEV, List.of("io_uring", "io_uring=off"), true);
    assertFalse(lib.stream().anyMatch(o -> o.startsWith("io_uring")), lib.toString());
    assertEquals(List.of(), FuseMount.transportOptions(List.of("ro"), null));
    assertEquals(List.of(), FuseMount.transportOptions(List.of("ro"), ""));
    assertEquals(List.of("io_uring"), FuseMount.transportOptions(List.of(), "io_uring"));
    assertEquals(List.of("io_uring=off"), FuseMount.transportOptions(List.of(), "dev_fuse"));
    assertEquals(List.of("io_uring=on"),
        FuseMount.transportOptions(List.of("io_uring=on"), "dev_fuse"), "-o wins");
    org.junit.jupiter.api.Assertions.assertThrows(dev.sealfs.core.FsException.class,
        () -> FuseMount.transportOptions(List.of(), "uring"));
  }
}
