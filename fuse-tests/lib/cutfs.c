/*
 * cutfs: a FUSE layer that loses what was not fsync'd, for the power-cut case (in the spirit of
 * LazyFS, which CI cannot fetch).
 *
 *   cutfs BACKING_DIR MOUNTPOINT [-f] [-s] [-o OPTIONS]
 *
 * Theory of operation. MOUNTPOINT shows the files of BACKING_DIR (a passthrough: names, modes,
 * directories go straight to the backing directory). File data does not: every write lands in
 * memory, in 4 KiB pages per inode, and reads see those pages over the backing file, so above
 * the layer the file looks written. Only fsync or fdatasync of a file (FUSE_FSYNC, which is
 * what java's FileChannel.force sends through the kernel) writes that file's pages to the
 * backing file and fsyncs it. Closing a file keeps its pages: a later fsync from any handle
 * flushes them, as POSIX says.
 *
 * A write of "cut" to MOUNTPOINT/.powercut is the power cut: every page not yet fsync'd is
 * dropped, and from then on every read, write, fsync and namespace change fails with EIO (the
 * machine is off), until the layer is unmounted. "cut-half SEED" first writes a seeded random
 * half of the unsynced pages to the backing files (a disk that wrote some pages back, in any
 * order, before the power went), then cuts. The backing directory then holds exactly what
 * was fsync'd; a new cutfs over it starts from that state. Reading .powercut prints
 * "dirty-pages N cut C" (N pages held in memory, C 1 after the cut).
 *
 * Not held back (written through at once, as most filesystems journal them): creates, unlinks,
 * renames, mkdir/rmdir, chmod, utimens, and truncate (which also drops the pages past the new
 * size). A write past the end of the file grows it only in memory. Single-threaded use (-s) is
 * assumed: there are no locks. Built by the power-cut case:
 *   gcc -O2 -Wall -o cutfs cutfs.c $(pkg-config --cflags --libs fuse3)
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define PAGE 4096
#define CONTROL "/.powercut"

/* The unsynced state of one backing inode: its dirty pages and its size above the layer. */
struct inode_state {
  dev_t dev;
  ino_t ino;
  int fd;                 /* an O_RDWR descriptor of the backing file, for reads and flushes */
  unsigned char **pages;  /* page index -> 4 KiB of data, or NULL (the backing file's bytes) */
  size_t page_cap;        /* length of pages[] */
  size_t dirty;           /* non-NULL entries of pages[] */
  off_t size;             /* the file's size as seen above the layer */
  struct inode_state *next;
};

/* One open file: the inode it is on. */
struct handle {
  struct inode_state *st;
};

static int backing = -1;             /* O_PATH descriptor of BACKING_DIR */
static int cut;                      /* 1 once the power cut happened */
static struct inode_state *inodes;   /* every inode with a state, a list */

/* Maps a FUSE path ("/a/b") to one relative to the backing directory ("a/b", "." for "/"). */
static const char *rel(const char *path) {
  return path[1] ? path + 1 : ".";
}

static size_t total_dirty(void) {
  size_t n = 0;
  for (struct inode_state *s = inodes; s; s = s->next) n += s->dirty;
  return n;
}

static void drop_pages(struct inode_state *s, size_t from_page) {
  for (size_t i = from_page; i < s->page_cap; i++) {
    if (s->pages[i]) {
      free(s->pages[i]);
      s->pages[i] = NULL;
      s->dirty--;
    }
  }
}

static struct inode_state *find_state(dev_t dev, ino_t ino) {
  for (struct inode_state *s = inodes; s; s = s->next)
    if (s->dev == dev && s->ino == ino) return s;
  return NULL;
}

