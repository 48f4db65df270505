// SPDX-License-Identifier: GPL-2.0
/*
 * rustqueue liveness: every waiter that can proceed does, within a bound.
 *
 * First the defects issue 13 reported, each replayed as reported:
 *   13.1  a lost wake-up (a woken packet reader too small for the message
 *         left without passing the wake-up on);
 *   13.2  ioctls stuck behind a stream reader sleeping with rf->lock held,
 *         or copying its message into a page that faults for ever;
 *   13.3  a mode change racing a read (a half-read message in packet mode).
 *
 * Then the method: on one queue, waiters of several kinds (packet readers
 * with small and large buffers, stream readers sharing one open file,
 * writers, poll and epoll waiters, an ioctl caller) placed in every order
 * (all permutations of a set of kinds), then every wake source in turn
 * (write, read, flush, resize, signal, close, unload attempt).  After each
 * source, within BOUND_MS, the queue must settle: no waiter still asleep
 * while it could proceed.  At the end no message is lost or delivered
 * twice, and every waiter's result is one it was allowed to give.
 *
 * Readers sleep on an empty queue and writers on a full one, so a queue
 * never has both asleep at once: the orders are of three sets of five
 * kinds, two for readers (with an ioctl caller, or with poll and epoll)
 * and one for writers (with an ioctl caller, poll and epoll).
 */
#include <ctype.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "rqtest.h"

#define DEV RUSTQUEUE_DEVICE
#define MOD "rustqueue"
#define BP (RUSTQUEUE_F_BLOCK | RUSTQUEUE_F_PACKET)

/* a wake-up takes micro- to milliseconds; this is for TCG on a busy host */
#define BOUND_MS 5000

#define SMALL 10		/* message sizes */
#define LARGE 100
#define ROOM_SMALL 16		/* packet readers' buffers */
#define ROOM_LARGE 128
#define CHUNK 8			/* stream readers read this much at a time */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/*
 * The system call task ID (a thread's or a process's) is blocked in, or
 * -1 while it runs (or is gone).
 */
static long blocked_in(pid_t id)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/%d/syscall", id);
	if (read_file(path, buf, sizeof(buf)) <= 0 || !isdigit(buf[0]))
		return -1;
	return strtol(buf, NULL, 10);
}

static void on_signal(int sig)
{
	(void)sig;
}

/* ---- waiters ------------------------------------------------------------ */

enum kind {
	PS,	/* packet reader, 16-byte buffer, waiting mode */
	PL,	/* packet reader, 128-byte buffer, waiting mode */
	SR,	/* stream reader, waiting mode, on the shared stream file */
	SS,	/* a second stream reader on that same open file */
	IO,	/* FIONREAD, GET_FLAGS, SET_FLAGS on the shared stream file */
	PO,	/* poll(POLLIN) */
	EP,	/* epoll_wait(EPOLLIN) */
	W1,	/* writer of a small message, waiting mode */
	W2,	/* writer of a large message, waiting mode */
	PW,	/* poll(POLLOUT) */
	EW,	/* epoll_wait(EPOLLOUT) */
	SP,	/* SET_FLAGS(BLOCK | PACKET) (13.3 only) */
	R1,	/* read() of one byte (13.3 only) */
	HU,	/* poll(POLLPRI): waits for POLLHUP (a stream open's end) */
};

static const char *const kind_name[] = {
	[PS] = "PS", [PL] = "PL", [SR] = "SR", [SS] = "SS", [IO] = "IO",
	[PO] = "PO", [EP] = "EP", [W1] = "W1", [W2] = "W2", [PW] = "PW",
	[EW] = "EW", [SP] = "SP", [R1] = "R1", [HU] = "HU",
};

struct waiter {
	enum kind kind;
	int fd;			/* the open file it uses */
	int ep;			/* EP, EW: its epoll instance */
	pthread_t thread;
	volatile pid_t tid;
	volatile int done;
	int signaled;		/* may leave with EINTR */
	ssize_t ret;
	int err;
	char buf[ROOM_LARGE];
};

static bool is_reader(enum kind k)
{
	return k == PS || k == PL || k == SR || k == SS;
}

static bool is_writer(enum kind k)
{
	return k == W1 || k == W2;
}

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct pollfd p = { .fd = w->fd };
	struct epoll_event ev;
	unsigned int flags = 0;
	int n = 0;

	w->tid = gettid();
	switch (w->kind) {
	case PS:
		w->ret = read(w->fd, w->buf, ROOM_SMALL);
		break;
	case PL:
		w->ret = read(w->fd, w->buf, ROOM_LARGE);
		break;
	case SR:
	case SS:
		w->ret = read(w->fd, w->buf, CHUNK);
		break;
	case W1:
	case W2:
		w->ret = write(w->fd, w->buf, strlen(w->buf));
		break;
	case PO:
	case PW:
	case HU:
		p.events = w->kind == PO ? POLLIN : w->kind == PW ? POLLOUT : POLLPRI;
		w->ret = poll(&p, 1, -1) == 1 ? p.revents : -1;
		break;
	case EP:
	case EW:
		w->ret = epoll_wait(w->ep, &ev, 1, -1) == 1 ? (ssize_t)ev.events : -1;
		break;
	case SP:
		flags = BP;
		w->ret = ioctl(w->fd, RUSTQUEUE_IOC_SET_FLAGS, &flags);
		break;
	case R1:
		w->ret = read(w->fd, w->buf, 1);
		break;
	case IO:
		w->ret = ioctl(w->fd, FIONREAD, &n) ||
			 ioctl(w->fd, RUSTQUEUE_IOC_GET_FLAGS, &flags) ||
			 ioctl(w->fd, RUSTQUEUE_IOC_SET_FLAGS, &flags) ? -1 : 0;
		break;
	}
	w->err = errno;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool is_done(struct waiter *w)
{
	return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE);
}

static bool wait_done(struct waiter *w, long ms)
{
	long end = now_ms() + ms;

	while (!is_done(w) && now_ms() < end)
		sleep_ms(1);
	return is_done(w);
}

/*
 * Start W and wait until it is blocked in its system call (or done); with
 * ctl >= 0, also until the queue counts the readers and writers given
 * (so that the next waiter queues behind this one).
 */
static bool place(struct waiter *w, int ctl, unsigned int readers,
		  unsigned int writers)
{
	long end = now_ms() + BOUND_MS;

	w->tid = 0;
	w->done = 0;
	w->signaled = 0;
	pthread_create(&w->thread, NULL, waiter_main, w);
	while (!w->tid)
		sleep_ms(1);
	while (!is_done(w) && blocked_in(w->tid) < 0 && now_ms() < end)
		sleep_ms(1);
	if (ctl < 0)
		return !is_done(w);
	while (!is_done(w) && now_ms() < end) {
		struct rustqueue_info s = rq_info(ctl);

		if (s.waiting_readers == readers && s.waiting_writers == writers)
			return true;
		sleep_ms(1);
	}
	return false;
}

