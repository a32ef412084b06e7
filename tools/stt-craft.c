// SPDX-License-Identifier: GPL-2.0
/*
 * stt-craft: send hand-made STT segments over a raw IPv4 socket, or
 * written as Ethernet frames into a tap device (-t), as a NIC would hand
 * them to the stack (tap builds linear head_frag skbs, like build_skb()
 * drivers).
 *
 * Every malformed class the receiver must drop and count, valid frames cut
 * into arbitrary segments (in order, reversed, split across invocations),
 * and floods of first segments.  The inner frame of a valid STT frame is an
 * Ethernet broadcast of EtherType 0x88b5 (local experimental), which the
 * receiving stack counts and drops harmlessly.
 *
 *   stt-craft -s SRC -d DST [-k KEY] [-p DPORT] [-P SPORT] [-n COUNT]
 *             [-l FRAMELEN] [-m SEGLEN] [-i ID] [-o FIRST:LAST]
 *             [-T TOS] [-C CE_SEGMENT] [-E INNER_ECN]
 *             [-F STT_FLAGS] [-a INNER_SRC] [-b INNER_DST] [-M MSS]
 *             [-t TAP [-B]] CASE
 *
 * CASE is one of the names in stt_cases[] below ("stt-craft -h" lists them).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STT_HLEN	18
#define ETH_HLEN	14
#define TCP_HLEN	20
#define MAX_FRAME	65495

struct opts {
	struct in_addr	src, dst;
	uint64_t	key;
	uint16_t	dport, sport;
	unsigned long	count;
	unsigned int	frame_len;	/* whole STT frame, header included */
	unsigned int	seg_len;
	uint32_t	id;
	int		have_id;
	unsigned int	first_seg, last_seg;	/* -o: send only these */
	uint8_t		tos;		/* -T: outer TOS of every segment */
	int		ce_seg;		/* -C: this segment also carries CE */
	uint8_t		inner_ecn;	/* -E: the "ecn" case's inner ECN */
	uint8_t		stt_flags;	/* -F: the "udp_csum" case's flags */
	struct in_addr	inner_src, inner_dst;	/* -a, -b: "udp_csum" */
	uint16_t	mss;		/* -M: the "tcp_gso" case's MSS */
	const char	*tap;		/* -t: write into this tap device */
	int		bcast;		/* -B: to the broadcast MAC address */
	unsigned int	ntags;		/* -q: inline tags of inner_ip4() */
	uint16_t	tags[4][2];	/* TPID, TCI, outermost first */
};

static int sock_fd;
static uint8_t seg_tos;		/* outer TOS of the next segment */
/* Fields a receiver must ignore (draft §3.2), set by the "ignored" case. */
static uint8_t seg_tcp_flags;	/* ORed into every segment's TCP flags */
static uint8_t seg_tcp_res;	/* the 4 reserved bits after data offset */
static uint16_t seg_window, seg_urg;
static unsigned int seg_doff = 5;	/* header length of send_frame() */
static unsigned int seg_doff_lie;	/* data offset written instead */
static int tap_fd = -1;
static uint8_t tap_dst[6], tap_src[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x02 };
static uint8_t frame[MAX_FRAME];
static unsigned long sent;

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Send one IPv4 packet: over the raw socket (which fills in the header
 * checksum and ID), or as an Ethernet frame into the tap device.
 */
static void emit(uint8_t *ip, size_t tot, const struct sockaddr_in *sin)
{
	static uint8_t frame[14 + 20 + 60 + MAX_FRAME];
	static uint16_t ip_id;
	uint16_t c;

	if (tap_fd < 0) {
		if (sendto(sock_fd, ip, tot, 0, (const struct sockaddr *)sin,
			   sizeof(*sin)) < 0) {
			perror("sendto");
			exit(1);
		}
		sent++;
		return;
	}
	ip_id++;
	ip[4] = ip_id >> 8;
	ip[5] = ip_id & 0xff;
	ip[10] = 0;
	ip[11] = 0;
	c = csum_fold(csum_add(0, ip, (ip[0] & 0x0f) * 4));
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
	memcpy(frame, tap_dst, 6);
	memcpy(frame + 6, tap_src, 6);
	frame[12] = 0x08;
	frame[13] = 0x00;
	memcpy(frame + 14, ip, tot);
	if (write(tap_fd, frame, 14 + tot) != (ssize_t)(14 + tot)) {
		perror("write to tap");
		exit(1);
	}
	sent++;
}

