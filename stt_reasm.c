// SPDX-License-Identifier: GPL-2.0
/*
 * stt: receive.  Taking STT segments from the IPv4 and IPv6 input paths,
 * reassembling them into frames and delivering each frame on its device.
 *
 * Segments are taken at NF_INET_LOCAL_IN, after routing decided the packet
 * is for this host (transit STT is never touched) and after ip_defrag()
 * (IP fragments of a segment never reach TCP to draw an RST; IPv6 fragments
 * are reassembled after LOCAL_IN, and only nf_defrag_ipv6 makes them ours),
 * after the
 * filter/security/NAT tables (a host firewall can still drop STT).  Conntrack
 * never tracks them: see stt_nf_notrack().
 *
 * The reassembly engine follows net/ipv4/inet_fragment.c in spirit: a frame
 * queue is created, found, fed, completed, expired or evicted, and its memory
 * is accounted per netns in truesize.  Queues live in a per-CPU table: an STT
 * frame's segments share one 4-tuple, so RSS/RPS steer them to one CPU.
 *
 * Except when a router fragmented some of them (the default "df unset"):
 * RSS and RPS hash IP fragments on the 2-tuple, so a segment that was
 * reassembled from fragments reaches us on another CPU than its frame's
 * other segments.  Such a segment goes to a shared table instead, one of
 * STT_REASM_SHARDS chosen by the address pair, and pulls the queues its
 * frame already has on the per-CPU tables into it; while a shard holds a
 * frame, segments of the same address pair look there too.  With no
 * fragments anywhere, the per-CPU path pays one atomic read for this.
 * Segments that land on two CPUs for any other reason (a flow moved by
 * aRFS mid-frame) still leave two partial queues, freed by the timeout.
 */

#include <linux/etherdevice.h>
#include <linux/jhash.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/random.h>
#include <net/dsfield.h>
#include <net/dst_metadata.h>
#include <net/inet_ecn.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/addrconf.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/ipv6.h>
#include <net/tcp.h>
#include <net/netns/hash.h>
#include <net/xfrm.h>

#include "stt.h"

#define STT_REASM_HASH_BITS	10
#define STT_REASM_SHARDS	16
/*
 * Segments shorter than this are merged with their queued neighbours as
 * they arrive, as TCP merges its receive queue (tcp_try_coalesce()).  No
 * path MTU a sender's TSO uses makes such short segments, except a frame's
 * last one; a peer that sends many of them would otherwise make one frame
 * of tens of thousands of skbs, to be freed in one go wherever it ends up.
 */
#define STT_REASM_COALESCE_LEN	256

struct stt_reasm_table;

struct stt_frame {
	struct hlist_node	node;
	struct list_head	lru;		/* oldest first */
	struct stt_reasm_table	*table;		/* the table it is in */
	const struct net	*net;
	struct stt_net		*sn;
	struct in6_addr		saddr;		/* IPv4: IPv4-mapped */
	struct in6_addr		daddr;
	__be16			sport;
	__be16			dport;
	__be32			id;
	struct rb_root		segs;		/* by offset, in skb->rbnode */
	struct sk_buff		*last;		/* the highest offset */
	unsigned long		expires;
	unsigned int		truesize;
	u16			frame_len;
	u16			rcvd;
	u16			nr_skbs;
	u8			tos;		/* first segment's, CE if any */
};

struct stt_reasm_table {
	spinlock_t		lock;		/* protects everything below */
	struct list_head	lru;
	struct timer_list	timer;
	struct hlist_head	hash[1 << STT_REASM_HASH_BITS];
	atomic_t		nr_frames;	/* shards only: frames held */
	bool			shard;
};

static struct stt_reasm_table __percpu *stt_reasm_tables;
/* The shared tables, for frames some of whose segments were IP fragments. */
static struct stt_reasm_table *stt_reasm_shards;
static atomic_t stt_reasm_nr_shared;	/* frames in all the shards */
static struct kmem_cache *stt_frame_cache;
static u32 stt_reasm_seed __read_mostly;

/* The frame key is the head of struct stt_rx_cb: addresses, ports, ID. */
#define STT_FRAME_KEY_WORDS	(offsetofend(struct stt_rx_cb, frame_id) / 4)

static u32 stt_frame_hash(const struct net *net, const struct stt_rx_cb *cb)
{
	return jhash2((const u32 *)cb, STT_FRAME_KEY_WORDS,
		      stt_reasm_seed ^ net_hash_mix(net));
}

static bool stt_frame_match(const struct stt_frame *f, const struct net *net,
			    const struct stt_rx_cb *cb)
{
	return f->id == cb->frame_id && ipv6_addr_equal(&f->saddr, &cb->saddr) &&
	       ipv6_addr_equal(&f->daddr, &cb->daddr) && f->sport == cb->sport &&
	       f->dport == cb->dport && f->net == net;
}

static void stt_frame_account(struct stt_frame *f, long delta)
{
	struct stt_net *sn = f->sn;
	long mem, max;

	f->truesize += delta;
	mem = atomic_long_add_return(delta, &sn->reasm_mem);
	/* The high-water mark of reasm_bytes, for /proc/net/stt. */
	max = atomic_long_read(&sn->reasm_mem_max);
	while (mem > max &&
	       !atomic_long_try_cmpxchg(&sn->reasm_mem_max, &max, mem))
		;
}

/*
 * skb->rbnode overlays ->next, ->prev and ->dev: clear them before a
 * segment leaves the tree, so that nothing downstream follows a tree link.
 */
static void stt_seg_unlink(struct sk_buff *skb)
{
	skb->next = NULL;
	skb->prev = NULL;
	skb->dev = NULL;
}

/*
 * Unlink and free a queue and every segment still in it; those segments
 * count as dropped.
 */
static void stt_frame_kill(struct stt_frame *f)
{
	struct sk_buff *skb, *tmp;

	/* A queue being merged into another was unlinked already. */
	if (!hlist_unhashed(&f->node)) {
		hlist_del(&f->node);
		list_del(&f->lru);
		if (f->table->shard) {
			atomic_dec(&f->table->nr_frames);
			atomic_dec(&stt_reasm_nr_shared);
		}
	}
	/* Postorder: a node is freed only after the walk has left it. */
	rbtree_postorder_for_each_entry_safe(skb, tmp, &f->segs, rbnode) {
		stt_seg_unlink(skb);
		kfree_skb(skb);
	}
	if (f->nr_skbs)
		stt_net_stat_add(f->sn, STT_NET_REASM_DROPPED_SEGS, f->nr_skbs);
	atomic_long_sub(f->truesize, &f->sn->reasm_mem);
	kmem_cache_free(stt_frame_cache, f);
}

/*
 * Free expired queues, looking at no more than @budget of them.  Timeouts
 * are per netns, so the LRU is not strictly in expiry order: look past a
 * queue that has not expired yet.  Returns the earliest expiry left among
 * the queues examined, or 0.
 */
static unsigned long stt_reasm_expire(struct stt_reasm_table *t,
				      unsigned int budget)
{
	unsigned long next = 0, now = jiffies;
	struct stt_frame *f, *tmp;

	list_for_each_entry_safe(f, tmp, &t->lru, lru) {
		if (!budget--)
			break;
		if (time_before(now, f->expires)) {
			if (!next || time_before(f->expires, next))
				next = f->expires;
			continue;
		}
		stt_net_stat_inc(f->sn, STT_NET_REASM_TIMEOUTS);
		stt_frame_kill(f);
	}
	return next;
}

/*
 * Evict this CPU's oldest queues of @sn, except @keep, until @sn is under
 * its low mark.
 */
static void stt_reasm_evict(struct stt_reasm_table *t, struct stt_net *sn,
			    struct stt_frame *keep)
{
	unsigned long low = READ_ONCE(sn->reasm_low_thresh);
	struct stt_frame *f, *tmp;

	list_for_each_entry_safe(f, tmp, &t->lru, lru) {
		if (atomic_long_read(&sn->reasm_mem) <= low)
			break;
		if (f->sn != sn || f == keep)
			continue;
		stt_net_stat_inc(sn, STT_NET_REASM_EVICTIONS);
		stt_frame_kill(f);
	}
}

/*
 * This CPU's own queues were not enough: evict @sn's oldest queues on the
 * other CPUs, whose tables may hold what filled @sn (a flood steered to
 * another CPU).  trylock only: we hold our own table's lock, and two CPUs
 * doing this at once must not wait for each other.  A busy table is skipped;
 * its owner is evicting or adding right now and checks the mark itself.
 */
