// SPDX-License-Identifier: GPL-2.0
/*
 * rustqueue without waiting: reads and writes with IOCB_NOWAIT.
 *
 * preadv2()/pwritev2() with RWF_NOWAIT: EAGAIN where a blocking-mode call
 * would wait (empty or full queue), the seed's own answers (end-of-file,
 * ENOSPC) where it would not, and nothing lost or half done.
 *
 * io_uring (liburing, linked statically): thousands of reads and writes,
 * packet mode and stream mode, results and order checked; reads on an
 * empty queue and writes to a full one that complete only once poll says
 * so; and never an io-wq worker thread (iou-wrk) in this process, nor a
 * task asleep in the queue, while requests are in flight or after.
 * Skipped (SKIP) on a kernel without io_uring.
 */
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <dirent.h>
#include <sys/uio.h>

#include "rqtest.h"

#define DEV RUSTQUEUE_DEVICE
#define MOD "rustqueue"
#define CAP 16
#define BP (RUSTQUEUE_F_BLOCK | RUSTQUEUE_F_PACKET)
#define MAXLEN 512

/* io-wq workers of this process: threads named iou-wrk-<pid> */
static int iou_workers(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		bail_out("/proc/self/task: %s", strerror(errno));
	while ((e = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;	/* gone meanwhile */
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "iou-wrk", 7))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

/* most iou-wrk threads seen at any scan */
static int max_workers;

static void scan_workers(void)
{
	int n = iou_workers();

	if (n > max_workers)
		max_workers = n;
}

/* message number SEQ: its length and bytes, all derived from SEQ */
static size_t msg_len(unsigned int seq)
{
	return 1 + (seq * 37) % MAXLEN;
}

static void msg_fill(char *buf, unsigned int seq)
{
	size_t i, len = msg_len(seq);

	for (i = 0; i < len; i++)
		buf[i] = (char)(seq * 131 + i * 7);
	if (len >= sizeof(seq))
		memcpy(buf, &seq, sizeof(seq));
}

static int msg_check(const char *buf, ssize_t len, unsigned int seq)
{
	char want[MAXLEN];

	if (len != (ssize_t)msg_len(seq))
		return 0;
	msg_fill(want, seq);
	return !memcmp(buf, want, len);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* --- RWF_NOWAIT ------------------------------------------------------- */

static ssize_t nowait_read(int fd, char *buf, size_t len)
{
	struct iovec iov = { buf, len };
	ssize_t ret;

	alarm(10);	/* a read that sleeps ends in EINTR, not a hang */
	ret = preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
	alarm(0);
	return ret;
}

static ssize_t nowait_write(int fd, const char *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };
	ssize_t ret;

	alarm(10);
	ret = pwritev2(fd, &iov, 1, -1, RWF_NOWAIT);
	alarm(0);
	return ret;
}

static void test_rwf_nowait(void)
{
	char buf[MAXLEN], big[4096], back[4096];
	struct rustqueue_info before, after;
	struct iovec iov[3];
	int fd, i, good;
	ssize_t ret;

	mod_reload_or_bail(MOD, "verbose=0");

	/* blocking packet mode: empty, then full */
	fd = rq_open_mode(DEV, O_RDWR, BP);
	ret = nowait_read(fd, buf, sizeof(buf));
	if (!is_errno(ret, EAGAIN, "RWF_NOWAIT read, blocking packet mode, empty queue: EAGAIN"))
		diag("(before FMODE_NOWAIT: EOPNOTSUPP)");
	for (i = 0; i < CAP; i++) {
		msg_fill(buf, i);
		if (!is_int(nowait_write(fd, buf, msg_len(i)), msg_len(i),
			    "RWF_NOWAIT write %d of %d, room: all of it", i + 1, CAP))
			bail_out("cannot fill the queue");
	}
	before = rq_info(fd);
	msg_fill(buf, CAP);
	is_errno(nowait_write(fd, buf, msg_len(CAP)), EAGAIN,
		 "RWF_NOWAIT write, blocking mode, full queue: EAGAIN");
	after = rq_info(fd);
	ok(after.count == CAP && after.enqueued == before.enqueued &&
	   after.rejected_full == before.rejected_full &&
	   after.bytes == before.bytes,
	   "... the queue is as it was, and nothing counted as rejected");
	ok(after.waiting_readers == 0 && after.waiting_writers == 0,
	   "... and no task waits in the queue");
	for (good = 0, i = 0; i < CAP; i++) {
		ret = nowait_read(fd, buf, sizeof(buf));
		good += msg_check(buf, ret, i);
	}
	is_int(good, CAP, "RWF_NOWAIT reads: the %d messages, whole and in order", CAP);
	is_errno(nowait_read(fd, buf, sizeof(buf)), EAGAIN,
		 "... then EAGAIN: the refused write left nothing behind");

	/* several segments: one whole message */
	for (i = 0; i < (int)sizeof(big); i++)
		big[i] = (char)(i * 13 + 1);
	iov[0] = (struct iovec){ big, 1000 };
	iov[1] = (struct iovec){ big + 1000, 3000 };
	iov[2] = (struct iovec){ big + 4000, 96 };
	alarm(10);
	ret = pwritev2(fd, iov, 3, -1, RWF_NOWAIT);
	alarm(0);
	is_int(ret, sizeof(big), "RWF_NOWAIT write of 3 segments, 4096 bytes");
	ret = nowait_read(fd, back, sizeof(back));
	ok(ret == sizeof(big) && !memcmp(big, back, sizeof(big)),
	   "... read back whole with RWF_NOWAIT");
	close(fd);

	/* blocking stream mode: empty, then one message in pieces */
	fd = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_BLOCK);
	is_errno(nowait_read(fd, buf, 10), EAGAIN,
		 "RWF_NOWAIT read, blocking stream mode, empty queue: EAGAIN");
	msg_fill(buf, 7);
	if (write(fd, buf, msg_len(7)) != (ssize_t)msg_len(7))
		bail_out("write: %s", strerror(errno));
	{
		char whole[MAXLEN];
		size_t got = 0;

		while ((ret = nowait_read(fd, whole + got, 50)) > 0)
			got += ret;
		ok(ret == 0 && msg_check(whole, got, 7),
		   "... a message streamed in pieces, then end-of-file");
	}
	close(fd);

	/* the seed's mode: nothing would wait, the answers are the seed's */
	fd = rq_open_mode(DEV, O_RDWR, 0);
	is_int(nowait_read(fd, buf, sizeof(buf)), 0,
	       "RWF_NOWAIT read, seed's mode, empty queue: end-of-file, as read()");
	close(fd);
	fd = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	is_errno(nowait_read(fd, buf, sizeof(buf)), EAGAIN,
		 "RWF_NOWAIT read, non-blocking packet mode, empty queue: EAGAIN, as read()");
	for (i = 0; i < CAP; i++)
		if (write(fd, "x", 1) != 1)
			bail_out("write: %s", strerror(errno));
	before = rq_info(fd);
	is_errno(nowait_write(fd, "y", 1), ENOSPC,
		 "RWF_NOWAIT write, seed's mode, full queue: ENOSPC, as write()");
	after = rq_info(fd);
	is_int(after.rejected_full, before.rejected_full + 1,
	       "... counted as rejected, as write()'s is");
	close(fd);
	mod_unload_or_bail(MOD);
}

