// SPDX-License-Identifier: GPL-2.0
/*
 * bench_paths: the two rustqueue paths bench_queue does not measure,
 * each beside POSIX mqueue (mq_send/mq_receive, 1 producer / 1 consumer)
 * in the same boot, at 16 B, 256 B and 4 KiB:
 *
 *  uring  io_uring, 32 operations in flight on each side: the producer
 *         keeps 32 writes queued on its ring, the consumer 32 reads on
 *         its own (packet mode, waiting: a read that finds the queue empty
 *         waits through poll, never in an io-wq thread); and the same
 *         producer with a consumer that has one multishot read
 *         (IORING_OP_READ_MULTISHOT, Linux 6.7) on a ring of 32 provided
 *         buffers.  Queue capacity 64 (mqueue's too), so that 32 writes
 *         in flight fit.  Also voluntary and involuntary context switches
 *         per message (getrusage, whole process), for io_uring, plain
 *         write()/read() and mqueue: a voluntary switch is a sleep, so it
 *         counts the wake-ups too.  And io_uring's own floor: the same
 *         32 writes in flight to /dev/null, then 32 reads from /dev/zero,
 *         in one thread (devices that do no work, and never wait).
 *  seed   the path every walkthrough of seed 002 takes, one thread: per
 *         message open(O_WRONLY), write, close, then open(O_RDONLY),
 *         read, close, the module logging every operation (verbose=1, its
 *         default), stream mode (the default).  Per message, and per call
 *         (each call timed alone), beside the same with logging off (what
 *         printk costs), /dev/null's open/write/close (the VFS's own
 *         floor) and mqueue's open-free send + receive.
 *
 * Under "make bench" the guest runs with -icount: 1 ns = 1 instruction.
 * Medians of REPS interleaved runs, with the spread (max-min)/median.
 * Needs rustqueue loaded (bench/run loads it with verbose=0; the seed
 * part switches verbose on through sysfs and back off).
 *
 *	bench_paths [MESSAGES [REPS]]
 */
#include <fcntl.h>
#include <liburing.h>
#include <mqueue.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <linux/rustqueue.h>

#include "bench.h"

#define INFLIGHT 32
#define CAPACITY 64
#define BGID 1
#ifndef IORING_OP_READ_MULTISHOT
#define IORING_OP_READ_MULTISHOT 49
#endif
#define MQ_NAME "/bench_paths"
#define VERBOSE "/sys/module/rustqueue/parameters/verbose"

enum { RQ_URING, RQ_MSHOT, RQ_RW, MQ, NUL_URING, NMECH };
static const char *const mech_name[NMECH] = {
	"rq-uring", "rq-mshot", "rq-rw", "mqueue", "null-uring",
};

struct run {
	int mech;
	size_t size;
	long messages;
	int wfd, rfd;
	pthread_barrier_t go;
	double t0;		/* set as both sides are ready */
	struct rusage u0;
};

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* both sides are set up: the consumer (main thread) starts the clock */
static void go(struct run *r, int consumer)
{
	pthread_barrier_wait(&r->go);
	if (consumer && !r->t0) {
		getrusage(RUSAGE_SELF, &r->u0);
		r->t0 = now_ns();
	}
}

static int rq_open(int writer)
{
	unsigned int mode = RUSTQUEUE_F_BLOCK | RUSTQUEUE_F_PACKET;
	int fd = open(RUSTQUEUE_DEVICE, writer ? O_WRONLY : O_RDONLY);

	if (fd < 0 || ioctl(fd, RUSTQUEUE_IOC_SET_FLAGS, &mode))
		die("open " RUSTQUEUE_DEVICE);
	return fd;
}