static void stt_reasm_evict_remote(struct stt_reasm_table *self,
				   struct stt_net *sn)
{
	unsigned long low = READ_ONCE(sn->reasm_low_thresh);
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct stt_reasm_table *t = per_cpu_ptr(stt_reasm_tables, cpu);

		if (atomic_long_read(&sn->reasm_mem) <= low)
			return;
		if (t == self || !spin_trylock(&t->lock))
			continue;
		stt_reasm_evict(t, sn, NULL);
		spin_unlock(&t->lock);
	}
	for (i = 0; i < STT_REASM_SHARDS; i++) {
		struct stt_reasm_table *t = &stt_reasm_shards[i];

		if (atomic_long_read(&sn->reasm_mem) <= low)
			return;
		if (t == self || !atomic_read(&t->nr_frames) ||
		    !spin_trylock(&t->lock))
			continue;
		stt_reasm_evict(t, sn, NULL);
		spin_unlock(&t->lock);
	}
}

static void stt_reasm_timer(struct timer_list *timer)
{
	struct stt_reasm_table *t = timer_container_of(t, timer, timer);
	unsigned long next;

	spin_lock(&t->lock);
	next = stt_reasm_expire(t, UINT_MAX);
	if (next)
		mod_timer(&t->timer, next);
	spin_unlock(&t->lock);
}

static struct stt_frame *stt_frame_create(struct stt_reasm_table *t,
					  struct stt_net *sn,
					  const struct net *net,
					  const struct stt_rx_cb *cb, u32 hash)
{
	struct stt_frame *f;

	f = stt_cache_zalloc(stt_frame_cache, sizeof(*f), GFP_ATOMIC);
	if (!f)
		return NULL;
	f->net = net;
	f->sn = sn;
	f->saddr = cb->saddr;
	f->daddr = cb->daddr;
	f->sport = cb->sport;
	f->dport = cb->dport;
	f->id = cb->frame_id;
	f->frame_len = cb->frame_len;
	f->tos = cb->tos;
	f->expires = jiffies +
		     msecs_to_jiffies(READ_ONCE(sn->reasm_timeout_ms));
	f->table = t;
	hlist_add_head(&f->node,
		       &t->hash[hash >> (32 - STT_REASM_HASH_BITS)]);
	list_add_tail(&f->lru, &t->lru);
	if (t->shard) {
		atomic_inc(&t->nr_frames);
		atomic_inc(&stt_reasm_nr_shared);
		stt_net_stat_inc(sn, STT_NET_REASM_SHARED);
	}
	if (!timer_pending(&t->timer) ||
	    time_before(f->expires, t->timer.expires))
		mod_timer(&t->timer, f->expires);
	return f;
}

enum stt_insert { STT_INSERTED, STT_DUPLICATE, STT_OVERLAP };

/*
 * Move the data of @from, which starts where @to ends in the same frame,
 * into @to: by reference to its page fragments, or by a copy into @to's
 * tailroom.  @to keeps its place in the tree, and its control block
 * counts the segments it now holds and carries their CE mark.  On success
 * @from is freed, taken out of the tree first if @linked.
 */
static bool stt_seg_coalesce(struct stt_frame *f, struct sk_buff *to,
			     struct sk_buff *from, bool linked)
{
	bool stolen;
	int delta;

	/*
	 * Leave @to a free frag slot: a frag_list member's linear bytes may
	 * have to become a page frag of their own at delivery
	 * (stt_tso_page_fraglist()).
	 */
	if (skb_shinfo(to)->nr_frags + skb_shinfo(from)->nr_frags + 2 >
	    MAX_SKB_FRAGS ||
	    !skb_try_coalesce(to, from, &stolen, &delta))
		return false;
	STT_RX_CB(to)->nr_skbs += STT_RX_CB(from)->nr_skbs;
	if (INET_ECN_is_ce(STT_RX_CB(from)->tos))
		STT_RX_CB(to)->tos |= INET_ECN_CE;
	/* A copy into the tailroom keeps none of @from's pages. */
	if (delta)
		to->pfmemalloc |= from->pfmemalloc;
	stt_frame_account(f, delta);
	if (linked) {
		rb_erase(&from->rbnode, &f->segs);
		stt_seg_unlink(from);
		stt_frame_account(f, -(long)from->truesize);
		if (f->last == from)
			f->last = to;
	}
	stt_net_stat_inc(f->sn, STT_NET_REASM_COALESCED);
	kfree_skb_partial(from, stolen);
	return true;
}

static unsigned int stt_seg_end(const struct sk_buff *skb)
{
	return STT_RX_CB(skb)->offset + skb->len;
}

/*
 * Segments are kept in an rbtree keyed by offset, as inet_frag_queue_insert()
 * keeps IP fragments since FragmentSmack (CVE-2018-5391): any arrival order
 * costs O(log n) a segment, and in-order arrival, after the highest offset
 * so far, O(1) plus the rebalance.  RFC 5722 in spirit: a segment wholly
 * inside one that is queued is a duplicate (as inet_frag_queue_insert()
 * treats one inside a run: a queued skb may hold several coalesced
 * segments), and any other overlap is fatal.  @skb is the queue's
 * afterwards, whether it was linked or coalesced and freed.
 */
static enum stt_insert stt_frame_insert(struct stt_frame *f,
					struct sk_buff *skb)
{
	unsigned int off = STT_RX_CB(skb)->offset, end = off + skb->len;
	struct sk_buff *prev = NULL, *next = NULL, *node, *p;
	struct rb_node **link, *parent = NULL;
	bool small;

	if (f->last && stt_seg_end(f->last) <= off) {
		/* The rightmost node has no right child. */
		prev = f->last;
		parent = &f->last->rbnode;
		link = &parent->rb_right;
		goto insert;
	}
	link = &f->segs.rb_node;
	while (*link) {
		parent = *link;
		p = rb_to_skb(parent);
		if (off < STT_RX_CB(p)->offset) {
			next = p;
			link = &parent->rb_left;
		} else if (off > STT_RX_CB(p)->offset) {
			prev = p;
			link = &parent->rb_right;
		} else {
			return end <= stt_seg_end(p) ? STT_DUPLICATE :
						       STT_OVERLAP;
		}
	}
	if (prev && stt_seg_end(prev) > off)
		return end <= stt_seg_end(prev) ? STT_DUPLICATE : STT_OVERLAP;
	if (next && end > STT_RX_CB(next)->offset)
		return STT_OVERLAP;
insert:
	f->rcvd += skb->len;
	f->nr_skbs += STT_RX_CB(skb)->nr_skbs;
	/* CE on any segment marks the whole frame (RFC 6040 §5). */
	if (INET_ECN_is_ce(STT_RX_CB(skb)->tos))
		f->tos |= INET_ECN_CE;
	/* Uniform DSCP decap takes the DSCP of the segment at offset 0. */
	if (!off)
		f->tos = (STT_RX_CB(skb)->tos & ~INET_ECN_MASK) |
			 (f->tos & INET_ECN_MASK);
	/*
	 * A short segment is merged with its neighbours: it joins the skb
	 * that ends where it starts, and the skb that starts where it ends
	 * joins it, so that any arrival order (in order, reverse, a gap
	 * filled) leaves few skbs.
	 */
	small = skb->len < STT_REASM_COALESCE_LEN;
	if (small && prev && stt_seg_end(prev) == off &&
	    stt_seg_coalesce(f, prev, skb, false)) {
		node = prev;
	} else {
		rb_link_node(&skb->rbnode, parent, link);
		rb_insert_color(&skb->rbnode, &f->segs);
		if (!f->last || off > STT_RX_CB(f->last)->offset)
			f->last = skb;
		stt_frame_account(f, skb->truesize);
		node = skb;
	}
	if (small && next && stt_seg_end(node) == STT_RX_CB(next)->offset)
		stt_seg_coalesce(f, node, next, true);
	return STT_INSERTED;
}

/* The segment at @off, walking down from the root (rb_left/rb_right only). */
static struct sk_buff *stt_frame_find(const struct stt_frame *f,
				      unsigned int off)
{
	struct rb_node *n = f->segs.rb_node;

	while (n) {
		struct sk_buff *p = rb_to_skb(n);

		if (off < STT_RX_CB(p)->offset)
			n = n->rb_left;
		else if (off > STT_RX_CB(p)->offset)
			n = n->rb_right;
		else
			return p;
	}
	return NULL;
}

