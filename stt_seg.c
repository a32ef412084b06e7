// SPDX-License-Identifier: GPL-2.0
/*
 * stt: building STT frames and handing them to the underlay.
 *
 * One inner Ethernet frame becomes one STT frame: an 18-byte frame header,
 * then a TCP-like header whose SEQ carries (frame length << 16 | offset) and
 * whose ACK carries the frame ID (§3.2).  A frame larger than the path MSS
 * leaves as one ordinary TCP GSO skb, TCPv4 or TCPv6 as the underlay is
 * (§3.3), so any NIC with plain TSO (or the kernel's own GSO) cuts it into
 * segments that already carry the right SEQ, ACK and PSH: there is no copy
 * and no tunnel offload involved.
 */

#include <linux/etherdevice.h>
#include <linux/random.h>
#include <linux/jhash.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/tcp.h>
#include <net/inet_ecn.h>
#include <net/dst_metadata.h>
#include <net/ip_tunnels.h>

#include "stt.h"

/*
 * Frame IDs: a per-CPU counter with the CPU number in the low bits, so two
 * CPUs never hand out the same ID and one CPU repeats an ID only after
 * 2^(32 - cpu_bits) frames: with 8192 CPUs that is 2^19 frames per CPU,
 * seconds even at line rate, against a reassembly timeout of milliseconds.
 */
static DEFINE_PER_CPU(u32, stt_frame_ctr);
static unsigned int stt_cpu_bits __read_mostly;

void stt_frame_id_init(void)
{
	int cpu;

	stt_cpu_bits = order_base_2(nr_cpu_ids);
	for_each_possible_cpu(cpu)
		per_cpu(stt_frame_ctr, cpu) = get_random_u32();
}

static __be32 stt_next_frame_id(void)
{
	u32 ctr = this_cpu_inc_return(stt_frame_ctr);

	return htonl((ctr << stt_cpu_bits) | smp_processor_id());
}

/*
 * §2.5/§3.2: constant per inner flow, spread for ECMP, in the configured
 * range (default 49152-65535).  The hash is taken over the inner headers,
 * not skb->hash: TCP re-rolls sk_txhash on RTO, which would move a flow to
 * another port (and path).
 */
static __be16 stt_src_port(const struct stt_config *cfg,
			   const struct sk_buff *skb)
{
	u32 hash = __skb_get_hash_symmetric(skb);
	u32 span = (u32)cfg->sport_max - cfg->sport_min + 1;

	return htons(cfg->sport_min + reciprocal_scale(hash, span));
}

/*
 * The underlay route for @cfg's remote, as a dst, and the source address
 * to use (IPv4-mapped for IPv4).  The cache holds one route per
 * configuration: the flow key differs only in what the cache ignores
 * (ports), unless the TOS or the mark can change per packet.
 */
static struct dst_entry *stt_route4(struct stt_dev *stt,
				    struct stt_config *cfg,
				    struct sk_buff *skb, u8 tos, __be16 sport,
				    bool use_cache, struct in6_addr *saddr)
{
	struct rtable *rt;
	struct flowi4 fl4;
	__be32 src;

	if (use_cache) {
		rt = dst_cache_get_ip4(&cfg->dst_cache, &src);
		if (rt) {
			ipv6_addr_set_v4mapped(src, saddr);
			return &rt->dst;
		}
	}

	memset(&fl4, 0, sizeof(fl4));
	fl4.flowi4_proto = IPPROTO_TCP;
	fl4.flowi4_oif = cfg->link;
	fl4.flowi4_mark = skb->mark;
	stt_fl4_set_tos(&fl4, tos);
	fl4.daddr = cfg->remote.s6_addr32[3];
	fl4.saddr = cfg->local.s6_addr32[3];
	fl4.fl4_sport = sport;
	fl4.fl4_dport = cfg->dport;

	rt = ip_route_output_key(stt->net, &fl4);
	if (IS_ERR(rt))
		return ERR_CAST(rt);
	if (rt->dst.dev == stt->dev) {
		ip_rt_put(rt);
		return ERR_PTR(-ELOOP);
	}
	ipv6_addr_set_v4mapped(fl4.saddr, saddr);
	if (use_cache)
		dst_cache_set_ip4(&cfg->dst_cache, &rt->dst, fl4.saddr);
	return &rt->dst;
}