/* One raw segment: IPv4 + TCP-like header (+ optional options) + payload. */
static void send_segment(const struct opts *o, uint32_t seq, uint32_t ack,
			 uint8_t flags, const uint8_t *data, size_t len,
			 unsigned int doff, int bad_csum)
{
	uint8_t pkt[20 + 60 + MAX_FRAME];
	size_t thlen = doff * 4, tot = 20 + thlen + len;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = o->dst };
	uint8_t *ip = pkt, *th = pkt + 20;
	uint32_t sum;
	uint16_t c;

	memset(pkt, 0, 20 + thlen);
	ip[0] = 0x45;
	ip[1] = seg_tos;
	ip[2] = tot >> 8;
	ip[3] = tot & 0xff;
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &o->src, 4);
	memcpy(ip + 16, &o->dst, 4);

	th[0] = o->sport >> 8;
	th[1] = o->sport & 0xff;
	th[2] = o->dport >> 8;
	th[3] = o->dport & 0xff;
	th[4] = seq >> 24; th[5] = seq >> 16; th[6] = seq >> 8; th[7] = seq;
	th[8] = ack >> 24; th[9] = ack >> 16; th[10] = ack >> 8; th[11] = ack;
	th[12] = (seg_doff_lie ?: doff) << 4 | (seg_tcp_res & 0x0f);
	th[13] = flags | seg_tcp_flags;
	th[14] = seg_window >> 8;
	th[15] = seg_window & 0xff;
	th[18] = seg_urg >> 8;
	th[19] = seg_urg & 0xff;
	if (thlen > TCP_HLEN)
		memset(th + TCP_HLEN, 1, thlen - TCP_HLEN);	/* NOPs */
	memcpy(th + thlen, data, len);

	/* Pseudo-header + TCP header + payload. */
	sum = csum_add(0, ip + 12, 8);
	sum += IPPROTO_TCP + thlen + len;
	sum = csum_add(sum, th, thlen + len);
	c = csum_fold(sum);
	if (bad_csum)
		c ^= 0x5a5a;
	th[16] = c >> 8;
	th[17] = c & 0xff;

	emit(ip, tot, &sin);
}

#define F_ACK	0x10
#define F_PSH	0x08

/* A valid STT frame of @len bytes into frame[]: header + inner Ethernet. */
static void build_frame(const struct opts *o, unsigned int len)
{
	uint64_t key = o->key;
	int i;

	memset(frame, 0, len);
	/* version 0, flags 0, l4 offset 0, reserved, mss 0, vlan 0 */
	for (i = 0; i < 8; i++)
		frame[8 + i] = key >> (56 - 8 * i);
	/* inner Ethernet: broadcast, locally administered source, 0x88b5 */
	memset(frame + STT_HLEN, 0xff, 6);
	memcpy(frame + STT_HLEN + 6, "\x02\x00\x5e\x10\x00\x01", 6);
	frame[STT_HLEN + 12] = 0x88;
	frame[STT_HLEN + 13] = 0xb5;
	for (i = STT_HLEN + ETH_HLEN; i < (int)len; i++)
		frame[i] = (uint8_t)i;
}

static uint32_t next_id(const struct opts *o, unsigned long n)
{
	static uint32_t base;

	if (o->have_id)
		return o->id + n;
	if (!base)
		base = (uint32_t)time(NULL) * 2654435761u ^ (uint32_t)getpid();
	return base + n;
}

