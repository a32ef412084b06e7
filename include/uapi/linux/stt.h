/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * STT (Stateless Transport Tunneling, draft-davie-stt-03) rtnetlink ABI.
 *
 * Shared by the kernel module and the iproute2 plugin.  Attribute 0 is
 * UNSPEC, as rtnetlink requires; the numbering is append-only.
 */
#ifndef _UAPI_LINUX_STT_H
#define _UAPI_LINUX_STT_H

#include <linux/types.h>

#define STT_DEFAULT_PORT	7471

enum {
	IFLA_STT_UNSPEC,
	IFLA_STT_REMOTE,	/* __be32: IPv4 remote (this or REMOTE6) */
	IFLA_STT_LOCAL,		/* __be32: IPv4 local endpoint (0: any) */
	IFLA_STT_KEY,		/* u64: 64-bit Context ID, host order */
	IFLA_STT_PORT,		/* __be16: destination TCP port, default 7471 */
	IFLA_STT_TTL,		/* u8: outer TTL, 0 = route default */
	IFLA_STT_TOS,		/* u8: outer TOS, 1 = inherit from inner */
	IFLA_STT_PAD,		/* padding for the 64-bit key, never sent */
	IFLA_STT_REMOTE6,	/* struct in6_addr: IPv6 remote (or REMOTE) */
	IFLA_STT_LOCAL6,	/* struct in6_addr: IPv6 local (::: any) */
	IFLA_STT_PORT_RANGE,	/* struct ifla_stt_port_range: source ports */
	IFLA_STT_TTL_INHERIT,	/* u8: 1 = outer TTL from the inner TTL */
	IFLA_STT_DF,		/* u8: enum ifla_stt_df, IPv4 underlay only */
	IFLA_STT_DSCP_DECAP,	/* u8: 1 = copy the outer DSCP inward */
	IFLA_STT_LINK,		/* u32: underlay ifindex to send on, 0 = any */
	IFLA_STT_COLLECT_METADATA, /* flag: "external", endpoints per packet */
	__IFLA_STT_MAX
};

#define IFLA_STT_MAX	(__IFLA_STT_MAX - 1)

/* The outer IPv4 DF bit, as vxlan and geneve define it. */
enum ifla_stt_df {
	STT_DF_UNSET = 0,	/* never set */
	STT_DF_SET,		/* always set */
	STT_DF_INHERIT,		/* set for inner IPv6 and inner IPv4 with DF */
	__STT_DF_END,
	STT_DF_MAX = __STT_DF_END - 1,
};

/* Outer TCP source ports, low <= high, both inclusive (vxlan's layout). */
struct ifla_stt_port_range {
	__be16	low;
	__be16	high;
};

#define STT_SRC_PORT_MIN	49152
#define STT_SRC_PORT_MAX	65535

#endif /* _UAPI_LINUX_STT_H */
