// SPDX-License-Identifier: GPL-2.0
/*
 * rq - send and receive rustqueue messages from the shell
 *
 * rq talks to the queue in packet mode: one message per send argument,
 * one message per receive.  It is meant for scripts: received messages go
 * to standard output byte for byte, and nothing else is printed unless
 * something went wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/rustqueue.h>

#define EX_DONE		0	/* did what was asked */
#define EX_NONE		1	/* nothing to receive / no room, in time */
#define EX_ERROR	2	/* an error, reported on stderr */
#define EX_USAGE	64

static const char usage_text[] =
"usage: rq [-d DEVICE] COMMAND [OPTIONS] [ARGS]\n"
"\n"
"  send [-w] [-t MS] [MESSAGE...]  enqueue each MESSAGE (none: standard input\n"
"                                  is one message)\n"
"  recv [-w] [-t MS] [-n COUNT]    dequeue COUNT messages (default 1) and write\n"
"                                  them to standard output as they are\n"
"  stat                            the queue's state, one \"key: value\" a line\n"
"  flush                           drop every queued message; prints how many\n"
"  resize CAPACITY                 change the capacity (needs CAP_SYS_ADMIN)\n"
"\n"
"  -d, --device DEVICE  the queue (default " RUSTQUEUE_DEVICE ")\n"
"  -w, --wait           wait for a message (recv) or for room (send)\n"
"  -t, --timeout MS     wait at most MS milliseconds (implies --wait)\n"
"  -n, --count COUNT    recv: how many messages (default 1)\n"
"  -h, --help           this text\n"
"\n"
"Exit status: 0 done; 1 queue empty (recv) or full (send), or the wait\n"
"timed out; 2 error (reported on standard error); 64 usage.\n";

static const char *device = RUSTQUEUE_DEVICE;
static int wait_ms;		/* -1: forever; 0: do not wait */

static int fail(const char *what)
{
	fprintf(stderr, "rq: %s: %s\n", what, strerror(errno));
	return EX_ERROR;
}

static int usage(void)
{
	fputs(usage_text, stderr);
	return EX_USAGE;
}

