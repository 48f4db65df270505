// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of mydevice.ko through the C API: every exercise of the
 * ioctl lab (seed 001) and of the reading and writing lab (seed 000), and
 * issue 6's boundaries: whole-number ioctl matching, bad pointers,
 * per-open state across processes, fdinfo, the 256-byte ring, unload.
 *
 * TEST_ALSO_M32: this file is also built as a 32-bit program,
 * test_mydevice_m32, which runs every test through compat_ioctl.
 *
 * Expected values are the labs' (41 -> 42, 100, ...) or worked out by
 * hand from the ioctl bit layout, never taken from the module.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/mydevice.h>

#include "tap.h"
#include "guest.h"

/*
 * The module's own check of COPY_BUF's user address (mydevice/uptr.h),
 * compiled here with stand-ins for the kernel's types: in the 32-bit
 * build unsigned long has the width it has in a 32-bit kernel.
 */
typedef uint64_t u64;
#define __user
#define u64_to_user_ptr(x) ((void *)(uintptr_t)(x))
#include "../../mydevice/uptr.h"

#define DEV "/dev/mydevice"
#define MOD "mydevice"
#define RING 256		/* the lab's [u8; 256] */
/* seed 000 exercise 4 as written: "_IOW with a data size of u64" */
#define SEED_COPY_BUF _IOW('J', 4, uint64_t)

static long page;
static char *good_page;		/* mapped, read-write */
static char *hole;		/* the page right after it: unmapped */
static char *ro_page;		/* mapped read-only */

static int dev_open(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		bail_out("open %s: %s", DEV, strerror(errno));
	return fd;
}

static void setup_memory(void)
{
	char *map;

	page = sysconf(_SC_PAGESIZE);
	map = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		bail_out("mmap: %s", strerror(errno));
	good_page = map;
	hole = map + page;
	ro_page = map + 2 * page;
	memset(ro_page, 0x5a, page);
	if (munmap(hole, page) || mprotect(ro_page, page, PROT_READ))
		bail_out("munmap/mprotect: %s", strerror(errno));
}

/* read everything the ring holds through a fresh open */
static ssize_t drain(void *buf, size_t size)
{
	int fd = dev_open();
	ssize_t n, total = 0;

	while ((size_t)total < size &&
	       (n = read(fd, (char *)buf + total, size - total)) > 0)
		total += n;
	close(fd);
	return total;
}

static int ioctl_u32(int fd, unsigned long cmd, uint32_t in, uint32_t *out)
{
	uint32_t v = in;
	int ret = ioctl(fd, cmd, &v);

	if (out)
		*out = v;
	return ret;
}

static void test_numbers(void)
{
	/* _IOC(dir, 'J', nr, size), worked out by hand: dir<<30|size<<16|'J'<<8|nr */
	static const struct {
		unsigned long got, want;
		const char *name;
	} n[] = {
		{ MYDEVICE_IOC_PING,         0x00004a00, "PING = _IO('J',0)" },
		{ MYDEVICE_IOC_GET_VERSION,  0x80044a01, "GET_VERSION = _IOR('J',1,u32)" },
		{ MYDEVICE_IOC_SET_VALUE,    0x40044a02, "SET_VALUE = _IOW('J',2,u32)" },
		{ MYDEVICE_IOC_TRANSFORM,    0xc0044a03, "TRANSFORM = _IOWR('J',3,u32)" },
		{ MYDEVICE_IOC_GET_VALUE,    0x80044a05, "GET_VALUE = _IOR('J',5,u32)" },
		{ MYDEVICE_IOC_INCREMENT,    0xc0044a00, "INCREMENT = _IOWR('J',0,u32)" },
		{ MYDEVICE_IOC_SET_COUNTER,  0x40044a01, "SET_COUNTER = _IOW('J',1,u32)" },
		{ MYDEVICE_IOC_GET_COUNTER,  0x80044a02, "GET_COUNTER = _IOR('J',2,u32)" },
		{ MYDEVICE_IOC_NEGATE_POINT, 0xc0084a03, "NEGATE_POINT = _IOWR('J',3,point)" },
		{ MYDEVICE_IOC_COPY_BUF,     0x40104a04, "COPY_BUF = _IOW('J',4,userbuf)" },
	};
	unsigned int i, j, distinct = 1;

	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		is_int(n[i].got, n[i].want, "%s = %#010lx", n[i].name, n[i].want);
		for (j = 0; j < i; j++)
			if (n[i].got == n[j].got)
				distinct = 0;
	}
	ok(distinct, "the ten ioctl numbers are distinct");
	is_int(sizeof(struct mydevice_point), 8, "struct mydevice_point: 8 bytes");
	is_int(sizeof(struct mydevice_userbuf), 16, "struct mydevice_userbuf: 16 bytes");
	ok(offsetof(struct mydevice_userbuf, ptr) == 0 &&
	   offsetof(struct mydevice_userbuf, len) == 8,
	   "userbuf: ptr at 0, len at 8 (one layout for 32 and 64 bits)");
}

