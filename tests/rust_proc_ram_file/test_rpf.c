// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of rust_proc_ram_file.ko: the seed 003 tester's first
 * five checks (open options, read/write, write+seek+read,
 * write+seek+overwrite, concurrent writes then read), and what the issue
 * adds: parameters, holes, SEEK_DATA/SEEK_HOLE, stat, the max_size cap,
 * RLIMIT_FSIZE, faults, splice, atomic O_APPEND, untorn reads, memory
 * cgroup charging, freeing at unload, and the documented differences from
 * tmpfs.  (The sixth check, unload under load, is test_unload.)
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

#include "tap.h"
#include "guest.h"

#define MOD	"rust_proc_ram_file"
#define F	"/proc/rust-proc-file"
#define REF	"/tmp/rpf-ref"
#define PG	4096L
#define CG	"/sys/fs/cgroup/rpf-test"

static void load_or_bail(const char *params)
{
	mod_reload_or_bail(MOD, params);
}

static int xopen(const char *path, int flags)
{
	int fd = open(path, flags, 0666);

	if (fd < 0)
		bail_out("open %s: %s", path, strerror(errno));
	return fd;
}

static long long fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

/* the whole file (up to SIZE bytes) into BUF; returns its length */
static ssize_t slurp(const char *path, void *buf, size_t size)
{
	int fd = xopen(path, O_RDONLY);
	ssize_t n = pread(fd, buf, size, 0);

	close(fd);
	return n;
}

