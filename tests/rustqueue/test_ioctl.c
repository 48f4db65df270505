// SPDX-License-Identifier: GPL-2.0
/*
 * rustqueue control ioctls, packet mode, FIONREAD, statistics and
 * /proc/rustqueue.  TEST_ALSO_M32: the Makefile also builds this as a
 * 32-bit program, test_ioctl_m32, which goes through compat_ioctl.
 */
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "rqtest.h"

#define DEV RUSTQUEUE_DEVICE
#define MOD "rustqueue"

static int open_mode(int oflags, unsigned int mode)
{
	return rq_open_mode(DEV, oflags, mode);
}

#define info_of rq_info

static void test_abi(void)
{
	ok(sizeof(struct rustqueue_info) == 80,
	   "struct rustqueue_info is 80 bytes in this ABI (%zu-bit)",
	   sizeof(long) * 8);
}

static void test_flags(void)
{
	int fd = open(DEV, O_RDWR);
	unsigned int v = 12345;

	is_int(ioctl(fd, RUSTQUEUE_IOC_GET_FLAGS, &v), 0, "GET_FLAGS");
	is_int(v, 0, "a new open is in stream mode, not waiting");
	v = 4;
	is_errno(ioctl(fd, RUSTQUEUE_IOC_SET_FLAGS, &v), EINVAL,
		 "SET_FLAGS with an unknown bit: EINVAL");
	v = RUSTQUEUE_F_PACKET | RUSTQUEUE_F_BLOCK;
	is_int(ioctl(fd, RUSTQUEUE_IOC_SET_FLAGS, &v), 0, "SET_FLAGS packet|block");
	v = 0;
	ioctl(fd, RUSTQUEUE_IOC_GET_FLAGS, &v);
	is_int(v, RUSTQUEUE_F_PACKET | RUSTQUEUE_F_BLOCK, "GET_FLAGS reads it back");
	is_int(info_of(fd).flags, RUSTQUEUE_F_PACKET | RUSTQUEUE_F_BLOCK,
	       "GET_INFO reports this open's flags");
	is_errno(ioctl(fd, RUSTQUEUE_IOC_SET_FLAGS, bad_address()), EFAULT,
		 "SET_FLAGS from a bad pointer: EFAULT");
	ioctl(fd, RUSTQUEUE_IOC_GET_FLAGS, &v);
	is_int(v, RUSTQUEUE_F_PACKET | RUSTQUEUE_F_BLOCK, "and the flags are unchanged");
	close(fd);
}

static void test_unknown(void)
{
	int fd = open(DEV, O_RDWR);
	char buf[256];
	unsigned int v = 0;

	is_errno(ioctl(fd, _IO(RUSTQUEUE_IOC_MAGIC, 99), 0), ENOTTY, "unknown nr: ENOTTY");
	is_errno(ioctl(fd, _IOR('J', 0, unsigned int), &v), ENOTTY, "foreign magic: ENOTTY");
	is_errno(ioctl(fd, _IOR(RUSTQUEUE_IOC_MAGIC, 0, int), &v), ENOTTY,
		 "GET_INFO number with the wrong size: ENOTTY");
	is_errno(ioctl(fd, _IOW(RUSTQUEUE_IOC_MAGIC, 0, struct rustqueue_info), buf),
		 ENOTTY, "GET_INFO number with the wrong direction: ENOTTY");
	is_errno(ioctl(fd, RUSTQUEUE_IOC_GET_INFO, bad_address()), EFAULT,
		 "GET_INFO to a bad pointer: EFAULT");
	close(fd);
}

