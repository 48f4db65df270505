// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl - issue an arbitrary ioctl on a file from the command line, or
 * decode an ioctl number.  See usage() below, or "ioctl --help".
 *
 *   ioctl /dev/mydevice -t J -n 0 -d read-write -s 4 -v 41    -> 42
 *   ioctl --decode 0x82187201  -> dir=read size=536 type='r' (0x72) nr=1
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define EXIT_USAGE	64	/* sysexits.h: EX_USAGE */
#define EXIT_DATA	65	/* sysexits.h: EX_DATAERR */
#define SLACK		4096	/* bytes allocated past SIZE */

static const char *const dir_names[] = {
	[_IOC_NONE] = "none",
	[_IOC_WRITE] = "write",
	[_IOC_READ] = "read",
	[_IOC_READ | _IOC_WRITE] = "read-write",
};

static void usage(FILE *f)
{
	fputs(
"Usage: ioctl FILE -t TYPE -n NR [-d DIR] [-s SIZE] [-v VALUE] [-x]\n"
"       ioctl FILE -N NUMBER [-d DIR] [-s SIZE] [-v VALUE] [-x]\n"
"       ioctl --fd FD ...      (instead of FILE)\n"
"       ioctl --decode NUMBER\n"
"\n"
"Issue ioctl number _IOC(DIR, TYPE, NR, SIZE) on FILE, which is opened\n"
"read-write (read-only if that is not permitted), and print the data it\n"
"returns.  For DIR other than none the argument is a pointer to a buffer\n"
"of SIZE bytes (followed by 4 KiB of zeroes, in case the driver writes\n"
"more than SIZE).\n"
"\n"
"  -t, --type TYPE     the magic: one character (J), or a number 0-255 (0x4a)\n"
"  -n, --nr NR         the command's number within TYPE, 0-255\n"
"  -d, --dir DIR       none (the default), write, read or read-write, seen\n"
"                      from user space: write sends SIZE bytes to the driver,\n"
"                      read gets SIZE bytes back, read-write both\n"
"  -s, --size SIZE     the size of the data, 0-16383; needed unless DIR is none\n"
"  -N, --number NUMBER the whole ioctl number instead of -t and -n; DIR and\n"
"                      SIZE come from it unless -d or -s say otherwise (for\n"
"                      numbers that do not encode them, such as 0x541B)\n"
"  -v, --value VALUE   the data to send: an integer (decimal, or hex after 0x;\n"
"                      a negative one in two's complement) stored in SIZE\n"
"                      bytes in the machine's byte order; SIZE must be 1, 2,\n"
"                      4 or 8.  Without -v, the data sent is SIZE bytes read\n"
"                      from standard input.  With DIR none, VALUE is passed\n"
"                      as the ioctl's argument itself (default 0)\n"
"  -x, --hex           print the data received in hex whatever its size\n"
"      --fd FD         use the open file descriptor FD instead of opening a\n"
"                      file, e.g. exec 3<>/dev/mydevice; ioctl --fd 3 ...\n"
"      --decode NUMBER print the fields of an ioctl number, as\n"
"                      dir=read size=536 type='r' (0x72) nr=1\n"
"  -h, --help          this text\n"
"\n"
"Output: the data received (DIR read or read-write) on standard output, as\n"
"an unsigned decimal integer if SIZE is 1, 2, 4 or 8, otherwise in hex, 32\n"
"bytes a line, in memory order (xxd -r -p reads it back).  A positive\n"
"return value of the ioctl is reported on standard error as\n"
"\"ioctl returned N\".\n"
"\n"
"Exit status: 0 on success; when open() or ioctl() fails, the errno number\n"
"(25 for ENOTTY), with a message naming it; 64 for a usage error; 65 when\n"
"standard input does not hold exactly SIZE bytes.\n", f);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ioctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'ioctl --help' for more information.\n", stderr);
	exit(EXIT_USAGE);
}

/* "ENOTTY (errno 25, Inappropriate ioctl for device)" */
static void print_errno(int err)
{
	const char *name = strerrorname_np(err);

	fprintf(stderr, "%s (errno %d, %s)\n", name ? name : "unknown error",
		err, strerror(err));
}

/* A whole unsigned number: decimal, or hex after 0x.  false if not. */
static bool parse_u64(const char *s, uint64_t *out)
{
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* strtoull would take leading blanks, signs and an empty string */
	if (!(base == 16 ? s[0] != '\0' && strchr("0123456789abcdefABCDEF", s[0])
			 : s[0] >= '0' && s[0] <= '9'))
		return false;
	errno = 0;
	*out = strtoull(s, &end, base);
	return !errno && *end == '\0';
}

