// SPDX-License-Identifier: GPL-2.0
/*
 * Differential tester: seeded random sequences of file operations run
 * against /proc/rust-proc-file and against a file on tmpfs (/tmp).  Return
 * values, errno, data read, file positions, sizes, the SEEK_DATA/SEEK_HOLE
 * map and the final contents must be the same.
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
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

#include "tap.h"
#include "guest.h"

#define MOD	"rust_proc_ram_file"
#define DUT	"/proc/rust-proc-file"
#define REF	"/tmp/rpf-diff-ref"
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

static long long ref_size(void)
{
	struct stat st;
	int fd = open(REF, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		bail_out("stat %s: %s", REF, strerror(errno));
	close(fd);
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

	snprintf(buf, sizeof(buf), "%s%s%s",
		 acc == O_RDONLY ? "O_RDONLY" : acc == O_WRONLY ? "O_WRONLY" :
		 "O_RDWR", fl & O_TRUNC ? "|O_TRUNC" : "",
		 fl & O_APPEND ? "|O_APPEND" : "");
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
		} else if (op < 35) {
			good = op_read(s, i, rnd(4));
		} else if (op < 70) {
			good = op_write(s, i, rnd(4));
		} else if (op < 92) {
			good = op_lseek(s, i);
		} else {
			good = op_fstat(s, i);
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
		good = final_check();
		ops_checked++;
	}
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
	diag("%.1f s", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);

	unlink(REF);
	is_int(mod_unload(MOD), 0, "module unloads");
	return done_testing();
}
