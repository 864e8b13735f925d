// SPDX-License-Identifier: GPL-2.0
/*
 * memfdthp: does a memfd get PMD-size folios? Files of shmem's internal
 * mount (memfd, SysV shm) follow the top-level
 * /sys/kernel/mm/transparent_hugepage/shmem_enabled, not the per-size
 * hugepages-SIZEkB/shmem_enabled that shared anonymous mappings follow:
 * the target order tests check that proactive compaction keeps the PMD
 * order for them.
 *
 * usage: memfdthp [-m MIB] [-C]
 *   -m MIB  the memfd's size (default 8), written through write(2) in
 *           2 MiB pieces with a pattern, then read back and checked
 *   -C      corrupt one byte of the copy read back (the run must fail)
 *
 * Output: one JSON line: "pmd_folios", how far
 * hugepages-2048kB/stats/shmem_alloc moved over the writes (the guest must
 * be otherwise quiet), then the verification's. Exit status: 0 if every
 * page read back kept its pattern, 1 if any changed, 2 on a setup error.
 */
#include <sys/mman.h>
#include "workload.h"

#define SEED	0x9E3779B97F4A7C15ULL
#define PIECE	(2UL << 20)

static long shmem_alloc(void)
{
	return read_long("/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/stats/shmem_alloc");
}

int main(int argc, char **argv)
{
	unsigned long mib = 8, pieces, bad = 0;
	int opt, fd, corrupt = 0;
	long before, after;
	uint8_t *buf;

	workload_name = "memfdthp";
	while ((opt = getopt(argc, argv, "m:C")) != -1) {
		switch (opt) {
		case 'm': mib = strtoul(optarg, NULL, 10); break;
		case 'C': corrupt = 1; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of memfdthp.c\n");
			return 2;
		}
	}
	if (!mib || mib % 2) {
		fprintf(stderr, "memfdthp: -m takes an even number of MiB\n");
		return 2;
	}
	pieces = mib / 2;
	buf = malloc(PIECE);
	if (!buf)
		die("malloc");
	fd = syscall(SYS_memfd_create, "memfdthp", 0);
	if (fd < 0)
		die("memfd_create");
	before = shmem_alloc();
	for (unsigned long p = 0; p < pieces; p++) {
		pattern_fill(SEED, buf, p * (PIECE / PAGE), PIECE / PAGE);
		if (pwrite(fd, buf, PIECE, p * PIECE) != (ssize_t)PIECE)
			die("writing the memfd");
	}
	after = shmem_alloc();
	printf("{\"workload\":\"memfdthp\",\"mib\":%lu,\"pmd_folios\":%ld}\n", mib, after - before);
	fflush(stdout);
	for (unsigned long p = 0; p < pieces; p++) {
		if (pread(fd, buf, PIECE, p * PIECE) != (ssize_t)PIECE)
			die("reading the memfd");
		if (corrupt && !p)
			buf[100] ^= 0xff;
		bad += pattern_check(SEED, buf, p * (PIECE / PAGE), PIECE / PAGE, bad);
	}
	print_verified(pieces * (PIECE / PAGE), bad);
	close(fd);
	return bad ? 1 : 0;
}
