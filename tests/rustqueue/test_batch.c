// SPDX-License-Identifier: GPL-2.0
/*
 * rustqueue's batch ioctls, RUSTQUEUE_IOC_SEND_BATCH and RECV_BATCH:
 * the ABI, access and argument checks, counts, packet and stream mode,
 * non-blocking answers, a fault at every element position (data, the
 * descriptor array, the result field), EMSGSIZE and too-long messages
 * part way, signals part way, wake-ups of several sleepers by one batch,
 * and the order of batches against concurrent read() and write() users.
 * TEST_ALSO_M32: the Makefile also builds this as a 32-bit program,
 * test_batch_m32, which goes through compat_ioctl.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

#include "rqtest.h"

#define DEV RUSTQUEUE_DEVICE
#define MOD "rustqueue"
#define SEND RUSTQUEUE_IOC_SEND_BATCH
#define RECV RUSTQUEUE_IOC_RECV_BATCH
#define PKT RUSTQUEUE_F_PACKET
#define BLK RUSTQUEUE_F_BLOCK

static long batch(int fd, unsigned long cmd, struct rustqueue_msg *m,
		  unsigned int count, unsigned int flags)
{
	struct rustqueue_batch b = {
		.msgs = (uintptr_t)m, .count = count, .flags = flags,
	};

	return ioctl(fd, cmd, &b);
}

static void set_desc(struct rustqueue_msg *m, void *ptr, size_t len)
{
	m->ptr = (uintptr_t)ptr;
	m->len = len;
	m->result = 0;
}

/* message i of a test: "msg<i>" and i % 7 bytes of 'x' (lengths differ) */
static size_t msg_text(char *buf, unsigned int i)
{
	int n = sprintf(buf, "msg%u", i);

	memset(buf + n, 'x', i % 7);
	return n + i % 7;
}

static char txt[1024][16];

/* descriptors for messages first..first+n-1, in txt[] */
static void fill_send(struct rustqueue_msg *m, unsigned int first,
		      unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		set_desc(&m[i], txt[i], msg_text(txt[i], first + i));
}

static char rbuf[1024][32];

static void fill_recv(struct rustqueue_msg *m, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		set_desc(&m[i], rbuf[i], sizeof(rbuf[i]));
		m[i].result = 0xdeadbeef;
	}
}

/* whether m[0..n) hold messages first..first+n-1 */
static bool got_msgs(const struct rustqueue_msg *m, unsigned int first,
		     unsigned int n)
{
	char want[32];
	unsigned int i;
	size_t len;

	for (i = 0; i < n; i++) {
		len = msg_text(want, first + i);
		if (m[i].result != len ||
		    memcmp((void *)(uintptr_t)m[i].ptr, want, len)) {
			diag("  element %u: result %u, want %zu (msg%u)", i,
			     m[i].result, len, first + i);
			return false;
		}
	}
	return true;
}

/* read n messages with read(); whether they are messages first.. */
static bool next_are(int fd, unsigned int first, unsigned int n)
{
	char buf[64], want[32];
	unsigned int i;
	ssize_t got;
	size_t len;
	bool good = true;

	for (i = 0; i < n; i++) {
		got = read(fd, buf, sizeof(buf));
		len = msg_text(want, first + i);
		if (got != (ssize_t)len || memcmp(buf, want, len)) {
			diag("  message %u: got %zd bytes", i, got);
			good = false;
		}
	}
	return good;
}

/* read everything queued with read(); whether it is messages first.. */
static bool drain_is(int fd, unsigned int first, unsigned int n)
{
	char buf[64];
	bool good = next_are(fd, first, n);

	if (read(fd, buf, sizeof(buf)) != -1 || errno != EAGAIN) {
		diag("  more than %u messages queued", n);
		good = false;
	}
	return good;
}

static void test_abi(void)
{
	is_int(sizeof(struct rustqueue_msg), 16,
	       "struct rustqueue_msg is 16 bytes (%zu-bit)", sizeof(long) * 8);
	is_int(sizeof(struct rustqueue_batch), 16,
	       "struct rustqueue_batch is 16 bytes (%zu-bit)", sizeof(long) * 8);
}

