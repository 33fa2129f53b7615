/* SPDX-License-Identifier: MIT */
/*
 * sealfs.h - the sealfs block-map sealing ioctl ABI (SPEC sections 4, 9, 10 and 12).
 *
 * All structures are little-endian and naturally aligned. The request codes are Linux _IOC
 * encodings with type 's' (0x73): FUSE only forwards "restricted" ioctls whose size and
 * direction are encoded in the request code.
 *
 * The Java client (dev.sealfs.client.SealAbi) and fuse-tests/lib/sealfs_ioctl.py carry the same
 * numbers; a unit test (SealAbiHeaderTest) and the fuse-tests case seal-abi.sh keep them equal.
 */
#ifndef SEALFS_H
#define SEALFS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/ioctl.h>

/* in: SEALFS_SEAL_* flags and the range; reserved must be 0; out: generation, holders. */
struct sealfs_seal {
	uint64_t flags;        /* in:  SEALFS_SEAL_PREPARE or SEALFS_SEAL_ASIS, or 0 (strict),
				*      optionally | SEALFS_SEAL_BREAKABLE (SPEC 10) */
	uint64_t offset;       /* in:  first byte of a range seal (SPEC 9); 0 with length 0 =
				*      the whole file */
	uint64_t length;       /* in:  bytes of a range seal; 0 = the whole file */
	uint64_t generation;   /* out: block-map generation now frozen */
	uint64_t holders;      /* out: holders of this inode after the call */
	uint64_t reserved[3];  /* in:  must be 0 */
};

struct sealfs_status {
	uint32_t sealed;       /* 1 if the inode has any holder */
	uint32_t held_by_me;   /* 1 if this handle is a holder */
	uint64_t holders;
	uint64_t generation;
	uint64_t size;         /* file size in bytes */
	uint64_t block_size;
	uint64_t state;        /* SEALFS_STATUS_BREAKING (inode), SEALFS_STATUS_REVOKED (handle) */
	uint64_t break_deadline_ms; /* when BREAKING: CLOCK_REALTIME ms of the revocation */
	uint64_t reserved;
};

struct sealfs_extent {
	uint64_t logical;      /* byte offset in the file */
	uint64_t physical;     /* byte offset in the device */
	uint64_t length;       /* bytes */
	uint32_t flags;        /* SEALFS_EXTENT_UNWRITTEN, SEALFS_EXTENT_SHARED */
	uint32_t reserved;
};

#define SEALFS_LAYOUT_MAX_EXTENTS 126

struct sealfs_layout {
	uint64_t start;        /* in:  logical byte offset to list from */
	uint64_t generation;   /* out */
	uint64_t next;         /* out: logical offset to pass as start for the next call */
	uint32_t count;        /* out: extents filled in */
	uint32_t flags;        /* out: SEALFS_LAYOUT_LAST, SEALFS_LAYOUT_SEALED */
	uint64_t block_size;   /* out */
	uint64_t size;         /* out: file size */
	uint64_t reserved[2];
	struct sealfs_extent extents[SEALFS_LAYOUT_MAX_EXTENTS];
};

/* Request codes. */
#define SEALFS_IOC_MAGIC  's'
#define SEALFS_IOC_SEAL   _IOWR(SEALFS_IOC_MAGIC, 1, struct sealfs_seal)
#define SEALFS_IOC_UNSEAL _IO(SEALFS_IOC_MAGIC, 2)
#define SEALFS_IOC_STATUS _IOR(SEALFS_IOC_MAGIC, 3, struct sealfs_status)
#define SEALFS_IOC_LAYOUT _IOWR(SEALFS_IOC_MAGIC, 4, struct sealfs_layout)
#define SEALFS_IOC_BREAK  _IOW(SEALFS_IOC_MAGIC, 5, uint64_t)   /* arg: SEALFS_BREAK_* flags */

/* struct sealfs_seal.flags */
#define SEALFS_SEAL_PREPARE 1
#define SEALFS_SEAL_ASIS    2
#define SEALFS_SEAL_BREAKABLE 4

/* struct sealfs_status.state */
#define SEALFS_STATUS_BREAKING 1
#define SEALFS_STATUS_REVOKED  2

/* SEALFS_IOC_BREAK argument */
#define SEALFS_BREAK_FORCE 1

/* struct sealfs_layout.flags */
#define SEALFS_LAYOUT_LAST   1
#define SEALFS_LAYOUT_SEALED 2

/* struct sealfs_extent.flags */
#define SEALFS_EXTENT_UNWRITTEN 1
#define SEALFS_EXTENT_SHARED    2

/* Extended attributes (SPEC 4.2, 4.3). */
#define SEALFS_XATTR_SEAL_ON_OPEN "user.sealfs.seal_on_open"
#define SEALFS_XATTR_LAYOUT       "user.sealfs.layout"
#define SEALFS_XATTR_SEAL         "user.sealfs.seal"
#define SEALFS_XATTR_HOLDERS      "user.sealfs.holders"
#define SEALFS_XATTR_DEVICE       "user.sealfs.device"

/* The ABI is fixed: these must never fire. */
#ifdef __cplusplus
#define SEALFS_STATIC_ASSERT static_assert
#else
#define SEALFS_STATIC_ASSERT _Static_assert
#endif
SEALFS_STATIC_ASSERT(sizeof(struct sealfs_seal) == 64, "struct sealfs_seal must be 64 bytes");
SEALFS_STATIC_ASSERT(sizeof(struct sealfs_status) == 64, "struct sealfs_status must be 64 bytes");
SEALFS_STATIC_ASSERT(sizeof(struct sealfs_extent) == 32, "struct sealfs_extent must be 32 bytes");
SEALFS_STATIC_ASSERT(sizeof(struct sealfs_layout) == 4096, "struct sealfs_layout must be 4096 bytes");
SEALFS_STATIC_ASSERT(offsetof(struct sealfs_layout, extents) == 64,
	       "struct sealfs_layout header must be 64 bytes");
SEALFS_STATIC_ASSERT(SEALFS_IOC_SEAL == 0xC0407301u, "SEALFS_IOC_SEAL must be 0xC0407301");
SEALFS_STATIC_ASSERT(SEALFS_IOC_UNSEAL == 0x00007302u, "SEALFS_IOC_UNSEAL must be 0x00007302");
SEALFS_STATIC_ASSERT(SEALFS_IOC_STATUS == 0x80407303u, "SEALFS_IOC_STATUS must be 0x80407303");
SEALFS_STATIC_ASSERT(SEALFS_IOC_LAYOUT == 0xD0007304u, "SEALFS_IOC_LAYOUT must be 0xD0007304");
SEALFS_STATIC_ASSERT(SEALFS_IOC_BREAK == 0x40087305u, "SEALFS_IOC_BREAK must be 0x40087305");
SEALFS_STATIC_ASSERT(offsetof(struct sealfs_status, state) == 40,
	       "struct sealfs_status.state must be at byte 40");
SEALFS_STATIC_ASSERT(offsetof(struct sealfs_status, break_deadline_ms) == 48,
	       "struct sealfs_status.break_deadline_ms must be at byte 48");

#endif /* SEALFS_H */
