// SPDX-License-Identifier: GPL-2.0
/*
 * fragment: fragment free memory the way the 2020 proactive compaction
 * proposal did. Fill anonymous memory with a pattern in base pages, then
 * release 3/4 of every 2 MiB chunk (MADV_DONTNEED) and hold the rest, so
 * that almost every free 2 MiB block has a page in use. Compaction may
 * migrate the held pages; at the end every held page is checked against
 * its pattern, and a page that changed fails the run.
 *
 * usage: fragment [-n NODE] (-m MIB | -F MARGIN_MIB) [-k KEEP | -s STRIDE]
 *                 [-c DIR [-f FILES]] [-r FILE] [-t SEC] [-C]
 *   -n NODE  allocate on NODE only (MPOL_BIND)
 *   -m MIB   fill MIB of memory
 *   -F MIB   fill the free memory of NODE (of the system without -n)
 *            until MIB are left on the free lists (MemFree)
 *   -k KEEP  hold 1/KEEP of each chunk (default 4)
 *   -s STRIDE  instead, release one page in every STRIDE and hold the
 *            rest: memory stays nearly full, and what is free is in
 *            single pages
 *   -c DIR   interleave page cache and slab with the fill: after each
 *            2 MiB chunk, create FILES small files in DIR (a tmpfs), each
 *            one page of page cache plus an inode and a dentry; they stay
 *            until the end (the fragmentation compaction cannot undo)
 *   -f FILES small files per chunk with -c (default 16)
 *   -r FILE  create FILE once memory is fragmented
 *   -t SEC   verify and exit after SEC seconds (default: on SIGTERM,
 *            SIGINT or SIGUSR1)
 *   -C       corrupt one byte of a held page (and with -c one byte of a
 *            small file) before verifying, to show that verification
 *            catches it (the run must then fail)
 *
 * Output: one JSON line per event; "t_released_us" is CLOCK_MONOTONIC when
 * the release ended. Exit status: 0 if every held page (and small file)
 * kept its pattern, 1 if any changed, 2 on a setup error.
 */
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "workload.h"

#define CHUNK		(2UL << 20)
#define SEED		0x9E3779B97F4A7C15ULL
#define FILE_BYTES	256

/*
 * Free memory of NODE in KiB, or of the system if node < 0; with @pcp,
 * the pages on the per-cpu lists too
 */
static long mem_free_kb(int node, int pcp)
{
	char path[128], line[256];
	long kb = -1;
	FILE *f;

	if (node >= 0)
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", node);
	else
		snprintf(path, sizeof(path), "/proc/meminfo");
	f = fopen(path, "r");
	if (!f)
		die("reading meminfo");
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "MemFree:");

		if (p) {
			kb = atol(p + strlen("MemFree:"));
			break;
		}
	}
	fclose(f);
	if (!pcp)
		return kb;

	/*
	 * Freed pages first go to the per-cpu lists, which MemFree does not
	 * count: add them (the "count:" lines of /proc/zoneinfo).
	 */
	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		die("reading /proc/zoneinfo");
	int cur = -1;

	while (fgets(line, sizeof(line), f)) {
		long pages;

		if (sscanf(line, "Node %d,", &cur) == 1)
			continue;
		if ((node < 0 || cur == node) && sscanf(line, " count: %ld", &pages) == 1)
			kb += pages * (PAGE / 1024);
	}
	fclose(f);
	return kb;
}

/* The small file @i of chunk @c: its path and its contents */
static void small_file(const char *dir, unsigned long c, unsigned long i,
		       char *path, size_t len, uint64_t *data)
{
	snprintf(path, len, "%s/c%lu-%lu", dir, c, i);
	for (unsigned long w = 0; w < FILE_BYTES / 8; w++)
		data[w] = pattern(SEED, c << 16 | i, w);
}

static void create_small_files(const char *dir, unsigned long c, long files)
{
	uint64_t data[FILE_BYTES / 8];
	char path[256];

	for (long i = 0; i < files; i++) {
		int fd;

		small_file(dir, c, i, path, sizeof(path), data);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, data, sizeof(data)) != sizeof(data))
			die("writing a small file");
		close(fd);
	}
}