/* Returns the state of the backing file at PATH, creating it (and its descriptor) if needed. */
static int state_of(const char *path, struct inode_state **out) {
  int fd = openat(backing, rel(path), O_RDWR | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct stat st;
  if (fstat(fd, &st) < 0) {
    int e = -errno;
    close(fd);
    return e;
  }
  struct inode_state *s = find_state(st.st_dev, st.st_ino);
  if (s) {
    close(fd);
  } else {
    s = calloc(1, sizeof *s);
    if (!s) {
      close(fd);
      return -ENOMEM;
    }
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->fd = fd;
    s->size = st.st_size;
    s->next = inodes;
    inodes = s;
  }
  *out = s;
  return 0;
}

/*
 * Drops the pages of the backing file at PATH if this name is its last link (unlink, rename
 * over it). The state stays (open handles may point at it) but no longer matches any inode.
 */
static void forget_if_last(const char *path) {
  struct stat st;
  if (fstatat(backing, rel(path), &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_nlink > 1) return;
  struct inode_state *s = find_state(st.st_dev, st.st_ino);
  if (s) {
    drop_pages(s, 0);
    s->dev = 0;
    s->ino = 0;
  }
}

/* Reads page INDEX of S as it looks above the layer into BUF (zeros past the backing end). */
static int load_page(struct inode_state *s, size_t index, unsigned char *buf) {
  if (index < s->page_cap && s->pages[index]) {
    memcpy(buf, s->pages[index], PAGE);
    return 0;
  }
  memset(buf, 0, PAGE);
  ssize_t n = pread(s->fd, buf, PAGE, (off_t)index * PAGE);
  if (n < 0) return -errno;
  return 0;
}

/* Returns page INDEX of S for writing, loading it first. */
static int dirty_page(struct inode_state *s, size_t index, unsigned char **out) {
  if (index >= s->page_cap) {
    size_t cap = s->page_cap ? s->page_cap : 1024;
    while (cap <= index) cap *= 2;
    unsigned char **p = realloc(s->pages, cap * sizeof *p);
    if (!p) return -ENOMEM;
    memset(p + s->page_cap, 0, (cap - s->page_cap) * sizeof *p);
    s->pages = p;
    s->page_cap = cap;
  }
  if (!s->pages[index]) {
    unsigned char *page = malloc(PAGE);
    if (!page) return -ENOMEM;
    int rc = load_page(s, index, page);
    if (rc) {
      free(page);
      return rc;
    }
    s->pages[index] = page;
    s->dirty++;
  }
  *out = s->pages[index];
  return 0;
}

/* Writes every dirty page of S to the backing file (up to the size) and syncs it. */
static int flush(struct inode_state *s, int datasync) {
  for (size_t i = 0; i < s->page_cap; i++) {
    if (!s->pages[i]) continue;
    off_t at = (off_t)i * PAGE;
    size_t len = s->size - at < PAGE ? (size_t)(s->size - at) : PAGE;
    if (at < s->size && pwrite(s->fd, s->pages[i], len, at) != (ssize_t)len) return -EIO;
    free(s->pages[i]);
    s->pages[i] = NULL;
    s->dirty--;
  }
  struct stat st;
  if (fstat(s->fd, &st) == 0 && st.st_size < s->size && ftruncate(s->fd, s->size) < 0)
    return -errno;
  return (datasync ? fdatasync(s->fd) : fsync(s->fd)) < 0 ? -errno : 0;
}

/*
 * The power cut: drops every page not yet fsync'd, or with KEEP_SEED != 0 writes a random half
 * of them (seeded) to the backing files first, as a disk that wrote some pages back before the
 * power went; everything after fails with EIO.
 */
static void power_cut(unsigned keep_seed) {
  size_t pages = 0, files = 0, kept = 0;
  for (struct inode_state *s = inodes; s; s = s->next) {
    pages += s->dirty;
    files += s->dirty > 0;
    for (size_t i = 0; keep_seed && i < s->page_cap; i++) {
      off_t at = (off_t)i * PAGE;
      if (!s->pages[i] || at >= s->size || rand_r(&keep_seed) % 2) continue;
      size_t len = s->size - at < PAGE ? (size_t)(s->size - at) : PAGE;
      if (pwrite(s->fd, s->pages[i], len, at) == (ssize_t)len) kept++;
    }
    drop_pages(s, 0);
    struct stat st;
    s->size = fstat(s->fd, &st) == 0 ? st.st_size : 0;
  }
  cut = 1;
  fprintf(stderr, "cutfs: power cut: dropped %zu unsynced pages of %zu files (%zu of them kept)\n",
          pages, files, kept);
}

static int is_control(const char *path) {
  return strcmp(path, CONTROL) == 0;
}

static int control_text(char *buf, size_t len) {
  return snprintf(buf, len, "dirty-pages %zu cut %d\n", total_dirty(), cut);
}

static void *cut_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;  /* every write reaches us at once */
  cfg->attr_timeout = 0;
  cfg->entry_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->use_ino = 1;
  return NULL;
}

static int cut_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
  (void)fi;
  if (is_control(path)) {
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFREG | 0666;
    st->st_nlink = 1;
    st->st_size = 64;
    return 0;
  }
  if (fstatat(backing, rel(path), st, AT_SYMLINK_NOFOLLOW) < 0) return -errno;
  struct inode_state *s = find_state(st->st_dev, st->st_ino);
  if (s && S_ISREG(st->st_mode)) st->st_size = s->size;
  return 0;
}

