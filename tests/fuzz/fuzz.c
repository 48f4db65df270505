// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: a multi-threaded syscall fuzzer over our modules' files, for the
 * debug kernel (its detectors find what goes wrong; tests/vm/run-all
 * checks the kernel log and kmemleak afterwards).
 *
 *   fuzz [-s SEED] [-n OPS] [-j THREADS] [-t SECONDS]
 *        FUZZ_SEED, FUZZ_OPS, FUZZ_THREADS, FUZZ_TIME do the same
 *
 * Every .ko in /root that we know is loaded first.  THREADS workers (each
 * with its own generator, seeded from SEED and its number) then run OPS
 * operations between them on the modules' devices, proc files and
 * parameters: open with random flags, close, read/write/readv/writev/
 * pread/pwrite of random sizes from and into good, unmapped, read-only,
 * kernel and half-mapped buffers, ioctl (numbers near the modules' own
 * weighted up, random ones too; rustqueue's batch ioctls with arrays of
 * such buffers), poll, lseek, fcntl, dup, mmap, and fork
 * (the child carries on with the inherited files for a while).  Another
 * thread unloads and reloads the modules whenever they are idle, so
 * opens race with unloading; another interrupts workers stuck in a wait.
 *
 * Results are checked only for what holds whatever the module: no read
 * or write returns more than asked, no kernel-internal errno (ERESTART*,
 * >= 512) reaches user space.  The seed fixes each worker's sequence of
 * operations; the interleaving of threads is up to the scheduler.
 * Prints TAP: the operations run, unload/reload cycles and bad results.
 * The run fails if it cannot finish OPS operations in SECONDS.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/rustqueue.h>

#include "tap.h"
#include "guest.h"

#define MAX_THREADS	16
#define MAX_FDS		6		/* per worker */
#define MAX_PATHS	64
#define BIG		(1 << 20)

/* ---- our modules -------------------------------------------------------- */

static const struct fz_module {
	const char *name;
	const char *params;		/* quiet: the log would overflow */
	const char *paths[8];		/* what it creates, if present */
	unsigned int magic[2];		/* its ioctl types */
} fz_modules[] = {
	{ "rustqueue", "verbose=0 max_messages=64",
	  { "/dev/rustqueue", "/dev/rustqueue0", "/dev/rustqueue1",
	    "/proc/rustqueue" }, { RUSTQUEUE_IOC_MAGIC } },
	{ "rustecho", "verbose=0",
	  { "/dev/rustecho", "/dev/rustecho0", "/dev/rustecho1",
	    "/proc/rustecho" }, { 0 } },
	{ "rust_proc_ram_file", "", { "/proc/rust-proc-file" }, { 0 } },
	{ "mydevice", "", { "/dev/mydevice" }, { 'J' } },
};
#define NMOD (sizeof(fz_modules) / sizeof(fz_modules[0]))

static bool fz_present[NMOD];		/* .ko found and loaded at start */
static const char *fz_paths[MAX_PATHS];	/* every file we fuzz */
static int fz_npaths;

/* ioctls we know exactly; weighted up */
static const unsigned long fz_known_ioctls[] = {
	RUSTQUEUE_IOC_GET_INFO, RUSTQUEUE_IOC_SET_FLAGS,
	RUSTQUEUE_IOC_GET_FLAGS, RUSTQUEUE_IOC_FLUSH,
	RUSTQUEUE_IOC_SET_CAPACITY, RUSTQUEUE_IOC_SEND_BATCH,
	RUSTQUEUE_IOC_RECV_BATCH, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX,
	FIOASYNC, TCGETS,
};

/* ---- shared state ------------------------------------------------------- */

static unsigned long long fz_seed = 1;
static long long fz_ops_target = 1000000;
static int fz_threads = 4;
static int fz_seconds = 900;

static atomic_llong fz_ops_done;
static atomic_llong fz_bad;
static atomic_llong fz_op_count[32];
static atomic_int fz_stop;
static atomic_llong fz_cycles, fz_unload_tries;

static unsigned char *fz_good;		/* BIG bytes, read-write */
static unsigned char *fz_ro;		/* a read-only page */
static unsigned char *fz_none;		/* a PROT_NONE page */
static unsigned char *fz_edge;		/* a good page right before fz_none */

struct worker {
	pthread_t thread;
	int id;
	uint64_t rng;
	int fds[MAX_FDS];
	atomic_ulong progress;		/* bumps at every operation */
	unsigned long seen;		/* the kicker's last look */
};