/* Detach @skb's frag_list so that the frame's frag_list stays flat. */
static struct sk_buff *stt_detach_frag_list(struct sk_buff *skb)
{
	struct sk_buff *list = skb_shinfo(skb)->frag_list, *p;

	skb_shinfo(skb)->frag_list = NULL;
	for (p = list; p; p = p->next) {
		skb->len -= p->len;
		skb->data_len -= p->len;
		skb->truesize -= p->truesize;
	}
	return list;
}

/*
 * Put a complete queue's segments in offset order on ->next.  A complete
 * frame has no gap and no overlap, so each segment starts where the one
 * before it ends; it is found by a descent from the root, which reads
 * rb_left and rb_right only.  ->next overlays the parent pointer, which
 * no descent reads, so the chain can be written while the tree is still
 * searched; the other two links are cleared once it is done.
 */
static struct sk_buff *stt_frame_chain(struct stt_frame *f)
{
	struct sk_buff *head = NULL, **tail = &head, *p;
	unsigned int off;

	/*
	 * rcvd == frame_len with no overlap means no gap; check it without
	 * writing anything, so that a broken invariant leaves a tree that
	 * stt_frame_kill() can still walk.
	 */
	for (off = 0; off < f->frame_len; off += p->len) {
		p = stt_frame_find(f, off);
		if (WARN_ON_ONCE(!p))
			return NULL;
	}
	for (off = 0; off < f->frame_len; off += p->len) {
		p = stt_frame_find(f, off);
		*tail = p;
		tail = &p->next;
	}
	*tail = NULL;
	for (p = head; p; p = p->next) {
		p->prev = NULL;
		p->dev = NULL;
	}
	f->segs = RB_ROOT;
	return head;
}

/*
 * Turn a complete queue into one skb: the first segment with the rest on a
 * flat frag_list.  No payload is copied.
 */
static struct sk_buff *stt_frame_build(struct stt_frame *f)
{
	struct sk_buff *head = stt_frame_chain(f), *p, *next, *chain = NULL;
	struct sk_buff **tail = &chain;

	if (!head)
		return NULL;

	STT_RX_CB(head)->nr_skbs = f->nr_skbs;
	STT_RX_CB(head)->tos = f->tos;
	for (p = head; p; p = next) {
		struct sk_buff *list;

		next = p->next;
		p->next = NULL;
		list = stt_detach_frag_list(p);
		if (p != head) {
			*tail = p;
			tail = &p->next;
		}
		for (; list; list = list->next) {
			*tail = list;
			tail = &list->next;
		}
	}
	skb_shinfo(head)->frag_list = chain;
	for (p = chain; p; p = p->next) {
		head->len += p->len;
		head->data_len += p->len;
		head->truesize += p->truesize;
	}
	return head;
}

static struct stt_frame *stt_frame_lookup(struct stt_reasm_table *t,
					  const struct net *net,
					  const struct stt_rx_cb *cb, u32 hash)
{
	struct stt_frame *f;

	hlist_for_each_entry(f, &t->hash[hash >> (32 - STT_REASM_HASH_BITS)],
			     node)
		if (stt_frame_match(f, net, cb))
			return f;
	return NULL;
}

/*
 * Add @skb to its frame @f in @t (NULL: a new one), under @t's lock.
 * Returns the whole frame when this segment completes it, else NULL; the
 * segment is consumed either way.
 */
static struct sk_buff *stt_reasm_queue(struct stt_reasm_table *t,
				       struct stt_net *sn,
				       const struct net *net,
				       struct stt_frame *f,
				       struct sk_buff *skb, u32 hash)
{
	const struct stt_rx_cb *cb = STT_RX_CB(skb);
	struct sk_buff *done = NULL;
	unsigned long high;
	bool ooo;

	if (f && f->frame_len != cb->frame_len) {
		stt_net_stat_inc(sn, STT_NET_REASM_LEN_MISMATCH);
		goto kill;
	}

	/*
	 * Checked for every segment, so the overshoot above the high mark is
	 * bounded by one skb per CPU racing past this check.
	 */
	high = READ_ONCE(sn->reasm_high_thresh);
	if (atomic_long_read(&sn->reasm_mem) + skb->truesize > high) {
		stt_reasm_evict(t, sn, f);
		if (atomic_long_read(&sn->reasm_mem) + skb->truesize > high)
			stt_reasm_evict_remote(t, sn);
		if (atomic_long_read(&sn->reasm_mem) + skb->truesize > high) {
			stt_net_stat_inc(sn, STT_NET_REASM_MEM_DROPS);
			kfree_skb(skb);
			return NULL;
		}
	}

	if (!f) {
		f = stt_frame_create(t, sn, net, cb, hash);
		if (!f) {
			stt_net_stat_inc(sn, STT_NET_REASM_MEM_DROPS);
			kfree_skb(skb);
			return NULL;
		}
	}

	/* Left of the rightmost segment so far: not the O(1) in-order path. */
	ooo = f->last && cb->offset < STT_RX_CB(f->last)->offset;
	switch (stt_frame_insert(f, skb)) {
	case STT_DUPLICATE:
		stt_net_stat_inc(sn, STT_NET_REASM_DUPLICATES);
		kfree_skb(skb);
		return NULL;
	case STT_OVERLAP:
		stt_net_stat_inc(sn, STT_NET_REASM_OVERLAPS);
		goto kill;
	case STT_INSERTED:
		if (ooo)
			stt_net_stat_inc(sn, STT_NET_REASM_OUT_OF_ORDER);
		break;
	}

	if (f->rcvd == f->frame_len) {
		done = stt_frame_build(f);
		if (done) {
			stt_net_stat_inc(sn, STT_NET_REASM_FRAMES);
			f->nr_skbs = 0;
		}
		stt_frame_kill(f);
	}
	return done;

kill:
	/* The frame dies whole, with the segment that killed it. */
	stt_net_stat_inc(sn, STT_NET_REASM_DROPPED_SEGS);
	stt_frame_kill(f);
	kfree_skb(skb);
	return NULL;
}

/*
 * Move the segments of @src (same key, unlinked from its table) into @dst,
 * under @dst's table's lock, as if they had arrived there; @src is freed.
 * Returns the whole frame if that completes it.  A disagreement (frame
 * length, overlap) kills both, as it would kill one queue.
 */
static struct sk_buff *stt_frame_merge(struct stt_net *sn,
				       struct stt_frame *dst,
				       struct stt_frame *src)
{
	bool ok = dst->frame_len == src->frame_len;
	struct sk_buff *skb, *tmp, *done = NULL;

	if (!ok)
		stt_net_stat_inc(sn, STT_NET_REASM_LEN_MISMATCH);
	rbtree_postorder_for_each_entry_safe(skb, tmp, &src->segs, rbnode) {
		/* The segments this skb holds (coalesced ones included). */
		unsigned int n = STT_RX_CB(skb)->nr_skbs;

		stt_seg_unlink(skb);
		stt_frame_account(src, -(long)skb->truesize);
		src->nr_skbs -= n;
		if (ok) {
			switch (stt_frame_insert(dst, skb)) {
			case STT_INSERTED:
				continue;
			case STT_DUPLICATE:
				stt_net_stat_add(sn, STT_NET_REASM_DUPLICATES, n);
				kfree_skb(skb);
				continue;
			case STT_OVERLAP:
				stt_net_stat_inc(sn, STT_NET_REASM_OVERLAPS);
				ok = false;
				break;
			}
		}
		stt_net_stat_add(sn, STT_NET_REASM_DROPPED_SEGS, n);
		kfree_skb(skb);
	}
	src->segs = RB_ROOT;
	stt_frame_kill(src);
	if (!ok) {
		stt_frame_kill(dst);
	} else if (dst->rcvd == dst->frame_len) {
		done = stt_frame_build(dst);
		if (done) {
			stt_net_stat_inc(sn, STT_NET_REASM_FRAMES);
			dst->nr_skbs = 0;
		}
		stt_frame_kill(dst);
	}
	return done;
}

/* The shard of a frame: by its address pair, as RSS hashes its fragments. */
static struct stt_reasm_table *stt_reasm_shard(const struct stt_rx_cb *cb)
{
	u32 h = jhash2((const u32 *)cb, 2 * sizeof(struct in6_addr) / 4,
		       stt_reasm_seed);