static uint64_t parse_ranged(const char *opt, const char *s, uint64_t max)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v > max)
		usage_error("%s: '%s' is not a number from 0 to %" PRIu64,
			    opt, s, max);
	return v;
}

/* -v: an integer of BYTES bytes, two's complement if negative */
static uint64_t parse_value(const char *s, unsigned int bytes)
{
	unsigned int bits = bytes * 8;
	uint64_t max = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	uint64_t mag;
	bool neg = s[0] == '-';

	if (!parse_u64(neg ? s + 1 : s, &mag) ||
	    (neg ? mag > UINT64_C(1) << (bits - 1) : mag > max))
		usage_error("-v: '%s' is not an integer that fits in %u byte%s",
			    s, bytes, bytes == 1 ? "" : "s");
	return (neg ? 0 - mag : mag) & max;
}

static unsigned int parse_type(const char *s)
{
	if (s[0] != '\0' && s[1] == '\0')
		return (unsigned char)s[0];
	return parse_ranged("-t", s, 255);
}

static unsigned int parse_dir(const char *s)
{
	unsigned int d;

	for (d = 0; d < 4; d++)
		if (!strcmp(s, dir_names[d]))
			return d;
	usage_error("-d: '%s' is not none, read, write or read-write", s);
}

static void print_fields(FILE *f, unsigned int nr)
{
	unsigned int type = _IOC_TYPE(nr);

	fprintf(f, "dir=%s size=%u ", dir_names[_IOC_DIR(nr)], _IOC_SIZE(nr));
	if (type >= 0x20 && type < 0x7f)
		fprintf(f, "type='%c' (0x%02x)", type, type);
	else
		fprintf(f, "type=0x%02x", type);
	fprintf(f, " nr=%u\n", _IOC_NR(nr));
}

/* Exactly SIZE bytes from standard input into BUF, or exit. */
static void read_stdin(unsigned char *buf, size_t size)
{
	size_t got = 0;
	unsigned char extra;
	ssize_t n;

	while (got < size) {
		n = read(STDIN_FILENO, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fputs("ioctl: reading standard input: ", stderr);
			print_errno(errno);
			exit(EXIT_DATA);
		}
		if (n == 0)
			break;
		got += n;
	}
	if (got < size) {
		fprintf(stderr, "ioctl: standard input holds %zu bytes, not %zu\n",
			got, size);
		exit(EXIT_DATA);
	}
	do {
		n = read(STDIN_FILENO, &extra, 1);
	} while (n < 0 && errno == EINTR);
	if (n > 0) {
		fprintf(stderr, "ioctl: standard input holds more than %zu bytes\n",
			size);
		exit(EXIT_DATA);
	}
}

static void store_int(unsigned char *buf, unsigned int size, uint64_t v)
{
	uint8_t u8 = v;
	uint16_t u16 = v;
	uint32_t u32 = v;

	switch (size) {
	case 1:
		memcpy(buf, &u8, 1);
		break;
	case 2:
		memcpy(buf, &u16, 2);
		break;
	case 4:
		memcpy(buf, &u32, 4);
		break;
	default:
		memcpy(buf, &v, 8);
	}
}

static uint64_t load_int(const unsigned char *buf, unsigned int size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case 1:
		memcpy(&u8, buf, 1);
		return u8;
	case 2:
		memcpy(&u16, buf, 2);
		return u16;
	case 4:
		memcpy(&u32, buf, 4);
		return u32;
	default:
		memcpy(&u64, buf, 8);
		return u64;
	}
}

