// SPDX-License-Identifier: GPL-2.0
/*
 * bench_queue: per-message cost of rustqueue in packet mode against
 * Linux's own message passing, in the same boot: POSIX mqueue
 * (mq_send/mq_receive), a packet-mode pipe (pipe2(O_DIRECT)) and
 * socketpair(AF_UNIX, SOCK_SEQPACKET).  1 producer / 1 consumer and
 * 8 / 8, at 16 B, 256 B and 4 KiB; every mechanism blocks when empty or
 * full.  Prints, per configuration, the median cost per message of REPS
 * interleaved runs with its spread, and the ratios to mqueue and to the
 * packet pipe.
 *
 * Under "make bench" the guest runs with QEMU's -icount: guest time is
 * instruction count (1 ns = 1 instruction), so the figures repeat on a
 * loaded host; the spread shows how well.
 *
 *	bench_queue [MESSAGES [REPS]]
 *	bench_queue MESSAGES 1 MECHANISM THREADS SIZE	(one run, for profiling)
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/rustqueue.h>

#include "bench.h"

#define STOP 0xffffffffu
#define MQ_NAME "/bench_queue"

struct run;

struct mech {
	const char *name;
	int (*setup)(struct run *r);
	int (*open_end)(struct run *r, int writer);	/* per-thread fd */
	ssize_t (*send)(int fd, const void *buf, size_t len);
	ssize_t (*recv)(int fd, void *buf, size_t len);
	void (*teardown)(struct run *r);
};

struct run {
	const struct mech *m;
	size_t size;
	int nprod, ncons;
	long per_prod;
	int fds[2];		/* shared ends (pipe, socketpair) */
	pthread_barrier_t go;
	long received;
};

/* ---- rustqueue, packet mode, waiting ---- */
static int rq_setup(struct run *r)
{
	(void)r;
	return access(RUSTQUEUE_DEVICE, R_OK | W_OK);
}