	return &stt_reasm_shards[reciprocal_scale(h, STT_REASM_SHARDS)];
}

/*
 * A segment that was reassembled from IP fragments: into its shard, and,
 * when that starts the frame there, the queues the frame already has on the
 * per-CPU tables after it.  Once the frame is in the shard, a segment that
 * arrives on any CPU finds it there (stt_reasm_add()): one that looked
 * before did so under its table's lock, which the scan below takes after
 * it, so the scan finds what it queued.  One scan per shard frame, then,
 * not per segment.  The per-CPU table's lock is never held with the
 * shard's here, so the order stays per-CPU table, then shard.
 */
static struct sk_buff *stt_reasm_add_shared(struct stt_net *sn,
					    const struct net *net,
					    struct sk_buff *skb, u32 hash)
{
	struct stt_rx_cb key = *STT_RX_CB(skb);
	struct stt_reasm_table *s = stt_reasm_shard(&key);
	struct stt_frame *f, *sf;
	struct sk_buff *done;
	int cpu;

	spin_lock(&s->lock);
	stt_reasm_expire(s, 4);
	sf = stt_frame_lookup(s, net, &key, hash);
	done = stt_reasm_queue(s, sn, net, sf, skb, hash);
	spin_unlock(&s->lock);
	if (sf)
		return done;

	for_each_possible_cpu(cpu) {
		struct stt_reasm_table *t = per_cpu_ptr(stt_reasm_tables, cpu);

		if (done)
			break;
		spin_lock(&t->lock);
		f = stt_frame_lookup(t, net, &key, hash);
		if (f) {
			hlist_del_init(&f->node);
			list_del_init(&f->lru);
		}
		spin_unlock(&t->lock);
		if (!f)
			continue;
		spin_lock(&s->lock);
		sf = stt_frame_lookup(s, net, &key, hash);
		if (sf)
			done = stt_frame_merge(sn, sf, f);
		else	/* The shard's queue died meanwhile: so does this one. */
			stt_frame_kill(f);
		spin_unlock(&s->lock);
	}
	return done;
}

/*
 * Add one segment (skb->data at its payload, outer metadata in skb->cb) to
 * its frame; @defrag: it was reassembled from IP fragments.  Returns the
 * whole frame when this segment completes it, else NULL; the segment is
 * consumed either way.
 */
struct sk_buff *stt_reasm_add(struct stt_net *sn, const struct net *net,
			      struct sk_buff *skb, bool defrag)
{
	const struct stt_rx_cb *cb = STT_RX_CB(skb);
	u32 hash = stt_frame_hash(net, cb);
	struct stt_reasm_table *t, *s;
	struct sk_buff *done;
	struct stt_frame *f, *sf;

	/*
	 * A parked segment must not point at the underlay device, which may
	 * be unregistered while it waits (ip_defrag does the same).
	 */
	skb->dev = NULL;

	local_bh_disable();
	if (unlikely(defrag)) {
		done = stt_reasm_add_shared(sn, net, skb, hash);
		goto out;
	}
	t = this_cpu_ptr(stt_reasm_tables);
	spin_lock(&t->lock);
	stt_reasm_expire(t, 4);
	f = stt_frame_lookup(t, net, cb, hash);
	/*
	 * Its frame may be in a shard: join it there.  Looked for only where
	 * it could be, its bucket of its address pair's shard, and without
	 * the shard's lock when that is empty: a frame put there after this
	 * look finds our queue by itself (stt_reasm_add_shared()).
	 */
	if (unlikely(atomic_read(&stt_reasm_nr_shared))) {
		s = stt_reasm_shard(cb);
		if (!hlist_empty(&s->hash[hash >> (32 - STT_REASM_HASH_BITS)])) {
			spin_lock(&s->lock);
			sf = stt_frame_lookup(s, net, cb, hash);
			if (sf) {
				done = NULL;
				if (f) {
					hlist_del_init(&f->node);
					list_del_init(&f->lru);
					done = stt_frame_merge(sn, sf, f);
					sf = stt_frame_lookup(s, net, cb, hash);
				}
				if (done) {
					/* The frame is whole without it. */
					stt_net_stat_inc(sn, STT_NET_REASM_DUPLICATES);
					kfree_skb(skb);
				} else {
					done = stt_reasm_queue(s, sn, net, sf,
							       skb, hash);
				}
				spin_unlock(&s->lock);
				spin_unlock(&t->lock);
				goto out;
			}
			spin_unlock(&s->lock);
		}
	}
	done = stt_reasm_queue(t, sn, net, f, skb, hash);
	spin_unlock(&t->lock);
out:
	local_bh_enable();
	return done;
}

/* Free every queue that belongs to @net, on every CPU. */
static void stt_reasm_flush_table(struct stt_reasm_table *t,
				  const struct net *net)
{
	struct stt_frame *f, *tmp;

	spin_lock_bh(&t->lock);
	list_for_each_entry_safe(f, tmp, &t->lru, lru)
		if (f->net == net)
			stt_frame_kill(f);
	spin_unlock_bh(&t->lock);
}

void stt_reasm_flush_net(const struct net *net)
{
	int cpu, i;

	for_each_possible_cpu(cpu)
		stt_reasm_flush_table(per_cpu_ptr(stt_reasm_tables, cpu), net);
	for (i = 0; i < STT_REASM_SHARDS; i++)
		stt_reasm_flush_table(&stt_reasm_shards[i], net);
}

/* Drop a segment, or a whole frame of @segs segments, for reason @why. */
static void stt_rx_drop(struct stt_net *sn, struct sk_buff *skb,
			enum stt_net_stat why, unsigned int segs)
{
	stt_net_stat_add(sn, why, segs);
	kfree_skb(skb);
}

/*
 * RFC 6040 decapsulation of the frame's outer ECN into the inner IP header,
 * EtherType @l3 at offset @off from @skb->data (behind any tags in the
 * payload: the marking must not skip them).  Returns 2 when the frame must
 * be dropped: outer CE, inner Not-ECT.  Frames that are not IP carry no
 * ECN.
 */
static int stt_ecn_decap(struct sk_buff *skb, u8 outer, __be16 l3,
			 unsigned int off)
{
	unsigned int hlen = l3 == htons(ETH_P_IP) ? sizeof(struct iphdr) :
						    sizeof(struct ipv6hdr);
	bool set_ce = false;
	void *iph;
	int rc;

	if (!l3 || !pskb_may_pull(skb, off + hlen))
		return 0;
	iph = skb->data + off;
	rc = __INET_ECN_decapsulate(outer, l3 == htons(ETH_P_IP) ?
				    ((struct iphdr *)iph)->tos :
				    ipv6_get_dsfield(iph), &set_ce);
	if (rc || (!set_ce && (outer & INET_ECN_MASK) != INET_ECN_ECT_1))
		return rc;
	if (skb_ensure_writable(skb, off + hlen))
		return 0;
	iph = skb->data + off;
	if (l3 == htons(ETH_P_IP)) {
		if (set_ce)
			IP_ECN_set_ce(iph);
		else
			IP_ECN_set_ect1(iph);
	} else {
		if (set_ce)
			IP6_ECN_set_ce(skb, iph);
		else
			IP6_ECN_set_ect1(skb, iph);
	}
	return 0;
}

/*
 * "dscp-decap copy": the Uniform model on egress (RFC 2983, §3.3.1): the
 * DSCP of the segment at offset 0 replaces the inner one (@l3 at @off, as
 * for stt_ecn_decap()), and the inner ECN field stays as stt_ecn_decap()
 * left it.
 */
static void stt_dscp_decap(struct sk_buff *skb, u8 outer, __be16 l3,
			   unsigned int off)
{
	u8 dscp = outer & ~INET_ECN_MASK;

	if (l3 == htons(ETH_P_IP)) {
		if (skb_ensure_writable(skb, off + sizeof(struct iphdr)))
			return;
		ipv4_change_dsfield((struct iphdr *)(skb->data + off),
				    INET_ECN_MASK, dscp);
	} else if (l3 == htons(ETH_P_IPV6)) {
		if (skb_ensure_writable(skb, off + sizeof(struct ipv6hdr)))
			return;
		ipv6_change_dsfield((struct ipv6hdr *)(skb->data + off),
				    INET_ECN_MASK, dscp);
	}
}

