// SPDX-License-Identifier: GPL-2.0
/*
 * Differential tester: seeded random sequences of file operations run
 * against /proc/rust-proc-file and against a file on tmpfs (/tmp).  Return
 * values, errno, data read, file positions, sizes, the SEEK_DATA/SEEK_HOLE
 * map and the final contents must be the same.
 *
 * The operations are every call a program makes on a regular file: open
 * (every access mode, O_TRUNC, O_APPEND, O_DIRECT), dup, close, read,
 * pread, readv, preadv, write, pwrite, writev, pwritev, lseek (every
 * whence), fstat; fsync, fdatasync, sync_file_range, syncfs; ftruncate,
 * fallocate, posix_fadvise, mmap; flock, POSIX and OFD record locks
 * (F_SETLK, F_GETLK, F_OFD_SETLK, F_OFD_GETLK); copy_file_range within
 * the file and to and from another file; splice to and from a pipe;
 * sendfile to a pipe, to another file and from another file.  The other
 * file is on tmpfs for both (two of them, one per side), so is the pipe
 * (one per side); their contents are compared too.
 *
 * Where /proc/rust-proc-file differs from tmpfs by design
 * (rust_proc_ram_file/README.md, "Differences from tmpfs"), the tester
 * expects the documented answer where tmpfs succeeds: ftruncate returns 0
 * and changes nothing; fallocate EOPNOTSUPP; mmap ENODEV; copy_file_range
 * within the file EINVAL and across file systems EXDEV; splice and
 * sendfile into the file EINVAL.  Then it does on the /proc side what the
 * README tells a program to do instead (pread and pwrite, read from the
 * pipe and write), so that both sides hold the same again and the
 * sequence goes on.  ftruncate and fallocate are first asked of a
 * scratch tmpfs file opened the same way, never of the reference, to
 * learn whether tmpfs would have done it; failing calls must fail alike.
 * Each documented difference met is counted and reported.
 *
 *	test_diff [-s SEED] [-n SEQUENCES] [-m OPS] [-q SEQUENCE] [-v]
 *
 * -q runs only that sequence of the seed's run; -v prints every operation.
 * 2500 sequences by default (400 on the debug kernel, about 30 times slower
 * under its sanitizers: there the point is what KASAN and lockdep see).
 * The one difference modelled here is the module's max_size: a write that
 * starts at or past it gets EFBIG and changes nothing, one that crosses it
 * is cut short at it.  The tester knows where each write lands and gives
 * the tmpfs file the same (shortened or skipped) write, so everything
 * after it is still compared.  TEST_ALSO_M32: the 32-bit build runs the
 * compat system calls.
 */
#define _FILE_OFFSET_BITS 64
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <time.h>
#include <linux/falloc.h>

#include "tap.h"
#include "guest.h"

#define MOD	"rust_proc_ram_file"
#define DUT	"/proc/rust-proc-file"
#define REF	"/tmp/rpf-diff-ref"
#define OTHER_D	"/tmp/rpf-diff-other-d"	/* the other file, /proc's side */
#define OTHER_R	"/tmp/rpf-diff-other-r"	/* the other file, tmpfs's side */
#define SCRATCH	"/tmp/rpf-diff-scratch"	/* asks tmpfs without changing REF */
#define OTHER_MAX (16 * PG)		/* offsets in the other file */
/*
 * procfs leaves its superblock's s_maxbytes at the default, 2^31 - 1: the
 * VFS holds ftruncate, fallocate and sendfile on /proc files to it.
 */
#define PROC_MAXBYTES	0x7fffffffLL
#define PG	4096L
/* odd on purpose: not a page multiple, near the offsets we use */
#define MAX_SIZE (16 * PG + 123)
#define MAX_IO	(3 * PG + 77)
#define SLOTS	3
#define MAX_IOV	4

static uint64_t rng;
static bool verbose;

static uint64_t next(void)		/* splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static long rnd(long n)			/* 0 .. n-1 */
{
	return (long)(next() % (uint64_t)n);
}

/* an offset: mostly near page edges in the first pages, sometimes odd */
static long long rnd_off(long long size)
{
	switch (rnd(10)) {
	case 0:
		return rnd(3 * PG);
	case 1:
	case 2:
		return rnd(6) * PG + rnd(5) - 2;
	case 3:
		return size + rnd(9) - 4;
	case 4:
		return size + rnd(2 * PG);
	case 5:
		return MAX_SIZE + rnd(9) - 4 - rnd(2) * rnd(PG);
	case 6:
		return rnd(2) ? -1 - rnd(PG) : LLONG_MIN + rnd(3);
	case 7:
		return LLONG_MAX - rnd(3) - rnd(2) * rnd(2 * PG);
	default:
		return rnd(MAX_SIZE + PG);
	}
}

static size_t rnd_len(void)
{
	switch (rnd(6)) {
	case 0:
		return rnd(3);
	case 1:
		return PG - 1 + rnd(3);
	case 2:
		return rnd(MAX_IO);
	default:
		return rnd(200);
	}
}

static unsigned char wbuf[MAX_IO], rbuf_d[MAX_IO], rbuf_r[MAX_IO];

/* one file descriptor of each file in a slot */
struct slot {
	int d, r;
	int flags;
};

static struct slot slots[SLOTS];
static char opdesc[256];
static long long ops_checked;

/* the other file and a pipe, one of each per side */
static int other_d = -1, other_r = -1;
static int pipe_d[2] = { -1, -1 }, pipe_r[2] = { -1, -1 };

/* the documented differences, and how often each was met */
enum {
	DIFF_FTRUNCATE, DIFF_FTRUNCATE_BIG, DIFF_FALLOCATE, DIFF_MMAP,
	DIFF_COPY_SAME, DIFF_COPY_BIG, DIFF_COPY_XDEV, DIFF_SPLICE_IN,
	DIFF_SENDFILE_IN, DIFF_SENDFILE_BIG, NDIFF
};
static const char *const diff_name[NDIFF] = {
	"ftruncate ignored (tmpfs: resized)",
	"ftruncate past 2 GiB - 1 EFBIG (tmpfs: resized)",
	"fallocate EOPNOTSUPP, or EFBIG past 2 GiB - 1 (tmpfs: done)",
	"mmap ENODEV (tmpfs: mapped)",
	"copy_file_range within the file EINVAL (tmpfs: copied)",
	"copy_file_range into the file at or past 2 GiB - 1 EFBIG",
	"copy_file_range to or from another file system EXDEV",
	"splice from a pipe into the file EINVAL (tmpfs: written)",
	"sendfile into the file EINVAL (tmpfs: written)",
	"sendfile from offsets at or past 2 GiB - 1 EOVERFLOW (tmpfs: read)",
};
static long long diff_seen[NDIFF];

