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
	IFLA_STT_REMOTE,	/* __be32: IPv4 remote endpoint (required) */
	IFLA_STT_LOCAL,		/* __be32: IPv4 local endpoint (0: any) */
	IFLA_STT_KEY,		/* u64: 64-bit Context ID, host order */
	IFLA_STT_PORT,		/* __be16: destination TCP port, default 7471 */
	IFLA_STT_TTL,		/* u8: outer TTL, 0 = route default */
	IFLA_STT_TOS,		/* u8: outer TOS, 1 = inherit from inner */
	IFLA_STT_PAD,		/* padding for the 64-bit key, never sent */
	__IFLA_STT_MAX
};

#define IFLA_STT_MAX	(__IFLA_STT_MAX - 1)

#endif /* _UAPI_LINUX_STT_H */
