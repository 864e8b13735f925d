// SPDX-License-Identifier: GPL-2.0
/*
 * fragment: fragment free memory the way the 2020 proactive compaction
 * proposal did. Fill anonymous memory with a pattern in base pages, then
 * release 3/4 of every 2 MiB chunk (MADV_DONTNEED) and hold the rest, so
 * that almost every free 2 MiB block has a page in use. Compaction may
 * migrate the held pages; at the end every held page is checked against
 * its pattern, and a page that changed fails the run.
 *
 * usage: fragment [-n NODE] (-m MIB | -F MARGIN_MIB) [-k KEEP | -s STRIDE | -h EVERY]
 *                 [-c DIR [-f FILES]] [-L] [-G ORDER] [-r FILE] [-t SEC] [-C]
 *   -n NODE  allocate on NODE only (MPOL_BIND)
 *   -m MIB   fill MIB of memory
 *   -F MIB   fill the free memory of NODE (of the system without -n)
 *            until MIB are left on the free lists (MemFree)
 *   -k KEEP  hold 1/KEEP of each chunk (default 4)
 *   -s STRIDE  instead, release one page in every STRIDE and hold the
 *            rest: memory stays nearly full, and what is free is in
 *            single pages
 *   -h EVERY instead, hold one page in every EVERY (page p of a chunk is
 *            held if p % EVERY == 0) and release the rest: with EVERY a
 *            power of two 2^k, and the fill's pages physically in order,
 *            each run of EVERY - 1 free pages is free blocks of orders 0
 *            to k - 1, one of each (the free blocks a proactive pass for
 *            order k - 1 must not split)
 *   -c DIR   interleave page cache and slab with the fill: after each
 *            2 MiB chunk, create FILES small files in DIR (a tmpfs), each
 *            one page of page cache plus an inode and a dentry; they stay
 *            until the end (the fragmentation compaction cannot undo)
 *   -f FILES small files per chunk with -c (default 16)
 *   -L       mlock the held pages (mlock2 MLOCK_ONFAULT, which does not
 *            fault the released ones back in): with
 *            vm.compact_unevictable_allowed=0 compaction cannot move
 *            them, and cannot lower the node's score
 *   -G ORDER then take every free block of ORDER or more that is left on
 *            NODE's zones but ZONE_DMA (the fill's margin, the blocks the
 *            release freed whole) with huge page faults at THP defrag
 *            "never" (no reclaim, no compaction), held (mlocked with -L)
 *            and checked like the rest: the node's zones then have no
 *            free block of ORDER (the DMA zone is left alone: huge pages
 *            do not come from it). "grab_left" says how many are left
 *            (0 unless a fault fell back to small pages). While memory
 *            is held, a block that becomes free (per-cpu lists drained,
 *            pages compaction moved away) is taken within 50 ms (with
 *            -r, FILE then holds how many were taken so far); THP
 *            defrag is restored at the end. Needs -n; ORDER is the PMD
 *            order (9 with 4 KiB pages)
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
#define THP_DEFRAG	"/sys/kernel/mm/transparent_hugepage/defrag"
#define MLOCK_ONFAULT_	1

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

/*
 * Free blocks of @order or more on @node's zones but DMA that a huge page
 * fault can be given, from /proc/pagetypeinfo ("Node N, zone NAME, type
 * TYPE c0 c1 ... c10"): every migratetype but the high-atomic reserve
 * and isolated pageblocks, which it cannot take
 */
static long free_blocks(int node, int order)
{
	char line[512], zone[32], type[32];
	long n = 0;
	int nd, off;
	FILE *f = fopen("/proc/pagetypeinfo", "r");

	if (!f)
		die("reading /proc/pagetypeinfo");
	while (fgets(line, sizeof(line), f)) {
		char *p = line;
		long c;

		if (sscanf(line, "Node %d, zone %31[^,], type %31s%n", &nd, zone, type, &off) != 3 ||
		    nd != node || !strcmp(zone, "DMA") ||
		    !strcmp(type, "HighAtomic") || !strcmp(type, "Isolate"))
			continue;
		p += off;
		for (int o = 0; sscanf(p, "%ld%n", &c, &off) == 1; o++, p += off)
			if (o >= order)
				n += c << (o - order);
	}
	fclose(f);
	return n;
}

/*
 * -G: huge pages faulted into a region reserved for them, at THP defrag
 * "never" from grab_start() to grab_end(). Pages freed later (per-cpu
 * lists drained, pages that compaction moves out of a block) can make a
 * new free block at any time, so the grab goes on while memory is held.
 */
static struct {
	uint8_t *mem;
	unsigned long cap, nr, first, fallbacks;
	int node, order, lock;
	char defrag[16];
} grab;