static bool all_bytes(const unsigned char *p, size_t n, unsigned char c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

/*
 * The last byte a file can have, 2^63 - 2 (with max_size 2^63 - 1): the
 * end of its page would be 2^63.  SEEK_HOLE there is the end of the file.
 * (tmpfs overflows there in 6.1 and 6.12: SEEK_HOLE gives -2^63, SEEK_DATA
 * ENXIO; README.md, differences from tmpfs.)
 */
static void test_last_byte(void)
{
	const off_t last = 0x7ffffffffffffffeLL, page = last & ~(PG - 1);
	int fd = xopen(F, O_RDWR | O_TRUNC);

	is_int(pwrite(fd, "z", 1, last), 1, "a byte at 2^63 - 2");
	is_int(lseek(fd, page, SEEK_HOLE), last + 1,
	       "SEEK_HOLE in its page: the end of the file, 2^63 - 1");
	is_int(lseek(fd, last, SEEK_HOLE), last + 1,
	       "SEEK_HOLE at it: the end of the file");
	is_int(lseek(fd, 0, SEEK_DATA), page, "SEEK_DATA from 0: its page");
	is_int(lseek(fd, last, SEEK_DATA), last, "SEEK_DATA at it: itself");
	close(fd);
}

static void test_params(void)
{
	static const struct refusal bad[] = {
		{ "max_size=0", "max_size=0 is out of range" },
		{ "max_size=9223372036854775808",
		  "max_size=9223372036854775808 is out of range" },
		{ "max_size=abc", "invalid for parameter `max_size'" },
		{ "max_size=-1", "invalid for parameter `max_size'" },
	};

	mod_check_refusals(MOD, bad, sizeof(bad) / sizeof(bad[0]));
	load_or_bail("max_size=9223372036854775807");
	ok(1, "max_size=9223372036854775807 (the largest file size) loads");
	test_last_byte();
	/*
	 * Issue 13 finding 7 is about parameters written at run time and
	 * read without a lock: this module has none (max_size is 0444).
	 */
	{
		struct stat st;

		ok(!stat("/sys/module/" MOD "/parameters/max_size", &st) &&
		   (st.st_mode & 0777) == 0444,
		   "max_size is read-only at run time (0444)");
		is_int(write_str("/sys/module/" MOD "/parameters/max_size", "1"),
		       -EACCES, "writing it, even as root: EACCES");
	}
	mod_unload(MOD);
}

static void test_load(void)
{
	int k = kmsg_open();
	struct stat st;
	char buf[16], *log;

	mod_ensure_unloaded(MOD);
	is_int(mod_load(MOD, NULL), 0, "loads with default parameters");
	log = kmsg_collect(k);
	is_int(log_count(log, "rust_proc_ram_file: Loaded /proc/rust-proc-file"),
	       1, "dmesg: Loaded /proc/rust-proc-file");
	free(log);
	close(k);
	is_int(read_ll("/sys/module/rust_proc_ram_file/parameters/max_size"),
	       64 << 20, "max_size defaults to 64 MiB");
	ok(stat(F, &st) == 0 && S_ISREG(st.st_mode), F " is a regular file");
	is_int(st.st_mode & 07777, 0666, F " has mode 0666");
	is_int(st.st_size, 0, "size 0 after load");
	is_int(slurp(F, buf, sizeof(buf)), 0, "reads end-of-file at once");
}

/* seed check 1: open options */
static void test_open_options(void)
{
	char buf[64];
	int fd;

	write_str(F, "hello world");
	fd = xopen(F, O_RDONLY);
	is_int(read(fd, buf, sizeof(buf)), 11, "O_RDONLY keeps the contents");
	is_errno(write(fd, "x", 1), EBADF, "O_RDONLY: write gives EBADF");
	close(fd);
	fd = xopen(F, O_WRONLY);
	is_errno(read(fd, buf, sizeof(buf)), EBADF, "O_WRONLY: read gives EBADF");
	is_int(write(fd, "J", 1), 1, "O_WRONLY writes at offset 0");
	close(fd);
	is_int(slurp(F, buf, sizeof(buf)), 11, "O_WRONLY without O_TRUNC keeps the size");
	ok(!memcmp(buf, "Jello world", 11), "and overwrote the first byte");
	fd = xopen(F, O_WRONLY | O_APPEND);
	lseek(fd, 0, SEEK_SET);
	is_int(write(fd, "!", 1), 1, "O_APPEND write");
	is_int(lseek(fd, 0, SEEK_CUR), 12, "O_APPEND leaves the position at the end");
	is_int(pwrite(fd, "?", 1, 0), 1, "O_APPEND pwrite");
	close(fd);
	is_int(slurp(F, buf, sizeof(buf)), 13, "both appended (pwrite too, as on Linux)");
	ok(!memcmp(buf, "Jello world!?", 13), "contents Jello world!?");
	fd = xopen(F, O_RDWR | O_TRUNC);
	is_int(fsize(F), 0, "O_RDWR|O_TRUNC empties it");
	close(fd);
	write_str(F, "abc");
	fd = xopen(F, O_RDONLY | O_TRUNC);
	is_int(fsize(F), 0, "O_RDONLY|O_TRUNC empties it too (as tmpfs)");
	close(fd);
	fd = open(F, O_RDWR | O_CREAT, 0600);
	ok(fd >= 0, "O_CREAT on the existing file opens it");
	close(fd);
	is_errno(open(F, O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST,
		 "O_CREAT|O_EXCL gives EEXIST");
	is_errno(open(F, O_RDONLY | O_DIRECTORY), ENOTDIR,
		 "O_DIRECTORY gives ENOTDIR");
}

/* seed checks 2-4: read/write, write+seek+read, write+seek+overwrite */
static void test_read_write_seek(void)
{
	char buf[64];
	int fd = xopen(F, O_RDWR | O_TRUNC);

	is_int(write(fd, "0123456789", 10), 10, "write 10 bytes");
	is_int(lseek(fd, 0, SEEK_CUR), 10, "position 10 after it");
	is_int(read(fd, buf, sizeof(buf)), 0, "read at the end: 0");
	is_int(lseek(fd, 3, SEEK_SET), 3, "lseek(3, SEEK_SET)");
	is_int(read(fd, buf, 4), 4, "read 4");
	ok(!memcmp(buf, "3456", 4), "reads 3456");
	is_int(lseek(fd, -2, SEEK_CUR), 5, "lseek(-2, SEEK_CUR) -> 5");
	is_int(write(fd, "ab", 2), 2, "overwrite 2 bytes at 5");
	is_int(lseek(fd, -1, SEEK_END), 9, "lseek(-1, SEEK_END) -> 9");
	is_int(write(fd, "XYZ", 3), 3, "write 3 across the end");
	is_int(pread(fd, buf, sizeof(buf), 0), 12, "size is now 12");
	ok(!memcmp(buf, "01234ab78XYZ", 12), "contents 01234ab78XYZ");
	is_errno(lseek(fd, -1, SEEK_SET), EINVAL, "lseek to -1: EINVAL");
	is_errno(lseek(fd, -13, SEEK_END), EINVAL, "lseek before 0 from the end: EINVAL");
	is_errno(lseek(fd, 0, 7), EINVAL, "lseek with whence 7: EINVAL");
	is_errno(pread(fd, buf, 1, -1), EINVAL, "pread at -1: EINVAL");
	is_errno(pwrite(fd, buf, 2, 0x7fffffffffffffffLL), EINVAL,
		 "pwrite past the largest offset: EINVAL");
	close(fd);
}

/* holes, SEEK_DATA and SEEK_HOLE, stat */
static void test_holes(void)
{
	unsigned char *buf = malloc(4 * PG);
	int fd = xopen(F, O_RDWR | O_TRUNC);
	struct stat st;

	is_errno(lseek(fd, 0, SEEK_DATA), ENXIO, "empty file: SEEK_DATA gives ENXIO");
	is_errno(lseek(fd, 0, SEEK_HOLE), ENXIO, "empty file: SEEK_HOLE gives ENXIO");
	is_int(lseek(fd, 3 * PG + 100, SEEK_SET), 3 * PG + 100,
	       "seek past the end is allowed");
	is_int(fstat(fd, &st) ? -1 : st.st_size, 0, "and does not change the size");
	is_int(write(fd, "x", 1), 1, "write there");
	is_int(fstat(fd, &st) ? -1 : st.st_size, 3 * PG + 101, "fstat: size 3 pages + 101");
	is_int(fsize(F), 3 * PG + 101, "stat by path agrees");
	memset(buf, 0xff, 4 * PG);
	is_int(pread(fd, buf, 4 * PG, 0), 3 * PG + 101, "read it all");
	ok(all_bytes(buf, 3 * PG + 100, 0) && buf[3 * PG + 100] == 'x',
	   "the hole reads as zeros, then the x");
	is_int(lseek(fd, 0, SEEK_DATA), 3 * PG, "SEEK_DATA from 0: the page with the x");
	is_int(lseek(fd, 0, SEEK_HOLE), 0, "SEEK_HOLE from 0: 0");
	is_int(lseek(fd, 3 * PG + 5, SEEK_HOLE), 3 * PG + 101,
	       "SEEK_HOLE in the last page: the end of the file");
	is_int(lseek(fd, 3 * PG + 5, SEEK_DATA), 3 * PG + 5,
	       "SEEK_DATA in a data page: the offset itself");
	is_errno(lseek(fd, 3 * PG + 101, SEEK_DATA), ENXIO, "SEEK_DATA at the end: ENXIO");
	is_errno(lseek(fd, -1, SEEK_HOLE), ENXIO, "SEEK_HOLE at -1: ENXIO");
	is_int(pwrite(fd, "y", 1, PG - 1), 1, "a byte at the end of page 0");
	is_int(lseek(fd, 0, SEEK_DATA), 0, "page 0 is now data");
	is_int(lseek(fd, 0, SEEK_HOLE), PG, "page 1 is a hole");
	is_int(lseek(fd, PG, SEEK_DATA), 3 * PG, "the next data is page 3");
	close(fd);
	free(buf);
}

/* max_size: EFBIG at or past it, short writes across it, no SIGXFSZ */
static volatile sig_atomic_t xfsz;

static void on_xfsz(int sig)
{
	(void)sig;
	xfsz++;
}

static void test_max_size(void)
{
	char buf[64] = "0123456789";
	struct iovec iov[2] = { { buf, 3 }, { buf + 3, 3 } };
	int fd;

	load_or_bail("max_size=10000");
	signal(SIGXFSZ, on_xfsz);
	xfsz = 0;
	fd = xopen(F, O_RDWR);
	is_int(pwrite(fd, buf, 10, 9995), 5, "a write across max_size is cut short at it");
	is_int(fsize(F), 10000, "size is max_size");
	is_errno(pwrite(fd, buf, 1, 10000), EFBIG, "a write at max_size: EFBIG");
	is_errno(pwrite(fd, buf, 1, 1 << 30), EFBIG, "a write past it: EFBIG");
	lseek(fd, 10000, SEEK_SET);
	is_errno(write(fd, buf, 1), EFBIG, "write() at max_size: EFBIG");
	is_int(lseek(fd, 0, SEEK_CUR), 10000, "and the position stays");
	is_errno(writev(fd, iov, 2), EFBIG, "writev at max_size: EFBIG");
	is_int(pwrite(fd, buf, 0, 20000), 0, "a zero-length write past it: 0, as tmpfs");
	is_int(fsize(F), 10000, "nothing changed the size");
	is_int(pwritev(fd, iov, 2, 9996), 4, "pwritev across it: cut short");
	is_int(xfsz, 0, "max_size raises no SIGXFSZ (it is no resource limit)");
	close(fd);
	fd = xopen(F, O_WRONLY | O_APPEND);
	is_errno(write(fd, buf, 1), EFBIG, "O_APPEND on a full file: EFBIG");
	close(fd);
	fd = xopen(F, O_RDWR | O_TRUNC);
	is_int(write(fd, buf, 10), 10, "after O_TRUNC there is room again");
	close(fd);
	signal(SIGXFSZ, SIG_DFL);
	mod_unload(MOD);
}

/* RLIMIT_FSIZE works as on tmpfs: compare the two */
static void test_rlimit(void)
{
	struct rlimit old, rl = { 5000, 5000 };
	const char *const files[] = { F, REF };
	long long r[2][4];
	int x[2], i;
	char buf[16] = "abcdefghij";

	load_or_bail(NULL);
	getrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, on_xfsz);
	for (i = 0; i < 2; i++) {
		int fd = xopen(files[i], O_RDWR | O_CREAT | O_TRUNC);

		xfsz = 0;
		setrlimit(RLIMIT_FSIZE, &rl);
		r[i][0] = pwrite(fd, buf, 10, 4995);
		r[i][1] = pwrite(fd, buf, 10, 5000) < 0 ? -errno : 0;
		r[i][2] = pwrite(fd, buf, 10, 100);
		setrlimit(RLIMIT_FSIZE, &old);
		r[i][3] = fsize(files[i]);
		x[i] = xfsz;
		close(fd);
	}
	is_int(r[0][0], 5, "RLIMIT_FSIZE 5000: a write across it is cut short");
	is_int(r[0][1], -EFBIG, "a write at it: EFBIG");
	is_int(x[0], 1, "and SIGXFSZ");
	ok(!memcmp(r[0], r[1], sizeof(r[0])) && x[0] == x[1],
	   "the same results and signals as tmpfs");
	signal(SIGXFSZ, SIG_DFL);
	unlink(REF);
}

/*
 * A write that faults part way over existing data: what was not copied
 * must stay as it was (copy_from_user() would have zeroed it).  Compared
 * with tmpfs, at a page-aligned and an unaligned offset.
 */
static void test_fault_over_data(char *map)
{
	static unsigned char got[2][4 * PG];
	const char *const files[] = { F, REF };
	long long ret[2][2];
	int i, j;

	for (i = 0; i < 2; i++) {
		for (j = 0; j < 2; j++) {
			int fd = xopen(files[i], O_RDWR | O_CREAT | O_TRUNC);

			memset(got[i], 'o', 4 * PG);
			pwrite(fd, got[i], 4 * PG, 0);
			ret[i][j] = pwrite(fd, map, 2 * PG, j ? 100 : PG);
			memset(got[i], 0, 4 * PG);
			pread(fd, got[i], 4 * PG, 0);
			close(fd);
		}
	}
	is_int(ret[0][0], PG, "a write faulting after a page, over data: short, one page");
	is_int(ret[0][1], PG, "the same at an unaligned offset");
	ok(all_bytes(got[0], 100, 'o') && all_bytes(got[0] + 100, PG, 'm') &&
	   all_bytes(got[0] + PG + 100, 3 * PG - 100, 'o'),
	   "the data the write did not reach is intact");
	ok(!memcmp(ret[0], ret[1], sizeof(ret[0])) && !memcmp(got[0], got[1], 4 * PG),
	   "results and contents as on tmpfs");
	unlink(REF);
}

/* faults: nothing is changed by a buffer that faults at once */
static void test_faults(void)
{
	char *map = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = xopen(F, O_RDWR | O_TRUNC);
	char buf[8];

	memset(map, 'm', 2 * PG);
	mprotect(map + PG, PG, PROT_NONE);
	is_errno(pwrite(fd, map + PG, 10, 0), EFAULT, "write from a bad buffer: EFAULT");
	is_int(fsize(F), 0, "and nothing was written");
	is_errno(lseek(fd, 0, SEEK_DATA), ENXIO, "not even a page");
	is_int(pwrite(fd, map, 2 * PG, 0), PG, "a buffer bad after a page: a short write");
	is_int(fsize(F), PG, "of one page");
	is_errno(pread(fd, map + PG, 10, 0), EFAULT, "read into a bad buffer: EFAULT");
	is_int(pread(fd, buf, 4, 0), 4, "the data is intact");
	ok(!memcmp(buf, "mmmm", 4), "reads mmmm");
	close(fd);
	test_fault_over_data(map);
	munmap(map, 2 * PG);
}

/* splice and sendfile read the file; mmap is not offered */
static void test_splice_mmap(void)
{
	static char data[3 * PG], back[3 * PG];
	int fd = xopen(F, O_RDWR | O_TRUNC), p[2];
	ssize_t n, got = 0;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 13 + 1);
	write(fd, data, sizeof(data));
	lseek(fd, 0, SEEK_SET);
	if (pipe(p))
		bail_out("pipe: %s", strerror(errno));
	n = sendfile(p[1], fd, NULL, sizeof(data));
	while (got < n)
		got += read(p[0], back + got, n - got);
	ok(n > 0 && !memcmp(back, data, n), "sendfile into a pipe reads the data (%zd bytes)", n);
	close(p[0]);
	close(p[1]);
	ok(mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED &&
	   errno == ENODEV, "mmap gives ENODEV");
	close(fd);
}

