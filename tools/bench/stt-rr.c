// SPDX-License-Identifier: GPL-2.0
/*
 * stt-rr: a TCP request/response latency loop (netperf TCP_RR style), for
 * the benchmark (netperf is not in Debian main).
 *
 *   stt-rr -s [-B ADDR] [-p PORT] [-T SECS]   serve one connection, then exit
 *   stt-rr -c ADDR [-p PORT] [-t SECS] [-l BYTES]
 *
 * The client connects (TCP_NODELAY), then for SECS seconds writes a
 * BYTES-byte request and reads the BYTES-byte response, one transaction at
 * a time.  It prints one line:
 *
 *   transactions=N secs=S tps=T mean_us=M p50_us=P p99_us=Q
 *
 * The server echoes whatever it reads until the client closes; -T bounds
 * how long it waits for the client to connect (default 60 s).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LEN 65536

static void die(const char *what)
{
	fprintf(stderr, "stt-rr: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: stt-rr -s [-B ADDR] [-p PORT] [-T SECS]\n"
		"       stt-rr -c ADDR [-p PORT] [-t SECS] [-l BYTES]\n");
	exit(2);
}

static int read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

static int write_full(int fd, const char *buf, size_t len)
{
	size_t put = 0;
	ssize_t n;

	while (put < len) {
		n = write(fd, buf + put, len - put);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		put += n;
	}
	return 0;
}

static void set_addr(struct sockaddr_in *sa, const char *addr, int port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1) {
		fprintf(stderr, "stt-rr: bad IPv4 address %s\n", addr);
		exit(2);
	}
}

static int server(const char *addr, int port, int wait_secs)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	char buf[MAX_LEN];
	int one = 1, ls, fd;
	ssize_t n;

	set_addr(&sa, addr, port);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		die("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	if (listen(ls, 1) < 0)
		die("listen");
	pfd.fd = ls;
	pfd.events = POLLIN;
	n = poll(&pfd, 1, wait_secs * 1000);
	if (n < 0)
		die("poll");
	if (n == 0) {
		fprintf(stderr, "stt-rr: no client within %d s\n", wait_secs);
		return 1;
	}
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		die("accept");
	close(ls);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write_full(fd, buf, n) < 0)
			break;
	}
	close(fd);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int client(const char *addr, int port, double secs, size_t len)
{
	size_t n = 0, cap = 1 << 16;
	struct sockaddr_in sa;
	double t0, t, tend, prev;
	char *buf;
	uint32_t *lat;
	double sum = 0;
	int one = 1, fd;

	buf = calloc(1, len);
	lat = malloc(cap * sizeof(*lat));
	if (!buf || !lat)
		die("malloc");
	set_addr(&sa, addr, port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect");

	t0 = now();
	tend = t0 + secs;
	prev = t0;
	do {
		if (write_full(fd, buf, len) < 0)
			die("write");
		if (read_full(fd, buf, len) < 0)
			die("read (server closed?)");
		t = now();
		if (n == cap) {
			cap *= 2;
			lat = realloc(lat, cap * sizeof(*lat));
			if (!lat)
				die("realloc");
		}
		lat[n++] = (uint32_t)((t - prev) * 1e6 + 0.5);
		sum += t - prev;
		prev = t;
	} while (t < tend);
	close(fd);

	qsort(lat, n, sizeof(*lat), cmp_u32);
	printf("transactions=%zu secs=%.3f tps=%.1f mean_us=%.1f p50_us=%u p99_us=%u\n",
	       n, t - t0, n / (t - t0), sum / n * 1e6, lat[n / 2],
	       lat[n * 99 / 100]);
	free(lat);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *bind_addr = "0.0.0.0";
	int opt, port = 5202, wait_secs = 60, srv = 0;
	double secs = 10;
	long len = 1;

	while ((opt = getopt(argc, argv, "sc:B:p:t:T:l:")) != -1) {
		switch (opt) {
		case 's':
			srv = 1;
			break;
		case 'c':
			addr = optarg;
			break;
		case 'B':
			bind_addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'T':
			wait_secs = atoi(optarg);
			break;
		case 'l':
			len = atol(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || srv == !!addr || port <= 0 || port > 65535 ||
	    secs <= 0 || len < 1 || len > MAX_LEN || wait_secs <= 0)
		usage();
	return srv ? server(bind_addr, port, wait_secs) :
		     client(addr, port, secs, len);
}
