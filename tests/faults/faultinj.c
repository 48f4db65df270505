// SPDX-License-Identifier: GPL-2.0
/*
 * faultinj: fault-injection sweeps over our modules (debug kernel only).
 *
 * For every operation below and N = 1, 2, ...: set up a known state, make
 * the Nth allocation or user copy of the operation fail (fail-nth, see
 * tests/lib/faultinj.h), run it, and check that
 *   - it succeeded, or failed with a clean errno (ENOMEM, EFAULT);
 *   - the state is exactly that of success, or exactly that of no change
 *     (a queue holds precisely the messages it should, in order);
 *   - no module reference is left behind, and the kernel logged nothing
 *     but the injected failure itself.
 * The sweep of an operation ends when N is beyond its last site.  Leaks
 * are kmemleak's to find: tests/faults/run-faults.sh scans after us.
 *
 * One TAP line per operation; a summary of the distinct sites that were
 * made to fail (by stack: the first frame in a module, else the first
 * frame past the allocator).
 *
 *   faultinj [MODULE...]      default: every module we have a sweep for
 */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/rustqueue.h>

#include "tap.h"
#include "guest.h"
#include "faultinj.h"

#define MAX_NTH	5000		/* an operation with more sites is a bug */

/* ---- the sweep engine --------------------------------------------------- */

struct sweep {
	const char *name;
	/* put the module in the state the operation starts from */
	int (*setup)(void);
	/* the operation: exactly one system call, returns its result */
	long (*op)(void);
	/*
	 * after the operation and disarming: check result and state;
	 * returns 0 or prints a diagnostic and returns -1
	 */
	int (*check)(long ret, int err, bool fired);
	/* release what setup and op left (files), uninjected */
	void (*teardown)(void);
};

static int total_fired;

/* Run one sweep; prints its TAP line. */
static void run_sweep(const char *module, const struct sweep *s)
{
	unsigned int nth, fired_n = 0, injected_logged = 0;
	int bad = 0;

	for (nth = 1; nth <= MAX_NTH && !bad; nth++) {
		long ret;
		int err;
		bool fired;

		if (s->setup() < 0) {
			diag("%s: setup failed at nth=%u", s->name, nth);
			bad = 1;
			break;
		}
		fi_collect();
		if (fi_last_report[0]) {
			diag("%s: nth=%u: kernel report in setup: %s",
			     s->name, nth, fi_last_report);
			bad = 1;
		}
		fi_arm(nth);
		ret = s->op();
		err = errno;
		fired = fi_disarm();
		injected_logged += fi_collect();
		if (fired)
			fired_n++;
		if (s->check(ret, err, fired) < 0) {
			diag("%s: nth=%u, result %ld (%s), %s; last site: %s",
			     s->name, nth, ret, ret < 0 ? strerror(err) : "ok",
			     fired ? "injected" : "not injected",
			     fi_last_site[0] ? fi_last_site : "none logged");
			bad = 1;
		}
		if (fi_last_report[0]) {
			diag("%s: nth=%u: kernel report: %s", s->name, nth,
			     fi_last_report);
			bad = 1;
		}
		s->teardown();
		fi_collect();
		if (fi_last_report[0]) {
			diag("%s: nth=%u: kernel report after: %s", s->name,
			     nth, fi_last_report);
			bad = 1;
		}
		if (!fired)
			break;		/* the operation has fewer sites */
	}
	if (nth > MAX_NTH) {
		diag("%s: more than %d fault sites?", s->name, MAX_NTH);
		bad = 1;
	}
	total_fired += fired_n;
	ok(!bad, "%s: %s: %u fault sites made to fail in turn (%u with a stack)",
	   module, s->name, fired_n, injected_logged);
}

/* ---- helpers ------------------------------------------------------------ */

static int refcnt(const char *module)
{
	char path[128], buf[32];
	int fd, n;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", module);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoi(buf);
}

static bool clean_errno(int err)
{
	return err == ENOMEM || err == EFAULT;
}

/* deterministic contents: message I of length LEN */
static void fill(unsigned char *p, size_t len, unsigned int i)
{
	size_t k;

	for (k = 0; k < len; k++)
		p[k] = (unsigned char)(i * 131 + k * 7 + (k >> 8));
}

static void sweep_load_unload(const char *name, const char *params,
			      const char *path, const char *path2);

/* ---- rustqueue ---------------------------------------------------------- */

#define RQ		"rustqueue"
#define RQ_DEV		RUSTQUEUE_DEVICE
/* small capacity; messages big enough for kvmalloc's vmalloc fallback */
#define RQ_PARAMS	"max_messages=4 max_msg_size=65536 verbose=0"
#define RQ_MAXQ		8

/* what the queue must hold: lengths and seeds of its messages, in order */
static struct { size_t len; unsigned int seed; } rq_model[RQ_MAXQ];
static int rq_n;
static int rq_fd = -1;
static unsigned char rq_buf[65536 + 4096], rq_got[65536 + 4096];
static size_t rq_op_len;	/* the operation's message or buffer size */
static unsigned int rq_op_seed;
static int rq_have_ioctl;
static char rq_ko_params[] = RQ_PARAMS;

static int rq_put(size_t len, unsigned int seed)
{
	int fd = open(RQ_DEV, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	fill(rq_buf, len, seed);
	n = write(fd, rq_buf, len);
	close(fd);
	if (n != (ssize_t)len)
		return -1;
	rq_model[rq_n].len = len;
	rq_model[rq_n].seed = seed;
	rq_n++;
	return 0;
}

/* read one open file to end-of-file; returns bytes or -1 */
static ssize_t rq_read_all(int fd, unsigned char *to, size_t size)
{
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, to + total, size - total)) > 0)
		total += n;
	return n < 0 ? -1 : (ssize_t)total;
}