/* io_uring: keep INFLIGHT writes (reads) queued until all are done */
static void uring_side(struct run *r, int send)
{
	static __thread char bufs[INFLIGHT][4096];
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	long issued = 0, done = 0;
	int fd = send ? r->wfd : r->rfd;

	if (io_uring_queue_init(2 * INFLIGHT, &ring, 0))
		die("io_uring_queue_init");
	go(r, !send);
	while (done < r->messages) {
		while (issued < r->messages && issued - done < INFLIGHT) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			unsigned int slot = issued % INFLIGHT;

			if (send)
				io_uring_prep_write(sqe, fd, bufs[slot], r->size, -1);
			else
				io_uring_prep_read(sqe, fd, bufs[slot], r->size, -1);
			issued++;
		}
		if (io_uring_submit_and_wait(&ring, 1) < 0)
			die("io_uring_submit_and_wait");
		while (!io_uring_peek_cqe(&ring, &cqe)) {
			if (cqe->res != (int)r->size) {
				errno = cqe->res < 0 ? -cqe->res : EIO;
				die(send ? "io_uring write" : "io_uring read");
			}
			io_uring_cqe_seen(&ring, cqe);
			done++;
		}
	}
	io_uring_queue_exit(&ring);
}

/* the consumer with one multishot read on INFLIGHT provided buffers */
static void mshot_side(struct run *r)
{
	static __thread char bufs[INFLIGHT][4096];
	struct io_uring_buf_reg reg = { .ring_entries = INFLIGHT, .bgid = BGID };
	struct io_uring_buf_ring *br;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int armed = 0, i;
	long done = 0;

	if (io_uring_queue_init(2 * INFLIGHT, &ring, 0))
		die("io_uring_queue_init");
	br = aligned_alloc(4096, INFLIGHT * sizeof(struct io_uring_buf));
	if (!br)
		die("aligned_alloc");
	reg.ring_addr = (unsigned long)br;
	if (io_uring_register_buf_ring(&ring, &reg, 0))
		die("io_uring_register_buf_ring");
	io_uring_buf_ring_init(br);
	for (i = 0; i < INFLIGHT; i++)
		io_uring_buf_ring_add(br, bufs[i], sizeof(bufs[i]), i,
				      io_uring_buf_ring_mask(INFLIGHT), i);
	io_uring_buf_ring_advance(br, INFLIGHT);
	go(r, 1);
	while (done < r->messages) {
		if (!armed) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			io_uring_prep_rw(IORING_OP_READ_MULTISHOT, sqe, r->rfd,
					 NULL, 0, 0);
			sqe->flags |= IOSQE_BUFFER_SELECT;
			sqe->buf_group = BGID;
			armed = 1;
		}
		if (io_uring_submit_and_wait(&ring, 1) < 0)
			die("io_uring_submit_and_wait");
		while (!io_uring_peek_cqe(&ring, &cqe)) {
			unsigned int bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;

			armed = !!(cqe->flags & IORING_CQE_F_MORE);
			if (cqe->res == -ENOBUFS && !armed) {
				/* it read faster than we gave buffers back */
				io_uring_cqe_seen(&ring, cqe);
				continue;
			}
			if (cqe->res != (int)r->size) {
				errno = cqe->res < 0 ? -cqe->res : EIO;
				die("multishot read");
			}
			io_uring_cqe_seen(&ring, cqe);
			io_uring_buf_ring_add(br, bufs[bid], sizeof(bufs[bid]), bid,
					      io_uring_buf_ring_mask(INFLIGHT), 0);
			io_uring_buf_ring_advance(br, 1);
			done++;
		}
	}
	/* the read is still armed: closing the ring cancels it */
	io_uring_queue_exit(&ring);
	free(br);
}

static void rw_side(struct run *r, int send)
{
	char buf[4096] = "";
	long i;

	go(r, !send);
	for (i = 0; i < r->messages; i++) {
		ssize_t n;

		if (r->mech == MQ && send)
			n = mq_send(r->wfd, buf, r->size, 0) ? -1 : (ssize_t)r->size;
		else if (r->mech == MQ)
			n = mq_receive(r->rfd, buf, sizeof(buf), NULL);
		else
			n = send ? write(r->wfd, buf, r->size) : read(r->rfd, buf, r->size);
		if (n != (ssize_t)r->size)
			die(mech_name[r->mech]);
	}
}