static int cut_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
                       struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
  (void)off, (void)fi, (void)flags;
  if (cut) return -EIO;
  int fd = openat(backing, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return -errno;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    struct stat st = {.st_ino = e->d_ino, .st_mode = (mode_t)e->d_type << 12};
    if (fill(buf, e->d_name, &st, 0, 0)) break;
  }
  closedir(d);
  return 0;
}

static int cut_open(const char *path, struct fuse_file_info *fi) {
  if (is_control(path)) {
    fi->direct_io = 1;
    fi->fh = 0;
    return 0;
  }
  if (cut) return -EIO;
  struct handle *h = calloc(1, sizeof *h);
  if (!h) return -ENOMEM;
  int rc = state_of(path, &h->st);
  if (rc) {
    free(h);
    return rc;
  }
  if ((fi->flags & O_TRUNC) && h->st->size > 0) {
    if (ftruncate(h->st->fd, 0) < 0) {
      free(h);
      return -errno;
    }
    drop_pages(h->st, 0);
    h->st->size = 0;
  }
  fi->fh = (uint64_t)(uintptr_t)h;
  return 0;
}

static int cut_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
  if (cut) return -EIO;
  int fd = openat(backing, rel(path), (fi->flags & ~O_TRUNC) | O_CREAT | O_CLOEXEC, mode);
  if (fd < 0) return -errno;
  close(fd);
  return cut_open(path, fi);
}

static int cut_read(const char *path, char *buf, size_t size, off_t off,
                    struct fuse_file_info *fi) {
  if (is_control(path)) {
    char text[64];
    int n = control_text(text, sizeof text);
    if (off >= n) return 0;
    size_t len = (size_t)(n - off) < size ? (size_t)(n - off) : size;
    memcpy(buf, text + off, len);
    return (int)len;
  }
  if (cut) return -EIO;
  struct inode_state *s = ((struct handle *)(uintptr_t)fi->fh)->st;
  if (off >= s->size) return 0;
  if ((off_t)size > s->size - off) size = s->size - off;
  unsigned char page[PAGE];
  size_t done = 0;
  while (done < size) {
    off_t at = off + done;
    size_t index = at / PAGE, in = at % PAGE;
    size_t len = PAGE - in < size - done ? PAGE - in : size - done;
    int rc = load_page(s, index, page);
    if (rc) return rc;
    memcpy(buf + done, page + in, len);
    done += len;
  }
  return (int)done;
}

static int cut_write(const char *path, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi) {
  if (is_control(path)) {
    char cmd[64] = {0};
    memcpy(cmd, buf, size < sizeof cmd - 1 ? size : sizeof cmd - 1);
    unsigned seed = 0;
    if (strncmp(cmd, "cut-half ", 9) == 0) seed = (unsigned)strtoul(cmd + 9, NULL, 10) | 1;
    if (!cut) power_cut(seed);
    return (int)size;
  }
  if (cut) return -EIO;
  struct inode_state *s = ((struct handle *)(uintptr_t)fi->fh)->st;
  size_t done = 0;
  while (done < size) {
    off_t at = off + done;
    size_t index = at / PAGE, in = at % PAGE;
    size_t len = PAGE - in < size - done ? PAGE - in : size - done;
    unsigned char *page;
    int rc = dirty_page(s, index, &page);
    if (rc) return rc;
    memcpy(page + in, buf + done, len);
    done += len;
  }
  if (off + (off_t)size > s->size) s->size = off + size;
  return (int)size;
}