/*
 * A stream read of one thread has its open file's turn to read during its
 * copy to user memory; with that copy stalled (userfaultfd), an
 * RWF_NOWAIT read of the same open file must not wait for its turn.
 */
static void test_rwf_nowait_locked(void)
{
	struct rq_stalled_read st = { 0 };
	pthread_t t;
	char buf[64];
	int uffd;
	ssize_t ret;

	uffd = rq_stalling_page(&st.page);
	if (uffd < 0) {
		skip(strerror(errno), "RWF_NOWAIT read beside a read stalled in its copy");
		return;
	}
	mod_reload_or_bail(MOD, "verbose=0");
	st.fd = rq_open_mode(DEV, O_RDWR, 0);
	if (write(st.fd, "held by the reader", 18) != 18)
		bail_out("write: %s", strerror(errno));
	pthread_create(&t, NULL, rq_stalled_read_main, &st);
	if (rq_page_faulted(uffd))
		bail_out("the reader's copy did not fault");
	ret = nowait_read(st.fd, buf, sizeof(buf));
	if (!is_errno(ret, EAGAIN,
		      "RWF_NOWAIT stream read while another read of the open file copies: EAGAIN"))
		diag("(a read that waited for its turn: EINTR after 10 s)");
	rq_release_page(uffd, st.page);
	pthread_join(t, NULL);
	ok(st.ret == 18 && !memcmp(st.page, "held by the reader", 18),
	   "... and the stalled read completes with the message");
	is_int(nowait_read(st.fd, buf, sizeof(buf)), 0,
	       "... after which the open file reads end-of-file");
	close(st.fd);
	munmap(st.page, sysconf(_SC_PAGESIZE));
	mod_unload_or_bail(MOD);
}