static void init_waiter(struct waiter *w, enum kind kind, int fd)
{
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->fd = fd;
	w->ep = -1;
}

/* ---- 13.1: a woken reader that cannot take the message passes it on --- */

static void test_13_1_lost_wakeup(void)
{
	int ctl = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	struct waiter s, l;
	char msg[LARGE];
	bool placed;

	init_waiter(&s, PS, rq_open_mode(DEV, O_RDONLY, BP));
	init_waiter(&l, PL, rq_open_mode(DEV, O_RDONLY, BP));
	placed = place(&s, ctl, 1, 0);
	placed = place(&l, ctl, 2, 0) && placed;	/* both started */
	ok(placed, "13.1: a 16-byte packet reader waits, then a 128-byte one behind it");
	memset(msg, 'm', sizeof(msg));
	is_int(write(ctl, msg, sizeof(msg)), LARGE, "13.1: one 100-byte message is written");
	ok(wait_done(&s, BOUND_MS) && s.ret == -1 && s.err == EMSGSIZE,
	   "13.1: the 16-byte reader is woken and gets EMSGSIZE");
	if (!ok(wait_done(&l, BOUND_MS) && l.ret == LARGE,
		"13.1 lost wake-up: the reader behind it is woken and gets the message"))
		diag("  after %d ms it %s", BOUND_MS,
		     is_done(&l) ? "returned something else" : "still sleeps, the message queued");
	if (!is_done(&l))	/* release it: it takes the first of two */
		write(ctl, msg, sizeof(msg));
	pthread_join(s.thread, NULL);
	pthread_join(l.thread, NULL);
	ioctl(ctl, RUSTQUEUE_IOC_FLUSH);
	close(s.fd);
	close(l.fd);
	close(ctl);
}

/* ---- 13.2: no ioctl waits for a sleeping reader ----------------------- */

static void test_13_2_ioctls_beside_sleeping_reader(void)
{
	int ctl = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	int f = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_BLOCK);
	struct waiter r, io;

	init_waiter(&r, SR, f);
	init_waiter(&io, IO, f);
	ok(place(&r, ctl, 1, 0), "13.2: a stream reader waits on an empty queue");
	place(&io, -1, 0, 0);
	if (!ok(wait_done(&io, BOUND_MS) && io.ret == 0,
		"13.2 ioctls beside a sleeping reader: FIONREAD, GET_FLAGS, SET_FLAGS on its open file return at once"))
		diag("  after %d ms they %s", BOUND_MS,
		     is_done(&io) ? "failed" : "still wait (until a write)");
	write(ctl, "wake", 4);	/* releases both, fixed or not */
	ok(wait_done(&r, BOUND_MS) && r.ret == 4 && !memcmp(r.buf, "wake", 4),
	   "13.2: the reader still gets the next message");
	pthread_join(r.thread, NULL);
	pthread_join(io.thread, NULL);
	close(f);
	close(ctl);
}

/*
 * 13.2's rule, no lock across an indefinite wait, for a wait that is not
 * ours: a stream read's copy to user memory stalled on a page fault
 * (userfaultfd here; FUSE likewise) for as long as the page's owner
 * likes.  The ioctls on that open file must not wait for it, nor poll;
 * another read of the same open file waits its turn, killably.
 */
static void test_13_2_ioctls_beside_stalled_copy(void)
{
	struct rq_stalled_read st = { 0 };
	struct waiter io, sp;
	struct pollfd p;
	pthread_t t;
	char buf[8];
	long t0;
	pid_t pid;
	int uffd, n = -1, status = -1;
	bool prompt, reaped;

	uffd = rq_stalling_page(&st.page);
	if (uffd < 0) {
		skip(strerror(errno), "13.2 beside a read stalled in its copy");
		return;
	}
	st.fd = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_BLOCK);
	if (write(st.fd, "stalled copy", 12) != 12)
		bail_out("write: %s", strerror(errno));
	pthread_create(&t, NULL, rq_stalled_read_main, &st);
	if (rq_page_faulted(uffd))
		bail_out("the reader's copy did not fault");

	init_waiter(&io, IO, st.fd);
	place(&io, -1, 0, 0);
	prompt = ok(wait_done(&io, BOUND_MS) && io.ret == 0,
		    "13.2 beside a read stalled in its copy: FIONREAD, GET_FLAGS, SET_FLAGS on its open file return at once");
	if (!prompt) {
		diag("  after %d ms they %s", BOUND_MS,
		     is_done(&io) ? "failed" : "still wait (for the copy)");
		pthread_kill(io.thread, SIGUSR1);
	}
	pthread_join(io.thread, NULL);
	init_waiter(&sp, SP, st.fd);
	place(&sp, -1, 0, 0);
	if (!ok(wait_done(&sp, BOUND_MS) && sp.ret == -1 && sp.err == EBUSY,
		"13.2: ... SET_FLAGS(PACKET) fails at once with EBUSY (the message is half-read)"))
		pthread_kill(sp.thread, SIGUSR1);
	pthread_join(sp.thread, NULL);
	/* (without the fix, a plain FIONREAD here would wait for ever) */
	if (prompt && !ioctl(st.fd, FIONREAD, &n))
		is_int(n, 12, "13.2: ... and FIONREAD counts the whole message still to read");
	else
		ok(0, "13.2: ... and FIONREAD counts the whole message still to read");
	/* (poll takes no lock: this one guards the answer, not the wait) */
	p = (struct pollfd){ .fd = st.fd, .events = POLLIN };
	is_int(poll(&p, 1, BOUND_MS), 1, "13.2: ... poll says POLLIN at once");

	/* another reader of that open file, in a process of its own */
	pid = fork();
	if (!pid) {
		alarm(60);
		_exit(read(st.fd, buf, sizeof(buf)) < 0 ? 2 : 3);
	}
	t0 = now_ms();
	while (blocked_in(pid) != SYS_read && now_ms() - t0 < BOUND_MS)
		sleep_ms(1);
	ok(blocked_in(pid) == SYS_read,
	   "13.2: ... a second read of the open file waits its turn, asleep in read()");
	kill(pid, SIGKILL);
	t0 = now_ms();
	while (!(reaped = waitpid(pid, &status, WNOHANG) == pid) &&
	       now_ms() - t0 < BOUND_MS)
		sleep_ms(1);
	ok(reaped && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	   "13.2: ... and SIGKILL ends it at once");
	if (!reaped)
		waitpid(pid, &status, 0);

	rq_release_page(uffd, st.page);
	pthread_join(t, NULL);
	ok(st.ret == 12 && !memcmp(st.page, "stalled copy", 12),
	   "13.2: the stalled read then completes with the message");
	is_int(read(st.fd, buf, sizeof(buf)), 0,
	       "13.2: ... and its open file reads end-of-file");
	close(st.fd);
	munmap(st.page, sysconf(_SC_PAGESIZE));
}