static void test_load(void)
{
	int k = kmsg_open();
	struct stat st = { 0 };
	char *log;

	mod_ensure_unloaded(MOD);
	is_int(mod_load(MOD, NULL), 0, "insmod mydevice.ko");
	log = kmsg_collect(k);
	/* seed 001 exercise 6: 0x80044a01 decoded by hand */
	is_int(log_count(log, "mydevice: GET_VERSION = 0x80044a01: dir=read size=4 type='J' (0x4a) nr=1"),
	       1, "dmesg at load: GET_VERSION's number and its decoded fields");
	free(log);
	close(k);
	ok(stat(DEV, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 10,
	   DEV " is a misc character device (major 10)");
	is_int(st.st_mode & 07777, 0600, DEV " has mode 0600");
	/* issue 13 finding 7 (parameters written at run time): none here */
	ok(access("/sys/module/" MOD "/parameters", F_OK) && errno == ENOENT,
	   "no module parameters at all");
}

/* Seed 001, exercises 1-4 and 7 */
static void test_seed001_basic(void)
{
	int fd = dev_open(), k;
	uint32_t v = 0;
	char *log;

	is_int(ioctl(fd, MYDEVICE_IOC_PING), 0, "ex1: PING returns 0");
	is_int(ioctl(fd, MYDEVICE_IOC_PING, (void *)hole), 0,
	       "ex1: PING ignores its argument");
	is_int(ioctl_u32(fd, MYDEVICE_IOC_GET_VERSION, 0, &v), 0, "ex2: GET_VERSION succeeds");
	is_int(v, 1, "ex2: the version is 1");

	is_int(ioctl_u32(fd, MYDEVICE_IOC_GET_VALUE, 99, &v), 0, "ex7: GET_VALUE on a fresh open");
	is_int(v, 0, "ex7: a fresh open's value is 0");
	k = kmsg_open();
	is_int(ioctl_u32(fd, MYDEVICE_IOC_SET_VALUE, 42, NULL), 0, "ex3: SET_VALUE 42");
	is_int(ioctl_u32(fd, MYDEVICE_IOC_SET_VALUE, 4294967295u, NULL), 0,
	       "ex3: SET_VALUE 4294967295");
	log = kmsg_collect(k);
	is_int(log_count(log, "mydevice: received value: 42"), 1,
	       "ex3: dmesg: mydevice: received value: 42");
	is_int(log_count(log, "mydevice: received value: 4294967295"), 1,
	       "ex3: dmesg: mydevice: received value: 4294967295 (unsigned)");
	free(log);
	close(k);
	is_int(ioctl_u32(fd, MYDEVICE_IOC_SET_VALUE, 7, NULL), 0, "ex7: SET_VALUE 7");
	is_int(ioctl_u32(fd, MYDEVICE_IOC_GET_VALUE, 0, &v), 0, "ex7: GET_VALUE");
	is_int(v, 7, "ex7: GET_VALUE returns the 7 this open set");

	is_int(ioctl_u32(fd, MYDEVICE_IOC_TRANSFORM, 21, &v), 0, "ex4: TRANSFORM 21");
	is_int(v, 42, "ex4: TRANSFORM 21 -> 42");
	ioctl_u32(fd, MYDEVICE_IOC_TRANSFORM, 0x80000001u, &v);
	is_int(v, 2, "ex4: TRANSFORM 0x80000001 -> 2 (modulo 2^32)");
	close(fd);
}

static void test_unknown(void)
{
	/* valid pointer, so that only the number can be wrong */
	static const struct {
		unsigned long nr;
		const char *what;
	} bad[] = {
		{ _IO('J', 99), "_IO('J',99): the lab's bogus command" },
		{ _IOR('J', 99, uint32_t), "_IOR('J',99,u32): unknown nr" },
		{ _IOR('J', 6, uint32_t), "_IOR('J',6,u32): next free nr" },
		{ _IO('K', 0), "_IO('K',0): PING's nr with a foreign magic" },
		{ _IOR('K', 1, uint32_t), "_IOR('K',1,u32): foreign magic" },
		{ _IOWR('j', 0, uint32_t), "_IOWR('j',0,u32): magic in lower case" },
		{ _IOR('J', 1, uint64_t), "_IOR('J',1,u64): GET_VERSION with size 8" },
		{ _IOR('J', 1, uint16_t), "_IOR('J',1,u16): GET_VERSION with size 2" },
		{ _IOW('J', 2, uint64_t), "_IOW('J',2,u64): SET_VALUE with size 8" },
		{ _IOWR('J', 3, uint16_t), "_IOWR('J',3,u16): TRANSFORM with size 2" },
		{ _IOR('J', 4, uint64_t), "_IOR('J',4,u64): the seed's COPY_BUF, wrong direction" },
		{ _IOWR('J', 4, uint64_t), "_IOWR('J',4,u64): the seed's COPY_BUF, both ways" },
		{ _IOW('J', 4, uint32_t), "_IOW('J',4,u32): COPY_BUF's nr with size 4" },
		{ _IO('J', 1), "_IO('J',1): nr 1 without data" },
		{ _IOWR('J', 1, uint32_t), "_IOWR('J',1,u32): nr 1 both ways" },
		{ _IOW('J', 5, uint32_t), "_IOW('J',5,u32): GET_VALUE's nr, wrong direction" },
		{ _IOR('J', 0, uint32_t), "_IOR('J',0,u32): INCREMENT's nr, read only" },
		{ _IOR('J', 4, struct mydevice_userbuf), "_IOR('J',4,userbuf): wrong direction" },
		{ 0, "0" },
		{ 0xffffffffUL, "0xffffffff" },
	};
	uint32_t buf[8];
	unsigned int i;
	int fd = dev_open();

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(buf, 0, sizeof(buf));
		is_errno(ioctl(fd, bad[i].nr, buf), ENOTTY, "ex5: ENOTTY for %s",
			 bad[i].what);
	}
	close(fd);
}

/*
 * Seed 001's decoder listing: an unknown command logs its fields, as the
 * seed's pr_warn!("Unknown ioctl: type={:#x} nr={} size={}") does, and
 * the log is rate-limited.  Runs right after the load (a fresh limit).
 */