static void *producer(void *arg)
{
	struct run *r = arg;

	pin_to(0);
	if (r->mech == RQ_URING || r->mech == RQ_MSHOT)
		uring_side(r, 1);
	else
		rw_side(r, 1);
	return NULL;
}

/* One timed run: ns per message; context switches per message in *cs */
static double run_once(int mech, size_t size, long messages, double cs[2])
{
	struct run r = { .mech = mech, .size = size, .messages = messages };
	struct rusage u1;
	pthread_t p;
	double t1;

	if (mech == MQ) {
		struct mq_attr a = { .mq_maxmsg = CAPACITY, .mq_msgsize = (long)size };

		mq_unlink(MQ_NAME);
		r.wfd = mq_open(MQ_NAME, O_CREAT | O_WRONLY, 0600, &a);
		r.rfd = mq_open(MQ_NAME, O_RDONLY);
		if (r.wfd < 0 || r.rfd < 0)
			die("mq_open");
	} else if (mech == NUL_URING) {
		r.wfd = open("/dev/null", O_WRONLY);
		r.rfd = open("/dev/zero", O_RDONLY);
		if (r.wfd < 0 || r.rfd < 0)
			die("open /dev/null, /dev/zero");
	} else {
		r.wfd = rq_open(1);
		r.rfd = rq_open(0);
	}
	if (mech == NUL_URING) {
		/* io_uring's own floor: both sides in turn, in one thread */
		pthread_barrier_init(&r.go, NULL, 1);
		getrusage(RUSAGE_SELF, &r.u0);
		r.t0 = now_ns();
		uring_side(&r, 1);
		uring_side(&r, 0);
		goto done;
	}
	pthread_barrier_init(&r.go, NULL, 2);
	pthread_create(&p, NULL, producer, &r);
	pin_to(1);
	if (mech == RQ_URING)
		uring_side(&r, 0);
	else if (mech == RQ_MSHOT)
		mshot_side(&r);
	else
		rw_side(&r, 0);
	pthread_join(p, NULL);
done:
	t1 = now_ns();
	getrusage(RUSAGE_SELF, &u1);
	cs[0] = (double)(u1.ru_nvcsw - r.u0.ru_nvcsw) / messages;
	cs[1] = (double)(u1.ru_nivcsw - r.u0.ru_nivcsw) / messages;
	close(r.wfd);
	close(r.rfd);
	if (mech == MQ)
		mq_unlink(MQ_NAME);
	pthread_barrier_destroy(&r.go);
	return (t1 - r.t0) / messages;
}

static double median(double *v, int n, double *spread)
{
	double m;

	qsort(v, n, sizeof(double), cmp_double);
	m = v[n / 2];
	*spread = m ? 100 * (v[n - 1] - v[0]) / m : 0;
	return m;
}