static int cut_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
  if (is_control(path)) return 0;
  if (cut) return -EIO;
  return flush(((struct handle *)(uintptr_t)fi->fh)->st, datasync);
}

static int cut_flush(const char *path, struct fuse_file_info *fi) {
  (void)path, (void)fi;
  return 0;  /* close(2) does not make anything durable */
}

static int cut_release(const char *path, struct fuse_file_info *fi) {
  if (!is_control(path)) free((struct handle *)(uintptr_t)fi->fh);
  return 0;  /* the inode keeps its pages until an fsync, an unlink or the cut */
}

static int cut_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
  if (is_control(path)) return 0;
  if (cut) return -EIO;
  struct inode_state *s;
  int rc = fi ? 0 : state_of(path, &s);
  if (fi) s = ((struct handle *)(uintptr_t)fi->fh)->st;
  if (rc) return rc;
  if (ftruncate(s->fd, size) < 0) return -errno;
  drop_pages(s, (size + PAGE - 1) / PAGE);
  size_t last = size / PAGE;
  if (size % PAGE && last < s->page_cap && s->pages[last])
    memset(s->pages[last] + size % PAGE, 0, PAGE - size % PAGE);
  s->size = size;
  return 0;
}

static int cut_unlink(const char *path) {
  if (cut) return -EIO;
  forget_if_last(path);
  return unlinkat(backing, rel(path), 0) < 0 ? -errno : 0;
}

static int cut_rename(const char *from, const char *to, unsigned int flags) {
  if (cut) return -EIO;
  if (flags) return -EINVAL;
  forget_if_last(to);
  return renameat(backing, rel(from), backing, rel(to)) < 0 ? -errno : 0;
}

static int cut_mkdir(const char *path, mode_t mode) {
  if (cut) return -EIO;
  return mkdirat(backing, rel(path), mode) < 0 ? -errno : 0;
}

static int cut_rmdir(const char *path) {
  if (cut) return -EIO;
  return unlinkat(backing, rel(path), AT_REMOVEDIR) < 0 ? -errno : 0;
}

static int cut_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) {
  (void)fi;
  if (cut) return -EIO;
  return fchmodat(backing, rel(path), mode, 0) < 0 ? -errno : 0;
}

static int cut_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi) {
  (void)fi;
  if (is_control(path)) return 0;
  if (cut) return -EIO;
  return utimensat(backing, rel(path), tv, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int cut_statfs(const char *path, struct statvfs *st) {
  (void)path;
  return fstatvfs(backing, st) < 0 ? -errno : 0;
}

static const struct fuse_operations ops = {
    .init = cut_init,
    .getattr = cut_getattr,
    .readdir = cut_readdir,
    .open = cut_open,
    .create = cut_create,
    .read = cut_read,
    .write = cut_write,
    .fsync = cut_fsync,
    .flush = cut_flush,
    .release = cut_release,
    .truncate = cut_truncate,
    .unlink = cut_unlink,
    .rename = cut_rename,
    .mkdir = cut_mkdir,
    .rmdir = cut_rmdir,
    .chmod = cut_chmod,
    .utimens = cut_utimens,
    .statfs = cut_statfs,
};

int main(int argc, char *argv[]) {
  if (argc < 3) {
    fprintf(stderr, "usage: cutfs BACKING_DIR MOUNTPOINT [fuse options]\n");
    return 2;
  }
  backing = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (backing < 0) {
    fprintf(stderr, "cutfs: %s: %s\n", argv[1], strerror(errno));
    return 2;
  }
  argv[1] = argv[0];
  return fuse_main(argc - 1, argv + 1, &ops, NULL);
}