static void test_unknown_log(void)
{
	int fd = dev_open(), k = kmsg_open(), i, lines;
	uint32_t buf[4] = { 0 };
	char *log;

	is_errno(ioctl(fd, _IO('J', 99)), ENOTTY, "_IO('J',99): ENOTTY");
	is_errno(ioctl(fd, _IOR('K', 7, uint64_t), buf), ENOTTY,
		 "_IOR('K',7,u64): ENOTTY");
	is_errno(ioctl(fd, _IO(0, 0)), ENOTTY, "0: ENOTTY");
	log = kmsg_collect(k);
	is_int(log_count(log, "mydevice: Unknown ioctl: type=0x4a nr=99 size=0"), 1,
	       "dmesg: mydevice: Unknown ioctl: type=0x4a nr=99 size=0");
	is_int(log_count(log, "mydevice: Unknown ioctl: type=0x4b nr=7 size=8"), 1,
	       "dmesg: mydevice: Unknown ioctl: type=0x4b nr=7 size=8");
	is_int(log_count(log, "mydevice: Unknown ioctl: type=0x0 nr=0 size=0"), 1,
	       "dmesg: type 0 prints as Rust's {:#x} does: type=0x0");
	free(log);
	close(k);

	k = kmsg_open();
	for (i = 0; i < 50; i++)
		ioctl(fd, _IOR('J', 200, uint32_t), buf);
	log = kmsg_collect(k);
	lines = log_count(log, "mydevice: Unknown ioctl: type=0x4a nr=200 size=4");
	ok(lines >= 1 && lines <= 10,
	   "50 more at once: rate-limited (%d lines; at most 10 per 5 s)", lines);
	free(log);
	close(k);
	close(fd);
}

/*
 * Issue 13: the ioctls that change state shared by every open file
 * (SET_COUNTER, COPY_BUF) need an open for writing, as write() does:
 * EBADF otherwise, before the argument is looked at, and nothing changes.
 * The others work on any open: SET_VALUE changes only the caller's own
 * open file, the rest change nothing.
 */
static void test_write_access(void)
{
	struct mydevice_userbuf ub = { (uintptr_t)"new", 3 };
	struct mydevice_point p = { 1, -2 };
	int rw = dev_open(), ro, wo, po;
	uint32_t v = 0;
	char got[RING];
	ssize_t n;

	ro = open(DEV, O_RDONLY | O_CLOEXEC);
	wo = open(DEV, O_WRONLY | O_CLOEXEC);
	po = open(DEV, O_PATH | O_CLOEXEC);
	if (ro < 0 || wo < 0 || po < 0)
		bail_out("open %s: %s", DEV, strerror(errno));
	drain(got, sizeof(got));
	ioctl_u32(rw, MYDEVICE_IOC_SET_COUNTER, 55, NULL);
	is_int(write(rw, "old", 3), 3, "the ring holds \"old\", the counter 55");

	is_errno(ioctl_u32(ro, MYDEVICE_IOC_SET_COUNTER, 66, NULL), EBADF,
		 "O_RDONLY: SET_COUNTER: EBADF (as write())");
	is_errno(ioctl(ro, MYDEVICE_IOC_COPY_BUF, &ub), EBADF,
		 "O_RDONLY: COPY_BUF: EBADF");
	is_errno(ioctl(ro, SEED_COPY_BUF, &ub), EBADF,
		 "O_RDONLY: COPY_BUF by the seed's number: EBADF");
	is_errno(ioctl(ro, MYDEVICE_IOC_SET_COUNTER, hole), EBADF,
		 "O_RDONLY: SET_COUNTER with a bad pointer: EBADF, checked first");
	is_errno(ioctl(ro, MYDEVICE_IOC_COPY_BUF, NULL), EBADF,
		 "O_RDONLY: COPY_BUF with NULL: EBADF, checked first");
	ioctl_u32(rw, MYDEVICE_IOC_GET_COUNTER, 0, &v);
	is_int(v, 55, "the counter is still 55");
	n = drain(got, sizeof(got));
	ok(n == 3 && !memcmp(got, "old", 3), "the ring still holds \"old\"");

	is_int(ioctl_u32(ro, MYDEVICE_IOC_SET_VALUE, 9, NULL), 0,
	       "O_RDONLY: SET_VALUE (this open's own value) works");
	ioctl_u32(ro, MYDEVICE_IOC_GET_VALUE, 0, &v);
	is_int(v, 9, "O_RDONLY: GET_VALUE reads it back");
	ioctl_u32(rw, MYDEVICE_IOC_GET_VALUE, 0, &v);
	is_int(v, 0, "and no other open's value changed");
	v = 0;
	ok(ioctl_u32(ro, MYDEVICE_IOC_GET_COUNTER, 0, &v) == 0 && v == 55,
	   "O_RDONLY: GET_COUNTER works (55)");
	ok(ioctl(ro, MYDEVICE_IOC_PING) == 0 &&
	   ioctl_u32(ro, MYDEVICE_IOC_GET_VERSION, 0, &v) == 0 && v == 1,
	   "O_RDONLY: PING and GET_VERSION work");
	ok(ioctl_u32(ro, MYDEVICE_IOC_TRANSFORM, 4, &v) == 0 && v == 8 &&
	   ioctl_u32(ro, MYDEVICE_IOC_INCREMENT, 4, &v) == 0 && v == 5,
	   "O_RDONLY: TRANSFORM and INCREMENT work");
	ok(ioctl(ro, MYDEVICE_IOC_NEGATE_POINT, &p) == 0 && p.x == -1 && p.y == 2,
	   "O_RDONLY: NEGATE_POINT works");

	is_int(ioctl_u32(wo, MYDEVICE_IOC_SET_COUNTER, 77, NULL), 0,
	       "O_WRONLY: SET_COUNTER works");
	ok(ioctl_u32(wo, MYDEVICE_IOC_GET_COUNTER, 0, &v) == 0 && v == 77,
	   "O_WRONLY: GET_COUNTER reads 77");
	is_int(ioctl(wo, MYDEVICE_IOC_COPY_BUF, &ub), 3, "O_WRONLY: COPY_BUF works");
	n = drain(got, sizeof(got));
	ok(n == 3 && !memcmp(got, "new", 3), "and the ring holds \"new\"");
	is_errno(ioctl(po, MYDEVICE_IOC_PING), EBADF, "O_PATH: EBADF (the VFS)");
	close(po);
	close(wo);
	close(ro);
	close(rw);
}

