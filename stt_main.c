// SPDX-License-Identifier: GPL-2.0
/*
 * stt: Stateless Transport Tunneling (draft-davie-stt-03) netdevice.
 *
 * The device, its netlink configuration, per-netns state and the module's
 * lifetime.  Transmit is in stt_seg.c, the offload state carried by the
 * frame header in stt_tso.c, receive and reassembly in stt_reasm.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/hash.h>
#include <linux/igmp.h>
#include <linux/inetdevice.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/sysctl.h>
#include <net/addrconf.h>
#include <net/netns/generic.h>
#include <net/rtnetlink.h>

#include "stt.h"
#include "stt_dev.h"

#define STT_DRV_VERSION		"0.1"

static unsigned int stt_net_id __read_mostly;
static struct rtnl_link_ops stt_link_ops;

static const char stt_dev_stat_names[STT_DEV_STATS_NUM][ETH_GSTRING_LEN] = {
	[STT_DEV_RX_FRAMES]		= "rx_frames",
	[STT_DEV_RX_FASTPATH]		= "rx_fastpath_frames",
	[STT_DEV_RX_REASM]		= "rx_reasm_frames",
	[STT_DEV_RX_SKBS]		= "rx_skbs",
	[STT_DEV_RX_GSO]		= "rx_gso_frames",
	[STT_DEV_RX_BAD_L4_OFFSET]	= "rx_bad_l4_offset",
	[STT_DEV_RX_BAD_OFFLOAD]	= "rx_bad_offload",
	[STT_DEV_RX_ECN_DROPS]		= "rx_ecn_drops",
	[STT_DEV_TX_FRAMES]		= "tx_frames",
	[STT_DEV_TX_GSO]		= "tx_gso_frames",
	[STT_DEV_TX_SW_SEGMENTED]	= "tx_sw_segmented",
	[STT_DEV_TX_SW_CSUM]		= "tx_sw_csum",
};

static const char * const stt_net_stat_names[STT_NET_STATS_NUM] = {
	[STT_NET_RX_SEGMENTS]		= "rx_segments",
	[STT_NET_RX_NOMEM]		= "rx_nomem",
	[STT_NET_RX_TRUNCATED]		= "rx_truncated",
	[STT_NET_RX_BAD_DOFF]		= "rx_bad_doff",
	[STT_NET_RX_CSUM_ERRORS]	= "rx_csum_errors",
	[STT_NET_RX_ZERO_LEN]		= "rx_zero_len",
	[STT_NET_RX_SEG_OVERRUN]	= "rx_seg_overrun",
	[STT_NET_RX_SHORT_FRAME]	= "rx_short_frame",
	[STT_NET_RX_BAD_VERSION]	= "rx_bad_version",
	[STT_NET_RX_NO_DEVICE]		= "rx_no_device",
	[STT_NET_REASM_FRAMES]		= "reasm_frames",
	[STT_NET_REASM_TIMEOUTS]	= "reasm_timeouts",
	[STT_NET_REASM_EVICTIONS]	= "reasm_evictions",
	[STT_NET_REASM_LEN_MISMATCH]	= "reasm_len_mismatch",
	[STT_NET_REASM_OVERLAPS]	= "reasm_overlaps",
	[STT_NET_REASM_DUPLICATES]	= "reasm_duplicates",
	[STT_NET_REASM_MEM_DROPS]	= "reasm_mem_drops",
	[STT_NET_REASM_DROPPED_SEGS]	= "reasm_dropped_segs",
	[STT_NET_ICMP_PMTU]		= "icmp_pmtu_updates",
	[STT_NET_RX_ROUTE_REUSED]	= "rx_route_reused",
	[STT_NET_RX_UNKNOWN_PEER]	= "rx_unknown_peer",
	[STT_NET_RX_XFRM_POLICY]	= "rx_xfrm_policy",
	[STT_NET_RX_NOT_HOST]		= "rx_not_host",
	[STT_NET_RX_CSUM_SW]		= "rx_csum_sw",
	[STT_NET_REASM_SHARED]		= "reasm_shared",
	[STT_NET_REASM_OUT_OF_ORDER]	= "reasm_out_of_order",
	[STT_NET_REASM_COALESCED]	= "reasm_coalesced",
};

struct stt_net *stt_pernet(const struct net *net)
{
	return net_generic(net, stt_net_id);
}

/* ---- Lookup (RCU) ---- */

static struct hlist_head *stt_dev_bucket(struct stt_net *sn, u64 key,
					 __be16 port)
{
	return &sn->dev_hash[hash_64(key ^ (__force u16)port, STT_HASH_BITS)];
}

/* The port entry of @port in @sn: under RCU or RTNL. */
struct stt_port *stt_port_find(struct stt_net *sn, __be16 port)
{
	struct stt_port *p;

	hlist_for_each_entry_rcu(p, &sn->ports, node, lockdep_rtnl_is_held())
		if (p->port == port)
			return p;
	return NULL;
}

/* The external device of a port, if it has one and it is up. */
static struct stt_dev *stt_port_external(struct stt_net *sn, __be16 port)
{
	struct stt_port *p = stt_port_find(sn, port);
	struct stt_dev *stt;

	if (!p)
		return NULL;
	stt = rcu_dereference(p->external);
	return stt && (stt->dev->flags & IFF_UP) ? stt : NULL;
}

/*
 * The device for a frame: (remote, key, port) must match; a device bound
 * to the frame's destination address wins over one with a wildcard local.
 * A multicast device takes the frames sent to its group (the destination)
 * with its key and port, from any source.  What no classic device takes
 * goes to the port's external device, if there is one.
 */
struct stt_dev *stt_lookup_dev(struct stt_net *sn, const struct in6_addr *saddr,
			       const struct in6_addr *daddr, __be16 dport,
			       u64 key)
{
	bool group = stt_addr_mcast(daddr);
	struct stt_dev *stt, *wildcard = NULL;

	hlist_for_each_entry_rcu(stt, stt_dev_bucket(sn, key, dport), hlist) {
		const struct stt_config *cfg = rcu_dereference(stt->cfg);

		/* NULL: being unregistered (stt_dev_uninit()). */
		if (!cfg || cfg->key != key || cfg->dport != dport ||
		    !(stt->dev->flags & IFF_UP))
			continue;
		/* Point-to-multipoint: sent to the group, from any member. */
		if (stt_cfg_mcast(cfg)) {
			if (ipv6_addr_equal(&cfg->remote, daddr))
				return stt;
			continue;
		}
		/* Sent to a group: for the group's devices only. */
		if (group || !ipv6_addr_equal(&cfg->remote, saddr))
			continue;
		if (ipv6_addr_equal(&cfg->local, daddr))
			return stt;
		if (ipv6_addr_any(&cfg->local))
			wildcard = stt;
	}
	if (wildcard || group)
		return wildcard;
	return stt_port_external(sn, dport);
}

static struct hlist_head *
stt_peer_bucket(struct stt_net *sn, const struct in6_addr *remote, __be16 port)
{
	u32 h = ipv6_addr_hash(remote) ^ (__force u16)port;

	return &sn->peer_hash[hash_32(h, STT_HASH_BITS)];
}

enum stt_peer_match {
	STT_PEER_EXACT,		/* this local address */
	STT_PEER_LOCAL,		/* this local address, or any */
	STT_PEER_GROUP,		/* any local address: a group's devices */
};