static void test_args(void)
{
	int w = open(DEV, O_WRONLY), r = rq_open_mode(DEV, O_RDONLY, PKT);
	int rw = rq_open_mode(DEV, O_RDWR, PKT);
	static struct rustqueue_msg m[1025];
	unsigned int cap;

	fill_send(m, 0, 4);
	is_errno(batch(r, SEND, m, 4, 0), EBADF, "SEND_BATCH on a read-only open: EBADF");
	is_errno(write(r, "x", 1), EBADF, "(as write() there)");
	fill_recv(m, 4);
	is_errno(batch(w, RECV, m, 4, 0), EBADF, "RECV_BATCH on a write-only open: EBADF");
	is_int(rq_info(w).count, 0, "nothing queued");
	is_int(batch(rw, SEND, m, 0, 0), 0, "count 0 sends nothing: 0");
	is_int(batch(rw, RECV, m, 0, 0), 0, "count 0 receives nothing: 0");
	fill_send(m, 0, 4);
	is_errno(batch(rw, SEND, m, RUSTQUEUE_BATCH_MAX + 1, 0), EINVAL,
		 "count RUSTQUEUE_BATCH_MAX + 1: EINVAL");
	is_errno(batch(rw, RECV, m, RUSTQUEUE_BATCH_MAX + 1, 0), EINVAL,
		 "the same for RECV_BATCH");
	is_errno(batch(rw, SEND, m, 0xffffffffu, 0), EINVAL, "count 2^32-1: EINVAL");
	is_errno(batch(rw, SEND, m, 4, 2), EINVAL, "an unknown flag: EINVAL");
	is_errno(batch(rw, RECV, m, 4, 0x80000000u), EINVAL, "on RECV_BATCH too");
	is_errno(ioctl(rw, SEND, bad_address()), EFAULT, "argument at a bad address: EFAULT");
	is_errno(batch(rw, SEND, bad_address(), 4, 0), EFAULT,
		 "descriptor array at a bad address: EFAULT");
	is_int(rq_info(w).count, 0, "none of these queued anything");
	is_errno(batch(rw, RECV, bad_address(), 4, 0), EFAULT,
		 "RECV_BATCH with a bad descriptor array: EFAULT");
	is_errno(ioctl(rw, _IOW(RUSTQUEUE_IOC_MAGIC, 5, int), m), ENOTTY,
		 "SEND_BATCH's number with the wrong size: ENOTTY");

	/* the largest batch, in a queue big enough */
	cap = 1024;
	is_int(ioctl(w, RUSTQUEUE_IOC_SET_CAPACITY, &cap), 0, "capacity 1024");
	fill_send(m, 0, 1024);
	is_int(batch(w, SEND, m, RUSTQUEUE_BATCH_MAX, 0), 1024,
	       "a batch of RUSTQUEUE_BATCH_MAX sends them all");
	is_int(rq_info(w).enqueued, 1024, "enqueued 1024");
	fill_recv(m, 1024);
	is_int(batch(r, RECV, m, RUSTQUEUE_BATCH_MAX, 0), 1024,
	       "and one receives them all");
	ok(got_msgs(m, 0, 1024), "in order, each length in its descriptor");
	is_int(rq_info(w).count, 0, "the queue is empty");
	cap = 16;
	ioctl(w, RUSTQUEUE_IOC_SET_CAPACITY, &cap);
	close(rw);
	close(r);
	close(w);
}

static void test_basic(void)
{
	int w = open(DEV, O_WRONLY), r = rq_open_mode(DEV, O_RDONLY, PKT);
	struct rustqueue_msg m[8];
	struct rustqueue_info before = rq_info(w), after;

	fill_send(m, 0, 5);
	set_desc(&m[2], txt[2], 0);		/* an empty message among them */
	is_int(batch(w, SEND, m, 5, 0), 5, "a batch of 5 sends 5");
	after = rq_info(w);
	is_int(after.enqueued - before.enqueued, 5, "enqueued +5");
	is_int(after.count, 5, "5 queued");
	fill_recv(m, 8);
	is_int(batch(r, RECV, m, 8, 0), 5, "a receive batch of 8 gets the 5");
	ok(got_msgs(m, 0, 2) && m[2].result == 0 && got_msgs(m + 3, 3, 2),
	   "in order, with their lengths (0 for the empty one)");
	is_int(m[5].result, 0xdeadbeef, "descriptors beyond them untouched");
	after = rq_info(w);
	is_int(after.dequeued - before.dequeued, 5, "dequeued +5");
	is_errno(batch(r, RECV, m, 8, 0), EAGAIN, "then an empty queue: EAGAIN");
	close(r);
	close(w);
}

static char big[RUSTQUEUE_DEF_MAX_MSG_SIZE + 1];

