/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stt: Stateless Transport Tunneling (draft-davie-stt-03), internal API.
 */
#ifndef _STT_H
#define _STT_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/percpu.h>
#include <linux/sizes.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <net/dst_cache.h>
#include <net/ipv6.h>
#include <net/gro_cells.h>
#include <net/net_namespace.h>
#include <uapi/linux/stt.h>

#include "stt_compat.h"

#define STT_VERSION		0

/* §3.1: STT frame header, with the 2 pad bytes that align the inner IP. */
struct stthdr {
	u8	version;
	u8	flags;
	u8	l4_offset;
	u8	reserved;
	__be16	mss;
	__be16	vlan_tci;
	__be64	context_id;
	u8	pad[2];
} __packed;

#define STT_HDR_LEN		sizeof(struct stthdr)	/* 18 */

#define STT_F_CSUM_VERIFIED	BIT(0)
#define STT_F_CSUM_PARTIAL	BIT(1)
#define STT_F_IPV4		BIT(2)
#define STT_F_TCP		BIT(3)

/* §3.1 VLAN field: PCP(3) | V(1) | VID(12).  V sits where Linux keeps DEI. */
#define STT_VLAN_V		0x1000
#define STT_VLAN_PCP_MASK	0xe000
#define STT_VLAN_VID_MASK	0x0fff

/* The outer IPv4 total length is 16 bits: that bounds one STT frame. */
#define STT_MAX_FRAME_V4	(IP_MAX_MTU - sizeof(struct iphdr) - \
				 sizeof(struct tcphdr))		/* 65495 */
#define STT_MAX_INNER_V4	(STT_MAX_FRAME_V4 - STT_HDR_LEN)	/* 65477 */
#define STT_MAX_MTU		(STT_MAX_INNER_V4 - ETH_HLEN)		/* 65463 */

/*
 * The headroom a frame needs, for the larger (IPv6) outer header.  The
 * frame bound above is the IPv4 one for both families: an IPv6 GSO packet
 * may be 20 bytes longer, but one limit keeps the MTU independent of the
 * underlay's family.
 */
#define STT_ENCAP_HLEN		(sizeof(struct ipv6hdr) + sizeof(struct tcphdr) + \
				 STT_HDR_LEN)

/* ethtool -S stt0: per-device counters. */
enum stt_dev_stat {
	STT_DEV_RX_FRAMES,
	STT_DEV_RX_FASTPATH,
	STT_DEV_RX_REASM,
	STT_DEV_RX_SKBS,
	STT_DEV_RX_GSO,			/* frames delivered as TCP GSO */
	STT_DEV_RX_BAD_L4_OFFSET,	/* segments */
	STT_DEV_RX_BAD_OFFLOAD,		/* segments */
	STT_DEV_RX_ECN_DROPS,		/* segments: outer CE, inner Not-ECT */
	STT_DEV_TX_FRAMES,
	STT_DEV_TX_GSO,
	STT_DEV_TX_SW_SEGMENTED,
	STT_DEV_TX_SW_CSUM,
	STT_DEV_STATS_NUM
};

/*
 * /proc/net/stt: per-netns counters, for what happens before a frame has a
 * device.  Drops count outer skbs ("segments"), so that rx_segments equals
 * the segments delivered (rx_skbs of every device) plus the segments dropped
 * plus the segments still held; frame events (timeouts, evictions, killed
 * frames) count frames, and reasm_dropped_segs counts their segments.
 */