/* The peer entry of (@remote, @local, @port): under RCU or RTNL. */
static struct stt_peer *stt_peer_find(struct stt_net *sn,
				      const struct in6_addr *remote,
				      const struct in6_addr *local, __be16 port,
				      enum stt_peer_match match)
{
	struct stt_peer *peer;

	hlist_for_each_entry_rcu(peer, stt_peer_bucket(sn, remote, port), node,
				 lockdep_rtnl_is_held()) {
		if (peer->port != port || !ipv6_addr_equal(&peer->remote, remote))
			continue;
		if (match == STT_PEER_GROUP ||
		    ipv6_addr_equal(&peer->local, local) ||
		    (match == STT_PEER_LOCAL && ipv6_addr_any(&peer->local)))
			return peer;
	}
	return NULL;
}

/*
 * Does a device of @sn send from @local to @remote:@dport?  For ICMP errors
 * quoting one of our segments: one lookup by (remote, port).
 */
bool stt_tunnel_known(struct stt_net *sn, const struct in6_addr *local,
		      const struct in6_addr *remote, __be16 dport)
{
	/* An external device may send anywhere. */
	return stt_port_external(sn, dport) ||
	       stt_peer_find(sn, remote, local, dport, STT_PEER_LOCAL);
}

/*
 * Could a device of @sn take a segment from @saddr to @daddr on port @p?
 * Checked for every segment before it is queued: only the first segment of
 * a frame carries its Context ID, the rest carry addresses and ports.  A
 * segment to a group is for the group's devices; an external device takes
 * any unicast source.
 */
bool stt_peer_known(struct stt_net *sn, struct stt_port *p,
		    const struct in6_addr *saddr, const struct in6_addr *daddr)
{
	/* A group's devices take it whatever their own local address. */
	if (stt_addr_mcast(daddr))
		return stt_peer_find(sn, daddr, NULL, p->port, STT_PEER_GROUP);
	return rcu_access_pointer(p->external) ||
	       stt_peer_find(sn, saddr, daddr, p->port, STT_PEER_LOCAL);
}

bool stt_port_in_use(struct stt_net *sn, __be16 port)
{
	return stt_port_find(sn, port);
}

/* ---- Configuration (RTNL writes, RCU reads) ---- */

static struct stt_config *stt_cfg_alloc(void)
{
	struct stt_config *cfg;

	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return NULL;
	if (dst_cache_init(&cfg->dst_cache, GFP_KERNEL)) {
		kfree(cfg);
		return NULL;
	}
	return cfg;
}

static void stt_cfg_free_rcu(struct rcu_head *head)
{
	struct stt_config *cfg = container_of(head, struct stt_config, rcu);

	dst_cache_destroy(&cfg->dst_cache);
	kfree(cfg);
}

/* Readers may still hold @cfg: free it after a grace period. */
static void stt_cfg_release(struct stt_config *cfg)
{
	call_rcu(&cfg->rcu, stt_cfg_free_rcu);
}

static struct stt_config *stt_cfg_rtnl(const struct stt_dev *stt)
{
	return rtnl_dereference(stt->cfg);
}

/* ---- Per-netns bookkeeping (RTNL) ---- */

static struct stt_port *stt_port_get(struct stt_net *sn, __be16 port)
{
	struct stt_port *p = stt_port_find(sn, port);

	if (p) {
		p->refs++;
		return p;
	}
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return NULL;
	p->rx_route = alloc_percpu(struct stt_rx_routes);
	if (!p->rx_route) {
		kfree(p);
		return NULL;
	}
	p->port = port;
	p->refs = 1;
	hlist_add_head_rcu(&p->node, &sn->ports);
	return p;
}

/*
 * After a grace period no CPU's input path can still be looking at the
 * port (it is found under RCU), so no slot can change under us: drop the
 * routes they hold.
 */
static void stt_port_free_rcu(struct rcu_head *head)
{
	struct stt_port *p = container_of(head, struct stt_port, rcu);
	int cpu;

	for_each_possible_cpu(cpu) {
		struct stt_rx_routes *r = per_cpu_ptr(p->rx_route, cpu);

		dst_release(r->v4.dst);
		dst_release(r->v6.dst);
	}
	free_percpu(p->rx_route);
	kfree(p);
}

static void stt_port_put(struct stt_net *sn, __be16 port)
{
	struct stt_port *p = stt_port_find(sn, port);

	if (p && !--p->refs) {
		hlist_del_rcu(&p->node);
		call_rcu(&p->rcu, stt_port_free_rcu);
	}
}

/* A classic device of @sn now receives from @cfg's (remote, local, port). */
static int stt_peer_get(struct stt_net *sn, const struct stt_config *cfg)
{
	struct stt_peer *peer;

	if (cfg->collect_md)
		return 0;
	peer = stt_peer_find(sn, &cfg->remote, &cfg->local, cfg->dport,
			     STT_PEER_EXACT);
	if (peer) {
		peer->refs++;
		return 0;
	}
	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer)
		return -ENOMEM;
	peer->remote = cfg->remote;
	peer->local = cfg->local;
	peer->port = cfg->dport;
	peer->refs = 1;
	hlist_add_head_rcu(&peer->node,
			   stt_peer_bucket(sn, &cfg->remote, cfg->dport));
	return 0;
}

static void stt_peer_put(struct stt_net *sn, const struct stt_config *cfg)
{
	struct stt_peer *peer;

	if (cfg->collect_md)
		return;
	peer = stt_peer_find(sn, &cfg->remote, &cfg->local, cfg->dport,
			     STT_PEER_EXACT);
	if (!WARN_ON_ONCE(!peer) && !--peer->refs) {
		hlist_del_rcu(&peer->node);
		kfree_rcu(peer, rcu);
	}
}

static bool stt_cfg_same_peer(const struct stt_config *a,
			      const struct stt_config *b)
{
	return ipv6_addr_equal(&a->remote, &b->remote) &&
	       ipv6_addr_equal(&a->local, &b->local) && a->dport == b->dport;
}

/* Make @stt visible to the receive path of its underlay netns. */
static int stt_net_link(struct stt_dev *stt)
{
	struct stt_net *sn = stt_pernet(stt->net);
	const struct stt_config *cfg = stt_cfg_rtnl(stt);
	struct stt_port *port;
	int err;

	if (!sn->nr_devs) {
		err = stt_rx_hook_register(stt->net);
		if (err)
			return err;
	}
	port = stt_port_get(sn, cfg->dport);
	if (!port || stt_peer_get(sn, cfg)) {
		if (port)
			stt_port_put(sn, cfg->dport);
		if (!sn->nr_devs)
			stt_rx_hook_unregister(stt->net);
		return -ENOMEM;
	}
	sn->nr_devs++;
	list_add(&stt->next, &sn->dev_list);
	/* newlink checked that the port has no external device yet. */
	if (cfg->collect_md)
		rcu_assign_pointer(port->external, stt);
	else
		hlist_add_head_rcu(&stt->hlist,
				   stt_dev_bucket(sn, cfg->key, cfg->dport));
	return 0;
}