static int rq_msg_ok(const unsigned char *got, size_t len, int i)
{
	fill(rq_buf, rq_model[i].len, rq_model[i].seed);
	return len == rq_model[i].len && !memcmp(got, rq_buf, len);
}

/*
 * The queue must hold exactly the model: drain it with one open per
 * message (each open reads its message to end-of-file), then an empty
 * read.  Empties the queue and the model.
 */
static int rq_drain_check(void)
{
	int i, fd, bad = 0;
	ssize_t n;

	for (i = 0; i <= rq_n; i++) {
		fd = open(RQ_DEV, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			diag("drain: open: %s", strerror(errno));
			return -1;
		}
		n = rq_read_all(fd, rq_got, sizeof(rq_got));
		close(fd);
		if (i == rq_n) {
			if (n != 0) {
				diag("drain: queue holds more than the %d expected messages (next: %zd bytes)",
				     rq_n, n);
				bad = 1;
			}
		} else if (n < 0 || !rq_msg_ok(rq_got, n, i)) {
			diag("drain: message %d: got %zd bytes, want %zu (seed %u)",
			     i, n, rq_model[i].len, rq_model[i].seed);
			bad = 1;
			break;
		}
	}
	rq_n = 0;
	if (refcnt(RQ) != 0) {
		diag("module refcount %d with no file open", refcnt(RQ));
		bad = 1;
	}
	return bad ? -1 : 0;
}

static int rq_ensure_loaded(void)
{
	if (mod_loaded(RQ))
		return 0;
	rq_n = 0;
	return mod_load(RQ, RQ_PARAMS);
}

static void rq_close(void)
{
	if (rq_fd >= 0)
		close(rq_fd);
	rq_fd = -1;
}

/* -- open: nothing may change but a new open file -- */
static int rq_setup_two(void)
{
	if (rq_ensure_loaded() || rq_drain_check())
		return -1;
	return rq_put(3000, 1) || rq_put(5, 2) ? -1 : 0;
}

static long rq_op_open(void)
{
	rq_fd = open(RQ_DEV, O_RDWR | O_CLOEXEC);
	return rq_fd;
}

static int rq_check_unchanged(long ret, int err, bool fired)
{
	(void)fired;
	if (ret < 0 && !clean_errno(err))
		return -1;
	rq_close();
	return rq_drain_check();
}

/* -- write: the message is enqueued whole, or not at all -- */
static int rq_setup_write(void)
{
	if (rq_ensure_loaded() || rq_drain_check() || rq_put(7, 3))
		return -1;
	rq_fd = open(RQ_DEV, O_WRONLY | O_CLOEXEC);
	fill(rq_buf, rq_op_len, rq_op_seed);
	return rq_fd;
}

static long rq_op_write(void)
{
	return write(rq_fd, rq_buf, rq_op_len);
}

static long rq_op_writev(void)
{
	struct iovec iov[3] = {
		{ rq_buf, 1 },
		{ rq_buf + 1, rq_op_len / 2 },
		{ rq_buf + 1 + rq_op_len / 2, rq_op_len - 1 - rq_op_len / 2 },
	};

	return writev(rq_fd, iov, 3);
}

static int rq_check_write(long ret, int err, bool fired)
{
	(void)fired;
	if (ret == (long)rq_op_len) {
		rq_model[rq_n].len = rq_op_len;
		rq_model[rq_n].seed = rq_op_seed;
		rq_n++;
	} else if (ret >= 0 || !clean_errno(err)) {
		return -1;
	}
	rq_close();
	return rq_drain_check();
}

/*
 * -- read: the open file gets the head message, whole, across this read
 * and the next ones (or the message stays at the head) -- */
static int rq_setup_read(void)
{
	if (rq_setup_two())
		return -1;
	rq_fd = open(RQ_DEV, O_RDONLY | O_CLOEXEC);
	return rq_fd;
}

static long rq_op_read(void)
{
	return read(rq_fd, rq_got, rq_op_len);
}

static long rq_op_readv(void)
{
	struct iovec iov[2] = {
		{ rq_got, 10 },
		{ rq_got + 10, rq_op_len - 10 },
	};

	return readv(rq_fd, iov, 2);
}

static int rq_check_read(long ret, int err, bool fired)
{
	ssize_t rest, got = ret > 0 ? ret : 0;

	(void)fired;
	if (ret < 0 && !clean_errno(err))
		return -1;
	/* the same open file goes on reading, uninjected, to end-of-file */
	rest = rq_read_all(rq_fd, rq_got + got, sizeof(rq_got) - got);
	rq_close();
	if (rest < 0 || !rq_msg_ok(rq_got, got + rest, 0)) {
		diag("the open file read %zd + %zd bytes, not message 0 (%zu bytes)",
		     got, rest, rq_model[0].len);
		return -1;
	}
	memmove(rq_model, rq_model + 1, --rq_n * sizeof(rq_model[0]));
	return rq_drain_check();
}

/*
 * -- packet mode: a read returns the head message whole and takes it off
 * the queue, or fails and leaves it at the head -- */