/*
 * One woken reader may stand for two messages: a second message that
 * comes before the first woken reader has run wakes no other (queue.c,
 * rq_wake_up()).  So a woken reader passes its wake-up on before its
 * copy: if that copy stalls (a userfaultfd page here), the second
 * message must still reach the reader blocked behind it.  All threads
 * share one CPU, so that the two writes come before the woken reader
 * runs.
 */
static void test_woken_reader_stalled_in_copy(bool stream)
{
	unsigned int mode = stream ? RUSTQUEUE_F_BLOCK : BP;
	int ctl = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	const char *what = stream ? "stream" : "packet";
	struct rq_stalled_read st = { 0 };
	cpu_set_t all, one;
	char msg[LARGE];
	struct waiter r;
	pthread_t t;
	long t0;
	int uffd;

	uffd = rq_stalling_page(&st.page);
	if (uffd < 0) {
		skip(strerror(errno), "a woken reader stalled in its copy");
		close(ctl);
		return;
	}
	sched_getaffinity(0, sizeof(all), &all);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);	/* threads inherit it */
	st.fd = rq_open_mode(DEV, O_RDONLY, mode);
	init_waiter(&r, stream ? SR : PL, rq_open_mode(DEV, O_RDONLY, mode));
	r.buf[0] = 0;
	pthread_create(&t, NULL, rq_stalled_read_main, &st);
	t0 = now_ms();
	while (rq_info(ctl).waiting_readers != 1 && now_ms() - t0 < BOUND_MS)
		sleep_ms(1);
	ok(place(&r, ctl, 2, 0),
	   "woken reader stalled (%s): a reader into a stalling page waits, another behind it", what);
	memset(msg, '1', sizeof(msg));
	is_int(write(ctl, msg, sizeof(msg)), LARGE, "... a first message is written");
	memset(msg, '2', sizeof(msg));
	is_int(write(ctl, msg, sizeof(msg)), LARGE, "... and at once a second");
	ok(!rq_page_faulted(uffd), "... the first reader's copy stalls");
	if (!ok(wait_done(&r, BOUND_MS) && r.ret == (stream ? CHUNK : LARGE) &&
		(r.buf[0] == '1' || r.buf[0] == '2'),
		"... the reader behind it gets the other message meanwhile (%s)", what))
		diag("  after %d ms it %s", BOUND_MS,
		     is_done(&r) ? "returned something else" : "still sleeps, a message listed");
	rq_release_page(uffd, st.page);
	pthread_join(t, NULL);
	pthread_join(r.thread, NULL);
	ok(st.ret == LARGE && st.page[0] != r.buf[0] &&
	   (st.page[0] == '1' || st.page[0] == '2'),
	   "... then the stalled read completes with the other one");
	sched_setaffinity(0, sizeof(all), &all);
	ioctl(ctl, RUSTQUEUE_IOC_FLUSH);
	close(st.fd);
	close(r.fd);
	close(ctl);
	munmap(st.page, sysconf(_SC_PAGESIZE));
}

/*
 * A woken reader kept from running does not hold back the others: reader
 * A (SCHED_FIFO 10, CPU 0) sleeps first, reader B (CPU 1) behind it; a
 * SCHED_FIFO 50 task spins on CPU 0; two messages are written.  A is
 * woken for the first and cannot run, and the second wakes no other
 * while A has not looked, for a tick or two (queue.c, rq_wake_up()): B
 * must be woken all the same, long before the spinner stops.  Written
 * from CPU 1, the held-back wake-up is sent by the queue's timer.  With
 * @timer_starved, the two messages are written from CPU 0 (by a task
 * above the spinner), so that the timer is on CPU 0 too, where a kernel
 * that runs timers in a thread (PREEMPT_RT) cannot run it; a third
 * message, written from CPU 1 after a few ticks, must then wake B.
 */
static volatile int spin_stop, spinning;

static void *spin_main(void *arg)
{
	long end = now_ms() + 3 * BOUND_MS / 5;

	(void)arg;
	spinning = 1;
	while (!spin_stop && now_ms() < end)
		;
	return NULL;
}

static void set_sched(pthread_t t, int cpu, int policy, int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(t, sizeof(set), &set) ||
	    pthread_setschedparam(t, policy, &sp))
		bail_out("CPU %d, policy %d, priority %d: %s", cpu, policy, prio,
			 strerror(errno));
}

/*
 * Of a starved-waiter test: the @n waiters of @a wait first, on CPU 0 at
 * SCHED_FIFO 10 (they inherit them from this thread), then B behind them
 * on CPU 1; this thread is left on CPU 1, SCHED_OTHER.  @readers: they
 * read, else they write.
 */
static void place_starved(struct waiter *a, unsigned int n, struct waiter *b,
			  int ctl, bool readers, const char *what)
{
	const char *who = readers ? "reader" : "writer";
	unsigned int i;

	set_sched(pthread_self(), 0, SCHED_FIFO, 10);
	for (i = 0; i < n; i++)
		ok(place(&a[i], ctl, readers * (i + 1), !readers * (i + 1)),
		   "%s: %s A%u (SCHED_FIFO 10, CPU 0) waits", what, who, i + 1);
	set_sched(pthread_self(), 1, SCHED_OTHER, 0);
	ok(place(b, ctl, readers * (n + 1), !readers * (n + 1)),
	   "... %s B (CPU 1) waits behind", who);
}

/* A SCHED_FIFO 50 spinner on CPU 0, until stop_spinner() */
static pthread_t start_spinner(void)
{
	pthread_t t;

	spin_stop = 0;
	spinning = 0;
	pthread_create(&t, NULL, spin_main, NULL);
	set_sched(t, 0, SCHED_FIFO, 50);
	return t;
}

/* Wait until the spinner has had CPU 0 to itself for a few ticks. */
static void spinner_settled(void)
{
	while (!spinning)
		sleep_ms(1);
	sleep_ms(30);
}

static void stop_spinner(pthread_t t)
{
	spin_stop = 1;
	pthread_join(t, NULL);
}

/* Whether W is done within @ms, and diagnose it if not. */
static bool done_within(struct waiter *w, long ms, const char *still)
{
	bool done = wait_done(w, ms);

	if (!done)
		diag("  %s", still);
	return done;
}

static void put_msg(int fd, char c, const char *what)
{
	char msg[LARGE];

	memset(msg, c, sizeof(msg));
	is_int(write(fd, msg, sizeof(msg)), LARGE, "%s", what);
}

