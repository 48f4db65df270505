// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of rustqueue.ko: the behaviour of seed 002 and the
 * foundation issue (parameters, boundaries, faults, unload).
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <linux/rustqueue.h>

#include "rqtest.h"

#define DEV RUSTQUEUE_DEVICE
#define MOD "rustqueue"

/* write one message on a fresh open; returns write()'s result */
static ssize_t put(const void *buf, size_t len)
{
	int fd = open(DEV, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, buf, len);
	close(fd);
	return n;
}

static ssize_t put_str(const char *s)
{
	return put(s, strlen(s));
}

/* what "cat /dev/rustqueue" gets: one open, read to EOF */
static ssize_t cat(char *buf, size_t size)
{
	int fd = open(DEV, O_RDONLY);
	ssize_t n, total = 0;

	if (fd < 0)
		return -1;
	while ((size_t)total < size &&
	       (n = read(fd, buf + total, size - total)) > 0)
		total += n;
	close(fd);
	return total;
}

/* drain the queue; returns how many messages it held */
static int drain(void)
{
	char buf[8192];
	int n = 0;

	while (cat(buf, sizeof(buf)) > 0)
		n++;
	return n;
}

static void test_bad_params(void)
{
	static const struct refusal bad[] = {
		{ "max_messages=0", "max_messages=0 is out of range" },
		{ "max_messages=65537", "max_messages=65537 is out of range" },
		{ "max_msg_size=0", "max_msg_size=0 is out of range" },
		{ "max_msg_size=4194305", "max_msg_size=4194305 is out of range" },
		{ "max_messages=abc", "invalid for parameter `max_messages'" },
		{ "max_messages=-1", "invalid for parameter `max_messages'" },
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
	is_int(log_count(log, "rustqueue: module loaded (capacity 16 messages)"),
	       1, "dmesg: module loaded (capacity 16 messages)");
	free(log);
	close(k);

	ok(stat(DEV, &st) == 0 && S_ISCHR(st.st_mode), DEV " is a char device");
	is_int(st.st_mode & 07777, 0600, DEV " has mode 0600");
	ok(st.st_uid == 0 && st.st_gid == 0, DEV " is owned by root:root");
	is_int(read_ll("/sys/module/rustqueue/parameters/max_messages"), 16,
	       "max_messages defaults to 16");
	is_int(read_ll("/sys/module/rustqueue/parameters/max_msg_size"), 4096,
	       "max_msg_size defaults to 4096");
}

/* The seed's first walkthrough: three messages in, three out, then EOF. */
static void test_seed_three_messages(void)
{
	static const char *const msgs[] = {
		"first message\n", "second message\n", "third message\n"
	};
	static const char *const want_log[] = {
		"rustqueue: enqueued 14 bytes (1 in queue)",
		"rustqueue: enqueued 15 bytes (2 in queue)",
		"rustqueue: enqueued 14 bytes (3 in queue)",
		"rustqueue: dequeued (2 remaining)",
		"rustqueue: dequeued (1 remaining)",
		"rustqueue: dequeued (0 remaining)",
	};
	int k = kmsg_open();
	char buf[256];
	char *log;
	int i;

	for (i = 0; i < 3; i++)
		is_int(put_str(msgs[i]), strlen(msgs[i]), "enqueue %s",
		       i == 0 ? "first" : i == 1 ? "second" : "third");
	for (i = 0; i < 3; i++) {
		ssize_t n = cat(buf, sizeof(buf));

		ok(n == (ssize_t)strlen(msgs[i]) && !memcmp(buf, msgs[i], n),
		   "cat %d returns \"%.*s\"", i + 1, (int)strlen(msgs[i]) - 1,
		   msgs[i]);
	}
	is_int(cat(buf, sizeof(buf)), 0, "fourth cat: empty, EOF at once");

	log = kmsg_collect(k);
	for (i = 0; i < 6; i++)
		is_int(log_count(log, want_log[i]), 1, "dmesg: %s", want_log[i]);
	free(log);
	close(k);
}

/* The seed's second walkthrough: 20 writes, 16 accepted, 4 rejected. */
static void test_seed_twenty_writes(void)
{
	int k = kmsg_open();
	int accepted = 0, enospc = 0, other = 0, i, in_order = 1;
	char buf[64], want[64];
	char *log;

	for (i = 1; i <= 20; i++) {
		snprintf(buf, sizeof(buf), "message %d\n", i);
		if (put_str(buf) == (ssize_t)strlen(buf))
			accepted++;
		else if (errno == ENOSPC && i > 16)
			enospc++;
		else
			other++;
	}
	is_int(accepted, 16, "20 writes: 16 accepted");
	is_int(enospc, 4, "20 writes: writes 17-20 rejected with ENOSPC");
	is_int(other, 0, "20 writes: no other outcome");
	log = kmsg_collect(k);
	is_int(log_count(log, "rustqueue: queue full, rejecting write"), 4,
	       "dmesg: 4 x queue full, rejecting write");
	is_int(log_count(log, "rustqueue: enqueued 11 bytes (16 in queue)"), 1,
	       "dmesg: enqueued 11 bytes (16 in queue)");
	free(log);
	close(k);

	for (i = 1; i <= 16; i++) {
		ssize_t n = cat(buf, sizeof(buf));

		snprintf(want, sizeof(want), "message %d\n", i);
		if (n != (ssize_t)strlen(want) || memcmp(buf, want, n))
			in_order = 0;
	}
	ok(in_order, "the 16 accepted messages come out in FIFO order");
	is_int(cat(buf, sizeof(buf)), 0, "then the queue is empty");
}

static void test_size_boundary(void)
{
	static char big[4097], got[8192];
	int k;
	char *log;
	ssize_t n;

	memset(big, 'x', sizeof(big));
	big[0] = 'A';
	big[4095] = 'Z';
	is_int(put(big, 4096), 4096, "a 4096-byte message is accepted");
	k = kmsg_open();
	n = put(big, 4097);
	is_errno(n, EINVAL, "a 4097-byte message gets EINVAL");
	log = kmsg_collect(k);
	ok(!log_has(log, "enqueued"), "the 4097-byte message was not enqueued");
	free(log);
	close(k);
	n = cat(got, sizeof(got));
	ok(n == 4096 && !memcmp(got, big, 4096),
	   "the queue holds exactly the 4096-byte message");
	is_int(cat(got, sizeof(got)), 0, "and nothing else");
	is_int(put("", 0), 0, "a zero-length message is accepted");
	is_int(drain(), 0, "it reads back as an immediate EOF");
}

static void test_efault(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char buf[64];
	struct iovec iov[2];
	int fd;

	if (map == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	memset(map, 'm', page);
	munmap(map + page, page);

	is_errno(put((void *)8, 10), EFAULT, "write from an unmapped address: EFAULT");
	is_errno(put(map + page - 100, 200), EFAULT,
		 "write straddling into an unmapped page: EFAULT");
	fd = open(DEV, O_WRONLY);
	iov[0].iov_base = map;
	iov[0].iov_len = 50;
	iov[1].iov_base = map + page;
	iov[1].iov_len = 50;
	is_errno(writev(fd, iov, 2), EFAULT, "writev with one bad segment: EFAULT");
	close(fd);
	is_int(drain(), 0, "no faulting write enqueued anything");

	/* a faulting read keeps the dequeued message for the same open */
	is_int(put_str("kept\n"), 5, "enqueue a message");
	fd = open(DEV, O_RDONLY);
	is_errno(read(fd, map + page, 16), EFAULT, "read into an unmapped page: EFAULT");
	memset(buf, 0, sizeof(buf));
	ok(read(fd, buf, sizeof(buf)) == 5 && !strcmp(buf, "kept\n"),
	   "the next read of that open still gets the message");
	is_int(read(fd, buf, sizeof(buf)), 0, "then EOF");
	close(fd);
	munmap(map, page);
}

/* whether got[len..] (up to 4096) still holds 0xa5 */
static bool untouched(const unsigned char *got, size_t len)
{
	for (; len < 4096; len++)
		if (got[len] != 0xa5)
			return false;
	return true;
}

/*
 * Copies of up to 128 bytes cross to and from user memory through a
 * buffer on the stack, longer ones directly (dev.c): both sides of that
 * line keep every byte, in whole reads and in pieces of 50 and 200
 * bytes (a stream read at an offset), write nothing past the message,
 * and a copy that faults part way loses nothing.
 */
static void test_copy_sizes(void)
{
	static const size_t sizes[] = { 1, 127, 128, 129, 4096 };
	static unsigned char msg[4096], got[4096];
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static const size_t piece[] = { 50, 200 };
	size_t i, k, p, off;
	bool whole = true, pieces = true;
	ssize_t n;
	int fd;

	if (map == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	munmap(map + page, page);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (i = 0; i < sizes[k]; i++)
			msg[i] = (unsigned char)(i * 13 + k + 1);
		memset(got, 0xa5, sizeof(got));
		if (put(msg, sizes[k]) != (ssize_t)sizes[k] ||
		    cat((char *)got, sizeof(got)) != (ssize_t)sizes[k] ||
		    memcmp(got, msg, sizes[k]) || !untouched(got, sizes[k]))
			whole = false;
		for (p = 0; p < 2; p++) {
			memset(got, 0xa5, sizeof(got));
			put(msg, sizes[k]);
			fd = open(DEV, O_RDONLY);
			for (off = 0; (n = read(fd, got + off, piece[p])) > 0; off += n)
				;
			close(fd);
			if (off != sizes[k] || memcmp(got, msg, sizes[k]) ||
			    !untouched(got, sizes[k]))
				pieces = false;
		}
	}
	ok(whole, "messages of 1, 127, 128, 129 and 4096 bytes read back whole, nothing past them written");
	ok(pieces, "and in 50- and 200-byte pieces");
	is_errno(put(map + page - 60, 100), EFAULT,
		 "a 100-byte write straddling into an unmapped page: EFAULT");
	is_int(drain(), 0, "it enqueued nothing");
	is_int(put(msg, 100), 100, "a 100-byte message...");
	fd = open(DEV, O_RDONLY);
	n = read(fd, map + page - 60, 100);
	ok(n > 0 && n <= 60 && !memcmp(map + page - 60, msg, n),
	   "a stream read into a buffer straddling an unmapped page: the bytes before the hole");
	ok(n > 0 && read(fd, got, sizeof(got)) == 100 - n && !memcmp(got, msg + n, 100 - n),
	   "the next read of that open gets the rest");
	close(fd);
	put(msg, 100);
	fd = rq_open_mode(DEV, O_RDONLY, RUSTQUEUE_F_PACKET);
	is_errno(read(fd, map + page - 60, 100), EFAULT,
		 "a packet read straddling the hole: EFAULT");
	ok(read(fd, got, sizeof(got)) == 100 && !memcmp(got, msg, 100),
	   "the message stays at the head, whole");
	close(fd);
	munmap(map, page);
}

/* A message larger than the reader's buffer streams across reads. */
static void test_stream_large(void)
{
	static unsigned char msg[4096], got[4096];
	static const size_t chunks[] = { 1000, 1000, 1000, 1000, 1000 };
	size_t off = 0, i;
	int fd, ok_chunks = 1;
	char buf[8];

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 7 + 3);
	is_int(put(msg, sizeof(msg)), 4096, "enqueue a 4096-byte message");
	is_int(put_str("next\n"), 5, "enqueue a second message");
	fd = open(DEV, O_RDONLY);
	for (i = 0; i < 5; i++) {
		size_t want = off + chunks[i] > sizeof(msg) ?
			      sizeof(msg) - off : chunks[i];
		ssize_t n = read(fd, got + off, chunks[i]);

		if (n != (ssize_t)want)
			ok_chunks = 0;
		if (n > 0)
			off += n;
	}
	ok(ok_chunks && off == sizeof(msg), "read in 1000-byte pieces: 1000,1000,1000,1000,96");
	ok(!memcmp(got, msg, sizeof(msg)), "the pieces make the message, in order");
	is_int(read(fd, got, sizeof(got)), 0, "then EOF, even with a message queued");
	is_int(read(fd, got, 0), 0, "a zero-length read returns 0");
	close(fd);

	fd = open(DEV, O_RDONLY);
	is_int(read(fd, buf, 0), 0, "a zero-length first read returns 0...");
	is_int(read(fd, buf, sizeof(buf)), 5, "...and does not dequeue: the next read gets the message");
	close(fd);
}

static void test_stream_semantics(void)
{
	char buf[16];
	int fd;

	fd = open(DEV, O_RDONLY);
	is_int(read(fd, buf, sizeof(buf)), 0, "read on an empty queue: EOF at once");
	is_int(put_str("later\n"), 6, "enqueue after that EOF");
	is_int(read(fd, buf, sizeof(buf)), 6,
	       "the same open, having taken no message yet, gets it now");
	is_errno(lseek(fd, 0, SEEK_SET), ESPIPE, "lseek: ESPIPE");
	is_errno(pread(fd, buf, sizeof(buf), 0), ESPIPE, "pread: ESPIPE");
	is_errno(write(fd, "x", 1), EBADF, "write on an O_RDONLY open: EBADF");
	close(fd);
	fd = open(DEV, O_WRONLY);
	is_errno(pwrite(fd, "x", 1, 0), ESPIPE, "pwrite: ESPIPE");
	close(fd);
	is_int(drain(), 0, "nothing left behind");
}

/*
 * A write on an O_RDWR open does not move its read side (issue 14 item 6).
 * Seed 002's write_iter() sets the file position to 0, so there the next
 * read of such an open streams its held message again from the start,
 * delivering bytes already read a second time; our device is a stream
 * with no file position, and a read continues where the last one ended.
 */
static void test_write_keeps_read_position(void)
{
	char buf[16];
	int fd = open(DEV, O_RDWR);

	is_int(write(fd, "abcdef", 6), 6, "O_RDWR open: write a message");
	ok(read(fd, buf, 3) == 3 && !memcmp(buf, "abc", 3), "read 3 bytes of it");
	is_int(write(fd, "XYZ", 3), 3, "write a second message on the same open");
	ok(read(fd, buf, sizeof(buf)) == 3 && !memcmp(buf, "def", 3),
	   "the next read continues the held message (the seed restarts it)");
	is_int(read(fd, buf, sizeof(buf)), 0, "then end-of-file");
	close(fd);
	ok(cat(buf, sizeof(buf)) == 3 && !memcmp(buf, "XYZ", 3),
	   "the second message waits for the next open");
	is_int(drain(), 0, "nothing left behind");
}

/* Many opens at once: each gets its own message, in the order it reads. */
static void test_many_opens(void)
{
	int fds[16], i, good = 1;
	char buf[32], want[32];

	for (i = 0; i < 16; i++) {
		snprintf(buf, sizeof(buf), "m%02d", i);
		put_str(buf);
	}
	for (i = 0; i < 16; i++)
		fds[i] = open(DEV, O_RDWR);
	for (i = 15; i >= 0; i--) {
		ssize_t n = read(fds[i], buf, sizeof(buf));

		snprintf(want, sizeof(want), "m%02d", 15 - i);
		if (n != 3 || memcmp(buf, want, 3))
			good = 0;
	}
	ok(good, "16 opens each dequeue one message, in the order they read");
	for (i = 0; i < 16; i++) {
		if (read(fds[i], buf, sizeof(buf)) != 0)
			good = 0;
		close(fds[i]);
	}
	ok(good, "each open then reads EOF");
}

struct racer {
	pthread_barrier_t *go;
	int accepted, rejected;
};

static void *race_writer(void *arg)
{
	struct racer *r = arg;
	int fd = open(DEV, O_WRONLY), i;

	pthread_barrier_wait(r->go);
	for (i = 0; i < 10; i++) {
		if (write(fd, "race", 4) == 4)
			r->accepted++;
		else if (errno == ENOSPC)
			r->rejected++;
	}
	close(fd);
	return NULL;
}

/* Eight writers racing for 16 slots: the capacity holds exactly. */
static void test_capacity_race(void)
{
	pthread_barrier_t go;
	struct racer r[8];
	pthread_t t[8];
	int i, acc = 0, rej = 0;

	memset(r, 0, sizeof(r));
	pthread_barrier_init(&go, NULL, 8);
	for (i = 0; i < 8; i++) {
		r[i].go = &go;
		pthread_create(&t[i], NULL, race_writer, &r[i]);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		acc += r[i].accepted;
		rej += r[i].rejected;
	}
	pthread_barrier_destroy(&go);
	ok(acc == 16 && rej == 64, "8 racing writers x 10: 16 accepted, 64 ENOSPC (got %d, %d)",
	   acc, rej);
	is_int(drain(), 16, "the queue holds exactly 16");
}

static void test_verbose_param(void)
{
	int k = kmsg_open();
	char *log;

	is_int(write_str("/sys/module/rustqueue/parameters/verbose", "0"), 0,
	       "verbose can be switched off at run time");
	put_str("quiet\n");
	drain();
	log = kmsg_collect(k);
	ok(!log_has(log, "rustqueue: enqueued") &&
	   !log_has(log, "rustqueue: dequeued"), "verbose=0: no per-message lines");
	free(log);
	close(k);
	write_str("/sys/module/rustqueue/parameters/verbose", "1");
}

static void test_rmmod_while_open(void)
{
	int k, fd = open(DEV, O_RDONLY);
	char *log;

	ok(fd >= 0, "open " DEV);
	is_int(mod_unload(MOD), -EWOULDBLOCK, "rmmod while open: refused, module in use");
	ok(mod_loaded(MOD), "the module is still loaded");
	is_int(put_str("still here\n"), 11, "and still works");
	close(fd);
	k = kmsg_open();
	is_int(mod_unload(MOD), 0, "after the last close rmmod succeeds");
	log = kmsg_collect(k);
	ok(log_has(log, "rustqueue: module unloaded (1 queued messages freed)"),
	   "unload frees the queued message");
	free(log);
	close(k);
	ok(access(DEV, F_OK) == -1 && errno == ENOENT, DEV " is gone");
}

static long long cg_current(const char *cg)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	return read_ll(path);
}