/*
 * Issue 13: COPY_BUF's ptr is a __u64, an address a 32-bit kernel would
 * truncate to its low 32 bits.  The module's check, compiled as this
 * program is (32 or 64 bits): what does not fit in an unsigned long is
 * refused with EFAULT, the errno a 64-bit kernel gives for the same
 * value (no such address in a 32-bit process).
 */
static void test_user_ptr(void)
{
	int bits = (int)sizeof(unsigned long) * 8;
	void *p = NULL;

	is_int(mydev_user_ptr(0x12345678u, &p), 0, "uptr (%d-bit): 0x12345678 fits", bits);
	ok(p == (void *)(uintptr_t)0x12345678u, "uptr (%d-bit): as that pointer", bits);
	is_int(mydev_user_ptr(0xffffffffu, &p), 0, "uptr (%d-bit): 0xffffffff fits", bits);
	if (bits == 32) {
		p = good_page;
		is_int(mydev_user_ptr((1ULL << 32) | 0x1000, &p), -EFAULT,
		       "uptr (32-bit): 2^32 + 0x1000: -EFAULT, not 0x1000");
		ok(p == good_page, "uptr (32-bit): the pointer is not stored");
		is_int(mydev_user_ptr(1ULL << 32, &p), -EFAULT,
		       "uptr (32-bit): 2^32: -EFAULT, not NULL");
		is_int(mydev_user_ptr(UINT64_MAX, &p), -EFAULT,
		       "uptr (32-bit): 2^64 - 1: -EFAULT");
	} else {
		is_int(mydev_user_ptr((1ULL << 32) | 0x1000, &p), 0,
		       "uptr (64-bit): 2^32 + 0x1000 fits");
		ok((uintptr_t)p == ((1ULL << 32) | 0x1000),
		   "uptr (64-bit): as that pointer (access_ok() judges it)");
		is_int(mydev_user_ptr(UINT64_MAX, &p), 0,
		       "uptr (64-bit): 2^64 - 1 fits (and faults in the copy)");
	}
}

/* the same, end to end: a ptr past 4 GiB never reads the low 4 GiB */
static void test_copy_buf_high_ptr(void)
{
	struct mydevice_userbuf ub;
	char got[RING];
	int fd = dev_open();
	ssize_t n;

	drain(got, sizeof(got));
	is_int(write(fd, "keep", 4), 4, "write \"keep\"");
	memcpy(good_page, "bad!", 4);
	ub.ptr = (uintptr_t)good_page + (1ULL << 32);
	ub.len = 4;
	is_errno(ioctl(fd, MYDEVICE_IOC_COPY_BUF, &ub), EFAULT,
		 "COPY_BUF from ptr = a mapped buffer + 2^32: EFAULT");
	is_errno(ioctl(fd, SEED_COPY_BUF, &ub), EFAULT,
		 "the same by the seed's number: EFAULT");
	n = drain(got, sizeof(got));
	ok(n == 4 && !memcmp(got, "keep", 4),
	   "the ring still holds \"keep\", not the buffer's \"bad!\"");
	close(fd);
}

/*
 * Seed 000 exercise 4 defines COPY_BUF "with a data size of u64":
 * _IOW('J', 4, u64) = 0x40084a04, its argument the 16-byte (ptr, len)
 * struct all the same.  That number is an alias of COPY_BUF.
 */
static void test_seed_copy_buf(void)
{
	struct mydevice_userbuf ub;
	char got[2 * RING], want[RING];
	char *tail = hole - RING;
	int fd = dev_open(), i;
	ssize_t n;

	is_int(SEED_COPY_BUF, 0x40084a04, "_IOW('J',4,u64) = 0x40084a04");
	drain(got, sizeof(got));
	ub.ptr = (uintptr_t)"hello";
	ub.len = 5;
	is_int(ioctl(fd, SEED_COPY_BUF, &ub), 5,
	       "ex4 by the seed's number: COPY_BUF \"hello\" returns 5");
	n = drain(got, sizeof(got));
	ok(n == 5 && !memcmp(got, "hello", 5), "ex4 (seed's number): read() gets \"hello\"");
	for (i = 0; i < RING; i++)
		tail[i] = want[i] = (char)(i * 11 + 5);
	ub.ptr = (uintptr_t)tail;
	ub.len = 1000;
	is_int(ioctl(fd, SEED_COPY_BUF, &ub), RING,
	       "ex4 (seed's number): len 1000 is clamped to 256");
	n = drain(got, sizeof(got));
	ok(n == RING && !memcmp(got, want, RING), "ex4 (seed's number): those 256 bytes");
	is_int(write(fd, "keep", 4), 4, "write \"keep\"");
	ub.ptr = (uintptr_t)hole;
	ub.len = 5;
	is_errno(ioctl(fd, SEED_COPY_BUF, &ub), EFAULT,
		 "ex4 (seed's number): an unmapped ptr: EFAULT");
	is_errno(ioctl(fd, SEED_COPY_BUF, hole - 8), EFAULT,
		 "ex4 (seed's number): a descriptor cut by the unmapped page: EFAULT");
	n = drain(got, sizeof(got));
	ok(n == 4 && !memcmp(got, "keep", 4), "ex4 (seed's number): the ring still holds \"keep\"");
	close(fd);
}

/*
 * Seed 001 leaves GET_VALUE's number open; _IOR('J', 2, u32) would be the
 * obvious one but is seed 000's GET_COUNTER on this shared device: it
 * reads the shared counter, not the open's value.  GET_VALUE is nr 5.
 */