static void test_starved_woken_reader(bool timer_starved)
{
	int ctl = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	const char *how = timer_starved ? "written on the spinner's CPU" : "written on the other CPU";
	struct waiter a, b;
	pthread_t spinner;
	char what[80];
	cpu_set_t all;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		skip("one CPU", "a woken reader kept from running (%s)", how);
		close(ctl);
		return;
	}
	sched_getaffinity(0, sizeof(all), &all);
	init_waiter(&a, PL, rq_open_mode(DEV, O_RDONLY, BP));
	init_waiter(&b, PL, rq_open_mode(DEV, O_RDONLY, BP));
	snprintf(what, sizeof(what), "starved woken reader (%s)", how);
	place_starved(&a, 1, &b, ctl, true, what);
	if (timer_starved)
		set_sched(pthread_self(), 0, SCHED_FIFO, 60);
	spinner = start_spinner();
	if (timer_starved) {
		put_msg(ctl, 'a', "... a first message is written from CPU 0, above the spinner");
		put_msg(ctl, 'b', "... and a second");
		set_sched(pthread_self(), 1, SCHED_OTHER, 0);
	}
	spinner_settled();
	if (timer_starved) {
		put_msg(ctl, 'c', "... a SCHED_FIFO 50 task spins on CPU 0; a third message comes from CPU 1");
	} else {
		put_msg(ctl, 'a', "... a SCHED_FIFO 50 task spins on CPU 0; a first message is written");
		put_msg(ctl, 'b', "... and a second");
	}
	ok(done_within(&b, BOUND_MS / 5, "B still sleeps beside the messages") && !is_done(&a),
	   "... B gets a message within %d ms, while A still cannot run", BOUND_MS / 5);
	stop_spinner(spinner);
	ok(wait_done(&a, BOUND_MS) && wait_done(&b, BOUND_MS) &&
	   a.ret == LARGE && b.ret == LARGE && a.buf[0] != b.buf[0],
	   "... and once the spinner stops, A gets another");
	pthread_join(a.thread, NULL);
	pthread_join(b.thread, NULL);
	sched_setaffinity(0, sizeof(all), &all);
	ioctl(ctl, RUSTQUEUE_IOC_FLUSH);
	close(a.fd);
	close(b.fd);
	close(ctl);
}

/*
 * Two starved readers ahead of B, three messages at once: the first wakes
 * A1, the other two are held back; the queue's timer then wakes A2, as
 * the next in line, and must wake B too, for a third message listed.
 */
static void test_two_starved_readers(void)
{
	int ctl = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	struct waiter a[2], b;
	pthread_t spinner;
	cpu_set_t all;
	unsigned int i;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		skip("one CPU", "two woken readers kept from running");
		close(ctl);
		return;
	}
	sched_getaffinity(0, sizeof(all), &all);
	for (i = 0; i < 2; i++)
		init_waiter(&a[i], PL, rq_open_mode(DEV, O_RDONLY, BP));
	init_waiter(&b, PL, rq_open_mode(DEV, O_RDONLY, BP));
	place_starved(a, 2, &b, ctl, true, "two starved woken readers");
	spinner = start_spinner();
	spinner_settled();
	put_msg(ctl, 'a', "... a SCHED_FIFO 50 task spins on CPU 0; a first message is written");
	put_msg(ctl, 'b', "... a second");
	put_msg(ctl, 'c', "... and a third");
	ok(done_within(&b, BOUND_MS / 5, "B still sleeps beside the messages") &&
	   !is_done(&a[0]) && !is_done(&a[1]),
	   "... B gets a message within %d ms, while A1 and A2 still cannot run", BOUND_MS / 5);
	stop_spinner(spinner);
	ok(wait_done(&a[0], BOUND_MS) && wait_done(&a[1], BOUND_MS) &&
	   wait_done(&b, BOUND_MS) && a[0].ret == LARGE && a[1].ret == LARGE &&
	   b.ret == LARGE && a[0].buf[0] != a[1].buf[0] && a[0].buf[0] != b.buf[0] &&
	   a[1].buf[0] != b.buf[0],
	   "... and once the spinner stops, A1 and A2 get the other two");
	for (i = 0; i < 2; i++) {
		pthread_join(a[i].thread, NULL);
		close(a[i].fd);
	}
	pthread_join(b.thread, NULL);
	sched_setaffinity(0, sizeof(all), &all);
	ioctl(ctl, RUSTQUEUE_IOC_FLUSH);
	close(b.fd);
	close(ctl);
}

/*
 * The same for writers: the queue full, writer A (SCHED_FIFO 10, CPU 0)
 * waits, writer B (CPU 1) behind it; a SCHED_FIFO 50 task spins on CPU 0;
 * two messages are read from CPU 1.  A is woken for the first slot and
 * cannot run; B must get the second all the same.
 */
static void test_starved_woken_writer(void)
{
	int ctl = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	struct rustqueue_info info = rq_info(ctl);
	struct waiter a, b;
	char buf[ROOM_LARGE];
	pthread_t spinner;
	unsigned int i;
	cpu_set_t all;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		skip("one CPU", "a woken writer kept from running");
		close(ctl);
		return;
	}
	sched_getaffinity(0, sizeof(all), &all);
	memset(buf, 'f', sizeof(buf));
	for (i = 0; i < info.capacity; i++)
		if (write(ctl, buf, SMALL) != SMALL)
			bail_out("fill: %s", strerror(errno));
	init_waiter(&a, W1, rq_open_mode(DEV, O_WRONLY, BP));
	init_waiter(&b, W1, rq_open_mode(DEV, O_WRONLY, BP));
	strcpy(a.buf, "writer A");
	strcpy(b.buf, "writer B");
	place_starved(&a, 1, &b, ctl, false, "starved woken writer, the queue full");
	spinner = start_spinner();
	spinner_settled();
	is_int(read(ctl, buf, sizeof(buf)), SMALL,
	       "... a SCHED_FIFO 50 task spins on CPU 0; a message is read");
	is_int(read(ctl, buf, sizeof(buf)), SMALL, "... and a second");
	ok(done_within(&b, BOUND_MS / 5, "B still sleeps beside a free slot") &&
	   b.ret == 8 && !is_done(&a),
	   "... B's write goes in within %d ms, while A still cannot run", BOUND_MS / 5);
	stop_spinner(spinner);
	ok(wait_done(&a, BOUND_MS) && a.ret == 8,
	   "... and once the spinner stops, A's goes in too");
	pthread_join(a.thread, NULL);
	pthread_join(b.thread, NULL);
	sched_setaffinity(0, sizeof(all), &all);
	ioctl(ctl, RUSTQUEUE_IOC_FLUSH);
	close(a.fd);
	close(b.fd);
	close(ctl);
}

