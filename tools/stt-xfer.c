// SPDX-License-Identifier: GPL-2.0
/*
 * stt-xfer: TCP file transfer with a SHA-256 check, for the selftests.
 *
 * The selftests' transfers, in C: Python starts in about 2 s under QEMU's
 * TCG, this in 0.2 s.
 *
 *   stt-xfer recv ADDR PORT [IDLE_SECS]
 *       listen on ADDR:PORT, print "listening", accept one connection,
 *       read to EOF, print "bytes=N sha256=HEX secs=S".  Exit 1 if the
 *       peer stays silent for IDLE_SECS (default 120) or the connection
 *       breaks.
 *   stt-xfer send ADDR PORT FILE [TIMEOUT_SECS]
 *       connect (retrying for 10 s), send FILE, shut down the write side,
 *       wait for the receiver to close, print "bytes=N secs=S".  Exit 1 on
 *       an error or after TIMEOUT_SECS (default 600) without progress.
 *   stt-xfer stream ADDR PORT STOPFILE [MBIT]
 *       connect, send 64 KiB chunks of random data (each headed by its
 *       number) until STOPFILE exists, at no more than MBIT Mbit/s (0 or
 *       none: no limit), close, print "bytes=N sha256=HEX secs=S" of what
 *       was sent, to compare with the receiver's.
 *
 * ADDR is IPv4 or IPv6.  Every line is flushed as it is printed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* SHA-256 (FIPS 180-4) */

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t fill;
};

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->fill = 0;
}

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10));
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +
		     sha256_k[i] + w[i];
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const uint8_t *p = data;

	s->len += n;
	if (s->fill) {
		size_t k = 64 - s->fill < n ? 64 - s->fill : n;

		memcpy(s->buf + s->fill, p, k);
		s->fill += k;
		p += k;
		n -= k;
		if (s->fill < 64)
			return;
		sha256_block(s, s->buf);
		s->fill = 0;
	}
	for (; n >= 64; p += 64, n -= 64)
		sha256_block(s, p);
	memcpy(s->buf, p, n);
	s->fill = n;
}

static void sha256_hex(struct sha256 *s, char out[65])
{
	uint64_t bits = s->len * 8;
	uint8_t pad[72] = { 0x80 };
	size_t padlen = (s->fill < 56 ? 56 : 120) - s->fill;
	int i;

	for (i = 0; i < 8; i++)
		pad[padlen + i] = bits >> (56 - 8 * i);
	sha256_update(s, pad, padlen + 8);
	for (i = 0; i < 8; i++)
		sprintf(out + 8 * i, "%08x", s->h[i]);
}

/* Sockets */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_addr(const char *addr, const char *port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char *end;
	long p = strtol(port, &end, 10);

	if (*end || p < 1 || p > 65535) {
		fprintf(stderr, "stt-xfer: bad port %s\n", port);
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		*len = sizeof(*sin6);
		return 0;
	}
	fprintf(stderr, "stt-xfer: bad address %s\n", addr);
	return -1;
}