/*
 * Messages are charged to the writer's memory cgroup, and every queued
 * and pending message is freed (uncharged) by close and unload.  Sizes are
 * large (16 MiB) so that per-CPU charge caching cannot hide the effect.
 */
static void test_memcg(void)
{
	const char *cg = "/sys/fs/cgroup/rqtest";
	static char msg[65536];
	long long m0, m1, m2, m3;
	struct rustqueue_info info;
	char buf[16];
	int i, fd, fds[16], good = 1;

	if (write_str("/sys/fs/cgroup/cgroup.subtree_control", "+memory") ||
	    (mkdir(cg, 0755) && errno != EEXIST)) {
		skip("no memory cgroup", "memcg charging");
		return;
	}
	mod_reload_or_bail(MOD, "max_messages=256 max_msg_size=65536 verbose=0");
	snprintf(buf, sizeof(buf), "%d", getpid());
	if (write_str("/sys/fs/cgroup/rqtest/cgroup.procs", buf))
		bail_out("cannot join %s", cg);

	memset(msg, 'c', sizeof(msg));
	m0 = cg_current(cg);
	for (i = 0; i < 256; i++)
		if (put(msg, sizeof(msg)) != (ssize_t)sizeof(msg))
			good = 0;
	m1 = cg_current(cg);
	ok(good, "256 x 64 KiB messages enqueued");
	ok(m1 - m0 >= 15LL << 20, "they are charged to the writer's cgroup (+%lld KiB)",
	   (m1 - m0) >> 10);
	/*
	 * Bounded: capacity x max size plus a small overhead per message
	 * (headers, per-CPU charge batching), not twice the payload.
	 */
	ok(m1 - m0 <= (16LL << 20) + (1LL << 20),
	   "and cost at most 16 MiB + 1 MiB for 16 MiB of messages");
	for (i = 0; i < 64; i++)
		if (put(msg, sizeof(msg)) != -1 || errno != ENOSPC)
			good = 0;
	ok(good, "64 more writes: all ENOSPC");
	fd = open(DEV, O_RDONLY);
	info = rq_info(fd);
	close(fd);
	ok(info.count == 256 && info.bytes == 256 * sizeof(msg) &&
	   info.rejected_full == 64,
	   "the queue holds exactly the 256 (16 MiB) and counted 64 rejections");
	/*
	 * memory.current moves in per-CPU charge batches of 64 pages (256
	 * KiB): the open() of each attempt allocates accounted objects, and
	 * on the debug kernel KASAN's quarantine delays their reuse, so a
	 * batch per CPU may be drawn.  Rejected messages kept would cost 4 MiB.
	 */
	ok(cg_current(cg) - m1 < 1LL << 20,
	   "memory grew by less than 1 MiB (%+lld KiB), not by the 4 MiB rejected",
	   (cg_current(cg) - m1) >> 10);

	/*
	 * Freed memory goes back to the cgroup through a per-CPU stock that
	 * keeps up to 64 pages (256 KiB) per CPU, so free enough to see it:
	 * 16 opens each dequeue a message and read 1 byte of it; closing
	 * them frees 1 MiB, of which at most 2 x 256 KiB can stay stocked.
	 */
	for (i = 0; i < 16; i++) {
		fds[i] = open(DEV, O_RDONLY);
		if (read(fds[i], buf, 1) != 1)
			good = 0;
	}
	ok(good, "16 opens each dequeue a message and read 1 byte of it");
	m2 = cg_current(cg);
	for (i = 0; i < 16; i++)
		close(fds[i]);
	m2 -= cg_current(cg);
	ok(m2 >= 512 << 10, "closing them frees their pending messages (-%lld KiB)",
	   m2 >> 10);

	mod_unload_or_bail(MOD);
	m3 = cg_current(cg);
	ok(m3 - m0 < 1LL << 20, "unload frees the 240 queued messages (%+lld KiB vs start)",
	   (m3 - m0) >> 10);
	write_str("/sys/fs/cgroup/cgroup.procs", buf);
	rmdir(cg);
}

int main(void)
{
	test_bad_params();
	test_load();
	test_seed_three_messages();
	test_seed_twenty_writes();
	test_size_boundary();
	test_efault();
	test_copy_sizes();
	test_stream_large();
	test_stream_semantics();
	test_write_keeps_read_position();
	test_many_opens();
	test_capacity_race();
	test_verbose_param();
	test_rmmod_while_open();
	test_memcg();
	mod_ensure_unloaded(MOD);
	return done_testing();
}