static void test_get_value_number(void)
{
	int fd = dev_open();
	uint32_t v = 0;

	ioctl_u32(fd, MYDEVICE_IOC_SET_VALUE, 1234, NULL);
	ioctl_u32(fd, MYDEVICE_IOC_SET_COUNTER, 4321, NULL);
	ok(ioctl_u32(fd, _IOR('J', 2, uint32_t), 0, &v) == 0 && v == 4321,
	   "_IOR('J',2,u32) is GET_COUNTER: the shared 4321, not this open's 1234");
	ok(ioctl_u32(fd, _IOR('J', 5, uint32_t), 0, &v) == 0 && v == 1234,
	   "_IOR('J',5,u32) is GET_VALUE: this open's 1234");
	close(fd);
}

/* Seed 001 exercise 8, and fdinfo: per-open values, across processes */
static int sync_pipe(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

static int fdinfo_value(pid_t pid, int fd)
{
	char path[64], buf[1024], *p;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, "\nvalue:\t");
	return p ? atoi(p + 8) : -2;
}

static void test_per_open(void)
{
	int to_child[2], to_parent[2], fd, fd2, status, child_fd;
	unsigned char fdnum;
	uint32_t v = 0, w = 0;
	pid_t pid;

	fd = dev_open();
	fd2 = dev_open();
	is_int(fdinfo_value(getpid(), fd), 0, "fdinfo: a fresh open shows value:\t0");
	ioctl_u32(fd, MYDEVICE_IOC_SET_VALUE, 111, NULL);
	ioctl_u32(fd2, MYDEVICE_IOC_SET_VALUE, 5, NULL);
	ioctl_u32(fd, MYDEVICE_IOC_GET_VALUE, 0, &v);
	ioctl_u32(fd2, MYDEVICE_IOC_GET_VALUE, 0, &w);
	ok(v == 111 && w == 5, "two opens in one process keep their own values (111, 5)");
	is_int(fdinfo_value(getpid(), fd), 111, "fdinfo of the first: value:\t111");
	is_int(fdinfo_value(getpid(), fd2), 5, "fdinfo of the second: value:\t5");
	close(fd2);

	if (pipe(to_child) || pipe(to_parent))
		bail_out("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		/* the child: its own open, value 222; reports nothing itself */
		int cfd = open(DEV, O_RDWR), st;
		unsigned char fdnum = (unsigned char)cfd;
		uint32_t cv = 0;

		close(fd);
		close(to_parent[0]);
		close(to_child[1]);
		if (cfd < 0 || cfd > 255)
			_exit(10);
		if (ioctl_u32(cfd, MYDEVICE_IOC_SET_VALUE, 222, NULL))
			_exit(11);
		/* tell the parent which descriptor to look up in fdinfo */
		if (write(to_parent[1], &fdnum, 1) != 1 || sync_pipe(to_child[0]))
			_exit(12);
		/* the parent has set 333 on its own open meanwhile */
		if (ioctl_u32(cfd, MYDEVICE_IOC_GET_VALUE, 0, &cv))
			_exit(13);
		st = cv == 222 ? 0 : 14;
		if (write(to_parent[1], "g", 1) != 1 || sync_pipe(to_child[0]))
			_exit(15);
		close(cfd);
		_exit(st);
	}
	/* only the child writes to_parent: if it dies, reads see EOF */
	close(to_parent[1]);
	close(to_child[0]);
	child_fd = -1;
	if (read(to_parent[0], &fdnum, 1) == 1)
		child_fd = fdnum;
	ok(child_fd >= 0, "a second process opened the device and set 222");
	is_int(ioctl_u32(fd, MYDEVICE_IOC_SET_VALUE, 333, NULL), 0,
	       "this process sets 333 on its own open");
	is_int(write(to_child[1], "p", 1), 1, "and lets the other process read");
	ok(sync_pipe(to_parent[0]) == 0, "the other process read its value");
	is_int(fdinfo_value(pid, child_fd), 222, "fdinfo of the other process's open: value:\t222");
	ioctl_u32(fd, MYDEVICE_IOC_GET_VALUE, 0, &v);
	is_int(v, 333, "this process still reads 333");
	is_int(fdinfo_value(getpid(), fd), 333, "fdinfo of this open: value:\t333");
	is_int(write(to_child[1], "q", 1), 1, "let the other process finish");
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "the other process read back 222, not 333 (exit %d)", WEXITSTATUS(status));
	close(fd);
	close(to_child[1]);
	close(to_parent[0]);
}