/*
 * Send @len bytes of frame[] as segments of o->seg_len, all with frame ID
 * @id, optionally only segments first..last, optionally in reverse.
 */
enum { IN_ORDER, REVERSE, LAST_FIRST };

static void send_frame(const struct opts *o, unsigned int len, uint32_t id,
		       int order)
{
	unsigned int nseg = (len + o->seg_len - 1) / o->seg_len, i, k;

	for (k = 0; k < nseg; k++) {
		unsigned int off, l;

		/* LAST_FIRST: the last segment, then the others in order. */
		if (order == REVERSE)
			i = nseg - 1 - k;
		else if (order == LAST_FIRST)
			i = k ? k - 1 : nseg - 1;
		else
			i = k;
		if (i < o->first_seg || i > o->last_seg)
			continue;
		off = i * o->seg_len;
		l = len - off < o->seg_len ? len - off : o->seg_len;
		seg_tos = o->tos | ((int)i == o->ce_seg ? 3 : 0);
		send_segment(o, (uint32_t)len << 16 | off, id,
			     F_ACK | (i == nseg - 1 ? F_PSH : 0),
			     frame + off, l, seg_doff, 0);
		seg_tos = o->tos;
	}
}

typedef void (*case_fn)(struct opts *o);

static void c_good(struct opts *o)
{
	unsigned long n;

	build_frame(o, o->frame_len);
	for (n = 0; n < o->count; n++)
		send_frame(o, o->frame_len, next_id(o, n), IN_ORDER);
}

static void c_reverse(struct opts *o)
{
	unsigned long n;

	build_frame(o, o->frame_len);
	for (n = 0; n < o->count; n++)
		send_frame(o, o->frame_len, next_id(o, n), REVERSE);
}

/*
 * Valid frames, each sent twice in a row with the same frame ID: the ID is
 * reused right after its first frame completed, and both must be delivered.
 */
static void c_reuse(struct opts *o)
{
	unsigned long n;

	build_frame(o, o->frame_len);
	for (n = 0; n < o->count; n++) {
		send_frame(o, o->frame_len, next_id(o, n), IN_ORDER);
		send_frame(o, o->frame_len, next_id(o, n), IN_ORDER);
	}
}

/* Valid frames, the last segment first and then the rest in order. */
static void c_last_first(struct opts *o)
{
	unsigned long n;

	build_frame(o, o->frame_len);
	for (n = 0; n < o->count; n++)
		send_frame(o, o->frame_len, next_id(o, n), LAST_FIRST);
}

/* Frame shorter than an STT header + Ethernet header. */
static void c_short_frame(struct opts *o)
{
	unsigned long n;

	build_frame(o, STT_HLEN);
	for (n = 0; n < o->count; n++)
		send_segment(o, (uint32_t)STT_HLEN << 16, next_id(o, n),
			     F_ACK | F_PSH, frame, STT_HLEN, 5, 0);
}

