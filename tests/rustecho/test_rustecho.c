// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of rustecho.ko: the device of seed 004 (write replaces,
 * read streams by position without consuming), its parameters, capacity,
 * faulting buffers, /proc/rustecho statistics and instances.
 */
#include <sys/mman.h>
#include <sys/uio.h>

#include "rustecho_test.h"

static void test_bad_params(void)
{
	static const struct refusal bad[] = {
		{ "max_size=0", "max_size=0 is out of range 1-67108864" },
		{ "max_size=67108865", "max_size=67108865 is out of range" },
		{ "instances=0", "instances=0 is out of range 1-64" },
		{ "instances=65", "instances=65 is out of range 1-64" },
		{ "mode=0", "mode=0 is out of range 0001-0777" },
		{ "mode=01000", "mode=01000 is out of range 0001-0777" },
		{ "persist_path=state", "persist_path=state is not an absolute path" },
		{ "persist_path=/", "persist_path=/ is not an absolute path" },
		{ "persist_path=/tmp/..", "persist_path=/tmp/.. is not an absolute" },
		{ "max_size=abc", "invalid for parameter `max_size'" },
		{ "mode=-1", "invalid for parameter `mode'" },
	};

	mod_check_refusals(MOD, bad, sizeof(bad) / sizeof(bad[0]));
}

static void test_load(void)
{
	int k = kmsg_open();
	struct stat st;
	char *log;

	mod_ensure_unloaded(MOD);
	is_int(mod_load(MOD, NULL), 0, "loads with default parameters");
	log = kmsg_collect(k);
	is_int(log_count(log, "rustecho: module loaded"), 1,
	       "dmesg: rustecho: module loaded");
	free(log);
	close(k);

	ok(stat(DEV, &st) == 0 && S_ISCHR(st.st_mode), DEV " is a char device");
	is_int(st.st_mode & 07777, 0600, DEV " has mode 0600");
	ok(st.st_uid == 0 && st.st_gid == 0, DEV " is owned by root:root");
	ok(stat("/dev/rustecho0", &st) == -1 && errno == ENOENT,
	   "one instance: no /dev/rustecho0");
	is_int(read_ll("/sys/module/rustecho/parameters/max_size"), 1048576,
	       "max_size defaults to 1 MiB");
	is_int(read_ll("/sys/module/rustecho/parameters/instances"), 1,
	       "instances defaults to 1");
	ok(stat(RUSTECHO_PROC, &st) == 0 && (st.st_mode & 0777) == 0444,
	   RUSTECHO_PROC " exists, mode 0444");
}

/* The seed's flow: write once, read back as often as you like. */
static void test_echo(void)
{
	static const char hello[] = "hello from user space\n";
	int k = kmsg_open();
	char buf[256], *log;
	int fd;

	is_int(put_str(DEV, hello), 22, "write 22 bytes");
	ok(holds(DEV, hello), "cat returns them");
	ok(holds(DEV, hello), "and again: reading does not consume");
	log = kmsg_collect(k);
	is_int(log_count(log, "rustecho: wrote 22 bytes"), 1,
	       "dmesg: rustecho: wrote 22 bytes");
	is_int(log_count(log, "rustecho: read 22 bytes"), 2,
	       "dmesg: rustecho: read 22 bytes, once per cat");
	is_int(log_count(log, "rustecho: read 0 bytes"), 2,
	       "dmesg: rustecho: read 0 bytes at each end of file");
	free(log);
	close(k);

	/* by file position, in small pieces */
	is_int(cat_chunked(DEV, buf, sizeof(buf), 5), 22,
	       "5-byte reads return 22 bytes in all");
	ok(!memcmp(buf, hello, 22), "in order");

	/* two opens share the buffer, each with its own position */
	fd = open(DEV, O_RDONLY);
	is_int(read(fd, buf, 6), 6, "open A reads 6 bytes");
	ok(holds(DEV, hello), "open B still reads from the start");
	is_int(read(fd, buf, sizeof(buf)), 16, "open A reads the other 16");
	ok(!memcmp(buf, hello + 6, 16), "which are the rest");
	is_int(read(fd, buf, sizeof(buf)), 0, "then end of file");

	/* a write replaces the buffer, it does not append */
	is_int(put_str(DEV, "short\n"), 6, "write a shorter message");
	ok(holds(DEV, "short\n"), "the buffer is just that message");
	is_int(read(fd, buf, sizeof(buf)), 0,
	       "an open already past the new end reads end of file");
	close(fd);

	is_int(put(DEV, "", 0), 0, "a zero-length write succeeds");
	ok(holds(DEV, ""), "and leaves an empty buffer");
}