/* --- io_uring ----------------------------------------------------------- */

static struct io_uring ring;

#define UD_WRITE	(1ULL << 32)

struct slot {
	char buf[MAXLEN];
};

static struct slot rbufs[64], wbufs[64];
static int rres[64];		/* what each read returned */

static void prep_write(int fd, int i, unsigned int seq)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	if (!sqe)
		bail_out("no SQE");
	msg_fill(wbufs[i].buf, seq);
	io_uring_prep_write(sqe, fd, wbufs[i].buf, msg_len(seq), -1);
	io_uring_sqe_set_data64(sqe, UD_WRITE | seq);
}

static void prep_read(int fd, int i, size_t len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	if (!sqe)
		bail_out("no SQE");
	io_uring_prep_read(sqe, fd, rbufs[i].buf, len, -1);
	io_uring_sqe_set_data64(sqe, i);
}

static void submit(int n)
{
	int ret = io_uring_submit(&ring);

	if (ret != n)
		bail_out("io_uring_submit: %d of %d", ret, n);
}

static struct io_uring_cqe *get_cqe(void)
{
	struct __kernel_timespec ts = { 20, 0 };
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);

	if (ret)
		return NULL;
	return cqe;
}

/* no completion is ready, and nothing of ours sleeps in the queue */
static int nothing_done(int fd)
{
	struct io_uring_cqe *cqe;
	struct rustqueue_info s;

	sleep_ms(50);
	if (!io_uring_peek_cqe(&ring, &cqe))
		return 0;
	s = rq_info(fd);
	return s.waiting_readers == 0 && s.waiting_writers == 0;
}

/*
 * Packet mode, queue empty or full at the start of each round: the
 * writes and then the reads of a round go in one submission, and all
 * complete inline, in submission order.
 */