/* the other documented differences from tmpfs */
static void test_differences(void)
{
	struct iovec iov = { "x", 1 };
	int fd = xopen(F, O_RDWR | O_TRUNC), p[2];
	struct stat st;

	is_int(pwrite(fd, "abc", 3, 2 * PG), 3, "write 3 bytes at 2 pages");
	is_int(fstat(fd, &st) ? -1 : st.st_blocks, 0, "st_blocks is 0 (procfs)");
	is_errno(pwritev2(fd, &iov, 1, 0, RWF_APPEND), EOPNOTSUPP,
		 "pwritev2 with RWF_APPEND: EOPNOTSUPP (no write_iter in proc_ops)");
	is_int(pwritev2(fd, &iov, 1, 0, 0), 1, "pwritev2 without flags works");
	if (pipe(p))
		bail_out("pipe: %s", strerror(errno));
	write(p[1], "spl", 3);
	is_errno(splice(p[0], NULL, fd, NULL, 3, 0), EINVAL,
		 "splice into the file: EINVAL (procfs has no splice_write)");
	close(p[0]);
	close(p[1]);
	close(fd);
}

/* seed check 5: concurrent writes, then read */
#define NTHR	4
#define REGION	(5 * PG + 300)

struct wr {
	int id;
	long long fails;
};