static int rq_open_end(struct run *r, int writer)
{
	unsigned int mode = RUSTQUEUE_F_BLOCK | RUSTQUEUE_F_PACKET;
	int fd = open(RUSTQUEUE_DEVICE, writer ? O_WRONLY : O_RDONLY);

	(void)r;
	if (fd >= 0 && ioctl(fd, RUSTQUEUE_IOC_SET_FLAGS, &mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

static ssize_t fd_send(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len);
}

static ssize_t fd_recv(int fd, void *buf, size_t len)
{
	return read(fd, buf, len);
}

static void no_teardown(struct run *r)
{
	(void)r;
}

/* ---- POSIX mqueue ---- */
static int mq_setup(struct run *r)
{
	struct mq_attr a = { .mq_maxmsg = 16, .mq_msgsize = (long)r->size };
	mqd_t q;

	mq_unlink(MQ_NAME);
	q = mq_open(MQ_NAME, O_CREAT | O_RDWR, 0600, &a);
	if (q == (mqd_t)-1)
		return -1;
	mq_close(q);
	return 0;
}

static int mq_open_end(struct run *r, int writer)
{
	(void)r;
	return mq_open(MQ_NAME, writer ? O_WRONLY : O_RDONLY);
}

static ssize_t mq_send_msg(int fd, const void *buf, size_t len)
{
	return mq_send(fd, buf, len, 0) ? -1 : (ssize_t)len;
}

static ssize_t mq_recv_msg(int fd, void *buf, size_t len)
{
	return mq_receive(fd, buf, len, NULL);
}

static void mq_teardown(struct run *r)
{
	(void)r;
	mq_unlink(MQ_NAME);
}

/* ---- pipe2(O_DIRECT): packet mode pipe, 16 buffers by default ---- */
static int pipe_setup(struct run *r)
{
	return pipe2(r->fds, O_DIRECT);
}

static int shared_end(struct run *r, int writer)
{
	return dup(r->fds[writer ? 1 : 0]);
}

static void close_shared(struct run *r)
{
	close(r->fds[0]);
	close(r->fds[1]);
}

/* ---- socketpair(AF_UNIX, SOCK_SEQPACKET) ---- */
static int sp_setup(struct run *r)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		return -1;
	r->fds[0] = sv[0];	/* readers */
	r->fds[1] = sv[1];	/* writers */
	return 0;
}

static const struct mech mechs[] = {
	{ "rustqueue", rq_setup, rq_open_end, fd_send, fd_recv, no_teardown },
	{ "mqueue", mq_setup, mq_open_end, mq_send_msg, mq_recv_msg, mq_teardown },
	{ "pipe", pipe_setup, shared_end, fd_send, fd_recv, close_shared },
	{ "seqpacket", sp_setup, shared_end, fd_send, fd_recv, close_shared },
};
#define NMECH (sizeof(mechs) / sizeof(mechs[0]))

static void *producer(void *arg)
{
	struct run *r = arg;
	char *buf = calloc(1, r->size);
	int fd = r->m->open_end(r, 1);
	long i;

	if (fd < 0 || !buf)
		die("producer");
	pin_to(0);
	pthread_barrier_wait(&r->go);
	for (i = 0; i < r->per_prod; i++) {
		memcpy(buf, &i, sizeof(uint32_t));
		if (r->m->send(fd, buf, r->size) != (ssize_t)r->size)
			die(r->m->name);
	}
	close(fd);
	free(buf);
	return NULL;
}

static void *consumer(void *arg)
{
	struct run *r = arg;
	char *buf = malloc(r->size);
	int fd = r->m->open_end(r, 0);
	long n = 0;

	if (fd < 0 || !buf)
		die("consumer");
	pin_to(1);
	pthread_barrier_wait(&r->go);
	for (;;) {
		uint32_t tag;

		if (r->m->recv(fd, buf, r->size) != (ssize_t)r->size)
			die(r->m->name);
		memcpy(&tag, buf, sizeof(tag));
		if (tag == STOP)
			break;
		n++;
	}
	__atomic_fetch_add(&r->received, n, __ATOMIC_RELAXED);
	close(fd);
	free(buf);
	return NULL;
}

/*
 * One timed run: ns per message; *@cs gets the context switches per
 * message (voluntary and not, the whole process's).
 */
static double run_once(const struct mech *m, int threads, size_t size,
		       long messages, double *cs)
{
	struct rusage u0;
	struct run r = { .m = m, .size = size, .nprod = threads,
			 .ncons = threads, .per_prod = messages / threads };
	pthread_t t[16];
	struct timespec t0, t1;
	char *stop;
	int i, fd;

	if (m->setup(&r))
		die(m->name);
	pthread_barrier_init(&r.go, NULL, 2 * threads + 1);
	for (i = 0; i < threads; i++) {
		pthread_create(&t[i], NULL, consumer, &r);
		pthread_create(&t[threads + i], NULL, producer, &r);
	}
	pthread_barrier_wait(&r.go);
	getrusage(RUSAGE_SELF, &u0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < threads; i++)
		pthread_join(t[threads + i], NULL);
	/* stop messages queue up behind every data message */
	stop = calloc(1, size);
	memset(stop, 0xff, sizeof(uint32_t));
	fd = m->open_end(&r, 1);
	for (i = 0; i < threads; i++)
		if (m->send(fd, stop, size) != (ssize_t)size)
			die("stop");
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*cs = switches_since(&u0, r.per_prod * threads);
	close(fd);
	free(stop);
	m->teardown(&r);
	pthread_barrier_destroy(&r.go);
	if (r.received != r.per_prod * threads) {
		fprintf(stderr, "bench_queue: %s lost messages\n", m->name);
		exit(1);
	}
	return ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) /
	       (double)(r.per_prod * threads);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 16, 256, 4096 };
	static const int threads[] = { 1, 8 };
	long messages = argc > 1 ? atol(argv[1]) : 16000;
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	double cost[NMECH][16], cs[NMECH][16], med[NMECH], one;
	unsigned int ti, si, k;
	int rep, worst = 0;

	pin = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	if (argc == 6) {
		for (k = 0; k < NMECH; k++) {
			if (strcmp(argv[3], mechs[k].name))
				continue;
			med[k] = run_once(&mechs[k], atoi(argv[4]), atol(argv[5]),
					  messages, &one);
			printf("%s %sx%s %s B: %.0f ns/message, %.2f context switches/message\n",
			       argv[3], argv[4], argv[4], argv[5], med[k], one);
		}
		return 0;
	}

	printf("# per-message cost: median of %d interleaved runs of %ld messages (spread = (max-min)/median)\n",
	       reps, messages);
	printf("# %s; cs: context switches per message (median), rustqueue / mqueue\n",
	       pin ? "producers pinned to CPU 0, consumers to CPU 1" : "one CPU");
	printf("%-5s %5s  %-16s %-16s %-16s %-16s %6s %6s  %s\n", "P x C", "size",
	       "rustqueue", "mqueue", "pipe(O_DIRECT)", "seqpacket", "rq/mq", "rq/pipe",
	       "cs rq / mq");
	/* warm up: first-use costs (page faults, lazy setup) are not measured */
	for (k = 0; k < NMECH; k++)
		run_once(&mechs[k], 8, 4096, messages / 4, &one);
	for (ti = 0; ti < 2; ti++) {
		for (si = 0; si < 3; si++) {
			for (rep = 0; rep < reps; rep++)
				for (k = 0; k < NMECH; k++)
					cost[k][rep] = run_once(&mechs[k], threads[ti],
								sizes[si], messages,
								&cs[k][rep]);
			printf("%dx%-3d %5zu ", threads[ti], threads[ti], sizes[si]);
			for (k = 0; k < NMECH; k++) {
				char cell[32];

				qsort(cost[k], reps, sizeof(double), cmp_double);
				qsort(cs[k], reps, sizeof(double), cmp_double);
				med[k] = cost[k][reps / 2];
				snprintf(cell, sizeof(cell), "%.0f (%.1f%%)", med[k],
					 100 * (cost[k][reps - 1] - cost[k][0]) / med[k]);
				printf(" %-16s", cell);
			}
			printf(" %6.2f %6.2f  %.2f / %.2f\n", med[0] / med[1],
			       med[0] / med[2], cs[0][reps / 2], cs[1][reps / 2]);
			if (med[0] / med[1] > 1.0)
				worst = 1;
		}
	}
	printf("# target (issue 15): rustqueue <= 1.00 x mqueue at every size: %s\n",
	       worst ? "NOT MET" : "met");
	return 0;
}
