// SPDX-License-Identifier: GPL-2.0
/*
 * bench_rpf: throughput of /proc/rust-proc-file (rust_proc_ram_file.ko)
 * against a file on tmpfs (/tmp), in the same boot.  Sequential and
 * random reads and writes at 4 KiB, 64 KiB and 1 MiB per call, over a
 * FILE_MIB MiB file:
 *
 *	seq write	O_TRUNC, then write the file front to back (allocates)
 *	seq read	read it front to back
 *	rand write	pwrite at random aligned offsets (overwrites)
 *	rand read	pread at random aligned offsets
 *
 * Each configuration runs REPS times, the two files interleaved; the
 * median MiB/s of each and their ratio (ours / tmpfs) are printed.
 * Under QEMU's -icount guest time is an instruction count, so the
 * figures repeat on a loaded host; without it (TCG) only the ratio means
 * anything.  Loads and unloads the module itself.
 *
 *	bench_rpf [FILE_MIB [REPS]]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MOD	"rust_proc_ram_file"
#define DUT	"/proc/rust-proc-file"
#define REF	"/tmp/bench-rpf"
#define MAXREPS	15

static char *buf;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void mod_cmd(int load)
{
	int fd;

	if (!load) {
		if (syscall(SYS_delete_module, MOD, O_NONBLOCK))
			die("unload " MOD);
		return;
	}
	fd = open("/root/" MOD ".ko", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "max_size=1073741824", 0))
		die("load " MOD);
	close(fd);
}

enum kind { SEQ_WRITE, SEQ_READ, RAND_WRITE, RAND_READ };
static const char *const kind_name[] = {
	"seq write", "seq read", "rand write", "rand read"
};

/* one run: returns MiB/s */
static double run(const char *path, enum kind k, size_t io, size_t size)
{
	size_t n = size / io, i;
	uint64_t r = 88172645463325252ULL;
	double t0, t;
	int fd;

	fd = open(path, O_RDWR | (k == SEQ_WRITE ? O_TRUNC : 0));
	if (fd < 0)
		die(path);
	t0 = now();
	for (i = 0; i < n; i++) {
		off_t off = (off_t)i * io;
		ssize_t got;

		if (k == RAND_WRITE || k == RAND_READ) {
			r ^= r << 13;
			r ^= r >> 7;
			r ^= r << 17;
			off = (off_t)(r % n) * io;
		}
		if (k == SEQ_WRITE || k == RAND_WRITE)
			got = pwrite(fd, buf, io, off);
		else
			got = pread(fd, buf, io, off);
		if (got != (ssize_t)io)
			die(kind_name[k]);
	}
	t = now() - t0;
	close(fd);
	return size / (1024.0 * 1024.0) / t;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	static const size_t ios[] = { 4096, 65536, 1 << 20 };
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 16;
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	size_t size = mib << 20;
	double worst = 1e9;
	unsigned int s;
	int k, j, fd;

	if (reps < 1 || reps > MAXREPS || !mib)
		die("usage: bench_rpf [FILE_MIB [REPS <= 15]]");
	buf = malloc(1 << 20);
	if (!buf)
		die("malloc");
	memset(buf, 0x5a, 1 << 20);
	syscall(SYS_delete_module, MOD, O_NONBLOCK);
	mod_cmd(1);
	fd = open(REF, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(REF);
	close(fd);

	/*
	 * Warm up both files and let the guest's boot-time work (clocksource
	 * switch and its watchdog) pass before measuring.
	 */
	for (k = SEQ_WRITE; k <= RAND_READ; k++) {
		run(DUT, k, ios[0], size);
		run(REF, k, ios[0], size);
	}
	sleep(2);

	printf("# bench_rpf: %zu MiB file, median of %d interleaved runs\n",
	       mib, reps);
	printf("# %-10s %8s %12s %12s %8s\n", "pattern", "io size",
	       "proc MiB/s", "tmpfs MiB/s", "ratio");
	for (s = 0; s < sizeof(ios) / sizeof(ios[0]); s++) {
		for (k = SEQ_WRITE; k <= RAND_READ; k++) {
			double d[MAXREPS], t[MAXREPS], md, mt;

			for (j = 0; j < reps; j++) {
				d[j] = run(DUT, k, ios[s], size);
				t[j] = run(REF, k, ios[s], size);
			}
			md = median(d, reps);
			mt = median(t, reps);
			if (md / mt < worst)
				worst = md / mt;
			printf("  %-10s %6zuKi %12.1f %12.1f %7.2fx\n",
			       kind_name[k], ios[s] >> 10, md, mt, md / mt);
			fflush(stdout);
		}
	}
	printf("# lowest ratio %.2fx (target >= 0.9x)\n", worst);
	unlink(REF);
	mod_cmd(0);
	return 0;
}