/* Not waiting: ENOSPC / EAGAIN for the first, a count after that. */
static void test_nonblock(void)
{
	int w = open(DEV, O_WRONLY), wb = rq_open_mode(DEV, O_WRONLY, BLK);
	int wnb = rq_open_mode(DEV, O_WRONLY | O_NONBLOCK, BLK);
	int rb = rq_open_mode(DEV, O_RDONLY, PKT | BLK);
	int rnb = rq_open_mode(DEV, O_RDONLY | O_NONBLOCK, PKT | BLK);
	struct rustqueue_msg m[20];
	struct rustqueue_info s;

	fill_recv(m, 4);
	is_errno(batch(rnb, RECV, m, 4, 0), EAGAIN,
		 "blocking mode, O_NONBLOCK, empty: RECV_BATCH EAGAIN");
	is_errno(batch(rb, RECV, m, 4, RUSTQUEUE_BATCH_NONBLOCK), EAGAIN,
		 "blocking mode, RUSTQUEUE_BATCH_NONBLOCK, empty: EAGAIN");

	fill_send(m, 0, 20);
	is_int(batch(w, SEND, m, 13, 0), 13, "13 into an empty queue of 16");
	is_int(batch(w, SEND, m + 13, 7, 0), 3, "7 more, not waiting: the 3 that fit");
	s = rq_info(w);
	is_int(s.count, 16, "the queue is full");
	is_int(s.rejected_full, 0, "a short count is no rejection");
	is_errno(batch(w, SEND, m + 16, 4, 0), ENOSPC, "full, not waiting: ENOSPC");
	is_int(rq_info(w).rejected_full, 1, "counted as a rejected write");
	is_errno(batch(wnb, SEND, m + 16, 4, 0), EAGAIN,
		 "full, blocking mode but O_NONBLOCK: EAGAIN");
	is_errno(batch(wb, SEND, m + 16, 4, RUSTQUEUE_BATCH_NONBLOCK), EAGAIN,
		 "full, blocking mode, RUSTQUEUE_BATCH_NONBLOCK: EAGAIN");
	is_int(rq_info(w).count, 16, "still 16 queued");
	/* write()'s order: the message's own errors before EAGAIN */
	s = rq_info(w);
	m[16].len = RUSTQUEUE_DEF_MAX_MSG_SIZE + 1;
	is_errno(batch(wnb, SEND, m + 16, 4, 0), EINVAL,
		 "full, O_NONBLOCK, first message too long: EINVAL, as write()");
	is_errno(write(wnb, big, RUSTQUEUE_DEF_MAX_MSG_SIZE + 1), EINVAL,
		 "... which write() gives too");
	is_int(rq_info(w).rejected_size - s.rejected_size, 2,
	       "both counted as too long");
	fill_send(m + 16, 16, 4);
	m[16].result = 1;
	is_errno(batch(wb, SEND, m + 16, 4, RUSTQUEUE_BATCH_NONBLOCK), EINVAL,
		 "full, BATCH_NONBLOCK, first result not 0: EINVAL");
	is_int(rq_info(w).count, 16, "still 16 queued");
	ok(drain_is(rnb, 0, 16), "the 16 sent, in order");

	/* the short count in blocking mode with RUSTQUEUE_BATCH_NONBLOCK */
	fill_send(m, 0, 20);
	is_int(batch(wb, SEND, m, 20, RUSTQUEUE_BATCH_NONBLOCK), 16,
	       "20 into an empty queue, RUSTQUEUE_BATCH_NONBLOCK: 16");
	ok(drain_is(rnb, 0, 16), "the first 16, in order");
	close(rnb);
	close(rb);
	close(wnb);
	close(wb);
	close(w);
}

#define NPOS 20		/* more than a group (16) of descriptors */

/* A page of descriptors right before an unmapped page: from k on, none. */
static struct rustqueue_msg *desc_before_hole(unsigned int k)
{
	static char *area;

	if (!area) {
		area = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (area == MAP_FAILED)
			bail_out("mmap: %s", strerror(errno));
		munmap(area + 4096, 4096);
	}
	return (struct rustqueue_msg *)(area + 4096) - k;
}

/* A fault at each element position: the count so far, nothing lost. */
static void test_faults_send(void)
{
	int w = open(DEV, O_WRONLY), r = rq_open_mode(DEV, O_RDONLY, PKT);
	struct rustqueue_msg m[NPOS], *h;
	unsigned int k, cap = 64;
	bool good_data = true, good_desc = true, good_q = true;
	long ret;

	ioctl(w, RUSTQUEUE_IOC_SET_CAPACITY, &cap);
	for (k = 0; k < NPOS; k++) {
		fill_send(m, 0, NPOS);
		m[k].ptr = (uintptr_t)bad_address();
		ret = batch(w, SEND, m, NPOS, 0);
		if (k ? ret != (long)k : !(ret == -1 && errno == EFAULT)) {
			diag("  bad data at %u: returned %ld (%s)", k, ret,
			     strerror(errno));
			good_data = false;
		}
		if (!drain_is(r, 0, k))
			good_q = false;

		h = desc_before_hole(k);
		fill_send(h, 0, k);
		ret = batch(w, SEND, h, NPOS, 0);
		if (k ? ret != (long)k : !(ret == -1 && errno == EFAULT)) {
			diag("  descriptor %u unmapped: returned %ld (%s)", k,
			     ret, strerror(errno));
			good_desc = false;
		}
		if (!drain_is(r, 0, k))
			good_q = false;
	}
	ok(good_data, "SEND_BATCH, bad data pointer at element k (0..%d): returns k, EFAULT for 0",
	   NPOS - 1);
	ok(good_desc, "SEND_BATCH, descriptor k unmapped (0..%d): returns k, EFAULT for 0",
	   NPOS - 1);
	ok(good_q, "each time exactly the k messages before it were queued, in order");
	cap = 16;
	ioctl(w, RUSTQUEUE_IOC_SET_CAPACITY, &cap);
	close(r);
	close(w);
}