/* A truncated TCP header: IP payload of 12 bytes. */
static void c_trunc_tcp(struct opts *o)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = o->dst };
	uint8_t pkt[32] = { 0x45, 0, 0, 32, 0, 0, 0, 0, 64, IPPROTO_TCP };
	unsigned long n;

	memcpy(pkt + 12, &o->src, 4);
	memcpy(pkt + 16, &o->dst, 4);
	pkt[20] = o->sport >> 8; pkt[21] = o->sport;
	pkt[22] = o->dport >> 8; pkt[23] = o->dport;
	for (n = 0; n < o->count; n++) {
		if (sendto(sock_fd, pkt, sizeof(pkt), 0,
			   (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			perror("sendto");
			exit(1);
		}
		sent++;
	}
}

/*
 * Valid frames whose every segment carries 12 bytes of TCP options (NOPs):
 * §3.2 keeps the data offset's meaning, so the payload starts after them.
 */
static void c_tcp_options(struct opts *o)
{
	unsigned long n;

	build_frame(o, o->frame_len);
	seg_doff = 8;
	for (n = 0; n < o->count; n++)
		send_frame(o, o->frame_len, next_id(o, n), IN_ORDER);
}

/*
 * Malformed data offsets: one segment with a data offset of 4 (below the
 * header), one with 15 (60 bytes) in a 40-byte TCP segment.
 */
static void c_bad_doff(struct opts *o)
{
	unsigned long n;

	build_frame(o, 200);
	for (n = 0; n < o->count; n++) {
		seg_doff_lie = 4;
		send_segment(o, 200u << 16, next_id(o, n), F_ACK | F_PSH,
			     frame, 200, 5, 0);
		seg_doff_lie = 15;
		send_segment(o, 200u << 16, next_id(o, n), F_ACK,
			     frame, 20, 5, 0);
	}
	seg_doff_lie = 0;
}

/* Where inner_ip4() puts the IP header: after the -q tags. */
static unsigned int inner_l3(const struct opts *o)
{
	return STT_HLEN + ETH_HLEN + 4 * o->ntags;
}

/*
 * Make the inner frame of frame[] (built by build_frame()) an IPv4 packet
 * of the rest of the frame: the -q tags in the payload, EtherType, a
 * 20-byte header with TOS @tos, DF if @df, protocol @proto, @src -> @dst
 * and its checksum, then @l4len zeroed bytes for the L4 header.  Returns
 * the IP header.
 */
static uint8_t *inner_ip4(const struct opts *o, uint8_t tos, int df,
			  uint8_t proto, const void *src, const void *dst,
			  unsigned int l4len)
{
	uint8_t *ip = frame + inner_l3(o), *p = frame + STT_HLEN + 12;
	unsigned int tot = o->frame_len - inner_l3(o), i;
	uint16_t c;

	for (i = 0; i < o->ntags; i++, p += 4) {
		p[0] = o->tags[i][0] >> 8;
		p[1] = o->tags[i][0] & 0xff;
		p[2] = o->tags[i][1] >> 8;
		p[3] = o->tags[i][1] & 0xff;
	}
	p[0] = 0x08;
	p[1] = 0x00;
	memset(ip, 0, 20 + l4len);
	ip[0] = 0x45;
	ip[1] = tos;
	ip[2] = tot >> 8;
	ip[3] = tot & 0xff;
	ip[6] = df ? 0x40 : 0;
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	c = csum_fold(csum_add(0, ip, 20));
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
	return ip;
}

/*
 * Valid frames of -l bytes whose inner frame is an IPv4 TCP segment from
 * -a to -b (port 9 to 9), "checksum partial" with MSS -M: what a Linux
 * sender's TSO frame looks like, to be rebuilt as a TCP GSO skb.  The
 * inner Ethernet destination is broadcast, so a bridge floods it.
 */
static void c_tcp_gso(struct opts *o)
{
	unsigned int tot = o->frame_len - inner_l3(o);
	uint8_t *ip, *th;
	unsigned long n;
	uint32_t sum;
	uint16_t c;

	build_frame(o, o->frame_len);
	frame[1] = 0x02 | 0x04 | 0x08;	/* partial, IPv4, TCP */
	frame[2] = inner_l3(o) - STT_HLEN + 20;
	frame[4] = o->mss >> 8;
	frame[5] = o->mss & 0xff;
	/* DF, as TCP sends. */
	ip = inner_ip4(o, 0, 1, IPPROTO_TCP, &o->inner_src, &o->inner_dst, 20);
	th = ip + 20;
	th[1] = 9;
	th[3] = 9;
	th[12] = 5 << 4;
	th[13] = F_ACK | F_PSH;
	th[14] = 0xff;
	th[15] = 0xff;
	/* CHECKSUM_PARTIAL: the pseudo-header sum, as the stack leaves it. */
	sum = csum_add(0, ip + 12, 8);
	sum += IPPROTO_TCP + tot - 20;
	c = ~csum_fold(sum);
	th[16] = c >> 8;
	th[17] = c & 0xff;
	for (n = 0; n < o->count; n++)
		send_frame(o, o->frame_len, next_id(o, n), IN_ORDER);
}

static void c_version(struct opts *o)
{
	unsigned long n;

	build_frame(o, 200);
	frame[0] = 1;
	for (n = 0; n < o->count; n++)
		send_segment(o, 200u << 16, next_id(o, n), F_ACK | F_PSH,
			     frame, 200, 5, 0);
}

/*
 * "Checksum partial" with an L4 offset past the end of the frame, whose
 * EtherType says IPv4 (for a frame that is not IP the fields are ignored).
 */
static void c_l4_beyond(struct opts *o)
{
	unsigned long n;

	build_frame(o, 200);
	frame[1] = 0x02 | 0x04 | 0x08;	/* partial, IPv4, TCP */
	frame[2] = 250;
	frame[STT_HLEN + 12] = 0x08;
	frame[STT_HLEN + 13] = 0x00;
	for (n = 0; n < o->count; n++)
		send_segment(o, 200u << 16, next_id(o, n), F_ACK | F_PSH,
			     frame, 200, 5, 0);
}

/*
 * Valid frames whose inner frame is an IPv4 packet (protocol 253, RFC 3692
 * experimentation, 10.99.0.1 -> 10.99.0.2: not for the receiver, which drops
 * it after its taps saw it) with inner ECN -E; the outer TOS is -T, and
 * segment -C also carries CE.
 */
static void c_ecn(struct opts *o)
{
	unsigned long n;

	build_frame(o, o->frame_len);
	inner_ip4(o, o->inner_ecn & 3, 0, 253, "\x0a\x63\x00\x01",
		  "\x0a\x63\x00\x02", 0);
	for (n = 0; n < o->count; n++)
		send_frame(o, o->frame_len, next_id(o, n), IN_ORDER);
}

/*
 * Valid frames in which every field the draft says a receiver ignores is
 * set: STT flag bits 4-7, the reserved byte and the padding (§3.1); the
 * TCP flags other than ACK (SYN, FIN, RST, URG, ECE, CWR), the reserved
 * bits, the window and the urgent pointer (§3.2).  They must be delivered
 * as if those fields were zero.
 */
static void c_ignored(struct opts *o)
{
	unsigned long n;

	build_frame(o, o->frame_len);
	frame[1] = 0xf0;		/* flags: bits 4-7 */
	frame[3] = 0xff;		/* reserved */
	frame[16] = 0xff;		/* padding */
	frame[17] = 0xff;
	seg_tcp_flags = 0x01 | 0x02 | 0x04 | 0x20 | 0x40 | 0x80;
	seg_tcp_res = 0x0f;
	seg_window = 0xffff;
	seg_urg = 0xffff;
	for (n = 0; n < o->count; n++)
		send_frame(o, o->frame_len, next_id(o, n), IN_ORDER);
}

/*
 * Valid frames whose inner frame is an IPv4 UDP datagram (-a -> -b, port
 * 9) with a wrong UDP checksum, and STT flags -F.  With "checksum
 * verified" the receiver must trust the sender's check (CHECKSUM_
 * UNNECESSARY: the datagram reaches UDP, NoPorts); without it, UDP must
 * find the error (InCsumErrors).
 */
static void c_udp_csum(struct opts *o)
{
	unsigned int tot = o->frame_len - STT_HLEN - ETH_HLEN;
	uint8_t *ip, *uh;
	unsigned long n;
	uint32_t sum;
	uint16_t c;

	build_frame(o, o->frame_len);
	frame[1] = o->stt_flags;
	ip = inner_ip4(o, 0, 0, IPPROTO_UDP, &o->inner_src, &o->inner_dst, 8);
	uh = ip + 20;
	uh[0] = 0xc0;			/* source port 49152 */
	uh[3] = 9;			/* discard */
	uh[4] = (tot - 20) >> 8;
	uh[5] = (tot - 20) & 0xff;
	sum = csum_add(0, ip + 12, 8);
	sum += IPPROTO_UDP + tot - 20;
	c = csum_fold(csum_add(sum, uh, tot - 20)) ^ 0x5a5a;
	uh[6] = c >> 8;
	uh[7] = c & 0xff;
	for (n = 0; n < o->count; n++)
		send_frame(o, o->frame_len, next_id(o, n), IN_ORDER);
}

/*
 * "Checksum partial" + TCP + IPv4 on a frame whose inner EtherType says
 * IPv6: the L4 offset (Ethernet + IPv6 header) is inside the frame, the
 * flags lie about the frame.
 */
static void c_ipv4_flag(struct opts *o)
{
	unsigned long n;

	build_frame(o, 200);
	frame[1] = 0x02 | 0x04 | 0x08;	/* partial, IPv4, TCP */
	frame[2] = ETH_HLEN + 40;
	frame[STT_HLEN + 12] = 0x86;
	frame[STT_HLEN + 13] = 0xdd;
	for (n = 0; n < o->count; n++)
		send_segment(o, 200u << 16, next_id(o, n), F_ACK | F_PSH,
			     frame, 200, 5, 0);
}

/* "Checksum partial" on a frame that is not IP (EtherType 0x88b5). */
static void c_partial_nonip(struct opts *o)
{
	unsigned long n;

	build_frame(o, 200);
	frame[1] = 0x02 | 0x08;		/* partial, TCP */
	frame[2] = ETH_HLEN + 20;
	for (n = 0; n < o->count; n++)
		send_segment(o, 200u << 16, next_id(o, n), F_ACK | F_PSH,
			     frame, 200, 5, 0);
}

/* Segment offset + length past the frame length. */
static void c_overrun(struct opts *o)
{
	unsigned long n;

	build_frame(o, 1000);
	for (n = 0; n < o->count; n++)
		send_segment(o, 1000u << 16 | 900, next_id(o, n), F_ACK,
			     frame, 200, 5, 0);
}

static void c_zero_len(struct opts *o)
{
	unsigned long n;

	for (n = 0; n < o->count; n++)
		send_segment(o, 1000u << 16, next_id(o, n), F_ACK, frame, 0,
			     5, 0);
}

/* Two segments of one frame ID that disagree on the frame length. */
static void c_len_change(struct opts *o)
{
	unsigned long n;

	build_frame(o, 3000);
	for (n = 0; n < o->count; n++) {
		uint32_t id = next_id(o, n);

		send_segment(o, 3000u << 16, id, F_ACK, frame, 1000, 5, 0);
		send_segment(o, 2999u << 16 | 1000, id, F_ACK, frame + 1000,
			     1000, 5, 0);
	}
}

/* Overlap that is not an exact duplicate: kills the frame. */
static void c_overlap(struct opts *o)
{
	unsigned long n;

	build_frame(o, 3000);
	for (n = 0; n < o->count; n++) {
		uint32_t id = next_id(o, n);

		send_segment(o, 3000u << 16, id, F_ACK, frame, 1000, 5, 0);
		send_segment(o, 3000u << 16 | 500, id, F_ACK, frame + 500,
			     1000, 5, 0);
	}
}

/*
 * Exact duplicates inside a frame that then completes: segments 0, 0, 1, 2
 * of 1000 bytes each (every segment fits a 1500-byte MTU).
 */
static void c_duplicate(struct opts *o)
{
	unsigned long n;

	build_frame(o, 3000);
	for (n = 0; n < o->count; n++) {
		uint32_t id = next_id(o, n);

		send_segment(o, 3000u << 16, id, F_ACK, frame, 1000, 5, 0);
		send_segment(o, 3000u << 16, id, F_ACK, frame, 1000, 5, 0);
		send_segment(o, 3000u << 16 | 1000, id, F_ACK, frame + 1000,
			     1000, 5, 0);
		send_segment(o, 3000u << 16 | 2000, id, F_ACK | F_PSH,
			     frame + 2000, 1000, 5, 0);
	}
}

static void c_bad_csum(struct opts *o)
{
	unsigned long n;

	build_frame(o, 200);
	for (n = 0; n < o->count; n++)
		send_segment(o, 200u << 16, next_id(o, n), F_ACK | F_PSH,
			     frame, 200, 5, 1);
}

/* First segments only, each of a distinct frame: held until timeout. */
static void c_flood(struct opts *o)
{
	unsigned long n;

	build_frame(o, o->frame_len);
	for (n = 0; n < o->count; n++)
		send_segment(o, o->frame_len << 16, next_id(o, n), F_ACK,
			     frame, o->seg_len, 5, 0);
}

static const struct {
	const char *name;
	case_fn fn;
	const char *help;
} stt_cases[] = {
	{ "good",	c_good,		"valid frames, in order" },
	{ "reverse",	c_reverse,	"valid frames, segments in reverse" },
	{ "short_frame", c_short_frame,	"frame length < STT + Ethernet header" },
	{ "trunc_tcp",	c_trunc_tcp,	"truncated TCP header" },
	{ "last_first",	c_last_first,	"valid frames, the last segment first" },
	{ "reuse",	c_reuse,	"valid frames, each ID sent twice in a row" },
	{ "tcp_options", c_tcp_options,	"valid frames, 12 bytes of TCP options" },
	{ "bad_doff",	c_bad_doff,	"TCP data offset 4, and 15 in 40 bytes" },
	{ "tcp_gso",	c_tcp_gso,	"inner IPv4 TCP -a -> -b, checksum partial, MSS -M" },
	{ "version",	c_version,	"STT version 1" },
	{ "l4_beyond",	c_l4_beyond,	"checksum-partial L4 offset past the frame" },
	{ "ipv4_flag",	c_ipv4_flag,	"IPv4 flag on an IPv6 frame" },
	{ "partial_nonip", c_partial_nonip, "checksum partial on a non-IP frame" },
	{ "overrun",	c_overrun,	"offset + length > frame length" },
	{ "zero_len",	c_zero_len,	"segment without payload" },
	{ "len_change",	c_len_change,	"frame length changes within a frame" },
	{ "overlap",	c_overlap,	"overlapping segments" },
	{ "duplicate",	c_duplicate,	"exact duplicate segment, frame completes" },
	{ "bad_csum",	c_bad_csum,	"outer TCP checksum wrong" },
	{ "ecn",	c_ecn,		"inner IPv4 with ECN -E, outer TOS -T, CE on segment -C" },
	{ "ignored",	c_ignored,	"valid frames, every ignored field non-zero" },
	{ "udp_csum",	c_udp_csum,	"inner UDP -a -> -b, wrong checksum, STT flags -F" },
	{ "flood",	c_flood,	"first segments only, distinct frame IDs" },
};

/*
 * Attach to the (persistent) tap device o->tap, non-blocking, and send to
 * its own MAC address (or to broadcast with -B).
 */
static int tap_open(const struct opts *o)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int s;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->tap);
	tap_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	if (tap_fd < 0 || ioctl(tap_fd, TUNSETIFF, &ifr) < 0) {
		perror("tap");
		return -1;
	}
	if (o->bcast) {
		memset(tap_dst, 0xff, sizeof(tap_dst));
		return 0;
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->tap);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
		perror("SIOCGIFHWADDR");
		return -1;
	}
	memcpy(tap_dst, ifr.ifr_hwaddr.sa_data, sizeof(tap_dst));
	close(s);
	return 0;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: stt-craft -s SRC -d DST [-k KEY] [-p DPORT] [-P SPORT] [-n COUNT]\n"
		   "                 [-l FRAMELEN] [-m SEGLEN] [-i ID] [-o FIRST:LAST]\n"
		   "                 [-T TOS] [-C CE_SEGMENT] [-E INNER_ECN]\n"
		   "                 [-F STT_FLAGS] [-a INNER_SRC] [-b INNER_DST] [-M MSS]\n"
		   "                 [-t TAP [-B]] [-q TPID:VID]... CASE\n"
		   "  -q: an inline tag in the inner frame of ecn and tcp_gso\n"
		   "      (up to 4, outermost first; TPID 0x8100 or 0x88a8)\n"
		   "cases:\n");
	for (i = 0; i < sizeof(stt_cases) / sizeof(stt_cases[0]); i++)
		fprintf(f, "  %-12s %s\n", stt_cases[i].name, stt_cases[i].help);
}