static void stt_net_unlink(struct stt_dev *stt)
{
	struct stt_net *sn = stt_pernet(stt->net);
	const struct stt_config *cfg = stt_cfg_rtnl(stt);

	/* Readers are done with it after the grace period of unregister. */
	if (cfg->collect_md)
		RCU_INIT_POINTER(stt_port_find(sn, cfg->dport)->external, NULL);
	else
		hlist_del_rcu(&stt->hlist);
	list_del(&stt->next);
	stt_peer_put(sn, cfg);
	stt_port_put(sn, cfg->dport);
	/*
	 * The last device takes the hooks with it, and a grace period under
	 * RTNL.  In a netns being dismantled, stt_exit_batch_net() does that
	 * for the whole batch at once: deleting 100 netns must not wait for
	 * 100 grace periods.
	 */
	if (!--sn->nr_devs && check_net(stt->net))
		stt_rx_hook_unregister(stt->net);
}

/* ---- netdev ---- */

static int stt_dev_init(struct net_device *dev)
{
	struct stt_dev *stt = netdev_priv(dev);
	int err;

	stt->xstats = alloc_percpu(struct stt_dev_stats);
	if (!stt->xstats)
		return -ENOMEM;
	err = gro_cells_init(&stt->gro_cells, dev);
	if (err)
		goto free_stats;
	err = stt_net_link(stt);
	if (err)
		goto free_cells;
	netdev_lockdep_set_classes(dev);
	return 0;

free_cells:
	gro_cells_destroy(&stt->gro_cells);
free_stats:
	free_percpu(stt->xstats);
	return err;
}

static void stt_dev_uninit(struct net_device *dev)
{
	struct stt_dev *stt = netdev_priv(dev);

	stt_net_unlink(stt);
	/* A receive lookup still walking the hash sees NULL and moves on. */
	stt_cfg_release(rcu_replace_pointer(stt->cfg, NULL,
					    lockdep_rtnl_is_held()));
	gro_cells_destroy(&stt->gro_cells);
	free_percpu(stt->xstats);
}

/*
 * Point-to-multipoint (draft §3.4).  STT has no socket to join a group
 * with, so a device joins its group on its underlay device ("dev", which a
 * multicast remote requires) as IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP would:
 * ip_mc_inc_group() / ipv6_dev_mc_inc().  It joins when it comes up, leaves
 * when it goes down (and so before it is unregistered), and moves when
 * changelink changes its remote or dev.  The membership is counted on the
 * underlay device; if that device is deleted, the membership goes with it.
 */
static int stt_mc_join(struct net *net, const struct stt_config *cfg,
		       struct stt_mc *mc)
{
	struct net_device *ldev;
	int err = 0;

	memset(mc, 0, sizeof(*mc));
	if (!stt_cfg_mcast(cfg))
		return 0;
	ldev = __dev_get_by_index(net, cfg->link);
	if (!ldev)
		return -ENODEV;
	if (stt_cfg_ipv6(cfg)) {
		err = ipv6_dev_mc_inc(ldev, &cfg->remote);
	} else {
		struct in_device *in_dev = __in_dev_get_rtnl(ldev);

		if (in_dev)
			ip_mc_inc_group(in_dev, cfg->remote.s6_addr32[3]);
		else
			err = -ENODEV;
	}
	if (!err) {
		mc->ifindex = ldev->ifindex;
		mc->group = cfg->remote;
	}
	return err;
}

static void stt_mc_leave(struct net *net, struct stt_mc *mc)
{
	struct net_device *ldev;

	if (!mc->ifindex)
		return;
	ldev = __dev_get_by_index(net, mc->ifindex);
	if (ldev && !ipv6_addr_v4mapped(&mc->group)) {
		ipv6_dev_mc_dec(ldev, &mc->group);
	} else if (ldev) {
		struct in_device *in_dev = __in_dev_get_rtnl(ldev);

		if (in_dev)
			ip_mc_dec_group(in_dev, mc->group.s6_addr32[3]);
	}
	memset(mc, 0, sizeof(*mc));
}

static int stt_open(struct net_device *dev)
{
	struct stt_dev *stt = netdev_priv(dev);

	return stt_mc_join(stt->net, stt_cfg_rtnl(stt), &stt->mc);
}

static int stt_stop(struct net_device *dev)
{
	struct stt_dev *stt = netdev_priv(dev);

	stt_mc_leave(stt->net, &stt->mc);
	return 0;
}

static int stt_change_mtu(struct net_device *dev, int new_mtu)
{
	WRITE_ONCE(dev->mtu, new_mtu);
	return 0;
}

static const struct net_device_ops stt_netdev_ops = {
	.ndo_init		= stt_dev_init,
	.ndo_uninit		= stt_dev_uninit,
	.ndo_open		= stt_open,
	.ndo_stop		= stt_stop,
	.ndo_start_xmit		= stt_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
	.ndo_change_mtu		= stt_change_mtu,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_fill_metadata_dst	= stt_fill_metadata_dst,
};

/* ---- ethtool ---- */

static void stt_get_drvinfo(struct net_device *dev,
			    struct ethtool_drvinfo *info)
{
	struct stt_dev *stt = netdev_priv(dev);
	const struct stt_config *cfg;

	strscpy(info->driver, "stt", sizeof(info->driver));
	strscpy(info->version, STT_DRV_VERSION, sizeof(info->version));
	rcu_read_lock();
	cfg = rcu_dereference_rtnl(stt->cfg);
	if (cfg && cfg->collect_md)
		snprintf(info->bus_info, sizeof(info->bus_info), "stt:external:%u",
			 ntohs(cfg->dport));
	else if (cfg && stt_cfg_ipv6(cfg))
		snprintf(info->bus_info, sizeof(info->bus_info), "stt:[%pI6c]:%u",
			 &cfg->remote, ntohs(cfg->dport));
	else if (cfg)
		snprintf(info->bus_info, sizeof(info->bus_info), "stt:%pI4:%u",
			 &cfg->remote.s6_addr32[3], ntohs(cfg->dport));
	rcu_read_unlock();
}

static int stt_get_sset_count(struct net_device *dev, int sset)
{
	return sset == ETH_SS_STATS ? STT_DEV_STATS_NUM : -EOPNOTSUPP;
}

static void stt_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	if (sset == ETH_SS_STATS)
		memcpy(data, stt_dev_stat_names, sizeof(stt_dev_stat_names));
}

static void stt_get_ethtool_stats(struct net_device *dev,
				  struct ethtool_stats *stats, u64 *data)
{
	struct stt_dev *stt = netdev_priv(dev);
	int i;

	for (i = 0; i < STT_DEV_STATS_NUM; i++)
		data[i] = stt_stats_sum(stt->xstats, i);
}

static const struct ethtool_ops stt_ethtool_ops = {
	.get_drvinfo		= stt_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= stt_get_sset_count,
	.get_strings		= stt_get_strings,
	.get_ethtool_stats	= stt_get_ethtool_stats,
};

static const struct device_type stt_type = {
	.name = "stt",
};

#define STT_FEATURES	(NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_RXCSUM | \
			 NETIF_F_HIGHDMA | NETIF_F_TSO | NETIF_F_TSO6)

