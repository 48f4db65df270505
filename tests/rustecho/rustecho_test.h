/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the rustecho tests: loading, whole-buffer I/O,
 * /proc/rustecho values and state file images.
 */
#ifndef TESTS_RUSTECHO_TEST_H
#define TESTS_RUSTECHO_TEST_H

#include <stdint.h>
#include <linux/rustecho.h>

#include "tap.h"
#include "guest.h"

#define DEV RUSTECHO_DEVICE
#define MOD "rustecho"

/* an address that faults, hidden from the compiler's bounds checks */
static void *volatile bad_addr = (void *)8;

static inline void load_or_bail(const char *params)
{
	mod_reload_or_bail(MOD, params);
}

static inline void unload_or_bail(void)
{
	mod_unload_or_bail(MOD);
}

/* write BUF on a fresh open of PATH; returns write()'s result */
static inline ssize_t put(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, buf, len);
	close(fd);
	return n;
}

static inline ssize_t put_str(const char *path, const char *s)
{
	return put(path, s, strlen(s));
}

/* what "cat PATH" gets: one open, read to EOF with CHUNK-byte reads */
static inline ssize_t cat_chunked(const char *path, char *buf, size_t size,
				  size_t chunk)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, total = 0;

	if (fd < 0)
		return -1;
	for (;;) {
		size_t want = size - total < chunk ? size - total : chunk;

		n = read(fd, buf + total, want);
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	if (n < 0)
		return -1;
	if ((size_t)total < size)
		buf[total] = '\0';
	return total;
}

static inline ssize_t cat(const char *path, char *buf, size_t size)
{
	return cat_chunked(path, buf, size, size);
}

/* whether PATH reads back exactly WANT */
static inline bool holds(const char *path, const char *want)
{
	char buf[4096];

	return cat(path, buf, sizeof(buf)) == (ssize_t)strlen(want) &&
	       !memcmp(buf, want, strlen(want));
}

/* the value of KEY in /proc/rustecho, or -1 if there is no such line */
static inline long long stat_of(const char *key)
{
	char buf[16384], *line;
	size_t n = strlen(key);

	if (read_file(RUSTECHO_PROC, buf, sizeof(buf)) <= 0)
		return -1;
	for (line = buf; line && *line; line = strchr(line, '\n'),
	     line = line ? line + 1 : NULL)
		if (!strncmp(line, key, n) && line[n] == ':' &&
		    line[n + 1] == ' ')
			return strtoll(line + n + 2, NULL, 10);
	return -1;
}

/* CRC-32 as zlib computes it, bit by bit (the state file's checksum) */
static inline uint32_t crc32_ieee(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	int k;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320 : crc >> 1;
	}
	return ~crc;
}

/* recompute the header's crc of a state file image of LEN bytes */
static inline void fix_crc(unsigned char *img, size_t len)
{
	struct rustecho_state_hdr *h = (void *)img;
	uint32_t crc;

	h->crc = 0;
	crc = crc32_ieee(0, img, len);
	memcpy(&h->crc, &crc, sizeof(crc));	/* x86: little endian */
}

/* write LEN bytes of BUF to PATH, created or emptied, with mode MODE */
static inline int spill(const char *path, const void *buf, size_t len,
			mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, buf, len);
	fchmod(fd, mode);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

#endif /* TESTS_RUSTECHO_TEST_H */
