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
 *                 [-r FILE] [-t SEC] [-C]
 *   -n NODE  allocate on NODE only (MPOL_BIND)
 *   -m MIB   fill MIB of memory
 *   -F MIB   fill the free memory of NODE (needs -n) until MIB are left
 *   -k KEEP  hold 1/KEEP of each chunk (default 4)
 *   -s STRIDE  instead, release one page in every STRIDE and hold the
 *            rest: memory stays nearly full, and what is free is in
 *            single pages
 *   -r FILE  create FILE once memory is fragmented
 *   -t SEC   verify and exit after SEC seconds (default: on SIGTERM,
 *            SIGINT or SIGUSR1)
 *   -C       corrupt one byte of a held page before verifying, to show
 *            that verification catches it (the run must then fail)
 *
 * Output: one JSON line per event. Exit status: 0 if every held page kept
 * its pattern, 1 if any changed, 2 on a setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CHUNK		(2UL << 20)
#define PAGE		4096UL
#define MPOL_BIND_	2

static uint64_t pattern(uint64_t page, uint64_t word)
{
	return (page * 0x9E3779B97F4A7C15ULL) ^ (word << 32) ^ 0x5A5A5A5AULL;
}

static void die(const char *msg)
{
	fprintf(stderr, "fragment: %s: %s\n", msg, strerror(errno));
	printf("{\"workload\":\"fragment\",\"event\":\"error\",\"error\":\"%s\"}\n", msg);
	exit(2);
}

/* Free memory of NODE in KiB, or of the system if node < 0 */
static long mem_free_kb(int node)
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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long fill_mib = 0, margin_mib = -1, keep = 4, stride = 0, hold_sec = -1;
	const char *ready = NULL;
	int node = -1, corrupt = 0, opt;
	unsigned long nchunks, c, held_pages = 0, bad = 0;
	long free_before, free_filled, free_after;
	size_t size, held;
	uint8_t *mem;
	sigset_t set;
	double t0;

	while ((opt = getopt(argc, argv, "+n:m:F:k:s:r:t:C")) != -1) {
		switch (opt) {
		case 'n': node = atoi(optarg); break;
		case 'm': fill_mib = atol(optarg); break;
		case 'F': margin_mib = atol(optarg); break;
		case 'k': keep = atol(optarg); break;
		case 's': stride = atol(optarg); break;
		case 'r': ready = optarg; break;
		case 't': hold_sec = atol(optarg); break;
		case 'C': corrupt = 1; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of fragment.c\n");
			return 2;
		}
	}
	if (keep < 2 || (fill_mib <= 0) == (margin_mib < 0) ||
	    (margin_mib >= 0 && node < 0) || (stride && (stride < 2 || stride > (long)(CHUNK / PAGE)))) {
		fprintf(stderr, "fragment: give -m MIB, or -n NODE -F MARGIN_MIB; -k is at least 2, -s 2 to 512\n");
		return 2;
	}

	/* Signals end the hold; block them so sigtimedwait() takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	if (node >= 0) {
		unsigned long mask = 1UL << node;

		if (syscall(SYS_set_mempolicy, MPOL_BIND_, &mask, sizeof(mask) * 8 + 1))
			die("set_mempolicy(MPOL_BIND)");
	}
	free_before = mem_free_kb(node);
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

	t0 = now();
	for (c = 0; c < nchunks; c++) {
		/*
		 * -F: stop at the margin, whatever the estimate said; every
		 * 4 chunks, and every chunk in the last 64 MiB.
		 */
		if (margin_mib >= 0 &&
		    (c % 4 == 0 || c + 32 >= nchunks)) {
			long kb = mem_free_kb(node);

			if (kb < margin_mib * 1024 + 2048)
				break;
			if (kb < margin_mib * 1024 + 65536 &&
			    c + (kb - margin_mib * 1024) / 2048 < nchunks)
				nchunks = c + (kb - margin_mib * 1024) / 2048;
		}
		for (unsigned long p = c * CHUNK / PAGE; p < (c + 1) * CHUNK / PAGE; p++) {
			uint64_t *w = (uint64_t *)(mem + p * PAGE);

			for (unsigned long i = 0; i < PAGE / 8; i++)
				w[i] = pattern(p, i);
		}
	}
	nchunks = c;
	free_filled = mem_free_kb(node);

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
	held_pages = nchunks * (held / PAGE);
	free_after = mem_free_kb(node);

	printf("{\"workload\":\"fragment\",\"event\":\"fragmented\",\"node\":%d,"
	       "\"filled_mib\":%lu,\"held_mib\":%lu,\"free_kb_before\":%ld,"
	       "\"free_kb_filled\":%ld,\"free_kb_after\":%ld,\"seconds\":%.2f}\n",
	       node, nchunks * 2, held_pages * PAGE >> 20, free_before,
	       free_filled, free_after, now() - t0);
	fflush(stdout);
	/* The released memory must really be free (see DESIGN: max_map_count) */
	if ((free_after - free_filled) < (long)((nchunks * (CHUNK - held)) >> 10) / 2) {
		fprintf(stderr, "fragment: released %lu KiB, but free memory grew by %ld KiB\n",
			(nchunks * (CHUNK - held)) >> 10, free_after - free_filled);
		errno = 0;
		die("MADV_DONTNEED released less than half of what it should");
	}

	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0)
			die("creating the ready file");
		close(fd);
	}

	if (hold_sec >= 0) {
		struct timespec ts = { .tv_sec = hold_sec };

		while (sigtimedwait(&set, NULL, &ts) < 0 && errno == EINTR)
			;
	} else {
		int sig;

		sigwait(&set, &sig);
	}

	if (corrupt)
		mem[123] ^= 0x01;	/* page 0 is always held */

	for (c = 0; c < nchunks; c++) {
		for (unsigned long p = 0; p < (stride ? CHUNK : held) / PAGE; p++) {
			unsigned long page = (c * CHUNK) / PAGE + p;

			if (stride && p % stride == (unsigned long)stride - 1)
				continue;
			uint64_t *w = (uint64_t *)(mem + page * PAGE);

			for (unsigned long i = 0; i < PAGE / 8; i++) {
				if (w[i] != pattern(page, i)) {
					if (bad < 5)
						fprintf(stderr, "fragment: page %lu word %lu: %#llx, expected %#llx\n",
							page, i, (unsigned long long)w[i],
							(unsigned long long)pattern(page, i));
					bad++;
					break;
				}
			}
		}
	}
	printf("{\"workload\":\"fragment\",\"event\":\"verified\",\"pages\":%lu,\"corrupt_pages\":%lu}\n",
	       held_pages, bad);
	return bad ? 1 : 0;
}