/* Packet mode: one read, one message; EMSGSIZE keeps it; FIONREAD. */
static void test_packet(void)
{
	int w = open(DEV, O_WRONLY), r = open_mode(O_RDONLY, RUSTQUEUE_F_PACKET);
	char buf[64], a[10], b[10];
	struct iovec iov[2];
	int n = -1;

	is_errno(read(r, buf, sizeof(buf)), EAGAIN, "packet read of an empty queue: EAGAIN");
	is_int(ioctl(r, FIONREAD, &n), 0, "FIONREAD on an empty queue");
	is_int(n, 0, "... is 0");
	write(w, "hello world", 11);
	write(w, "", 0);
	write(w, "xyz", 3);
	ioctl(r, FIONREAD, &n);
	is_int(n, 11, "FIONREAD: the next message is 11 bytes");
	is_errno(read(r, buf, 5), EMSGSIZE, "a 5-byte buffer for it: EMSGSIZE");
	is_int(info_of(r).count, 3, "the message is still queued");
	memset(buf, 0, sizeof(buf));
	ok(read(r, buf, sizeof(buf)) == 11 && !strcmp(buf, "hello world"),
	   "a big enough buffer gets exactly that message");
	is_int(read(r, buf, sizeof(buf)), 0, "the empty message reads as 0 bytes");
	is_int(read(r, buf, sizeof(buf)), 3, "then the next message, on the same fd");
	is_errno(read(r, buf, sizeof(buf)), EAGAIN, "then EAGAIN");

	/* writev makes one message; readv spreads one across buffers */
	iov[0].iov_base = "0123456789";
	iov[0].iov_len = 10;
	iov[1].iov_base = "abcdefghij";
	iov[1].iov_len = 10;
	is_int(writev(w, iov, 2), 20, "writev of 2 x 10 bytes");
	ioctl(r, FIONREAD, &n);
	is_int(n, 20, "is one 20-byte message");
	iov[0].iov_base = a;
	iov[1].iov_base = b;
	is_int(readv(r, iov, 2), 20, "readv gets it whole");
	ok(!memcmp(a, "0123456789", 10) && !memcmp(b, "abcdefghij", 10),
	   "split across the two buffers in order");
	close(r);
	close(w);
}

/* A faulting packet read puts the message back at the head. */
static void test_packet_efault(void)
{
	int w = open(DEV, O_WRONLY), r = open_mode(O_RDONLY, RUSTQUEUE_F_PACKET);
	char buf[16];

	write(w, "one", 3);
	write(w, "two", 3);
	is_errno(read(r, bad_address(), 16), EFAULT, "packet read into a bad pointer: EFAULT");
	is_int(info_of(r).count, 2, "both messages still queued");
	memset(buf, 0, sizeof(buf));
	ok(read(r, buf, sizeof(buf)) == 3 && !strcmp(buf, "one"),
	   "and the first is still first");
	read(r, buf, sizeof(buf));
	close(r);
	close(w);
}

/* FIONREAD in stream mode follows the message the open file holds. */
static void test_fionread_stream(void)
{
	int w = open(DEV, O_WRONLY), r = open(DEV, O_RDONLY), n = -1;
	char buf[8];

	write(w, "0123456789", 10);
	ioctl(r, FIONREAD, &n);
	is_int(n, 10, "stream FIONREAD before the first read: head size");
	read(r, buf, 4);
	ioctl(r, FIONREAD, &n);
	is_int(n, 6, "after reading 4 of 10: 6 left");
	n = RUSTQUEUE_F_PACKET;
	is_errno(ioctl(r, RUSTQUEUE_IOC_SET_FLAGS, &n), EBUSY,
		 "packet mode refused while a stream message is half read");
	read(r, buf, 8);
	ioctl(r, FIONREAD, &n);
	is_int(n, 0, "read to its end: 0");
	close(r);
	close(w);
}

static void test_flush(void)
{
	int w = open(DEV, O_WRONLY), r = open(DEV, O_RDONLY), i;
	struct rustqueue_info info;

	for (i = 0; i < 5; i++)
		write(w, "flush me", 8);
	is_errno(ioctl(r, RUSTQUEUE_IOC_FLUSH), EBADF,
		 "FLUSH on a read-only open: EBADF");
	is_int(info_of(r).count, 5, "and nothing was dropped");
	is_int(ioctl(w, RUSTQUEUE_IOC_FLUSH), 5, "FLUSH returns how many it dropped: 5");
	info = info_of(w);
	ok(info.count == 0 && info.bytes == 0, "the queue is empty (count 0, bytes 0)");
	is_int(ioctl(w, RUSTQUEUE_IOC_FLUSH), 0, "FLUSH of an empty queue: 0");
	close(r);
	close(w);
}

static int drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	return syscall(SYS_capset, &hdr, data);
}