/* ---- 13.3: a read decides its mode where SET_FLAGS changes it ---------- */

/*
 * A stream reader C sleeps on the open file; SET_FLAGS(PACKET) B and a
 * one-byte read A come while it does, in that order; C is interrupted;
 * a two-byte message follows.  A read of an open file in packet mode
 * returns whole messages: A must get EMSGSIZE and the message stay whole
 * at the head, not A take it as a stream read and leave half of it held
 * by a packet-mode file.
 */
static void test_13_3_mode_change_race(void)
{
	int ctl = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	int f = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_BLOCK);
	struct waiter c, b, a;
	char buf[8];
	int n = -1;

	init_waiter(&c, SR, f);
	init_waiter(&b, SP, f);
	init_waiter(&a, R1, f);
	ok(place(&c, ctl, 1, 0), "13.3: a stream reader C waits");
	place(&b, -1, 0, 0);	/* blocked, or done */
	ok(place(&a, -1, 0, 0), "13.3: SET_FLAGS(PACKET) B, then a one-byte read A");
	pthread_kill(c.thread, SIGUSR1);
	ok(wait_done(&c, BOUND_MS) && c.ret == -1 && c.err == EINTR,
	   "13.3: C is interrupted: EINTR");
	ok(wait_done(&b, BOUND_MS) && b.ret == 0, "13.3: B's SET_FLAGS(PACKET) succeeds");
	write(ctl, "xy", 2);
	if (!ok(wait_done(&a, BOUND_MS) && a.ret == -1 && a.err == EMSGSIZE,
		"13.3 mode change racing a read: A, in packet mode, gets EMSGSIZE"))
		diag("  A: %s, returned %zd (%s)", is_done(&a) ? "done" : "still waiting",
		     a.ret, a.ret < 0 ? strerror(a.err) : "bytes");
	if (!wait_done(&a, BOUND_MS))
		write(ctl, "xy", 2);
	fcntl(f, F_SETFL, O_NONBLOCK);	/* whatever state it was left in */
	ioctl(f, FIONREAD, &n);
	is_int(n, 2, "13.3: FIONREAD: the whole message is next");
	ok(read(f, buf, sizeof(buf)) == 2 && !memcmp(buf, "xy", 2),
	   "13.3: and a packet read of the file gets it whole");
	pthread_join(a.thread, NULL);
	pthread_join(b.thread, NULL);
	pthread_join(c.thread, NULL);
	ioctl(ctl, RUSTQUEUE_IOC_FLUSH);
	close(f);
	close(ctl);
}

/* ---- the method: every order of waiters, every wake source ----------- */

#define MAXW 5
#define MAXMSG 64

struct scenario {
	int ctl;		/* packet mode, never waits: writes, reads, info */
	int f;			/* the stream file SR, SS and IO share */
	int g;			/* a stream file holding a message: "close" */
	struct waiter w[MAXW];
	int nw;
	int nmsg;		/* messages made so far: ids 0 .. nmsg-1 */
	int len[MAXMSG];
	bool written[MAXMSG];
	int consumed[MAXMSG];	/* times delivered */
	int flushed;
	bool failed;
	char why[200];
};

__attribute__((format(printf, 2, 3)))
static void fail(struct scenario *sc, const char *fmt, ...)
{
	va_list ap;

	if (sc->failed)
		return;
	sc->failed = true;
	va_start(ap, fmt);
	vsnprintf(sc->why, sizeof(sc->why), fmt, ap);
	va_end(ap);
}

/* message ID: "#" ID in 4 digits, then '-' up to its length */
static int make_msg(struct scenario *sc, char *buf, int len)
{
	int id = sc->nmsg++;

	if (id >= MAXMSG)
		bail_out("more than %d messages in one scenario", MAXMSG);
	memset(buf, '-', len);
	buf[0] = '#';
	buf[1] = '0' + id / 1000 % 10;
	buf[2] = '0' + id / 100 % 10;
	buf[3] = '0' + id / 10 % 10;
	buf[4] = '0' + id % 10;
	sc->len[id] = len;
	return id;
}

static int msg_id(const char *buf, ssize_t n)
{
	int i, id = 0;

	if (n < 5 || buf[0] != '#')
		return -1;
	for (i = 1; i < 5; i++) {
		if (!isdigit(buf[i]))
			return -1;
		id = id * 10 + buf[i] - '0';
	}
	return id;
}

static void consume(struct scenario *sc, int id, const char *by)
{
	if (id < 0 || id >= sc->nmsg)
		fail(sc, "%s got a message that was never written", by);
	else if (sc->consumed[id]++)
		fail(sc, "message %d delivered twice (%s)", id, by);
}

/* a whole message, as a packet read returns it */
static bool check_whole(struct scenario *sc, const char *buf, ssize_t n,
			const char *by)
{
	int id = msg_id(buf, n), i;

	if (id < 0 || id >= sc->nmsg || n != sc->len[id]) {
		fail(sc, "%s got %zd bytes that are no whole message", by, n);
		return false;
	}
	for (i = 5; i < n; i++)
		if (buf[i] != '-')
			fail(sc, "%s got message %d corrupted", by, id);
	consume(sc, id, by);
	return true;
}

/* a piece of a message, as a stream read returns it */
static void check_chunk(struct scenario *sc, const char *buf, ssize_t n,
			const char *by)
{
	int i = 0;

	if (buf[0] == '#') {
		consume(sc, msg_id(buf, n), by);
		i = 5;
	}
	for (; i < n; i++)
		if (buf[i] != '-')
			fail(sc, "%s got a corrupted piece of a message", by);
}

static void put(struct scenario *sc, int len)
{
	char buf[LARGE];
	int id = make_msg(sc, buf, len);

	if (write(sc->ctl, buf, len) == len)
		sc->written[id] = true;
	else
		fail(sc, "a %d-byte write failed: %s", len, strerror(errno));
}

static bool can_proceed(struct scenario *sc, struct waiter *w,
			struct rustqueue_info *s)
{
	struct pollfd p = { .fd = w->fd, .events = POLLIN };

	if (w->signaled || w->kind == IO)
		return true;
	switch (w->kind) {
	case PS:
	case PL:
	case PO:
	case EP:
		return s->count;	/* a message to take, or to refuse */
	case SR:
	case SS:
		return s->count || (poll(&p, 1, 0) == 1 &&
				    (p.revents & (POLLIN | POLLHUP)));
	default:
		return s->count < s->capacity;
	}
	(void)sc;
}

/*
 * The queue has settled: every waiter still waiting is asleep in the
 * module (the waiter counts agree) and could not proceed now.  NULL if
 * so, else a waiter that could (or "" if the counts disagree).
 */