static bool int_size(unsigned int size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static void print_data(const unsigned char *buf, unsigned int size, bool hex)
{
	unsigned int i;

	if (!hex && int_size(size)) {
		printf("%" PRIu64 "\n", load_int(buf, size));
		return;
	}
	for (i = 0; i < size; i++)
		printf("%02x%s", buf[i], i % 32 == 31 || i + 1 == size ? "\n" : "");
}

enum { OPT_FD = 256, OPT_DECODE };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "nr", required_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "number", required_argument, NULL, 'N' },
		{ "value", required_argument, NULL, 'v' },
		{ "hex", no_argument, NULL, 'x' },
		{ "fd", required_argument, NULL, OPT_FD },
		{ "decode", required_argument, NULL, OPT_DECODE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *type_s = NULL, *nr_s = NULL, *dir_s = NULL, *size_s = NULL;
	const char *number_s = NULL, *value_s = NULL, *fd_s = NULL;
	const char *decode_s = NULL, *file = NULL;
	unsigned int dir, size, nr;
	unsigned long arg = 0;
	unsigned char *buf = NULL;
	bool hex = false;
	char fdname[32];
	int c, fd, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:n:d:s:N:v:xh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 't':
			type_s = optarg;
			break;
		case 'n':
			nr_s = optarg;
			break;
		case 'd':
			dir_s = optarg;
			break;
		case 's':
			size_s = optarg;
			break;
		case 'N':
			number_s = optarg;
			break;
		case 'v':
			value_s = optarg;
			break;
		case 'x':
			hex = true;
			break;
		case OPT_FD:
			fd_s = optarg;
			break;
		case OPT_DECODE:
			decode_s = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			usage_error("option '%s' needs an argument",
				    argv[optind - 1]);
		default:
			if (optopt)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}

	if (decode_s) {
		if (optind < argc || type_s || nr_s || dir_s || size_s ||
		    number_s || value_s || fd_s || hex)
			usage_error("--decode takes one number and nothing else");
		print_fields(stdout, parse_ranged("--decode", decode_s,
						  UINT32_MAX));
		return 0;
	}

	if (optind < argc)
		file = argv[optind++];
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!file == !fd_s)
		usage_error(fd_s ? "give FILE or --fd, not both"
				 : "no FILE given");

	if (number_s) {
		if (type_s || nr_s)
			usage_error("-N replaces -t and -n");
		nr = parse_ranged("-N", number_s, UINT32_MAX);
		dir = dir_s ? parse_dir(dir_s) : _IOC_DIR(nr);
		size = size_s ? parse_ranged("-s", size_s, _IOC_SIZEMASK)
			      : _IOC_SIZE(nr);
	} else {
		if (!type_s || !nr_s)
			usage_error("-t TYPE and -n NR are needed (or -N NUMBER)");
		dir = dir_s ? parse_dir(dir_s) : _IOC_NONE;
		if (!size_s && dir != _IOC_NONE)
			usage_error("-s SIZE is needed with -d %s",
				    dir_names[dir]);
		size = size_s ? parse_ranged("-s", size_s, _IOC_SIZEMASK) : 0;
		nr = _IOC(dir, parse_type(type_s),
			  parse_ranged("-n", nr_s, 255), size);
	}

	if (dir == _IOC_NONE) {
		if (value_s)
			arg = parse_value(value_s, sizeof(arg));
	} else {
		/* zeroed slack: a driver writing more than SIZE harms nothing */
		buf = calloc(1, size + SLACK);
		if (!buf) {
			perror("ioctl");
			return 1;
		}
		arg = (unsigned long)buf;
		if (value_s && !(dir & _IOC_WRITE))
			usage_error("-v sends data: it needs -d write or read-write");
		if (value_s && !int_size(size))
			usage_error("-v needs a size of 1, 2, 4 or 8; with -s %u the data comes from standard input",
				    size);
		if (value_s)
			store_int(buf, size, parse_value(value_s, size));
		else if (dir & _IOC_WRITE)
			read_stdin(buf, size);
	}

	if (fd_s) {
		fd = parse_ranged("--fd", fd_s, INT_MAX);
		snprintf(fdname, sizeof(fdname), "fd %d", fd);
		file = fdname;
	} else {
		fd = open(file, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 && (errno == EACCES || errno == EPERM ||
			       errno == EROFS))
			fd = open(file, O_RDONLY | O_NOCTTY | O_CLOEXEC);
		if (fd < 0) {
			ret = errno;
			fprintf(stderr, "ioctl: cannot open %s: ", file);
			print_errno(ret);
			return ret;
		}
	}

	ret = ioctl(fd, nr, arg);
	if (ret < 0) {
		ret = errno;
		fprintf(stderr, "ioctl: ioctl 0x%08x on %s: ", nr, file);
		print_errno(ret);
		return ret;
	}
	if (ret > 0)
		fprintf(stderr, "ioctl returned %d\n", ret);
	if (dir & _IOC_READ)
		print_data(buf, size, hex);
	if (fflush(stdout) == EOF) {
		perror("ioctl: standard output");
		return 1;
	}
	free(buf);
	return 0;
}
