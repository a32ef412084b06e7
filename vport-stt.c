// SPDX-License-Identifier: GPL-2.0
/*
 * vport-stt: Open vSwitch's "stt" port type (OVS_VPORT_TYPE_STT, 106) for
 * the kernel's own openvswitch.ko, on an external stt device.
 *
 * ovs-vswitchd 3.1 asks for an STT port with OVS_VPORT_CMD_NEW, type 106,
 * name "stt_sys_<port>" and OVS_TUNNEL_ATTR_DST_PORT; openvswitch.ko then
 * calls request_module("vport-type-106"), which loads this module.  The
 * port is an external (collect_md) stt device, as vport-geneve.c makes a
 * geneve one: transmit takes each packet's tunnel metadata from the
 * datapath's set(tunnel(...)), receive hands the outer addresses and the
 * Context ID back to it as tunnel metadata.
 *
 * net/openvswitch/vport.h and datapath.h are not in linux-headers, so the
 * few layouts this module needs are mirrored here and checked at build time
 * against the BTF of the openvswitch.ko that modprobe loads for the target
 * kernel (tools/ovs-layout.sh writes stt_ovs_layout.h; without it this
 * module is not built).  modversions then keeps any other openvswitch.ko
 * from taking it, and every new port checks what ovs_vport_alloc() wrote
 * against the mirror before it is used: a mismatch refuses the port with a
 * dmesg line, it never guesses.  struct vport's size differs between
 * kernels (104 on 6.1, 112 on 6.12), so nothing is kept in vport_priv():
 * the port's device is reached through vport->dev, which is at offset 0 on
 * both.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/openvswitch.h>
#include <linux/rtnetlink.h>
#include <net/net_namespace.h>
#include <net/netlink.h>

#include "stt_dev.h"
#include "stt_ovs.h"

static struct vport_ops stt_vport_ops;

/* A field of struct vport or struct datapath at its BTF offset. */
#define STT_OVS_FIELD(type, p, OFF) \
	(*(type *)((u8 *)(p) + STT_OVS_##OFF))

static struct net_device *stt_vport_dev(const struct vport *vport)
{
	return STT_OVS_FIELD(struct net_device * const, vport, VPORT_DEV);
}

/* ovs_dp_get_net(): read_pnet(&dp->net). */
static struct net *stt_vport_dp_net(const struct datapath *dp)
{
	return read_pnet(&STT_OVS_FIELD(const possible_net_t, dp, DATAPATH_NET));
}

/* Did ovs_vport_alloc() write what the mirror says, where it says? */
static bool stt_vport_layout_ok(const struct vport *vport,
				const struct vport_parms *parms)
{
	return STT_OVS_FIELD(struct datapath * const, vport, VPORT_DP) ==
		       parms->dp &&
	       STT_OVS_FIELD(const u16, vport, VPORT_PORT_NO) ==
		       parms->port_no &&
	       STT_OVS_FIELD(const struct vport_ops * const, vport,
			     VPORT_OPS) == &stt_vport_ops &&
	       !stt_vport_dev(vport);
}

static int stt_vport_get_options(const struct vport *vport,
				 struct sk_buff *skb)
{
	int port = stt_dev_dst_port(stt_vport_dev(vport));

	if (port < 0)
		return port;
	if (nla_put_u16(skb, OVS_TUNNEL_ATTR_DST_PORT, port))
		return -EMSGSIZE;
	return 0;
}

static struct vport *stt_vport_tnl_create(const struct vport_parms *parms)
{
	struct net_device *dev;
	struct vport *vport;
	struct nlattr *a;
	u16 dst_port;
	int err;

	/* Only openvswitch.ko calls this, and only for our type. */
	if (parms->type != STT_OVS_VPORT_TYPE_STT) {
		pr_err("struct vport_parms is not the layout this module was built for: refusing the port\n");
		return ERR_PTR(-EPROTO);
	}
	if (!parms->options)
		return ERR_PTR(-EINVAL);
	a = nla_find_nested(parms->options, OVS_TUNNEL_ATTR_DST_PORT);
	if (!a || nla_len(a) != sizeof(u16))
		return ERR_PTR(-EINVAL);	/* userspace always sends it */
	dst_port = nla_get_u16(a);

	vport = ovs_vport_alloc(0, &stt_vport_ops, parms);
	if (IS_ERR(vport))
		return vport;
	if (!stt_vport_layout_ok(vport, parms)) {
		pr_err("struct vport is not the layout this module was built for: refusing the port\n");
		ovs_vport_free(vport);
		return ERR_PTR(-EPROTO);
	}

	rtnl_lock();
	dev = stt_dev_create_fb(stt_vport_dp_net(parms->dp), parms->name,
				NET_NAME_USER, dst_port);
	if (IS_ERR(dev)) {
		rtnl_unlock();
		ovs_vport_free(vport);
		return ERR_CAST(dev);
	}
	err = dev_change_flags(dev, dev->flags | IFF_UP, NULL);
	if (err < 0) {
		unregister_netdevice(dev);
		rtnl_unlock();
		ovs_vport_free(vport);
		return ERR_PTR(err);
	}
	rtnl_unlock();
	return vport;
}

static struct vport *stt_vport_create(const struct vport_parms *parms)
{
	struct vport *vport = stt_vport_tnl_create(parms);

	if (IS_ERR(vport))
		return vport;
	return ovs_netdev_link(vport, parms->name);
}

static struct vport_ops stt_vport_ops = {
	.type		= STT_OVS_VPORT_TYPE_STT,
	.create		= stt_vport_create,
	.destroy	= ovs_netdev_tunnel_destroy,
	.get_options	= stt_vport_get_options,
	.send		= dev_queue_xmit,
};

static int __init stt_vport_init(void)
{
	int err;

	/* ovs_vport_ops_register() is a macro around this. */
	stt_vport_ops.owner = THIS_MODULE;
	err = __ovs_vport_ops_register(&stt_vport_ops);
	if (err)
		return err;
	/* It list_add_tail()s our ops: the list must be where we say. */
	if (stt_vport_ops.list.next->prev != &stt_vport_ops.list) {
		pr_err("struct vport_ops is not the layout this module was built for\n");
		ovs_vport_ops_unregister(&stt_vport_ops);
		return -EPROTO;
	}
	return 0;
}
module_init(stt_vport_init);

static void __exit stt_vport_exit(void)
{
	ovs_vport_ops_unregister(&stt_vport_ops);
}
module_exit(stt_vport_exit);

MODULE_DESCRIPTION("Open vSwitch: STT port type, on stt.ko");
MODULE_LICENSE("GPL");
MODULE_ALIAS("vport-type-106");
