/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of net/openvswitch/vport.h that vport-stt.c needs, which
 * linux-headers do not ship: mirrors checked against the target's own
 * openvswitch.ko (stt_ovs_layout.h, written by tools/ovs-layout.sh from its
 * BTF), and the prototypes of openvswitch.ko's exports.
 */
#ifndef STT_OVS_H
#define STT_OVS_H

#include <linux/build_bug.h>
#include <linux/openvswitch.h>
#include <linux/stddef.h>

#include "stt_ovs_layout.h"

/* OVS userspace's enum ovs_vport_type; the kernel's uapi stops at GENEVE. */
#define STT_OVS_VPORT_TYPE_STT	106

struct vport;
struct datapath;

/* Mirror of net/openvswitch/vport.h's struct vport_parms. */
struct vport_parms {
	const char *name;
	enum ovs_vport_type type;
	int desired_ifindex;
	struct nlattr *options;
	struct datapath *dp;
	u16 port_no;
	struct nlattr *upcall_portids;
};

/* Mirror of net/openvswitch/vport.h's struct vport_ops. */
struct vport_ops {
	enum ovs_vport_type type;
	struct vport *(*create)(const struct vport_parms *parms);
	void (*destroy)(struct vport *vport);
	int (*set_options)(struct vport *vport, struct nlattr *options);
	int (*get_options)(const struct vport *vport, struct sk_buff *skb);
	int (*send)(struct sk_buff *skb);
	struct module *owner;
	struct list_head list;
};

#define STT_OVS_CHECK(s, m, M) \
	static_assert(offsetof(struct s, m) == STT_OVS_##M)
static_assert(sizeof(struct vport_parms) == STT_OVS_VPORT_PARMS_SIZE);
STT_OVS_CHECK(vport_parms, name, VPORT_PARMS_NAME);
STT_OVS_CHECK(vport_parms, type, VPORT_PARMS_TYPE);
STT_OVS_CHECK(vport_parms, desired_ifindex, VPORT_PARMS_DESIRED_IFINDEX);
STT_OVS_CHECK(vport_parms, options, VPORT_PARMS_OPTIONS);
STT_OVS_CHECK(vport_parms, dp, VPORT_PARMS_DP);
STT_OVS_CHECK(vport_parms, port_no, VPORT_PARMS_PORT_NO);
STT_OVS_CHECK(vport_parms, upcall_portids, VPORT_PARMS_UPCALL_PORTIDS);
static_assert(sizeof(struct vport_ops) == STT_OVS_VPORT_OPS_SIZE);
STT_OVS_CHECK(vport_ops, type, VPORT_OPS_TYPE);
STT_OVS_CHECK(vport_ops, create, VPORT_OPS_CREATE);
STT_OVS_CHECK(vport_ops, destroy, VPORT_OPS_DESTROY);
STT_OVS_CHECK(vport_ops, set_options, VPORT_OPS_SET_OPTIONS);
STT_OVS_CHECK(vport_ops, get_options, VPORT_OPS_GET_OPTIONS);
STT_OVS_CHECK(vport_ops, send, VPORT_OPS_SEND);
STT_OVS_CHECK(vport_ops, owner, VPORT_OPS_OWNER);
STT_OVS_CHECK(vport_ops, list, VPORT_OPS_LIST);

/* openvswitch.ko's exports (net/openvswitch/vport.h, vport-netdev.h). */
int __ovs_vport_ops_register(struct vport_ops *ops);
void ovs_vport_ops_unregister(struct vport_ops *ops);
struct vport *ovs_vport_alloc(int priv_size, const struct vport_ops *ops,
			      const struct vport_parms *parms);
void ovs_vport_free(struct vport *vport);
struct vport *ovs_netdev_link(struct vport *vport, const char *name);
void ovs_netdev_tunnel_destroy(struct vport *vport);

#endif /* STT_OVS_H */