static struct dst_entry *stt_route6(struct stt_dev *stt,
				    struct stt_config *cfg,
				    struct sk_buff *skb, u8 tos, __be16 sport,
				    __be32 label, bool use_cache,
				    struct in6_addr *saddr)
{
	struct dst_entry *dst;
	struct flowi6 fl6;

	if (use_cache) {
		dst = dst_cache_get_ip6(&cfg->dst_cache, saddr);
		if (dst)
			return dst;
	}

	memset(&fl6, 0, sizeof(fl6));
	fl6.flowi6_proto = IPPROTO_TCP;
	fl6.flowi6_oif = cfg->link;
	fl6.flowi6_mark = skb->mark;
	fl6.flowlabel = ip6_make_flowinfo(tos, label);
	fl6.daddr = cfg->remote;
	fl6.saddr = cfg->local;
	fl6.fl6_sport = sport;
	fl6.fl6_dport = cfg->dport;

	dst = stt_ip6_dst_lookup_flow(stt->net, &fl6);
	if (IS_ERR(dst))
		return dst;
	if (dst->dev == stt->dev) {
		dst_release(dst);
		return ERR_PTR(-ELOOP);
	}
	*saddr = fl6.saddr;
	if (use_cache)
		dst_cache_set_ip6(&cfg->dst_cache, dst, &fl6.saddr);
	return dst;
}

static void stt_push_tcp_header(struct sk_buff *skb, __be16 sport,
				__be16 dport, const struct in6_addr *saddr,
				const struct in6_addr *daddr, bool ipv6)
{
	unsigned int frame_len = skb->len;
	struct tcphdr *th;

	th = skb_push(skb, sizeof(*th));
	skb_reset_transport_header(skb);
	memset(th, 0, sizeof(*th));
	th->source = sport;
	th->dest = dport;
	th->seq = htonl(frame_len << 16);
	th->ack_seq = stt_next_frame_id();
	th->doff = sizeof(*th) / 4;
	/* GSO/TSO clear PSH on every segment but the last. */
	th->ack = 1;
	th->psh = 1;

	/* The outer checksum covers the whole frame: the NIC or GSO fills it. */
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
	if (ipv6)
		th->check = ~tcp_v6_check(skb->len, saddr, daddr, 0);
	else
		th->check = ~tcp_v4_check(skb->len, saddr->s6_addr32[3],
					  daddr->s6_addr32[3], 0);
}

/*
 * What TTL, TOS and DF inherit and RFC 6040 read of the inner IP header,
 * found behind any tags in the payload (802.1ad, or an 802.1Q tag that
 * stt_tso_prepare() has not moved to the header yet); all 0 for a frame
 * that is not IP.  @skb->data is at the inner Ethernet header.
 */
struct stt_inner_ip {
	__be16	proto;
	u8	dsfield;
	u8	ttl;
	bool	df;
};

static void stt_inner_ip_get(const struct sk_buff *skb,
			     struct stt_inner_ip *ip)
{
	unsigned int off = offsetof(struct ethhdr, h_proto);
	const __be16 *type;
	__be16 _type;

	memset(ip, 0, sizeof(*ip));
	type = skb_header_pointer(skb, off, sizeof(_type), &_type);
	if (!type)
		return;
	off = ETH_HLEN;
	switch (stt_inner_l3(skb, *type, &off)) {
	case htons(ETH_P_IP): {
		const struct iphdr *iph;
		struct iphdr _iph;

		iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
		if (!iph)
			return;
		ip->proto = htons(ETH_P_IP);
		ip->dsfield = iph->tos;
		ip->ttl = iph->ttl;
		ip->df = iph->frag_off & htons(IP_DF);
		break;
	}
	case htons(ETH_P_IPV6): {
		const struct ipv6hdr *ip6h;
		struct ipv6hdr _ip6h;

		ip6h = skb_header_pointer(skb, off, sizeof(_ip6h), &_ip6h);
		if (!ip6h)
			return;
		ip->proto = htons(ETH_P_IPV6);
		ip->dsfield = ipv6_get_dsfield(ip6h);
		ip->ttl = ip6h->hop_limit;
		/* IPv6 is never fragmented on the way: as DF. */
		ip->df = true;
		break;
	}
	}
}

/* The outer DF bit (IPv4 only): the vxlan/geneve semantics of "df". */
static __be16 stt_df(const struct stt_config *cfg,
		     const struct stt_inner_ip *ip)
{
	switch (cfg->df) {
	case STT_DF_SET:
		return htons(IP_DF);
	case STT_DF_INHERIT:
		return ip->df ? htons(IP_DF) : 0;
	default:
		return 0;
	}
}

