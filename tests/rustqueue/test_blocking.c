// SPDX-License-Identifier: GPL-2.0
/*
 * rustqueue waiting I/O: blocking reads and writes, O_NONBLOCK, signals
 * during a wait, poll/epoll readiness, precise wake-ups, unload with
 * waiters, the blocking= parameter, and several independent queues.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>

#include "rqtest.h"

#define DEV RUSTQUEUE_DEVICE
#define MOD "rustqueue"
#define BP (RUSTQUEUE_F_BLOCK | RUSTQUEUE_F_PACKET)

struct io {
	const char *path;
	unsigned int mode;
	int fd;			/* -1: open path with mode */
	pthread_t thread;
	pid_t tid;
	volatile int done;
	ssize_t ret;
	int err;
	char buf[64];
};

static void *reader(void *arg)
{
	struct io *io = arg;
	int fd = io->fd >= 0 ? io->fd : rq_open_mode(io->path, O_RDONLY, io->mode);

	io->tid = gettid();
	io->ret = read(fd, io->buf, sizeof(io->buf) - 1);
	io->err = errno;
	if (io->ret >= 0)
		io->buf[io->ret] = '\0';
	io->done = 1;
	if (io->fd < 0)
		close(fd);
	return NULL;
}

static void *writer(void *arg)
{
	struct io *io = arg;
	int fd = io->fd >= 0 ? io->fd : rq_open_mode(io->path, O_WRONLY, io->mode);

	io->tid = gettid();
	io->ret = write(fd, io->buf, strlen(io->buf));
	io->err = errno;
	io->done = 1;
	if (io->fd < 0)
		close(fd);
	return NULL;
}

static void *delayed_reader(void *arg)
{
	sleep_ms(100);
	return reader(arg);
}

static void start(struct io *io, void *(*fn)(void *), unsigned int mode,
		  const char *msg)
{
	memset(io, 0, sizeof(*io));
	io->path = DEV;
	io->mode = mode;
	io->fd = -1;
	if (msg)
		snprintf(io->buf, sizeof(io->buf), "%s", msg);
	pthread_create(&io->thread, NULL, fn, io);
}

static void fill(int fd, int n)
{
	while (n--)
		if (write(fd, "fill", 4) != 4)
			bail_out("fill: %s", strerror(errno));
}

static void test_blocking_read(void)
{
	int w = open(DEV, O_WRONLY);
	struct io r;

	start(&r, reader, BP, NULL);
	ok(rq_wait_for_waiters(w, 1, 0), "a packet reader waits on an empty queue");
	sleep_ms(50);
	ok(!r.done, "and has not returned");
	write(w, "wake up", 7);
	pthread_join(r.thread, NULL);
	ok(r.ret == 7 && !strcmp(r.buf, "wake up"), "a write wakes it with the message");

	start(&r, reader, RUSTQUEUE_F_BLOCK, NULL);
	ok(rq_wait_for_waiters(w, 1, 0), "a stream reader in waiting mode waits too");
	write(w, "stream", 6);
	pthread_join(r.thread, NULL);
	ok(r.ret == 6 && !strcmp(r.buf, "stream"), "and gets the message");
	is_int(rq_info(w).count, 0, "queue empty again");
	close(w);
}

static void test_blocking_write(void)
{
	int fd = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	char buf[16];
	struct io wr;

	fill(fd, 16);
	start(&wr, writer, RUSTQUEUE_F_BLOCK, "seventeen");
	ok(rq_wait_for_waiters(fd, 0, 1), "a waiting writer waits on a full queue");
	sleep_ms(50);
	ok(!wr.done, "and has not returned");
	is_int(read(fd, buf, sizeof(buf)), 4, "a read makes room");
	pthread_join(wr.thread, NULL);
	is_int(wr.ret, 9, "the writer completes");
	is_int(rq_info(fd).count, 16, "the queue is full again, with its message");
	ioctl(fd, RUSTQUEUE_IOC_FLUSH);
	close(fd);
}