static void test_uring_packet_inline(int rounds)
{
	int fd = rq_open_mode(DEV, O_RDWR, BP);
	unsigned int seq = 0, rseq = 0;
	int r, i, bad = 0, n = 0;
	struct rustqueue_info s, s0 = rq_info(fd);

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < CAP; i++)
			prep_write(fd, i, seq++);
		for (i = 0; i < CAP; i++)
			prep_read(fd, i, MAXLEN);
		submit(2 * CAP);
		for (i = 0; i < 2 * CAP; i++, n++) {
			struct io_uring_cqe *cqe = get_cqe();
			__u64 ud;

			if (!cqe)
				bail_out("round %d: completion %d missing", r, i);
			ud = cqe->user_data;
			if (i < CAP) {		/* the writes, in order */
				unsigned int want = seq - CAP + i;

				if (ud != (UD_WRITE | want) ||
				    cqe->res != (int)msg_len(want)) {
					if (!bad++)
						diag("round %d cqe %d: ud %llx res %d", r, i,
						     (unsigned long long)ud, cqe->res);
				}
			} else if (ud != (__u64)(i - CAP) ||
				   !msg_check(rbufs[ud].buf, cqe->res, rseq++)) {
				if (!bad++)
					diag("round %d cqe %d: ud %llx res %d", r, i,
					     (unsigned long long)ud, cqe->res);
			}
			io_uring_cqe_seen(&ring, cqe);
		}
		if (!(r % 8))
			scan_workers();
	}
	scan_workers();
	s = rq_info(fd);
	is_int(bad, 0, "io_uring, packet mode: %d reads and writes, each complete and in order",
	       n);
	ok(s.count == 0 && s.enqueued - s0.enqueued == seq &&
	   s.dequeued - s0.dequeued == seq,
	   "... the queue counted %u in, %u out", seq, seq);
	is_int(max_workers, 0, "... and no io-wq worker (iou-wrk) ran for them");
	close(fd);
}

/*
 * Packet mode, 32 reads in flight on an empty queue, then 32 writes to a
 * queue of 16: reads wait for messages and half the writes for room,
 * through poll.  The reads return the messages in the order the writes
 * put them in.
 */
static void test_uring_packet_poll(int rounds)
{
	int fd = rq_open_mode(DEV, O_RDWR, BP);
	unsigned int seq = 0, wrote[2 * CAP];
	int r, i, bad = 0, idle = 0, n = 0;

	for (r = 0; r < rounds; r++) {
		unsigned int nw = 0, nr = 0;
		int got[2 * CAP];

		for (i = 0; i < 2 * CAP; i++)
			prep_read(fd, i, MAXLEN);
		submit(2 * CAP);
		if (r < 4) {		/* a few rounds: nothing done yet */
			idle += nothing_done(fd);
			scan_workers();
		}
		for (i = 0; i < 2 * CAP; i++)
			prep_write(fd, i, seq++);
		submit(2 * CAP);
		scan_workers();		/* while some wait for room */
		for (i = 0; i < 4 * CAP; i++, n++) {
			struct io_uring_cqe *cqe = get_cqe();
			__u64 ud;

			if (!cqe)
				bail_out("round %d: completion %d missing", r, i);
			ud = cqe->user_data;
			if (ud & UD_WRITE) {
				unsigned int ws = ud & 0xffffffff;

				if (cqe->res != (int)msg_len(ws) && !bad++)
					diag("round %d write %u: %d", r, ws, cqe->res);
				wrote[nw++] = ws;
			} else {
				got[nr++] = ud;
				if (cqe->res <= 0 && !bad++)
					diag("round %d read %llu: %d", r,
					     (unsigned long long)ud, cqe->res);
				rres[ud] = cqe->res;
			}
			io_uring_cqe_seen(&ring, cqe);
		}
		/* the n-th read to complete got the n-th message written */
		for (i = 0; i < 2 * CAP; i++) {
			if (!msg_check(rbufs[got[i]].buf, rres[got[i]], wrote[i]) &&
			    !bad++)
				diag("round %d: read %d did not get message %u", r, i,
				     wrote[i]);
		}
	}
	scan_workers();
	is_int(idle, rounds < 4 ? rounds : 4,
	       "io_uring reads on an empty queue: none completes, none sleeps in the queue");
	is_int(bad, 0, "io_uring, 32 in flight: %d reads and writes, FIFO order kept", n);
	is_int(max_workers, 0, "... and no io-wq worker (iou-wrk) ran for them");
	close(fd);
}