enum stt_net_stat {
	STT_NET_RX_SEGMENTS,
	STT_NET_RX_NOMEM,
	STT_NET_RX_TRUNCATED,
	STT_NET_RX_BAD_DOFF,		/* TCP data offset < 5 or past the segment */
	STT_NET_RX_CSUM_ERRORS,
	STT_NET_RX_ZERO_LEN,
	STT_NET_RX_SEG_OVERRUN,
	STT_NET_RX_SHORT_FRAME,
	STT_NET_RX_BAD_VERSION,
	STT_NET_RX_NO_DEVICE,
	STT_NET_REASM_FRAMES,
	STT_NET_REASM_TIMEOUTS,
	STT_NET_REASM_EVICTIONS,
	STT_NET_REASM_LEN_MISMATCH,
	STT_NET_REASM_OVERLAPS,
	STT_NET_REASM_DUPLICATES,
	STT_NET_REASM_MEM_DROPS,
	STT_NET_REASM_DROPPED_SEGS,
	STT_NET_ICMP_PMTU,		/* "too big" for our segments, applied */
	STT_NET_RX_ROUTE_REUSED,	/* segments given a remembered route */
	STT_NET_RX_UNKNOWN_PEER,	/* no device talks to this source/port */
	STT_NET_RX_XFRM_POLICY,		/* refused by the inbound IPsec policy */
	STT_NET_RX_NOT_HOST,		/* link-layer broadcast/multicast, unicast IP */
	STT_NET_RX_CSUM_SW,		/* outer checksum computed in software */
	STT_NET_REASM_SHARED,		/* frames queued in a shared table */
	STT_NET_REASM_OUT_OF_ORDER,	/* segments queued left of the rightmost */
	STT_NET_REASM_COALESCED,	/* skbs merged into a queued neighbour */
	STT_NET_STATS_NUM
};

/* Per-CPU counters; summed over CPUs when read. */
struct stt_dev_stats {
	unsigned long	cnt[STT_DEV_STATS_NUM];
};

struct stt_net_stats {
	unsigned long	cnt[STT_NET_STATS_NUM];
};

#define stt_stats_sum(pcpu, idx) ({					\
	unsigned long __sum = 0;					\
	int __cpu;							\
									\
	for_each_possible_cpu(__cpu)					\
		__sum += per_cpu_ptr(pcpu, __cpu)->cnt[idx];		\
	__sum;								\
})

/*
 * What the data path reads, replaced whole by changelink: readers take one
 * consistent snapshot under RCU.  The route cache lives here too, so a new
 * remote, local or TOS starts from an empty cache.
 */
struct stt_config {
	/* IPv4 endpoints are IPv4-mapped (::ffff:a.b.c.d); :: is "any". */
	struct in6_addr	remote;
	struct in6_addr	local;
	u64	key;		/* 64-bit Context ID */
	__be16	dport;
	u8	ttl;		/* 0: route hop limit */
	u8	tos;		/* 1: inherit from the inner packet */
	u16	sport_min;	/* outer source ports, host order */
	u16	sport_max;
	u8	ttl_inherit;	/* outer TTL = inner IPv4 TTL / IPv6 hop limit */
	u8	df;		/* enum ifla_stt_df */
	u8	dscp_decap;	/* copy the first segment's DSCP inward */
	int	link;		/* underlay ifindex for the route, 0: any */
	u8	collect_md;	/* external: endpoints and key per packet */
	/* changelink copies everything above; keep these two last. */
	struct dst_cache dst_cache;
	struct rcu_head	rcu;
};

#define STT_TOS_INHERIT		1

/* STT is stateless: conntrack leaves it alone (see stt_nf_notrack()). */
static inline void stt_skb_notrack(struct sk_buff *skb)
{
	skb_set_nfct(skb, IP_CT_UNTRACKED);	/* no-op without conntrack */
}

static inline bool stt_cfg_ipv6(const struct stt_config *cfg)
{
	return !ipv6_addr_v4mapped(&cfg->remote);
}

/* An IPv4 (IPv4-mapped) or IPv6 multicast group. */
static inline bool stt_addr_mcast(const struct in6_addr *a)
{
	if (ipv6_addr_v4mapped(a))
		return ipv4_is_multicast(a->s6_addr32[3]);
	return ipv6_addr_is_multicast(a);
}

/* Point-to-multipoint: the remote is an IPv4 or IPv6 multicast group. */
static inline bool stt_cfg_mcast(const struct stt_config *cfg)
{
	return stt_addr_mcast(&cfg->remote);
}