/*
 * Whether this kernel's copy_file_range holds the destination offset to
 * the file's size limits also when there is nothing to copy (7.x does,
 * 6.12 does not): found out once, on tmpfs (probe_copy_limits()).
 */
static bool copy_limits_empty;

struct res {
	long long ret;
	int err;
};

#define DO(expr) ({ struct res _r; errno = 0; _r.ret = (expr);		\
		    _r.err = _r.ret < 0 ? errno : 0; _r; })

static bool diverged(const char *what, struct res d, struct res r)
{
	printf("# first divergent operation: %s\n", opdesc);
	printf("#   %s: /proc: %lld (%s), tmpfs: %lld (%s)\n", what, d.ret,
	       d.ret < 0 ? strerror(d.err) : "ok", r.ret,
	       r.ret < 0 ? strerror(r.err) : "ok");
	return false;
}

static struct res last;		/* for -v */

static bool same(const char *what, struct res d, struct res r)
{
	last = d;
	if (d.ret == r.ret && d.err == r.err)
		return true;
	return diverged(what, d, r);
}

static bool same_data(const unsigned char *a, const unsigned char *b,
		      long long n)
{
	long long i;

	for (i = 0; i < n; i++) {
		if (a[i] != b[i]) {
			printf("# first divergent operation: %s\n", opdesc);
			printf("#   data differ at byte %lld: /proc 0x%02x, tmpfs 0x%02x\n",
			       i, a[i], b[i]);
			return false;
		}
	}
	return true;
}

/* /proc gave the documented ERR where tmpfs did the operation (R) */
static bool documented(int kind, struct res d, struct res r, int err)
{
	last = d;
	if (d.ret == -1 && d.err == err) {
		diff_seen[kind]++;
		return true;
	}
	printf("# first divergent operation: %s\n", opdesc);
	printf("#   tmpfs did it (%lld); /proc: %lld (%s), documented: %s\n",
	       r.ret, d.ret, d.ret < 0 ? strerror(d.err) : "ok", strerror(err));
	return false;
}

static bool same_ll(const char *what, long long d, long long r)
{
	return same(what, (struct res){ d, 0 }, (struct res){ r, 0 });
}

/* read everything a pipe holds now (its ends are O_NONBLOCK) */
static ssize_t drain(int fd, unsigned char *buf, size_t size)
{
	ssize_t n, total = 0;

	while ((size_t)total < size &&
	       (n = read(fd, buf + total, size - total)) > 0)
		total += n;
	return total;
}

/* both pipes hold the same bytes; both are empty after */
static bool same_pipes(void)
{
	ssize_t d = drain(pipe_d[0], rbuf_d, sizeof(rbuf_d));
	ssize_t r = drain(pipe_r[0], rbuf_r, sizeof(rbuf_r));

	return same("bytes in the pipe", (struct res){ d, 0 },
		    (struct res){ r, 0 }) && same_data(rbuf_d, rbuf_r, d);
}

/*
 * What a program does instead of a copy the file cannot take: N bytes
 * read from SRC and written to DST, at the given offsets or at and past
 * the file positions (a NULL offset), the source first, as the kernel
 * updates them.  SRC < 0: the bytes come from the /proc side's pipe.
 */
static void copy_by_hand(int src, off_t *off_in, int dst, off_t *off_out,
			 size_t n)
{
	off_t in = off_in ? *off_in : src >= 0 ? lseek(src, 0, SEEK_CUR) : 0;
	off_t out = off_out ? *off_out : lseek(dst, 0, SEEK_CUR);
	static unsigned char buf[MAX_IO];

	if (n > sizeof(buf) ||
	    (src >= 0 ? pread(src, buf, n, in) : read(pipe_d[0], buf, n)) != (ssize_t)n ||
	    pwrite(dst, buf, n, out) != (ssize_t)n)
		bail_out("%s: copying %zu bytes by hand failed: %s", opdesc, n,
			 strerror(errno));
	if (src >= 0 && off_in)
		*off_in = in + n;
	else if (src >= 0)
		lseek(src, in + n, SEEK_SET);
	if (off_out)
		*off_out = out + n;
	else
		lseek(dst, out + n, SEEK_SET);
}

/*
 * Ask tmpfs how it would answer ftruncate or fallocate through an open
 * like slot S's, on the scratch file (then emptied), leaving REF alone.
 */
static int scratch_open(struct slot *s)
{
	int fd = open(SCRATCH, s->flags & O_ACCMODE);

	if (fd < 0)
		bail_out("open %s: %s", SCRATCH, strerror(errno));
	return fd;
}

static void scratch_close(int fd)
{
	close(fd);
	if (truncate(SCRATCH, 0))
		bail_out("truncate %s: %s", SCRATCH, strerror(errno));
}

/*
 * By path: opening and closing the file here would drop the POSIX locks
 * this process holds on it (any close of the file does).
 */
static long long ref_size(void)
{
	struct stat st;

	if (stat(REF, &st))
		bail_out("stat %s: %s", REF, strerror(errno));
	return st.st_size;
}

/*
 * Where a write on slot S at OFF (or at its file position) would land,
 * and how much of LEN the module's max_size lets through: -1 for none.
 */
static long long cap_len(struct slot *s, bool at_off, long long off,
			 long long len)
{
	long long pos = at_off ? off : lseek(s->r, 0, SEEK_CUR);

	/* the VFS answers these before the file is asked: EBADF, EINVAL */
	if (!(s->flags & (O_WRONLY | O_RDWR)) || !len || pos < 0 ||
	    pos > LLONG_MAX - len)
		return len;
	if (s->flags & O_APPEND)
		pos = ref_size();
	if (pos >= MAX_SIZE)
		return -1;
	return pos + len > MAX_SIZE ? MAX_SIZE - pos : len;
}

static void fill(size_t n)
{
	size_t i;
	unsigned char c = (unsigned char)next();

	for (i = 0; i < n; i++)
		wbuf[i] = c + (unsigned char)i * 7;
}

static const char *flagstr(int fl)
{
	static char buf[64];
	int acc = fl & O_ACCMODE;

	snprintf(buf, sizeof(buf), "%s%s%s%s",
		 acc == O_RDONLY ? "O_RDONLY" : acc == O_WRONLY ? "O_WRONLY" :
		 "O_RDWR", fl & O_TRUNC ? "|O_TRUNC" : "",
		 fl & O_APPEND ? "|O_APPEND" : "",
		 fl & O_DIRECT ? "|O_DIRECT" : "");
	return buf;
}