static void test_nonblock(void)
{
	int r = rq_open_mode(DEV, O_RDONLY | O_NONBLOCK, RUSTQUEUE_F_BLOCK);
	int rp = rq_open_mode(DEV, O_RDONLY | O_NONBLOCK, BP);
	int w = rq_open_mode(DEV, O_WRONLY | O_NONBLOCK, RUSTQUEUE_F_BLOCK);
	int seedr = open(DEV, O_RDONLY | O_NONBLOCK);
	int seedw = open(DEV, O_WRONLY | O_NONBLOCK);
	char buf[16];

	is_errno(read(r, buf, sizeof(buf)), EAGAIN, "waiting mode + O_NONBLOCK, stream read: EAGAIN");
	is_errno(read(rp, buf, sizeof(buf)), EAGAIN, "waiting mode + O_NONBLOCK, packet read: EAGAIN");
	is_int(read(seedr, buf, sizeof(buf)), 0, "seed mode + O_NONBLOCK: still EOF");
	fill(w, 16);
	is_errno(write(w, "x", 1), EAGAIN, "waiting mode + O_NONBLOCK, full: EAGAIN");
	is_errno(write(seedw, "x", 1), ENOSPC, "seed mode + O_NONBLOCK, full: still ENOSPC");
	is_int(rq_info(w).count, 16, "nothing extra was enqueued");
	ioctl(w, RUSTQUEUE_IOC_FLUSH);
	close(r);
	close(rp);
	close(w);
	close(seedr);
	close(seedw);
}

static void test_signals(void)
{
	int fd = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	char buf[16];
	struct io io;

	rq_catch_usr1(0);
	start(&io, reader, BP, NULL);
	rq_wait_for_waiters(fd, 1, 0);
	pthread_kill(io.thread, SIGUSR1);
	pthread_join(io.thread, NULL);
	ok(io.ret == -1 && io.err == EINTR, "a signal interrupts a waiting read: EINTR");
	write(fd, "after", 5);
	ok(read(fd, buf, sizeof(buf)) == 5, "no message was lost or taken by it");

	rq_catch_usr1(1);
	rq_signals = 0;
	start(&io, reader, BP, NULL);
	rq_wait_for_waiters(fd, 1, 0);
	pthread_kill(io.thread, SIGUSR1);
	sleep_ms(50);
	ok(rq_signals == 1 && rq_wait_for_waiters(fd, 1, 0) && !io.done,
	   "with SA_RESTART the read restarts and waits again");
	write(fd, "restarted", 9);
	pthread_join(io.thread, NULL);
	ok(io.ret == 9 && !strcmp(io.buf, "restarted"), "and then gets the message");

	rq_catch_usr1(0);
	fill(fd, 16);
	start(&io, writer, RUSTQUEUE_F_BLOCK, "blocked");
	rq_wait_for_waiters(fd, 0, 1);
	pthread_kill(io.thread, SIGUSR1);
	pthread_join(io.thread, NULL);
	ok(io.ret == -1 && io.err == EINTR, "a signal interrupts a waiting write: EINTR");
	is_int(rq_info(fd).count, 16, "and it enqueued nothing");
	is_int(ioctl(fd, RUSTQUEUE_IOC_FLUSH), 16, "the queue holds just the 16");
	close(fd);
}