static void test_positions(void)
{
	char buf[64];
	int fd;

	is_int(put_str(DEV, "0123456789"), 10, "write 0123456789");
	fd = open(DEV, O_RDONLY);
	is_int(lseek(fd, 4, SEEK_SET), 4, "lseek(4, SEEK_SET)");
	is_int(read(fd, buf, 3), 3, "read 3");
	ok(!memcmp(buf, "456", 3), "reads 456");
	is_int(lseek(fd, 1, SEEK_CUR), 8, "lseek(1, SEEK_CUR) -> 8");
	is_int(lseek(fd, 0, SEEK_END), 10, "lseek(0, SEEK_END) -> 10");
	is_errno(lseek(fd, 11, SEEK_SET), EINVAL,
		 "lseek past the end of the buffer: EINVAL");
	is_errno(lseek(fd, -1, SEEK_SET), EINVAL, "lseek to -1: EINVAL");
	is_int(lseek(fd, 0, SEEK_CUR), 10, "a failed lseek moves nothing");
	is_int(pread(fd, buf, 3, 7), 3, "pread 3 at 7");
	ok(!memcmp(buf, "789", 3), "reads 789");
	is_int(pread(fd, buf, 3, 100), 0, "pread past the end: 0");
	close(fd);

	/* a write puts the writer's position back at the start (the seed) */
	fd = open(DEV, O_RDWR);
	is_int(read(fd, buf, 4), 4, "O_RDWR: read 4");
	is_int(write(fd, "xyz", 3), 3, "then write xyz");
	is_int(lseek(fd, 0, SEEK_CUR), 0, "the position is 0 again");
	is_int(read(fd, buf, sizeof(buf)), 3, "so a read returns all of xyz");
	ok(!memcmp(buf, "xyz", 3), "reads xyz");
	close(fd);
}

static void test_capacity(void)
{
	size_t big = 1 << 20;
	char *buf = malloc(big + 2), *back = malloc(big + 2);
	int k, fd;
	char *log;

	if (!buf || !back)
		bail_out("malloc");
	memset(buf, 'm', big + 1);
	is_int(put(DEV, buf, big), big, "default capacity: 1 MiB write accepted");
	k = kmsg_open();
	buf[0] = 'X';
	is_errno(put(DEV, buf, big + 1), ENOSPC,
		 "1 MiB + 1 byte write: ENOSPC");
	log = kmsg_collect(k);
	ok(log_has(log, "rustecho: /dev/rustecho: write of 1048577 bytes rejected, max_size is 1048576"),
	   "dmesg says why");
	free(log);
	close(k);
	fd = open(DEV, O_RDONLY);
	is_int(read(fd, back, big + 2), big, "the old 1 MiB buffer is still there");
	close(fd);
	ok(back[0] == 'm' && back[big - 1] == 'm', "unchanged");
	unload_or_bail();

	load_or_bail("max_size=16");
	is_int(put_str(DEV, "0123456789abcdef"), 16, "max_size=16: 16 bytes accepted");
	is_errno(put_str(DEV, "0123456789abcdefg"), ENOSPC, "17 bytes: ENOSPC");
	ok(holds(DEV, "0123456789abcdef"), "the buffer is unchanged");
	is_int(stat_of("rustecho.denied_writes"), 1, "counted as a denied write");
	unload_or_bail();
	free(buf);
	free(back);
}