static const char *whencestr(int w)
{
	static const char *const names[] = {
		"SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE"
	};
	static char buf[16];

	if (w >= 0 && w <= 4)
		return names[w];
	snprintf(buf, sizeof(buf), "%d", w);
	return buf;
}

static bool op_open(int i)
{
	struct slot *s = &slots[i];
	static const int acc[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDWR };
	int fl = acc[rnd(4)];
	struct res d, r;

	if (!rnd(5))
		fl |= O_TRUNC;
	if (!rnd(3))
		fl |= O_APPEND;
	if (!rnd(12))
		fl |= O_DIRECT;
	snprintf(opdesc, sizeof(opdesc), "slot %d: open(%s)", i, flagstr(fl));
	d = DO(open(DUT, fl));
	r = DO(open(REF, fl));
	last = d;
	s->d = d.ret;
	s->r = r.ret;
	s->flags = fl;
	if ((d.ret < 0) != (r.ret < 0) || d.err != r.err)
		return diverged("open", d, r);
	return true;
}

static void op_close(int i)
{
	close(slots[i].d);
	close(slots[i].r);
	slots[i].d = slots[i].r = -1;
}

static bool op_dup(int i, int j)
{
	struct res d, r;

	snprintf(opdesc, sizeof(opdesc), "slot %d = dup(slot %d)", j, i);
	d = DO(dup(slots[i].d));
	r = DO(dup(slots[i].r));
	slots[j] = slots[i];
	slots[j].d = d.ret;
	slots[j].r = r.ret;
	if ((d.ret < 0) != (r.ret < 0))
		return diverged("dup", d, r);
	return true;
}

static bool op_read(struct slot *s, int i, int kind)
{
	long long off = rnd_off(ref_size());
	size_t len = rnd_len();
	struct res d, r;

	memset(rbuf_d, 0xa5, len);
	memset(rbuf_r, 0x5a, len);
	if (kind == 0) {
		snprintf(opdesc, sizeof(opdesc), "slot %d: read(%zu)", i, len);
		d = DO(read(s->d, rbuf_d, len));
		r = DO(read(s->r, rbuf_r, len));
	} else if (kind == 1) {
		snprintf(opdesc, sizeof(opdesc), "slot %d: pread(%zu, %lld)",
			 i, len, off);
		d = DO(pread(s->d, rbuf_d, len, off));
		r = DO(pread(s->r, rbuf_r, len, off));
	} else {
		struct iovec vd[MAX_IOV], vr[MAX_IOV];
		int n = 1 + rnd(MAX_IOV), k;
		size_t at = 0;

		for (k = 0; k < n; k++) {
			size_t l = k == n - 1 ? len - at : (size_t)rnd(len - at + 1);

			vd[k].iov_base = rbuf_d + at;
			vr[k].iov_base = rbuf_r + at;
			vd[k].iov_len = vr[k].iov_len = l;
			at += l;
		}
		if (kind == 2) {
			snprintf(opdesc, sizeof(opdesc),
				 "slot %d: readv(%d iovecs, %zu)", i, n, len);
			d = DO(readv(s->d, vd, n));
			r = DO(readv(s->r, vr, n));
		} else {
			snprintf(opdesc, sizeof(opdesc),
				 "slot %d: preadv(%d iovecs, %zu, %lld)",
				 i, n, len, off);
			d = DO(preadv(s->d, vd, n, off));
			r = DO(preadv(s->r, vr, n, off));
		}
	}
	if (!same("return", d, r))
		return false;
	return d.ret <= 0 || same_data(rbuf_d, rbuf_r, d.ret);
}

static bool op_write(struct slot *s, int i, int kind)
{
	long long off = rnd_off(ref_size());
	size_t len = rnd_len();
	long long allow = cap_len(s, kind & 1, off, len);
	struct iovec vd[MAX_IOV], vr[MAX_IOV];
	struct res d, r;
	int n = 1, k;

	fill(len);
	vd[0].iov_base = wbuf;
	vd[0].iov_len = len;
	if (kind >= 2) {
		size_t at = 0;

		n = 1 + rnd(MAX_IOV);
		for (k = 0; k < n; k++) {
			size_t l = k == n - 1 ? len - at : (size_t)rnd(len - at + 1);

			vd[k].iov_base = wbuf + at;
			vd[k].iov_len = l;
			at += l;
		}
	}
	/* the tmpfs file gets what max_size lets through */
	memcpy(vr, vd, sizeof(vr));
	if (allow >= 0 && allow < (long long)len) {
		long long left = allow;

		for (k = 0; k < n; k++) {
			if ((long long)vr[k].iov_len > left)
				vr[k].iov_len = left;
			left -= vr[k].iov_len;
		}
	}
	switch (kind) {
	case 0:
		snprintf(opdesc, sizeof(opdesc), "slot %d: write(%zu)", i, len);
		d = DO(write(s->d, wbuf, len));
		r = allow < 0 ? (struct res){ -1, EFBIG } :
			DO(write(s->r, wbuf, vr[0].iov_len));
		break;
	case 1:
		snprintf(opdesc, sizeof(opdesc), "slot %d: pwrite(%zu, %lld)",
			 i, len, off);
		d = DO(pwrite(s->d, wbuf, len, off));
		r = allow < 0 ? (struct res){ -1, EFBIG } :
			DO(pwrite(s->r, wbuf, vr[0].iov_len, off));
		break;
	case 2:
		snprintf(opdesc, sizeof(opdesc),
			 "slot %d: writev(%d iovecs, %zu)", i, n, len);
		d = DO(writev(s->d, vd, n));
		r = allow < 0 ? (struct res){ -1, EFBIG } :
			DO(writev(s->r, vr, n));
		break;
	default:
		snprintf(opdesc, sizeof(opdesc),
			 "slot %d: pwritev(%d iovecs, %zu, %lld)", i, n, len, off);
		d = DO(pwritev(s->d, vd, n, off));
		r = allow < 0 ? (struct res){ -1, EFBIG } :
			DO(pwritev(s->r, vr, n, off));
		break;
	}
	return same("return", d, r);
}