static int open_queue(int oflags)
{
	unsigned int mode = RUSTQUEUE_F_BLOCK | RUSTQUEUE_F_PACKET;
	int fd = open(device, oflags | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ioctl(fd, RUSTQUEUE_IOC_SET_FLAGS, &mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Wait for EVENTS on FD as -w/-t say; 1 ready, 0 not in time, -1 error */
static int ready(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	if (!wait_ms)
		return 0;
	do
		n = poll(&p, 1, wait_ms);
	while (n < 0 && errno == EINTR);
	return n;
}

static int send_one(int fd, const void *buf, size_t len)
{
	for (;;) {
		ssize_t n = write(fd, buf, len);

		if (n >= 0)
			return EX_DONE;
		if (errno != EAGAIN)
			return fail("send");
		n = ready(fd, POLLOUT);
		if (n < 0)
			return fail("poll");
		if (!n)
			return EX_NONE;
	}
}

/*
 * The ARGC strings of ARGV as messages, in order, with
 * RUSTQUEUE_IOC_SEND_BATCH (one call for up to RUSTQUEUE_BATCH_MAX of
 * them, more where the queue fills); one write() each from a module
 * without it.
 */
static int send_all(int fd, int argc, char **argv)
{
	struct rustqueue_msg *m = calloc(argc, sizeof(*m));
	int i, n, ret = EX_DONE;

	if (!m)
		return fail("malloc");
	for (i = 0; i < argc; i++) {
		m[i].ptr = (uintptr_t)argv[i];
		m[i].len = strlen(argv[i]);
	}
	i = 0;
	while (i < argc) {
		struct rustqueue_batch b = {
			.msgs = (uintptr_t)(m + i),
			.count = argc - i < RUSTQUEUE_BATCH_MAX ?
				 argc - i : RUSTQUEUE_BATCH_MAX,
		};

		n = ioctl(fd, RUSTQUEUE_IOC_SEND_BATCH, &b);
		if (n > 0) {
			i += n;
			continue;
		}
		if (errno == ENOTTY) {		/* an older rustqueue.ko */
			for (; i < argc && ret == EX_DONE; i++)
				ret = send_one(fd, argv[i], m[i].len);
			break;
		}
		if (errno != EAGAIN) {
			ret = fail("send");
			break;
		}
		n = ready(fd, POLLOUT);
		if (n <= 0) {
			ret = n ? fail("poll") : EX_NONE;
			break;
		}
	}
	free(m);
	return ret;
}

static int cmd_send(int argc, char **argv)
{
	int fd = open_queue(O_WRONLY), ret = EX_DONE;
	struct rustqueue_info info;

	if (fd < 0)
		return fail(device);
	if (argc == 0) {
		size_t len = 0, cap;
		char *buf;
		ssize_t n;

		if (ioctl(fd, RUSTQUEUE_IOC_GET_INFO, &info))
			return fail("GET_INFO");
		cap = (size_t)info.max_msg_size + 1;	/* +1: see too long */
		buf = malloc(cap);
		if (!buf)
			return fail("malloc");
		while (len < cap && (n = read(0, buf + len, cap - len)) > 0)
			len += n;
		if (len == cap) {
			fprintf(stderr, "rq: message longer than %u bytes\n",
				info.max_msg_size);
			ret = EX_ERROR;
		} else {
			ret = send_one(fd, buf, len);
		}
		free(buf);
	}
	if (argc && ret == EX_DONE)
		ret = send_all(fd, argc, argv);
	close(fd);
	return ret;
}

static int cmd_recv(long count)
{
	int fd = open_queue(O_RDONLY), ret = EX_DONE;
	char *buf = malloc(RUSTQUEUE_LIMIT_MAX_MSG_SIZE);

	if (fd < 0)
		return fail(device);
	if (!buf)
		return fail("malloc");
	while (count-- > 0 && ret == EX_DONE) {
		ssize_t n = read(fd, buf, RUSTQUEUE_LIMIT_MAX_MSG_SIZE);

		if (n >= 0) {
			if (fwrite(buf, 1, n, stdout) != (size_t)n || fflush(stdout))
				ret = fail("stdout");
			continue;
		}
		if (errno != EAGAIN) {
			ret = fail("recv");
			break;
		}
		n = ready(fd, POLLIN);
		if (n < 0)
			ret = fail("poll");
		else if (!n)
			ret = EX_NONE;
		else
			count++;	/* readable now: try again */
	}
	free(buf);
	close(fd);
	return ret;
}

static int cmd_stat(void)
{
	struct rustqueue_info s;
	int fd = open(device, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail(device);
	if (ioctl(fd, RUSTQUEUE_IOC_GET_INFO, &s))
		return fail("GET_INFO");
	close(fd);
	printf("instance: %u\ncount: %u\ncapacity: %u\nmax_msg_size: %u\n"
	       "bytes: %llu\nenqueued: %llu\ndequeued: %llu\n"
	       "rejected_full: %llu\nrejected_size: %llu\nflushed: %llu\n"
	       "high_watermark: %u\nwaiting_readers: %u\nwaiting_writers: %u\n",
	       s.instance, s.count, s.capacity, s.max_msg_size,
	       (unsigned long long)s.bytes, (unsigned long long)s.enqueued,
	       (unsigned long long)s.dequeued,
	       (unsigned long long)s.rejected_full,
	       (unsigned long long)s.rejected_size,
	       (unsigned long long)s.flushed, s.high_watermark,
	       s.waiting_readers, s.waiting_writers);
	return EX_DONE;
}

static int cmd_flush(void)
{
	int fd = open(device, O_WRONLY | O_CLOEXEC), n;

	if (fd < 0)
		return fail(device);
	n = ioctl(fd, RUSTQUEUE_IOC_FLUSH);
	if (n < 0)
		return fail("FLUSH");
	close(fd);
	printf("%d\n", n);
	return EX_DONE;
}

static int cmd_resize(const char *arg)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);
	unsigned int cap = v;
	int fd;

	if (!*arg || *end || v > UINT32_MAX)
		return usage();
	fd = open(device, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(device);
	if (ioctl(fd, RUSTQUEUE_IOC_SET_CAPACITY, &cap))
		return fail("resize");
	close(fd);
	return EX_DONE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = NULL;
	long count = 1;
	char *end;
	int c;

	/* options may come before or after the command */
	while (optind < argc) {
		c = getopt_long(argc, argv, "+wt:n:d:h", opts, NULL);
		if (c == -1) {
			if (cmd)
				break;
			cmd = argv[optind++];
			continue;
		}
		switch (c) {
		case 'w':
			wait_ms = -1;
			break;
		case 't':
			wait_ms = strtol(optarg, &end, 10);
			if (*end || wait_ms < 0)
				return usage();
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end || count < 1)
				return usage();
			break;
		case 'd':
			device = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EX_DONE;
		default:
			return usage();
		}
	}
	if (!cmd)
		return usage();
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "send"))
		return cmd_send(argc, argv);
	if (!strcmp(cmd, "resize") && argc == 1)
		return cmd_resize(argv[0]);
	if (argc)
		return usage();
	if (!strcmp(cmd, "recv"))
		return cmd_recv(count);
	if (!strcmp(cmd, "stat"))
		return cmd_stat();
	if (!strcmp(cmd, "flush"))
		return cmd_flush();
	return usage();
}