static void stt_setup(struct net_device *dev)
{
	ether_setup(dev);

	dev->netdev_ops = &stt_netdev_ops;
	dev->ethtool_ops = &stt_ethtool_ops;
	dev->needs_free_netdev = true;
	SET_NETDEV_DEVTYPE(dev, &stt_type);

	/*
	 * Only what the frame header can carry: TCP GSO and inet checksums.
	 * No FRAGLIST, no UDP/SCTP GSO, no TSO_ECN: the core resolves those
	 * before ndo_start_xmit rather than us undoing them.
	 */
	dev->features |= STT_FEATURES;
	dev->hw_features |= STT_FEATURES;
	/*
	 * §3.1 carries an 802.1Q tag in the frame header: take it as an
	 * accelerated tag (stt_tso_prepare() writes PCP/V/VID).  Without
	 * this the core pushes it into the payload before we see it.  A VLAN
	 * device on top keeps the offloads.
	 */
	dev->features |= NETIF_F_HW_VLAN_CTAG_TX;
	dev->hw_features |= NETIF_F_HW_VLAN_CTAG_TX;
	dev->vlan_features |= STT_FEATURES;
	stt_set_lltx(dev);
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;

	/*
	 * STT segments every frame to fit the path, so the inner MTU never
	 * has to shrink below the 1500 of ether_setup(); the ceiling is what
	 * one outer IPv4 datagram can hold.
	 */
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = STT_MAX_MTU;
	netif_set_tso_max_size(dev, STT_MAX_INNER_V4);
	dev->needed_headroom = STT_ENCAP_HLEN + ETH_HLEN;

	netif_keep_dst(dev);
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE | IFF_NO_QUEUE;
	eth_hw_addr_random(dev);
}

/* ---- rtnetlink ---- */

static const struct nla_policy stt_policy[IFLA_STT_MAX + 1] = {
	/* Every attribute is strictly validated: a wrong length is refused. */
	[IFLA_STT_UNSPEC]	= { .strict_start_type = IFLA_STT_REMOTE },
	[IFLA_STT_REMOTE]	= { .type = NLA_U32 },
	[IFLA_STT_LOCAL]	= { .type = NLA_U32 },
	[IFLA_STT_KEY]		= { .type = NLA_U64 },
	[IFLA_STT_PORT]		= { .type = NLA_U16 },
	[IFLA_STT_TTL]		= { .type = NLA_U8 },
	[IFLA_STT_TOS]		= { .type = NLA_U8 },
	[IFLA_STT_PAD]		= { .type = NLA_REJECT },
	[IFLA_STT_REMOTE6]	= NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[IFLA_STT_LOCAL6]	= NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[IFLA_STT_PORT_RANGE]	=
		NLA_POLICY_EXACT_LEN(sizeof(struct ifla_stt_port_range)),
	[IFLA_STT_TTL_INHERIT]	= NLA_POLICY_MAX(NLA_U8, 1),
	[IFLA_STT_DF]		= NLA_POLICY_MAX(NLA_U8, STT_DF_MAX),
	[IFLA_STT_DSCP_DECAP]	= NLA_POLICY_MAX(NLA_U8, 1),
	[IFLA_STT_LINK]		= { .type = NLA_U32 },
	[IFLA_STT_COLLECT_METADATA] = { .type = NLA_FLAG },
};

static bool stt_addr_unicast(__be32 addr)
{
	return !ipv4_is_multicast(addr) && !ipv4_is_lbcast(addr) &&
	       !ipv4_is_zeronet(addr);
}

static bool stt_addr6_unicast(const struct in6_addr *addr)
{
	int type = ipv6_addr_type(addr);

	return !(type & (IPV6_ADDR_MULTICAST | IPV6_ADDR_MAPPED)) &&
	       type != IPV6_ADDR_ANY;
}

/* A remote may also be a multicast group (point-to-multipoint). */
static bool stt_remote_ok(__be32 addr)
{
	return stt_addr_unicast(addr) || ipv4_is_multicast(addr);
}

static bool stt_remote6_ok(const struct in6_addr *addr)
{
	return stt_addr6_unicast(addr) || ipv6_addr_is_multicast(addr);
}

/* Runs for newlink and changelink alike: every attribute is optional here. */
static int stt_validate(struct nlattr *tb[], struct nlattr *data[],
			struct netlink_ext_ack *extack)
{
	if (tb[IFLA_ADDRESS]) {
		if (nla_len(tb[IFLA_ADDRESS]) != ETH_ALEN) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS],
					    "Provided link layer address is not Ethernet");
			return -EINVAL;
		}
		if (!is_valid_ether_addr(nla_data(tb[IFLA_ADDRESS]))) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS],
					    "Provided Ethernet address is not unicast");
			return -EADDRNOTAVAIL;
		}
	}

	if (!data)
		return 0;
	if (data[IFLA_STT_REMOTE] &&
	    !stt_remote_ok(nla_get_in_addr(data[IFLA_STT_REMOTE]))) {
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_REMOTE],
				    "STT remote must be a unicast or multicast IPv4 address");
		return -EINVAL;
	}
	if (data[IFLA_STT_LOCAL]) {
		__be32 local = nla_get_in_addr(data[IFLA_STT_LOCAL]);

		if (local && !stt_addr_unicast(local)) {
			NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_LOCAL],
					    "STT local must be a unicast IPv4 address");
			return -EINVAL;
		}
	}
	if (data[IFLA_STT_REMOTE] && data[IFLA_STT_REMOTE6]) {
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_REMOTE6],
				    "STT remote must be IPv4 or IPv6, not both");
		return -EINVAL;
	}
	if (data[IFLA_STT_LOCAL] && data[IFLA_STT_LOCAL6]) {
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_LOCAL6],
				    "STT local must be IPv4 or IPv6, not both");
		return -EINVAL;
	}
	if (data[IFLA_STT_REMOTE6]) {
		struct in6_addr remote = nla_get_in6_addr(data[IFLA_STT_REMOTE6]);

		if (!stt_remote6_ok(&remote)) {
			NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_REMOTE6],
					    "STT remote must be a unicast or multicast IPv6 address");
			return -EINVAL;
		}
	}
	if (data[IFLA_STT_LOCAL6]) {
		struct in6_addr local = nla_get_in6_addr(data[IFLA_STT_LOCAL6]);

		if (!ipv6_addr_any(&local) && !stt_addr6_unicast(&local)) {
			NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_LOCAL6],
					    "STT local must be a unicast IPv6 address");
			return -EINVAL;
		}
	}
	if (data[IFLA_STT_PORT] && !nla_get_be16(data[IFLA_STT_PORT])) {
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_PORT],
				    "STT destination port must not be 0");
		return -EINVAL;
	}
	if (data[IFLA_STT_PORT_RANGE]) {
		const struct ifla_stt_port_range *r =
			nla_data(data[IFLA_STT_PORT_RANGE]);

		if (!r->low) {
			NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_PORT_RANGE],
					    "STT source port range must not start at 0");
			return -EINVAL;
		}
		if (ntohs(r->low) > ntohs(r->high)) {
			NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_PORT_RANGE],
					    "Invalid STT source port range: the low port is above the high one");
			return -EINVAL;
		}
	}
	return 0;
}

