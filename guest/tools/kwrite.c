// SPDX-License-Identifier: GPL-2.0
/*
 * kwrite: write one string to a file in a single write(2) and print what
 * the kernel answered, for the in-guest knob tests.
 *
 *   kwrite [-u UID] [-n COUNT] FILE DATA   write DATA; print "ok N" (bytes
 *                                          written) or the errno name
 *   kwrite -R COUNT FILE                   read FILE COUNT times; print each
 *                                          distinct first line once
 *
 * DATA takes the escapes \n \t \r \0 \\ and \xHH, so a test can send a NUL,
 * a control character or invalid UTF-8. -u drops to UID (and its group)
 * before opening FILE. -n repeats the write COUNT times, for races, and
 * prints "ok=A EINVAL=B other=C". Exit status: 0 unless the usage is wrong
 * or FILE cannot be opened for a reason other than permission.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *errname(int e)
{
	static char buf[32];

	switch (e) {
	case EINVAL: return "EINVAL";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ERANGE: return "ERANGE";
	case E2BIG: return "E2BIG";
	case EIO: return "EIO";
	case EBUSY: return "EBUSY";
	case EFAULT: return "EFAULT";
	case ENODEV: return "ENODEV";
	case EINTR: return "EINTR";
	case ENOMEM: return "ENOMEM";
	}
	snprintf(buf, sizeof(buf), "errno=%d", e);
	return buf;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the escapes of @s into @out; return the length. */
static size_t unescape(const char *s, char *out)
{
	size_t n = 0;

	while (*s) {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': out[n++] = '\n'; s++; break;
		case 't': out[n++] = '\t'; s++; break;
		case 'r': out[n++] = '\r'; s++; break;
		case '0': out[n++] = '\0'; s++; break;
		case '\\': out[n++] = '\\'; s++; break;
		case 'x':
			if (hexval(s[1]) < 0 || hexval(s[2]) < 0) {
				fprintf(stderr, "kwrite: bad \\x escape\n");
				exit(2);
			}
			out[n++] = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 3;
			break;
		default:
			fprintf(stderr, "kwrite: unknown escape \\%c\n", *s);
			exit(2);
		}
	}
	return n;
}

static int read_loop(const char *file, long count)
{
	char seen[64][64];
	int nseen = 0;

	for (long i = 0; i < count; i++) {
		char buf[64] = "";
		int fd = open(file, O_RDONLY);
		ssize_t r;

		if (fd < 0) {
			printf("%s\n", errname(errno));
			return 1;
		}
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r < 0) {
			printf("%s\n", errname(errno));
			return 1;
		}
		buf[r] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		int j;

		for (j = 0; j < nseen; j++)
			if (!strcmp(seen[j], buf))
				break;
		if (j == nseen && nseen < 64)
			strcpy(seen[nseen++], buf);
	}
	for (int j = 0; j < nseen; j++)
		printf("%s%s", j ? " " : "", seen[j]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	long uid = -1, count = 1, reads = 0;
	long ok = 0, einval = 0, other = 0;
	const char *file;
	char *data;
	size_t len;
	int opt;

	while ((opt = getopt(argc, argv, "+u:n:R:")) != -1) {
		switch (opt) {
		case 'u': uid = atol(optarg); break;
		case 'n': count = atol(optarg); break;
		case 'R': reads = atol(optarg); break;
		default: goto usage;
		}
	}
	if (reads > 0) {
		if (optind + 1 != argc)
			goto usage;
		return read_loop(argv[optind], reads);
	}
	if (optind + 2 != argc || count < 1)
		goto usage;
	file = argv[optind];
	data = malloc(strlen(argv[optind + 1]) + 1);
	if (!data)
		return 2;
	len = unescape(argv[optind + 1], data);

	if (uid >= 0) {
		if (setgroups(0, NULL) || setgid(uid) || setuid(uid)) {
			perror("kwrite: dropping privileges");
			return 2;
		}
	}

	for (long i = 0; i < count; i++) {
		int fd = open(file, O_WRONLY);
		ssize_t w;

		if (fd < 0) {
			if (count == 1) {
				printf("%s\n", errname(errno));
				return errno == EACCES || errno == EPERM ? 0 : 1;
			}
			other++;
			continue;
		}
		w = write(fd, data, len);
		if (count == 1) {
			if (w < 0)
				printf("%s\n", errname(errno));
			else
				printf("ok %zd\n", w);
		} else if (w >= 0) {
			ok++;
		} else if (errno == EINVAL) {
			einval++;
		} else {
			other++;
		}
		close(fd);
	}
	if (count > 1)
		printf("ok=%ld EINVAL=%ld other=%ld\n", ok, einval, other);
	return 0;
usage:
	fprintf(stderr, "usage: kwrite [-u UID] [-n COUNT] FILE DATA | kwrite -R COUNT FILE\n");
	return 2;
}