/* Seed 000, exercises 1-3 */
static void test_seed000_ioctls(void)
{
	int fd = dev_open(), fd2 = dev_open(), status;
	struct mydevice_point p;
	uint32_t v = 0;
	pid_t pid;

	is_int(ioctl_u32(fd, MYDEVICE_IOC_INCREMENT, 41, &v), 0, "ex1: _IOWR('J',0) on 41");
	is_int(v, 42, "ex1: 41 -> 42");
	ioctl_u32(fd, MYDEVICE_IOC_INCREMENT, 0xffffffffu, &v);
	is_int(v, 0, "ex1: 4294967295 -> 0 (modulo 2^32)");

	is_int(ioctl_u32(fd, MYDEVICE_IOC_GET_COUNTER, 99, &v), 0, "ex2: GET_COUNTER");
	is_int(v, 0, "ex2: the counter starts at 0");
	is_int(ioctl_u32(fd, MYDEVICE_IOC_SET_COUNTER, 100, NULL), 0, "ex2: SET_COUNTER 100");
	ioctl_u32(fd, MYDEVICE_IOC_GET_COUNTER, 0, &v);
	is_int(v, 100, "ex2: GET_COUNTER on the same open: 100");
	ioctl_u32(fd2, MYDEVICE_IOC_GET_COUNTER, 0, &v);
	is_int(v, 100, "ex2: GET_COUNTER on another open: 100 (shared)");
	pid = fork();
	if (pid == 0) {
		int cfd = open(DEV, O_RDWR);
		uint32_t cv = 0;

		if (cfd < 0 || ioctl_u32(cfd, MYDEVICE_IOC_GET_COUNTER, 0, &cv))
			_exit(2);
		if (cv != 100)
			_exit(3);
		_exit(ioctl_u32(cfd, MYDEVICE_IOC_SET_COUNTER, 7, NULL) ? 4 : 0);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "ex2: another process reads 100 and sets 7");
	ioctl_u32(fd2, MYDEVICE_IOC_GET_COUNTER, 0, &v);
	is_int(v, 7, "ex2: this process then reads 7");

	p.x = 3;
	p.y = -4;
	is_int(ioctl(fd, MYDEVICE_IOC_NEGATE_POINT, &p), 0, "ex3: NEGATE_POINT {3, -4}");
	ok(p.x == -3 && p.y == 4, "ex3: -> {-3, 4} (got {%d, %d})", p.x, p.y);
	p.x = INT32_MIN;
	p.y = INT32_MAX;
	ioctl(fd, MYDEVICE_IOC_NEGATE_POINT, &p);
	ok(p.x == INT32_MIN && p.y == -INT32_MAX,
	   "ex3: {INT32_MIN, INT32_MAX} -> {INT32_MIN, -INT32_MAX} (got {%d, %d})",
	   p.x, p.y);
	close(fd);
	close(fd2);
}

/* Seed 000, exercise 4: COPY_BUF */
static void test_copy_buf(void)
{
	struct mydevice_userbuf ub;
	char got[2 * RING], want[RING];
	char *tail = hole - RING;	/* the last 256 mapped bytes */
	int fd = dev_open(), i;
	ssize_t n;

	ub.ptr = (uintptr_t)"hello";
	ub.len = 5;
	is_int(ioctl(fd, MYDEVICE_IOC_COPY_BUF, &ub), 5, "ex4: COPY_BUF \"hello\": returns 5");
	n = drain(got, sizeof(got));
	ok(n == 5 && !memcmp(got, "hello", 5), "ex4: read() then gets \"hello\"");

	for (i = 0; i < RING; i++)
		tail[i] = want[i] = (char)(i * 13 + 1);
	ub.ptr = (uintptr_t)tail;
	ub.len = 1000;
	is_int(ioctl(fd, MYDEVICE_IOC_COPY_BUF, &ub), RING,
	       "ex4: len 1000 is clamped to 256 before the copy (the rest is unmapped)");
	n = drain(got, sizeof(got));
	ok(n == RING && !memcmp(got, want, RING), "ex4: read() gets those 256 bytes");

	ub.len = UINT64_MAX;
	is_int(ioctl(fd, MYDEVICE_IOC_COPY_BUF, &ub), RING, "ex4: len 2^64-1: clamped too");
	ub.ptr = (uintptr_t)hole;	/* never read for len 0 */
	ub.len = 0;
	is_int(ioctl(fd, MYDEVICE_IOC_COPY_BUF, &ub), 0, "ex4: len 0: returns 0");
	is_int(drain(got, sizeof(got)), 0, "ex4: ... and leaves the buffer empty");

	/* faults change nothing */
	is_int(write(fd, "keep", 4), 4, "write \"keep\"");
	ub.ptr = (uintptr_t)hole;
	ub.len = 5;
	is_errno(ioctl(fd, MYDEVICE_IOC_COPY_BUF, &ub), EFAULT,
		 "ex4: COPY_BUF from an unmapped ptr: EFAULT");
	ub.ptr = (uintptr_t)(hole - 3);
	ub.len = 10;
	is_errno(ioctl(fd, MYDEVICE_IOC_COPY_BUF, &ub), EFAULT,
		 "ex4: COPY_BUF of bytes straddling into an unmapped page: EFAULT");
	ub.ptr = 0xffff800000000000ULL;
	ub.len = 4;
	is_errno(ioctl(fd, MYDEVICE_IOC_COPY_BUF, &ub), EFAULT,
		 "ex4: COPY_BUF from a kernel address: EFAULT");
	is_errno(ioctl(fd, MYDEVICE_IOC_COPY_BUF, hole), EFAULT,
		 "ex4: COPY_BUF with an unmapped descriptor: EFAULT");
	is_errno(ioctl(fd, MYDEVICE_IOC_COPY_BUF, hole - 8), EFAULT,
		 "ex4: COPY_BUF with a descriptor cut by the unmapped page: EFAULT");
	n = drain(got, sizeof(got));
	ok(n == 4 && !memcmp(got, "keep", 4), "ex4: after the faults the buffer still holds \"keep\"");
	close(fd);
}