static void test_faults_recv(void)
{
	int w = open(DEV, O_WRONLY), r = rq_open_mode(DEV, O_RDONLY, PKT);
	struct rustqueue_msg m[NPOS], *h;
	unsigned int k, cap = 64;
	bool good_data = true, good_desc = true, good_q = true;
	long ret;
	char *ro;

	ioctl(w, RUSTQUEUE_IOC_SET_CAPACITY, &cap);
	fill_send(m, 0, NPOS);
	for (k = 0; k < NPOS; k++) {
		fill_send(m, 0, NPOS);
		if (batch(w, SEND, m, NPOS, 0) != NPOS)
			bail_out("cannot queue %d messages", NPOS);
		fill_recv(m, NPOS);
		m[k].ptr = (uintptr_t)bad_address();
		ret = batch(r, RECV, m, NPOS, 0);
		if (k ? ret != (long)k || !got_msgs(m, 0, k) :
			!(ret == -1 && errno == EFAULT)) {
			diag("  bad buffer at %u: returned %ld (%s)", k, ret,
			     strerror(errno));
			good_data = false;
		}
		if (rq_info(w).count != (unsigned int)(NPOS - k) || !drain_is(r, k, NPOS - k))
			good_q = false;

		fill_send(m, 0, NPOS);
		if (batch(w, SEND, m, NPOS, 0) != NPOS)
			bail_out("cannot queue %d messages", NPOS);
		h = desc_before_hole(k);
		fill_recv(h, k);
		ret = batch(r, RECV, h, NPOS, 0);
		if (k ? ret != (long)k || !got_msgs(h, 0, k) :
			!(ret == -1 && errno == EFAULT)) {
			diag("  descriptor %u unmapped: returned %ld (%s)", k,
			     ret, strerror(errno));
			good_desc = false;
		}
		if (!drain_is(r, k, NPOS - k))
			good_q = false;
	}
	ok(good_data, "RECV_BATCH, bad buffer at element k (0..%d): returns k, EFAULT for 0",
	   NPOS - 1);
	ok(good_desc, "RECV_BATCH, descriptor k unmapped (0..%d): returns k, EFAULT for 0",
	   NPOS - 1);
	ok(good_q, "each time the message that faulted and those after it stay, in order");

	/* a read-only descriptor array: the result cannot be written */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fill_recv((struct rustqueue_msg *)ro, 4);
	mprotect(ro, 4096, PROT_READ);
	fill_send(m, 0, 4);
	batch(w, SEND, m, 4, 0);
	is_errno(batch(r, RECV, (struct rustqueue_msg *)ro, 4, 0), EFAULT,
		 "RECV_BATCH with read-only descriptors: EFAULT");
	ok(drain_is(r, 0, 4), "and all 4 messages are still queued, in order");
	munmap(ro, 4096);
	cap = 16;
	ioctl(w, RUSTQUEUE_IOC_SET_CAPACITY, &cap);
	close(r);
	close(w);
}

/* Too small a buffer, too long a message, a reserved field, part way. */
static void test_sizes(void)
{
	int w = open(DEV, O_WRONLY), r = rq_open_mode(DEV, O_RDONLY, PKT);
	static char big[4097];
	struct rustqueue_msg m[8];
	struct rustqueue_info s;

	fill_send(m, 0, 6);
	batch(w, SEND, m, 6, 0);
	fill_recv(m, 6);
	m[0].len = 3;
	is_errno(batch(r, RECV, m, 6, 0), EMSGSIZE,
		 "first buffer too small for its message: EMSGSIZE");
	is_int(m[0].result, 0xdeadbeef, "no length written");
	is_int(rq_info(w).count, 6, "nothing taken");
	fill_recv(m, 6);
	m[3].len = 4;			/* msg3 + 3 x: 7 bytes */
	is_int(batch(r, RECV, m, 6, 0), 3, "element 3's buffer too small: 3 received");
	ok(got_msgs(m, 0, 3), "the 3 before it");
	ok(drain_is(r, 3, 3), "that message stays at the head, then the rest");

	s = rq_info(w);
	fill_send(m, 0, 4);
	set_desc(&m[0], big, 4097);
	is_errno(batch(w, SEND, m, 4, 0), EINVAL,
		 "first message longer than max_msg_size: EINVAL");
	is_int(rq_info(w).rejected_size, s.rejected_size + 1, "counted in rejected_size");
	fill_send(m, 0, 4);
	set_desc(&m[2], big, 4097);
	is_int(batch(w, SEND, m, 4, 0), 2, "element 2 too long: 2 sent");
	is_int(rq_info(w).rejected_size, s.rejected_size + 1, "no rejection counted for it");
	ok(drain_is(r, 0, 2), "only the 2 before it were queued");
	set_desc(&m[1], big, 4096);
	is_int(batch(w, SEND, m + 1, 1, 0), 1, "a max_msg_size message goes");
	set_desc(&m[0], big, 4095);
	is_errno(batch(r, RECV, m, 1, 0), EMSGSIZE, "a 4095-byte buffer for it: EMSGSIZE");
	m[0].ptr = (uintptr_t)big;
	m[0].len = 4096;
	is_int(batch(r, RECV, m, 1, 0), 1, "a 4096-byte one gets it");
	is_int(m[0].result, 4096, "length 4096");

	fill_send(m, 0, 4);
	m[0].result = 1;
	is_errno(batch(w, SEND, m, 4, 0), EINVAL, "nonzero result field in the first: EINVAL");
	m[0].result = 0;
	m[1].result = 7;
	is_int(batch(w, SEND, m, 4, 0), 1, "in the second: 1 sent");
	ok(drain_is(r, 0, 1), "just the first");
	close(r);
	close(w);
}

