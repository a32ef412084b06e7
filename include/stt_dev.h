/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What stt.ko exports to other modules: vport-stt, Open vSwitch's "stt"
 * port type, creates its device with these.
 */
#ifndef STT_DEV_H
#define STT_DEV_H

#include <linux/netdevice.h>

struct net_device *stt_dev_create_fb(struct net *net, const char *name,
				     u8 name_assign_type, u16 dst_port);
int stt_dev_dst_port(const struct net_device *dev);

#endif /* STT_DEV_H */