static void test_efault(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iovec iov[2];
	char buf[64];
	long long writes;
	int fd;

	if (map == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	munmap(map + page, page);
	memset(map, 'f', page);

	load_or_bail(NULL);
	is_int(put_str(DEV, "keep me\n"), 8, "write keep me");
	writes = stat_of("rustecho.writes");
	is_errno(put(DEV, bad_addr, 10), EFAULT, "write from an unmapped address: EFAULT");
	is_errno(put(DEV, map + page - 100, 200), EFAULT,
		 "write straddling into an unmapped page: EFAULT");
	fd = open(DEV, O_WRONLY);
	iov[0].iov_base = "good";
	iov[0].iov_len = 4;
	iov[1].iov_base = bad_addr;
	iov[1].iov_len = 4;
	is_errno(writev(fd, iov, 2), EFAULT, "writev with one bad segment: EFAULT");
	close(fd);
	ok(holds(DEV, "keep me\n"), "the buffer is unchanged");
	is_int(stat_of("rustecho.writes"), writes, "failed writes are not counted");

	fd = open(DEV, O_RDONLY);
	is_errno(read(fd, bad_addr, 8), EFAULT, "read into an unmapped address: EFAULT");
	is_int(lseek(fd, 0, SEEK_CUR), 0, "and the position does not move");
	is_int(read(fd, buf, sizeof(buf)), 8, "a good read then gets everything");
	ok(!memcmp(buf, "keep me\n", 8), "the whole buffer");
	close(fd);

	fd = open(DEV, O_RDONLY);
	{
		ssize_t n = read(fd, map + page - 3, 8);

		ok(n == 3 && !memcmp(map + page - 3, "kee", 3),
		   "a read straddling into an unmapped page returns the 3 bytes that fit (got %zd)",
		   n);
		is_int(lseek(fd, 0, SEEK_CUR), n > 0 ? n : 0,
		       "and advances the position by that much");
	}
	close(fd);
	munmap(map, page);
	unload_or_bail();
}

static void test_verbose(void)
{
	int k;
	char *log;

	load_or_bail("verbose=0");
	k = kmsg_open();
	is_int(put_str(DEV, "quiet\n"), 6, "verbose=0: write");
	ok(holds(DEV, "quiet\n"), "verbose=0: read");
	log = kmsg_collect(k);
	ok(!log_has(log, "rustecho: wrote") && !log_has(log, "rustecho: read"),
	   "verbose=0: no per-call lines in dmesg");
	free(log);
	close(k);
	unload_or_bail();
}

/* A known sequence, then every value of /proc/rustecho. */
static void test_stats(void)
{
	char buf[64];
	char big[17] = "0123456789abcdefg";
	char text[4096];
	int fd;

	load_or_bail("max_size=16");
	is_int(stat_of("instances"), 1, "/proc: instances: 1");
	is_int(stat_of("max_size"), 16, "/proc: max_size: 16");
	is_int(stat_of("rustecho.reads"), 0, "/proc: no reads yet");

	/* 1 write, 6 bytes; reads of 4, 2, 0; a denied write (17 > 16) */
	is_int(put_str(DEV, "hello\n"), 6, "write 6 bytes");
	is_int(cat_chunked(DEV, buf, sizeof(buf), 4), 6, "read them 4 at a time");
	is_errno(put(DEV, big, sizeof(big)), ENOSPC, "write 17: ENOSPC");
	/* 1 write of 0 bytes, 1 read of 0 */
	is_int(put(DEV, "", 0), 0, "write 0 bytes");
	is_int(cat(DEV, buf, sizeof(buf)), 0, "read: end of file at once");
	/* 1 write of 3 bytes, a failed read (not counted), 1 read of 2 */
	is_int(put_str(DEV, "abc"), 3, "write 3 bytes");
	fd = open(DEV, O_RDONLY);
	is_errno(read(fd, bad_addr, 3), EFAULT, "read into a bad address");
	is_int(pread(fd, buf, 10, 1), 2, "pread 10 at 1 returns 2");
	close(fd);

	is_int(stat_of("rustecho.reads"), 5, "/proc: rustecho.reads: 5");
	is_int(stat_of("rustecho.writes"), 3, "/proc: rustecho.writes: 3");
	is_int(stat_of("rustecho.bytes_read"), 8, "/proc: rustecho.bytes_read: 8");
	is_int(stat_of("rustecho.bytes_written"), 9,
	       "/proc: rustecho.bytes_written: 9");
	is_int(stat_of("rustecho.denied_writes"), 1,
	       "/proc: rustecho.denied_writes: 1");
	is_int(stat_of("rustecho.lock_contentions"), 0,
	       "/proc: rustecho.lock_contentions: 0 (nothing ran concurrently)");
	is_int(stat_of("rustecho.size"), 3, "/proc: rustecho.size: 3");

	read_file(RUSTECHO_PROC, text, sizeof(text));
	{
		/* every line is "key: value" with a decimal value, but
		 * the first, "version: <MODULE_VERSION>" */
		char *line = text;
		int lines = 0, good = 0;

		while (*line) {
			char *eol = strchr(line, '\n'), *colon, *end;

			if (!eol)
				break;
			*eol = '\0';
			colon = strstr(line, ": ");
			lines++;
			if (lines == 1)
				good += !strncmp(line, "version: ", 9);
			else if (colon && colon > line &&
			    !memchr(line, ' ', colon - line)) {
				strtoll(colon + 2, &end, 10);
				good += end > colon + 2 && *end == '\0';
			}
			line = eol + 1;
		}
		is_int(lines, 10, "/proc/rustecho has 3 + 7 lines");
		is_int(good, lines, "version, then each one \"key: decimal\"");
	}
	unload_or_bail();
	ok(access(RUSTECHO_PROC, F_OK) == -1 && errno == ENOENT,
	   RUSTECHO_PROC " is gone after unload");
}

static void test_instances(void)
{
	static const char *const dev[] = {
		"/dev/rustecho0", "/dev/rustecho1", "/dev/rustecho2"
	};
	static const char *const msg[] = { "a\n", "bb\n", "ccc\n" };
	char key[64];
	struct stat st;
	int i;

	load_or_bail("instances=3");
	for (i = 0; i < 3; i++)
		ok(stat(dev[i], &st) == 0 && S_ISCHR(st.st_mode) &&
		   (st.st_mode & 07777) == 0600, "%s exists, mode 0600", dev[i]);
	ok(stat(DEV, &st) == -1 && errno == ENOENT, "no " DEV " with instances=3");
	is_int(stat_of("instances"), 3, "/proc: instances: 3");
	for (i = 0; i < 3; i++)
		is_int(put_str(dev[i], msg[i]), (long long)strlen(msg[i]),
		       "write %zu bytes to %s", strlen(msg[i]), dev[i]);
	for (i = 0; i < 3; i++)
		ok(holds(dev[i], msg[i]), "%s holds its own message", dev[i]);
	is_int(put_str(dev[1], "new\n"), 4, "rewrite %s", dev[1]);
	ok(holds(dev[0], msg[0]) && holds(dev[2], msg[2]),
	   "the other instances are untouched");
	for (i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "rustecho%d.writes", i);
		is_int(stat_of(key), i == 1 ? 2 : 1, "/proc: %s", key);
		snprintf(key, sizeof(key), "rustecho%d.bytes_written", i);
		is_int(stat_of(key), i == 1 ? 7 : (long long)strlen(msg[i]),
		       "/proc: %s", key);
		snprintf(key, sizeof(key), "rustecho%d.reads", i);
		is_int(stat_of(key), i == 1 ? 2 : 4, "/proc: %s", key);
	}
	is_int(stat_of("rustecho.writes"), -1, "/proc: no rustecho.* keys");
	unload_or_bail();
	for (i = 0; i < 3; i++)
		ok(stat(dev[i], &st) == -1 && errno == ENOENT,
		   "%s is gone after unload", dev[i]);

	load_or_bail("instances=64");
	ok(stat("/dev/rustecho63", &st) == 0 && stat("/dev/rustecho64", &st) == -1,
	   "instances=64: /dev/rustecho0 ... /dev/rustecho63");
	unload_or_bail();
}

