// SPDX-License-Identifier: GPL-2.0
/*
 * stt: the offload state that travels in the STT frame header, both ways.
 *
 * On transmit the inner skb's checksum/GSO/VLAN state is folded into the
 * frame header (§3.1) so that the receiver can rebuild it; what the header
 * cannot describe is resolved in software first.  On receive the header
 * rebuilds that state, trusting nothing the wire says without bounds checks:
 * this is the same bug class as virtio_net_hdr_to_skb().
 */

#include <linux/if_vlan.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "stt.h"

/* The 802.1Q tag of the inner frame in the §3.1 PCP/V/VID layout. */
static __be16 stt_vlan_to_wire(u16 tci)
{
	return htons(STT_VLAN_V | (tci & (VLAN_PRIO_MASK | VLAN_VID_MASK)));
}

/*
 * The IP header of an inner frame, behind any 802.1Q/802.1ad tags in its
 * payload: @proto is the EtherType at the end of the Ethernet header and
 * @off the offset from skb->data of what it announces.  Returns
 * htons(ETH_P_IP) or htons(ETH_P_IPV6) with @off moved to that header, or
 * 0: not IP, more than VLAN_MAX_DEPTH tags, or cut short.  The accelerated
 * tag is not in the payload and needs no skipping.
 */
__be16 stt_inner_l3(const struct sk_buff *skb, __be16 proto,
		    unsigned int *off)
{
	unsigned int depth = VLAN_MAX_DEPTH;

	while (eth_type_vlan(proto)) {
		const struct vlan_hdr *vh;
		struct vlan_hdr _vh;

		if (!depth--)
			return 0;
		vh = skb_header_pointer(skb, *off, sizeof(_vh), &_vh);
		if (!vh)
			return 0;
		proto = vh->h_vlan_encapsulated_proto;
		*off += VLAN_HLEN;
	}
	if (proto == htons(ETH_P_IP) || proto == htons(ETH_P_IPV6))
		return proto;
	return 0;
}

static bool stt_csum_offset_ok(u16 csum_offset)
{
	return csum_offset == offsetof(struct tcphdr, check) ||
	       csum_offset == offsetof(struct udphdr, check);
}

/*
 * Can this GSO skb travel as one STT frame with its MSS in the header?
 * TCP only, no frag_list (skb_segment() BUG()s on a frag_list whose geometry
 * does not match the outer MSS: the Open vSwitch panic), an inet checksum
 * whose L4 offset fits the 8-bit field, and a size that fits one frame.
 */
bool stt_tso_can_carry(struct sk_buff *skb)
{
	unsigned int gso_type = skb_shinfo(skb)->gso_type;
	int l4 = skb_checksum_start_offset(skb);

	if (gso_type & ~(SKB_GSO_TCPV4 | SKB_GSO_TCPV6 | SKB_GSO_DODGY))
		return false;
	if (skb_has_frag_list(skb) || skb->ip_summed != CHECKSUM_PARTIAL ||
	    skb_csum_is_sctp(skb) ||
	    skb->csum_offset != offsetof(struct tcphdr, check))
		return false;
	/* An 802.1ad tag is pushed into the payload and moves L4 by 4. */
	if (skb_vlan_tag_present(skb) && skb->vlan_proto != htons(ETH_P_8021Q))
		l4 += VLAN_HLEN;
	if (l4 < ETH_HLEN || l4 > U8_MAX)
		return false;
	return skb->len + (skb_vlan_tag_present(skb) ? VLAN_HLEN : 0) <=
	       STT_MAX_INNER_V4;
}

/* Is the IP header at @off (EtherType @proto) followed by TCP? */
static bool stt_inner_is_tcp(const struct sk_buff *skb, __be16 proto,
			     unsigned int off)
{
	const u8 *nexthdr;
	u8 _nexthdr;

	off += proto == htons(ETH_P_IP) ? offsetof(struct iphdr, protocol) :
					  offsetof(struct ipv6hdr, nexthdr);
	nexthdr = skb_header_pointer(skb, off, sizeof(_nexthdr), &_nexthdr);
	return nexthdr && *nexthdr == IPPROTO_TCP;
}

/*
 * Fill @sh's flags, L4 offset, MSS and VLAN from @skb, whose data starts at
 * the inner Ethernet header.  Returns the number of software checksums
 * done (0 or 1), or a negative errno.
 */