static struct worker fz_w[MAX_THREADS];

/* what this thread is doing, for the crash report */
static __thread int fz_cur_op = -1;

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rnd(uint64_t *s)		/* xorshift64* */
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static unsigned int below(uint64_t *s, unsigned int n)
{
	return n ? (unsigned int)(rnd(s) % n) : 0;
}

static void bad(const char *what, long ret, int err)
{
	atomic_fetch_add(&fz_bad, 1);
	diag("bad result: %s returned %ld (errno %d)", what, ret, err);
}

/* the kernel's internal restart codes must never reach user space */
static void check_errno(const char *what, long ret, int err)
{
	if (ret == -1 && err >= 512)
		bad(what, ret, err);
}

/* a size: mostly small, sometimes large, sometimes absurd */
static size_t rnd_size(uint64_t *s)
{
	switch (below(s, 10)) {
	case 0:
		return 0;
	case 1:
		return 1 + below(s, 16);
	case 2: case 3: case 4:
		return below(s, 512);
	case 5: case 6:
		return 4096 + below(s, 3) - 1;
	case 7:
		return below(s, 70000);
	case 8:
		return below(s, BIG);
	default:
		return below(s, 2) ? (size_t)-1 >> 1 : (size_t)1 << 31;
	}
}

/* a buffer for SIZE bytes: usually good, sometimes not at all */
static void *rnd_buf(uint64_t *s, size_t *size, bool for_read)
{
	switch (below(s, 16)) {
	case 0:
		return NULL;
	case 1:
		return fz_none;				/* mapped, no access */
	case 2:
		return (void *)0xffff888000000000UL;	/* kernel memory */
	case 3:
		/* runs off the end of a good page into a PROT_NONE one */
		return fz_edge + 4096 - below(s, 64);
	case 4:
		/* read-only: fine for write(), EFAULT for read() */
		if (*size > 4096)
			*size = 4096;
		return fz_ro;
	default:
		if (*size > BIG)
			return for_read ? fz_good : fz_good + below(s, 4096);
		return fz_good + below(s, (unsigned int)(BIG - *size + 1));
	}
}

static int rnd_fd(struct worker *w)
{
	int fd = w->fds[below(&w->rng, MAX_FDS)];

	/* now and then a descriptor that is not ours, or not open */
	if (below(&w->rng, 50) == 0)
		return below(&w->rng, 2) ? -1 : 1000;
	return fd;
}

static int rnd_open_flags(uint64_t *s)
{
	static const int extra[] = {
		O_NONBLOCK, O_APPEND, O_TRUNC, O_SYNC, O_DIRECT, O_NOATIME,
		O_NOCTTY, O_DIRECTORY, O_PATH, O_LARGEFILE,
	};
	/*
	 * RDONLY, WRONLY, RDWR; never O_CREAT: with the module unloaded it
	 * would leave a regular file where its device node belongs
	 */
	int flags = below(s, 3) | O_CLOEXEC;
	unsigned int i;

	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (below(s, 12) == 0)
			flags |= extra[i];
	return flags;
}

static unsigned long rnd_ioctl(uint64_t *s)
{
	unsigned int type, nr, size, dir;
	unsigned long cmd;

	switch (below(s, 4)) {
	case 0:	/* a known one */
		return fz_known_ioctls[below(s, sizeof(fz_known_ioctls) /
					      sizeof(fz_known_ioctls[0]))];
	case 1: case 2: {
		/* near a module's own: its type, small nr, usual sizes */
		static const unsigned int sizes[] = { 0, 4, 8, 16, 96, 100 };
		const struct fz_module *m = &fz_modules[below(s, NMOD)];

		type = m->magic[0] ? m->magic[0] : below(s, 256);
		nr = below(s, 8);
		size = sizes[below(s, 6)];
		dir = below(s, 4);
		return _IOC(dir, type, nr, size);
	}
	default:
		cmd = (unsigned long)rnd(s) & 0xffffffffUL;
		/* not the VFS's FIFREEZE and friends: they act on devtmpfs */
		if (_IOC_TYPE(cmd) == 'X')
			cmd ^= 1 << _IOC_TYPESHIFT;
		return cmd;
	}
}