static void bench_uring(long messages, int reps)
{
	static const size_t sizes[] = { 16, 256, 4096 };
	double cost[NMECH][16], vcs[NMECH][16], ics[NMECH][16], med[NMECH];
	struct io_uring_probe *probe = io_uring_get_probe();
	int mshot = probe && io_uring_opcode_supported(probe, IORING_OP_READ_MULTISHOT);
	unsigned int si, k, old_cap;
	int rep;

	if (probe)
		io_uring_free_probe(probe);
	if (set_capacity(CAPACITY, &old_cap))
		die("set the queue's capacity");
	printf("# io_uring, %d in flight per side, 1 producer x 1 consumer, capacity %d; ns (= instructions under -icount) per message, median of %d runs of %ld (spread); context switches per message (voluntary/involuntary, medians)\n",
	       INFLIGHT, CAPACITY, reps, messages);
	printf("%5s ", "size");
	for (k = 0; k < NMECH; k++)
		printf(" %-14s", mech_name[k]);
	printf(" %8s %8s %8s %8s ", "uring/mq", "mshot/mq", "rw/mq", "null/mq");
	for (k = 0; k < NMECH; k++)
		printf(" cs %-9s", mech_name[k]);
	printf("\n");
	for (k = 0; k < NMECH; k++)	/* warm up */
		if (k != RQ_MSHOT || mshot)
			run_once(k, 4096, messages / 4, vcs[k]);
	for (si = 0; si < 3; si++) {
		double sp[NMECH], s;

		for (rep = 0; rep < reps; rep++)
			for (k = 0; k < NMECH; k++) {
				double cs[2] = { 0, 0 };

				cost[k][rep] = k == RQ_MSHOT && !mshot ? 0 :
					       run_once(k, sizes[si], messages, cs);
				vcs[k][rep] = cs[0];
				ics[k][rep] = cs[1];
			}
		printf("%5zu ", sizes[si]);
		for (k = 0; k < NMECH; k++) {
			char cell[32];

			med[k] = median(cost[k], reps, &sp[k]);
			snprintf(cell, sizeof(cell), "%.0f (%.1f%%)", med[k], sp[k]);
			printf(" %-14s", k == RQ_MSHOT && !mshot ? "n/a" : cell);
		}
		printf(" %8.2f ", med[RQ_URING] / med[MQ]);
		if (mshot)
			printf("%8.2f ", med[RQ_MSHOT] / med[MQ]);
		else
			printf("%8s ", "n/a");
		printf("%8.2f ", med[RQ_RW] / med[MQ]);
		printf("%8.2f ", med[NUL_URING] / med[MQ]);
		for (k = 0; k < NMECH; k++) {
			char cell[32];

			snprintf(cell, sizeof(cell), "%.2f/%.2f",
				 median(vcs[k], reps, &s), median(ics[k], reps, &s));
			printf(" %-12s", cell);
		}
		printf("\n");
	}
	set_capacity(old_cap, NULL);
	printf("# target (issue 15): io_uring <= 0.50 x mqueue at 16 B; null/mq: io_uring's own cost, on devices that do nothing\n");
}

static void set_verbose(const char *v)
{
	int fd = open(VERBOSE, O_WRONLY);

	if (fd < 0 || write(fd, v, 1) != 1)
		die(VERBOSE);
	close(fd);
}

enum { S_OPEN_W, S_WRITE, S_CLOSE_W, S_OPEN_R, S_READ, S_CLOSE_R, NSTEP };
static const char *const step_name[NSTEP] = {
	"open(W)", "write", "close(W)", "open(R)", "read", "close(R)",
};

/*
 * The seed's path, each call timed alone: ns per call, per step, over
 * @messages messages.  @path is rustqueue or /dev/null (whose read gives
 * end-of-file: the floor of what the VFS costs around a driver).
 */
static void seed_once(const char *path, size_t size, long messages,
		      double step[NSTEP])
{
	char buf[4096] = "";
	double t[NSTEP + 1];
	long i;
	int s, fd = -1;

	for (s = 0; s < NSTEP; s++)
		step[s] = 0;
	for (i = 0; i < messages; i++) {
		ssize_t n = 0, got = 0;

		for (s = 0; s < NSTEP; s++) {
			t[s] = now_ns();
			switch (s) {
			case S_OPEN_W:
				fd = open(path, O_WRONLY);
				break;
			case S_OPEN_R:
				fd = open(path, O_RDONLY);
				break;
			case S_WRITE:
				n = write(fd, buf, size);
				break;
			case S_READ:
				n = got = read(fd, buf, sizeof(buf));
				break;
			default:
				n = close(fd);
				break;
			}
			t[s + 1] = now_ns();
			if (fd < 0 || n < 0)
				die(path);
			step[s] += t[s + 1] - t[s];
		}
		/* rustqueue gives back what was written */
		if (strcmp(path, "/dev/null") && got != (ssize_t)size) {
			errno = EPROTO;
			die("rustqueue read back a different length");
		}
	}
	for (s = 0; s < NSTEP; s++)
		step[s] /= messages;
}

