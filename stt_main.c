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
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/sysctl.h>
#include <net/netns/generic.h>
#include <net/rtnetlink.h>

#include "stt.h"

#define STT_DRV_VERSION		"0.1"

static unsigned int stt_net_id __read_mostly;
static struct rtnl_link_ops stt_link_ops;

static const char stt_dev_stat_names[STT_DEV_STATS_NUM][ETH_GSTRING_LEN] = {
	[STT_DEV_RX_FRAMES]		= "rx_frames",
	[STT_DEV_RX_FASTPATH]		= "rx_fastpath_frames",
	[STT_DEV_RX_REASM]		= "rx_reasm_frames",
	[STT_DEV_RX_SKBS]		= "rx_skbs",
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
	[STT_NET_RX_TCP_OPTIONS]	= "rx_tcp_options",
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

/*
 * The device for a frame: (remote, key, port) must match; a device bound
 * to the frame's destination address wins over one with a wildcard local.
 */
struct stt_dev *stt_lookup_dev(struct stt_net *sn, __be32 saddr, __be32 daddr,
			       __be16 dport, u64 key)
{
	struct stt_dev *stt, *wildcard = NULL;

	hlist_for_each_entry_rcu(stt, stt_dev_bucket(sn, key, dport), hlist) {
		const struct stt_config *cfg = &stt->cfg;

		if (cfg->key != key || cfg->dport != dport ||
		    cfg->remote != saddr || !(stt->dev->flags & IFF_UP))
			continue;
		if (cfg->local == daddr)
			return stt;
		if (!cfg->local)
			wildcard = stt;
	}
	return wildcard;
}

bool stt_port_in_use(struct stt_net *sn, __be16 port)
{
	struct stt_port *p;

	hlist_for_each_entry_rcu(p, &sn->ports, node)
		if (p->port == port)
			return true;
	return false;
}

/* ---- Per-netns bookkeeping (RTNL) ---- */

static int stt_port_get(struct stt_net *sn, __be16 port)
{
	struct stt_port *p;

	hlist_for_each_entry(p, &sn->ports, node) {
		if (p->port == port) {
			p->refs++;
			return 0;
		}
	}
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->port = port;
	p->refs = 1;
	hlist_add_head_rcu(&p->node, &sn->ports);
	return 0;
}

static void stt_port_put(struct stt_net *sn, __be16 port)
{
	struct stt_port *p;

	hlist_for_each_entry(p, &sn->ports, node) {
		if (p->port != port)
			continue;
		if (!--p->refs) {
			hlist_del_rcu(&p->node);
			kfree_rcu(p, rcu);
		}
		return;
	}
}

/* Make @stt visible to the receive path of its underlay netns. */
static int stt_net_link(struct stt_dev *stt)
{
	struct stt_net *sn = stt_pernet(stt->net);
	int err;

	if (!sn->nr_devs) {
		err = stt_rx_hook_register(stt->net);
		if (err)
			return err;
	}
	err = stt_port_get(sn, stt->cfg.dport);
	if (err) {
		if (!sn->nr_devs)
			stt_rx_hook_unregister(stt->net);
		return err;
	}
	sn->nr_devs++;
	list_add(&stt->next, &sn->dev_list);
	hlist_add_head_rcu(&stt->hlist,
			   stt_dev_bucket(sn, stt->cfg.key, stt->cfg.dport));
	return 0;
}

static void stt_net_unlink(struct stt_dev *stt)
{
	struct stt_net *sn = stt_pernet(stt->net);

	hlist_del_rcu(&stt->hlist);
	list_del(&stt->next);
	stt_port_put(sn, stt->cfg.dport);
	if (!--sn->nr_devs)
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
	err = dst_cache_init(&stt->dst_cache, GFP_KERNEL);
	if (err)
		goto free_stats;
	err = gro_cells_init(&stt->gro_cells, dev);
	if (err)
		goto free_cache;
	err = stt_net_link(stt);
	if (err)
		goto free_cells;
	netdev_lockdep_set_classes(dev);
	return 0;

free_cells:
	gro_cells_destroy(&stt->gro_cells);
free_cache:
	dst_cache_destroy(&stt->dst_cache);
free_stats:
	free_percpu(stt->xstats);
	return err;
}

static void stt_dev_uninit(struct net_device *dev)
{
	struct stt_dev *stt = netdev_priv(dev);

	stt_net_unlink(stt);
	gro_cells_destroy(&stt->gro_cells);
	dst_cache_destroy(&stt->dst_cache);
	free_percpu(stt->xstats);
}

static int stt_change_mtu(struct net_device *dev, int new_mtu)
{
	WRITE_ONCE(dev->mtu, new_mtu);
	return 0;
}

static const struct net_device_ops stt_netdev_ops = {
	.ndo_init		= stt_dev_init,
	.ndo_uninit		= stt_dev_uninit,
	.ndo_start_xmit		= stt_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
	.ndo_change_mtu		= stt_change_mtu,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_set_mac_address	= eth_mac_addr,
};

/* ---- ethtool ---- */

static void stt_get_drvinfo(struct net_device *dev,
			    struct ethtool_drvinfo *info)
{
	struct stt_dev *stt = netdev_priv(dev);

	strscpy(info->driver, "stt", sizeof(info->driver));
	strscpy(info->version, STT_DRV_VERSION, sizeof(info->version));
	snprintf(info->bus_info, sizeof(info->bus_info), "stt:%pI4:%u",
		 &stt->cfg.remote, ntohs(stt->cfg.dport));
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
};

static bool stt_addr_unicast(__be32 addr)
{
	return !ipv4_is_multicast(addr) && !ipv4_is_lbcast(addr) &&
	       !ipv4_is_zeronet(addr);
}

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

	if (!data || !data[IFLA_STT_REMOTE]) {
		NL_SET_ERR_MSG(extack, "STT remote address is required");
		return -EINVAL;
	}
	if (!stt_addr_unicast(nla_get_in_addr(data[IFLA_STT_REMOTE]))) {
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_REMOTE],
				    "STT remote must be a unicast IPv4 address");
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
	if (data[IFLA_STT_PORT] && !nla_get_be16(data[IFLA_STT_PORT])) {
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_STT_PORT],
				    "STT destination port must not be 0");
		return -EINVAL;
	}
	return 0;
}