/* one read on an empty queue completes when a later write() comes */
static void test_uring_read_waits(void)
{
	int fd = rq_open_mode(DEV, O_RDWR, BP);
	struct io_uring_cqe *cqe;
	char buf[MAXLEN];
	int idle;

	prep_read(fd, 0, MAXLEN);
	submit(1);
	idle = nothing_done(fd);
	scan_workers();
	if (!ok(idle, "io_uring read, empty queue: pending, and no task asleep in read"))
		diag("(before FMODE_NOWAIT: an io-wq worker sleeps in it)");
	is_int(iou_workers(), 0, "... no iou-wrk thread while it is pending");
	msg_fill(buf, 42);
	if (write(fd, buf, msg_len(42)) != (ssize_t)msg_len(42))
		bail_out("write: %s", strerror(errno));
	cqe = get_cqe();
	ok(cqe && cqe->user_data == 0 && msg_check(rbufs[0].buf, cqe->res, 42),
	   "... completes with the message a later write() brought");
	if (cqe)
		io_uring_cqe_seen(&ring, cqe);
	close(fd);
}

/* one write to a full queue completes when a later read() makes room */
static void test_uring_write_waits(void)
{
	int fd = rq_open_mode(DEV, O_RDWR, BP);
	struct io_uring_cqe *cqe;
	char buf[MAXLEN];
	int i, good = 0;

	for (i = 0; i < CAP; i++) {
		msg_fill(buf, 100 + i);
		if (write(fd, buf, msg_len(100 + i)) != (ssize_t)msg_len(100 + i))
			bail_out("write: %s", strerror(errno));
	}
	prep_write(fd, 0, 100 + CAP);
	submit(1);
	ok(nothing_done(fd), "io_uring write, full queue: pending, and no task asleep in write");
	is_int(iou_workers(), 0, "... no iou-wrk thread while it is pending");
	for (i = 0; i <= CAP; i++) {
		ssize_t ret = read(fd, buf, sizeof(buf));

		if (i == 0) {
			cqe = get_cqe();
			ok(cqe && cqe->user_data == (UD_WRITE | (100 + CAP)) &&
			   cqe->res == (int)msg_len(100 + CAP),
			   "... completes once a read() makes room");
			if (cqe)
				io_uring_cqe_seen(&ring, cqe);
		}
		good += msg_check(buf, ret, 100 + i);
	}
	is_int(good, CAP + 1, "... and its message comes last, after the %d before it", CAP);
	close(fd);
}

/*
 * Stream mode (the seed's): each open file takes one message and streams
 * it.  Per message: one write, then on a new open file 8 reads of a part
 * each and 2 more that find end-of-file, all in one submission, inline.
 * Then reads on an empty queue, waiting in blocking mode, get the pieces
 * of a later message in order.
 */