static void test_capacity(void)
{
	int fd = open(DEV, O_RDWR), i, status = -1;
	unsigned int v;
	pid_t pid;

	for (i = 0; i < 10; i++)
		write(fd, "c", 1);
	v = 0;
	is_errno(ioctl(fd, RUSTQUEUE_IOC_SET_CAPACITY, &v), EINVAL, "capacity 0: EINVAL");
	v = 65537;
	is_errno(ioctl(fd, RUSTQUEUE_IOC_SET_CAPACITY, &v), EINVAL, "capacity 65537: EINVAL");
	v = 9;
	is_errno(ioctl(fd, RUSTQUEUE_IOC_SET_CAPACITY, &v), EBUSY,
		 "shrinking below the 10 queued: EBUSY");
	ok(info_of(fd).capacity == 16 && info_of(fd).count == 10,
	   "nothing changed, nothing dropped");
	v = 10;
	is_int(ioctl(fd, RUSTQUEUE_IOC_SET_CAPACITY, &v), 0, "shrinking to exactly 10");
	is_errno(write(fd, "c", 1), ENOSPC, "the queue is now full");
	v = 32;
	is_int(ioctl(fd, RUSTQUEUE_IOC_SET_CAPACITY, &v), 0, "growing to 32");
	is_int(write(fd, "c", 1), 1, "room again");
	is_int(info_of(fd).capacity, 32, "GET_INFO shows capacity 32");

	pid = fork();
	if (pid == 0) {
		v = 64;
		if (drop_cap_sys_admin())
			_exit(3);
		if (ioctl(fd, RUSTQUEUE_IOC_SET_CAPACITY, &v) == -1 && errno == EPERM)
			_exit(0);
		_exit(1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "without CAP_SYS_ADMIN: EPERM");
	is_int(info_of(fd).capacity, 32, "and the capacity is unchanged");
	ioctl(fd, RUSTQUEUE_IOC_FLUSH);
	close(fd);
}

/* Statistics after a known sequence, by ioctl and in /proc/rustqueue. */
static void test_stats(void)
{
	int fd = open(DEV, O_RDWR), p = open_mode(O_RDONLY, RUSTQUEUE_F_PACKET), i;
	static char big[4097];
	struct rustqueue_info s;
	char procbuf[1024], want[512], buf[64];

	for (i = 0; i < 16; i++)
		write(fd, "12345", 5);		/* 16 x 5 bytes */
	write(fd, "x", 1);			/* rejected: full */
	write(fd, "y", 1);			/* rejected: full */
	for (i = 0; i < 4; i++)
		read(p, buf, sizeof(buf));	/* 4 dequeued */
	write(fd, big, 4097);			/* rejected: too big */
	write(fd, big, 4096);			/* enqueued */
	s = info_of(fd);
	is_int(s.count, 13, "count 13");
	is_int(s.capacity, 16, "capacity 16");
	is_int(s.max_msg_size, 4096, "max_msg_size 4096");
	is_int(s.bytes, 12 * 5 + 4096, "bytes 4156");
	is_int(s.enqueued, 17, "enqueued 17");
	is_int(s.dequeued, 4, "dequeued 4");
	is_int(s.rejected_full, 2, "rejected_full 2");
	is_int(s.rejected_size, 1, "rejected_size 1");
	is_int(s.high_watermark, 16, "high_watermark 16");
	is_int(s.waiting_readers + s.waiting_writers, 0, "no waiters");
	is_int(s.instance, 0, "instance 0");
	is_int(ioctl(fd, RUSTQUEUE_IOC_FLUSH), 13, "flush drops 13");
	is_int(info_of(fd).flushed, 13, "flushed 13");

	read_file("/proc/rustqueue", procbuf, sizeof(procbuf));
	snprintf(want, sizeof(want),
		 "version: 2.0\n"
		 "queue count capacity max_msg_size bytes enqueued dequeued rejected_full rejected_size flushed high_watermark waiting_readers waiting_writers\n"
		 "rustqueue 0 16 4096 0 17 4 2 1 13 16 0 0\n");
	ok(!strcmp(procbuf, want), "/proc/rustqueue shows the same figures");
	if (strcmp(procbuf, want))
		diag("got: %s", procbuf);
	close(p);
	close(fd);
}

int main(void)
{
	test_abi();
	mod_reload_or_bail(MOD, "verbose=0");
	test_flags();
	test_unknown();
	test_packet();
	test_packet_efault();
	test_fionread_stream();
	test_flush();
	test_capacity();
	mod_reload_or_bail(MOD, "verbose=0");
	test_stats();
	is_int(mod_unload(MOD), 0, "unload");
	return done_testing();
}
