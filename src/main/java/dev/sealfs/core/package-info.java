/**
 * The sealfs core: one filesystem over one device, addressed by inode number
 * ({@link dev.sealfs.core.SealFs}, the facade) or by path ({@link dev.sealfs.core.PathFs}), with
 * no FUSE type anywhere. This package holds the facade and the API vocabulary every floor may
 * use (records, {@link dev.sealfs.core.Errno}, {@link dev.sealfs.core.FsException},
 * {@link dev.sealfs.core.Caller}, {@link dev.sealfs.core.Limits}) and the tools (Mkfs, Fsck).
 *
 * <h2>The floors (calls go down only)</h2>
 *
 * <pre>
 *   SealFs (facade) / PathFs (paths)  Ops (locks)  Opening (open, create, seal-on-open)
 *             Units (the wiring of one mount)
 *   ns        Namespace, Lifetime, Repair        directories, names, links, orphans
 *   data      FileData, Fallocate, Sealing,      read/write/truncate, fallocate modes,
 *             Placement, ExtentIo, CopyRange,    the seal ioctls, allocation policy, extent I/O,
 *             CopyOnWrite                        copy_file_range, unsharing
 *   attr      Attributes, Xattrs                 stat, chmod/chown/utimens/setattr, xattrs
 *   seal      LayoutGate  (THE seal check: every block-map and size change passes it),
 *             BreakTable, Quarantine, HolderViews, Handles, OpenFile, SealMode
 *   commit    Durability, DeferredFrees, Loader  group commit, checkpoints, deferred frees
 *   inode     Metadata, Inode, ExtentMap, Extent, InodeLocks     the state and its redo records
 *   journal   Journal, Checkpoint, Superblock, Codec, Group      on-disk formats
 *   alloc     Allocator                          free runs by start and size
 *   device    Device                             positional I/O on the image or block device
 * </pre>
 *
 * <h2>Lock order</h2>
 *
 * <p>A thread takes locks only in this order (outermost first) and never waits for an earlier
 * one while holding a later one:
 *
 * <ol>
 *   <li><b>commit lock</b> ({@code Durability}): serialises commits and checkpoints. Taken only
 *       by a thread that holds nothing else: fsync, the commit a seal waits for (after its
 *       operation released its locks), the retry after a short allocation, the background
 *       committer, close.
 *   <li><b>epoch lock</b> ({@code Ops}, an {@code EpochLock}: read-write, striped so that
 *       readers share no written cache line): every operation holds it shared from start to end
 *       (reentrant: an inner operation takes it again); a commit holds it exclusively only to
 *       cut the running group in memory (and a checkpoint to serialise the state). Journal
 *       writes and device forces run without it. {@code Metadata.markDirty} relies on it: an
 *       inode already in the running group's dirty set is seen so without the group's lock.
 *   <li><b>namespace lock</b> ({@code Ops}, read-write): exclusive for create, mknod, mkdir,
 *       symlink, link, unlink, rmdir, rename and repair; shared for lookup, find and readdir.
 *       Data, attribute and xattr operations do not take it.
 *   <li><b>inode locks</b> ({@code InodeLocks}, striped read-write locks): shared for reads of
 *       an inode (read, stat, getxattr, LAYOUT, STATUS), exclusive for changes. Several are
 *       taken at once, each stripe once, in ascending stripe order
 *       ({@code InodeLocks.exclusive(Inode...)}): a rename takes up to four, copy_file_range
 *       both files' ({@code Ops.onHandles}, one stripe if they share it).
 *   <li><b>leaf locks</b>, under which nothing else is taken: the metadata group
 *       ({@code Metadata}'s monitor: records, dirty set, inode numbers), the share counts
 *       ({@code ShareCounts}), the deferred frees ({@code DeferredFrees}' monitor), the
 *       allocator ({@code Allocator}'s monitor), the break table ({@code BreakTable}'s lock:
 *       deadlines, revoked handles; break waiters wait on it holding nothing else), the
 *       quarantine ({@code Quarantine}'s monitor), the revocation timer ({@code Revocations}'
 *       monitor), the mapping windows ({@code MappedData}'s, on a window's first use and the
 *       one reservation only). The handle table and the inode table are concurrent maps.
 * </ol>
 *
 * <p>So reads and writes of different files run in parallel, reads of one file too, and stat
 * and xattr calls of different inodes; namespace changes are serialised (rename's ancestor
 * check needs a still tree), and the device force of a commit never holds up an operation.
 */
package dev.sealfs.core;