/* Apply the attributes present in @data; absent ones keep their value. */
static void stt_nl2cfg(struct nlattr *data[], struct stt_config *cfg)
{
	if (data[IFLA_STT_REMOTE])
		stt_addr_set_v4(&cfg->remote,
				nla_get_in_addr(data[IFLA_STT_REMOTE]));
	if (data[IFLA_STT_REMOTE6])
		cfg->remote = nla_get_in6_addr(data[IFLA_STT_REMOTE6]);
	if (data[IFLA_STT_LOCAL])
		stt_addr_set_v4(&cfg->local,
				nla_get_in_addr(data[IFLA_STT_LOCAL]));
	if (data[IFLA_STT_LOCAL6])
		cfg->local = nla_get_in6_addr(data[IFLA_STT_LOCAL6]);
	if (data[IFLA_STT_KEY])
		cfg->key = nla_get_u64(data[IFLA_STT_KEY]);
	if (data[IFLA_STT_PORT])
		cfg->dport = nla_get_be16(data[IFLA_STT_PORT]);
	if (data[IFLA_STT_TTL])
		cfg->ttl = nla_get_u8(data[IFLA_STT_TTL]);
	if (data[IFLA_STT_TOS])
		cfg->tos = nla_get_u8(data[IFLA_STT_TOS]);
	if (data[IFLA_STT_PORT_RANGE]) {
		const struct ifla_stt_port_range *r =
			nla_data(data[IFLA_STT_PORT_RANGE]);

		cfg->sport_min = ntohs(r->low);
		cfg->sport_max = ntohs(r->high);
	}
	if (data[IFLA_STT_TTL_INHERIT])
		cfg->ttl_inherit = nla_get_u8(data[IFLA_STT_TTL_INHERIT]);
	if (data[IFLA_STT_DF])
		cfg->df = nla_get_u8(data[IFLA_STT_DF]);
	if (data[IFLA_STT_DSCP_DECAP])
		cfg->dscp_decap = nla_get_u8(data[IFLA_STT_DSCP_DECAP]);
	if (data[IFLA_STT_LINK])
		cfg->link = nla_get_u32(data[IFLA_STT_LINK]);
}

/* A new underlay binding must name a device of the underlay netns @net. */
static int stt_cfg_check_link(struct net *net, struct nlattr *data[],
			      const struct stt_config *cfg,
			      struct netlink_ext_ack *extack)
{
	if (!data[IFLA_STT_LINK] || !cfg->link)
		return 0;
	if (cfg->link < 0 || !__dev_get_by_index(net, cfg->link)) {
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_LINK],
				    "STT underlay device (dev) not found in the underlay netns");
		return -ENODEV;
	}
	return 0;
}

/* After stt_nl2cfg(): a multicast group is joined on a named device. */
static int stt_cfg_check_mcast(struct nlattr *data[],
			       const struct stt_config *cfg,
			       struct netlink_ext_ack *extack)
{
	if (!stt_cfg_mcast(cfg) || cfg->link)
		return 0;
	NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_REMOTE6] ?: data[IFLA_STT_REMOTE] ?:
			    data[IFLA_STT_LINK],
			    "STT multicast remote requires an underlay device (dev)");
	return -EINVAL;
}

/* After stt_nl2cfg(): a local address must be of the remote's family. */
static int stt_cfg_check_family(struct nlattr *data[],
				const struct stt_config *cfg,
				struct netlink_ext_ack *extack)
{
	if (ipv6_addr_any(&cfg->local) ||
	    ipv6_addr_v4mapped(&cfg->local) == !stt_cfg_ipv6(cfg))
		return 0;
	NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_LOCAL6] ?: data[IFLA_STT_LOCAL] ?:
			    data[IFLA_STT_REMOTE6] ?: data[IFLA_STT_REMOTE],
			    "STT local and remote must be of the same address family");
	return -EAFNOSUPPORT;
}

#define STT_MSG_DUPLICATE \
	"An STT device with this local, remote, key and dstport already exists"
#define STT_MSG_EXTERNAL_TAKEN \
	"An external STT device already uses this dstport"

/*
 * An external device takes the endpoints and the key of each frame from
 * its metadata: configuring them too is an error, not something to ignore.
 */
static int stt_check_external(struct nlattr *data[],
			      struct netlink_ext_ack *extack)
{
	static const int per_packet[] = {
		IFLA_STT_REMOTE, IFLA_STT_REMOTE6, IFLA_STT_LOCAL,
		IFLA_STT_LOCAL6, IFLA_STT_KEY,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(per_packet); i++) {
		if (data[per_packet[i]]) {
			NL_SET_ERR_MSG_ATTR(extack, data[per_packet[i]],
					    "An external STT device takes remote, local and key from each packet's metadata");
			return -EINVAL;
		}
	}
	return 0;
}

static bool stt_port_has_external(struct stt_net *sn, __be16 port)
{
	struct stt_port *p = stt_port_find(sn, port);

	return p && rtnl_dereference(p->external);
}

/* Would another device of @sn than @self receive @cfg's frames? */
static bool stt_cfg_taken(struct stt_net *sn, const struct stt_config *cfg,
			  const struct stt_dev *self)
{
	const struct stt_dev *other;

	list_for_each_entry(other, &sn->dev_list, next) {
		const struct stt_config *o = stt_cfg_rtnl(other);

		if (other != self && ipv6_addr_equal(&o->remote, &cfg->remote) &&
		    ipv6_addr_equal(&o->local, &cfg->local) && o->key == cfg->key &&
		    o->dport == cfg->dport)
			return true;
	}
	return false;
}

/*
 * Register @dev with @cfg (ours from here on, freed on failure): the checks
 * that need the netns's other devices, then register_netdevice().
 */
static int stt_dev_configure(struct net *net, struct net_device *dev,
			     struct stt_config *cfg,
			     struct netlink_ext_ack *extack)
{
	struct stt_dev *stt = netdev_priv(dev);
	struct stt_net *sn = stt_pernet(net);
	int err = 0;

	if (cfg->collect_md && stt_port_has_external(sn, cfg->dport)) {
		NL_SET_ERR_MSG(extack, STT_MSG_EXTERNAL_TAKEN);
		err = -EBUSY;
	} else if (stt_cfg_taken(sn, cfg, NULL)) {
		NL_SET_ERR_MSG(extack, STT_MSG_DUPLICATE);
		err = -EBUSY;
	}
	if (err) {
		stt_cfg_free_rcu(&cfg->rcu);	/* never published */
		return err;
	}

	stt->dev = dev;
	stt->net = net;
	RCU_INIT_POINTER(stt->cfg, cfg);
	err = register_netdevice(dev);
	if (err) {
		NL_SET_ERR_MSG(extack, "Failed to register the STT device");
		/* Still ours unless ndo_uninit() has released it. */
		cfg = rcu_replace_pointer(stt->cfg, NULL, lockdep_rtnl_is_held());
		if (cfg)
			stt_cfg_release(cfg);
	}
	return err;
}

/* A configuration with the defaults of ip link add ... type stt. */
static struct stt_config *stt_cfg_default(void)
{
	struct stt_config *cfg = stt_cfg_alloc();

	if (!cfg)
		return NULL;
	cfg->dport = htons(STT_DEFAULT_PORT);
	cfg->sport_min = STT_SRC_PORT_MIN;
	cfg->sport_max = STT_SRC_PORT_MAX;
	return cfg;
}

static int stt_newlink(struct net *net, struct net_device *dev,
		       struct nlattr *data[], struct netlink_ext_ack *extack)
{
	struct stt_config *cfg;
	int err;

	if (data && data[IFLA_STT_COLLECT_METADATA]) {
		err = stt_check_external(data, extack);
		if (err)
			return err;
	} else if (!data || (!data[IFLA_STT_REMOTE] && !data[IFLA_STT_REMOTE6])) {
		NL_SET_ERR_MSG(extack, "STT remote address is required (or external)");
		return -EINVAL;
	}
	cfg = stt_cfg_default();
	if (!cfg)
		return -ENOMEM;
	stt_nl2cfg(data, cfg);
	cfg->collect_md = !!data[IFLA_STT_COLLECT_METADATA];
	err = stt_cfg_check_family(data, cfg, extack) ?:
	      stt_cfg_check_mcast(data, cfg, extack) ?:
	      stt_cfg_check_link(net, data, cfg, extack);
	if (err) {
		stt_cfg_free_rcu(&cfg->rcu);	/* never published */
		return err;
	}
	return stt_dev_configure(net, dev, cfg, extack);
}

