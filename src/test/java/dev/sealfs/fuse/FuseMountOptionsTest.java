package dev.sealfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
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
}