/* Bad argument pointers: EFAULT, and nothing changes. */
static void test_bad_pointers(void)
{
	static const struct {
		unsigned long nr;
		const char *name;
	} cmds[] = {
		{ MYDEVICE_IOC_GET_VERSION, "GET_VERSION" },
		{ MYDEVICE_IOC_SET_VALUE, "SET_VALUE" },
		{ MYDEVICE_IOC_TRANSFORM, "TRANSFORM" },
		{ MYDEVICE_IOC_GET_VALUE, "GET_VALUE" },
		{ MYDEVICE_IOC_INCREMENT, "INCREMENT" },
		{ MYDEVICE_IOC_SET_COUNTER, "SET_COUNTER" },
		{ MYDEVICE_IOC_GET_COUNTER, "GET_COUNTER" },
		{ MYDEVICE_IOC_NEGATE_POINT, "NEGATE_POINT" },
	};
	struct mydevice_point *cut = (struct mydevice_point *)(hole - 4);
	int fd = dev_open(), k;
	unsigned int i;
	uint32_t v = 0;
	char *log;

	ioctl_u32(fd, MYDEVICE_IOC_SET_VALUE, 17, NULL);
	ioctl_u32(fd, MYDEVICE_IOC_SET_COUNTER, 18, NULL);
	k = kmsg_open();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		is_errno(ioctl(fd, cmds[i].nr, hole), EFAULT,
			 "%s with an unmapped pointer: EFAULT", cmds[i].name);
		is_errno(ioctl(fd, cmds[i].nr, NULL), EFAULT,
			 "%s with NULL: EFAULT", cmds[i].name);
	}
	is_errno(ioctl(fd, MYDEVICE_IOC_SET_VALUE, hole - 2), EFAULT,
		 "SET_VALUE with a u32 cut by the unmapped page: EFAULT");
	log = kmsg_collect(k);
	ok(!log_has(log, "received value"), "no faulting SET_VALUE logged a value");
	free(log);
	close(k);
	ioctl_u32(fd, MYDEVICE_IOC_GET_VALUE, 0, &v);
	is_int(v, 17, "the open's value is still 17");
	ioctl_u32(fd, MYDEVICE_IOC_GET_COUNTER, 0, &v);
	is_int(v, 18, "the counter is still 18");

	cut->x = 5;
	is_errno(ioctl(fd, MYDEVICE_IOC_NEGATE_POINT, cut), EFAULT,
		 "NEGATE_POINT on a point cut by the unmapped page: EFAULT");
	is_int(cut->x, 5, "its mapped half is left alone");
	is_errno(ioctl(fd, MYDEVICE_IOC_TRANSFORM, ro_page), EFAULT,
		 "TRANSFORM on read-only memory: EFAULT (it cannot write back)");
	is_errno(ioctl(fd, MYDEVICE_IOC_GET_VERSION, ro_page), EFAULT,
		 "GET_VERSION into read-only memory: EFAULT");
	close(fd);
}

/* Seed 000, exercises 6-8 and 10: the ring behind read() and write() */
static void test_ring(void)
{
	char buf[512], a[300], want[RING];
	int fd1 = dev_open(), fd2 = dev_open(), fd3 = dev_open();
	ssize_t n;

	is_int(write(fd1, "hello", 5), 5, "ex6: write \"hello\": 5");
	n = read(fd1, buf, sizeof(buf));
	ok(n == 5 && !memcmp(buf, "hello", 5), "ex7: read gets \"hello\"");
	is_int(read(fd1, buf, sizeof(buf)), 0, "ex7: then EOF (0)");

	memset(a, 'A', sizeof(a));
	is_int(write(fd1, a, 300), 256, "ex8: write 300 bytes into the empty ring: 256 accepted");
	is_errno(write(fd1, a, 1), ENOSPC, "ex8: then a write gets ENOSPC");
	is_int(write(fd1, a, 0), 0, "ex8: a zero-length write to the full ring returns 0");
	n = drain(buf, sizeof(buf));
	ok(n == 256 && !memcmp(buf, a, 256), "ex8: the ring held 256 x 'A'");
	memset(want, 'a', 200);
	memset(want + 200, 'b', 56);
	is_int(write(fd1, want, 200), 200, "ex8: write 200");
	memset(a, 'b', 100);
	is_int(write(fd2, a, 100), 56, "ex8: write 100 more: 56 fit");
	is_errno(write(fd3, a, 100), ENOSPC, "ex8: and the next gets ENOSPC");
	n = drain(buf, sizeof(buf));
	ok(n == 256 && !memcmp(buf, want, 256), "ex8: 200 x 'a' then 56 x 'b'");

	/* ex10: one buffer behind every open */
	is_int(write(fd1, "round trip", 10), 10, "ex10: write through fd1");
	n = read(fd2, buf, sizeof(buf));
	ok(n == 10 && !memcmp(buf, "round trip", 10), "ex10: read it through fd2");
	is_int(write(fd3, "third", 5), 5, "ex10: write through fd3");
	n = read(fd1, buf, sizeof(buf));
	ok(n == 5 && !memcmp(buf, "third", 5), "ex10: read it through fd1");
	is_int(read(fd2, buf, sizeof(buf)), 0, "ex10: and fd2 sees the buffer empty");

	is_errno(lseek(fd1, 0, SEEK_SET), ESPIPE, "lseek: ESPIPE");
	is_errno(pread(fd1, buf, 1, 0), ESPIPE, "pread: ESPIPE");
	is_errno(pwrite(fd1, buf, 1, 0), ESPIPE, "pwrite: ESPIPE");
	close(fd1);
	close(fd2);
	close(fd3);
}

/* Seed 000 exercise 9: reads of any size, and the ring's wrap */
static void test_ring_wrap(void)
{
	unsigned char in[400], out[400];
	struct iovec iov[3];
	int fd = dev_open(), i, good = 1;
	size_t got = 0;
	ssize_t n;

	for (i = 0; i < 400; i++)
		in[i] = (unsigned char)(i * 7 + 3);
	is_int(write(fd, in, 200), 200, "write 200");
	is_int(read(fd, out, 150), 150, "read 150");
	ok(!memcmp(out, in, 150), "in order");
	/* 50 held from offset 150; 200 more wrap past the end of the ring */
	iov[0].iov_base = in + 200;
	iov[0].iov_len = 100;
	iov[1].iov_base = in + 300;
	iov[1].iov_len = 100;
	is_int(writev(fd, iov, 2), 200, "writev 2 x 100 across the ring's end");
	is_int(write(fd, in, 10), 6, "6 more fit (256 held)");
	/* reads of 1, 2, 3, ... bytes */
	for (i = 1; got < 250 && good; i++) {
		size_t want = got + i > 250 ? 250 - got : (size_t)i;

		n = read(fd, out + got, want);
		if (n != (ssize_t)want)
			good = 0;
		else
			got += n;
	}
	ok(good && got == 250, "250 bytes come out in reads of 1, 2, 3, ... bytes");
	ok(!memcmp(out, in + 150, 250), "in the order they were written, across the wrap");
	iov[0].iov_base = out;
	iov[0].iov_len = 2;
	iov[1].iov_base = out + 2;
	iov[1].iov_len = 1;
	iov[2].iov_base = out + 3;
	iov[2].iov_len = 10;
	is_int(readv(fd, iov, 3), 6, "readv into 2+1+10 bytes gets the last 6");
	ok(!memcmp(out, in, 6), "which are the 6 written last");
	is_int(read(fd, out, 1), 0, "then EOF");
	close(fd);
}