/* RECV_BATCH takes whole messages in stream mode too; EBUSY mid-stream. */
static void test_stream(void)
{
	int w = open(DEV, O_WRONLY), r = open(DEV, O_RDONLY);
	int rnb = rq_open_mode(DEV, O_RDONLY | O_NONBLOCK, BLK);
	struct rustqueue_msg m[8];
	char buf[8];

	fill_recv(m, 8);
	is_errno(batch(r, RECV, m, 8, 0), EAGAIN,
		 "stream mode, empty, not waiting: EAGAIN (not end-of-file)");
	is_errno(batch(rnb, RECV, m, 8, 0), EAGAIN, "stream, blocking, O_NONBLOCK: EAGAIN");
	fill_send(m, 0, 5);
	batch(w, SEND, m, 5, 0);
	fill_recv(m, 8);
	is_int(batch(r, RECV, m, 2, 0), 2, "stream mode: a batch of 2 gets 2");
	ok(got_msgs(m, 0, 2), "whole messages, as in packet mode");
	is_int(read(r, buf, 2), 2, "a stream read takes the next and reads 2 bytes");
	is_errno(batch(r, RECV, m, 8, 0), EBUSY,
		 "RECV_BATCH while the open file holds the rest: EBUSY");
	is_int(rq_info(w).count, 2, "and takes nothing");
	is_int(read(r, buf, sizeof(buf)), 4, "the rest by read() (msg2: 4 + 2 bytes)");
	is_int(read(r, buf, sizeof(buf)), 0, "end-of-file for read()");
	fill_recv(m, 8);
	is_int(batch(r, RECV, m, 8, 0), 2, "then RECV_BATCH gets the other 2");
	ok(got_msgs(m, 3, 2), "msg3 and msg4");
	close(rnb);
	close(r);
	close(w);
}

/* ---- threads: waiting, wake-ups, signals ---- */

struct job {
	int fd;
	unsigned long cmd;
	struct rustqueue_msg *m;
	unsigned int count;
	long ret;
	int err;
	pthread_t t;
	pid_t tid;	/* set by the thread: read with __atomic_load_n() */
};

static void *job_run(void *arg)
{
	struct job *j = arg;

	__atomic_store_n(&j->tid, gettid(), __ATOMIC_RELEASE);
	j->ret = batch(j->fd, j->cmd, j->m, j->count, 0);
	j->err = errno;
	return NULL;
}

static void job_start(struct job *j)
{
	j->tid = 0;
	pthread_create(&j->t, NULL, job_run, j);
}

/*
 * Whether J's thread sleeps in FN (its wait queue joined: the waiter
 * counts go up before that), within 10 s.
 */
static bool job_sleeps_in(struct job *j, const char *fn)
{
	char path[64], wchan[64];
	int i, fd;
	ssize_t n;

	for (i = 0; i < 1000; i++, sleep_ms(10)) {
		if (!__atomic_load_n(&j->tid, __ATOMIC_ACQUIRE))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", j->tid);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, wchan, sizeof(wchan) - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			wchan[n] = 0;
			if (!strcmp(wchan, fn))
				return true;
		}
	}
	return false;
}

/*
 * Whether the sleepers on the queue behind FD all left (were woken);
 * those that did not are interrupted, so that J can be joined.
 */
static bool woken_or_kick(int fd, struct job *j)
{
	bool woken = rq_wait_for_waiters(fd, 0, 0);

	if (!woken) {
		rq_catch_usr1(0);
		pthread_kill(j->t, SIGUSR1);
	}
	pthread_join(j->t, NULL);
	return woken;
}

/* Receive waits for the first message only (MSG_WAITFORONE). */
static void test_wait_for_one(void)
{
	int w = open(DEV, O_WRONLY), r = rq_open_mode(DEV, O_RDONLY, PKT | BLK);
	struct rustqueue_msg m[8], s[2];
	struct job j = { .fd = r, .cmd = RECV, .m = m, .count = 8 };

	fill_recv(m, 8);
	job_start(&j);
	ok(rq_wait_for_waiters(w, 1, 0), "a blocking RECV_BATCH of 8 waits on an empty queue");
	fill_send(s, 0, 1);
	batch(w, SEND, s, 1, 0);
	ok(woken_or_kick(w, &j), "one message wakes it");
	is_int(j.ret, 1, "and it returns with that one");
	ok(got_msgs(m, 0, 1), "msg0");

	/* a signal while it waits: EINTR, nothing lost; SA_RESTART restarts */
	rq_catch_usr1(0);
	rq_signals = 0;
	j.ret = 0;
	job_start(&j);
	rq_wait_for_waiters(w, 1, 0);
	pthread_kill(j.t, SIGUSR1);
	pthread_join(j.t, NULL);
	errno = j.err;
	is_errno(j.ret, EINTR, "a signal while it waits for the first: EINTR");
	is_int(rq_signals, 1, "(the handler ran)");
	rq_catch_usr1(1);
	fill_recv(m, 8);
	job_start(&j);
	rq_wait_for_waiters(w, 1, 0);
	pthread_kill(j.t, SIGUSR1);
	sleep_ms(50);
	ok(rq_wait_for_waiters(w, 1, 0), "under SA_RESTART it waits again");
	fill_send(s, 5, 2);
	batch(w, SEND, s, 2, 0);
	ok(woken_or_kick(w, &j), "two messages wake it");
	is_int(j.ret, 2, "and then gets the 2 messages sent together");
	ok(got_msgs(m, 5, 2), "msg5, msg6");
	close(r);
	close(w);
}