static void *region_writer(void *arg)
{
	struct wr *w = arg;
	static __thread char buf[REGION];
	int fd = open(F, O_WRONLY), k;

	memset(buf, 'A' + w->id, sizeof(buf));
	for (k = 0; k < 20; k++)
		if (pwrite(fd, buf, REGION, (long long)w->id * REGION) != REGION)
			w->fails++;
	close(fd);
	return NULL;
}

#define REC	1000
#define NREC	100

static void *appender(void *arg)
{
	struct wr *w = arg;
	char rec[REC];
	int fd = open(F, O_WRONLY | O_APPEND), k;

	for (k = 0; k < NREC; k++) {
		memset(rec, 'a' + w->id, REC);
		rec[0] = '0' + w->id;
		if (write(fd, rec, REC) != REC)
			w->fails++;
	}
	close(fd);
	return NULL;
}

static void test_concurrent_writes(void)
{
	static unsigned char all[NTHR * NREC * REC + PG];
	pthread_t t[NTHR];
	struct wr w[NTHR];
	long long fails = 0, bad = 0;
	int i, fd = xopen(F, O_RDWR | O_TRUNC);

	close(fd);
	for (i = 0; i < NTHR; i++) {
		w[i] = (struct wr){ i, 0 };
		pthread_create(&t[i], NULL, region_writer, &w[i]);
	}
	for (i = 0; i < NTHR; i++) {
		pthread_join(t[i], NULL);
		fails += w[i].fails;
	}
	is_int(fails, 0, "%d threads wrote their regions 20 times each", NTHR);
	is_int(slurp(F, all, sizeof(all)), NTHR * REGION, "size is all regions");
	for (i = 0; i < NTHR; i++)
		bad += !all_bytes(all + i * REGION, REGION, 'A' + i);
	is_int(bad, 0, "every region holds its writer's bytes");

	fd = xopen(F, O_RDWR | O_TRUNC);
	close(fd);
	for (i = 0; i < NTHR; i++) {
		w[i] = (struct wr){ i, 0 };
		pthread_create(&t[i], NULL, appender, &w[i]);
	}
	fails = 0;
	for (i = 0; i < NTHR; i++) {
		pthread_join(t[i], NULL);
		fails += w[i].fails;
	}
	is_int(fails, 0, "%d threads appended %d records of %d bytes", NTHR, NREC, REC);
	is_int(slurp(F, all, sizeof(all)), NTHR * NREC * REC,
	       "O_APPEND: no record overwrote another");
	bad = 0;
	for (i = 0; i < NTHR * NREC; i++) {
		unsigned char *r = all + (long)i * REC;
		int id = r[0] - '0';

		bad += id < 0 || id >= NTHR || !all_bytes(r + 1, REC - 1, 'a' + id);
	}
	is_int(bad, 0, "O_APPEND: every record whole and in place");
}

