/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest.h - helpers for in-guest tests: loading and unloading modules,
 * watching the kernel log, small file utilities.
 *
 * Modules are loaded from the working directory of the guest (/root),
 * where tests/vm/vmrun puts every .ko built for the running kernel.
 */
#ifndef TESTS_GUEST_H
#define TESTS_GUEST_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tap.h"

#ifndef MODULE_DIR
#define MODULE_DIR "/root"
#endif

/* Load NAME.ko with PARAMS; returns 0 or -errno. */
static inline int mod_load(const char *name, const char *params)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s.ko", MODULE_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/* Unload NAME the way rmmod does (never waits); 0 or -errno. */
static inline int mod_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static inline bool mod_loaded(const char *name)
{
	char line[512];
	size_t n = strlen(name);
	bool found = false;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, name, n) && line[n] == ' ';
	fclose(f);
	return found;
}

/* Unload NAME if it is loaded, so that a test starts from a known state. */
static inline void mod_ensure_unloaded(const char *name)
{
	if (mod_loaded(name))
		mod_unload(name);
}

/* (Re)load NAME.ko with PARAMS; a test that cannot do so stops here. */
static inline void mod_reload_or_bail(const char *name, const char *params)
{
	int ret;

	mod_ensure_unloaded(name);
	ret = mod_load(name, params);
	if (ret)
		bail_out("cannot load %s %s: %s", name, params ? params : "",
			 strerror(-ret));
}

/* Unload NAME; a test that cannot do so stops here. */
static inline void mod_unload_or_bail(const char *name)
{
	int ret = mod_unload(name);

	if (ret)
		bail_out("cannot unload %s: %s", name, strerror(-ret));
}

static inline int kmsg_open(void);
static inline char *kmsg_collect(int fd);
static inline bool log_has(const char *log, const char *needle);

/* Parameters a module must refuse, and what it must log about them */
struct refusal {
	const char *params;
	const char *log;
};

/*
 * Each of the N refusals: loading NAME with its parameters fails with
 * EINVAL, leaves the module unloaded and logs a line containing its text.
 * One TAP line each.
 */
static inline void mod_check_refusals(const char *name,
				      const struct refusal *r, size_t n)
{
	size_t i;

	mod_ensure_unloaded(name);
	for (i = 0; i < n; i++) {
		int k = kmsg_open();
		int ret = mod_load(name, r[i].params);
		char *log = kmsg_collect(k);

		ok(ret == -EINVAL && !mod_loaded(name) &&
		   log_has(log, r[i].log),
		   "%s refused with EINVAL and a clear message", r[i].params);
		if (ret == 0)
			mod_unload(name);
		free(log);
		close(k);
	}
}

/*
 * Kernel log capture: kmsg_open() positions at the end of the log;
 * kmsg_collect() then returns the text of every record logged since, one
 * per line (caller frees).
 */
static inline int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static inline char *kmsg_collect(int fd)
{
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);
	char rec[8192];
	ssize_t n;

	if (!out)
		return NULL;
	out[0] = '\0';
	for (;;) {
		char *text, *end;
		size_t tl;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten: skip ahead */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		end = strchr(text, '\n');
		tl = end ? (size_t)(end - text) : strlen(text);
		if (len + tl + 2 > cap) {
			char *bigger;

			cap = 2 * (len + tl + 2);
			bigger = realloc(out, cap);
			if (!bigger)
				break;
			out = bigger;
		}
		memcpy(out + len, text, tl);
		len += tl;
		out[len++] = '\n';
		out[len] = '\0';
	}
	return out;
}

/* How many whole lines of LOG equal LINE. */
static inline int log_count(const char *log, const char *line)
{
	size_t n = strlen(line);
	const char *p = log;
	int count = 0;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t l = eol ? (size_t)(eol - p) : strlen(p);

		if (l == n && !memcmp(p, line, n))
			count++;
		p = eol ? eol + 1 : NULL;
	}
	return count;
}

/* Whether some line of LOG contains NEEDLE. */
static inline bool log_has(const char *log, const char *needle)
{
	return log && strstr(log, needle);
}

/* Read a whole small file into BUF (NUL-terminated); bytes read or -errno */
static inline ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1 &&
	       (n = read(fd, buf + total, size - 1 - total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return total;
}

static inline long long read_ll(const char *path)
{
	char buf[64];

	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtoll(buf, NULL, 0);
}

static inline int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -errno;
}

/*
 * The debug kernel (KASAN, lockdep, kmemleak...) runs everything many
 * times slower; tests that size their work by volume do less there, for
 * what its detectors see.  It is the kernel with kmemleak.
 */
static inline bool debug_kernel(void)
{
	return !access("/sys/kernel/debug/kmemleak", F_OK);
}

/*
 * An address that faults: a page mapped and unmapped again.  (A literal
 * like (void *)8 also faults, but the compiler sees through it.)
 */
static inline void *bad_address(void)
{
	static void *addr;

	if (!addr) {
		addr = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
		if (addr == MAP_FAILED)
			abort();
		munmap(addr, 4096);
	}
	return addr;
}

#endif /* TESTS_GUEST_H */