int main(int argc, char **argv)
{
	struct opts o = {
		.dport = 7471, .sport = 50000, .count = 1, .frame_len = 4000,
		.seg_len = 1400, .last_seg = ~0u, .ce_seg = -1,
	};
	const char *name;
	size_t i;
	int c, one = 1;

	while ((c = getopt(argc, argv, "s:d:k:p:P:n:l:m:i:o:T:C:E:F:a:b:M:t:Bq:h")) != -1) {
		switch (c) {
		case 's':
			if (!inet_aton(optarg, &o.src))
				goto bad;
			break;
		case 'd':
			if (!inet_aton(optarg, &o.dst))
				goto bad;
			break;
		case 'k':
			o.key = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			o.dport = strtoul(optarg, NULL, 0);
			break;
		case 'P':
			o.sport = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			o.count = strtoul(optarg, NULL, 0);
			break;
		case 'l':
			o.frame_len = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			o.seg_len = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			o.id = strtoul(optarg, NULL, 0);
			o.have_id = 1;
			break;
		case 'o':
			if (sscanf(optarg, "%u:%u", &o.first_seg,
				   &o.last_seg) != 2)
				goto bad;
			break;
		case 'T':
			o.tos = strtoul(optarg, NULL, 0);
			break;
		case 'C':
			o.ce_seg = strtol(optarg, NULL, 0);
			break;
		case 'E':
			o.inner_ecn = strtoul(optarg, NULL, 0);
			break;
		case 'F':
			o.stt_flags = strtoul(optarg, NULL, 0);
			break;
		case 'a':
			if (!inet_aton(optarg, &o.inner_src))
				goto bad;
			break;
		case 'b':
			if (!inet_aton(optarg, &o.inner_dst))
				goto bad;
			break;
		case 'M':
			o.mss = strtoul(optarg, NULL, 0);
			break;
		case 't':
			o.tap = optarg;
			break;
		case 'B':
			o.bcast = 1;
			break;
		case 'q': {
			unsigned int vid;
			int tpid;

			if (o.ntags == 4 ||
			    sscanf(optarg, "%i:%u", &tpid, &vid) != 2 ||
			    tpid < 0 || tpid > 0xffff || vid > 0xfff)
				goto bad;
			o.tags[o.ntags][0] = tpid;
			o.tags[o.ntags][1] = vid;
			o.ntags++;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc - 1 || !o.src.s_addr || !o.dst.s_addr ||
	    o.frame_len < STT_HLEN + ETH_HLEN || o.frame_len > MAX_FRAME ||
	    !o.seg_len || o.seg_len > o.frame_len)
		goto bad;
	name = argv[optind];
	seg_tos = o.tos;

	if (o.tap) {
		if (tap_open(&o))
			return 1;
	} else {
		sock_fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
		if (sock_fd < 0 ||
		    setsockopt(sock_fd, IPPROTO_IP, IP_HDRINCL, &one,
			       sizeof(one))) {
			perror("raw socket");
			return 1;
		}
	}
	for (i = 0; i < sizeof(stt_cases) / sizeof(stt_cases[0]); i++) {
		if (!strcmp(stt_cases[i].name, name)) {
			stt_cases[i].fn(&o);
			printf("stt-craft: %s: sent %lu segments\n", name, sent);
			return 0;
		}
	}
bad:
	usage(stderr);
	return 2;
}