static unsigned long rnd_ioctl_arg(uint64_t *s)
{
	size_t size = 4096;

	switch (below(s, 6)) {
	case 0:
		return below(s, 70000);			/* a small number */
	case 1: {
		/* a pointer to a small sane value */
		__u32 *p = (__u32 *)(fz_good + 8 * below(s, 64));

		*p = below(s, 3) ? below(s, 8) : below(s, 70000);
		return (unsigned long)p;
	}
	default:
		return (unsigned long)rnd_buf(s, &size, true);
	}
}

#define FZ_BATCH	40

/*
 * The argument of a rustqueue batch ioctl: mostly COUNT descriptors of
 * random buffers (good, unmapped, read-only, half-mapped) in this
 * thread's array; sometimes a count past the limit, an unknown flag, or
 * the descriptors themselves in odd memory.
 */
static unsigned long rnd_batch_arg(uint64_t *s, bool recv,
				   struct rustqueue_batch *b)
{
	static __thread struct rustqueue_msg d[FZ_BATCH];
	size_t size = 4096;
	unsigned int i;

	b->count = below(s, FZ_BATCH + 1);
	for (i = 0; i < b->count; i++) {
		size = below(s, 4) ? below(s, 600) : rnd_size(s);
		d[i].ptr = (uintptr_t)rnd_buf(s, &size, recv);
		d[i].len = size;
		d[i].result = below(s, 30) ? 0 : (__u32)rnd(s);
	}
	b->msgs = (uintptr_t)d;
	b->flags = below(s, 3) ? 0 : RUSTQUEUE_BATCH_NONBLOCK;
	switch (below(s, 20)) {
	case 0:
		b->count = below(s, 2) ? RUSTQUEUE_BATCH_MAX + 1 : (__u32)rnd(s);
		break;
	case 1:
		b->flags = (__u32)rnd(s);
		break;
	case 2:
		size = 4096;
		b->msgs = (uintptr_t)rnd_buf(s, &size, true);
		break;
	case 3:
		return (unsigned long)rnd_buf(s, &size, false);
	}
	return (unsigned long)b;
}

/* ---- the operations ----------------------------------------------------- */

enum {
	OP_OPEN, OP_CLOSE, OP_READ, OP_WRITE, OP_READV, OP_WRITEV, OP_PREAD,
	OP_PWRITE, OP_IOCTL, OP_POLL, OP_LSEEK, OP_FCNTL, OP_DUP, OP_MMAP,
	OP_FORK, OP_CLOSE_ALL, NOPS
};

static const char *const op_names[NOPS] = {
	"open", "close", "read", "write", "readv", "writev", "pread",
	"pwrite", "ioctl", "poll", "lseek", "fcntl", "dup", "mmap", "fork",
	"close-all",
};

/* how often, out of the sum */
static const unsigned int op_weight[NOPS] = {
	[OP_OPEN] = 14, [OP_CLOSE] = 10, [OP_READ] = 12, [OP_WRITE] = 12,
	[OP_READV] = 4, [OP_WRITEV] = 4, [OP_PREAD] = 3, [OP_PWRITE] = 3,
	[OP_IOCTL] = 16, [OP_POLL] = 4, [OP_LSEEK] = 3, [OP_FCNTL] = 2,
	[OP_DUP] = 2, [OP_MMAP] = 1, [OP_FORK] = 0, [OP_CLOSE_ALL] = 1,
};
/* fork is expensive: one in this many operations */
#define FORK_EVERY 4000

static void fill_iov(uint64_t *s, struct iovec *iov, int n, bool for_read)
{
	int i;

	for (i = 0; i < n; i++) {
		size_t len = below(s, 8) ? below(s, 3000) : rnd_size(s);

		iov[i].iov_base = rnd_buf(s, &len, for_read);
		iov[i].iov_len = len;
	}
}

static void do_op(struct worker *w, int op, bool child);