STT_NEWLINK(stt_newlink)

/**
 * stt_dev_create_fb - create an external STT device for a datapath
 * @net: the netns of the device
 * @name: its name
 * @name_assign_type: NET_NAME_*
 * @dst_port: the destination TCP port it listens on, host order
 *
 * What Open vSwitch's vport-stt asks for, as geneve_dev_create_fb() does
 * for vport-geneve: an external (collect_md) device, MTU as large as the
 * device allows, not yet up.  Called under RTNL; the device is deleted
 * with rtnl_delete_link().  Returns it or an ERR_PTR().
 */
struct net_device *stt_dev_create_fb(struct net *net, const char *name,
				     u8 name_assign_type, u16 dst_port)
{
	struct nlattr *tb[IFLA_MAX + 1] = {};
	struct stt_config *cfg;
	struct net_device *dev;
	LIST_HEAD(list_kill);
	int err;

	ASSERT_RTNL();
	dev = rtnl_create_link(net, name, name_assign_type, &stt_link_ops, tb,
			       NULL);
	if (IS_ERR(dev))
		return dev;
	cfg = stt_cfg_default();
	if (!cfg) {
		free_netdev(dev);
		return ERR_PTR(-ENOMEM);
	}
	cfg->dport = htons(dst_port);
	cfg->collect_md = 1;
	err = stt_dev_configure(net, dev, cfg, NULL);
	if (err) {
		free_netdev(dev);
		return ERR_PTR(err);
	}
	/*
	 * Open vSwitch expects any packet size a flow hands over to pass.  As
	 * __dev_set_mtu() did before 7.x made it internal: the device is not
	 * announced yet, so no NETDEV_CHANGEMTU ahead of rtnl_configure_link().
	 */
	err = stt_change_mtu(dev, dev->max_mtu);
	if (!err)
		err = rtnl_configure_link(dev, NULL, 0, NULL);
	if (err < 0) {
		unregister_netdevice_queue(dev, &list_kill);
		unregister_netdevice_many(&list_kill);
		return ERR_PTR(err);
	}
	return dev;
}
EXPORT_SYMBOL_GPL(stt_dev_create_fb);

/**
 * stt_dev_dst_port - the destination port an STT device listens on
 * @dev: an STT device (one that stt_dev_create_fb() made, say)
 *
 * Returns the port in host order, or -ENODEV once the device is going away
 * or when it is not an STT device.
 */
int stt_dev_dst_port(const struct net_device *dev)
{
	const struct stt_config *cfg;
	int port = -ENODEV;

	if (dev->rtnl_link_ops != &stt_link_ops)
		return -ENODEV;
	rcu_read_lock();
	cfg = rcu_dereference(((struct stt_dev *)netdev_priv(dev))->cfg);
	if (cfg)
		port = ntohs(cfg->dport);
	rcu_read_unlock();
	return port;
}
EXPORT_SYMBOL_GPL(stt_dev_dst_port);

/*
 * Every attribute but external may change (an external device's endpoints,
 * key and dstport may not either); the new configuration replaces the old one
 * in a single pointer swap, so a frame is always sent and received under
 * one consistent configuration, and the new one starts with an empty route
 * cache.  The receive lookup hashes (key, dstport): when either changes,
 * the device leaves its hash chain for a grace period before it joins the
 * new one, so that a lookup walking the old chain is never led onto the
 * new one and misses devices there.  Frames that arrive in that window
 * count as rx_no_device.  There is no socket to quiesce: the netfilter
 * hook stays registered as long as the netns has a device.
 */
static int stt_changelink(struct net_device *dev, struct nlattr *tb[],
			  struct nlattr *data[],
			  struct netlink_ext_ack *extack)
{
	struct stt_dev *stt = netdev_priv(dev);
	struct stt_net *sn = stt_pernet(stt->net);
	struct stt_config *old = stt_cfg_rtnl(stt), *cfg;
	struct stt_mc mc = {};
	bool rehash;
	int err;

	if (!data)
		return 0;
	/* The endpoints belong to the underlay netns: need rights there. */
	if (!net_eq(stt->net, dev_net(dev)) &&
	    !ns_capable(stt->net->user_ns, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG(extack,
			       "Changing an STT device needs CAP_NET_ADMIN in its underlay netns");
		return -EPERM;
	}

	if (data[IFLA_STT_COLLECT_METADATA] && !old->collect_md) {
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_COLLECT_METADATA],
				    "An STT device cannot become external: create an external one");
		return -EOPNOTSUPP;
	}
	if (old->collect_md) {
		err = stt_check_external(data, extack);
		if (err)
			return err;
		if (data[IFLA_STT_PORT] &&
		    nla_get_be16(data[IFLA_STT_PORT]) != old->dport) {
			NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_PORT],
					    "The dstport of an external STT device cannot change");
			return -EOPNOTSUPP;
		}
	}

	cfg = stt_cfg_alloc();
	if (!cfg)
		return -ENOMEM;
	/* Everything but the route cache and the rcu head. */
	memcpy(cfg, old, offsetof(struct stt_config, dst_cache));
	stt_nl2cfg(data, cfg);

	err = stt_cfg_check_family(data, cfg, extack) ?:
	      stt_cfg_check_mcast(data, cfg, extack) ?:
	      stt_cfg_check_link(stt->net, data, cfg, extack);
	if (err)
		goto free;
	if (stt_cfg_taken(sn, cfg, stt)) {
		NL_SET_ERR_MSG(extack, STT_MSG_DUPLICATE);
		err = -EBUSY;
		goto free;
	}
	/* Join the new group (if any) before leaving the old one. */
	if (netif_running(dev)) {
		err = stt_mc_join(stt->net, cfg, &mc);
		if (err) {
			NL_SET_ERR_MSG(extack, "Failed to join the STT multicast group");
			goto free;
		}
	}
	if (cfg->dport != old->dport && !stt_port_get(sn, cfg->dport)) {
		err = -ENOMEM;
		goto leave;
	}
	/* The new peer is known before frames from it can arrive. */
	if (!stt_cfg_same_peer(cfg, old) && stt_peer_get(sn, cfg)) {
		if (cfg->dport != old->dport)
			stt_port_put(sn, cfg->dport);
		err = -ENOMEM;
		goto leave;
	}

	rehash = cfg->key != old->key || cfg->dport != old->dport;
	if (rehash)
		hlist_del_rcu(&stt->hlist);
	rcu_assign_pointer(stt->cfg, cfg);
	if (rehash) {
		synchronize_net();
		hlist_add_head_rcu(&stt->hlist,
				   stt_dev_bucket(sn, cfg->key, cfg->dport));
	}
	if (!stt_cfg_same_peer(cfg, old))
		stt_peer_put(sn, old);
	if (cfg->dport != old->dport)
		stt_port_put(sn, old->dport);
	if (netif_running(dev)) {
		stt_mc_leave(stt->net, &stt->mc);
		stt->mc = mc;
	}
	stt_cfg_release(old);
	return 0;

leave:
	stt_mc_leave(stt->net, &mc);
free:
	stt_cfg_free_rcu(&cfg->rcu);
	return err;
}