static bool op_lseek(struct slot *s, int i)
{
	static const int wh[] = {
		SEEK_SET, SEEK_SET, SEEK_CUR, SEEK_CUR, SEEK_END, SEEK_END,
		SEEK_DATA, SEEK_DATA, SEEK_HOLE, SEEK_HOLE, 5, -1
	};
	int w = wh[rnd(sizeof(wh) / sizeof(wh[0]))];
	long long off;
	struct res d, r;

	switch (w) {
	case SEEK_CUR:
	case SEEK_END:
		off = rnd(4) ? rnd(2 * PG) - PG : rnd_off(0);
		break;
	default:
		off = rnd_off(ref_size());
	}
	snprintf(opdesc, sizeof(opdesc), "slot %d: lseek(%lld, %s)", i, off,
		 whencestr(w));
	d = DO(lseek(s->d, off, w));
	r = DO(lseek(s->r, off, w));
	return same("return", d, r);
}

static bool op_fstat(struct slot *s, int i)
{
	struct stat sd, sr;
	struct res d, r;

	snprintf(opdesc, sizeof(opdesc), "slot %d: fstat + lseek(0, SEEK_CUR)",
		 i);
	if (fstat(s->d, &sd) || fstat(s->r, &sr))
		bail_out("fstat: %s", strerror(errno));
	if (!same("st_size", (struct res){ sd.st_size, 0 },
		  (struct res){ sr.st_size, 0 }))
		return false;
	d = DO(lseek(s->d, 0, SEEK_CUR));
	r = DO(lseek(s->r, 0, SEEK_CUR));
	return same("position", d, r);
}

/* fsync, fdatasync, sync_file_range, syncfs */
static bool op_sync(struct slot *s, int i)
{
	long long off = rnd(4) ? rnd(MAX_SIZE) : rnd_off(0);
	long long nbytes = rnd(4) ? (long long)rnd_len() : -1 - rnd(PG);
	unsigned int flags = rnd(10) ? rnd(8) : 8 << rnd(3);
	struct res d, r;

	switch (rnd(4)) {
	case 0:
		snprintf(opdesc, sizeof(opdesc), "slot %d: fsync", i);
		d = DO(fsync(s->d));
		r = DO(fsync(s->r));
		break;
	case 1:
		snprintf(opdesc, sizeof(opdesc), "slot %d: fdatasync", i);
		d = DO(fdatasync(s->d));
		r = DO(fdatasync(s->r));
		break;
	case 2:
		snprintf(opdesc, sizeof(opdesc),
			 "slot %d: sync_file_range(%lld, %lld, %#x)", i, off,
			 nbytes, flags);
		d = DO(sync_file_range(s->d, off, nbytes, flags));
		r = DO(sync_file_range(s->r, off, nbytes, flags));
		break;
	default:
		snprintf(opdesc, sizeof(opdesc), "slot %d: syncfs", i);
		d = DO(syncfs(s->d));
		r = DO(syncfs(s->r));
		break;
	}
	return same("return", d, r);
}

/* posix_fadvise, which returns the error number itself */
static bool op_fadvise(struct slot *s, int i)
{
	long long off = rnd(5) ? rnd(MAX_SIZE + PG) : rnd_off(0);
	long long len = rnd(5) ? (long long)rnd_len() : -1 - rnd(PG);
	int advice = rnd(8), ed, er;

	snprintf(opdesc, sizeof(opdesc), "slot %d: posix_fadvise(%lld, %lld, %d)",
		 i, off, len, advice);
	ed = posix_fadvise(s->d, off, len, advice);
	er = posix_fadvise(s->r, off, len, advice);
	return same("return", (struct res){ ed ? -1 : 0, ed },
		    (struct res){ er ? -1 : 0, er });
}

/*
 * documented: ftruncate returns 0 and changes nothing; EFBIG past procfs's
 * s_maxbytes
 */
static bool op_ftruncate(struct slot *s, int i)
{
	long long len, before;
	struct stat st;
	struct res d, r;
	int sc;

	switch (rnd(7)) {
	case 0:
		len = -1 - rnd(PG);
		break;
	case 1:
		len = LLONG_MAX - rnd(3);
		break;
	case 2:
		len = PROC_MAXBYTES - 1 + rnd(3);
		break;
	default:
		len = rnd(MAX_SIZE + PG);
	}
	snprintf(opdesc, sizeof(opdesc), "slot %d: ftruncate(%lld)", i, len);
	sc = scratch_open(s);
	r = DO(ftruncate(sc, len));
	scratch_close(sc);
	if (fstat(s->d, &st))
		bail_out("fstat: %s", strerror(errno));
	before = st.st_size;
	d = DO(ftruncate(s->d, len));
	if (r.ret)
		return same("return", d, r);
	if (len > PROC_MAXBYTES)
		return documented(DIFF_FTRUNCATE_BIG, d, r, EFBIG);
	if (!same("return", d, r) || fstat(s->d, &st))
		return false;
	if (!same_ll("size after ftruncate (unchanged)", st.st_size, before))
		return false;
	if (len != before)
		diff_seen[DIFF_FTRUNCATE]++;
	return true;
}

/* documented: fallocate EOPNOTSUPP where tmpfs would do it */
static bool op_fallocate(struct slot *s, int i)
{
	static const int modes[] = {
		0, 0, FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE,
		FALLOC_FL_ZERO_RANGE, FALLOC_FL_COLLAPSE_RANGE,
		FALLOC_FL_INSERT_RANGE, 0x10000,
	};
	int mode = modes[rnd(sizeof(modes) / sizeof(modes[0]))], sc;
	long long off, len;
	struct res d, r;

	switch (rnd(9)) {
	case 0:
		off = -1 - rnd(PG);
		break;
	case 1:
		off = LLONG_MAX - rnd(2 * PG);
		break;
	case 2:
		off = PROC_MAXBYTES - rnd(4 * PG);
		break;
	default:
		off = rnd(MAX_SIZE + PG);
	}
	/* at most 3 pages: tmpfs really allocates them */
	len = rnd(6) ? 1 + rnd(3 * PG) : rnd(2) ? 0 : -1 - rnd(10);
	snprintf(opdesc, sizeof(opdesc), "slot %d: fallocate(%#x, %lld, %lld)",
		 i, mode, off, len);
	sc = scratch_open(s);
	r = DO(fallocate(sc, mode, off, len));
	scratch_close(sc);
	d = DO(fallocate(s->d, mode, off, len));
	/*
	 * The VFS's own checks come first and answer alike; tmpfs refuses
	 * ZERO_RANGE, COLLAPSE_RANGE and INSERT_RANGE only after them, where
	 * /proc meets s_maxbytes, then its missing fallocate.
	 */
	if (r.ret && !(r.err == EOPNOTSUPP &&
		       (mode == FALLOC_FL_ZERO_RANGE || mode == FALLOC_FL_COLLAPSE_RANGE ||
			mode == FALLOC_FL_INSERT_RANGE)))
		return same("return", d, r);
	return documented(DIFF_FALLOCATE, d, r,
			  off + len > PROC_MAXBYTES ? EFBIG : EOPNOTSUPP);
}