/*
 * External device: the frame's outer addresses, ports, TOS, TTL and key as
 * a metadata dst, for tc flower enc_* matches, ip rule tun_id and eBPF's
 * bpf_skb_get_tunnel_key().  skb->cb still holds them.
 */
static int stt_set_rx_md(struct sk_buff *skb, __be64 id)
{
	const struct stt_rx_cb *cb = STT_RX_CB(skb);
	struct ip_tunnel_info *info;
	struct metadata_dst *md;

	md = metadata_dst_alloc(0, METADATA_IP_TUNNEL, GFP_ATOMIC);
	if (!md)
		return -ENOMEM;
	info = &md->u.tun_info;
	if (ipv6_addr_v4mapped(&cb->saddr)) {
		info->key.u.ipv4.src = cb->saddr.s6_addr32[3];
		info->key.u.ipv4.dst = cb->daddr.s6_addr32[3];
	} else {
		info->mode = IP_TUNNEL_INFO_IPV6;
		info->key.u.ipv6.src = cb->saddr;
		info->key.u.ipv6.dst = cb->daddr;
	}
	info->key.tun_id = id;
	info->key.tos = cb->tos;
	info->key.ttl = cb->ttl;
	info->key.tp_src = cb->sport;
	info->key.tp_dst = cb->dport;
	stt_tun_set_key(&info->key);
	skb_dst_set(skb, &md->dst);
	return 0;
}

/* Hand a complete frame (skb->data at the STT frame header) to its device. */
static void stt_deliver(struct stt_net *sn, struct sk_buff *skb,
			bool fastpath)
{
	const struct stt_rx_cb *cb = STT_RX_CB(skb);
	unsigned int nr_skbs = cb->nr_skbs, len;
	u8 outer_tos = cb->tos;
	const struct stt_config *cfg;
	struct net_device *dev;
	unsigned int l3off = 0;
	struct stt_dev *stt;
	struct stthdr sh;
	__be16 l3;
	int err;

	/* The frame length was checked against this on every segment. */
	if (!pskb_may_pull(skb, STT_HDR_LEN + ETH_HLEN))
		return stt_rx_drop(sn, skb, STT_NET_RX_SHORT_FRAME, nr_skbs);
	memcpy(&sh, skb->data, sizeof(sh));
	if (sh.version != STT_VERSION)
		return stt_rx_drop(sn, skb, STT_NET_RX_BAD_VERSION, nr_skbs);

	stt = stt_lookup_dev(sn, &cb->saddr, &cb->daddr, cb->dport,
			     be64_to_cpu(sh.context_id));
	if (!stt)
		return stt_rx_drop(sn, skb, STT_NET_RX_NO_DEVICE, nr_skbs);
	dev = stt->dev;

	__skb_pull(skb, STT_HDR_LEN);
	skb->protocol = eth_type_trans(skb, dev);
	skb_reset_network_header(skb);
	err = stt_tso_restore(skb, &sh);
	if (err) {
		DEV_STATS_INC(dev, rx_errors);
		stt_dev_stat_add(stt, err == -ERANGE ? STT_DEV_RX_BAD_L4_OFFSET :
						       STT_DEV_RX_BAD_OFFLOAD,
				 nr_skbs);
		kfree_skb(skb);
		return;
	}
	l3 = stt_inner_l3(skb, skb->protocol, &l3off);
	if (stt_ecn_decap(skb, outer_tos, l3, l3off) > 1) {
		DEV_STATS_INC(dev, rx_frame_errors);
		DEV_STATS_INC(dev, rx_errors);
		stt_dev_stat_add(stt, STT_DEV_RX_ECN_DROPS, nr_skbs);
		kfree_skb(skb);
		return;
	}
	/* NULL once ndo_uninit() has run: the device is going away. */
	cfg = rcu_dereference(stt->cfg);
	if (cfg && cfg->dscp_decap)
		stt_dscp_decap(skb, outer_tos, l3, l3off);
	if (!net_eq(stt->net, dev_net(dev)))
		skb_scrub_packet(skb, true);
	if (cfg && cfg->collect_md && stt_set_rx_md(skb, sh.context_id)) {
		DEV_STATS_INC(dev, rx_dropped);
		stt_net_stat_add(sn, STT_NET_RX_NOMEM, nr_skbs);
		kfree_skb(skb);
		return;
	}

	stt_dev_stat_inc(stt, STT_DEV_RX_FRAMES);
	stt_dev_stat_inc(stt, fastpath ? STT_DEV_RX_FASTPATH :
					 STT_DEV_RX_REASM);
	stt_dev_stat_add(stt, STT_DEV_RX_SKBS, nr_skbs);
	if (skb_is_gso(skb))
		stt_dev_stat_inc(stt, STT_DEV_RX_GSO);

	len = skb->len;
	if (gro_cells_receive(&stt->gro_cells, skb) == NET_RX_SUCCESS)
		dev_sw_netstats_rx_add(dev, len);
}

/* Make @skb ours to modify: header, shared info and frag_list. */
static struct sk_buff *stt_rx_unshare(struct sk_buff *skb)
{
	struct sk_buff *nskb;

	if (!skb_cloned(skb))
		return skb;
	/* A cloned frag_list is shared with the clone: copy it whole. */
	if (skb_has_frag_list(skb)) {
		nskb = skb_copy(skb, GFP_ATOMIC);
		consume_skb(skb);
		return nskb;
	}
	if (skb_unclone(skb, GFP_ATOMIC)) {
		kfree_skb(skb);
		return NULL;
	}
	return skb;
}

/*
 * One outer segment for an STT port: @skb->data at the IP header, the TCP
 * header at @thoff and already in the linear area.
 */
static void stt_rcv(struct stt_net *sn, struct stt_port *p,
		    const struct net *net, struct sk_buff *skb,
		    unsigned int thoff, bool ipv6)
{
	struct stt_rx_cb cb = {};
	const struct tcphdr *th;
	unsigned int doff;
	bool defrag;
	u32 seq;

	if (ipv6) {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		cb.saddr = ip6h->saddr;
		cb.daddr = ip6h->daddr;
		cb.tos = ipv6_get_dsfield(ip6h);
		cb.ttl = ip6h->hop_limit;
	} else {
		const struct iphdr *iph = ip_hdr(skb);

		ipv6_addr_set_v4mapped(iph->saddr, &cb.saddr);
		ipv6_addr_set_v4mapped(iph->daddr, &cb.daddr);
		cb.tos = iph->tos;
		cb.ttl = iph->ttl;
	}
	/*
	 * Before any work on it: a segment that no device of this netns
	 * could take is not checksummed, let alone queued.
	 */
	if (!stt_peer_known(sn, p, &cb.saddr, &cb.daddr))
		return stt_rx_drop(sn, skb, STT_NET_RX_UNKNOWN_PEER, 1);

	skb = stt_rx_unshare(skb);
	if (!skb) {
		stt_net_stat_inc(sn, STT_NET_RX_NOMEM);
		return;
	}

	/*
	 * A CHECKSUM_COMPLETE sum covers what is pulled: an IPv4 header sums
	 * to zero, an IPv6 header and its extensions do not.
	 */
	if (ipv6)
		skb_pull_rcsum(skb, thoff);
	else
		__skb_pull(skb, thoff);
	skb_reset_transport_header(skb);

	/* TCP will not see this segment: the outer checksum is ours to check. */
	if (ipv6 ? skb_checksum_init(skb, IPPROTO_TCP, ip6_compute_pseudo) :
		   skb_checksum_init(skb, IPPROTO_TCP, inet_compute_pseudo))
		return stt_rx_drop(sn, skb, STT_NET_RX_CSUM_ERRORS, 1);
	if (!skb_csum_unnecessary(skb)) {
		stt_net_stat_inc(sn, STT_NET_RX_CSUM_SW);
		if (skb_checksum_complete(skb))
			return stt_rx_drop(sn, skb, STT_NET_RX_CSUM_ERRORS, 1);
	}

	/*
	 * §3.2: the fields after ACK keep their meaning, so TCP options are
	 * allowed and the payload starts at the data offset.
	 */
	th = tcp_hdr(skb);
	doff = th->doff * 4;
	if (doff < sizeof(*th) || doff > skb->len)
		return stt_rx_drop(sn, skb, STT_NET_RX_BAD_DOFF, 1);
	if (doff > sizeof(*th)) {
		if (!pskb_may_pull(skb, doff))
			return stt_rx_drop(sn, skb, STT_NET_RX_NOMEM, 1);
		th = tcp_hdr(skb);
	}
	seq = ntohl(th->seq);
	cb.frame_len = seq >> 16;
	cb.offset = seq & 0xffff;
	cb.frame_id = th->ack_seq;
	cb.sport = th->source;
	cb.dport = th->dest;
	cb.nr_skbs = 1;
	__skb_pull(skb, doff);
	/*
	 * Reassembled from IP fragments (ip_frag_reasm() sets frag_max_size,
	 * which ip_rcv_core() zeroed): RSS/RPS may have put it on another
	 * CPU than its frame's other segments.
	 */
	defrag = ipv6 ? IP6CB(skb)->flags & IP6SKB_FRAGMENTED :
			IPCB(skb)->frag_max_size;

	if (!skb->len)
		return stt_rx_drop(sn, skb, STT_NET_RX_ZERO_LEN, 1);
	if (cb.frame_len < STT_HDR_LEN + ETH_HLEN)
		return stt_rx_drop(sn, skb, STT_NET_RX_SHORT_FRAME, 1);
	if (cb.offset + skb->len > cb.frame_len)
		return stt_rx_drop(sn, skb, STT_NET_RX_SEG_OVERRUN, 1);

	/*
	 * The LOCAL_IN dst is not refcounted and must not outlive this call
	 * (Open vSwitch had a use-after-free here); conntrack, the early-demux
	 * socket and the rest of the outer packet's state go with it.
	 */
	skb_orphan(skb);
	skb_scrub_packet(skb, false);
	memcpy(skb->cb, &cb, sizeof(cb));

	/* Whole frame in one skb: TSO forwarded whole, or GRO/LRO output. */
	if (cb.offset == 0 && skb->len == cb.frame_len)
		return stt_deliver(sn, skb, true);

	skb = stt_reasm_add(sn, net, skb, defrag);
	if (skb)
		stt_deliver(sn, skb, false);
}