static void test_uring_stream(int msgs)
{
	int wfd = rq_open_mode(DEV, O_WRONLY, RUSTQUEUE_F_BLOCK);
	int m, i, bad = 0, n = 0;

	for (m = 0; m < msgs; m++) {
		int fd = rq_open_mode(DEV, O_RDONLY, RUSTQUEUE_F_BLOCK);
		size_t len = msg_len(m), part = (len + 7) / 8, got = 0;
		char whole[MAXLEN];

		prep_write(wfd, 0, m);
		for (i = 0; i < 10; i++)
			prep_read(fd, i, part);
		submit(11);
		for (i = 0; i < 11; i++, n++) {
			struct io_uring_cqe *cqe = get_cqe();
			__u64 ud;

			if (!cqe)
				bail_out("message %d: completion %d missing", m, i);
			ud = cqe->user_data;
			if (i == 0) {
				if ((ud != (UD_WRITE | m) || cqe->res != (int)len) && !bad++)
					diag("message %d: write: %d", m, cqe->res);
			} else if (ud != (__u64)(i - 1) || cqe->res < 0) {
				if (!bad++)
					diag("message %d cqe %d: ud %llu res %d", m, i,
					     (unsigned long long)ud, cqe->res);
			} else {
				memcpy(whole + got, rbufs[ud].buf, cqe->res);
				got += cqe->res;
			}
			io_uring_cqe_seen(&ring, cqe);
		}
		if (!msg_check(whole, got, m) && !bad++)
			diag("message %d: %zu bytes streamed", m, got);
		close(fd);
		if (!(m % 8))
			scan_workers();
	}
	is_int(bad, 0, "io_uring, stream mode: %d reads and writes, messages whole and in order",
	       n);

	/* 4 reads waiting on an empty queue, then a message in 4 parts */
	{
		int fd = rq_open_mode(DEV, O_RDONLY, RUSTQUEUE_F_BLOCK);
		size_t len = msg_len(13), got = 0;
		char whole[MAXLEN], buf[MAXLEN];
		int idle;

		for (i = 0; i < 4; i++)
			prep_read(fd, i, len / 4 + 1);
		submit(4);
		idle = nothing_done(fd);
		scan_workers();
		msg_fill(buf, 13);
		if (write(wfd, buf, len) != (ssize_t)len)
			bail_out("write: %s", strerror(errno));
		for (i = 0; i < 4; i++) {
			struct io_uring_cqe *cqe = get_cqe();

			if (!cqe)
				break;
			if (cqe->res > 0) {
				memcpy(whole + got, rbufs[cqe->user_data].buf, cqe->res);
				got += cqe->res;
			}
			io_uring_cqe_seen(&ring, cqe);
		}
		ok(idle && i == 4 && msg_check(whole, got, 13),
		   "io_uring, stream mode: reads waiting on an empty queue get a later message's parts in order");
		close(fd);
	}
	scan_workers();
	is_int(max_workers, 0, "... and no io-wq worker (iou-wrk) ran for them");
	close(wfd);
}

/*
 * A multishot read (IORING_OP_READ_MULTISHOT, Linux 6.7) with provided
 * buffers: one request, one completion per message, in order, each in a
 * buffer of its own; it waits through poll on an empty queue (no worker,
 * no task asleep in the queue); a message longer than the buffers ends it
 * with EMSGSIZE and stays queued; cancelling it ends it.
 */
#ifndef IORING_OP_READ_MULTISHOT
#define IORING_OP_READ_MULTISHOT 49
#endif
#define MS_BUFS 32		/* a power of two */
#define MS_BGID 7
#define UD_MSHOT 0xabcdULL

static struct io_uring_buf_ring *ms_br;
static char ms_bufs[MS_BUFS][MAXLEN];

static void ms_give(unsigned int bid)
{
	io_uring_buf_ring_add(ms_br, ms_bufs[bid], MAXLEN, bid,
			      io_uring_buf_ring_mask(MS_BUFS), 0);
	io_uring_buf_ring_advance(ms_br, 1);
}