/* documented: mmap ENODEV where tmpfs maps (the mapping is not used) */
static bool op_mmap(struct slot *s, int i)
{
	static const int prots[] = {
		PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE, PROT_NONE
	};
	static const int flagset[] = { MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE };
	int prot = prots[rnd(4)], flags = flagset[rnd(3)];
	size_t len = rnd(5) ? (size_t)(1 + rnd(3)) * PG : rnd(2) ? 0 : (size_t)(1 + rnd(PG));
	off_t off = rnd(4) ? rnd(4) * PG : rnd(2) ? 1 + rnd(PG - 1) : (off_t)1 << 40;
	struct res d, r;
	void *md, *mr;

	snprintf(opdesc, sizeof(opdesc), "slot %d: mmap(%zu, prot %#x, flags %#x, %lld)",
		 i, len, prot, flags, (long long)off);
	errno = 0;
	mr = mmap(NULL, len, prot, flags, s->r, off);
	r = (struct res){ mr == MAP_FAILED ? -1 : 0, mr == MAP_FAILED ? errno : 0 };
	errno = 0;
	md = mmap(NULL, len, prot, flags, s->d, off);
	d = (struct res){ md == MAP_FAILED ? -1 : 0, md == MAP_FAILED ? errno : 0 };
	if (mr != MAP_FAILED)
		munmap(mr, len);
	if (md != MAP_FAILED)
		munmap(md, len);
	return r.ret ? same("return", d, r) : documented(DIFF_MMAP, d, r, ENODEV);
}

/*
 * flock, and POSIX and OFD record locks, never waiting (LOCK_NB,
 * F_SETLK, F_OFD_SETLK): locks of other slots (other open files) are
 * what they meet, the same on both sides.  F_GETLK's answer is compared.
 */
static bool op_lock(struct slot *s, int i)
{
	static const short types[] = { F_RDLCK, F_WRLCK, F_UNLCK, F_RDLCK, F_WRLCK, 7 };
	static const short whences[] = { SEEK_SET, SEEK_SET, SEEK_CUR, SEEK_END, 7 };
	static const char *const cmdname[] = {
		"F_SETLK", "F_GETLK", "F_OFD_SETLK", "F_OFD_GETLK"
	};
	static const int cmds[] = { F_SETLK, F_GETLK, F_OFD_SETLK, F_OFD_GETLK };
	struct flock fd_, fr_;
	struct res d, r;
	int k = rnd(5);

	if (k == 4) {
		static const int ops[] = {
			LOCK_SH | LOCK_NB, LOCK_EX | LOCK_NB, LOCK_UN,
			LOCK_UN | LOCK_NB, LOCK_SH | LOCK_NB, LOCK_EX | LOCK_NB, 0, 7
		};
		int op = ops[rnd(8)];

		snprintf(opdesc, sizeof(opdesc), "slot %d: flock(%#x)", i, op);
		d = DO(flock(s->d, op));
		r = DO(flock(s->r, op));
		return same("return", d, r);
	}
	memset(&fd_, 0, sizeof(fd_));
	fd_.l_type = types[rnd(6)];
	fd_.l_whence = whences[rnd(5)];
	fd_.l_start = rnd(5) ? rnd(MAX_SIZE) : rnd(2) ? -1 - rnd(PG) : LLONG_MAX - rnd(3);
	fd_.l_len = rnd(4) ? rnd(3 * PG) : rnd(2) ? 0 : -1 - rnd(PG);
	fd_.l_pid = k >= 2 && !rnd(20);		/* OFD wants 0: EINVAL */
	fr_ = fd_;
	snprintf(opdesc, sizeof(opdesc),
		 "slot %d: fcntl(%s, type %d, whence %d, start %lld, len %lld)",
		 i, cmdname[k], fd_.l_type, fd_.l_whence, (long long)fd_.l_start,
		 (long long)fd_.l_len);
	d = DO(fcntl(s->d, cmds[k], &fd_));
	r = DO(fcntl(s->r, cmds[k], &fr_));
	if (!same("return", d, r))
		return false;
	if (r.ret || (cmds[k] != F_GETLK && cmds[k] != F_OFD_GETLK))
		return true;
	return same_ll("F_GETLK l_type", fd_.l_type, fr_.l_type) &&
	       same_ll("F_GETLK l_whence", fd_.l_whence, fr_.l_whence) &&
	       same_ll("F_GETLK l_start", fd_.l_start, fr_.l_start) &&
	       same_ll("F_GETLK l_len", fd_.l_len, fr_.l_len) &&
	       same_ll("F_GETLK l_pid", fd_.l_pid, fr_.l_pid);
}

/*
 * A length for a copy into the file at POS (explicit, or slot S's
 * position): nothing past max_size, which tmpfs does not have (the
 * copies themselves are what is tested here, not the cap).
 */
static size_t into_file_len(struct slot *s, off_t *off, size_t len)
{
	off_t pos = off ? *off : lseek(s->r, 0, SEEK_CUR);

	if (pos < 0)
		return len;	/* refused before the length matters */
	if (pos >= MAX_SIZE)
		return 0;
	return pos + (off_t)len > MAX_SIZE ? (size_t)(MAX_SIZE - pos) : len;
}

/*
 * copy_file_range within the file (between two of its open files, or
 * one), from the file to the other file and back.  Documented: EINVAL
 * within the file and EXDEV across file systems where tmpfs copies.
 */