/* An IPv4 endpoint, as the data path keeps it. */
static inline void stt_addr_set_v4(struct in6_addr *a, __be32 addr)
{
	if (addr)
		ipv6_addr_set_v4mapped(addr, a);
	else
		*a = in6addr_any;
}

/* A multicast membership held on an underlay device (RTNL). */
struct stt_mc {
	int			ifindex;	/* 0: none */
	struct in6_addr		group;
};

struct stt_dev {
	struct hlist_node	hlist;	/* stt_net.dev_hash, RCU */
	struct list_head	next;	/* stt_net.dev_list, RTNL */
	struct net_device	*dev;
	struct net		*net;	/* netns of the underlay */
	struct stt_config __rcu	*cfg;	/* RTNL writes, RCU reads */
	struct gro_cells	gro_cells;
	struct stt_dev_stats __percpu *xstats;
	struct stt_mc		mc;	/* joined while up */
};

#define STT_HASH_BITS		8

/*
 * The input route the last segment to a port was given on this CPU, per
 * family, with the (saddr, daddr, iif) it was given for
 * (stt_rx_route_use()).  Written and read only by its own CPU, in the
 * input path (BH off).
 */
struct stt_rx_route {
	struct dst_entry	*dst;		/* holds a reference */
	__be32			saddr;
	__be32			daddr;
	int			iif;
};

struct stt_rx_route6 {
	struct dst_entry	*dst;		/* holds a reference */
	struct in6_addr		saddr;
	struct in6_addr		daddr;
	int			iif;
	u32			cookie;		/* for dst_check() */
};

struct stt_rx_routes {
	struct stt_rx_route	v4;
	struct stt_rx_route6	v6;
};

struct stt_port {
	struct hlist_node	node;
	struct rcu_head		rcu;
	struct stt_dev __rcu	*external;	/* the port's external device */
	struct stt_rx_routes __percpu *rx_route;
	__be16			port;
	unsigned int		refs;
};

#define STT_NF_OPS		4	/* PRE_ROUTING, LOCAL_IN; IPv4, IPv6 */

/*
 * A (remote, local, port) that classic devices of a netns receive from, with
 * the number of devices that do: what every segment is checked against
 * before it is queued (only a frame's first segment names its key).
 */
struct stt_peer {
	struct hlist_node	node;	/* stt_net.peer_hash, RCU */
	struct rcu_head		rcu;
	struct in6_addr		remote;
	struct in6_addr		local;	/* :: for any */
	__be16			port;
	unsigned int		refs;	/* RTNL */
};

struct stt_net {
	struct list_head	dev_list;
	struct hlist_head	dev_hash[1 << STT_HASH_BITS];
	struct hlist_head	peer_hash[1 << STT_HASH_BITS];
	struct hlist_head	ports;		/* ports with a device, RCU */
	unsigned int		nr_devs;	/* devices using this underlay */
	atomic_long_t		reasm_mem;	/* truesize held in reassembly */
	atomic_long_t		reasm_mem_max;	/* its high-water mark */
	struct stt_net_stats __percpu *stats;
	/* net.stt.* sysctls */
	unsigned long		reasm_high_thresh;
	unsigned long		reasm_low_thresh;
	unsigned int		reasm_timeout_ms;
	struct ctl_table_header	*sysctl_hdr;
	struct nf_hook_ops	nf_ops[STT_NF_OPS];	/* priv: this stt_net */
	bool			hooked;		/* nf_ops registered; RTNL or exit */
};

/* Defaults, justified in docs/design.md, "Reassembly limits". */
#define STT_REASM_HIGH_THRESH	(32UL << 20)
#define STT_REASM_LOW_THRESH	(24UL << 20)
#define STT_REASM_TIMEOUT_MS	100
#define STT_REASM_TIMEOUT_MAX_MS 60000
#define STT_REASM_HIGH_THRESH_MAX SZ_1G