int stt_tso_prepare(struct sk_buff *skb, struct stthdr *sh)
{
	unsigned int l3off = ETH_HLEN;
	int sw_csum = 0;
	__be16 proto;
	int l4, err;

	skb_reset_mac_header(skb);

	/*
	 * One rule for tags (docs/design.md, "VLAN tags, one rule"): the
	 * frame's outermost tag travels in the header's VLAN field when it
	 * is 802.1Q, whether the stack handed it over accelerated or in the
	 * frame (a packet socket, tx-vlan-hw-insert off); every other tag
	 * stays in the payload.
	 */
	if (!skb_vlan_tag_present(skb) &&
	    eth_hdr(skb)->h_proto == htons(ETH_P_8021Q)) {
		u16 tci;

		err = __skb_vlan_pop(skb, &tci);
		if (err)
			return err;
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), tci);
	}
	if (skb_vlan_tag_present(skb)) {
		if (skb->vlan_proto == htons(ETH_P_8021Q)) {
			sh->vlan_tci = stt_vlan_to_wire(skb_vlan_tag_get(skb));
		} else {
			/* 802.1ad: §3.1 has no field for it; keep it inline. */
			err = __vlan_insert_tag(skb, skb->vlan_proto,
						skb_vlan_tag_get(skb));
			if (err)
				return err;
		}
		__vlan_hwaccel_clear_tag(skb);
	}

	proto = stt_inner_l3(skb, eth_hdr(skb)->h_proto, &l3off);
	if (!proto) {
		/* §3.1.1: non-IP payloads carry no IP-related fields. */
		if (skb->ip_summed == CHECKSUM_PARTIAL) {
			err = skb_csum_hwoffload_help(skb, 0);
			if (err)
				return err;
			sw_csum = 1;
		}
		return sw_csum;
	}

	if (proto == htons(ETH_P_IP))
		sh->flags |= STT_F_IPV4;

	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		l4 = skb_checksum_start_offset(skb);
		if (!skb_csum_is_sctp(skb) && l4 >= ETH_HLEN && l4 <= U8_MAX &&
		    stt_csum_offset_ok(skb->csum_offset)) {
			sh->flags |= STT_F_CSUM_PARTIAL;
			if (skb->csum_offset == offsetof(struct tcphdr, check))
				sh->flags |= STT_F_TCP;
			sh->l4_offset = l4;
			if (skb_is_gso(skb))
				sh->mss = htons(skb_shinfo(skb)->gso_size);
			return 0;
		}
		err = skb_csum_hwoffload_help(skb, 0);
		if (err)
			return err;
		sw_csum = 1;
		/* We just computed it: the checksum is known good. */
		sh->flags |= STT_F_CSUM_VERIFIED;
	} else if (skb->ip_summed == CHECKSUM_UNNECESSARY) {
		sh->flags |= STT_F_CSUM_VERIFIED;
	}

	if (stt_inner_is_tcp(skb, proto, l3off))
		sh->flags |= STT_F_TCP;
	return sw_csum;
}

/*
 * May a "checksum partial" frame whose IP header has EtherType @l3 (behind
 * any tags) carry @flags?  The IPv4 flag must agree with it.
 */
static bool stt_tso_proto_ok(__be16 l3, u8 flags)
{
	return (l3 == htons(ETH_P_IP)) == !!(flags & STT_F_IPV4);
}

/*
 * A frame delivered with an MSS may meet skb_segment(): bridged or routed
 * to a device without NETIF_F_FRAGLIST, sent up an Open vSwitch upcall, or
 * queued to NFQUEUE.  Its frag_list holds the outer segments, whose sizes
 * have nothing to do with the inner MSS, and skb_segment() walks such a
 * list only if its members' linear parts end on MSS boundaries: a member
 * with head_frag set and more linear bytes than the MSS hits
 * BUG_ON(skb_headlen(list_skb) > len) (Open vSwitch's STT met the same
 * panic).  Page frags it can cut anywhere.  So every member's linear part
 * (usually nothing, or the few bytes a driver copies into the head; a
 * whole segment from a build_skb() driver or tap) becomes a page frag of
 * its own, and then any MSS is safe.  A head that is a page fragment is
 * referenced where it is, as skb_segment() and skb_gro_receive() do with
 * one; a kmalloc()ed head, or one from a page pool (whose pages take pool
 * references), is copied.  false: it could not be done.
 */