static bool op_copy(struct slot *s, int i)
{
	int kind = rnd(3), j = rnd(SLOTS), flags = rnd(25) ? 0 : 1;
	bool use_in = rnd(2), use_out = rnd(2), xdev = kind != 0, big_out = false;
	off_t in0, out0, in_d, in_r, out_d, out_r;
	int src_d, src_r, dst_d, dst_r;
	size_t len = rnd_len();
	struct res d, r;

	if (kind == 0 && slots[j].d < 0)
		j = i;
	src_d = kind == 2 ? other_d : s->d;
	src_r = kind == 2 ? other_r : s->r;
	dst_d = kind == 0 ? slots[j].d : kind == 1 ? other_d : s->d;
	dst_r = kind == 0 ? slots[j].r : kind == 1 ? other_r : s->r;
	in0 = kind == 2 ? (rnd(8) ? rnd(OTHER_MAX) : -1 - rnd(PG)) :
		rnd(2) ? rnd(MAX_SIZE + PG) : rnd_off(ref_size());
	out0 = kind == 1 ? (rnd(8) ? rnd(OTHER_MAX) : -1 - rnd(PG)) :
		rnd(8) ? rnd(MAX_SIZE + PG) : rnd_off(ref_size());
	if (kind == 0 && rnd(2)) {	/* at procfs's limit, often */
		use_out = true;
		out0 = PROC_MAXBYTES - 1 + rnd(3);
	}
	if (kind != 1)
		len = into_file_len(kind == 0 ? &slots[j] : s,
				    use_out ? &out0 : NULL, len);
	if (kind == 0) {
		off_t pin = use_in ? in0 : lseek(src_r, 0, SEEK_CUR);
		off_t pout = use_out ? out0 : lseek(dst_r, 0, SEEK_CUR);
		long long size = ref_size();

		/* past procfs's s_maxbytes: EFBIG before the copy is tried */
		big_out = pout >= PROC_MAXBYTES &&
			  (copy_limits_empty || (pin >= 0 && pin < size && len));
	}
	in_d = in_r = in0;
	out_d = out_r = out0;
	snprintf(opdesc, sizeof(opdesc),
		 "slot %d: copy_file_range(%s %s %lld, %s %s %lld, %zu, %d)", i,
		 kind == 2 ? "other file" : "file", use_in ? "at offset" : "at position",
		 (long long)(use_in ? in0 : lseek(src_r, 0, SEEK_CUR)),
		 kind == 1 ? "other file" : kind == 0 ? "file (slot j)" : "file",
		 use_out ? "at offset" : "at position",
		 (long long)(use_out ? out0 : lseek(dst_r, 0, SEEK_CUR)), len, flags);
	r = DO(copy_file_range(src_r, use_in ? &in_r : NULL, dst_r,
			       use_out ? &out_r : NULL, len, flags));
	d = DO(copy_file_range(src_d, use_in ? &in_d : NULL, dst_d,
			       use_out ? &out_d : NULL, len, flags));
	if (xdev && !flags && !(r.ret < 0 && r.err == EBADF)) {
		/* EXDEV comes before every other check but these */
		if (r.ret <= 0) {
			if (d.ret == -1 && d.err == EXDEV)
				return true;
			return documented(DIFF_COPY_XDEV, d, r, EXDEV);
		}
		if (!documented(DIFF_COPY_XDEV, d, r, EXDEV))
			return false;
	} else if (big_out && !flags &&
		   !(r.ret < 0 && (r.err == EBADF || r.err == EOVERFLOW))) {
		/* the checks before the limits answer alike, the rest come after */
		return documented(DIFF_COPY_BIG, d, r, EFBIG);
	} else if (r.ret > 0) {
		if (!documented(DIFF_COPY_SAME, d, r, EINVAL))
			return false;
	} else {
		return same("return", d, r);
	}
	copy_by_hand(src_d, use_in ? &in_d : NULL, dst_d, use_out ? &out_d : NULL,
		     r.ret);
	return (!use_in || same_ll("off_in after", in_d, in_r)) &&
	       (!use_out || same_ll("off_out after", out_d, out_r));
}

/*
 * splice from the file into a pipe, and from a pipe into the file
 * (documented: EINVAL where tmpfs writes; then read from the pipe and
 * write).  The pipes are compared and emptied after each.
 */
static bool op_splice(struct slot *s, int i)
{
	bool use_off = rnd(2);
	off_t off0 = rnd(4) ? rnd(MAX_SIZE + PG) : rnd_off(ref_size());
	off_t od = off0, orr = off0;
	unsigned int flags = rnd(4) ? 0 : rnd(8) ? SPLICE_F_NONBLOCK : 0x100;
	size_t len = rnd_len();
	struct res d, r;

	if (rnd(2)) {
		snprintf(opdesc, sizeof(opdesc), "slot %d: splice(file %s %lld, pipe, %zu, %#x)",
			 i, use_off ? "at offset" : "at position",
			 (long long)(use_off ? off0 : lseek(s->r, 0, SEEK_CUR)),
			 len, flags);
		r = DO(splice(s->r, use_off ? &orr : NULL, pipe_r[1], NULL, len, flags));
		d = DO(splice(s->d, use_off ? &od : NULL, pipe_d[1], NULL, len, flags));
		return same("return", d, r) &&
		       (!use_off || same_ll("offset after", od, orr)) && same_pipes();
	}
	/* the same bytes in both pipes, then into the file */
	{
		size_t k = 1 + rnd(MAX_IO - 1);

		fill(k);
		if (write(pipe_d[1], wbuf, k) != (ssize_t)k ||
		    write(pipe_r[1], wbuf, k) != (ssize_t)k)
			bail_out("write to a pipe: %s", strerror(errno));
	}
	if (!rnd(8))
		od = orr = off0 = -1 - rnd(PG);
	len = into_file_len(s, use_off ? &off0 : NULL, len);
	snprintf(opdesc, sizeof(opdesc), "slot %d: splice(pipe, file %s %lld, %zu, %#x)",
		 i, use_off ? "at offset" : "at position",
		 (long long)(use_off ? off0 : lseek(s->r, 0, SEEK_CUR)), len, flags);
	r = DO(splice(pipe_r[0], NULL, s->r, use_off ? &orr : NULL, len, flags));
	d = DO(splice(pipe_d[0], NULL, s->d, use_off ? &od : NULL, len, flags));
	if (r.ret <= 0)
		return same("return", d, r) && same_pipes();
	if (!documented(DIFF_SPLICE_IN, d, r, EINVAL))
		return false;
	copy_by_hand(-1, NULL, s->d, use_off ? &od : NULL, r.ret);
	return (!use_off || same_ll("offset after", od, orr)) && same_pipes();
}

/*
 * sendfile from the file into a pipe and into the other file, and from
 * the other file into the file (documented: EINVAL where tmpfs writes;
 * then pread and pwrite).
 */