static int rq_setup_packet(void)
{
	__u32 flags = RUSTQUEUE_F_PACKET;

	if (rq_setup_two())
		return -1;
	rq_fd = open(RQ_DEV, O_RDWR | O_CLOEXEC);
	if (rq_fd < 0 || ioctl(rq_fd, RUSTQUEUE_IOC_SET_FLAGS, &flags))
		return -1;
	fill(rq_buf, rq_op_len, rq_op_seed);
	return 0;
}

static int rq_check_packet_read(long ret, int err, bool fired)
{
	(void)fired;
	if (ret >= 0) {
		if (!rq_msg_ok(rq_got, ret, 0)) {
			diag("packet read returned %ld bytes, not message 0", ret);
			return -1;
		}
		memmove(rq_model, rq_model + 1, --rq_n * sizeof(rq_model[0]));
	} else if (!clean_errno(err)) {
		return -1;
	}
	rq_close();
	return rq_drain_check();
}

/* -- close of a file holding a half-read message: it is freed -- */
static int rq_setup_close(void)
{
	if (rq_setup_read() < 0 || read(rq_fd, rq_got, 100) != 100)
		return -1;
	memmove(rq_model, rq_model + 1, --rq_n * sizeof(rq_model[0]));
	return 0;
}

static long rq_op_close(void)
{
	long ret = close(rq_fd);

	rq_fd = -1;
	return ret;
}

static int rq_check_close(long ret, int err, bool fired)
{
	(void)err;
	(void)fired;
	if (ret != 0)
		return -1;
	return rq_drain_check();
}

/* -- ioctls: they succeed, or fail and change nothing -- */
static struct rustqueue_info rq_info;
static __u32 rq_flags;

static int rq_setup_ioctl(void)
{
	if (rq_setup_two())
		return -1;
	rq_fd = open(RQ_DEV, O_RDWR | O_CLOEXEC);
	return rq_fd;
}

static long rq_op_get_info(void)
{
	return ioctl(rq_fd, RUSTQUEUE_IOC_GET_INFO, &rq_info);
}

static int rq_check_get_info(long ret, int err, bool fired)
{
	(void)fired;
	if (ret == 0 && (rq_info.count != (__u32)rq_n || rq_info.capacity != 4)) {
		diag("GET_INFO: count %u capacity %u, want %d and 4",
		     rq_info.count, rq_info.capacity, rq_n);
		return -1;
	}
	return rq_check_unchanged(ret, err, fired);
}

static long rq_op_set_flags(void)
{
	rq_flags = RUSTQUEUE_F_PACKET;
	return ioctl(rq_fd, RUSTQUEUE_IOC_SET_FLAGS, &rq_flags);
}

static int rq_check_set_flags(long ret, int err, bool fired)
{
	__u32 now = ~0U;

	(void)fired;
	if (ioctl(rq_fd, RUSTQUEUE_IOC_GET_FLAGS, &now))
		return -1;
	if (now != (ret == 0 ? RUSTQUEUE_F_PACKET : 0)) {
		diag("flags %#x after SET_FLAGS returned %ld", now, ret);
		return -1;
	}
	return rq_check_unchanged(ret, err, fired);
}

static long rq_op_flush(void)
{
	return ioctl(rq_fd, RUSTQUEUE_IOC_FLUSH);
}

static int rq_check_flush(long ret, int err, bool fired)
{
	(void)fired;
	if (ret >= 0) {
		if (ret != rq_n) {
			diag("FLUSH returned %ld with %d queued", ret, rq_n);
			return -1;
		}
		rq_n = 0;
	}
	return rq_check_unchanged(ret, err, fired);
}

static long rq_op_set_capacity(void)
{
	__u32 cap = 3;

	return ioctl(rq_fd, RUSTQUEUE_IOC_SET_CAPACITY, &cap);
}

static int rq_check_set_capacity(long ret, int err, bool fired)
{
	struct rustqueue_info info;

	(void)fired;
	if (ioctl(rq_fd, RUSTQUEUE_IOC_GET_INFO, &info))
		return -1;
	if (info.capacity != (ret == 0 ? 3U : 4U)) {
		diag("capacity %u after SET_CAPACITY returned %ld",
		     info.capacity, ret);
		return -1;
	}
	return rq_check_unchanged(ret, err, fired);
}

/*
 * -- batches: the first k messages of the batch go (or come) whole, in
 * order; the others stay as they were -- */
#define RQ_NB	3
static const size_t rq_batch_len[RQ_NB] = { 5000, 0, 70 };
static unsigned char rq_bbuf[RQ_NB][8192];
static struct rustqueue_msg rq_bm[RQ_NB];

static int rq_setup_send_batch(void)
{
	unsigned int i;

	if (rq_ensure_loaded() || rq_drain_check() || rq_put(7, 3))
		return -1;
	for (i = 0; i < RQ_NB; i++) {
		fill(rq_bbuf[i], rq_batch_len[i], rq_op_seed + i);
		rq_bm[i].ptr = (uintptr_t)rq_bbuf[i];
		rq_bm[i].len = rq_batch_len[i];
		rq_bm[i].result = 0;
	}
	rq_fd = open(RQ_DEV, O_WRONLY | O_CLOEXEC);
	return rq_fd;
}

static long rq_op_batch(unsigned long cmd)
{
	struct rustqueue_batch b = { .msgs = (uintptr_t)rq_bm, .count = RQ_NB };

	return ioctl(rq_fd, cmd, &b);
}

static long rq_op_send_batch(void)
{
	return rq_op_batch(RUSTQUEUE_IOC_SEND_BATCH);
}