static void test_mode(void)
{
	struct stat st;

	load_or_bail("mode=0644 instances=2");
	ok(stat("/dev/rustecho0", &st) == 0 && (st.st_mode & 07777) == 0644 &&
	   stat("/dev/rustecho1", &st) == 0 && (st.st_mode & 07777) == 0644,
	   "mode=0644: both nodes are 0644");
	unload_or_bail();
}

static void test_unload(void)
{
	int fd, k;
	char *log;

	load_or_bail(NULL);
	fd = open(DEV, O_RDONLY);
	ok(fd >= 0, "open " DEV);
	is_int(mod_unload(MOD), -EWOULDBLOCK, "rmmod while open: refused, module in use");
	ok(mod_loaded(MOD), "the module is still loaded");
	close(fd);
	k = kmsg_open();
	is_int(mod_unload(MOD), 0, "rmmod after close");
	log = kmsg_collect(k);
	is_int(log_count(log, "rustecho: module unloaded"), 1,
	       "dmesg: rustecho: module unloaded");
	free(log);
	close(k);
	ok(access(DEV, F_OK) == -1 && errno == ENOENT, DEV " is gone");
}

int main(void)
{
	test_bad_params();
	test_load();
	test_echo();
	test_positions();
	test_capacity();
	test_efault();
	test_verbose();
	test_stats();
	test_instances();
	test_mode();
	test_unload();
	mod_ensure_unloaded(MOD);
	return done_testing();
}