static void ms_arm(int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	if (!sqe)
		bail_out("no SQE");
	io_uring_prep_rw(IORING_OP_READ_MULTISHOT, sqe, fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = MS_BGID;
	io_uring_sqe_set_data64(sqe, UD_MSHOT);
	submit(1);
}

static void test_uring_multishot(int msgs)
{
	struct io_uring_probe *probe = io_uring_get_probe_ring(&ring);
	struct io_uring_buf_reg reg = { .ring_entries = MS_BUFS, .bgid = MS_BGID };
	unsigned int seq = 0, got = 0;
	int fd, wfd, i, bad = 0, more = 1, idle;
	struct io_uring_cqe *cqe;
	char big[MAXLEN + 1];
	void *mem;

	if (!probe || !io_uring_opcode_supported(probe, IORING_OP_READ_MULTISHOT)) {
		skip("no multishot read in this kernel (6.7 and later)",
		     "io_uring multishot read with provided buffers");
		if (probe)
			io_uring_free_probe(probe);
		return;
	}
	io_uring_free_probe(probe);
	mem = aligned_alloc(4096, MS_BUFS * sizeof(struct io_uring_buf));
	if (!mem)
		bail_out("aligned_alloc");
	memset(mem, 0, MS_BUFS * sizeof(struct io_uring_buf));
	ms_br = mem;
	reg.ring_addr = (unsigned long)mem;
	if (io_uring_register_buf_ring(&ring, &reg, 0))
		bail_out("io_uring_register_buf_ring");
	io_uring_buf_ring_init(ms_br);
	fd = rq_open_mode(DEV, O_RDONLY, BP);
	wfd = rq_open_mode(DEV, O_WRONLY, BP);

	/*
	 * Armed on a queue that holds 10 messages, with 4 buffers: 4
	 * completions, then ENOBUFS ends it, and the other 6 stay queued.
	 */
	for (i = 0; i < 4; i++)
		ms_give(i);
	for (; seq < 10; seq++) {
		char buf[MAXLEN];

		msg_fill(buf, seq);
		if (write(wfd, buf, msg_len(seq)) != (ssize_t)msg_len(seq))
			bail_out("write: %s", strerror(errno));
	}
	ms_arm(fd);
	for (i = 0; i < 5; i++) {
		cqe = get_cqe();
		if (!cqe)
			break;
		if (i < 4 && !(cqe->res > 0 && (cqe->flags & IORING_CQE_F_MORE) &&
			       msg_check(ms_bufs[cqe->flags >> IORING_CQE_BUFFER_SHIFT],
					 cqe->res, got)))
			bad++;
		if (i == 4 && (cqe->res != -ENOBUFS || (cqe->flags & IORING_CQE_F_MORE)))
			bad++;
		got += cqe->res > 0;
		io_uring_cqe_seen(&ring, cqe);
	}
	ok(i == 5 && !bad && got == 4,
	   "multishot armed on 10 queued messages with 4 buffers: 4 completions in order, then ENOBUFS ends it");
	is_int(rq_info(fd).count, 6, "... and the 6 messages it had no buffer for stay queued");
	for (i = 0; i < MS_BUFS; i++)
		ms_give(i);
	ms_arm(fd);
	for (i = 0, bad = 0; i < 6; i++) {
		cqe = get_cqe();
		if (!cqe)
			break;
		if (!(cqe->res > 0 && (cqe->flags & IORING_CQE_F_MORE) &&
		      msg_check(ms_bufs[cqe->flags >> IORING_CQE_BUFFER_SHIFT],
				cqe->res, got)))
			bad++;
		got++;
		io_uring_cqe_seen(&ring, cqe);
	}
	ok(i == 6 && !bad, "armed again with buffers: the 6 come next, in order");
	bad = 0;
	idle = nothing_done(fd);
	scan_workers();
	ok(idle, "multishot read on an empty queue: no completion, nothing asleep in the queue");
	while (seq < (unsigned int)msgs && more) {
		/* a burst the queue holds, then one completion per message */
		unsigned int burst = 1 + seq % CAP, n;

		for (n = 0; n < burst && seq < (unsigned int)msgs; n++, seq++) {
			char buf[MAXLEN];

			msg_fill(buf, seq);
			if (write(wfd, buf, msg_len(seq)) != (ssize_t)msg_len(seq))
				bail_out("write: %s", strerror(errno));
		}
		while (got < seq) {
			unsigned int bid;

			cqe = get_cqe();
			if (!cqe)
				bail_out("multishot: completion for message %u missing", got);
			more = cqe->flags & IORING_CQE_F_MORE;
			if (cqe->res < 0 || !(cqe->flags & IORING_CQE_F_BUFFER)) {
				diag("multishot ended at message %u: %s", got,
				     cqe->res < 0 ? strerror(-cqe->res) : "no buffer");
				bad++;
				io_uring_cqe_seen(&ring, cqe);
				break;
			}
			bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
			if (!msg_check(ms_bufs[bid], cqe->res, got) && !bad++)
				diag("multishot: completion %u is not message %u", got, got);
			got++;
			io_uring_cqe_seen(&ring, cqe);
			ms_give(bid);
			if (!more)
				break;
		}
		scan_workers();
	}
	is_int(bad, 0, "multishot read: %u messages, one completion each, in order", got);
	ok(more, "... and the request is still armed after them");

	/* a message longer than the buffers: EMSGSIZE ends it, the message stays */
	memset(big, 'b', sizeof(big));
	if (write(wfd, big, sizeof(big)) != (ssize_t)sizeof(big))
		bail_out("write: %s", strerror(errno));
	cqe = get_cqe();
	ok(cqe && cqe->res == -EMSGSIZE && !(cqe->flags & IORING_CQE_F_MORE),
	   "a message longer than the provided buffers ends the multishot read with EMSGSIZE");
	if (cqe)
		io_uring_cqe_seen(&ring, cqe);
	alarm(10);	/* were it lost, this read would wait: EINTR */
	is_int(read(fd, big, sizeof(big)), (int)sizeof(big),
	       "... and stays queued for a read() big enough");
	alarm(0);

	/* cancelled while armed: one final completion, without F_MORE */
	ms_arm(fd);
	nothing_done(fd);
	io_uring_prep_cancel64(io_uring_get_sqe(&ring), UD_MSHOT, 0);
	submit(1);
	for (i = 0, more = 0; i < 2; i++) {
		cqe = get_cqe();
		if (!cqe)
			break;
		if (cqe->user_data == UD_MSHOT)
			more = cqe->res == -ECANCELED && !(cqe->flags & IORING_CQE_F_MORE);
		io_uring_cqe_seen(&ring, cqe);
	}
	ok(more, "cancelling an armed multishot read ends it (ECANCELED)");
	scan_workers();
	is_int(max_workers, 0, "... and no io-wq worker (iou-wrk) ran for it");
	io_uring_unregister_buf_ring(&ring, MS_BGID);
	free(mem);
	close(wfd);
	close(fd);
}

/*
 * A stream-mode open's own change (its read reaching the end of its
 * message) wakes that open's pollers only: an io_uring poll of another
 * open file of the queue, which takes the wake-up's event mask as its
 * answer, must not complete with events that file does not have.
 */
static void test_uring_poll_other_open(void)
{
	int p = rq_open_mode(DEV, O_RDWR, BP);
	int st = rq_open_mode(DEV, O_RDWR, 0);
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	char buf[16];
	int quiet;

	if (write(p, "abc", 3) != 3)
		bail_out("write: %s", strerror(errno));
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, p, POLLPRI);
	io_uring_sqe_set_data64(sqe, 77);
	submit(1);
	quiet = nothing_done(p);
	is_int(read(st, buf, sizeof(buf)), 3, "a stream-mode open reads a message to its end");
	quiet = nothing_done(p) && quiet;
	ok(quiet, "an io_uring poll (POLLPRI) of another open file stays pending meanwhile");
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_poll_remove(sqe, 77);
	submit(1);
	for (int i = 0; i < 2 && (cqe = get_cqe()); i++)
		io_uring_cqe_seen(&ring, cqe);
	close(st);
	close(p);
}

static void test_uring(void)
{
	int ret = io_uring_queue_init(256, &ring, 0);

	if (ret < 0) {
		char why[96];

		snprintf(why, sizeof(why), "no io_uring here: %s", strerror(-ret));
		skip(why, "io_uring reads and writes");
		return;
	}
	mod_reload_or_bail(MOD, "verbose=0");
	test_uring_read_waits();
	test_uring_write_waits();
	test_uring_packet_inline(150);
	test_uring_packet_poll(30);
	test_uring_stream(120);
	test_uring_poll_other_open();
	test_uring_multishot(400);
	scan_workers();
	is_int(max_workers, 0, "no io-wq worker (iou-wrk) at any point");
	io_uring_queue_exit(&ring);
	mod_unload_or_bail(MOD);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: EINTR */
	mod_ensure_unloaded(MOD);
	test_uring();
	test_rwf_nowait();
	test_rwf_nowait_locked();
	return done_testing();
}