/*
 * Input route reuse.  TCP's early demux gives a segment of an established
 * connection the input route its socket remembers (sk_rx_dst), so it skips
 * the route lookup.  STT segments have no socket: each one took a full FIB
 * lookup (for IPv4 with the reverse-path check), after a useless
 * established-socket lookup in early demux (together about 8% of the busy
 * receive CPU in make profile's wire-nogro).  So each port remembers, per
 * CPU and family, the local input route its last segment was given and the
 * (saddr, daddr, iif) it was given for; in PRE_ROUTING a segment with the
 * same triple gets it back without a reference (the skb stays in this RCU
 * section until LOCAL_IN, where stt_rcv() drops it), and routing and early
 * demux are skipped.
 *
 * As for sk_rx_dst, dst_check() catches any change to routes or addresses
 * (the IPv4 genid, the IPv6 route's cookie).  Only without custom FIB
 * rules: then the input route of a segment to a local address depends on
 * the triple alone, not on its mark, TOS or flow label, and so does the
 * reverse-path check it passed.
 */
static bool stt_rx_route_use(struct stt_net *sn, struct stt_port *p,
			     struct net *net, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct stt_rx_route *r;
	struct dst_entry *dst;

	if (skb_dst(skb) || stt_fib_has_custom_rules(net, false))
		return false;
	r = &this_cpu_ptr(p->rx_route)->v4;
	dst = r->dst;
	if (!dst || r->saddr != iph->saddr || r->daddr != iph->daddr ||
	    r->iif != skb->dev->ifindex || !dst_check(dst, 0))
		return false;
	skb_dst_set_noref(skb, dst);
	stt_net_stat_inc(sn, STT_NET_RX_ROUTE_REUSED);
	return true;
}

static bool stt_rx_route_use6(struct stt_net *sn, struct stt_port *p,
			      struct net *net, struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct stt_rx_route6 *r;
	struct dst_entry *dst;

	if (skb_dst(skb) || stt_fib_has_custom_rules(net, true))
		return false;
	r = &this_cpu_ptr(p->rx_route)->v6;
	dst = r->dst;
	if (!dst || r->iif != skb->dev->ifindex ||
	    !ipv6_addr_equal(&r->saddr, &ip6h->saddr) ||
	    !ipv6_addr_equal(&r->daddr, &ip6h->daddr) ||
	    !dst_check(dst, r->cookie))
		return false;
	skb_dst_set_noref(skb, dst);
	stt_net_stat_inc(sn, STT_NET_RX_ROUTE_REUSED);
	return true;
}

/* A segment routed the long way to a local address: remember its route. */
static void stt_rx_route_learn(struct stt_port *p, struct net *net,
			       struct sk_buff *skb)
{
	struct dst_entry *dst = skb_dst(skb);
	const struct iphdr *iph;
	struct stt_rx_route *r;

	r = &this_cpu_ptr(p->rx_route)->v4;
	if (!dst || stt_fib_has_custom_rules(net, false) ||
	    skb_rtable(skb)->rt_type != RTN_LOCAL)
		return;
	/* The triple of the last segment routed, even if its route is kept. */
	if (dst != r->dst) {
		if (!dst_hold_safe(dst))
			return;
		dst_release(r->dst);
		r->dst = dst;
	}
	iph = ip_hdr(skb);
	r->saddr = iph->saddr;
	r->daddr = iph->daddr;
	r->iif = skb->dev->ifindex;
}

static void stt_rx_route_learn6(struct stt_port *p, struct net *net,
				struct sk_buff *skb)
{
	struct dst_entry *dst = skb_dst(skb);
	const struct ipv6hdr *ip6h;
	struct stt_rx_route6 *r;

	r = &this_cpu_ptr(p->rx_route)->v6;
	if (!dst || stt_fib_has_custom_rules(net, true) ||
	    !(dst_rt6_info(dst)->rt6i_flags & RTF_LOCAL))
		return;
	/*
	 * A lookup may return the route kept after its cookie has changed
	 * (a tree change renumbers the nodes; the per-CPU route stays): take
	 * the cookie and the triple again, or a stale cookie would fail
	 * dst_check() for good.
	 */
	if (dst != r->dst) {
		if (!dst_hold_safe(dst))
			return;
		dst_release(r->dst);
		r->dst = dst;
	}
	ip6h = ipv6_hdr(skb);
	r->cookie = rt6_get_cookie(dst_rt6_info(dst));
	r->saddr = ip6h->saddr;
	r->daddr = ip6h->daddr;
	r->iif = skb->dev->ifindex;
}

/* Is @skb (at its IP header) sent to a multicast group? */
static bool stt_to_group(const struct sk_buff *skb, bool ipv6)
{
	if (ipv6)
		return ipv6_addr_is_multicast(&ipv6_hdr(skb)->daddr);
	return ipv4_is_multicast(ip_hdr(skb)->daddr);
}

/* A TCP segment at @thoff from the IP header: ours if its port is. */
static unsigned int stt_nf_segment(struct sk_buff *skb, struct stt_net *sn,
				   struct net *net, unsigned int thoff,
				   bool ipv6)
{
	const struct tcphdr *th;
	struct stt_port *p;

	/* The ports first: a truncated header to an STT port is ours. */
	if (!pskb_may_pull(skb, thoff + 2 * sizeof(__be16)))
		return NF_ACCEPT;
	th = (const struct tcphdr *)(skb->data + thoff);
	p = stt_port_find(sn, th->dest);
	if (!p)
		return NF_ACCEPT;
	/*
	 * Our own multicast segment, looped back by ip_mc_output() or
	 * ip6_finish_output2() because this host is a member of the group:
	 * with no socket there is no mc_loop to clear, and a device with a
	 * qdisc sends outside the xmit recursion that makes sk_mc_loop()
	 * false.  Not received.
	 */
	if (unlikely(skb->pkt_type == PACKET_LOOPBACK)) {
		consume_skb(skb);
		return NF_STOLEN;
	}

	stt_net_stat_inc(sn, STT_NET_RX_SEGMENTS);
	/*
	 * What tcp_v4_rcv()/tcp_v6_rcv() would refuse: a unicast segment
	 * that reached us as a link-layer broadcast or multicast (a group's
	 * segments are PACKET_MULTICAST, and only its devices take them),
	 * and one the inbound IPsec policy does not allow (draft §5 leaves
	 * STT's security to IPsec).
	 */
	if (unlikely(skb->pkt_type != PACKET_HOST) && !stt_to_group(skb, ipv6)) {
		stt_rx_drop(sn, skb, STT_NET_RX_NOT_HOST, 1);
		return NF_STOLEN;
	}
	if (!(ipv6 ? xfrm6_policy_check(NULL, XFRM_POLICY_IN, skb) :
		     xfrm4_policy_check(NULL, XFRM_POLICY_IN, skb))) {
		stt_rx_drop(sn, skb, STT_NET_RX_XFRM_POLICY, 1);
		return NF_STOLEN;
	}
	if (ipv6)
		stt_rx_route_learn6(p, net, skb);
	else
		stt_rx_route_learn(p, net, skb);
	if (!pskb_may_pull(skb, thoff + sizeof(*th))) {
		stt_rx_drop(sn, skb, STT_NET_RX_TRUNCATED, 1);
		return NF_STOLEN;
	}
	stt_rcv(sn, p, net, skb, thoff, ipv6);
	return NF_STOLEN;
}