/* threads sharing one open file: the kernel's f_pos rules */
static int shared_fd;

static void *shared_writer(void *arg)
{
	struct wr *w = arg;
	char rec[REC];
	int k;

	memset(rec, 'a' + w->id, REC);
	rec[0] = '0' + w->id;
	for (k = 0; k < NREC; k++)
		if (write(shared_fd, rec, REC) != REC)
			w->fails++;
	return NULL;
}

static void *shared_reader(void *arg)
{
	struct wr *w = arg;
	char rec[REC];
	ssize_t n;

	while ((n = read(shared_fd, rec, REC)) > 0)
		w->fails += n;		/* here: bytes read */
	return NULL;
}

static void test_shared_fd(void)
{
	static unsigned char all[NTHR * NREC * REC + PG];
	pthread_t t[NTHR];
	struct wr w[NTHR];
	long long fails = 0, bad = 0, bytes = 0;
	int i;

	shared_fd = xopen(F, O_RDWR | O_TRUNC);
	for (i = 0; i < NTHR; i++) {
		w[i] = (struct wr){ i, 0 };
		pthread_create(&t[i], NULL, shared_writer, &w[i]);
	}
	for (i = 0; i < NTHR; i++) {
		pthread_join(t[i], NULL);
		fails += w[i].fails;
	}
	is_int(fails, 0, "one fd, %d threads: %d write()s of %d bytes each", NTHR, NREC, REC);
	is_int(lseek(shared_fd, 0, SEEK_CUR), NTHR * NREC * REC,
	       "the shared position advanced by every write");
	is_int(slurp(F, all, sizeof(all)), NTHR * NREC * REC, "no write landed on another");
	for (i = 0; i < NTHR * NREC; i++) {
		unsigned char *r = all + (long)i * REC;
		int id = r[0] - '0';

		bad += id < 0 || id >= NTHR || !all_bytes(r + 1, REC - 1, 'a' + id);
	}
	is_int(bad, 0, "every record whole and in place");
	lseek(shared_fd, 0, SEEK_SET);
	for (i = 0; i < NTHR; i++) {
		w[i] = (struct wr){ i, 0 };
		pthread_create(&t[i], NULL, shared_reader, &w[i]);
	}
	for (i = 0; i < NTHR; i++) {
		pthread_join(t[i], NULL);
		bytes += w[i].fails;
	}
	is_int(bytes, NTHR * NREC * REC, "%d threads reading one fd read each byte once", NTHR);
	close(shared_fd);
}