static int rq_check_send_batch(long ret, int err, bool fired)
{
	long i;

	(void)fired;
	if (ret == 0 || ret > RQ_NB || (ret < 0 && !clean_errno(err))) {
		diag("SEND_BATCH of %d returned %ld", RQ_NB, ret);
		return -1;
	}
	for (i = 0; i < ret; i++) {
		rq_model[rq_n].len = rq_batch_len[i];
		rq_model[rq_n].seed = rq_op_seed + i;
		rq_n++;
	}
	rq_close();
	return rq_drain_check();
}

static int rq_setup_recv_batch(void)
{
	unsigned int i;

	if (rq_setup_two())
		return -1;
	for (i = 0; i < RQ_NB; i++) {
		rq_bm[i].ptr = (uintptr_t)rq_bbuf[i];
		rq_bm[i].len = sizeof(rq_bbuf[i]);
		rq_bm[i].result = 0xdeadbeef;
	}
	rq_fd = open(RQ_DEV, O_RDONLY | O_CLOEXEC);
	return rq_fd;
}

static long rq_op_recv_batch(void)
{
	return rq_op_batch(RUSTQUEUE_IOC_RECV_BATCH);
}

static int rq_check_recv_batch(long ret, int err, bool fired)
{
	long i;

	(void)fired;
	/* two are queued */
	if (ret == 0 || ret > 2 || (ret < 0 && !clean_errno(err))) {
		diag("RECV_BATCH of %d returned %ld", RQ_NB, ret);
		return -1;
	}
	for (i = 0; i < ret; i++) {
		if (!rq_msg_ok(rq_bbuf[i], rq_bm[i].result, 0)) {
			diag("RECV_BATCH element %ld: %u bytes, not the head message",
			     i, rq_bm[i].result);
			return -1;
		}
		memmove(rq_model, rq_model + 1, --rq_n * sizeof(rq_model[0]));
	}
	rq_close();
	return rq_drain_check();
}

/* -- module load and unload -- */
static int rq_setup_unloaded(void)
{
	rq_close();
	if (mod_loaded(RQ) && mod_unload(RQ))
		return -1;
	rq_n = 0;
	rq_fd = open(MODULE_DIR "/" RQ ".ko", O_RDONLY | O_CLOEXEC);
	return rq_fd;
}

static long rq_op_load(void)
{
	return syscall(SYS_finit_module, rq_fd, rq_ko_params, 0);
}

static int rq_check_load(long ret, int err, bool fired)
{
	(void)fired;
	rq_close();
	if (ret < 0) {
		if (!clean_errno(err))
			return -1;
		if (mod_loaded(RQ) || access(RQ_DEV, F_OK) == 0) {
			diag("a failed load left the module or its device");
			return -1;
		}
		return 0;
	}
	/* loaded: it must work */
	if (rq_put(100, 9))
		return -1;
	return rq_drain_check();
}

static int rq_setup_loaded(void)
{
	return rq_setup_two();
}

static long rq_op_unload(void)
{
	return syscall(SYS_delete_module, RQ, O_NONBLOCK);
}

static int rq_check_unload(long ret, int err, bool fired)
{
	(void)fired;
	if (ret == 0)
		return mod_loaded(RQ) ? -1 : 0;
	if (!clean_errno(err))
		return -1;
	return rq_drain_check();	/* still there, and intact */
}

static void rq_teardown(void)
{
	rq_close();
}