static bool op_sendfile(struct slot *s, int i)
{
	int kind = rnd(3);
	bool use_off = rnd(2);
	off_t off0 = kind == 2 ? (rnd(8) ? rnd(OTHER_MAX) : -1 - rnd(PG)) :
		rnd(4) ? rnd(MAX_SIZE + PG) : rnd_off(ref_size());
	off_t od, orr, in_pos;
	size_t len = rnd_len();
	struct res d, r;

	if (kind != 2 && !rnd(3)) {	/* at procfs's limit, often */
		use_off = true;
		off0 = PROC_MAXBYTES - 1 + rnd(3);
	}
	od = orr = off0;
	in_pos = use_off ? off0 : lseek(s->r, 0, SEEK_CUR);
	if (kind == 2)
		len = into_file_len(s, NULL, len);
	snprintf(opdesc, sizeof(opdesc), "slot %d: sendfile(%s, %s %s %lld, %zu)",
		 i, kind == 0 ? "pipe" : kind == 1 ? "other file" : "file",
		 kind == 2 ? "other file" : "file",
		 use_off ? "at offset" : "at position",
		 (long long)(use_off ? off0 : lseek(kind == 2 ? other_r : s->r, 0, SEEK_CUR)),
		 len);
	switch (kind) {
	case 0:
		r = DO(sendfile(pipe_r[1], s->r, use_off ? &orr : NULL, len));
		d = DO(sendfile(pipe_d[1], s->d, use_off ? &od : NULL, len));
		break;
	case 1:
		r = DO(sendfile(other_r, s->r, use_off ? &orr : NULL, len));
		d = DO(sendfile(other_d, s->d, use_off ? &od : NULL, len));
		break;
	default:
		r = DO(sendfile(s->r, other_r, use_off ? &orr : NULL, len));
		d = DO(sendfile(s->d, other_d, use_off ? &od : NULL, len));
		if (r.ret <= 0)
			return same("return", d, r);
		if (!documented(DIFF_SENDFILE_IN, d, r, EINVAL))
			return false;
		copy_by_hand(other_d, use_off ? &od : NULL, s->d, NULL, r.ret);
		return !use_off || same_ll("offset after", od, orr);
	}
	/*
	 * From the file: sendfile holds the offset to the smaller s_maxbytes
	 * of the two files, procfs's 2^31 - 1: EOVERFLOW from past it, or
	 * from it with a length (past it the file has nothing here, at most
	 * max_size bytes, so tmpfs reads 0).
	 */
	if ((in_pos > PROC_MAXBYTES || (in_pos == PROC_MAXBYTES && len)) && r.ret >= 0 &&
	    (s->flags & O_ACCMODE) != O_WRONLY) {
		if (!documented(DIFF_SENDFILE_BIG, d, r, EOVERFLOW))
			return false;
		return kind || same_pipes();
	}
	return same("return", d, r) &&
	       (!use_off || same_ll("offset after", od, orr)) &&
	       (kind || same_pipes());
}

/* see copy_limits_empty */
static void probe_copy_limits(void)
{
	struct rlimit old, low;
	off_t in = 0, out = 2 * PG;
	int a = open(OTHER_D, O_RDWR | O_CREAT | O_TRUNC, 0666);
	int b = open(OTHER_R, O_RDWR | O_CREAT | O_TRUNC, 0666);
	ssize_t ret;

	if (a < 0 || b < 0 || write(a, "x", 1) != 1 || getrlimit(RLIMIT_FSIZE, &old))
		bail_out("probe copy_file_range: %s", strerror(errno));
	low = old;
	low.rlim_cur = PG;
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &low))
		bail_out("setrlimit: %s", strerror(errno));
	ret = copy_file_range(a, &in, b, &out, 0, 0);
	copy_limits_empty = ret < 0 && errno == EFBIG;
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	close(a);
	close(b);
	diag("copy_file_range of nothing past RLIMIT_FSIZE on tmpfs: %s",
	     copy_limits_empty ? "EFBIG (the limits are checked)" : "0");
}

/* the other files: the same size and bytes, the same positions */
static bool other_check(void)
{
	static unsigned char cd[OTHER_MAX + 2 * MAX_IO], cr[OTHER_MAX + 2 * MAX_IO];
	struct stat sd, sr;
	struct res d, r;

	snprintf(opdesc, sizeof(opdesc), "end of sequence: the other files");
	if (fstat(other_d, &sd) || fstat(other_r, &sr))
		bail_out("fstat: %s", strerror(errno));
	if (!same_ll("other file's size", sd.st_size, sr.st_size) ||
	    !same_ll("other file's position", lseek(other_d, 0, SEEK_CUR),
		     lseek(other_r, 0, SEEK_CUR)))
		return false;
	d = DO(pread(other_d, cd, sizeof(cd), 0));
	r = DO(pread(other_r, cr, sizeof(cr), 0));
	return same("other file's contents", d, r) && same_data(cd, cr, d.ret);
}

/* stat by path, the whole contents and the data/hole map */
static bool final_check(void)
{
	static unsigned char cd[MAX_SIZE + PG], cr[MAX_SIZE + PG];
	struct stat sd, sr;
	struct res d, r;
	long long off;
	int fd, fr;

	snprintf(opdesc, sizeof(opdesc), "end of sequence: stat, contents");
	if (stat(DUT, &sd) || stat(REF, &sr))
		bail_out("stat: %s", strerror(errno));
	if (!same("st_size", (struct res){ sd.st_size, 0 },
		  (struct res){ sr.st_size, 0 }))
		return false;
	fd = open(DUT, O_RDONLY);
	fr = open(REF, O_RDONLY);
	if (fd < 0 || fr < 0)
		bail_out("open: %s", strerror(errno));
	d = DO(pread(fd, cd, sizeof(cd), 0));
	r = DO(pread(fr, cr, sizeof(cr), 0));
	if (!same("contents", d, r) || !same_data(cd, cr, d.ret))
		goto fail;
	for (off = 0; off <= sr.st_size; off++) {
		snprintf(opdesc, sizeof(opdesc),
			 "end of sequence: map: lseek(%lld, SEEK_DATA)", off);
		d = DO(lseek(fd, off, SEEK_DATA));
		r = DO(lseek(fr, off, SEEK_DATA));
		if (!same("return", d, r))
			goto fail;
		if (r.ret < 0)
			break;
		snprintf(opdesc, sizeof(opdesc),
			 "end of sequence: map: lseek(%lld, SEEK_HOLE)", r.ret);
		off = r.ret;
		d = DO(lseek(fd, off, SEEK_HOLE));
		r = DO(lseek(fr, off, SEEK_HOLE));
		if (!same("return", d, r))
			goto fail;
		off = r.ret;
	}
	close(fd);
	close(fr);
	return true;
fail:
	close(fd);
	close(fr);
	return false;
}

