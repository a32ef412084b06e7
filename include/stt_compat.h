/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where the kernels stt supports (6.1, 6.12, 6.12-rt, 7.x)
 * differ for it.  Feature macros, not version numbers: Debian backports
 * make LINUX_VERSION_CODE lie.
 */
#ifndef _STT_COMPAT_H
#define _STT_COMPAT_H

#include <linux/version.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <net/net_namespace.h>
#include <net/ip_tunnels.h>
#include <net/tcp.h>

#ifdef STT_HAVE_NET_GSO_H	/* set by Kbuild */
#include <net/gso.h>		/* 6.5+: skb_gso_segment() moved here */
#endif

/* 6.16 renamed from_timer(); neither 6.1 nor 6.12 has the new name. */
#ifndef timer_container_of
#define timer_container_of(var, timer, field) from_timer(var, timer, field)
#endif

/* NETIF_F_LLTX became dev->lltx in 6.9. */
static inline void stt_set_lltx(struct net_device *dev)
{
#ifdef NETIF_F_LLTX
	dev->features |= NETIF_F_LLTX;
#else
	dev->lltx = true;
#endif
}

/*
 * 6.5 made register_net_sysctl() a macro over register_net_sysctl_sz(),
 * which takes the entry count and no sentinel; 6.1 needs the sentinel.
 * Tables are allocated with @n + 1 entries, the last one zeroed.
 */
static inline struct ctl_table_header *
stt_register_net_sysctl(struct net *net, const char *path,
			struct ctl_table *table, size_t n)
{
#ifdef register_net_sysctl
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);	/* sentinel at [n] */
#endif
}

/*
 * 6.10 turned ip_tunnel_key.tun_flags from a __be16 of TUNNEL_* bits into
 * a bitmap of IP_TUNNEL_*_BIT.
 */
static inline void stt_tun_set_key(struct ip_tunnel_key *key)
{
#ifdef IP_TUNNEL_DECLARE_FLAGS
	__set_bit(IP_TUNNEL_KEY_BIT, key->tun_flags);
#else
	key->tun_flags |= TUNNEL_KEY;
#endif
}

static inline bool stt_tun_df(const struct ip_tunnel_key *key)
{
#ifdef IP_TUNNEL_DECLARE_FLAGS
	return test_bit(IP_TUNNEL_DONT_FRAGMENT_BIT, key->tun_flags);
#else
	return key->tun_flags & TUNNEL_DONT_FRAGMENT;
#endif
}

/*
 * The smallest gso_size Linux's TCP produces (its minimum MSS less 40
 * bytes of options); a stable backport in 6.1, not in every 6.1.
 */
#ifndef TCP_MIN_GSO_SIZE
#define TCP_MIN_GSO_SIZE	(TCP_MIN_SND_MSS - MAX_TCP_OPTION_SPACE)
#endif

/*
 * A slab cache that is never merged with another (6.4 added SLAB_NO_MERGE).
 * Before it, slab_unmergeable() (mm/slab_common.c) keeps a cache apart if
 * it has a constructor; the other ways (a usercopy region, debug or
 * SLAB_NOLEAKTRACE flags) would change what the cache is checked for.  An
 * empty constructor costs nothing, but SLUB warns on __GFP_ZERO with one,
 * so the object is zeroed after the allocation instead.
 */
#ifdef SLAB_NO_MERGE
static inline struct kmem_cache *
stt_kmem_cache_no_merge(const char *name, unsigned int size,
			unsigned int align)
{
	return kmem_cache_create(name, size, align, SLAB_NO_MERGE, NULL);
}

static inline void *stt_cache_zalloc(struct kmem_cache *c, size_t size,
				     gfp_t gfp)
{
	return kmem_cache_zalloc(c, gfp);
}
#else
static inline void stt_no_merge_ctor(void *obj)
{
}

static inline struct kmem_cache *
stt_kmem_cache_no_merge(const char *name, unsigned int size,
			unsigned int align)
{
	return kmem_cache_create(name, size, align, 0, stt_no_merge_ctor);
}

static inline void *stt_cache_zalloc(struct kmem_cache *c, size_t size,
				     gfp_t gfp)
{
	void *p = kmem_cache_alloc(c, gfp);

	if (p)
		memset(p, 0, size);
	return p;
}
#endif

/*
 * 6.15 hands rtnl_link_ops.newlink() its netns and attributes in a struct
 * rtnl_newlink_params; before, they were arguments, the netns already the
 * link netns (IFLA_LINK_NETNSID's, else the caller's), which is what
 * rtnl_newlink_link_net() returns.  STT_NEWLINK(fn) defines fn_ops(), the
 * form this kernel calls, over int fn(struct net *, struct net_device *,
 * struct nlattr *data[], struct netlink_ext_ack *).
 */
#ifdef STT_HAVE_NEWLINK_PARAMS	/* set by Kbuild */
#define STT_NEWLINK(fn)							\
static int fn##_ops(struct net_device *dev,				\
		    struct rtnl_newlink_params *params,			\
		    struct netlink_ext_ack *extack)			\
{									\
	return fn(rtnl_newlink_link_net(params), dev, params->data, extack); \
}
#else
#define STT_NEWLINK(fn)							\
static int fn##_ops(struct net *net, struct net_device *dev,		\
		    struct nlattr *tb[], struct nlattr *data[],		\
		    struct netlink_ext_ack *extack)			\
{									\
	return fn(net, dev, data, extack);				\
}
#endif

/*
 * 7.x has no ipv6_stub (no <net/ipv6_stubs.h>): ip6_dst_lookup_flow() is
 * called directly.  Before, a module that must not pin ipv6.ko went
 * through the stub, as geneve and vxlan did.
 */
#ifdef STT_HAVE_IPV6_STUBS	/* set by Kbuild */
#include <net/ipv6_stubs.h>

static inline struct dst_entry *
stt_ip6_dst_lookup_flow(struct net *net, struct flowi6 *fl6)
{
	return ipv6_stub->ipv6_dst_lookup_flow(net, NULL, fl6, NULL);
}
#else
#include <net/ipv6.h>

static inline struct dst_entry *
stt_ip6_dst_lookup_flow(struct net *net, struct flowi6 *fl6)
{
	return ip6_dst_lookup_flow(net, NULL, fl6, NULL);
}
#endif

/*
 * 7.x's struct flowi4 has flowi4_dscp where flowi4_tos (matched against
 * IPTOS_TOS_MASK) was; the route lookup takes the outer header's DS field.
 */
#ifdef flowi4_dscp
#include <net/inet_dscp.h>

static inline void stt_fl4_set_tos(struct flowi4 *fl4, u8 tos)
{
	fl4->flowi4_dscp = inet_dsfield_to_dscp(tos);
}
#else
static inline void stt_fl4_set_tos(struct flowi4 *fl4, u8 tos)
{
	fl4->flowi4_tos = tos & IPTOS_TOS_MASK;
}
#endif

#endif /* _STT_COMPAT_H */