static const char *unsettled(struct scenario *sc)
{
	struct rustqueue_info s = rq_info(sc->ctl);
	unsigned int readers = 0, writers = 0;
	int i;

	for (i = 0; i < sc->nw; i++) {
		struct waiter *w = &sc->w[i];

		if (is_done(w))
			continue;
		readers += is_reader(w->kind);
		writers += is_writer(w->kind);
		if (can_proceed(sc, w, &s))
			return kind_name[w->kind];
	}
	if (s.waiting_readers != readers || s.waiting_writers != writers)
		return "";
	return NULL;
}

static void settle(struct scenario *sc, const char *source)
{
	long end = now_ms() + BOUND_MS;
	const char *who;

	if (sc->failed)
		return;
	while ((who = unsettled(sc))) {
		if (now_ms() > end) {
			fail(sc, "after %s, %s could proceed but still waits after %d ms",
			     source, *who ? who : "a waiter", BOUND_MS);
			return;
		}
		sleep_ms(1);
	}
}

static bool all_done(struct scenario *sc)
{
	int i;

	for (i = 0; i < sc->nw; i++)
		if (!is_done(&sc->w[i]))
			return false;
	return true;
}

static void signal_first(struct scenario *sc)
{
	int i;

	for (i = 0; i < sc->nw; i++) {
		struct waiter *w = &sc->w[i];

		if (!is_done(w) && w->kind != IO) {
			w->signaled = 1;
			pthread_kill(w->thread, SIGUSR1);
			return;
		}
	}
}

static void read_packet(struct scenario *sc)
{
	char buf[ROOM_LARGE];
	ssize_t n = read(sc->ctl, buf, sizeof(buf));

	if (n >= 0)
		check_whole(sc, buf, n, "a packet read");
}

static void read_stream(struct scenario *sc)
{
	char buf[ROOM_LARGE];
	int fd = open(DEV, O_RDONLY);
	ssize_t n, total = 0;

	while ((n = read(fd, buf + total, sizeof(buf) - total)) > 0)
		total += n;
	close(fd);
	if (total)
		check_whole(sc, buf, total, "a stream read");
}

static void unload_attempt(struct scenario *sc)
{
	if (!mod_unload(MOD))
		bail_out("rmmod succeeded with files open");
	(void)sc;
}

static void add_waiter(struct scenario *sc, enum kind kind)
{
	struct waiter *w = &sc->w[sc->nw++];
	unsigned int readers = 0, writers = 0;
	struct epoll_event ev = { 0 };
	int i;

	init_waiter(w, kind, sc->f);
	switch (kind) {
	case PS:
	case PL:
		w->fd = rq_open_mode(DEV, O_RDONLY, BP);
		break;
	case PO:
	case EP:
	case PW:
	case EW:
		w->fd = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
		break;
	case W1:
	case W2:
		w->fd = rq_open_mode(DEV, O_WRONLY, RUSTQUEUE_F_BLOCK);
		make_msg(sc, w->buf, kind == W1 ? SMALL : LARGE);
		w->buf[sc->len[sc->nmsg - 1]] = '\0';
		break;
	default:
		break;
	}
	if (kind == EP || kind == EW) {
		w->ep = epoll_create1(0);
		ev.events = kind == EP ? EPOLLIN : EPOLLOUT;
		epoll_ctl(w->ep, EPOLL_CTL_ADD, w->fd, &ev);
	}
	for (i = 0; i < sc->nw; i++) {
		readers += is_reader(sc->w[i].kind) && !is_done(&sc->w[i]);
		writers += is_writer(sc->w[i].kind) && !is_done(&sc->w[i]);
	}
	if (kind == IO) {
		place(w, -1, 0, 0);
		if (!wait_done(w, BOUND_MS))
			fail(sc, "IO: ioctls beside the waiters still wait after %d ms",
			     BOUND_MS);
	} else if (!place(w, is_reader(kind) || is_writer(kind) ? sc->ctl : -1,
			  readers, writers)) {
		fail(sc, "%s did not wait (or the queue did not count it)",
		     kind_name[kind]);
	}
}

/* What each waiter returned must be what it may return. */
static void check_results(struct scenario *sc)
{
	int i;

	for (i = 0; i < sc->nw; i++) {
		struct waiter *w = &sc->w[i];
		const char *name = kind_name[w->kind];

		if (w->ret == -1 && w->err == EINTR && w->signaled)
			continue;
		switch (w->kind) {
		case PS:
			if (w->ret == -1 && w->err == EMSGSIZE)
				break;
			/* fall through */
		case PL:
			if (w->ret < 0)
				fail(sc, "%s failed: %s", name, strerror(w->err));
			else
				check_whole(sc, w->buf, w->ret, name);
			break;
		case SR:
		case SS:
			if (w->ret < 0)
				fail(sc, "%s failed: %s", name, strerror(w->err));
			else if (w->ret > 0)
				check_chunk(sc, w->buf, w->ret, name);
			break;
		case W1:
		case W2:
			if (w->ret == (ssize_t)strlen(w->buf))
				sc->written[msg_id(w->buf, w->ret)] = true;
			else
				fail(sc, "%s: write returned %zd (%s)", name,
				     w->ret, strerror(w->err));
			break;
		case IO:
			if (w->ret)
				fail(sc, "IO: an ioctl failed: %s", strerror(w->err));
			break;
		case PO:
		case EP:
			if (w->ret <= 0 || !(w->ret & POLLIN))
				fail(sc, "%s returned without POLLIN", name);
			break;
		default:
			if (w->ret <= 0 || !(w->ret & POLLOUT))
				fail(sc, "%s returned without POLLOUT", name);
			break;
		}
	}
}

/* Take what is left, then: was every message delivered exactly once? */
static void check_conservation(struct scenario *sc)
{
	unsigned int flags = 0;
	char buf[ROOM_LARGE];
	int i, left = 0;
	ssize_t n;

	ioctl(sc->f, RUSTQUEUE_IOC_SET_FLAGS, &flags);
	while ((n = read(sc->f, buf, CHUNK)) > 0)
		check_chunk(sc, buf, n, "the stream file's rest");
	while ((n = read(sc->ctl, buf, sizeof(buf))) >= 0)
		check_whole(sc, buf, n, "the queue's rest");
	for (i = 0; i < sc->nmsg; i++) {
		if (!sc->written[i] && sc->consumed[i])
			fail(sc, "message %d delivered but never written", i);
		if (sc->written[i] && !sc->consumed[i])
			left++;
	}
	if (left != sc->flushed)
		fail(sc, "%d messages lost (%d flushed)", left - sc->flushed,
		     sc->flushed);
}

static void set_capacity(int fd, unsigned int cap)
{
	if (ioctl(fd, RUSTQUEUE_IOC_SET_CAPACITY, &cap))
		bail_out("SET_CAPACITY %u: %s", cap, strerror(errno));
}