/* Read back, check and remove the small files; return how many changed */
static unsigned long check_small_files(const char *dir, unsigned long nchunks, long files)
{
	uint64_t want[FILE_BYTES / 8], got[FILE_BYTES / 8];
	unsigned long bad = 0;
	char path[256];

	for (unsigned long c = 0; c < nchunks; c++) {
		for (long i = 0; i < files; i++) {
			int fd;

			small_file(dir, c, i, path, sizeof(path), want);
			fd = open(path, O_RDONLY);
			if (fd < 0 || read(fd, got, sizeof(got)) != sizeof(got) ||
			    memcmp(got, want, sizeof(got))) {
				if (bad < 5)
					fprintf(stderr, "fragment: small file %s changed or is missing\n", path);
				bad++;
			}
			if (fd >= 0)
				close(fd);
			unlink(path);
		}
	}
	return bad;
}

/* -C with -c: change one byte of the first small file */
static void corrupt_small_file(const char *dir)
{
	uint64_t data[FILE_BYTES / 8];
	char path[256];
	int fd;

	small_file(dir, 0, 0, path, sizeof(path), data);
	data[3] ^= 0x100;
	fd = open(path, O_WRONLY);
	if (fd < 0 || pwrite(fd, data, sizeof(data), 0) != sizeof(data))
		die("corrupting a small file");
	close(fd);
}