static void stt_push_ip_header(struct sk_buff *skb, struct dst_entry *dst,
			       __be32 saddr, __be32 daddr, u8 tos, u8 ttl,
			       __be16 df)
{
	struct iphdr *iph;

	skb_dst_set(skb, dst);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));

	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) >> 2;
	iph->tos = tos;
	iph->frag_off = df;
	iph->ttl = ttl;
	iph->protocol = IPPROTO_TCP;
	iph->saddr = saddr;
	iph->daddr = daddr;
	__ip_select_ident(dev_net(dst->dev), iph,
			  skb_shinfo(skb)->gso_segs ?: 1);
	skb->protocol = htons(ETH_P_IP);
}

/* ip6_local_out() fills in the payload length. */
static void stt_push_ip6_header(struct sk_buff *skb, struct dst_entry *dst,
				const struct in6_addr *saddr,
				const struct in6_addr *daddr, u8 tos,
				__be32 label, u8 hop_limit)
{
	struct ipv6hdr *ip6h;

	skb_dst_set(skb, dst);
	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));

	ip6h = skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6_flow_hdr(ip6h, tos, label);
	ip6h->nexthdr = IPPROTO_TCP;
	ip6h->hop_limit = hop_limit;
	ip6h->saddr = *saddr;
	ip6h->daddr = *daddr;
	skb->protocol = htons(ETH_P_IPV6);
}

/* The outer TOS: configured or inherited, with the inner ECN (RFC 6040). */
static u8 stt_outer_tos(const struct stt_config *cfg,
			const struct stt_inner_ip *ip)
{
	u8 tos = cfg->tos == STT_TOS_INHERIT ? ip->dsfield : cfg->tos;

	/* Normal mode: the inner ECN field, CE sent as ECT(0). */
	return INET_ECN_encapsulate(tos, ip->dsfield);
}

/* RFC 6438: the flow label follows the flow, as the source port does. */
static __be32 stt_flow_label(__be16 sport)
{
	return htonl(jhash_1word((__force u32)sport, 0)) & IPV6_FLOWLABEL_MASK;
}

/* Encapsulate and send one inner frame; consumes @skb. */
static void stt_xmit_frame(struct stt_dev *stt, struct stt_config *cfg,
			   struct sk_buff *skb)
{
	bool use_cache = cfg->tos != STT_TOS_INHERIT && !skb->mark &&
			 !cfg->collect_md;
	unsigned int inner_len, frame_len, mss, iphlen;
	bool ipv6 = stt_cfg_ipv6(cfg);
	struct net_device *dev = stt->dev;
	struct skb_shared_info *shinfo;
	struct stt_inner_ip inner;
	struct stthdr sh = {};
	struct in6_addr saddr;
	struct dst_entry *dst;
	__be32 label = 0;
	__be16 sport, df;
	u8 tos, ttl = 0;
	int err;

	sport = stt_src_port(cfg, skb);
	stt_inner_ip_get(skb, &inner);
	/* 0 for a non-IP inner frame: the configured TTL then applies. */
	if (cfg->ttl_inherit)
		ttl = inner.ttl;
	tos = stt_outer_tos(cfg, &inner);
	df = stt_df(cfg, &inner);

	if (ipv6) {
		label = stt_flow_label(sport);
		dst = stt_route6(stt, cfg, skb, tos, sport, label, use_cache,
				 &saddr);
		iphlen = sizeof(struct ipv6hdr);
	} else {
		dst = stt_route4(stt, cfg, skb, tos, sport, use_cache, &saddr);
		iphlen = sizeof(struct iphdr);
	}
	if (IS_ERR(dst)) {
		if (PTR_ERR(dst) == -ELOOP)
			DEV_STATS_INC(dev, collisions);
		else
			DEV_STATS_INC(dev, tx_carrier_errors);
		goto drop;
	}

	err = stt_tso_prepare(skb, &sh);
	if (err < 0)
		goto drop_dst;
	if (err)
		stt_dev_stat_inc(stt, STT_DEV_TX_SW_CSUM);
	sh.version = STT_VERSION;
	sh.context_id = cpu_to_be64(cfg->key);

	if (skb_cow_head(skb, LL_RESERVED_SPACE(dst->dev) +
			 dst->header_len + STT_ENCAP_HLEN))
		goto drop_dst;