/* mqueue's open-free path for scale: one send, one receive */
static double mq_once(size_t size, long messages)
{
	struct mq_attr a = { .mq_maxmsg = 16, .mq_msgsize = (long)size };
	char buf[4096] = "";
	double t0, t1;
	mqd_t q;
	long i;

	mq_unlink(MQ_NAME);
	q = mq_open(MQ_NAME, O_CREAT | O_RDWR, 0600, &a);
	if (q < 0)
		die("mq_open");
	t0 = now_ns();
	for (i = 0; i < messages; i++)
		if (mq_send(q, buf, size, 0) ||
		    mq_receive(q, buf, sizeof(buf), NULL) != (ssize_t)size)
			die("mqueue");
	t1 = now_ns();
	mq_close(q);
	mq_unlink(MQ_NAME);
	return (t1 - t0) / messages;
}

static void bench_seed(long messages, int reps)
{
	static const size_t sizes[] = { 16, 256, 4096 };
	double rq[NSTEP][16], quiet[NSTEP][16], nul[NSTEP][16], mq[16], st[NSTEP], sp;
	unsigned int si;
	int rep, s;

	printf("# the seed's path, one thread: open(O_WRONLY) write close, open(O_RDONLY) read close per message, logging on; ns per call, medians of %d runs of %ld messages\n",
	       reps, messages);
	printf("%5s %-10s", "size", "");
	for (s = 0; s < NSTEP; s++)
		printf(" %8s", step_name[s]);
	printf(" %9s %8s\n", "message", "spread");
	set_verbose("1");
	seed_once(RUSTQUEUE_DEVICE, 4096, messages / 4, st);	/* warm up */
	for (si = 0; si < 3; si++) {
		double total[16];

		for (rep = 0; rep < reps; rep++) {
			seed_once(RUSTQUEUE_DEVICE, sizes[si], messages, st);
			total[rep] = 0;
			for (s = 0; s < NSTEP; s++) {
				rq[s][rep] = st[s];
				total[rep] += st[s];
			}
			set_verbose("0");
			seed_once(RUSTQUEUE_DEVICE, sizes[si], messages, st);
			for (s = 0; s < NSTEP; s++)
				quiet[s][rep] = st[s];
			set_verbose("1");
			seed_once("/dev/null", sizes[si], messages, st);
			for (s = 0; s < NSTEP; s++)
				nul[s][rep] = st[s];
			mq[rep] = mq_once(sizes[si], messages);
		}
		printf("%5zu %-10s", sizes[si], "rustqueue");
		for (s = 0; s < NSTEP; s++)
			printf(" %8.0f", median(rq[s], reps, &sp));
		printf(" %9.0f %7.1f%%\n", median(total, reps, &sp), sp);
		printf("%5s %-10s", "", "no log");
		for (s = 0; s < NSTEP; s++)
			printf(" %8.0f", median(quiet[s], reps, &sp));
		printf("\n%5s %-10s", "", "/dev/null");
		for (s = 0; s < NSTEP; s++)
			printf(" %8.0f", median(nul[s], reps, &sp));
		printf("\n%5s %-10s %9.0f per send + receive (spread %.1f%%)\n", "",
		       "mqueue", median(mq, reps, &sp), sp);
	}
	set_verbose("0");
	printf("# the seed's own module is not in this guest (it needs a Rust-enabled kernel): issue 15 measured it at 21,345 / 22,050 / 30,161 per message\n");
}

int main(int argc, char **argv)
{
	long messages = argc > 1 ? atol(argv[1]) : 8000;
	int reps = argc > 2 ? atoi(argv[2]) : 5;

	if (reps < 1 || reps > 16)
		reps = 5;
	pin = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	bench_uring(messages, reps);
	bench_seed(messages / 4, reps);
	return 0;
}