static bool run_sequence(int nops)
{
	int k;
	bool good = true;

	for (k = 0; k < SLOTS; k++)
		slots[k].d = slots[k].r = -1;
	/* every sequence starts from an empty file */
	snprintf(opdesc, sizeof(opdesc), "start: open(O_RDWR|O_TRUNC)");
	slots[0].flags = O_RDWR | O_TRUNC;
	slots[0].d = open(DUT, O_RDWR | O_TRUNC);
	slots[0].r = open(REF, O_RDWR | O_TRUNC);
	if (slots[0].d < 0 || slots[0].r < 0)
		bail_out("open: %s", strerror(errno));
	/* the other files: the same few pages on both sides */
	other_d = open(OTHER_D, O_RDWR | O_CREAT | O_TRUNC, 0666);
	other_r = open(OTHER_R, O_RDWR | O_CREAT | O_TRUNC, 0666);
	if (other_d < 0 || other_r < 0)
		bail_out("open the other files: %s", strerror(errno));
	{
		size_t n = rnd(MAX_IO);
		off_t at = rnd(3 * PG);

		fill(n);
		if (pwrite(other_d, wbuf, n, at) != (ssize_t)n ||
		    pwrite(other_r, wbuf, n, at) != (ssize_t)n)
			bail_out("write the other files: %s", strerror(errno));
	}

	for (k = 0; good && k < nops; k++) {
		int i = rnd(SLOTS);
		struct slot *s = &slots[i];
		int op = rnd(100);

		if (s->d < 0 && s->r < 0) {
			good = op_open(i);
		} else if (op < 4) {
			op_close(i);
			snprintf(opdesc, sizeof(opdesc), "slot %d: close", i);
		} else if (op < 7) {
			int j = rnd(SLOTS);

			if (j == i)
				continue;
			if (slots[j].d >= 0)
				op_close(j);
			good = op_dup(i, j);
		} else if (op < 31) {
			good = op_read(s, i, rnd(4));
		} else if (op < 61) {
			good = op_write(s, i, rnd(4));
		} else if (op < 77) {
			good = op_lseek(s, i);
		} else if (op < 82) {
			good = op_fstat(s, i);
		} else if (op < 84) {
			good = op_sync(s, i);
		} else if (op < 85) {
			good = op_fadvise(s, i);
		} else if (op < 87) {
			good = op_ftruncate(s, i);
		} else if (op < 88) {
			good = op_fallocate(s, i);
		} else if (op < 89) {
			good = op_mmap(s, i);
		} else if (op < 93) {
			good = op_lock(s, i);
		} else if (op < 96) {
			good = op_copy(s, i);
		} else if (op < 98) {
			good = op_splice(s, i);
		} else {
			good = op_sendfile(s, i);
		}
		if (verbose)
			printf("#   %s = %lld%s%s\n", opdesc, last.ret,
			       last.ret < 0 ? " " : "",
			       last.ret < 0 ? strerror(last.err) : "");
		last = (struct res){ 0, 0 };
		ops_checked++;
	}
	for (k = 0; k < SLOTS; k++)
		if (slots[k].d >= 0 || slots[k].r >= 0)
			op_close(k);
	if (good) {
		good = final_check() && other_check();
		ops_checked++;
	}
	close(other_d);
	close(other_r);
	other_d = other_r = -1;
	/* a failed sequence may leave bytes in them */
	drain(pipe_d[0], rbuf_d, sizeof(rbuf_d));
	drain(pipe_r[0], rbuf_r, sizeof(rbuf_r));
	return good;
}

int main(int argc, char **argv)
{
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
	int nseq = debug_kernel() ? 400 : 2500, nops = 40, only = -1, c, q, ret, fd;
	char params[64];
	struct timespec t0, t1;
	bool good = true;

	while ((c = getopt(argc, argv, "s:n:m:q:v")) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			nseq = atoi(optarg);
			break;
		case 'm':
			nops = atoi(optarg);
			break;
		case 'q':
			only = atoi(optarg);
			break;
		case 'v':
			verbose = true;
			break;
		default:
			bail_out("usage: %s [-s SEED] [-n SEQ] [-m OPS] [-q SEQ] [-v]",
				 argv[0]);
		}
	}

	mod_ensure_unloaded(MOD);
	snprintf(params, sizeof(params), "max_size=%ld", (long)MAX_SIZE);
	ret = mod_load(MOD, params);
	if (ret)
		bail_out("cannot load %s: %s", MOD, strerror(-ret));
	fd = open(REF, O_RDWR | O_CREAT | O_TRUNC, 0666);
	if (fd < 0)
		bail_out("create %s: %s", REF, strerror(errno));
	close(fd);
	fd = open(SCRATCH, O_RDWR | O_CREAT | O_TRUNC, 0666);
	if (fd < 0)
		bail_out("create %s: %s", SCRATCH, strerror(errno));
	close(fd);
	if (pipe2(pipe_d, O_NONBLOCK) || pipe2(pipe_r, O_NONBLOCK))
		bail_out("pipe2: %s", strerror(errno));
	probe_copy_limits();

	diag("seed %llu, %d sequences of %d operations, max_size %ld",
	     (unsigned long long)seed, nseq, nops, (long)MAX_SIZE);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (q = 0; q < nseq; q++) {
		if (only >= 0 && q != only)
			continue;
		rng = seed ^ ((uint64_t)q * 0xd1b54a32d192ed03ULL);
		if (!run_sequence(nops)) {
			printf("# seed %llu, sequence %d (rerun: %s -s %llu -q %d -v)\n",
			       (unsigned long long)seed, q, argv[0],
			       (unsigned long long)seed, q);
			good = false;
			break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ok(good, "%s and tmpfs agree: %lld operations checked (seed %llu)",
	   DUT, ops_checked, (unsigned long long)seed);
	for (c = 0; c < NDIFF; c++)
		diag("documented difference met %lld times: %s", diff_seen[c],
		     diff_name[c]);
	if (only < 0 && nseq >= 100)
		for (c = 0; c < NDIFF; c++) {
			/* copies of something past 2 GiB are never tried */
			if (c == DIFF_COPY_BIG && !copy_limits_empty) {
				skip("this kernel checks no limits for an empty copy",
				     "the sequences met: %s", diff_name[c]);
				continue;
			}
			ok(!good || diff_seen[c] > 0,
			   "the sequences met the documented difference: %s", diff_name[c]);
		}
	diag("%.1f s", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);

	unlink(REF);
	unlink(OTHER_D);
	unlink(OTHER_R);
	unlink(SCRATCH);
	is_int(mod_unload(MOD), 0, "module unloads");
	return done_testing();
}
