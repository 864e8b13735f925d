/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest tools that follow kcompactd through the trace share:
 * writing a control file, and reading trace_pipe line by line with a
 * deadline. Include after workload.h.
 */
#ifndef PCOMPACT_TRACEPIPE_H
#define PCOMPACT_TRACEPIPE_H

#include <poll.h>

#define TRACING		"/sys/kernel/tracing"

static inline void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		die(path);
	close(fd);
}

/* The trace timestamp of @line in us: the number before ": EVENT:" */
static inline double stamp(const char *line, const char *ev)
{
	const char *t = ev;

	while (t > line && (t[-1] == '.' || (t[-1] >= '0' && t[-1] <= '9')))
		t--;
	return strtod(t, NULL) * 1e6;
}

/* The first character of the file @path ('0' if it cannot be read) */
static inline char first_char(const char *path)
{
	char c = '0';
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '0';
		close(fd);
	}
	return c;
}

/*
 * The next line of trace_pipe into @line, or 0 after @deadline (us).
 * trace_pipe's reads return whatever is there, not whole lines.
 */
static inline int next_line(int fd, char *line, size_t len, double deadline)
{
	/* what was read of trace_pipe beyond the last whole line */
	static char tp_pending[1 << 16];
	static size_t tp_npending;

	for (;;) {
		char *nl = memchr(tp_pending, '\n', tp_npending);

		if (nl) {
			size_t n = nl - tp_pending;

			if (n >= len)
				n = len - 1;
			memcpy(line, tp_pending, n);
			line[n] = 0;
			tp_npending -= nl + 1 - tp_pending;
			memmove(tp_pending, nl + 1, tp_npending);
			return 1;
		}
		double left = deadline - now_us();

		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, left / 1e3 + 1) <= 0)
			continue;
		ssize_t r = read(fd, tp_pending + tp_npending, sizeof(tp_pending) - 1 - tp_npending);

		if (r < 0 && errno != EINTR && errno != EAGAIN)
			die("reading trace_pipe");
		if (r > 0)
			tp_npending += r;
		if (tp_npending == sizeof(tp_pending) - 1)
			tp_npending = 0;	/* a line that long is not ours */
	}
}

#endif /* PCOMPACT_TRACEPIPE_H */