	inner_len = skb->len;
	memcpy(__skb_push(skb, STT_HDR_LEN), &sh, STT_HDR_LEN);
	frame_len = skb->len;
	if (unlikely(frame_len > STT_MAX_FRAME_V4))
		goto drop_dst;

	stt_push_tcp_header(skb, sport, cfg->dport, &saddr, &cfg->remote, ipv6);

	/* Plain TCP TSO: replace the inner GSO type, never OR into it. */
	shinfo = skb_shinfo(skb);
	mss = dst_mtu(dst) - iphlen - sizeof(struct tcphdr);
	skb->encapsulation = 0;
	if (frame_len > mss) {
		shinfo->gso_type = ipv6 ? SKB_GSO_TCPV6 : SKB_GSO_TCPV4;
		shinfo->gso_size = mss;
		shinfo->gso_segs = DIV_ROUND_UP(frame_len, mss);
		stt_dev_stat_inc(stt, STT_DEV_TX_GSO);
	} else {
		shinfo->gso_type = 0;
		shinfo->gso_size = 0;
		shinfo->gso_segs = 0;
	}

	/* Multicast, as vxlan: TTL 1 unless configured. */
	if (!ttl && !cfg->ttl && stt_cfg_mcast(cfg))
		ttl = 1;
	skb_scrub_packet(skb, !net_eq(stt->net, dev_net(dev)));
	skb_clear_hash(skb);
	/* Stateless: OUTPUT conntrack must not track it (stt_nf_notrack()). */
	stt_skb_notrack(skb);
	if (ipv6) {
		if (!ttl)
			ttl = cfg->ttl ?: ip6_dst_hoplimit(dst);
		stt_push_ip6_header(skb, dst, &saddr, &cfg->remote, tos, label,
				    ttl);
		err = ip6_local_out(stt->net, NULL, skb);
	} else {
		if (!ttl)
			ttl = cfg->ttl ?: ip4_dst_hoplimit(dst);
		stt_push_ip_header(skb, dst, saddr.s6_addr32[3],
				   cfg->remote.s6_addr32[3], tos, ttl, df);
		err = ip_local_out(stt->net, NULL, skb);
	}
	if (unlikely(net_xmit_eval(err))) {
		DEV_STATS_INC(dev, tx_errors);
		return;
	}
	dev_sw_netstats_tx_add(dev, 1, inner_len);
	stt_dev_stat_inc(stt, STT_DEV_TX_FRAMES);
	return;

drop_dst:
	dst_release(dst);
drop:
	DEV_STATS_INC(dev, tx_dropped);
	kfree_skb(skb);
}

/*
 * External mode: this skb's configuration, from the ip_tunnel_info that
 * lwtunnel, tc tunnel_key or bpf_skb_set_tunnel_key() attached.  The
 * device still gives the source port range, the underlay binding and the
 * destination port when the metadata has none.  The outer source port is
 * our flow hash, not the metadata's tp_src, as in vxlan and geneve.
 */
static int stt_cfg_from_info(struct stt_config *pkt,
			     const struct stt_config *cfg,
			     const struct sk_buff *skb)
{
	const struct ip_tunnel_info *info = skb_tunnel_info(skb);
	const struct ip_tunnel_key *key;

	if (!info || !(info->mode & IP_TUNNEL_INFO_TX))
		return -EINVAL;
	key = &info->key;
	memset(pkt, 0, offsetof(struct stt_config, dst_cache));
	if (ip_tunnel_info_af(info) == AF_INET6) {
		pkt->remote = key->u.ipv6.dst;
		pkt->local = key->u.ipv6.src;
	} else {
		stt_addr_set_v4(&pkt->remote, key->u.ipv4.dst);
		stt_addr_set_v4(&pkt->local, key->u.ipv4.src);
	}
	if (ipv6_addr_any(&pkt->remote))
		return -EINVAL;
	pkt->key = be64_to_cpu(key->tun_id);
	pkt->dport = key->tp_dst ?: cfg->dport;
	/*
	 * Taken literally, as vxlan and geneve take a metadata TOS: 1 means
	 * "inherit" only in a device's own configuration.  Its ECN bits are
	 * the inner packet's anyway (stt_outer_tos()), and without them the
	 * value can never be STT_TOS_INHERIT: Open vSwitch passes tos 0 |
	 * the inner ECN field, 1 for an ECT(1) packet, whose inner DSCP must
	 * not leak outside.
	 */
	pkt->tos = key->tos & ~INET_ECN_MASK;
	pkt->ttl = key->ttl;		/* 0: the route's (1 for multicast) */
	pkt->df = stt_tun_df(key) ? STT_DF_SET : STT_DF_UNSET;
	pkt->sport_min = cfg->sport_min;
	pkt->sport_max = cfg->sport_max;
	pkt->link = cfg->link;
	pkt->collect_md = 1;		/* no route cache for it */
	return 0;
}