/*
 * Path MTU.  A router that cannot forward one of our segments answers with
 * ICMP "fragmentation needed" (IPv4, when DF is set) or ICMPv6 "packet too
 * big".  TCP would take it to tcp_v4_err()/tcp_v6_err(), find no socket and
 * drop it, so the route to the remote would keep its MTU and every frame
 * would lose its large segments for good.  We look at ICMP errors here
 * first: one that quotes a TCP segment from a device's local address to its
 * remote and port has its MTU applied to the route, as the socket would have
 * done; the next frame is cut at the new MSS (stt_xmit_frame() reads
 * dst_mtu()).  The inner MTU does not change: that is STT's point.  The
 * ICMP message then goes on to the stack (NF_ACCEPT) either way.
 */
/*
 * An ICMP or ICMPv6 error at @icmpoff that quotes a TCP segment: the offset
 * of the quoted TCP header, with its ports pulled; 0 for anything else.
 */
static unsigned int stt_icmp_quoted_tcp(struct sk_buff *skb,
					unsigned int icmpoff, bool ipv6)
{
	unsigned int qoff = icmpoff + 8;	/* the quoted IP header */
	const struct iphdr *q;
	unsigned int l4off;

	if (ipv6) {
		const struct ipv6hdr *q6;

		if (!pskb_may_pull(skb, qoff + sizeof(*q6) + 4))
			return 0;
		q6 = (const struct ipv6hdr *)(skb->data + qoff);
		if (((const struct icmp6hdr *)(skb->data + icmpoff))->icmp6_type &
		    ICMPV6_INFOMSG_MASK || q6->nexthdr != IPPROTO_TCP)
			return 0;
		return qoff + sizeof(*q6);
	}
	if (!pskb_may_pull(skb, qoff + sizeof(*q)))
		return 0;
	q = (const struct iphdr *)(skb->data + qoff);
	if (!icmp_is_err(((const struct icmphdr *)(skb->data + icmpoff))->type) ||
	    q->protocol != IPPROTO_TCP || q->ihl < 5)
		return 0;
	l4off = qoff + q->ihl * 4;
	return pskb_may_pull(skb, l4off + 4) ? l4off : 0;
}

static void stt_icmp_pmtu(struct sk_buff *skb, struct net *net,
			  unsigned int icmpoff, bool ipv6)
{
	unsigned int qoff = icmpoff + 8;	/* the quoted IP header */
	unsigned int l4off = stt_icmp_quoted_tcp(skb, icmpoff, ipv6);
	struct in6_addr local, remote;
	struct stt_net *sn;
	__be16 *ports;
	u32 mtu;

	if (!l4off)
		return;
	if (ipv6) {
		const struct icmp6hdr *ih;
		const struct ipv6hdr *q;

		ih = (const struct icmp6hdr *)(skb->data + icmpoff);
		q = (const struct ipv6hdr *)(skb->data + qoff);
		if (ih->icmp6_type != ICMPV6_PKT_TOOBIG)
			return;
		mtu = ntohl(ih->icmp6_mtu);
		local = q->saddr;
		remote = q->daddr;
	} else {
		const struct icmphdr *ih;
		const struct iphdr *q;

		ih = (const struct icmphdr *)(skb->data + icmpoff);
		q = (const struct iphdr *)(skb->data + qoff);
		if (ih->type != ICMP_DEST_UNREACH || ih->code != ICMP_FRAG_NEEDED)
			return;
		mtu = ntohs(ih->un.frag.mtu);
		ipv6_addr_set_v4mapped(q->saddr, &local);
		ipv6_addr_set_v4mapped(q->daddr, &remote);
	}
	ports = (__be16 *)(skb->data + l4off);
	sn = stt_pernet(net);
	if (!stt_port_in_use(sn, ports[1]))
		return;

	/*
	 * Not checked by the stack yet: a corrupt message must not count,
	 * nor cost a lookup.  The _rcsum pull and push keep a
	 * CHECKSUM_COMPLETE sum right for the stack, which checks the
	 * message again.
	 */
	skb_pull_rcsum(skb, icmpoff);
	if (ipv6 ? skb_checksum_validate(skb, IPPROTO_ICMPV6, ip6_compute_pseudo) :
		   skb_checksum_simple_validate(skb))
		goto out;
	if (!stt_tunnel_known(sn, &local, &remote, ports[1]))
		goto out;
	/* Both take the quoted header at skb->data. */
	__skb_pull(skb, 8);
	if (ipv6)
		ip6_update_pmtu(skb, net, htonl(mtu), 0, 0,
				sock_net_uid(net, NULL));
	else
		ipv4_update_pmtu(skb, net, mtu, 0, IPPROTO_TCP);
	__skb_push(skb, 8);
	stt_net_stat_inc(sn, STT_NET_ICMP_PMTU);
out:
	skb_push_rcsum(skb, icmpoff);
}

static unsigned int stt_nf_local_in(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	u8 proto = ip_hdr(skb)->protocol;

	if (proto == IPPROTO_TCP)
		return stt_nf_segment(skb, priv, state->net, ip_hdrlen(skb),
				      false);
	if (proto == IPPROTO_ICMP)
		stt_icmp_pmtu(skb, state->net, ip_hdrlen(skb), false);
	return NF_ACCEPT;
}

/*
 * IPv6 runs its hooks before extension headers are processed: skip them to
 * find TCP or ICMPv6, and return its offset (<0 for anything else).  A
 * fragment is left to the stack (see the top of this file).
 */
static int stt_ipv6_l4(struct sk_buff *skb, u8 *nexthdr)
{
	__be16 frag_off = 0;
	int thoff = sizeof(struct ipv6hdr);

	*nexthdr = ipv6_hdr(skb)->nexthdr;
	if (*nexthdr != IPPROTO_TCP && *nexthdr != IPPROTO_ICMPV6) {
		thoff = ipv6_skip_exthdr(skb, thoff, nexthdr, &frag_off);
		if (thoff < 0 || frag_off ||
		    (*nexthdr != IPPROTO_TCP && *nexthdr != IPPROTO_ICMPV6))
			return -1;
	}
	return thoff;
}

static unsigned int stt_nf_local_in6(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	u8 nexthdr;
	int thoff = stt_ipv6_l4(skb, &nexthdr);

	if (thoff < 0)
		return NF_ACCEPT;
	if (nexthdr == IPPROTO_TCP)
		return stt_nf_segment(skb, priv, state->net, thoff, true);
	stt_icmp_pmtu(skb, state->net, thoff, true);
	return NF_ACCEPT;
}

/* Is @skb (at its IP header, before routing) for a group or a local address? */
static bool stt_for_this_host(const struct sk_buff *skb, struct net *net,
			      bool ipv6)
{
	if (stt_to_group(skb, ipv6))
		return true;
	if (ipv6)
		return ipv6_chk_addr(net, &ipv6_hdr(skb)->daddr, NULL, 0);
	return inet_addr_type_dev_table(net, skb->dev, ip_hdr(skb)->daddr) ==
	       RTN_LOCAL;
}

