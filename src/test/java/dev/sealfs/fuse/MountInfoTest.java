package dev.sealfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Parsing of /proc/self/mountinfo lines. */
class MountInfoTest {

  @Test
  void parsesFuseLineWithEscapesAndOptionalFields() {
    MountInfo m = MountInfo.parse("87 26 0:45 / /tmp/my\\040mnt rw,nosuid,nodev,relatime "
        + "shared:1 master:2 - fuse.sealfs /srv/a\\134b.img rw,user_id=0,group_id=0");
    assertEquals("0:45", m.majorMinor());
    assertEquals("/tmp/my mnt", m.mountPoint());
    assertEquals("fuse.sealfs", m.fsType());
    assertEquals("/srv/a\\b.img", m.source());
    assertEquals(45, m.devNumber());
  }

  @Test
  void rejectsMalformedLines() {
    assertNull(MountInfo.parse("garbage"));
    assertNull(MountInfo.parse("1 2 3:4 / /x rw no-dash-here fuse src"));
  }

  @Test
  void devNumberUsesKernelEncoding() {
    assertEquals((8L << 20) | 3, new MountInfo("8:3", "/", "ext4", "/dev/sda3").devNumber());
  }
}