/* readers never see half of a write, even across pages */
#define SPAN	(3 * PG)

static volatile int stop;

static void *span_writer(void *arg)
{
	static char buf[SPAN];
	int fd = open(F, O_WRONLY);
	long n = 0;

	(void)arg;
	while (!stop) {
		memset(buf, 'a' + n++ % 26, SPAN);
		pwrite(fd, buf, SPAN, 100);
	}
	close(fd);
	return NULL;
}

static void test_untorn(void)
{
	static unsigned char buf[SPAN];
	pthread_t t;
	int fd = xopen(F, O_RDWR | O_TRUNC), k, torn = 0, reads = 0;
	struct iovec iov[2] = { { buf, PG + 7 }, { buf + PG + 7, SPAN - PG - 7 } };

	memset(buf, 'a', SPAN);
	pwrite(fd, buf, SPAN, 100);
	stop = 0;
	pthread_create(&t, NULL, span_writer, NULL);
	for (k = 0; k < 3000; k++) {
		ssize_t n = k & 1 ? pread(fd, buf, SPAN, 100) :
				    preadv(fd, iov, 2, 100);

		reads++;
		if (n != SPAN || !all_bytes(buf, SPAN, buf[0]))
			torn++;
	}
	stop = 1;
	pthread_join(t, NULL);
	close(fd);
	is_int(torn, 0, "%d reads of 3 pages during 3-page writes: none torn", reads);
}

/* memory is charged to the writer's cgroup, freed by O_TRUNC and unload */
static long long cg_current(void)
{
	return read_ll(CG "/memory.current");
}

static void test_memcg(void)
{
	static char buf[1 << 20];
	long long base, full, trunc, gone, sparse;
	const long long stock = sysconf(_SC_NPROCESSORS_CONF) * (256 << 10);
	char pid[32], info[256];
	int fd, i;

	if (write_str("/sys/fs/cgroup/cgroup.subtree_control", "+memory") ||
	    (mkdir(CG, 0755) && errno != EEXIST)) {
		skip("no cgroup2 memory controller", "memory charged to the writer's cgroup");
		return;
	}
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_str(CG "/cgroup.procs", pid))
		bail_out("cannot join %s", CG);
	load_or_bail(NULL);
	memset(buf, 'z', sizeof(buf));
	fd = xopen(F, O_RDWR | O_TRUNC);
	base = cg_current();
	for (i = 0; i < 8; i++)
		write(fd, buf, sizeof(buf));
	full = cg_current();
	close(xopen(F, O_RDWR | O_TRUNC));
	trunc = cg_current();
	read_file("/proc/rust-proc-file-info", info, sizeof(info));
	for (i = 1; i <= 60; i++)
		pwrite(fd, "s", 1, (long long)i << 20);
	sparse = cg_current();
	for (i = 0; i < 8; i++)
		write(fd, buf, sizeof(buf));
	close(fd);
	mod_unload(MOD);
	gone = cg_current();
	diag("memory.current: %lld, 8 MiB written %lld, O_TRUNC %lld, 60 sparse bytes %lld, unloaded %lld",
	     base, full, trunc, sparse, gone);
	/*
	 * Charges are taken in batches of 64 pages (256 KiB) per CPU, the
	 * part not yet used kept in a per-CPU stock that memory.current
	 * already counts: BASE may include up to 256 KiB per CPU charged
	 * ahead, which the first writes use (the debug kernel showed 8 MiB
	 * less exactly 256 KiB).  Pages left uncharged would be 8 MiB.
	 */
	ok(full - base >= (8 << 20) - stock,
	   "8 MiB written: the cgroup is charged >= 8 MiB less the per-CPU stocks (%lld)",
	   full - base);
	ok(strstr(info, "\nsize: 0\n") && strstr(info, "\npages: 0\n"),
	   "O_TRUNC frees every page of the store (size 0, pages 0)");
	/*
	 * Uncharges pass through per-CPU stocks of up to 64 pages (256 KiB)
	 * each, and on the debug kernel KASAN's quarantine holds freed slab
	 * objects (xarray nodes) a while longer: up to 2 x 256 KiB and a
	 * little more can stay charged.  Pages kept would be 8 MiB.
	 */
	ok(trunc - base < 1 << 20, "O_TRUNC uncharges them (back within 1 MiB of 8 MiB)");
	ok(sparse - trunc < 1 << 20,
	   "a byte in each of 60 MiB costs under 1 MiB (charges come in 256 KiB batches)");
	ok(gone - trunc < 1 << 20, "unload frees what was left (within 1 MiB of 8 MiB)");
	write_str("/sys/fs/cgroup/cgroup.procs", pid);
	rmdir(CG);
}