static short revents(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

static void test_poll(void)
{
	int fd = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	int s = open(DEV, O_RDONLY), ep;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out;
	struct io io;
	char buf[16];

	is_int(revents(fd), POLLOUT, "empty queue: POLLOUT only");
	write(fd, "m", 1);
	is_int(revents(fd), POLLIN | POLLOUT, "one message: POLLIN | POLLOUT");
	fill(fd, 15);
	is_int(revents(fd), POLLIN, "full: POLLIN only");
	ioctl(fd, RUSTQUEUE_IOC_FLUSH);

	/* a stream open: readable while it holds data, then hung up */
	write(fd, "ab", 2);
	read(s, buf, 1);
	is_int(revents(s) & (POLLIN | POLLHUP), POLLIN, "stream open holding data: POLLIN");
	read(s, buf, 1);
	is_int(revents(s) & (POLLIN | POLLHUP), POLLHUP, "stream open read to its end: POLLHUP");
	close(s);

	/* epoll: wakes on a message written by another thread; edge-triggered */
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	is_int(epoll_wait(ep, &out, 1, 0), 0, "epoll: nothing ready on an empty queue");
	start(&io, writer, 0, "epoll");
	is_int(epoll_wait(ep, &out, 1, 5000), 1, "epoll_wait wakes when a message arrives");
	pthread_join(io.thread, NULL);
	ok(out.events & EPOLLIN, "with EPOLLIN");
	is_int(epoll_wait(ep, &out, 1, 0), 0, "edge-triggered: no second event for it");
	write(fd, "again", 5);
	is_int(epoll_wait(ep, &out, 1, 0), 1, "a second message is a new edge");
	read(fd, buf, sizeof(buf));
	read(fd, buf, sizeof(buf));
	close(ep);

	/* poll for room: a reader thread makes some after poll() sleeps */
	fill(fd, 16);
	{
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int ret;

		memset(&io, 0, sizeof(io));
		io.fd = fd;
		pthread_create(&io.thread, NULL, delayed_reader, &io);
		ret = poll(&p, 1, 5000);
		/*
		 * Room on the full queue can only come from that read, which
		 * may not have returned yet (io.done) when poll() does.
		 */
		pthread_join(io.thread, NULL);
		ok(ret == 1 && (p.revents & POLLOUT) && io.ret > 0,
		   "poll(POLLOUT) on a full queue wakes when a read makes room");
	}
	ioctl(fd, RUSTQUEUE_IOC_FLUSH);
	close(fd);
}

static long ctxt_switches(pid_t tid)
{
	char path[64], buf[2048], *p;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, "\nvoluntary_ctxt_switches:");
	return p ? strtol(p + 25, NULL, 10) : -1;
}

/*
 * One message wakes one of four blocked readers; the other three are not
 * woken at all (their voluntary context switch counts do not move).
 */
static void test_precise_wakeup(void)
{
	int fd = open(DEV, O_WRONLY), i, done = 0, untouched = 1;
	struct io r[4];
	long before[4];

	for (i = 0; i < 4; i++)
		start(&r[i], reader, BP, NULL);
	ok(rq_wait_for_waiters(fd, 4, 0), "four readers wait");
	sleep_ms(50);
	for (i = 0; i < 4; i++)
		before[i] = ctxt_switches(r[i].tid);
	write(fd, "one", 3);
	for (i = 0; i < 200 && !done; i++) {
		int k;

		sleep_ms(10);
		for (k = 0; k < 4; k++)
			done += r[k].done;
	}
	sleep_ms(200);
	done = 0;
	for (i = 0; i < 4; i++) {
		if (r[i].done)
			done++;
		else if (ctxt_switches(r[i].tid) != before[i])
			untouched = 0;
	}
	is_int(done, 1, "one message: exactly one reader returns");
	ok(untouched, "the other three were not woken (no thundering herd)");
	is_int(rq_info(fd).waiting_readers, 3, "three still wait");
	write(fd, "two", 3);
	write(fd, "three", 5);
	write(fd, "four", 4);
	for (i = 0; i < 4; i++)
		pthread_join(r[i].thread, NULL);
	done = 0;
	for (i = 0; i < 4; i++)
		done += r[i].ret > 0;
	is_int(done, 4, "three more messages release the other three");
	close(fd);
}