static void sweep_rustqueue(void)
{
	static const struct {
		struct sweep s;
		size_t len;
		int needs_ioctl;
	} sweeps[] = {
		{ { "open", rq_setup_two, rq_op_open, rq_check_unchanged,
		    rq_teardown }, 0, 0 },
		{ { "write 0 bytes", rq_setup_write, rq_op_write,
		    rq_check_write, rq_teardown }, 0, 0 },
		{ { "write 100 bytes", rq_setup_write, rq_op_write,
		    rq_check_write, rq_teardown }, 100, 0 },
		{ { "write 4096 bytes", rq_setup_write, rq_op_write,
		    rq_check_write, rq_teardown }, 4096, 0 },
		{ { "write 65536 bytes", rq_setup_write, rq_op_write,
		    rq_check_write, rq_teardown }, 65536, 0 },
		{ { "writev 3 pieces, 5000 bytes", rq_setup_write, rq_op_writev,
		    rq_check_write, rq_teardown }, 5000, 0 },
		{ { "read 8192 of a 3000-byte message", rq_setup_read,
		    rq_op_read, rq_check_read, rq_teardown }, 8192, 0 },
		{ { "read 1000 of a 3000-byte message", rq_setup_read,
		    rq_op_read, rq_check_read, rq_teardown }, 1000, 0 },
		{ { "readv 2 pieces", rq_setup_read, rq_op_readv,
		    rq_check_read, rq_teardown }, 4000, 0 },
		{ { "close a half-read message", rq_setup_close, rq_op_close,
		    rq_check_close, rq_teardown }, 0, 0 },
		{ { "packet mode: read", rq_setup_packet, rq_op_read,
		    rq_check_packet_read, rq_teardown }, 8192, 1 },
		{ { "packet mode: write 5000 bytes", rq_setup_packet,
		    rq_op_write, rq_check_write, rq_teardown }, 5000, 1 },
		{ { "ioctl GET_INFO", rq_setup_ioctl, rq_op_get_info,
		    rq_check_get_info, rq_teardown }, 0, 1 },
		{ { "ioctl SET_FLAGS", rq_setup_ioctl, rq_op_set_flags,
		    rq_check_set_flags, rq_teardown }, 0, 1 },
		{ { "ioctl FLUSH", rq_setup_ioctl, rq_op_flush,
		    rq_check_flush, rq_teardown }, 0, 1 },
		{ { "ioctl SET_CAPACITY", rq_setup_ioctl, rq_op_set_capacity,
		    rq_check_set_capacity, rq_teardown }, 0, 1 },
		{ { "ioctl SEND_BATCH of 3 (5000, 0, 70 bytes)",
		    rq_setup_send_batch, rq_op_send_batch, rq_check_send_batch,
		    rq_teardown }, 0, 1 },
		{ { "ioctl RECV_BATCH of 3 with 2 queued", rq_setup_recv_batch,
		    rq_op_recv_batch, rq_check_recv_batch, rq_teardown }, 0, 1 },
		{ { "insmod", rq_setup_unloaded, rq_op_load, rq_check_load,
		    rq_teardown }, 0, 0 },
		{ { "rmmod", rq_setup_loaded, rq_op_unload, rq_check_unload,
		    rq_teardown }, 0, 0 },
	};
	unsigned int i;

	mod_ensure_unloaded(RQ);
	if (rq_ensure_loaded()) {
		ok(0, "%s: load with %s", RQ, RQ_PARAMS);
		return;
	}
	/* the ioctls came with a later issue: sweep them if they are there */
	rq_fd = open(RQ_DEV, O_RDWR | O_CLOEXEC);
	rq_have_ioctl = ioctl(rq_fd, RUSTQUEUE_IOC_GET_INFO, &rq_info) == 0;
	rq_close();

	for (i = 0; i < sizeof(sweeps) / sizeof(sweeps[0]); i++) {
		if (sweeps[i].needs_ioctl && !rq_have_ioctl) {
			skip("this rustqueue.ko has no ioctls", "%s: %s", RQ,
			     sweeps[i].s.name);
			continue;
		}
		rq_op_len = sweeps[i].len;
		rq_op_seed = 100 + i;
		run_sweep(RQ, &sweeps[i].s);
	}
	rq_close();
	if (mod_loaded(RQ))
		ok(mod_unload(RQ) == 0 && rq_n == 0, "%s: unloads at the end", RQ);
	else
		ok(1, "%s: unloaded at the end", RQ);
	/* three queues: an init that fails half-way must undo the others */
	sweep_load_unload(RQ, "instances=3 verbose=0", "/dev/rustqueue0",
			  "/dev/rustqueue2");
}

/* ---- any module: load and unload -------------------------------------- */

static const char *gm_name, *gm_params, *gm_path, *gm_path2;
static char gm_params_buf[128];
static int gm_fd = -1;

static void gm_close(void)
{
	if (gm_fd >= 0)
		close(gm_fd);
	gm_fd = -1;
}

static int gm_setup_unloaded(void)
{
	char ko[256];

	gm_close();
	if (mod_loaded(gm_name) && mod_unload(gm_name))
		return -1;
	snprintf(ko, sizeof(ko), MODULE_DIR "/%s.ko", gm_name);
	snprintf(gm_params_buf, sizeof(gm_params_buf), "%s", gm_params);
	gm_fd = open(ko, O_RDONLY | O_CLOEXEC);
	return gm_fd;
}

static long gm_op_load(void)
{
	return syscall(SYS_finit_module, gm_fd, gm_params_buf, 0);
}

static int gm_check_load(long ret, int err, bool fired)
{
	(void)fired;
	gm_close();
	if (ret < 0) {
		if (!clean_errno(err))
			return -1;
		if (mod_loaded(gm_name) || access(gm_path, F_OK) == 0 ||
		    access(gm_path2, F_OK) == 0) {
			diag("a failed load left the module, %s or %s", gm_path,
			     gm_path2);
			return -1;
		}
		return 0;
	}
	if (access(gm_path, F_OK) || access(gm_path2, F_OK)) {
		diag("loaded, but no %s or no %s", gm_path, gm_path2);
		return -1;
	}
	return 0;
}

static int gm_setup_loaded(void)
{
	gm_close();
	if (!mod_loaded(gm_name) && mod_load(gm_name, gm_params))
		return -1;
	/* with a file opened and closed, so there is state to tear down */
	gm_fd = open(gm_path, O_RDWR | O_CLOEXEC);
	if (gm_fd < 0 || write(gm_fd, "state", 5) != 5)
		return -1;
	gm_close();
	return 0;
}

static long gm_op_unload(void)
{
	return syscall(SYS_delete_module, gm_name, O_NONBLOCK);
}

static int gm_check_unload(long ret, int err, bool fired)
{
	(void)fired;
	if (ret == 0) {
		if (mod_loaded(gm_name) || access(gm_path, F_OK) == 0 ||
		    access(gm_path2, F_OK) == 0) {
			diag("unloaded, but the module or %s is still there",
			     gm_path);
			return -1;
		}
		return 0;
	}
	return clean_errno(err) && mod_loaded(gm_name) ? 0 : -1;
}

static void gm_teardown(void)
{
	gm_close();
}

/* PATH (and PATH2) must exist exactly while the module is loaded */
static void sweep_load_unload(const char *name, const char *params,
			      const char *path, const char *path2)
{
	char lname[160], uname[160];
	struct sweep load = {
		lname, gm_setup_unloaded, gm_op_load, gm_check_load,
		gm_teardown
	};
	struct sweep unload = {
		uname, gm_setup_loaded, gm_op_unload, gm_check_unload,
		gm_teardown
	};

	snprintf(lname, sizeof(lname), "insmod %s", params);
	snprintf(uname, sizeof(uname), "rmmod (loaded with '%s')", params);

	gm_name = name;
	gm_params = params;
	gm_path = path;
	gm_path2 = path2;
	run_sweep(name, &load);
	run_sweep(name, &unload);
	mod_ensure_unloaded(name);
}