/* unload frees every page and says how many */
static void test_unload_frees(void)
{
	char info[256], want[256], ver[32];
	int k, fd;
	char *log;

	load_or_bail(NULL);
	fd = xopen(F, O_RDWR);
	pwrite(fd, "a", 1, 0);
	pwrite(fd, "b", 1, 5 * PG - 1);
	pwrite(fd, "c", 1, 1 << 20);
	close(fd);
	read_file("/sys/module/" MOD "/version", ver, sizeof(ver));
	ver[strcspn(ver, "\n")] = '\0';
	snprintf(want, sizeof(want),
		 "version: %s\nsize: %ld\npages: 3\nmax_size: %d\n",
		 ver, (1L << 20) + 1, 64 << 20);
	read_file("/proc/rust-proc-file-info", info, sizeof(info));
	ok(ver[0] && !strcmp(info, want),
	   "/proc/rust-proc-file-info: version %s, size, 3 pages, max_size", ver);
	if (strcmp(info, want))
		diag("got:\n%s", info);
	k = kmsg_open();
	is_int(mod_unload(MOD), 0, "unloads");
	log = kmsg_collect(k);
	is_int(log_count(log, "rust_proc_ram_file: Removed /proc/rust-proc-file (3 pages freed)"),
	       1, "dmesg: Removed /proc/rust-proc-file (3 pages freed)");
	free(log);
	close(k);
	is_errno(open(F, O_RDONLY), ENOENT, "the file is gone");
	is_errno(open("/proc/rust-proc-file-info", O_RDONLY), ENOENT,
		 "and so is the info file");
	load_or_bail(NULL);
	is_int(fsize(F), 0, "reloaded: empty");
}

/*
 * Issue 13 finding 8: fsync() and fdatasync() succeed, as on tmpfs (the
 * file is in RAM: nothing to flush), through every access mode, so that
 * dd conv=fsync, editors and databases work; sync_file_range too.
 */
static void test_fsync(void)
{
	static const struct {
		int flags;
		const char *name;
	} modes[] = {
		{ O_RDWR, "O_RDWR" }, { O_WRONLY, "O_WRONLY" },
		{ O_RDONLY, "O_RDONLY" }, { O_WRONLY | O_APPEND, "O_WRONLY|O_APPEND" },
	};
	char buf[8] = { 0 };
	unsigned int i;
	int fd;

	fd = xopen(F, O_RDWR | O_TRUNC);
	is_int(write(fd, "durable", 7), 7, "write 7 bytes");
	close(fd);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		fd = xopen(F, modes[i].flags);
		is_int(fsync(fd), 0, "fsync on an %s open: 0", modes[i].name);
		is_int(fdatasync(fd), 0, "fdatasync on an %s open: 0", modes[i].name);
		close(fd);
	}
	fd = xopen(F, O_RDWR | O_SYNC);
	is_int(pwrite(fd, "D", 1, 0), 1, "a write through an O_SYNC open");
	is_int(fsync(fd), 0, "and fsync after it: 0");
	is_int(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE |
			       SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER), 0,
	       "sync_file_range of the whole file: 0");
	is_errno(sync_file_range(fd, 0, 0, 0x80), EINVAL,
		 "sync_file_range with an unknown flag: EINVAL");
	is_int(pread(fd, buf, 7, 0), 7, "the data is there after the syncs");
	ok(!memcmp(buf, "Durable", 7), "\"Durable\"");
	close(fd);
	is_errno(fsync(fd), EBADF, "fsync on a closed descriptor: EBADF");
	is_int(fsize(F), 7, "and the size is 7");
}

/*
 * O_DIRECT as tmpfs answers it: refused (EINVAL) before 6.6, accepted
 * since, with the same I/O as without it (any alignment).  Checked
 * against a tmpfs file in the same boot.
 */
static void test_odirect(void)
{
	int d, r, fd, rfd, dfl, rfl;
	char buf[8] = { 0 };

	d = open(F, O_RDWR | O_TRUNC | O_DIRECT);
	r = open(REF, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0666);
	ok((d >= 0) == (r >= 0), "open with O_DIRECT: as tmpfs (%s / tmpfs %s)",
	   d >= 0 ? "accepted" : strerror(errno), r >= 0 ? "accepted" : "refused");
	if (d >= 0 && r >= 0) {
		is_int(pwrite(d, "direct", 6, 5), 6, "O_DIRECT: a 6-byte write at offset 5");
		is_int(pread(d, buf, 6, 5), 6, "O_DIRECT: read back");
		ok(!memcmp(buf, "direct", 6), "O_DIRECT: the same bytes");
	} else if (d < 0 && r < 0) {
		skip("this kernel's tmpfs refuses O_DIRECT", "O_DIRECT I/O");
	}
	if (d >= 0)
		close(d);
	if (r >= 0)
		close(r);
	/* O_TRUNC with it: done only by an open that succeeds */
	fd = xopen(F, O_RDWR | O_TRUNC);
	rfd = xopen(REF, O_RDWR | O_TRUNC);
	if (write(fd, "keep", 4) != 4 || write(rfd, "keep", 4) != 4)
		bail_out("write: %s", strerror(errno));
	close(fd);
	close(rfd);
	d = open(F, O_RDWR | O_TRUNC | O_DIRECT);
	r = open(REF, O_RDWR | O_TRUNC | O_DIRECT);
	ok((d >= 0) == (r >= 0), "open with O_TRUNC|O_DIRECT: as tmpfs (%s)",
	   r >= 0 ? "accepted" : "refused");
	is_int(fsize(F), fsize(REF), "and the size after it is tmpfs's (%lld): %s",
	       fsize(REF), r >= 0 ? "emptied" : "a refused open truncates nothing");
	if (d >= 0)
		close(d);
	if (r >= 0)
		close(r);
	fd = xopen(F, O_RDWR);
	rfd = xopen(REF, O_RDWR);
	dfl = fcntl(fd, F_SETFL, O_DIRECT);
	rfl = fcntl(rfd, F_SETFL, O_DIRECT);
	ok((dfl == 0) == (rfl == 0), "fcntl(F_SETFL, O_DIRECT): as tmpfs (%d / tmpfs %d)",
	   dfl, rfl);
	close(fd);
	close(rfd);
	unlink(REF);
}