static void test_ring_faults(void)
{
	char buf[64];
	char *end = hole - 10;		/* 10 mapped bytes, then the hole */
	int fd = dev_open();
	ssize_t n;

	is_errno(write(fd, hole, 5), EFAULT, "write from an unmapped buffer: EFAULT");
	is_errno(write(fd, hole - 100, 200), EFAULT,
		 "write of bytes straddling into an unmapped page: EFAULT");
	is_int(read(fd, buf, sizeof(buf)), 0, "and nothing was stored");
	is_int(write(fd, "0123456789abcdefghij", 20), 20, "write 20 bytes");
	is_errno(read(fd, hole, 5), EFAULT, "read into an unmapped buffer: EFAULT");
	is_int(read(fd, end, 20), 10,
	       "read of 20 into 10 mapped bytes: returns the 10 it delivered");
	ok(!memcmp(end, "0123456789", 10), "the first 10 bytes");
	n = read(fd, buf, sizeof(buf));
	ok(n == 10 && !memcmp(buf, "abcdefghij", 10),
	   "the 10 not delivered are still in the buffer");
	close(fd);
}

/* Concurrent writers and a reader: no byte lost, duplicated or torn */
#define STRESS_WRITERS 4
#define STRESS_BYTES 20000

static void *stress_writer(void *arg)
{
	unsigned char mark = (unsigned char)(uintptr_t)arg, chunk[97];
	int fd = open(DEV, O_WRONLY);
	size_t sent = 0;

	memset(chunk, mark, sizeof(chunk));
	while (fd >= 0 && sent < STRESS_BYTES) {
		size_t left = STRESS_BYTES - sent;
		ssize_t n = write(fd, chunk, left < sizeof(chunk) ? left : sizeof(chunk));

		if (n > 0)
			sent += n;
		else if (errno != ENOSPC)
			break;
	}
	if (fd >= 0)
		close(fd);
	return (void *)(uintptr_t)sent;
}

static void test_stress(void)
{
	pthread_t t[STRESS_WRITERS];
	long count[STRESS_WRITERS + 1] = { 0 }, total = 0, sent = 0;
	unsigned char buf[100];
	int fd = dev_open(), i;
	time_t deadline = time(NULL) + 120;
	void *ret;

	for (i = 0; i < STRESS_WRITERS; i++) {
		int err = pthread_create(&t[i], NULL, stress_writer,
					 (void *)(uintptr_t)(i + 1));

		if (err)
			bail_out("pthread_create: %s", strerror(err));
	}
	while (total < STRESS_WRITERS * STRESS_BYTES && time(NULL) < deadline) {
		ssize_t n = read(fd, buf, 1 + total % sizeof(buf));

		if (n <= 0)
			continue;
		for (i = 0; i < n; i++)
			count[buf[i] <= STRESS_WRITERS ? buf[i] : 0]++;
		total += n;
	}
	for (i = 0; i < STRESS_WRITERS; i++) {
		pthread_join(t[i], &ret);
		sent += (long)(uintptr_t)ret;
	}
	is_int(sent, STRESS_WRITERS * STRESS_BYTES, "4 racing writers sent 20000 bytes each");
	is_int(total, STRESS_WRITERS * STRESS_BYTES, "one reader got them all");
	ok(count[0] == 0 && count[1] == STRESS_BYTES && count[2] == STRESS_BYTES &&
	   count[3] == STRESS_BYTES && count[4] == STRESS_BYTES,
	   "20000 of each writer's byte, nothing else");
	close(fd);
}

static void test_rmmod_while_open(void)
{
	int fd = dev_open();

	is_int(mod_unload(MOD), -EWOULDBLOCK, "rmmod while open: refused, module in use");
	ok(mod_loaded(MOD), "the module is still loaded");
	is_int(ioctl(fd, MYDEVICE_IOC_PING), 0, "and the open file still works");
	close(fd);
	is_int(mod_unload(MOD), 0, "after the last close rmmod succeeds");
	ok(access(DEV, F_OK) == -1 && errno == ENOENT, DEV " is gone");
}

int main(void)
{
	if (sizeof(void *) == 4)
		diag("32-bit program: every ioctl goes through compat_ioctl");
	signal(SIGPIPE, SIG_IGN);	/* a dead child must not kill us */
	setup_memory();
	test_numbers();
	test_user_ptr();
	test_load();
	test_unknown_log();
	test_seed001_basic();
	test_unknown();
	test_per_open();
	test_seed000_ioctls();
	test_write_access();
	test_get_value_number();
	test_copy_buf();
	test_seed_copy_buf();
	test_copy_buf_high_ptr();
	test_bad_pointers();
	test_ring();
	test_ring_wrap();
	test_ring_faults();
	test_stress();
	test_rmmod_while_open();
	mod_ensure_unloaded(MOD);
	return done_testing();
}