static void test_unload_with_waiter(void)
{
	int fd = open(DEV, O_WRONLY);
	struct io r;

	start(&r, reader, BP, NULL);
	rq_wait_for_waiters(fd, 1, 0);
	close(fd);
	is_int(mod_unload(MOD), -EWOULDBLOCK, "rmmod with a blocked reader: refused");
	fd = open(DEV, O_WRONLY);
	write(fd, "bye", 3);
	close(fd);
	pthread_join(r.thread, NULL);
	is_int(r.ret, 3, "the reader completes");
	is_int(mod_unload(MOD), 0, "then rmmod succeeds");
}

static void test_blocking_param(void)
{
	unsigned int flags = 99;
	int fd;

	mod_reload_or_bail(MOD, "blocking=1 verbose=0");
	fd = open(DEV, O_RDONLY);
	ioctl(fd, RUSTQUEUE_IOC_GET_FLAGS, &flags);
	is_int(flags, RUSTQUEUE_F_BLOCK, "blocking=1: new opens wait");
	close(fd);
	is_int(write_str("/sys/module/rustqueue/parameters/blocking", "0"), 0,
	       "blocking can be changed at run time");
	fd = open(DEV, O_RDONLY);
	ioctl(fd, RUSTQUEUE_IOC_GET_FLAGS, &flags);
	is_int(flags, 0, "and applies to later opens");
	close(fd);
	mod_unload(MOD);
}

static void test_instances(void)
{
	static const struct refusal bad[] = {
		{ "instances=0", "instances=0 is out of range 1-64" },
		{ "instances=65", "instances=65 is out of range 1-64" },
	};
	char path[32], procbuf[2048], buf[16];
	int fd[3], i, k, good = 1;
	unsigned int v = 4;
	char *log;

	mod_check_refusals(MOD, bad, 2);
	mod_reload_or_bail(MOD, "instances=3");
	ok(access(DEV, F_OK) == -1, "instances=3: no " DEV);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/dev/rustqueue%d", i);
		fd[i] = rq_open_mode(path, O_RDWR, RUSTQUEUE_F_PACKET);
		if (rq_info(fd[i]).instance != (unsigned int)i)
			good = 0;
	}
	ok(good, "/dev/rustqueue0..2 exist and report instances 0..2");
	k = kmsg_open();
	write(fd[0], "zero", 4);
	log = kmsg_collect(k);
	ok(log_has(log, "rustqueue: rustqueue0: enqueued 4 bytes (1 in queue)"),
	   "log lines name the queue");
	free(log);
	close(k);
	is_errno(read(fd[1], buf, sizeof(buf)), EAGAIN, "a message in queue 0 is not in queue 1");
	is_int(ioctl(fd[1], RUSTQUEUE_IOC_SET_CAPACITY, &v), 0, "queue 1 resized to 4");
	fill(fd[1], 4);
	is_errno(write(fd[1], "x", 1), ENOSPC, "queue 1 is full at 4");
	ok(rq_info(fd[0]).capacity == 16 && rq_info(fd[2]).capacity == 16,
	   "queues 0 and 2 keep capacity 16");
	read_file("/proc/rustqueue", procbuf, sizeof(procbuf));
	ok(strstr(procbuf, "\nrustqueue0 1 16 ") && strstr(procbuf, "\nrustqueue1 4 4 ") &&
	   strstr(procbuf, "\nrustqueue2 0 16 "), "/proc/rustqueue lists each queue");
	ok(read(fd[0], buf, sizeof(buf)) == 4 && !memcmp(buf, "zero", 4),
	   "queue 0 still holds its own message");
	for (i = 0; i < 3; i++)
		close(fd[i]);
	is_int(mod_unload(MOD), 0, "unload");
}

int main(void)
{
	mod_reload_or_bail(MOD, "verbose=0");
	test_blocking_read();
	test_blocking_write();
	test_nonblock();
	test_signals();
	test_poll();
	test_precise_wakeup();
	test_unload_with_waiter();
	test_blocking_param();
	test_instances();
	mod_ensure_unloaded(MOD);
	return done_testing();
}