static void grab_start(int node, int order, int lock, unsigned long first)
{
	char buf[128] = "", *b, *e;
	int fd = open(THP_DEFRAG, O_RDONLY);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		die("reading " THP_DEFRAG " (THP is needed for -G)");
	close(fd);
	/* "always defer [madvise] never": keep the one in brackets */
	b = strchr(buf, '[');
	e = b ? strchr(b, ']') : NULL;
	if (!b || !e || e - b > (long)sizeof(grab.defrag))
		die("no current value in " THP_DEFRAG);
	*e = 0;
	strcpy(grab.defrag, b + 1);
	fd = open(THP_DEFRAG, O_WRONLY);
	if (fd < 0 || write(fd, "never", 5) != 5)
		die("writing never to " THP_DEFRAG);
	close(fd);

	grab.node = node;
	grab.order = order;
	grab.lock = lock;
	grab.first = first;
	grab.cap = free_blocks(node, order) + 256;
	grab.mem = mmap(NULL, (grab.cap + 1) * CHUNK, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (grab.mem == MAP_FAILED)
		die("mmap");
	grab.mem = (uint8_t *)(((uintptr_t)grab.mem + CHUNK - 1) & ~(CHUNK - 1));
	if (madvise(grab.mem, grab.cap * CHUNK, MADV_HUGEPAGE))
		die("madvise(MADV_HUGEPAGE)");
	if (lock && syscall(SYS_mlock2, grab.mem, grab.cap * CHUNK, MLOCK_ONFAULT_))
		die("mlock2(MLOCK_ONFAULT)");
}

/*
 * Take free blocks until none is left, a fault falls back to small pages
 * (given back), or the region is full. Returns the blocks left.
 */
static long grab_more(void)
{
	long left;

	while ((left = free_blocks(grab.node, grab.order)) > 0 && grab.nr < grab.cap) {
		uint8_t *chunk = grab.mem + grab.nr * CHUNK;
		long thp = file_field("/proc/self/smaps_rollup", "AnonHugePages:");

		pattern_fill(SEED, chunk, grab.first + grab.nr * CHUNK / PAGE, CHUNK / PAGE);
		/* a huge page may come from a per-cpu list: ask smaps, not buddyinfo */
		if (file_field("/proc/self/smaps_rollup", "AnonHugePages:") < thp + (long)(CHUNK >> 10)) {
			/*
			 * Unmap the chunk and map it anew: MADV_DONTNEED would
			 * leave its page table, and a huge page fault needs an
			 * empty PMD, so every later try at this chunk would
			 * fall back too.
			 */
			if (munmap(chunk, CHUNK) ||
			    mmap(chunk, CHUNK, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
				 -1, 0) != chunk ||
			    madvise(chunk, CHUNK, MADV_HUGEPAGE) ||
			    (grab.lock && syscall(SYS_mlock2, chunk, CHUNK, MLOCK_ONFAULT_)))
				die("mapping a fallback chunk anew");
			grab.fallbacks++;
			if (grab.fallbacks <= 5 || !(grab.fallbacks % 100))
				fprintf(stderr, "fragment: huge page fault %lu fell back (%ld free blocks of order %d)\n",
					grab.fallbacks, left, grab.order);
			break;
		}
		grab.nr++;
	}
	return left;
}

static void grab_end(void)
{
	int fd = open(THP_DEFRAG, O_WRONLY);

	if (fd < 0 || write(fd, grab.defrag, strlen(grab.defrag)) != (ssize_t)strlen(grab.defrag))
		die("restoring " THP_DEFRAG);
	close(fd);
}

int main(int argc, char **argv)
{
	long fill_mib = 0, margin_mib = -1, keep = 4, stride = 0, every = 0, hold_sec = -1, files = 16;
	const char *ready = NULL, *cache_dir = NULL;
	int node = -1, corrupt = 0, lock = 0, grab_order = -1, opt;
	unsigned long nchunks, c, held_pages = 0, bad = 0, bad_files = 0;
	long grab_left = -1;
	long free_before, free_filled, free_after;
	double t0, t_released;
	size_t size, held;
	uint8_t *mem;
	sigset_t set;

	workload_name = "fragment";
	while ((opt = getopt(argc, argv, "+n:m:F:k:s:h:c:f:LG:r:t:C")) != -1) {
		switch (opt) {
		case 'n': node = atoi(optarg); break;
		case 'm': fill_mib = atol(optarg); break;
		case 'F': margin_mib = atol(optarg); break;
		case 'k': keep = atol(optarg); break;
		case 's': stride = atol(optarg); break;
		case 'h': every = atol(optarg); break;
		case 'c': cache_dir = optarg; break;
		case 'f': files = atol(optarg); break;
		case 'L': lock = 1; break;
		case 'G': grab_order = atoi(optarg); break;
		case 'r': ready = optarg; break;
		case 't': hold_sec = atol(optarg); break;
		case 'C': corrupt = 1; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of fragment.c\n");
			return 2;
		}
	}
	if (keep < 2 || (fill_mib <= 0) == (margin_mib < 0) || files < 1 || files > 4096 ||
	    (stride && (stride < 2 || stride > (long)(CHUNK / PAGE))) ||
	    (every && (every < 2 || every > (long)(CHUNK / PAGE) || stride))) {
		fprintf(stderr, "fragment: give -m MIB or -F MARGIN_MIB; -k is at least 2, -s or -h 2 to 512 (not both), -f 1 to 4096\n");
		return 2;
	}
	if (grab_order >= 0 && (node < 0 || grab_order < 1 || grab_order > 10)) {
		fprintf(stderr, "fragment: -G takes an order from 1 to 10, and needs -n NODE\n");
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
	} else if (every) {
		/* page p of a chunk is held if p % every == 0 */
		for (c = 0; c < nchunks; c++)
			for (unsigned long p = 0; p < CHUNK / PAGE; p += every) {
				unsigned long n = every - 1;

				if (n > CHUNK / PAGE - p - 1)
					n = CHUNK / PAGE - p - 1;
				if (n && madvise(mem + c * CHUNK + (p + 1) * PAGE, n * PAGE,
						 MADV_DONTNEED))
					die("madvise(MADV_DONTNEED)");
			}
		held = (CHUNK / PAGE + every - 1) / every * PAGE;
	} else {
		for (c = 0; c < nchunks; c++)
			if (madvise(mem + c * CHUNK + held, CHUNK - held, MADV_DONTNEED))
				die("madvise(MADV_DONTNEED)");
	}
	if (lock && syscall(SYS_mlock2, mem, nchunks * CHUNK, MLOCK_ONFAULT_))
		die("mlock2(MLOCK_ONFAULT)");
	if (grab_order > 0) {
		grab_start(node, grab_order, lock, nchunks * CHUNK / PAGE);
		grab_left = grab_more();
	}
	t_released = now_us();
	held_pages = nchunks * (held / PAGE);
	free_after = mem_free_kb(node, 1);

	printf("{\"workload\":\"fragment\",\"event\":\"fragmented\",\"node\":%d,"
	       "\"filled_mib\":%lu,\"held_mib\":%lu,\"small_files\":%lu,\"free_kb_before\":%ld,"
	       "\"free_kb_filled\":%ld,\"free_kb_after\":%ld,\"seconds\":%.2f,"
	       "\"t_released_us\":%.0f,\"locked\":%d,\"grabbed_blocks\":%lu,\"grab_left\":%ld,"
	       "\"grab_fallbacks\":%lu}\n",
	       node, nchunks * 2, held_pages * PAGE >> 20, cache_dir ? nchunks * files : 0,
	       free_before, free_filled, free_after, (t_released - t0) / 1e6, t_released,
	       lock, grab.nr, grab_left, grab.fallbacks);
	fflush(stdout);
	/* The released memory must really be free (see DESIGN: max_map_count) */
	if ((free_after - free_filled) + (long)(grab.nr * CHUNK >> 10) <
	    (long)((nchunks * (CHUNK - held)) >> 10) / 2) {
		fprintf(stderr, "fragment: released %lu KiB, but free memory grew by %ld KiB\n",
			(nchunks * (CHUNK - held)) >> 10, free_after - free_filled);
		errno = 0;
		die("MADV_DONTNEED released less than half of what it should");
	}

	touch_ready(ready);
	if (grab_order > 0) {
		/* hold, and take every free block that appears, every 50 ms */
		double end = hold_sec < 0 ? 0 : now_us() + hold_sec * 1e6;
		unsigned long before = grab.nr;

		while (!end_signalled(&set) && (!end || now_us() < end)) {
			unsigned long nr = grab.nr;

			usleep(50000);
			grab_more();
			if (grab.nr != nr && ready) {
				/* the ready file counts the blocks taken while held */
				FILE *f = fopen(ready, "w");

				if (!f)
					die("writing the ready file");
				fprintf(f, "%lu\n", grab.nr - before);
				fclose(f);
			}
		}
		grab_end();
		printf("{\"workload\":\"fragment\",\"event\":\"held\",\"grabbed_while_held\":%lu}\n",
		       grab.nr - before);
	} else {
		hold(&set, hold_sec);
	}

	if (corrupt) {
		mem[123] ^= 0x01;	/* page 0 is always held */
		if (cache_dir)
			corrupt_small_file(cache_dir);
	}

	for (c = 0; c < nchunks; c++) {
		unsigned long first = c * CHUNK / PAGE;

		if (every) {
			for (unsigned long p = 0; p < CHUNK / PAGE; p += every)
				bad += pattern_check(SEED, mem + c * CHUNK + p * PAGE, first + p, 1, bad);
			continue;
		}
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
	for (c = 0; c < grab.nr; c++)
		bad += pattern_check(SEED, grab.mem + c * CHUNK,
				     grab.first + c * CHUNK / PAGE, CHUNK / PAGE, bad);
	held_pages += grab.nr * CHUNK / PAGE;
	if (cache_dir) {
		bad_files = check_small_files(cache_dir, nchunks, files);
		printf("{\"workload\":\"fragment\",\"event\":\"verified_files\",\"files\":%lu,\"corrupt_files\":%lu}\n",
		       nchunks * files, bad_files);
	}
	print_verified(held_pages, bad);
	return bad || bad_files ? 1 : 0;
}