/* ---- rust_proc_ram_file -------------------------------------------------- */

#define RPF		"rust_proc_ram_file"
#define RPF_PATH	"/proc/rust-proc-file"
#define RPF_PARAMS	"max_size=1048576"
#define RPF_MAX		65536

/* the file's contents as they must be */
static unsigned char rpf_model[RPF_MAX], rpf_data[RPF_MAX];
static size_t rpf_size;
static int rpf_fd = -1;
static struct { long off; size_t len; int kind; } rpf_op;
enum { RPF_PWRITE, RPF_APPEND, RPF_WRITEV, RPF_PREAD, RPF_TRUNC, RPF_OPEN };

static void rpf_close(void)
{
	if (rpf_fd >= 0)
		close(rpf_fd);
	rpf_fd = -1;
}

static void rpf_apply(long off, const unsigned char *p, size_t n)
{
	if (off + n > rpf_size) {
		if ((size_t)off > rpf_size)
			memset(rpf_model + rpf_size, 0, off - rpf_size);
		rpf_size = off + n;
	}
	memcpy(rpf_model + off, p, n);
}

/* The file must be the model: size (stat) and every byte. */
static int rpf_verify(void)
{
	struct stat st;
	ssize_t n;
	int fd = open(RPF_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		diag("verify: open/stat: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	n = pread(fd, rpf_data, sizeof(rpf_data), 0);
	close(fd);
	if ((size_t)st.st_size != rpf_size || n != (ssize_t)rpf_size) {
		diag("verify: size %lld, read %zd bytes, want %zu",
		     (long long)st.st_size, n, rpf_size);
		return -1;
	}
	for (n = 0; (size_t)n < rpf_size; n++) {
		if (rpf_data[n] != rpf_model[n]) {
			diag("verify: byte %zd is %#x, want %#x", n,
			     rpf_data[n], rpf_model[n]);
			return -1;
		}
	}
	return 0;
}

/*
 * Start: 6000 bytes at 0 (pages 0-1), a hole (page 2), 100 bytes at
 * 12288 (page 3).
 */
static int rpf_setup(void)
{
	int fd;

	rpf_close();
	if (!mod_loaded(RPF) && mod_load(RPF, RPF_PARAMS))
		return -1;
	fd = open(RPF_PATH, O_RDWR | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rpf_size = 0;
	fill(rq_buf, 6000, 1);
	if (pwrite(fd, rq_buf, 6000, 0) != 6000)
		return close(fd), -1;
	rpf_apply(0, rq_buf, 6000);
	fill(rq_buf, 100, 2);
	if (pwrite(fd, rq_buf, 100, 12288) != 100)
		return close(fd), -1;
	rpf_apply(12288, rq_buf, 100);
	close(fd);
	if (rpf_op.kind == RPF_OPEN || rpf_op.kind == RPF_TRUNC)
		return 0;
	rpf_fd = open(RPF_PATH, (rpf_op.kind == RPF_APPEND ?
				 O_WRONLY | O_APPEND : O_RDWR) | O_CLOEXEC);
	fill(rq_buf, rpf_op.len, 3);
	return rpf_fd;
}

static long rpf_do(void)
{
	struct iovec iov[3];

	switch (rpf_op.kind) {
	case RPF_PWRITE:
		return pwrite(rpf_fd, rq_buf, rpf_op.len, rpf_op.off);
	case RPF_APPEND:
		return write(rpf_fd, rq_buf, rpf_op.len);
	case RPF_WRITEV:
		iov[0].iov_base = rq_buf;
		iov[0].iov_len = 1000;
		iov[1].iov_base = rq_buf + 1000;
		iov[1].iov_len = 0;
		iov[2].iov_base = rq_buf + 1000;
		iov[2].iov_len = rpf_op.len - 1000;
		return pwritev(rpf_fd, iov, 3, rpf_op.off);
	case RPF_PREAD:
		return pread(rpf_fd, rpf_data, rpf_op.len, rpf_op.off);
	case RPF_TRUNC:
		rpf_fd = open(RPF_PATH, O_RDWR | O_TRUNC | O_CLOEXEC);
		return rpf_fd;
	default:
		rpf_fd = open(RPF_PATH, O_RDWR | O_CLOEXEC);
		return rpf_fd;
	}
}

static int rpf_check(long ret, int err, bool fired)
{
	long off = rpf_op.kind == RPF_APPEND ? (long)rpf_size : rpf_op.off;

	(void)fired;
	if (ret < 0 && !clean_errno(err))
		return -1;
	switch (rpf_op.kind) {
	case RPF_PWRITE:
	case RPF_APPEND:
	case RPF_WRITEV:
		/* all, or a short write saying how much, or nothing */
		if (ret == 0 || ret > (long)rpf_op.len)
			return -1;
		if (ret > 0)
			rpf_apply(off, rq_buf, ret);
		break;
	case RPF_PREAD:
		if (ret > (long)rpf_op.len ||
		    (ret > 0 && memcmp(rpf_data, rpf_model + off, ret))) {
			diag("pread returned %ld bytes not matching the file",
			     ret);
			return -1;
		}
		break;
	case RPF_TRUNC:
		if (ret >= 0)
			rpf_size = 0;
		break;
	}
	rpf_close();
	return rpf_verify();
}

static void rpf_teardown(void)
{
	rpf_close();
}

static void sweep_rust_proc_ram_file(void)
{
	static const struct {
		const char *name;
		long off;
		size_t len;
		int kind;
	} ops[] = {
		{ "open", 0, 0, RPF_OPEN },
		{ "open O_TRUNC", 0, 0, RPF_TRUNC },
		{ "pwrite 5000 over data (pages 0-1)", 500, 5000, RPF_PWRITE },
		{ "pwrite 5000 from data into the hole", 7000, 5000, RPF_PWRITE },
		{ "pwrite 9000 past the end", 20000, 9000, RPF_PWRITE },
		{ "write O_APPEND 3000", 0, 3000, RPF_APPEND },
		{ "pwritev 3 pieces over data and hole", 4000, 6000, RPF_WRITEV },
		{ "pread 9000 across data and hole", 2000, 9000, RPF_PREAD },
	};
	struct sweep s = { NULL, rpf_setup, rpf_do, rpf_check, rpf_teardown };
	unsigned int i;

	mod_ensure_unloaded(RPF);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		rpf_op.off = ops[i].off;
		rpf_op.len = ops[i].len;
		rpf_op.kind = ops[i].kind;
		s.name = ops[i].name;
		run_sweep(RPF, &s);
	}
	rpf_close();
	sweep_load_unload(RPF, RPF_PARAMS, RPF_PATH, RPF_PATH);
}

/* ---- rustecho ------------------------------------------------------------ */

#define RE		"rustecho"
#define RE_DEV		"/dev/rustecho"
#define RE_PARAMS	"verbose=0 max_size=1048576"

static int re_fd = -1;
static size_t re_old_len = 3000, re_op_len;
static int re_op_kind;		/* 0 write, 1 writev, 2 read, 3 open */

static void re_close(void)
{
	if (re_fd >= 0)
		close(re_fd);
	re_fd = -1;
}

static int re_setup(void)
{
	re_close();
	if (!mod_loaded(RE) && mod_load(RE, RE_PARAMS))
		return -1;
	re_fd = open(RE_DEV, O_RDWR | O_CLOEXEC);
	fill(rq_buf, re_old_len, 5);
	if (re_fd < 0 || write(re_fd, rq_buf, re_old_len) != (ssize_t)re_old_len)
		return -1;
	if (re_op_kind == 3) {
		re_close();
		return 0;
	}
	fill(rq_buf, re_op_len, 6);
	return 0;
}

static long re_do(void)
{
	struct iovec iov[2] = {
		{ rq_buf, 7 }, { rq_buf + 7, re_op_len - 7 },
	};

	switch (re_op_kind) {
	case 0:
		return write(re_fd, rq_buf, re_op_len);
	case 1:
		return writev(re_fd, iov, 2);
	case 2:
		return pread(re_fd, rq_got, sizeof(rq_got), 0);
	default:
		re_fd = open(RE_DEV, O_RDWR | O_CLOEXEC);
		return re_fd;
	}
}

/* the device holds the old message or, after a write, the new one */
static int re_check(long ret, int err, bool fired)
{
	bool replaced = re_op_kind <= 1 && ret == (long)re_op_len;
	size_t want = replaced ? re_op_len : re_old_len;
	ssize_t n;
	int fd;

	(void)fired;
	if (ret < 0 && !clean_errno(err))
		return -1;
	if (re_op_kind <= 1 && ret >= 0 && !replaced)
		return -1;		/* a write is all or nothing */
	if (re_op_kind == 2 && ret >= 0) {
		fill(rq_buf, re_old_len, 5);
		if (ret != (long)re_old_len || memcmp(rq_got, rq_buf, ret))
			return -1;
	}
	re_close();
	fd = open(RE_DEV, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, rq_got, sizeof(rq_got), 0);
	close(fd);
	fill(rq_buf, want, replaced ? 6 : 5);
	if (n != (ssize_t)want || memcmp(rq_got, rq_buf, want)) {
		diag("the device holds %zd bytes, not the %s %zu", n,
		     replaced ? "new" : "old", want);
		return -1;
	}
	return 0;
}

static void re_teardown(void)
{
	re_close();
}

static void sweep_rustecho(void)
{
	static const struct {
		const char *name;
		size_t len;
		int kind;
	} ops[] = {
		{ "open", 0, 3 },
		{ "write 100 bytes", 100, 0 },
		{ "write 65536 bytes", 65536, 0 },
		{ "writev 2 pieces, 5000 bytes", 5000, 1 },
		{ "read", 0, 2 },
	};
	struct sweep s = { NULL, re_setup, re_do, re_check, re_teardown };
	unsigned int i;

	mod_ensure_unloaded(RE);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		re_op_len = ops[i].len;
		re_op_kind = ops[i].kind;
		s.name = ops[i].name;
		run_sweep(RE, &s);
	}
	re_close();
	sweep_load_unload(RE, RE_PARAMS, RE_DEV, RE_DEV);
	sweep_load_unload(RE, "instances=3 verbose=0", "/dev/rustecho0",
			  "/dev/rustecho2");
}

/* ---- mydevice ------------------------------------------------------------ */

#define MD		"mydevice"
#define MD_DEV		"/dev/mydevice"
/* the ioctl numbers of include/uapi/linux/mydevice.h */
#define MD_SET_VALUE	_IOW('J', 2, __u32)
#define MD_GET_VALUE	_IOR('J', 5, __u32)
#define MD_COPY_BUF	_IOW('J', 4, struct { __u64 ptr; __u64 len; })

static int md_fd = -1;
static int md_op_kind;	/* 0 write, 1 read, 2 SET_VALUE, 3 COPY_BUF, 4 open */
static struct { __u64 ptr; __u64 len; } md_ub;
static __u32 md_val;

static void md_close(void)
{
	if (md_fd >= 0)
		close(md_fd);
	md_fd = -1;
}

/* empty the ring; returns its bytes in rq_got, and how many */
static ssize_t md_drain(void)
{
	int fd = open(MD_DEV, O_RDWR | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, rq_got, 4096);
	close(fd);
	return n;
}

/* the ring starts with 100 known bytes */
static int md_setup(void)
{
	md_close();
	if (!mod_loaded(MD) && mod_load(MD, ""))
		return -1;
	if (md_drain() < 0)
		return -1;
	md_fd = open(MD_DEV, O_RDWR | O_CLOEXEC);
	fill(rq_buf, 100, 7);
	if (md_fd < 0 || write(md_fd, rq_buf, 100) != 100)
		return -1;
	if (md_op_kind == 4)
		md_close();
	fill(rq_buf + 100, 100, 8);
	md_ub.ptr = (unsigned long)(rq_buf + 100);
	md_ub.len = 100;
	md_val = 0;
	return 0;
}

static long md_do(void)
{
	switch (md_op_kind) {
	case 0:
		return write(md_fd, rq_buf + 100, 100);
	case 1:
		return read(md_fd, rq_got, 60);
	case 2:
		md_val = 42;
		return ioctl(md_fd, MD_SET_VALUE, &md_val);
	case 3:
		return ioctl(md_fd, MD_COPY_BUF, &md_ub);
	default:
		md_fd = open(MD_DEV, O_RDWR | O_CLOEXEC);
		return md_fd;
	}
}

/* the ring holds exactly what the result says it should */
static int md_check(long ret, int err, bool fired)
{
	unsigned char want[256];
	size_t wlen = 100;
	ssize_t n;
	__u32 v = 0;

	(void)fired;
	if (ret < 0 && !clean_errno(err))
		return -1;
	fill(want, 100, 7);
	switch (md_op_kind) {
	case 0:
		if (ret > 0)
			memcpy(want + 100, rq_buf + 100, ret), wlen += ret;
		break;
	case 1:
		if (ret > 0) {
			if (memcmp(rq_got, want, ret))
				return -1;
			memmove(want, want + ret, 100 - ret);
			wlen -= ret;
		}
		break;
	case 2:
		if (ioctl(md_fd, MD_GET_VALUE, &v) ||
		    v != (ret == 0 ? 42U : 0U)) {
			diag("value %u after SET_VALUE returned %ld", v, ret);
			return -1;
		}
		break;
	case 3:
		if (ret >= 0) {
			if (ret != 100)
				return -1;
			memcpy(want, rq_buf + 100, 100);
		}
		break;
	}
	md_close();
	n = md_drain();
	if (n != (ssize_t)wlen || memcmp(rq_got, want, wlen)) {
		diag("the ring holds %zd bytes, want %zu", n, wlen);
		return -1;
	}
	return 0;
}

static void md_teardown(void)
{
	md_close();
}

static void sweep_mydevice(void)
{
	static const struct {
		const char *name;
		int kind;
	} ops[] = {
		{ "open", 4 },
		{ "write 100 bytes", 0 },
		{ "read 60 bytes", 1 },
		{ "ioctl SET_VALUE", 2 },
		{ "ioctl COPY_BUF", 3 },
	};
	struct sweep s = { NULL, md_setup, md_do, md_check, md_teardown };
	unsigned int i;

	mod_ensure_unloaded(MD);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		md_op_kind = ops[i].kind;
		s.name = ops[i].name;
		run_sweep(MD, &s);
	}
	md_close();
	sweep_load_unload(MD, "", MD_DEV, MD_DEV);
}