static void stt_dellink(struct net_device *dev, struct list_head *head)
{
	unregister_netdevice_queue(dev, head);
}

static size_t stt_get_size(const struct net_device *dev)
{
	return nla_total_size(sizeof(struct in6_addr)) +	/* REMOTE{,6} */
	       nla_total_size(sizeof(struct in6_addr)) +	/* LOCAL{,6} */
	       nla_total_size_64bit(sizeof(u64)) +	/* KEY */
	       nla_total_size(sizeof(__be16)) +		/* PORT */
	       nla_total_size(sizeof(u8)) +		/* TTL */
	       nla_total_size(sizeof(u8)) +		/* TOS */
	       nla_total_size(sizeof(struct ifla_stt_port_range)) +
	       nla_total_size(sizeof(u8)) +		/* TTL_INHERIT */
	       nla_total_size(sizeof(u8)) +		/* DF */
	       nla_total_size(sizeof(u8)) +		/* DSCP_DECAP */
	       nla_total_size(sizeof(u32)) +		/* LINK */
	       nla_total_size(0);			/* COLLECT_METADATA */
}

static int stt_fill_addrs(struct sk_buff *skb, const struct stt_config *cfg)
{
	/* The local address of a device bound to none is :: (or 0.0.0.0). */
	if (stt_cfg_ipv6(cfg))
		return nla_put_in6_addr(skb, IFLA_STT_REMOTE6, &cfg->remote) ||
		       nla_put_in6_addr(skb, IFLA_STT_LOCAL6, &cfg->local);
	return nla_put_in_addr(skb, IFLA_STT_REMOTE, cfg->remote.s6_addr32[3]) ||
	       nla_put_in_addr(skb, IFLA_STT_LOCAL, cfg->local.s6_addr32[3]);
}

static int stt_fill_cfg(struct sk_buff *skb, const struct stt_config *cfg)
{
	struct ifla_stt_port_range range = {
		.low	= htons(cfg->sport_min),
		.high	= htons(cfg->sport_max),
	};

	/* External: no endpoints or key of its own, as geneve's. */
	if (cfg->collect_md) {
		if (nla_put_flag(skb, IFLA_STT_COLLECT_METADATA))
			return -EMSGSIZE;
	} else if (stt_fill_addrs(skb, cfg) ||
		   nla_put_u64_64bit(skb, IFLA_STT_KEY, cfg->key, IFLA_STT_PAD)) {
		return -EMSGSIZE;
	}
	if (nla_put_be16(skb, IFLA_STT_PORT, cfg->dport) ||
	    nla_put_u8(skb, IFLA_STT_TTL, cfg->ttl) ||
	    nla_put_u8(skb, IFLA_STT_TOS, cfg->tos) ||
	    nla_put(skb, IFLA_STT_PORT_RANGE, sizeof(range), &range) ||
	    nla_put_u8(skb, IFLA_STT_TTL_INHERIT, cfg->ttl_inherit) ||
	    nla_put_u8(skb, IFLA_STT_DF, cfg->df) ||
	    nla_put_u8(skb, IFLA_STT_DSCP_DECAP, cfg->dscp_decap) ||
	    nla_put_u32(skb, IFLA_STT_LINK, cfg->link))
		return -EMSGSIZE;
	return 0;
}

static int stt_fill_info(struct sk_buff *skb, const struct net_device *dev)
{
	const struct stt_dev *stt = netdev_priv(dev);
	const struct stt_config *cfg;
	int err = 0;

	rcu_read_lock();
	cfg = rcu_dereference_rtnl(stt->cfg);
	if (cfg)
		err = stt_fill_cfg(skb, cfg);
	rcu_read_unlock();
	return err;
}

static struct net *stt_get_link_net(const struct net_device *dev)
{
	const struct stt_dev *stt = netdev_priv(dev);

	return stt->net;
}

static struct rtnl_link_ops stt_link_ops __read_mostly = {
	.kind		= "stt",
	.maxtype	= IFLA_STT_MAX,
	.policy		= stt_policy,
	.priv_size	= sizeof(struct stt_dev),
	.setup		= stt_setup,
	.validate	= stt_validate,
	.newlink	= stt_newlink_ops,
	.changelink	= stt_changelink,
	.dellink	= stt_dellink,
	.get_size	= stt_get_size,
	.fill_info	= stt_fill_info,
	.get_link_net	= stt_get_link_net,
};

/* ---- /proc/net/stt ---- */

static int stt_proc_show(struct seq_file *seq, void *v)
{
	struct stt_net *sn = stt_pernet(seq_file_single_net(seq));
	int i;

	for (i = 0; i < STT_NET_STATS_NUM; i++)
		seq_printf(seq, "%-20s %lu\n", stt_net_stat_names[i],
			   stt_stats_sum(sn->stats, i));
	seq_printf(seq, "%-20s %ld\n", "reasm_bytes",
		   atomic_long_read(&sn->reasm_mem));
	seq_printf(seq, "%-20s %ld\n", "reasm_bytes_max",
		   atomic_long_read(&sn->reasm_mem_max));
	return 0;
}

/*
 * /sys/module/stt/parameters/nr_netns (root only): the netns whose stt state
 * exists, i.e. every netns not yet through stt_exit_batch_net().  A test
 * reads it to know that deleted netns are really gone, devices and all.
 */
static atomic_t stt_nr_netns = ATOMIC_INIT(0);

static int stt_nr_netns_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&stt_nr_netns));
}

