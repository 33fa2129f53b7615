/* SPDX-License-Identifier: MIT */
/*
 * sealctl - a tiny C client of the sealfs ioctls (include/sealfs.h).
 *
 *   gcc -Wall -Werror -o sealctl examples/sealctl.c -Iinclude
 *
 *   sealctl seal|seal-prepare|seal-asis FILE   seal, print the result, exit (which releases)
 *   sealctl status FILE                        print struct sealfs_status
 *   sealctl layout FILE                        print every extent (paging to LAST)
 *   sealctl hold FILE SECONDS [strict|prepare|asis]
 *                                              seal, print the layout, sleep, check that the
 *                                              generation did not change, unseal
 *   sealctl seal-range FILE OFFSET LENGTH [strict|prepare|asis] [breakable]
 *                                              seal bytes [OFFSET, OFFSET+LENGTH) (SPEC 9, 10)
 *   sealctl lease FILE SECONDS                 take a breakable whole-file seal, wait up to
 *                                              SECONDS for POLLPRI or a BREAKING status,
 *                                              unseal when told, and print how long letting
 *                                              go took (SPEC 10)
 *   sealctl break FILE [force]                 SEALFS_IOC_BREAK (SPEC 12)
 *   sealctl abi                                print the request codes and struct sizes
 *
 * Output is "key=value" lines; extents print as "<logical> <physical> <length> <state>", the
 * format of the user.sealfs.layout xattr. Errors: "sealctl: OP FILE: strerror" and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "sealfs.h"

static int fail(const char *op, const char *file)
{
	fprintf(stderr, "sealctl: %s %s: %s\n", op, file, strerror(errno));
	return 1;
}

static const char *extent_state(uint32_t flags)
{
	if (flags & SEALFS_EXTENT_SHARED)
		return "shared";
	return (flags & SEALFS_EXTENT_UNWRITTEN) ? "unwritten" : "written";
}

/* Prints the whole layout of fd; returns 0, or -1 with errno set. */
static int print_layout(int fd, uint64_t *generation)
{
	static struct sealfs_layout l;
	uint64_t start = 0;
	int first = 1;

	for (;;) {
		memset(&l, 0, sizeof(l));
		l.start = start;
		if (ioctl(fd, SEALFS_IOC_LAYOUT, &l) < 0)
			return -1;
		if (l.count > SEALFS_LAYOUT_MAX_EXTENTS) {
			errno = EIO;
			return -1;
		}
		if (first) {
			printf("generation=%" PRIu64 " size=%" PRIu64 " block_size=%" PRIu64
			       " sealed=%d\n", l.generation, l.size, l.block_size,
			       (l.flags & SEALFS_LAYOUT_SEALED) ? 1 : 0);
			if (generation)
				*generation = l.generation;
			first = 0;
		}
		for (uint32_t i = 0; i < l.count; i++)
			printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n", l.extents[i].logical,
			       l.extents[i].physical, l.extents[i].length,
			       extent_state(l.extents[i].flags));
		if (l.flags & SEALFS_LAYOUT_LAST)
			return 0;
		if (l.next <= start) {
			errno = EIO; /* the server must move forward */
			return -1;
		}
		start = l.next;
	}
}

static int do_seal_range(int fd, uint64_t flags, uint64_t offset, uint64_t length,
			 struct sealfs_seal *s)
{
	memset(s, 0, sizeof(*s));
	s->flags = flags;
	s->offset = offset;
	s->length = length;
	return ioctl(fd, SEALFS_IOC_SEAL, s);
}

static int do_seal(int fd, uint64_t flags, struct sealfs_seal *s)
{
	return do_seal_range(fd, flags, 0, 0, s);
}

/* Parses a decimal u64 into *v; returns 0, or -1 if s is not one. */
static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return (*s == '\0' || *end != '\0' || *s == '-' || errno) ? -1 : 0;
}

static uint64_t now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int do_status(int fd, struct sealfs_status *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(fd, SEALFS_IOC_STATUS, st);
}

static int mode_flags(const char *mode, uint64_t *flags)
{
	if (!strcmp(mode, "strict"))
		*flags = 0;
	else if (!strcmp(mode, "prepare"))
		*flags = SEALFS_SEAL_PREPARE;
	else if (!strcmp(mode, "asis"))
		*flags = SEALFS_SEAL_ASIS;
	else
		return -1;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: sealctl seal|seal-prepare|seal-asis|status|layout FILE\n"
			"       sealctl hold FILE SECONDS [strict|prepare|asis]\n"
			"       sealctl seal-range FILE OFFSET LENGTH [strict|prepare|asis] "
			"[breakable]\n"
			"       sealctl lease FILE SECONDS\n"
			"       sealctl break FILE [force]\n"
			"       sealctl abi\n");
	return 2;
}