/* ---- main --------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*run)(void);
} modules[] = {
	{ RQ, sweep_rustqueue },
	{ RPF, sweep_rust_proc_ram_file },
	{ RE, sweep_rustecho },
	{ MD, sweep_mydevice },
};

static bool wanted(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	unsigned int i;
	int ret, j, nk = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* no page faults while armed: they would take the failures */
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		bail_out("mlockall: %s", strerror(errno));
	ret = fi_setup();
	if (ret == -ENOENT) {
		skip("no fault injection in this kernel", "fault injection");
		return done_testing();
	}
	if (ret)
		bail_out("cannot set up fault injection: %s", strerror(-ret));

	for (i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		char ko[256];

		if (!wanted(modules[i].name, argc, argv))
			continue;
		snprintf(ko, sizeof(ko), MODULE_DIR "/%s.ko", modules[i].name);
		if (access(ko, F_OK)) {
			skip("not built", "%s", modules[i].name);
			continue;
		}
		modules[i].run();
	}

	diag("%d injected failures; %d distinct sites%s:", total_fired,
	     fi_nsites, fi_sites_overflow ? " (list full)" : "");
	for (j = 0; j < fi_nsites; j++) {
		if (!strchr(fi_sites[j], '['))
			nk++;
		diag("  %s", fi_sites[j]);
	}
	for (i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
		diag("sites in %s: %d", modules[i].name,
		     fi_count_sites(modules[i].name, true));
	diag("sites in the kernel on those paths: %d", nk);
	return done_testing();
}