static void stt_nl2cfg(struct nlattr *data[], struct stt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dport = htons(STT_DEFAULT_PORT);
	cfg->remote = nla_get_in_addr(data[IFLA_STT_REMOTE]);
	if (data[IFLA_STT_LOCAL])
		cfg->local = nla_get_in_addr(data[IFLA_STT_LOCAL]);
	if (data[IFLA_STT_KEY])
		cfg->key = nla_get_u64(data[IFLA_STT_KEY]);
	if (data[IFLA_STT_PORT])
		cfg->dport = nla_get_be16(data[IFLA_STT_PORT]);
	if (data[IFLA_STT_TTL])
		cfg->ttl = nla_get_u8(data[IFLA_STT_TTL]);
	if (data[IFLA_STT_TOS])
		cfg->tos = nla_get_u8(data[IFLA_STT_TOS]);
}

static int stt_newlink(struct net *net, struct net_device *dev,
		       struct nlattr *tb[], struct nlattr *data[],
		       struct netlink_ext_ack *extack)
{
	struct stt_net *sn = stt_pernet(net);
	struct stt_dev *stt = netdev_priv(dev), *other;
	int err;

	stt->dev = dev;
	stt->net = net;
	stt_nl2cfg(data, &stt->cfg);

	list_for_each_entry(other, &sn->dev_list, next) {
		const struct stt_config *o = &other->cfg;

		if (o->remote == stt->cfg.remote && o->local == stt->cfg.local &&
		    o->key == stt->cfg.key && o->dport == stt->cfg.dport) {
			NL_SET_ERR_MSG(extack,
				       "An STT device with this local, remote, key and dstport already exists");
			return -EBUSY;
		}
	}

	err = register_netdevice(dev);
	if (err)
		NL_SET_ERR_MSG(extack, "Failed to register the STT device");
	return err;
}

static void stt_dellink(struct net_device *dev, struct list_head *head)
{
	unregister_netdevice_queue(dev, head);
}

static size_t stt_get_size(const struct net_device *dev)
{
	return nla_total_size(sizeof(__be32)) +		/* REMOTE */
	       nla_total_size(sizeof(__be32)) +		/* LOCAL */
	       nla_total_size_64bit(sizeof(u64)) +	/* KEY */
	       nla_total_size(sizeof(__be16)) +		/* PORT */
	       nla_total_size(sizeof(u8)) +		/* TTL */
	       nla_total_size(sizeof(u8));		/* TOS */
}

static int stt_fill_info(struct sk_buff *skb, const struct net_device *dev)
{
	const struct stt_dev *stt = netdev_priv(dev);
	const struct stt_config *cfg = &stt->cfg;

	if (nla_put_in_addr(skb, IFLA_STT_REMOTE, cfg->remote) ||
	    nla_put_in_addr(skb, IFLA_STT_LOCAL, cfg->local) ||
	    nla_put_u64_64bit(skb, IFLA_STT_KEY, cfg->key, IFLA_STT_PAD) ||
	    nla_put_be16(skb, IFLA_STT_PORT, cfg->dport) ||
	    nla_put_u8(skb, IFLA_STT_TTL, cfg->ttl) ||
	    nla_put_u8(skb, IFLA_STT_TOS, cfg->tos))
		return -EMSGSIZE;
	return 0;
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
	.newlink	= stt_newlink,
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
	return 0;
}

/* ---- net.stt.* sysctls, per netns ---- */

static unsigned int stt_timeout_min_ms = 1;
static unsigned int stt_timeout_max_ms = STT_REASM_TIMEOUT_MAX_MS;

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
	tbl[STT_SYSCTL_LOW].data = &sn->reasm_low_thresh;
	tbl[STT_SYSCTL_LOW].extra2 = &sn->reasm_high_thresh;
	tbl[STT_SYSCTL_TIMEOUT].data = &sn->reasm_timeout_ms;

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
	atomic_long_set(&sn->reasm_mem, 0);
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

	list_for_each_entry(net, net_list, exit_list) {
		struct stt_net *sn = stt_pernet(net);

		WARN_ON_ONCE(sn->nr_devs);
		stt_sysctl_unregister(sn);
		remove_proc_entry("stt", net->proc_net);
		free_percpu(sn->stats);
	}
}

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
	err = rtnl_link_register(&stt_link_ops);
	if (err)
		goto out_pernet;
	return 0;

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
	 * and flushes that netns's frames on every CPU), then the per-netns
	 * state, then the per-CPU timers; rcu_barrier() lets the kfree_rcu()
	 * of port entries finish before the module text goes away.
	 */
	rtnl_link_unregister(&stt_link_ops);
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
