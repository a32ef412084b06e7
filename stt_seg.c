// SPDX-License-Identifier: GPL-2.0
/*
 * stt: building STT frames and handing them to the underlay.
 *
 * One inner Ethernet frame becomes one STT frame: an 18-byte frame header,
 * then a TCP-like header whose SEQ carries (frame length << 16 | offset) and
 * whose ACK carries the frame ID (§3.2).  A frame larger than the path MSS
 * leaves as one ordinary TCPv4 GSO skb, so any NIC with plain TSO (or the
 * kernel's own GSO) cuts it into segments that already carry the right SEQ,
 * ACK and PSH: there is no copy and no tunnel offload involved.
 */

#include <linux/etherdevice.h>
#include <linux/random.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/tcp.h>
#include <net/inet_ecn.h>
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
 * §2.5/§3.2: constant per inner flow, spread for ECMP, in 49152-65535.
 * The hash is taken over the inner headers, not skb->hash: TCP re-rolls
 * sk_txhash on RTO, which would move a flow to another port (and path).
 */
static __be16 stt_src_port(const struct sk_buff *skb)
{
	u32 hash = __skb_get_hash_symmetric(skb);

	return htons(49152 + reciprocal_scale(hash, 65536 - 49152));
}

static struct rtable *stt_route(struct stt_dev *stt, struct sk_buff *skb,
				u8 tos, __be16 sport, __be32 *saddr)
{
	const struct stt_config *cfg = &stt->cfg;
	bool use_cache = cfg->tos != STT_TOS_INHERIT && !skb->mark;
	struct rtable *rt;
	struct flowi4 fl4;

	if (use_cache) {
		rt = dst_cache_get_ip4(&stt->dst_cache, saddr);
		if (rt)
			return rt;
	}

	memset(&fl4, 0, sizeof(fl4));
	fl4.flowi4_proto = IPPROTO_TCP;
	fl4.flowi4_mark = skb->mark;
	fl4.flowi4_tos = tos & IPTOS_TOS_MASK;
	fl4.daddr = cfg->remote;
	fl4.saddr = cfg->local;
	fl4.fl4_sport = sport;
	fl4.fl4_dport = cfg->dport;

	rt = ip_route_output_key(stt->net, &fl4);
	if (IS_ERR(rt))
		return rt;
	if (rt->dst.dev == stt->dev) {
		ip_rt_put(rt);
		return ERR_PTR(-ELOOP);
	}
	*saddr = fl4.saddr;
	if (use_cache)
		dst_cache_set_ip4(&stt->dst_cache, &rt->dst, fl4.saddr);
	return rt;
}

static void stt_push_tcp_header(struct sk_buff *skb, __be16 sport,
				__be16 dport, __be32 saddr, __be32 daddr)
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
	th->check = ~tcp_v4_check(skb->len, saddr, daddr, 0);
}

static void stt_push_ip_header(struct sk_buff *skb, struct rtable *rt,
			       __be32 saddr, __be32 daddr, u8 tos, u8 ttl)
{
	struct iphdr *iph;

	skb_dst_set(skb, &rt->dst);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));

	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) >> 2;
	iph->tos = tos;
	iph->frag_off = 0;
	iph->ttl = ttl;
	iph->protocol = IPPROTO_TCP;
	iph->saddr = saddr;
	iph->daddr = daddr;
	__ip_select_ident(dev_net(rt->dst.dev), iph,
			  skb_shinfo(skb)->gso_segs ?: 1);
	skb->protocol = htons(ETH_P_IP);
}