/* Waiters that did not end: signal them and feed the queue until they do. */
static void release_all(struct scenario *sc)
{
	int i, round;

	for (round = 0; round < 100 && !all_done(sc); round++) {
		for (i = 0; i < sc->nw; i++) {
			if (!is_done(&sc->w[i])) {
				sc->w[i].signaled = 1;
				pthread_kill(sc->w[i].thread, SIGUSR1);
			}
		}
		put(sc, SMALL);
		ioctl(sc->ctl, RUSTQUEUE_IOC_FLUSH);
		sleep_ms(50);
	}
	if (!all_done(sc))
		bail_out("waiters that neither signals nor messages release");
}

static void run_scenario(bool writers, const enum kind *order, int n)
{
	struct scenario *sc = calloc(1, sizeof(*sc));
	char name[64] = "", buf[8];
	int i, k;

	for (i = 0; i < n; i++)
		snprintf(name + strlen(name), sizeof(name) - strlen(name),
			 "%s%s", i ? " " : "", kind_name[order[i]]);
	sc->ctl = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	sc->f = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_BLOCK);
	set_capacity(sc->ctl, writers ? 2 : 4);
	put(sc, SMALL);		/* g holds it, read in part */
	sc->g = open(DEV, O_RDONLY);
	if (read(sc->g, buf, 5) == 5)
		consume(sc, msg_id(buf, 5), "g");
	if (writers) {
		put(sc, SMALL);
		put(sc, LARGE);
	}
	for (i = 0; i < n; i++)
		add_waiter(sc, order[i]);

	if (writers) {
		unload_attempt(sc);
		settle(sc, "an unload attempt");
		close(sc->g);
		settle(sc, "a close");
		set_capacity(sc->ctl, 3);
		settle(sc, "a resize");
		signal_first(sc);
		settle(sc, "a signal");
		read_packet(sc);
		settle(sc, "a packet read");
		read_stream(sc);
		settle(sc, "a stream read");
		k = ioctl(sc->ctl, RUSTQUEUE_IOC_FLUSH);
		sc->flushed += k > 0 ? k : 0;
		settle(sc, "a flush");
		for (i = 0; i < 8 && !all_done(sc); i++) {
			read_packet(sc);
			settle(sc, "a packet read");
		}
	} else {
		set_capacity(sc->ctl, 5);
		settle(sc, "a resize");
		k = ioctl(sc->ctl, RUSTQUEUE_IOC_FLUSH);
		sc->flushed += k > 0 ? k : 0;
		settle(sc, "a flush");
		close(sc->g);
		settle(sc, "a close");
		unload_attempt(sc);
		settle(sc, "an unload attempt");
		put(sc, LARGE);
		settle(sc, "a 100-byte write");
		signal_first(sc);
		settle(sc, "a signal");
		for (i = 0; i < 8 && !all_done(sc); i++) {
			put(sc, i % 2 ? LARGE : SMALL);
			settle(sc, i % 2 ? "a 100-byte write" : "a 10-byte write");
		}
	}
	if (!all_done(sc))
		fail(sc, "waiters left after every source");
	release_all(sc);
	for (i = 0; i < sc->nw; i++)
		pthread_join(sc->w[i].thread, NULL);
	check_results(sc);
	check_conservation(sc);
	ok(!sc->failed, "liveness, %s: %s", writers ? "writers" : "readers", name);
	if (sc->failed)
		diag("  %s", sc->why);

	for (i = 0; i < sc->nw; i++) {
		if (sc->w[i].fd != sc->f)
			close(sc->w[i].fd);
		if (sc->w[i].ep >= 0)
			close(sc->w[i].ep);
	}
	set_capacity(sc->ctl, 16);
	close(sc->f);
	close(sc->ctl);
	free(sc);
}