/* Send waits per message; a signal part way returns the count so far. */
static void test_send_signal(void)
{
	int w = rq_open_mode(DEV, O_WRONLY, BLK), r = rq_open_mode(DEV, O_RDONLY | O_NONBLOCK, PKT);
	struct rustqueue_msg m[20];
	struct job j = { .fd = w, .cmd = SEND, .m = m, .count = 10 };
	int restart;

	for (restart = 0; restart < 2; restart++) {
		fill_send(m, 0, 12);
		batch(w, SEND, m, 12, 0);
		rq_catch_usr1(restart);
		fill_send(m, 12, 10);
		job_start(&j);
		ok(rq_wait_for_waiters(w, 0, 1),
		   "a blocking batch of 10 into 4 free slots sends 4, then waits%s",
		   restart ? " (SA_RESTART)" : "");
		is_int(rq_info(w).count, 16, "the queue is full");
		pthread_kill(j.t, SIGUSR1);
		pthread_join(j.t, NULL);
		is_int(j.ret, 4, "a signal then: it returns 4, not restarted");
		ok(drain_is(r, 0, 16), "exactly the 12 and those 4, in order");
	}

	/* blocking per message: room for all comes one slot at a time */
	fill_send(m, 0, 16);
	batch(w, SEND, m, 16, 0);
	fill_send(m, 16, 3);
	j.count = 3;
	job_start(&j);
	rq_wait_for_waiters(w, 0, 1);
	{
		char buf[64];
		int i;

		for (i = 0; i < 3; i++) {
			read(r, buf, sizeof(buf));
			sleep_ms(20);
		}
	}
	ok(woken_or_kick(w, &j), "3 slots freed one by one let it finish");
	is_int(j.ret, 3, "a batch of 3 into a full queue sends each as a slot frees");
	ok(drain_is(r, 3, 16), "the queue holds the 13 left and those 3, in order");
	close(r);
	close(w);
}

/*
 * A blocking send batch that finds the queue full waits for room before
 * it reads its messages from user memory (a bad pointer then gives
 * EFAULT once a slot frees, and queues nothing).  Woken, it reserves
 * the slot before that copy: if the copy stalls (a userfaultfd page), the
 * slot stays its own, and the next slot to free goes to the writer
 * blocked behind it.
 */
static void test_send_waits_first(void)
{
	int w = rq_open_mode(DEV, O_WRONLY, BLK), r = rq_open_mode(DEV, O_RDONLY | O_NONBLOCK, PKT);
	struct rustqueue_msg m[16], s[1], s2[1];
	struct job j = { .fd = w, .cmd = SEND, .m = s, .count = 1 };
	struct job j2 = { .fd = w, .cmd = SEND, .m = s2, .count = 1 };
	char buf[64], *page;
	int uffd;

	fill_send(m, 0, 16);
	batch(w, SEND, m, 16, 0);
	set_desc(s, bad_address(), 4);
	job_start(&j);
	ok(rq_wait_for_waiters(w, 0, 1),
	   "a blocking SEND_BATCH into a full queue waits before it reads its message (a bad pointer)");
	read(r, buf, sizeof(buf));
	ok(woken_or_kick(w, &j), "a slot frees: it wakes");
	errno = j.err;
	is_errno(j.ret, EFAULT, "and fails with EFAULT");
	ok(drain_is(r, 1, 15), "nothing queued: the 15 left, in order");

	uffd = rq_stalling_page(&page);
	if (uffd < 0) {
		skip(strerror(errno), "a woken batch stalled in its copy");
		goto out;
	}
	batch(w, SEND, m, 16, 0);
	set_desc(s, page, 8);
	set_desc(s2, "behind", 6);
	job_start(&j);
	ok(job_sleeps_in(&j, "rq_wait_writable"),
	   "a batch from a stalling page sleeps on a full queue (its wchan: rq_wait_writable)");
	job_start(&j2);
	ok(rq_wait_for_waiters(w, 0, 2), "another writer sleeps behind it");
	read(r, buf, sizeof(buf));
	ok(!rq_page_faulted(uffd), "one slot frees: the first batch's copy stalls");
	ok(rq_wait_for_waiters(w, 0, 1) && rq_info(w).count == 16,
	   "the slot is reserved for it (count 16), the writer behind it still sleeps");
	read(r, buf, sizeof(buf));
	ok(woken_or_kick(w, &j2), "the next slot to free wakes the writer behind it");
	is_int(j2.ret, 1, "which sends its message");
	rq_release_page(uffd, page);
	ok(woken_or_kick(w, &j), "the stalled batch then goes on, not waiting again");
	is_int(j.ret, 1, "and sends into its slot");
	ok(next_are(r, 2, 14), "msg2..msg15 still in order");
	is_int(read(r, buf, sizeof(buf)), 6, "then the writer's message");
	ok(!memcmp(buf, "behind", 6), "(\"behind\")");
	is_int(read(r, buf, sizeof(buf)), 8, "then the batch's, from the page");
	munmap(page, sysconf(_SC_PAGESIZE));
out:
	ioctl(w, RUSTQUEUE_IOC_FLUSH);
	close(r);
	close(w);
}