static void print_abi(void)
{
	printf("SEALFS_IOC_SEAL=0x%08lx\n", (unsigned long)SEALFS_IOC_SEAL);
	printf("SEALFS_IOC_UNSEAL=0x%08lx\n", (unsigned long)SEALFS_IOC_UNSEAL);
	printf("SEALFS_IOC_STATUS=0x%08lx\n", (unsigned long)SEALFS_IOC_STATUS);
	printf("SEALFS_IOC_LAYOUT=0x%08lx\n", (unsigned long)SEALFS_IOC_LAYOUT);
	printf("SEALFS_IOC_BREAK=0x%08lx\n", (unsigned long)SEALFS_IOC_BREAK);
	printf("SEALFS_SEAL_PREPARE=%d\n", SEALFS_SEAL_PREPARE);
	printf("SEALFS_SEAL_ASIS=%d\n", SEALFS_SEAL_ASIS);
	printf("SEALFS_SEAL_BREAKABLE=%d\n", SEALFS_SEAL_BREAKABLE);
	printf("SEALFS_STATUS_BREAKING=%d\n", SEALFS_STATUS_BREAKING);
	printf("SEALFS_STATUS_REVOKED=%d\n", SEALFS_STATUS_REVOKED);
	printf("SEALFS_BREAK_FORCE=%d\n", SEALFS_BREAK_FORCE);
	printf("SEALFS_LAYOUT_LAST=%d\n", SEALFS_LAYOUT_LAST);
	printf("SEALFS_LAYOUT_SEALED=%d\n", SEALFS_LAYOUT_SEALED);
	printf("SEALFS_EXTENT_UNWRITTEN=%d\n", SEALFS_EXTENT_UNWRITTEN);
	printf("SEALFS_EXTENT_SHARED=%d\n", SEALFS_EXTENT_SHARED);
	printf("sizeof_seal=%zu\n", sizeof(struct sealfs_seal));
	printf("sizeof_status=%zu\n", sizeof(struct sealfs_status));
	printf("sizeof_extent=%zu\n", sizeof(struct sealfs_extent));
	printf("sizeof_layout=%zu\n", sizeof(struct sealfs_layout));
	printf("sizeof_break=%zu\n", sizeof(uint64_t));
	printf("max_extents=%d\n", SEALFS_LAYOUT_MAX_EXTENTS);
}