static void do_fork(struct worker *w)
{
	pid_t pid = fork();
	int i, st;

	if (pid == 0) {
		/* the child: a few operations on the inherited files */
		alarm(5);
		w->rng ^= 0x9e3779b97f4a7c15ULL;
		for (i = 0; i < 20; i++)
			do_op(w, below(&w->rng, OP_FORK), true);
		_exit(0);
	}
	if (pid < 0)
		return;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

static void do_op(struct worker *w, int op, bool child)
{
	uint64_t *s = &w->rng;
	struct iovec iov[8];
	size_t size;
	void *buf;
	long ret;
	int fd, slot, n;

	fz_cur_op = op;
	switch (op) {
	case OP_OPEN:
		slot = below(s, MAX_FDS);
		if (w->fds[slot] >= 0)
			close(w->fds[slot]);
		w->fds[slot] = open(fz_paths[below(s, fz_npaths)],
				    rnd_open_flags(s), 0600);
		check_errno("open", w->fds[slot], errno);
		break;
	case OP_CLOSE:
		slot = below(s, MAX_FDS);
		if (w->fds[slot] >= 0)
			close(w->fds[slot]);
		w->fds[slot] = -1;
		break;
	case OP_CLOSE_ALL:
		for (slot = 0; slot < MAX_FDS; slot++) {
			if (w->fds[slot] >= 0)
				close(w->fds[slot]);
			w->fds[slot] = -1;
		}
		break;
	case OP_READ:
	case OP_PREAD:
		size = rnd_size(s);
		buf = rnd_buf(s, &size, true);
		fd = rnd_fd(w);
		if (op == OP_READ)
			ret = read(fd, buf, size);
		else
			ret = pread(fd, buf, size, (off_t)rnd(s) >> below(s, 64));
		check_errno(op_names[op], ret, errno);
		if (ret > 0 && (size_t)ret > size)
			bad(op_names[op], ret, 0);
		break;
	case OP_WRITE:
	case OP_PWRITE:
		size = rnd_size(s);
		buf = rnd_buf(s, &size, false);
		fd = rnd_fd(w);
		if (op == OP_WRITE)
			ret = write(fd, buf, size);
		else
			ret = pwrite(fd, buf, size, (off_t)rnd(s) >> below(s, 64));
		check_errno(op_names[op], ret, errno);
		if (ret > 0 && (size_t)ret > size)
			bad(op_names[op], ret, 0);
		break;
	case OP_READV:
	case OP_WRITEV:
		n = below(s, 9);
		fill_iov(s, iov, n, op == OP_READV);
		fd = rnd_fd(w);
		ret = op == OP_READV ? readv(fd, iov, n) : writev(fd, iov, n);
		check_errno(op_names[op], ret, errno);
		break;
	case OP_IOCTL: {
		unsigned long cmd = rnd_ioctl(s), arg;
		struct rustqueue_batch b = { 0 };
		bool batch = cmd == RUSTQUEUE_IOC_SEND_BATCH ||
			     cmd == RUSTQUEUE_IOC_RECV_BATCH;

		arg = batch ? rnd_batch_arg(s, cmd == RUSTQUEUE_IOC_RECV_BATCH, &b) :
			      rnd_ioctl_arg(s);
		ret = ioctl(rnd_fd(w), cmd, arg);
		check_errno("ioctl", ret, errno);
		/* a batch never does more than it was given */
		if (batch && arg == (unsigned long)&b && ret > 0 &&
		    (ret > (long)b.count || b.count > RUSTQUEUE_BATCH_MAX))
			bad("batch ioctl", ret, 0);
		break;
	}
	case OP_POLL: {
		struct pollfd p[3];

		n = 1 + below(s, 3);
		for (slot = 0; slot < n; slot++) {
			p[slot].fd = rnd_fd(w);
			p[slot].events = (short)rnd(s);
		}
		ret = poll(p, n, below(s, 4) ? 0 : 1);
		check_errno("poll", ret, errno);
		break;
	}
	case OP_LSEEK:
		ret = lseek(rnd_fd(w), (off_t)rnd(s) >> below(s, 64),
			    below(s, 6));
		check_errno("lseek", ret, errno);
		break;
	case OP_FCNTL:
		fd = rnd_fd(w);
		ret = fcntl(fd, F_SETFL, below(s, 2) ? O_NONBLOCK : 0);
		check_errno("fcntl", ret, errno);
		break;
	case OP_DUP:
		slot = below(s, MAX_FDS);
		fd = dup(rnd_fd(w));
		if (fd >= 0) {
			if (w->fds[slot] >= 0)
				close(w->fds[slot]);
			w->fds[slot] = fd;
		}
		break;
	case OP_MMAP:
		size = 4096 << below(s, 3);
		buf = mmap(NULL, size,
			   below(s, 2) ? PROT_READ : PROT_READ | PROT_WRITE,
			   below(s, 2) ? MAP_SHARED : MAP_PRIVATE, rnd_fd(w),
			   4096 * below(s, 4));
		if (buf != MAP_FAILED)
			munmap(buf, size);
		break;
	case OP_FORK:
		if (!child)
			do_fork(w);
		break;
	}
	atomic_fetch_add(&fz_op_count[op], 1);
	fz_cur_op = -1;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int total = 0, i, pick;
	int op;

	for (i = 0; i < NOPS; i++)
		total += op_weight[i];
	while (!atomic_load(&fz_stop)) {
		if (atomic_fetch_add(&fz_ops_done, 1) >= fz_ops_target)
			break;
		if (below(&w->rng, FORK_EVERY) == 0) {
			op = OP_FORK;
		} else {
			pick = below(&w->rng, total);
			for (op = 0; pick >= op_weight[op]; op++)
				pick -= op_weight[op];
		}
		do_op(w, op, false);
		atomic_fetch_add(&w->progress, 1);
	}
	for (i = 0; i < MAX_FDS; i++)
		if (w->fds[i] >= 0)
			close(w->fds[i]);
	return NULL;
}

/*
 * Unload and reload the modules, again and again: an unload succeeds
 * only in a moment when no file of the module is open, so it lands
 * between the workers' opens and closes.
 */
static void *unloader_main(void *arg)
{
	uint64_t rng = fz_seed * 7919 + 13;
	unsigned int i;

	(void)arg;
	while (!atomic_load(&fz_stop) &&
	       atomic_load(&fz_ops_done) < fz_ops_target) {
		i = below(&rng, NMOD);
		if (!fz_present[i])
			continue;
		atomic_fetch_add(&fz_unload_tries, 1);
		if (mod_unload(fz_modules[i].name) == 0) {
			int ret = mod_load(fz_modules[i].name,
					   fz_modules[i].params);

			if (ret) {
				diag("reloading %s: %s", fz_modules[i].name,
				     strerror(-ret));
				atomic_fetch_add(&fz_bad, 1);
				fz_present[i] = false;
			}
			atomic_fetch_add(&fz_cycles, 1);
		}
		usleep(1000 + below(&rng, 5000));
	}
	return NULL;
}

static void on_kick(int sig)
{
	(void)sig;
}

/* a crash of the fuzzer itself: say where, then die of it */
static void on_crash(int sig, siginfo_t *si, void *uc)
{
	char msg[160];
	int n;

	(void)uc;
	n = snprintf(msg, sizeof(msg),
		     "Bail out! fuzz: signal %d at address %p during operation %d\n",
		     sig, si->si_addr, fz_cur_op);
	if (write(1, msg, n) < 0)
		_exit(3);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * A worker that made no progress for a while is waiting in the kernel
 * (a blocking read of an empty queue, say): a signal interrupts it.
 */
static void *kicker_main(void *arg)
{
	int i;

	(void)arg;
	while (!atomic_load(&fz_stop)) {
		usleep(100000);
		for (i = 0; i < fz_threads; i++) {
			unsigned long p = atomic_load(&fz_w[i].progress);

			if (p == fz_w[i].seen)
				pthread_kill(fz_w[i].thread, SIGUSR1);
			fz_w[i].seen = p;
		}
	}
	return NULL;
}

static void add_path(const char *p)
{
	if (fz_npaths < MAX_PATHS && access(p, F_OK) == 0)
		fz_paths[fz_npaths++] = strdup(p);
}

static void getenv_num(const char *name, long long *v)
{
	const char *e = getenv(name);

	if (e && *e)
		*v = strtoll(e, NULL, 0);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_kick };
	pthread_t unloader, kicker;
	struct timespec t0, t1;
	long long v;
	double secs;
	unsigned int i, j;
	int opt, loaded = 0;
	char ko[256];

	setvbuf(stdout, NULL, _IOLBF, 0);
	v = fz_seed; getenv_num("FUZZ_SEED", &v); fz_seed = v;
	getenv_num("FUZZ_OPS", &fz_ops_target);
	v = fz_threads; getenv_num("FUZZ_THREADS", &v); fz_threads = v;
	v = fz_seconds; getenv_num("FUZZ_TIME", &v); fz_seconds = v;
	while ((opt = getopt(argc, argv, "s:n:j:t:")) != -1) {
		switch (opt) {
		case 's': fz_seed = strtoull(optarg, NULL, 0); break;
		case 'n': fz_ops_target = strtoll(optarg, NULL, 0); break;
		case 'j': fz_threads = atoi(optarg); break;
		case 't': fz_seconds = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: fuzz [-s SEED] [-n OPS] [-j THREADS] [-t SECONDS]\n");
			return 2;
		}
	}
	if (fz_threads < 1 || fz_threads > MAX_THREADS)
		bail_out("1 to %d threads", MAX_THREADS);

	/* load what we have, quietly */
	for (i = 0; i < NMOD; i++) {
		snprintf(ko, sizeof(ko), MODULE_DIR "/%s.ko",
			 fz_modules[i].name);
		if (access(ko, F_OK))
			continue;
		mod_ensure_unloaded(fz_modules[i].name);
		if (mod_load(fz_modules[i].name, fz_modules[i].params) == 0) {
			fz_present[i] = true;
			loaded++;
		} else {
			diag("cannot load %s %s", fz_modules[i].name,
			     fz_modules[i].params);
		}
	}
	for (i = 0; i < NMOD; i++) {
		if (!fz_present[i])
			continue;
		for (j = 0; j < 8 && fz_modules[i].paths[j]; j++)
			add_path(fz_modules[i].paths[j]);
		/* its parameters, a path that survives a reload */
		snprintf(ko, sizeof(ko), "/sys/module/%s/parameters/verbose",
			 fz_modules[i].name);
		add_path(ko);
	}
	if (!fz_npaths) {
		skip("none of our modules is built", "fuzz");
		return done_testing();
	}
	diag("seed %llu, %lld operations, %d threads, at most %d s, on:",
	     fz_seed, fz_ops_target, fz_threads, fz_seconds);
	for (i = 0; i < (unsigned int)fz_npaths; i++)
		diag("  %s", fz_paths[i]);

	/*
	 * the buffers: BIG good bytes, a read-only page, guard pages (so
	 * that a read past a buffer faults instead of landing in another)
	 */
	fz_good = mmap(NULL, BIG + 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	fz_edge = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (fz_good == MAP_FAILED || fz_edge == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	memset(fz_good, 'x', BIG);
	fz_none = fz_edge + 4096;
	fz_ro = fz_edge + 2 * 4096;
	if (mprotect(fz_good + BIG, 4096, PROT_NONE) ||
	    mprotect(fz_none, 4096, PROT_NONE) ||
	    mprotect(fz_ro, 4096, PROT_READ))
		bail_out("mprotect: %s", strerror(errno));

	sigaction(SIGUSR1, &sa, NULL);		/* no SA_RESTART */
	sa.sa_handler = NULL;
	sa.sa_sigaction = on_crash;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < (unsigned int)fz_threads; i++) {
		fz_w[i].id = i;
		fz_w[i].rng = (fz_seed + 1) * 0x9e3779b97f4a7c15ULL + i;
		for (j = 0; j < MAX_FDS; j++)
			fz_w[i].fds[j] = -1;
		if (pthread_create(&fz_w[i].thread, NULL, worker_main, &fz_w[i]))
			bail_out("pthread_create");
	}
	pthread_create(&unloader, NULL, unloader_main, NULL);
	pthread_create(&kicker, NULL, kicker_main, NULL);

	/* wait for the workers, or the time limit */
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (atomic_load(&fz_ops_done) >= fz_ops_target ||
		    secs > fz_seconds)
			break;
		usleep(200000);
	}
	atomic_store(&fz_stop, 1);
	/* the kicker first: it signals the workers, which must exist */
	pthread_join(kicker, NULL);
	for (i = 0; i < (unsigned int)fz_threads; i++)
		pthread_join(fz_w[i].thread, NULL);
	pthread_join(unloader, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	v = atomic_load(&fz_ops_done);
	if (v > fz_ops_target)
		v = fz_ops_target;
	for (i = 0; i < NOPS; i++)
		diag("  %-9s %lld", op_names[i], atomic_load(&fz_op_count[i]));
	diag("%lld unload/reload cycles (%lld tries)", atomic_load(&fz_cycles),
	     atomic_load(&fz_unload_tries));
	ok(v >= fz_ops_target, "fuzz: %lld of %lld operations in %.0f s (%.0f/s), %d threads, %d modules",
	   v, fz_ops_target, secs, v / secs, fz_threads, loaded);
	is_int(atomic_load(&fz_bad), 0, "fuzz: no impossible results");

	/*
	 * every file is closed: every module must unload (a reference
	 * leaked on some error path would keep it), leaving nothing loaded
	 * for the next test
	 */
	j = 0;
	for (i = 0; i < NMOD; i++) {
		if (fz_present[i] && mod_unload(fz_modules[i].name) != 0) {
			diag("cannot unload %s: %s", fz_modules[i].name,
			     strerror(errno));
			j++;
		}
	}
	ok(j == 0, "fuzz: every module unloads after the run");
	return done_testing();
}