static bool stt_tso_page_fraglist(struct sk_buff *skb)
{
	struct sk_buff *m;

	skb_walk_frags(skb, m) {
		unsigned int hlen = skb_headlen(m), off;
		struct skb_shared_info *shinfo;
		struct page *page;
		void *buf;

		if (!hlen)
			continue;
		if (skb_unclone(m, GFP_ATOMIC))
			return false;
		shinfo = skb_shinfo(m);
		if (shinfo->nr_frags >= MAX_SKB_FRAGS)
			return false;
		if (m->head_frag && !m->pp_recycle) {
			buf = m->data;
			page = virt_to_head_page(buf);
			get_page(page);
		} else {
			buf = netdev_alloc_frag(hlen);
			if (!buf)
				return false;
			memcpy(buf, m->data, hlen);
			page = virt_to_head_page(buf);
			m->truesize += hlen;
			skb->truesize += hlen;
		}
		off = (unsigned char *)buf - (unsigned char *)page_address(page);
		memmove(shinfo->frags + 1, shinfo->frags,
			shinfo->nr_frags * sizeof(skb_frag_t));
		__skb_fill_page_desc(m, 0, page, off, hlen);
		shinfo->nr_frags++;
		m->data_len += hlen;
		skb_set_tail_pointer(m, 0);
		skb->pfmemalloc |= m->pfmemalloc;
	}
	return true;
}

/*
 * Rebuild the inner skb's offload state from the frame header.  @skb's data
 * starts right after the inner Ethernet header (eth_type_trans() done).
 * Returns -ERANGE when the L4 offset points outside the frame, -EINVAL for
 * other metadata that cannot be trusted.
 */
int stt_tso_restore(struct sk_buff *skb, const struct stthdr *sh)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);
	u16 tci = ntohs(sh->vlan_tci);
	unsigned int l3off = 0;
	__be16 l3;

	skb->ip_summed = CHECKSUM_NONE;
	shinfo->gso_size = 0;
	shinfo->gso_type = 0;
	shinfo->gso_segs = 0;

	if (tci & STT_VLAN_V)
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q),
				       tci & (VLAN_PRIO_MASK | VLAN_VID_MASK));

	/*
	 * §3.1.1: for a payload that is not IP, the IP-related fields "MUST
	 * be set to zero and ignored on receipt": such a frame is delivered
	 * as it is, whatever its flags say.  Tags in the payload (802.1ad, or
	 * a peer's inline 802.1Q) are looked through.
	 */
	l3 = stt_inner_l3(skb, skb->protocol, &l3off);
	if (!l3)
		return 0;

	if (sh->flags & STT_F_CSUM_PARTIAL) {
		bool tcp = sh->flags & STT_F_TCP;
		u16 off = tcp ? offsetof(struct tcphdr, check) :
				offsetof(struct udphdr, check);
		unsigned int start, hdrlen, mss = ntohs(sh->mss);
		const struct tcphdr *th;

		/* -ERANGE: the L4 header is not inside the frame. */
		if (sh->l4_offset < ETH_HLEN)
			return -ERANGE;
		start = sh->l4_offset - ETH_HLEN;
		hdrlen = start + (tcp ? sizeof(struct tcphdr) :
					sizeof(struct udphdr));
		if (!pskb_may_pull(skb, hdrlen))
			return -ERANGE;
		if (!skb_partial_csum_set(skb, start, off))
			return -ERANGE;
		if (!stt_tso_proto_ok(l3, sh->flags))
			return -EINVAL;

		/* An MSS is only meaningful for TCP larger than one MSS. */
		if (!tcp || !mss)
			return 0;
		/*
		 * Below the smallest segment Linux's TCP sends (its minimum
		 * MSS less 40 bytes of options), an MSS only multiplies a
		 * frame wherever it is segmented: 65,000 segments for MSS 1,
		 * where this floor allows at most 8,200.
		 */
		if (mss < TCP_MIN_GSO_SIZE)
			return -EINVAL;
		th = (const struct tcphdr *)(skb->data + start);
		hdrlen = start + th->doff * 4;
		if (th->doff < 5 || skb->len <= hdrlen + mss)
			return 0;
		if (skb_has_frag_list(skb) && !stt_tso_page_fraglist(skb))
			return 0;
		shinfo->gso_size = mss;
		/* DODGY: the GSO layer re-validates what the wire told us. */
		shinfo->gso_type = SKB_GSO_DODGY |
			((sh->flags & STT_F_IPV4) ? SKB_GSO_TCPV4 :
						     SKB_GSO_TCPV6);
		shinfo->gso_segs = DIV_ROUND_UP(skb->len - hdrlen, mss);
	} else if (sh->flags & STT_F_CSUM_VERIFIED) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	}
	return 0;
}