/* insmod stt nr_netns=... would call .set: refuse it. */
static int stt_nr_netns_set(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static const struct kernel_param_ops stt_nr_netns_ops = {
	.set	= stt_nr_netns_set,
	.get	= stt_nr_netns_get,
};

module_param_cb(nr_netns, &stt_nr_netns_ops, NULL, 0400);
MODULE_PARM_DESC(nr_netns, "network namespaces with stt state (read-only)");

/* ---- net.stt.* sysctls, per netns ---- */

static unsigned int stt_timeout_min_ms = 1;
static unsigned int stt_timeout_max_ms = STT_REASM_TIMEOUT_MAX_MS;
static unsigned long stt_high_thresh_max = STT_REASM_HIGH_THRESH_MAX;

enum { STT_SYSCTL_HIGH, STT_SYSCTL_LOW, STT_SYSCTL_TIMEOUT, STT_SYSCTL_NUM };

static const struct ctl_table stt_sysctl_template[STT_SYSCTL_NUM] = {
	[STT_SYSCTL_HIGH] = {
		.procname	= "reasm_high_thresh",
		.maxlen		= sizeof(unsigned long),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
	[STT_SYSCTL_LOW] = {
		.procname	= "reasm_low_thresh",
		.maxlen		= sizeof(unsigned long),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
	[STT_SYSCTL_TIMEOUT] = {
		.procname	= "reasm_timeout_ms",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= proc_douintvec_minmax,
		.extra1		= &stt_timeout_min_ms,
		.extra2		= &stt_timeout_max_ms,
	},
};

static int stt_sysctl_register(struct net *net, struct stt_net *sn)
{
	struct ctl_table *tbl;

	/* One zeroed entry more: the sentinel 6.1 needs. */
	tbl = kcalloc(STT_SYSCTL_NUM + 1, sizeof(*tbl), GFP_KERNEL);
	if (!tbl)
		return -ENOMEM;
	memcpy(tbl, stt_sysctl_template, sizeof(stt_sysctl_template));

	/* As for ipfrag: low <= high, each bounding the other. */
	tbl[STT_SYSCTL_HIGH].data = &sn->reasm_high_thresh;
	tbl[STT_SYSCTL_HIGH].extra1 = &sn->reasm_low_thresh;
	tbl[STT_SYSCTL_HIGH].extra2 = &stt_high_thresh_max;
	tbl[STT_SYSCTL_LOW].data = &sn->reasm_low_thresh;
	tbl[STT_SYSCTL_LOW].extra2 = &sn->reasm_high_thresh;
	tbl[STT_SYSCTL_TIMEOUT].data = &sn->reasm_timeout_ms;
	/*
	 * Read-only in a netns that an unprivileged user created: queued
	 * segments are not charged to a memcg, so only the host's root may
	 * decide how much a netns holds (there, the defaults).
	 */
	if (net->user_ns != &init_user_ns) {
		int i;

		for (i = 0; i < STT_SYSCTL_NUM; i++)
			tbl[i].mode = 0444;
	}

	sn->sysctl_hdr = stt_register_net_sysctl(net, "net/stt", tbl,
						 STT_SYSCTL_NUM);
	if (!sn->sysctl_hdr) {
		kfree(tbl);
		return -ENOMEM;
	}
	return 0;
}

static void stt_sysctl_unregister(struct stt_net *sn)
{
	const struct ctl_table *tbl = sn->sysctl_hdr->ctl_table_arg;

	unregister_net_sysctl_table(sn->sysctl_hdr);
	kfree(tbl);
}

/* ---- netns ---- */

static int __net_init stt_init_net(struct net *net)
{
	struct stt_net *sn = stt_pernet(net);
	int i;

	INIT_LIST_HEAD(&sn->dev_list);
	INIT_HLIST_HEAD(&sn->ports);
	for (i = 0; i < ARRAY_SIZE(sn->dev_hash); i++)
		INIT_HLIST_HEAD(&sn->dev_hash[i]);
	for (i = 0; i < ARRAY_SIZE(sn->peer_hash); i++)
		INIT_HLIST_HEAD(&sn->peer_hash[i]);
	atomic_long_set(&sn->reasm_mem, 0);
	atomic_long_set(&sn->reasm_mem_max, 0);
	sn->reasm_high_thresh = STT_REASM_HIGH_THRESH;
	sn->reasm_low_thresh = STT_REASM_LOW_THRESH;
	sn->reasm_timeout_ms = STT_REASM_TIMEOUT_MS;
	sn->stats = alloc_percpu(struct stt_net_stats);
	if (!sn->stats)
		return -ENOMEM;
	if (!proc_create_net_single("stt", 0444, net->proc_net,
				    stt_proc_show, NULL))
		goto free_stats;
	if (stt_sysctl_register(net, sn))
		goto remove_proc;
	atomic_inc(&stt_nr_netns);
	return 0;

remove_proc:
	remove_proc_entry("stt", net->proc_net);
free_stats:
	free_percpu(sn->stats);
	return -ENOMEM;
}

static void stt_queue_net_devices(struct net *net, struct list_head *head)
{
	struct stt_net *sn = stt_pernet(net);
	struct net_device *dev, *aux;
	struct stt_dev *stt;

	/* Devices living in @net ... */
	for_each_netdev_safe(net, dev, aux)
		if (dev->rtnl_link_ops == &stt_link_ops)
			unregister_netdevice_queue(dev, head);

	/* ... and devices elsewhere whose underlay is @net. */
	list_for_each_entry(stt, &sn->dev_list, next)
		if (!net_eq(dev_net(stt->dev), net))
			unregister_netdevice_queue(stt->dev, head);
}

static void __net_exit stt_exit_batch_net(struct list_head *net_list)
{
	struct net *net;
	LIST_HEAD(list);

	rtnl_lock();
	list_for_each_entry(net, net_list, exit_list)
		stt_queue_net_devices(net, &list);
	unregister_netdevice_many(&list);
	rtnl_unlock();
	/*
	 * No stt device is left, so the hooks queue nothing any more (a
	 * segment no device can take is not queued); unregister them all.
	 */
	stt_rx_hook_unregister_many(net_list);

	list_for_each_entry(net, net_list, exit_list) {
		struct stt_net *sn = stt_pernet(net);

		WARN_ON_ONCE(sn->nr_devs);
		stt_sysctl_unregister(sn);
		remove_proc_entry("stt", net->proc_net);
		free_percpu(sn->stats);
		atomic_dec(&stt_nr_netns);
	}
}

/*
 * The underlay device a device is bound to ("dev", which a multicast remote
 * requires) goes away: so does the device, as a vxlan device bound to a
 * lower device does.  Its ifindex and its group membership would otherwise
 * outlive the device they name.
 */
static int stt_netdev_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct net_device *ldev = netdev_notifier_info_to_dev(ptr);
	struct stt_dev *stt, *tmp;
	struct stt_net *sn;
	LIST_HEAD(list);

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	sn = stt_pernet(dev_net(ldev));
	list_for_each_entry_safe(stt, tmp, &sn->dev_list, next) {
		const struct stt_config *cfg = stt_cfg_rtnl(stt);

		/* Already on its way out, maybe in this very batch. */
		if (stt->dev->reg_state != NETREG_REGISTERED)
			continue;
		if (cfg->link == ldev->ifindex || stt->mc.ifindex == ldev->ifindex)
			unregister_netdevice_queue(stt->dev, &list);
	}
	unregister_netdevice_many(&list);
	return NOTIFY_DONE;
}

static struct notifier_block stt_notifier = {
	.notifier_call = stt_netdev_event,
};

static struct pernet_operations stt_net_ops = {
	.init		= stt_init_net,
	.exit_batch	= stt_exit_batch_net,
	.id		= &stt_net_id,
	.size		= sizeof(struct stt_net),
};

/* ---- module ---- */

static int __init stt_init_module(void)
{
	int err;

	stt_frame_id_init();
	err = stt_reasm_init();
	if (err)
		return err;
	err = register_pernet_subsys(&stt_net_ops);
	if (err)
		goto out_reasm;
	err = register_netdevice_notifier(&stt_notifier);
	if (err)
		goto out_pernet;
	err = rtnl_link_register(&stt_link_ops);
	if (err)
		goto out_notifier;
	return 0;

out_notifier:
	unregister_netdevice_notifier(&stt_notifier);
out_pernet:
	unregister_pernet_subsys(&stt_net_ops);
out_reasm:
	stt_reasm_exit();
	return err;
}
module_init(stt_init_module);

static void __exit stt_cleanup_module(void)
{
	/*
	 * Teardown order: devices (each netns's last one unregisters its hook
	 * and flushes that netns's frames on every CPU; in a dying netns the
	 * pernet exit does), then the per-netns state, then the per-CPU
	 * timers; rcu_barrier() lets the kfree_rcu() of port entries finish
	 * before the module text goes away.
	 */
	rtnl_link_unregister(&stt_link_ops);
	unregister_netdevice_notifier(&stt_notifier);
	unregister_pernet_subsys(&stt_net_ops);
	stt_reasm_exit();
	rcu_barrier();
}
module_exit(stt_cleanup_module);

MODULE_LICENSE("GPL");
MODULE_VERSION(STT_DRV_VERSION);
MODULE_AUTHOR("The stt developers");
MODULE_DESCRIPTION("Stateless Transport Tunneling (draft-davie-stt-03) netdevice");
MODULE_ALIAS_RTNL_LINK("stt");