static bool next_permutation(enum kind *a, int n)
{
	int i = n - 2, j = n - 1;
	enum kind t;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return false;
	while (a[j] <= a[i])
		j--;
	t = a[i];
	a[i] = a[j];
	a[j] = t;
	for (i++, j = n - 1; i < j; i++, j--) {
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
	return true;
}

/* Every order of the kinds in SET (given in increasing order). */
static void every_order(bool writers, const enum kind *set, int n)
{
	enum kind order[MAXW];
	long t0 = now_ms();
	int count = 0;

	memcpy(order, set, n * sizeof(*order));
	do {
		run_scenario(writers, order, n);
		count++;
	} while (next_permutation(order, n));
	diag("%d orders in %ld ms", count, now_ms() - t0);
}

/* ---- an EPOLLEXCLUSIVE watcher takes no blocked waiter's wake-up ------ */

/*
 * An epoll instance watching the queue with EPOLLEXCLUSIVE waits first,
 * a blocked packet reader (or writer) behind it; one message (or one
 * slot) comes.  EPOLLEXCLUSIVE shares a wake-up among the epoll instances
 * that ask for it; a blocked reader or writer must still get its own: an
 * epoll waiter learns that the queue is ready, it need not read or write.
 */
static void test_epollexclusive(bool writer)
{
	const char *who = writer ? "writer" : "reader";
	int ctl = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	struct epoll_event ev = {
		.events = (writer ? EPOLLOUT : EPOLLIN) | EPOLLEXCLUSIVE,
	};
	struct waiter x, b;
	char msg[SMALL];
	bool placed;

	memset(msg, 'e', sizeof(msg));
	if (writer) {
		set_capacity(ctl, 1);
		write(ctl, msg, sizeof(msg));
	}
	init_waiter(&x, writer ? EW : EP, rq_open_mode(DEV, O_RDWR, BP));
	x.ep = epoll_create1(0);
	if (x.ep < 0 || epoll_ctl(x.ep, EPOLL_CTL_ADD, x.fd, &ev))
		bail_out("epoll with EPOLLEXCLUSIVE: %s", strerror(errno));
	init_waiter(&b, writer ? W1 : PL, rq_open_mode(DEV, O_RDWR, BP));
	if (writer)
		snprintf(b.buf, sizeof(b.buf), "%s", "from W1");
	placed = place(&x, -1, 0, 0);
	placed = place(&b, ctl, !writer, writer) && placed;
	ok(placed, "EPOLLEXCLUSIVE: an epoll waiter, then a blocked %s behind it", who);
	if (writer)
		read(ctl, msg, sizeof(msg));
	else
		write(ctl, msg, sizeof(msg));
	/* whether the epoll waiter returns depends on who runs first */
	if (!ok(wait_done(&b, BOUND_MS) &&
		b.ret == (writer ? (ssize_t)strlen("from W1") : SMALL),
		"EPOLLEXCLUSIVE: one %s: the blocked %s is woken and %s",
		writer ? "slot" : "message", who,
		writer ? "writes" : "reads it"))
		diag("  after %d ms it %s; the epoll waiter %s", BOUND_MS,
		     is_done(&b) ? "returned something else" : "still sleeps",
		     is_done(&x) ? "returned" : "sleeps");
	/* release whichever still waits */
	if (!is_done(&x))
		pthread_kill(x.thread, SIGUSR1);
	if (!is_done(&b))
		pthread_kill(b.thread, SIGUSR1);
	ok(wait_done(&x, BOUND_MS) && wait_done(&b, BOUND_MS),
	   "EPOLLEXCLUSIVE: a signal ends what still waited");
	pthread_join(x.thread, NULL);
	pthread_join(b.thread, NULL);
	ioctl(ctl, RUSTQUEUE_IOC_FLUSH);
	set_capacity(ctl, 16);
	close(x.ep);
	close(x.fd);
	close(b.fd);
	close(ctl);
}

/*
 * A stream-mode open file's poll answer depends on that file alone (the
 * message it holds, its end of file, its mode): a thread polling it for
 * the hang-up while another thread reads it or changes its mode must be
 * woken, though no message or slot came.  (A poller for POLLIN is woken
 * by the message that came, so it is the hang-up that shows it.)
 */
static void test_stream_open_pollers(void)
{
	int ctl = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	int s = rq_open_mode(DEV, O_RDWR, 0);
	unsigned int flags;
	char buf[SMALL];
	struct waiter h;

	write(ctl, "hangup", 6);
	init_waiter(&h, HU, s);
	ok(place(&h, -1, 0, 0), "stream open, a message queued: a poller of it waits for POLLHUP");
	is_int(read(s, buf, sizeof(buf)), 6, "another thread reads the message through that open, whole");
	if (!ok(wait_done(&h, BOUND_MS) && h.ret == POLLHUP,
		"that read wakes the poller, with POLLHUP"))
		pthread_kill(h.thread, SIGUSR1);
	pthread_join(h.thread, NULL);

	flags = RUSTQUEUE_F_PACKET;
	is_int(ioctl(s, RUSTQUEUE_IOC_SET_FLAGS, &flags), 0, "SET_FLAGS to packet mode");
	ok(place(&h, -1, 0, 0), "the open switched to packet mode: its poller waits");
	flags = 0;
	is_int(ioctl(s, RUSTQUEUE_IOC_SET_FLAGS, &flags), 0,
	       "SET_FLAGS back to stream mode (its message was read to its end)");
	if (!ok(wait_done(&h, BOUND_MS) && h.ret == POLLHUP,
		"the mode change wakes the poller, with POLLHUP"))
		pthread_kill(h.thread, SIGUSR1);
	pthread_join(h.thread, NULL);
	close(s);

	/*
	 * Added to epoll while in packet mode (epoll registers once, so it
	 * waits on what packet mode needed), then switched to stream mode:
	 * a read of it to the end of its message must still reach epoll.
	 */
	s = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	init_waiter(&h, EP, s);
	h.ep = epoll_create1(0);
	{
		struct epoll_event ev = { .events = EPOLLPRI };

		if (h.ep < 0 || epoll_ctl(h.ep, EPOLL_CTL_ADD, s, &ev))
			bail_out("epoll: %s", strerror(errno));
	}
	flags = 0;
	is_int(ioctl(s, RUSTQUEUE_IOC_SET_FLAGS, &flags), 0,
	       "an open added to epoll in packet mode switches to stream mode");
	ok(place(&h, -1, 0, 0), "epoll waits for its hang-up");
	write(ctl, "hangup", 6);
	is_int(read(s, buf, sizeof(buf)), 6, "another thread reads a message through it, whole");
	if (!ok(wait_done(&h, BOUND_MS) && h.ret == EPOLLHUP,
		"epoll is told, with EPOLLHUP"))
		pthread_kill(h.thread, SIGUSR1);
	pthread_join(h.thread, NULL);
	close(h.ep);
	close(s);
	close(ctl);
}

/*
 * An opener of the queue, even read-only, toggling its own file's mode
 * must not wake the pollers of other files: an edge-triggered epoll of
 * another file, whose EPOLLOUT holds all along, sees no new edge.
 */
static void test_mode_toggles_stay_own(void)
{
	int b = rq_open_mode(DEV, O_RDWR, RUSTQUEUE_F_PACKET);
	int a = rq_open_mode(DEV, O_RDONLY, RUSTQUEUE_F_PACKET);
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET }, out;
	struct pollfd p = { .fd = a, .events = POLLIN };
	unsigned int flags, i, bad = 0;
	int ep = epoll_create1(0);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev))
		bail_out("epoll: %s", strerror(errno));
	is_int(epoll_wait(ep, &out, 1, 0), 1, "edge-triggered epoll of a file with room: one EPOLLOUT edge");
	poll(&p, 1, 0);		/* a has been polled in packet mode */
	for (i = 0; i < 200; i++) {
		flags = i % 2 ? RUSTQUEUE_F_PACKET : 0;
		bad += !!ioctl(a, RUSTQUEUE_IOC_SET_FLAGS, &flags);
	}
	is_int(bad, 0, "a read-only opener toggles its file's mode 200 times");
	is_int(epoll_wait(ep, &out, 1, 0), 0, "... and the other file's epoll sees no new edge");
	close(ep);
	close(a);
	close(b);
}

static void test_mixed_waiters(void)
{
	static const enum kind readers_io[] = { PS, PL, SR, SS, IO };
	static const enum kind readers_poll[] = { PS, PL, SR, PO, EP };
	static const enum kind writers[] = { IO, W1, W2, PW, EW };

	every_order(false, readers_io, 5);
	every_order(false, readers_poll, 5);
	every_order(true, writers, 5);
}

/* with an argument, "findings" or "orders": only that half */
int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : "";

	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: waits end in EINTR */
	sigaction(SIGUSR1, &sa, NULL);

	mod_reload_or_bail(MOD, "verbose=0");
	if (strcmp(only, "orders")) {
		test_13_1_lost_wakeup();
		test_13_2_ioctls_beside_sleeping_reader();
		test_13_2_ioctls_beside_stalled_copy();
		test_woken_reader_stalled_in_copy(false);
		test_woken_reader_stalled_in_copy(true);
		test_starved_woken_reader(false);
		test_starved_woken_reader(true);
		test_two_starved_readers();
		test_starved_woken_writer();
		test_13_3_mode_change_race();
		test_epollexclusive(false);
		test_epollexclusive(true);
		test_stream_open_pollers();
		test_mode_toggles_stay_own();
	}
	if (strcmp(only, "findings"))
		test_mixed_waiters();
	mod_ensure_unloaded(MOD);
	return done_testing();
}