/* Encapsulate and send one inner frame; consumes @skb. */
static void stt_xmit_frame(struct stt_dev *stt, struct sk_buff *skb)
{
	const struct stt_config *cfg = &stt->cfg;
	struct net_device *dev = stt->dev;
	struct skb_shared_info *shinfo;
	struct stthdr sh = {};
	unsigned int inner_len, frame_len, mss;
	__be16 sport;
	__be32 saddr;
	struct rtable *rt;
	u8 tos, ttl;
	int err;

	sport = stt_src_port(skb);
	if (cfg->tos == STT_TOS_INHERIT)
		tos = ip_tunnel_get_dsfield(ip_hdr(skb), skb);
	else
		tos = cfg->tos;
	/* RFC 6040 normal mode: the inner ECN field, CE sent as ECT(0). */
	tos = ip_tunnel_ecn_encap(tos, ip_hdr(skb), skb);

	rt = stt_route(stt, skb, tos, sport, &saddr);
	if (IS_ERR(rt)) {
		if (PTR_ERR(rt) == -ELOOP)
			DEV_STATS_INC(dev, collisions);
		else
			DEV_STATS_INC(dev, tx_carrier_errors);
		goto drop;
	}

	err = stt_tso_prepare(skb, &sh);
	if (err < 0)
		goto drop_rt;
	if (err)
		stt_dev_stat_inc(stt, STT_DEV_TX_SW_CSUM);
	sh.version = STT_VERSION;
	sh.context_id = cpu_to_be64(cfg->key);

	if (skb_cow_head(skb, LL_RESERVED_SPACE(rt->dst.dev) +
			 rt->dst.header_len + STT_ENCAP_HLEN))
		goto drop_rt;

	inner_len = skb->len;
	memcpy(__skb_push(skb, STT_HDR_LEN), &sh, STT_HDR_LEN);
	frame_len = skb->len;
	if (unlikely(frame_len > STT_MAX_FRAME_V4))
		goto drop_rt;

	stt_push_tcp_header(skb, sport, cfg->dport, saddr, cfg->remote);

	/* Plain TCPv4 TSO: replace the inner GSO type, never OR into it. */
	shinfo = skb_shinfo(skb);
	mss = dst_mtu(&rt->dst) - sizeof(struct iphdr) - sizeof(struct tcphdr);
	skb->encapsulation = 0;
	if (frame_len > mss) {
		shinfo->gso_type = SKB_GSO_TCPV4;
		shinfo->gso_size = mss;
		shinfo->gso_segs = DIV_ROUND_UP(frame_len, mss);
		stt_dev_stat_inc(stt, STT_DEV_TX_GSO);
	} else {
		shinfo->gso_type = 0;
		shinfo->gso_size = 0;
		shinfo->gso_segs = 0;
	}

	ttl = cfg->ttl ?: ip4_dst_hoplimit(&rt->dst);
	skb_scrub_packet(skb, !net_eq(stt->net, dev_net(dev)));
	skb_clear_hash(skb);
	stt_push_ip_header(skb, rt, saddr, cfg->remote, tos, ttl);

	err = ip_local_out(stt->net, NULL, skb);
	if (unlikely(net_xmit_eval(err))) {
		DEV_STATS_INC(dev, tx_errors);
		return;
	}
	dev_sw_netstats_tx_add(dev, 1, inner_len);
	stt_dev_stat_inc(stt, STT_DEV_TX_FRAMES);
	return;

drop_rt:
	ip_rt_put(rt);
drop:
	DEV_STATS_INC(dev, tx_dropped);
	kfree_skb(skb);
}

netdev_tx_t stt_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct stt_dev *stt = netdev_priv(dev);
	struct sk_buff *segs, *next;

	if (!skb_is_gso(skb) || stt_tso_can_carry(skb)) {
		stt_xmit_frame(stt, skb);
		return NETDEV_TX_OK;
	}

	/*
	 * An inner GSO state the frame header cannot describe: cut it into
	 * MSS-sized frames here, each sent as its own STT frame.
	 */
	segs = skb_gso_segment(skb, NETIF_F_SG | NETIF_F_HW_CSUM);
	if (IS_ERR_OR_NULL(segs)) {
		DEV_STATS_INC(dev, tx_dropped);
		kfree_skb(skb);
		return NETDEV_TX_OK;
	}
	consume_skb(skb);
	stt_dev_stat_inc(stt, STT_DEV_TX_SW_SEGMENTED);
	skb_list_walk_safe(segs, skb, next) {
		skb_mark_not_on_list(skb);
		stt_xmit_frame(stt, skb);
	}
	return NETDEV_TX_OK;
}