int main(int argc, char **argv)
{
	struct sealfs_seal s;
	struct sealfs_status st;
	const char *cmd, *file;
	uint64_t flags = 0;
	int fd;

	if (argc == 2 && !strcmp(argv[1], "abi")) {
		print_abi();
		return 0;
	}
	if (argc < 3)
		return usage();
	cmd = argv[1];
	file = argv[2];

	if (!strcmp(cmd, "status") || !strcmp(cmd, "layout")) {
		if (argc != 3)
			return usage();
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return fail("open", file);
		if (!strcmp(cmd, "status")) {
			if (do_status(fd, &st) < 0)
				return fail("status", file);
			printf("sealed=%u held_by_me=%u holders=%" PRIu64 " generation=%" PRIu64
			       " size=%" PRIu64 " block_size=%" PRIu64 " state=%" PRIu64
			       " break_deadline_ms=%" PRIu64 "\n", st.sealed, st.held_by_me,
			       st.holders, st.generation, st.size, st.block_size, st.state,
			       st.break_deadline_ms);
		} else if (print_layout(fd, NULL) < 0) {
			return fail("layout", file);
		}
		close(fd);
		return 0;
	}

	if (!strcmp(cmd, "seal") || !strcmp(cmd, "seal-prepare") || !strcmp(cmd, "seal-asis")) {
		if (argc != 3)
			return usage();
		flags = !strcmp(cmd, "seal-prepare") ? SEALFS_SEAL_PREPARE
			: !strcmp(cmd, "seal-asis") ? SEALFS_SEAL_ASIS : 0;
		fd = open(file, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return fail("open", file);
		if (do_seal(fd, flags, &s) < 0)
			return fail("seal", file);
		printf("sealed generation=%" PRIu64 " holders=%" PRIu64 "\n", s.generation,
		       s.holders);
		if (do_status(fd, &st) < 0)
			return fail("status", file);
		if (!st.sealed || !st.held_by_me) {
			fprintf(stderr, "sealctl: %s: status says sealed=%u held_by_me=%u after seal\n",
				file, st.sealed, st.held_by_me);
			return 1;
		}
		close(fd);
		return 0;
	}

	if (!strcmp(cmd, "seal-range")) {
		uint64_t offset, length;

		if (argc < 5 || argc > 7 || parse_u64(argv[3], &offset) < 0
		    || parse_u64(argv[4], &length) < 0)
			return usage();
		if (argc >= 6 && mode_flags(argv[5], &flags) < 0)
			return usage();
		if (argc == 7) {
			if (strcmp(argv[6], "breakable"))
				return usage();
			flags |= SEALFS_SEAL_BREAKABLE;
		}
		fd = open(file, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return fail("open", file);
		if (do_seal_range(fd, flags, offset, length, &s) < 0)
			return fail("seal", file);
		printf("sealed generation=%" PRIu64 " holders=%" PRIu64 " range=%" PRIu64 ":%" PRIu64
		       "\n", s.generation, s.holders, offset, length);
		close(fd);
		return 0;
	}

	if (!strcmp(cmd, "break")) {
		uint64_t bflags = 0;

		if (argc == 4 && !strcmp(argv[3], "force"))
			bflags = SEALFS_BREAK_FORCE;
		else if (argc != 3)
			return usage();
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return fail("open", file);
		if (ioctl(fd, SEALFS_IOC_BREAK, &bflags) < 0)
			return fail("break", file);
		printf("broken\n");
		close(fd);
		return 0;
	}

	if (!strcmp(cmd, "lease")) {
		struct pollfd pfd;
		uint64_t seconds, told_ms, deadline;
		int n;

		if (argc != 4 || parse_u64(argv[3], &seconds) < 0)
			return usage();
		fd = open(file, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return fail("open", file);
		if (do_seal(fd, SEALFS_SEAL_BREAKABLE, &s) < 0)
			return fail("seal", file);
		printf("leased generation=%" PRIu64 " holders=%" PRIu64 "\n", s.generation,
		       s.holders);
		fflush(stdout);
		deadline = now_ms(CLOCK_MONOTONIC) + seconds * 1000;
		for (;;) {
			uint64_t now = now_ms(CLOCK_MONOTONIC);

			if (now >= deadline) {
				printf("not told within %" PRIu64 "s\n", seconds);
				return 4;
			}
			pfd.fd = fd;
			pfd.events = POLLPRI;
			pfd.revents = 0;
			/* POLLPRI where the binding forwards poll (native); STATUS every 100 ms too,
			 * for a binding that cannot (jnr-fuse) */
			n = poll(&pfd, 1, deadline - now < 100 ? (int)(deadline - now) : 100);
			if (n < 0 && errno != EINTR)
				return fail("poll", file);
			if (n > 0 && (pfd.revents & POLLPRI))
				break;
			if (do_status(fd, &st) < 0)
				return fail("status", file);
			if (st.state & (SEALFS_STATUS_BREAKING | SEALFS_STATUS_REVOKED))
				break;
		}
		told_ms = now_ms(CLOCK_MONOTONIC);
		if (do_status(fd, &st) < 0)
			return fail("status", file);
		if (ioctl(fd, SEALFS_IOC_UNSEAL) < 0)
			return fail("unseal", file);
		printf("told state=%" PRIu64 " break_deadline_ms=%" PRIu64 "; let go in %" PRIu64
		       " ms\n", st.state, st.break_deadline_ms, now_ms(CLOCK_MONOTONIC) - told_ms);
		close(fd);
		return 0;
	}

	if (!strcmp(cmd, "hold")) {
		uint64_t gen_before, gen_after;
		char *end;
		long seconds;

		if (argc != 4 && argc != 5)
			return usage();
		seconds = strtol(argv[3], &end, 10);
		if (*argv[3] == '\0' || *end != '\0' || seconds < 0)
			return usage();
		if (argc == 5 && mode_flags(argv[4], &flags) < 0)
			return usage();
		fd = open(file, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return fail("open", file);
		if (do_seal(fd, flags, &s) < 0)
			return fail("seal", file);
		printf("sealed generation=%" PRIu64 " holders=%" PRIu64 "\n", s.generation,
		       s.holders);
		if (print_layout(fd, &gen_before) < 0)
			return fail("layout", file);
		fflush(stdout);
		sleep((unsigned int)seconds);
		if (do_status(fd, &st) < 0)
			return fail("status", file);
		gen_after = st.generation;
		if (ioctl(fd, SEALFS_IOC_UNSEAL) < 0)
			return fail("unseal", file);
		close(fd);
		if (gen_after != gen_before || gen_before != s.generation) {
			printf("CHANGED generation %" PRIu64 " -> %" PRIu64 "\n", gen_before,
			       gen_after);
			return 3;
		}
		printf("unsealed generation=%" PRIu64 " unchanged\n", gen_after);
		return 0;
	}
	return usage();
}