/*
 * ndo_fill_metadata_dst: complete the skb's TX metadata with what an
 * external device would send it with -- the underlay route's source
 * address and the TCP ports -- without sending it.  Open vSwitch reports
 * the result as the egress tunnel key of a userspace action.  The core has
 * uncloned the metadata for us (dev_fill_metadata_dst()).
 */
int stt_fill_metadata_dst(struct net_device *dev, struct sk_buff *skb)
{
	struct ip_tunnel_info *info = skb_tunnel_info(skb);
	struct stt_dev *stt = netdev_priv(dev);
	const struct stt_config *cfg;
	struct stt_inner_ip inner;
	struct stt_config pkt;
	struct in6_addr saddr;
	struct dst_entry *dst;
	__be16 sport;
	int err;
	u8 tos;

	rcu_read_lock();
	cfg = rcu_dereference(stt->cfg);
	/* NULL once ndo_uninit() has run: an upcall raced the delete. */
	if (!cfg) {
		err = -ENODEV;
		goto out;
	}
	/* An IP packet cut short is refused, as stt_xmit() refuses it. */
	if (!pskb_inet_may_pull(skb)) {
		err = -EINVAL;
		goto out;
	}
	err = stt_cfg_from_info(&pkt, cfg, skb);
	if (err)
		goto out;
	sport = stt_src_port(&pkt, skb);
	stt_inner_ip_get(skb, &inner);
	tos = stt_outer_tos(&pkt, &inner);
	if (stt_cfg_ipv6(&pkt))
		dst = stt_route6(stt, &pkt, skb, tos, sport,
				 stt_flow_label(sport), false, &saddr);
	else
		dst = stt_route4(stt, &pkt, skb, tos, sport, false, &saddr);
	if (IS_ERR(dst)) {
		err = PTR_ERR(dst);
		goto out;
	}
	dst_release(dst);

	if (ip_tunnel_info_af(info) == AF_INET6)
		info->key.u.ipv6.src = saddr;
	else
		info->key.u.ipv4.src = saddr.s6_addr32[3];
	info->key.tp_src = sport;
	info->key.tp_dst = pkt.dport;
out:
	rcu_read_unlock();
	return err;
}

netdev_tx_t stt_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct stt_dev *stt = netdev_priv(dev);
	struct sk_buff *segs, *next;
	struct stt_config *cfg, pkt;

	/*
	 * An IP packet whose header is cut short (from a packet socket) is
	 * refused, as geneve refuses it; one whose header sits in a page frag
	 * is pulled.  stt_inner_ip_get() copies what it reads either way.
	 */
	if (!pskb_inet_may_pull(skb)) {
		DEV_STATS_INC(dev, tx_errors);
		kfree_skb(skb);
		return NETDEV_TX_OK;
	}

	/* One configuration for every frame of this skb (changelink swaps it). */
	rcu_read_lock();
	cfg = rcu_dereference(stt->cfg);
	if (cfg->collect_md) {
		if (stt_cfg_from_info(&pkt, cfg, skb)) {
			DEV_STATS_INC(dev, tx_dropped);
			kfree_skb(skb);
			goto out;
		}
		cfg = &pkt;
	}
	if (!skb_is_gso(skb) || stt_tso_can_carry(skb)) {
		stt_xmit_frame(stt, cfg, skb);
		goto out;
	}

	/*
	 * An inner GSO state the frame header cannot describe: cut it into
	 * MSS-sized frames here, each sent as its own STT frame.
	 */
	segs = skb_gso_segment(skb, NETIF_F_SG | NETIF_F_HW_CSUM);
	if (IS_ERR_OR_NULL(segs)) {
		DEV_STATS_INC(dev, tx_dropped);
		kfree_skb(skb);
		goto out;
	}
	consume_skb(skb);
	stt_dev_stat_inc(stt, STT_DEV_TX_SW_SEGMENTED);
	skb_list_walk_safe(segs, skb, next) {
		skb_mark_not_on_list(skb);
		stt_xmit_frame(stt, cfg, skb);
	}
out:
	rcu_read_unlock();
	return NETDEV_TX_OK;
}