/*
 * Conntrack.  STT looks like TCP but has no handshake, and its sequence
 * numbers are frame offsets: conntrack would call most segments invalid, so
 * the common stateful ruleset ("ct state invalid drop") would cut the
 * tunnel, and every remote would leave a bogus entry in the table.  So STT
 * is not tracked: just before conntrack (NF_IP_PRI_CONNTRACK - 1, after
 * nf_defrag and after any raw-priority chain of the admin's), a segment to
 * a port a device of this netns listens on is marked untracked, and so is
 * an ICMP error quoting one (its PMTU message would otherwise be invalid
 * too).  The filter table still sees all of them: "tcp dport 7471 accept"
 * or "ip saddr ... tcp dport 7471 accept" in an input chain is how an admin
 * lets STT in, and, in a prerouting chain before ours, filters it.
 * stt_xmit_frame() marks what we send untracked, for OUTPUT.
 */
static unsigned int stt_nf_notrack(struct sk_buff *skb, struct stt_net *sn,
				   struct net *net, unsigned int thoff, u8 proto,
				   bool ipv6)
{
	unsigned int l4off = thoff;
	struct stt_port *p;

	/* An ICMP error counts as ours by the TCP segment it quotes. */
	if (proto == IPPROTO_TCP) {
		if (!pskb_may_pull(skb, thoff + 2 * sizeof(__be16)))
			return NF_ACCEPT;
	} else {
		l4off = stt_icmp_quoted_tcp(skb, thoff, ipv6);
		if (!l4off)
			return NF_ACCEPT;
	}
	p = stt_port_find(sn, ((const struct tcphdr *)(skb->data + l4off))->dest);
	if (!p)
		return NF_ACCEPT;
	/*
	 * Only what is addressed to this host: TCP to port 7471 that a
	 * router or NAT box forwards is an ordinary connection, and keeps
	 * its NAT and its stateful filtering.  A reused input route is a
	 * local one (the hot path); otherwise ask the address tables.
	 */
	if (proto == IPPROTO_TCP &&
	    (ipv6 ? stt_rx_route_use6(sn, p, net, skb) :
		    stt_rx_route_use(sn, p, net, skb)))
		goto local;
	if (!stt_for_this_host(skb, net, ipv6))
		return NF_ACCEPT;
local:
	if (!skb_get_nfct(skb))
		stt_skb_notrack(skb);
	return NF_ACCEPT;
}

static unsigned int stt_nf_pre_routing(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	const struct iphdr *iph = ip_hdr(skb);

	if ((iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_ICMP) ||
	    ip_is_fragment(iph))
		return NF_ACCEPT;
	return stt_nf_notrack(skb, priv, state->net, ip_hdrlen(skb), iph->protocol,
			      false);
}

static unsigned int stt_nf_pre_routing6(void *priv, struct sk_buff *skb,
					const struct nf_hook_state *state)
{
	u8 nexthdr;
	int thoff = stt_ipv6_l4(skb, &nexthdr);

	if (thoff < 0)
		return NF_ACCEPT;
	return stt_nf_notrack(skb, priv, state->net, thoff, nexthdr, true);
}

static const struct nf_hook_ops stt_nf_ops[] = {
	{
		.hook		= stt_nf_pre_routing,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP_PRI_CONNTRACK - 1,
	},
	{
		.hook		= stt_nf_pre_routing6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP6_PRI_CONNTRACK - 1,
	},
	{
		.hook		= stt_nf_local_in,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_IN,
		/* After filter, security and NAT; before conntrack confirm. */
		.priority	= NF_IP_PRI_SELINUX_LAST + 1,
	},
	{
		.hook		= stt_nf_local_in6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= NF_IP6_PRI_SELINUX_LAST + 1,
	},
};

/*
 * Each netns registers its own copy of the hooks, with its stt_net as
 * their priv: the hooks run for every TCP packet of the netns, and
 * net_generic() costs an RCU read section of its own each time.
 */
int stt_rx_hook_register(struct net *net)
{
	struct stt_net *sn = stt_pernet(net);
	int i, err;

	BUILD_BUG_ON(ARRAY_SIZE(stt_nf_ops) != STT_NF_OPS);
	memcpy(sn->nf_ops, stt_nf_ops, sizeof(sn->nf_ops));
	for (i = 0; i < STT_NF_OPS; i++)
		sn->nf_ops[i].priv = sn;
	err = nf_register_net_hooks(net, sn->nf_ops, STT_NF_OPS);
	sn->hooked = !err;
	return err;
}

void stt_rx_hook_unregister(struct net *net)
{
	struct stt_net *sn = stt_pernet(net);

	nf_unregister_net_hooks(net, sn->nf_ops, STT_NF_OPS);
	sn->hooked = false;
	/* No hook runs any more: nothing can add a queue for @net. */
	synchronize_net();
	stt_reasm_flush_net(net);
}

/*
 * The hooks of every netns of a pernet exit batch that still has them
 * (stt_net_unlink() leaves them in a netns being dismantled), with one
 * grace period for the whole batch instead of one per netns.
 */
void stt_rx_hook_unregister_many(struct list_head *net_exit_list)
{
	struct net *net;
	bool any = false;

	list_for_each_entry(net, net_exit_list, exit_list) {
		struct stt_net *sn = stt_pernet(net);

		if (sn->hooked) {
			nf_unregister_net_hooks(net, sn->nf_ops, STT_NF_OPS);
			any = true;
		}
	}
	if (!any)
		return;
	synchronize_net();
	list_for_each_entry(net, net_exit_list, exit_list) {
		struct stt_net *sn = stt_pernet(net);

		if (sn->hooked) {
			sn->hooked = false;
			stt_reasm_flush_net(net);
		}
	}
}

static void stt_reasm_table_init(struct stt_reasm_table *t)
{
	int i;

	INIT_LIST_HEAD(&t->lru);
	timer_setup(&t->timer, stt_reasm_timer, 0);
	for (i = 0; i < ARRAY_SIZE(t->hash); i++)
		INIT_HLIST_HEAD(&t->hash[i]);
}

int stt_reasm_init(void)
{
	int cpu, i;

	/* The frame key is hashed straight out of the control block. */
	BUILD_BUG_ON(sizeof(struct stt_rx_cb) > sizeof_field(struct sk_buff, cb));
	BUILD_BUG_ON(offsetof(struct stt_rx_cb, saddr) != 0 ||
		     offsetof(struct stt_rx_cb, frame_id) !=
		     2 * sizeof(struct in6_addr) + 2 * sizeof(__be16));

	stt_reasm_seed = get_random_u32();
	/*
	 * A cache of its own, never merged with another of the same size, so
	 * that /sys/kernel/slab/stt_frame counts only queued frames
	 * (stt_teardown.sh checks that none is left).
	 */
	stt_frame_cache = stt_kmem_cache_no_merge("stt_frame",
						  sizeof(struct stt_frame),
						  __alignof__(struct stt_frame));
	if (!stt_frame_cache)
		return -ENOMEM;
	stt_reasm_tables = alloc_percpu(struct stt_reasm_table);
	stt_reasm_shards = kvcalloc(STT_REASM_SHARDS, sizeof(*stt_reasm_shards),
				    GFP_KERNEL);
	if (!stt_reasm_tables || !stt_reasm_shards) {
		free_percpu(stt_reasm_tables);
		kvfree(stt_reasm_shards);
		kmem_cache_destroy(stt_frame_cache);
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu) {
		struct stt_reasm_table *t = per_cpu_ptr(stt_reasm_tables, cpu);

		spin_lock_init(&t->lock);
		stt_reasm_table_init(t);
	}
	/*
	 * A lock class of their own: a shard's lock nests inside a per-CPU
	 * table's (stt_reasm_add()).
	 */
	for (i = 0; i < STT_REASM_SHARDS; i++) {
		struct stt_reasm_table *t = &stt_reasm_shards[i];

		spin_lock_init(&t->lock);
		stt_reasm_table_init(t);
		t->shard = true;
	}
	return 0;
}

/* Called once every netns has flushed its queues. */
void stt_reasm_exit(void)
{
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct stt_reasm_table *t = per_cpu_ptr(stt_reasm_tables, cpu);

		timer_shutdown_sync(&t->timer);
		WARN_ON_ONCE(!list_empty(&t->lru));
	}
	for (i = 0; i < STT_REASM_SHARDS; i++) {
		timer_shutdown_sync(&stt_reasm_shards[i].timer);
		WARN_ON_ONCE(!list_empty(&stt_reasm_shards[i].lru));
	}
	kvfree(stt_reasm_shards);
	free_percpu(stt_reasm_tables);
	kmem_cache_destroy(stt_frame_cache);
}