/*
 * What README.md tells a program to do where the file differs from
 * tmpfs: posix_fallocate() (the C library writes zeros when fallocate is
 * unsupported), copying by read and write, shrinking by O_TRUNC and
 * writing back.
 */
static void test_instead(void)
{
	static char big[10100];
	int fd = xopen(F, O_RDWR | O_TRUNC), p[2];
	char buf[8] = { 0 };
	size_t i;
	bool zero = true;

	is_int(pwrite(fd, "abc", 3, 0), 3, "write abc");
	is_errno(fallocate(fd, 0, 100, 10000), EOPNOTSUPP, "fallocate: EOPNOTSUPP");
	is_int(posix_fallocate(fd, 100, 10000), 0,
	       "posix_fallocate instead: 0 (the C library writes zeros)");
	is_int(fsize(F), 10100, "the size is 10100");
	is_int(pread(fd, big, sizeof(big), 0), (ssize_t)sizeof(big), "read it all");
	for (i = 3; i < sizeof(big); i++)
		zero &= !big[i];
	ok(!memcmp(big, "abc", 3) && zero, "abc, then zeros");
	is_errno(mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0,
		 ENODEV, "mmap: ENODEV; pread instead");
	if (pipe(p))
		bail_out("pipe: %s", strerror(errno));
	is_int(write(p[1], "pipe", 4), 4, "4 bytes into a pipe");
	is_errno(splice(p[0], NULL, fd, NULL, 4, 0), EINVAL, "splice them into the file: EINVAL");
	ok(read(p[0], buf, 4) == 4 && pwrite(fd, buf, 4, 0) == 4,
	   "read them from the pipe and write them instead");
	is_errno(copy_file_range(fd, &(off_t){ 0 }, fd, &(off_t){ 20000 }, 4, 0), EINVAL,
		 "copy_file_range within the file: EINVAL");
	ok(pread(fd, buf, 4, 0) == 4 && pwrite(fd, buf, 4, 20000) == 4,
	   "pread and pwrite instead");
	is_int(ftruncate(fd, 2), 0, "ftruncate to 2: returns 0, changes nothing");
	is_int(pread(fd, buf, 2, 0), 2, "to shrink instead: read the first 2 bytes");
	close(fd);
	fd = xopen(F, O_RDWR | O_TRUNC);
	is_int(write(fd, buf, 2), 2, "open with O_TRUNC and write them back");
	is_int(fsize(F), 2, "size 2");
	ok(pread(fd, buf, 8, 0) == 2 && !memcmp(buf, "pi", 2), "holding \"pi\"");
	close(fd);
	close(p[0]);
	close(p[1]);
}

/* write updates mtime and ctime; ftruncate does nothing (procfs) */
static void test_times_and_ftruncate(void)
{
	struct stat a, b;
	int fd = xopen(F, O_RDWR | O_TRUNC);

	write(fd, "12345", 5);
	fstat(fd, &a);
	usleep(20000);
	write(fd, "6", 1);
	fstat(fd, &b);
	ok(b.st_mtim.tv_sec * 1000000000LL + b.st_mtim.tv_nsec >
	   a.st_mtim.tv_sec * 1000000000LL + a.st_mtim.tv_nsec,
	   "a write advances mtime");
	ok(b.st_ctim.tv_sec == b.st_mtim.tv_sec && b.st_ctim.tv_nsec == b.st_mtim.tv_nsec,
	   "and ctime with it");
	/* documented difference: procfs ignores sizes in setattr */
	is_int(ftruncate(fd, 2), 0, "ftruncate returns 0 (procfs) ...");
	is_int(fsize(F), 6, "... and changes nothing: O_TRUNC is the way to empty it");
	close(fd);
}

int main(void)
{
	test_params();
	test_load();
	test_open_options();
	test_read_write_seek();
	test_holes();
	test_faults();
	test_splice_mmap();
	test_differences();
	test_fsync();
	test_odirect();
	test_instead();
	test_times_and_ftruncate();
	test_concurrent_writes();
	test_shared_fd();
	test_untorn();
	test_unload_frees();
	test_max_size();
	test_rlimit();
	test_memcg();
	mod_ensure_unloaded(MOD);
	return done_testing();
}