/* One batch wakes as many sleepers as it has messages, or frees slots. */
static void test_wakeups(void)
{
	int w = open(DEV, O_WRONLY), r = rq_open_mode(DEV, O_RDONLY, PKT | BLK);
	int wb = rq_open_mode(DEV, O_WRONLY, BLK);
	struct rustqueue_msg m[16], sm[3], rm[4][1];
	struct job rj[4], wj[3];
	bool all = true;
	int i;

	for (i = 0; i < 4; i++) {
		rj[i] = (struct job){ .fd = r, .cmd = RECV, .m = rm[i], .count = 1 };
		set_desc(rm[i], rbuf[i], sizeof(rbuf[i]));
		job_start(&rj[i]);
	}
	ok(rq_wait_for_waiters(w, 4, 0), "4 receivers wait");
	fill_send(m, 0, 4);
	is_int(batch(w, SEND, m, 4, 0), 4, "a batch of 4 is sent");
	if (!ok(rq_wait_for_waiters(w, 0, 0), "it wakes all 4 receivers")) {
		fill_send(m, 0, 4);		/* let the others go */
		batch(w, SEND, m, 4, 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(rj[i].t, NULL);
		all &= rj[i].ret == 1;
	}
	ok(all, "each of the 4 receivers gets one message");

	fill_send(m, 0, 16);
	batch(w, SEND, m, 16, 0);
	fill_send(sm, 0, 3);
	for (i = 0; i < 3; i++) {
		wj[i] = (struct job){ .fd = wb, .cmd = SEND, .m = sm + i, .count = 1 };
		job_start(&wj[i]);
	}
	ok(rq_wait_for_waiters(w, 0, 3), "3 senders wait on a full queue");
	fill_recv(m, 3);
	is_int(batch(r, RECV, m, 3, 0), 3, "a receive batch of 3");
	if (!ok(rq_wait_for_waiters(w, 0, 0), "it wakes all 3 senders")) {
		fill_recv(m, 3);		/* let the others go */
		batch(r, RECV, m, 3, 0);
	}
	all = true;
	for (i = 0; i < 3; i++) {
		pthread_join(wj[i].t, NULL);
		all &= wj[i].ret == 1;
	}
	ok(all, "each of the 3 senders sends its message");
	is_int(ioctl(w, RUSTQUEUE_IOC_FLUSH), 16, "16 queued");
	close(wb);
	close(r);
	close(w);
}

/* ---- order against concurrent read() and write() users ---- */

#define PER_WRITER	3000
#define NWRITERS	4		/* 0, 1 batch; 2, 3 write() */
#define NREADERS	3		/* 0, 1 batch; 2 read() */
#define STOP		0xffffffffu

struct tag {
	uint32_t writer, seq;
};

static struct {
	long got[NREADERS];
	bool in_order[NREADERS];
	unsigned char seen[NWRITERS][PER_WRITER];
} ord;

static void *ord_writer(void *arg)
{
	int id = (intptr_t)arg;
	int fd = rq_open_mode(DEV, O_WRONLY, BLK);
	struct tag t[7];
	struct rustqueue_msg m[7];
	uint32_t seq = 0;
	unsigned int i, n;
	long ret;

	while (seq < PER_WRITER) {
		if (id >= 2) {
			t[0] = (struct tag){ id, seq };
			if (write(fd, &t[0], sizeof(t[0])) != sizeof(t[0]))
				bail_out("write: %s", strerror(errno));
			seq++;
			continue;
		}
		n = PER_WRITER - seq < 7 ? PER_WRITER - seq : 7;
		for (i = 0; i < n; i++) {
			t[i] = (struct tag){ id, seq + i };
			set_desc(&m[i], &t[i], sizeof(t[i]));
		}
		ret = batch(fd, SEND, m, n, 0);
		if (ret <= 0)
			bail_out("SEND_BATCH: %s", strerror(errno));
		seq += ret;
	}
	close(fd);
	return NULL;
}

static void ord_take(int id, const struct tag *t, uint32_t *last)
{
	if (t->writer >= NWRITERS || t->seq >= PER_WRITER) {
		ord.in_order[id] = false;
		return;
	}
	if (last[t->writer] != STOP && t->seq <= last[t->writer])
		ord.in_order[id] = false;
	last[t->writer] = t->seq;
	__atomic_fetch_add(&ord.seen[t->writer][t->seq], 1, __ATOMIC_RELAXED);
	ord.got[id]++;
}

static void *ord_reader(void *arg)
{
	int id = (intptr_t)arg;
	int fd = rq_open_mode(DEV, O_RDONLY, PKT | BLK);
	int back = open(DEV, O_WRONLY);
	uint32_t last[NWRITERS];
	struct tag t[5];
	struct rustqueue_msg m[5];
	long ret, i;

	for (i = 0; i < NWRITERS; i++)
		last[i] = STOP;
	ord.in_order[id] = true;
	for (;;) {
		if (id == 2) {
			if (read(fd, &t[0], sizeof(t[0])) != sizeof(t[0]))
				bail_out("read: %s", strerror(errno));
			if (t[0].writer == STOP)
				break;
			ord_take(id, &t[0], last);
			continue;
		}
		for (i = 0; i < 5; i++)
			set_desc(&m[i], &t[i], sizeof(t[i]));
		ret = batch(fd, RECV, m, 5, 0);
		if (ret <= 0)
			bail_out("RECV_BATCH: %s", strerror(errno));
		for (i = 0; i < ret; i++) {
			if (m[i].result != sizeof(t[i]))
				ord.in_order[id] = false;
			if (t[i].writer == STOP)
				break;
			ord_take(id, &t[i], last);
		}
		if (i < ret) {
			/* put back stops beyond ours for the others */
			for (i++; i < ret; i++)
				if (write(back, &t[i], sizeof(t[i])) < 0)
					break;
			break;
		}
	}
	close(back);
	close(fd);
	return NULL;
}

static void test_order(void)
{
	pthread_t wt[NWRITERS], rt[NREADERS];
	int w = rq_open_mode(DEV, O_WRONLY, BLK), i, j;
	struct tag stop = { STOP, STOP };
	bool once = true;
	long total = 0;

	memset(&ord, 0, sizeof(ord));
	for (i = 0; i < NREADERS; i++)
		pthread_create(&rt[i], NULL, ord_reader, (void *)(intptr_t)i);
	for (i = 0; i < NWRITERS; i++)
		pthread_create(&wt[i], NULL, ord_writer, (void *)(intptr_t)i);
	for (i = 0; i < NWRITERS; i++)
		pthread_join(wt[i], NULL);
	for (i = 0; i < NREADERS; i++)
		write(w, &stop, sizeof(stop));
	for (i = 0; i < NREADERS; i++) {
		pthread_join(rt[i], NULL);
		total += ord.got[i];
	}
	for (i = 0; i < NWRITERS; i++)
		for (j = 0; j < PER_WRITER; j++)
			once &= ord.seen[i][j] == 1;
	is_int(total, NWRITERS * PER_WRITER,
	       "2 batch and 2 write() senders, 2 batch and 1 read() receivers: every message arrives");
	ok(once, "each exactly once");
	ok(ord.in_order[0] && ord.in_order[1] && ord.in_order[2],
	   "each receiver sees each sender's messages in the order sent");
	diag("received by batch: %ld, %ld; by read(): %ld", ord.got[0],
	     ord.got[1], ord.got[2]);
	ioctl(w, RUSTQUEUE_IOC_FLUSH);
	close(w);
}

/* verbose: one kernel log line per group a batch links in or takes */
static void test_log(void)
{
	int w = open(DEV, O_WRONLY), r = rq_open_mode(DEV, O_RDONLY, PKT);
	int k = kmsg_open();
	struct rustqueue_msg m[20];
	char *log;

	fill_send(m, 0, 16);
	is_int(batch(w, SEND, m, 16, 0), 16, "verbose: a batch of 16 sent");
	fill_recv(m, 16);
	is_int(batch(r, RECV, m, 16, 0), 16, "verbose: and received");
	log = kmsg_collect(k);
	ok(log && log_has(log, "rustqueue: enqueued 16 messages (16 in queue)") &&
	   log_has(log, "rustqueue: dequeued 16 messages (0 remaining)"),
	   "the log has one line for each batch");
	ok(log && !log_has(log, " bytes (") && !log_has(log, "dequeued ("),
	   "... and none per message");
	free(log);
	close(k);
	close(r);
	close(w);
}

int main(void)
{
	int fd;

	test_abi();
	mod_reload_or_bail(MOD, "verbose=0");
	test_args();
	test_basic();
	test_nonblock();
	test_faults_send();
	test_faults_recv();
	test_sizes();
	test_stream();
	test_wait_for_one();
	test_send_signal();
	test_send_waits_first();
	test_wakeups();
	test_order();
	mod_reload_or_bail(MOD, "verbose=1");
	test_log();
	fd = open(DEV, O_RDONLY);
	is_int(rq_info(fd).count, 0, "the queue is empty at the end");
	close(fd);
	is_int(mod_unload(MOD), 0, "unload (every file closed)");
	return done_testing();
}