int main(int argc, char **argv)
{
	long fill_mib = 0, margin_mib = -1, keep = 4, stride = 0, hold_sec = -1, files = 16;
	const char *ready = NULL, *cache_dir = NULL;
	int node = -1, corrupt = 0, opt;
	unsigned long nchunks, c, held_pages = 0, bad = 0, bad_files = 0;
	long free_before, free_filled, free_after;
	double t0, t_released;
	size_t size, held;
	uint8_t *mem;
	sigset_t set;

	workload_name = "fragment";
	while ((opt = getopt(argc, argv, "+n:m:F:k:s:c:f:r:t:C")) != -1) {
		switch (opt) {
		case 'n': node = atoi(optarg); break;
		case 'm': fill_mib = atol(optarg); break;
		case 'F': margin_mib = atol(optarg); break;
		case 'k': keep = atol(optarg); break;
		case 's': stride = atol(optarg); break;
		case 'c': cache_dir = optarg; break;
		case 'f': files = atol(optarg); break;
		case 'r': ready = optarg; break;
		case 't': hold_sec = atol(optarg); break;
		case 'C': corrupt = 1; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of fragment.c\n");
			return 2;
		}
	}
	if (keep < 2 || (fill_mib <= 0) == (margin_mib < 0) || files < 1 || files > 4096 ||
	    (stride && (stride < 2 || stride > (long)(CHUNK / PAGE)))) {
		fprintf(stderr, "fragment: give -m MIB or -F MARGIN_MIB; -k is at least 2, -s 2 to 512, -f 1 to 4096\n");
		return 2;
	}
	if (cache_dir && mkdir(cache_dir, 0755) && errno != EEXIST)
		die("creating the directory of -c");

	block_end_signals(&set);
	bind_node(node);
	free_before = mem_free_kb(node, 1);
	if (margin_mib >= 0)
		fill_mib = free_before / 1024 - margin_mib;
	if (fill_mib < 4)
		die("not enough free memory to fill");
	nchunks = fill_mib / 2;
	size = nchunks * CHUNK;

	mem = mmap(NULL, size + CHUNK, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	/* 2 MiB aligned chunks, in base pages: no THP here */
	mem = (uint8_t *)(((uintptr_t)mem + CHUNK - 1) & ~(CHUNK - 1));
	if (madvise(mem, size, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");

	t0 = now_us();
	for (c = 0; c < nchunks; c++) {
		/*
		 * -F: stop at the margin, whatever the estimate said; every
		 * 4 chunks, and every chunk in the last 64 MiB. The margin
		 * is of the buddy allocator's free memory: pages on per-cpu
		 * lists of other CPUs are not there for this one, and
		 * counting them has run a node out of memory.
		 */
		if (margin_mib >= 0 &&
		    (c % 4 == 0 || c + 32 >= nchunks)) {
			long kb = mem_free_kb(node, 0);

			if (kb < margin_mib * 1024 + 2048)
				break;
			if (kb < margin_mib * 1024 + 65536 &&
			    c + (kb - margin_mib * 1024) / 2048 < nchunks)
				nchunks = c + (kb - margin_mib * 1024) / 2048;
		}
		pattern_fill(SEED, mem + c * CHUNK, c * CHUNK / PAGE, CHUNK / PAGE);
		if (cache_dir)
			create_small_files(cache_dir, c, files);
	}
	nchunks = c;
	free_filled = mem_free_kb(node, 1);

	held = CHUNK / keep;
	held -= held % PAGE;
	if (stride) {
		/* page p of a chunk is released if p % stride == stride - 1 */
		for (c = 0; c < nchunks; c++)
			for (unsigned long p = stride - 1; p < CHUNK / PAGE; p += stride)
				if (madvise(mem + c * CHUNK + p * PAGE, PAGE, MADV_DONTNEED))
					die("madvise(MADV_DONTNEED)");
		held = CHUNK - (CHUNK / PAGE / stride) * PAGE;
	} else {
		for (c = 0; c < nchunks; c++)
			if (madvise(mem + c * CHUNK + held, CHUNK - held, MADV_DONTNEED))
				die("madvise(MADV_DONTNEED)");
	}
	t_released = now_us();
	held_pages = nchunks * (held / PAGE);
	free_after = mem_free_kb(node, 1);

	printf("{\"workload\":\"fragment\",\"event\":\"fragmented\",\"node\":%d,"
	       "\"filled_mib\":%lu,\"held_mib\":%lu,\"small_files\":%lu,\"free_kb_before\":%ld,"
	       "\"free_kb_filled\":%ld,\"free_kb_after\":%ld,\"seconds\":%.2f,"
	       "\"t_released_us\":%.0f}\n",
	       node, nchunks * 2, held_pages * PAGE >> 20, cache_dir ? nchunks * files : 0,
	       free_before, free_filled, free_after, (t_released - t0) / 1e6, t_released);
	fflush(stdout);
	/* The released memory must really be free (see DESIGN: max_map_count) */
	if ((free_after - free_filled) < (long)((nchunks * (CHUNK - held)) >> 10) / 2) {
		fprintf(stderr, "fragment: released %lu KiB, but free memory grew by %ld KiB\n",
			(nchunks * (CHUNK - held)) >> 10, free_after - free_filled);
		errno = 0;
		die("MADV_DONTNEED released less than half of what it should");
	}

	touch_ready(ready);
	hold(&set, hold_sec);

	if (corrupt) {
		mem[123] ^= 0x01;	/* page 0 is always held */
		if (cache_dir)
			corrupt_small_file(cache_dir);
	}

	for (c = 0; c < nchunks; c++) {
		unsigned long first = c * CHUNK / PAGE;

		if (!stride) {
			bad += pattern_check(SEED, mem + c * CHUNK, first, held / PAGE, bad);
			continue;
		}
		/* the pages between the released ones */
		for (unsigned long p = 0; p < CHUNK / PAGE; p += stride) {
			unsigned long n = stride - 1;

			if (n > CHUNK / PAGE - p)
				n = CHUNK / PAGE - p;
			bad += pattern_check(SEED, mem + c * CHUNK + p * PAGE, first + p, n, bad);
		}
	}
	if (cache_dir) {
		bad_files = check_small_files(cache_dir, nchunks, files);
		printf("{\"workload\":\"fragment\",\"event\":\"verified_files\",\"files\":%lu,\"corrupt_files\":%lu}\n",
		       nchunks * files, bad_files);
	}
	print_verified(held_pages, bad);
	return bad || bad_files ? 1 : 0;
}