static void set_timeout(int fd, double secs)
{
	struct timeval tv = {
		.tv_sec = (time_t)secs,
		.tv_usec = (suseconds_t)((secs - (time_t)secs) * 1e6),
	};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int do_recv(const char *addr, const char *port, double idle)
{
	static uint8_t buf[1 << 20];
	struct sockaddr_storage ss;
	struct sha256 h;
	unsigned long long n = 0;
	socklen_t len;
	char hex[65];
	int one = 1, lsn, fd;
	double t0;
	ssize_t k;

	if (parse_addr(addr, port, &ss, &len))
		return 2;
	lsn = socket(ss.ss_family, SOCK_STREAM, 0);
	if (lsn < 0 || setsockopt(lsn, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lsn, (struct sockaddr *)&ss, len) || listen(lsn, 1)) {
		perror("stt-xfer recv: listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	set_timeout(lsn, idle);
	fd = accept(lsn, NULL, NULL);
	if (fd < 0) {
		perror("stt-xfer recv: accept");
		return 1;
	}
	close(lsn);
	set_timeout(fd, idle);
	sha256_init(&h);
	t0 = now();
	while ((k = read(fd, buf, sizeof(buf))) > 0) {
		sha256_update(&h, buf, k);
		n += k;
	}
	if (k < 0) {
		perror("stt-xfer recv: read");
		printf("bytes=%llu (incomplete)\n", n);
		return 1;
	}
	close(fd);
	sha256_hex(&h, hex);
	printf("bytes=%llu sha256=%s secs=%.2f\n", n, hex, now() - t0);
	return 0;
}

static int connect_retry(const char *addr, const char *port, double timeout)
{
	struct sockaddr_storage ss;
	double deadline = now() + 10;
	socklen_t len;
	int fd;

	if (parse_addr(addr, port, &ss, &len))
		return -1;
	for (;;) {
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0) {
			perror("stt-xfer: socket");
			return -1;
		}
		set_timeout(fd, timeout);
		if (!connect(fd, (struct sockaddr *)&ss, len))
			return fd;
		close(fd);
		if (now() > deadline) {
			perror("stt-xfer: connect");
			return -1;
		}
		usleep(200000);
	}
}

/* Shut down the write side and wait for the receiver's close. */
static int finish(int fd)
{
	char c;

	if (shutdown(fd, SHUT_WR) || read(fd, &c, 1) < 0) {
		perror("stt-xfer: waiting for the receiver");
		return -1;
	}
	close(fd);
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t k;

	while (n) {
		k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= k;
	}
	return 0;
}

static int do_send(const char *addr, const char *port, const char *path,
		   double timeout)
{
	static uint8_t buf[1 << 16];
	unsigned long long n = 0;
	int fd, in;
	double t0;
	ssize_t k;

	in = open(path, O_RDONLY);
	if (in < 0) {
		perror(path);
		return 1;
	}
	fd = connect_retry(addr, port, timeout);
	if (fd < 0)
		return 1;
	t0 = now();
	while ((k = read(in, buf, sizeof(buf))) > 0) {
		if (write_all(fd, buf, k)) {
			perror("stt-xfer send: write");
			return 1;
		}
		n += k;
	}
	if (k < 0) {
		perror(path);
		return 1;
	}
	close(in);
	if (finish(fd))
		return 1;
	printf("bytes=%llu secs=%.2f\n", n, now() - t0);
	return 0;
}

static int do_stream(const char *addr, const char *port, const char *stopfile,
		     double mbit)
{
	static uint8_t chunk[1 << 16];
	unsigned long long n = 0, k = 0;
	struct sha256 h;
	struct stat st;
	char hex[65];
	double t0, ahead;
	int fd, i, rnd;

	rnd = open("/dev/urandom", O_RDONLY);
	if (rnd < 0 || read(rnd, chunk, sizeof(chunk)) != sizeof(chunk)) {
		perror("/dev/urandom");
		return 1;
	}
	close(rnd);
	fd = connect_retry(addr, port, 120);
	if (fd < 0)
		return 1;
	sha256_init(&h);
	t0 = now();
	while (stat(stopfile, &st)) {
		for (i = 0; i < 8; i++)
			chunk[i] = k >> (56 - 8 * i);
		if (write_all(fd, chunk, sizeof(chunk))) {
			perror("stt-xfer stream: write");
			return 1;
		}
		sha256_update(&h, chunk, sizeof(chunk));
		n += sizeof(chunk);
		k++;
		if (mbit > 0) {
			ahead = n * 8 / (mbit * 1e6) - (now() - t0);
			if (ahead > 0)
				usleep((useconds_t)(ahead * 1e6));
		}
	}
	if (finish(fd))
		return 1;
	sha256_hex(&h, hex);
	printf("bytes=%llu sha256=%s secs=%.2f\n", n, hex, now() - t0);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: stt-xfer recv ADDR PORT [IDLE_SECS]\n"
		"       stt-xfer send ADDR PORT FILE [TIMEOUT_SECS]\n"
		"       stt-xfer stream ADDR PORT STOPFILE [MBIT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && !strcmp(argv[1], "recv"))
		return do_recv(argv[2], argv[3], argc > 4 ? atof(argv[4]) : 120);
	if (argc >= 5 && !strcmp(argv[1], "send"))
		return do_send(argv[2], argv[3], argv[4], argc > 5 ? atof(argv[5]) : 600);
	if (argc >= 5 && !strcmp(argv[1], "stream"))
		return do_stream(argv[2], argv[3], argv[4], argc > 5 ? atof(argv[5]) : 0);
	usage();
	return 2;
}