/*
 * Outer metadata of one received segment, kept in skb->cb from the
 * netfilter hook until the frame is delivered.
 */
struct stt_rx_cb {
	struct in6_addr	saddr;	/* IPv4: IPv4-mapped, like struct stt_config */
	struct in6_addr	daddr;
	__be16	sport;
	__be16	dport;
	__be32	frame_id;	/* TCP ACK */
	u16	frame_len;	/* SEQ >> 16 */
	u16	offset;		/* SEQ & 0xffff */
	u16	nr_skbs;	/* outer skbs in this (partial) frame */
	u8	tos;		/* outer TOS; a frame's ECN is CE if any is */
	u8	ttl;		/* outer TTL / hop limit of the first segment */
};

#define STT_RX_CB(skb)	((struct stt_rx_cb *)(skb)->cb)

static inline void stt_dev_stat_inc(struct stt_dev *stt, enum stt_dev_stat s)
{
	this_cpu_inc(stt->xstats->cnt[s]);
}

static inline void stt_dev_stat_add(struct stt_dev *stt, enum stt_dev_stat s,
				    unsigned long v)
{
	this_cpu_add(stt->xstats->cnt[s], v);
}

/* Policy routing in use: an input route may depend on more than addresses. */
static inline bool stt_fib_has_custom_rules(const struct net *net, bool ipv6)
{
	if (ipv6) {
#ifdef CONFIG_IPV6_MULTIPLE_TABLES
		return READ_ONCE(net->ipv6.fib6_has_custom_rules);
#else
		return false;
#endif
	}
#ifdef CONFIG_IP_MULTIPLE_TABLES
	return READ_ONCE(net->ipv4.fib_has_custom_rules);
#else
	return false;
#endif
}

static inline void stt_net_stat_inc(struct stt_net *sn, enum stt_net_stat s)
{
	this_cpu_inc(sn->stats->cnt[s]);
}

static inline void stt_net_stat_add(struct stt_net *sn, enum stt_net_stat s,
				    unsigned long v)
{
	this_cpu_add(sn->stats->cnt[s], v);
}

/* stt_main.c */
struct stt_net *stt_pernet(const struct net *net);
struct stt_dev *stt_lookup_dev(struct stt_net *sn, const struct in6_addr *saddr,
			       const struct in6_addr *daddr, __be16 dport,
			       u64 key);
bool stt_port_in_use(struct stt_net *sn, __be16 port);
struct stt_port *stt_port_find(struct stt_net *sn, __be16 port);
bool stt_tunnel_known(struct stt_net *sn, const struct in6_addr *local,
		      const struct in6_addr *remote, __be16 dport);
bool stt_peer_known(struct stt_net *sn, struct stt_port *p,
		    const struct in6_addr *saddr, const struct in6_addr *daddr);

/* stt_seg.c */
netdev_tx_t stt_xmit(struct sk_buff *skb, struct net_device *dev);
int stt_fill_metadata_dst(struct net_device *dev, struct sk_buff *skb);
void stt_frame_id_init(void);

/* stt_tso.c */
__be16 stt_inner_l3(const struct sk_buff *skb, __be16 proto,
		    unsigned int *off);
bool stt_tso_can_carry(struct sk_buff *skb);
int stt_tso_prepare(struct sk_buff *skb, struct stthdr *sh);
int stt_tso_restore(struct sk_buff *skb, const struct stthdr *sh);

/* stt_reasm.c */
int stt_rx_hook_register(struct net *net);
void stt_rx_hook_unregister(struct net *net);
void stt_rx_hook_unregister_many(struct list_head *net_exit_list);
struct sk_buff *stt_reasm_add(struct stt_net *sn, const struct net *net,
			      struct sk_buff *skb, bool defrag);
void stt_reasm_flush_net(const struct net *net);
int stt_reasm_init(void);
void stt_reasm_exit(void);

#endif /* _STT_H */
