// SPDX-License-Identifier: GPL-2.0
/*
 * fake_dump.so - LD_PRELOAD shim to exercise link_stt.so's print_opt on a
 * host without the stt module.
 *
 * It wraps recvmsg(): in every RTM_NEWLINK whose IFLA_INFO_KIND is
 * "vxlan", the kind becomes "stt" and the IFLA_INFO_DATA payload is
 * replaced, in place, by the attributes in $STT_FAKE_ATTRS, e.g.
 *
 *   STT_FAKE_ATTRS="1:c0000202 3:8877665544332211 5:00"
 *
 * (TYPE:HEXBYTES, space separated, bytes in wire order), followed by one
 * IFLA_STT_PAD filler so the nest keeps its length.  ip then runs the
 * plugin's print_opt on it exactly as it would for a real stt device.
 *
 * It also wraps sendmsg(): with $STT_DUMP_TX set, the IFLA_INFO_DATA of
 * each outgoing RTM_NEWLINK is written to stderr in the same notation,
 * as "tx: 1:c0000202 3:8877665544332211", so parse_opt can be checked.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>

#include <linux/stt.h>

static int build_attrs(unsigned char *out, int room)
{
	const char *spec = getenv("STT_FAKE_ATTRS");
	char *copy, *tok, *save = NULL;
	int used = 0;

	if (!spec)
		return 0;
	copy = strdup(spec);
	for (tok = strtok_r(copy, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		struct rtattr *rta = (struct rtattr *)(out + used);
		char *hex = strchr(tok, ':');
		int type, n = 0;

		if (!hex)
			continue;
		*hex++ = '\0';
		type = atoi(tok);
		if (used + RTA_SPACE(strlen(hex) / 2) > (unsigned int)room) {
			fprintf(stderr, "fake_dump: INFO_DATA too small\n");
			exit(99);
		}
		memset(rta, 0, RTA_SPACE(strlen(hex) / 2));
		for (; hex[0] && hex[1]; hex += 2, n++) {
			unsigned int b;

			sscanf(hex, "%2x", &b);
			((unsigned char *)RTA_DATA(rta))[n] = b;
		}
		rta->rta_type = type;
		rta->rta_len = RTA_LENGTH(n);
		used += RTA_ALIGN(rta->rta_len);
	}
	free(copy);
	return used;
}

static void rewrite_linkinfo(struct rtattr *li)
{
	struct rtattr *rta, *kind = NULL, *data = NULL;
	int len = RTA_PAYLOAD(li);

	for (rta = RTA_DATA(li); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if ((rta->rta_type & NLA_TYPE_MASK) == IFLA_INFO_KIND)
			kind = rta;
		else if ((rta->rta_type & NLA_TYPE_MASK) == IFLA_INFO_DATA)
			data = rta;
	}
	if (!kind || !data || RTA_PAYLOAD(kind) < 4 ||
	    strcmp(RTA_DATA(kind), "vxlan"))
		return;

	memset(RTA_DATA(kind), 0, RTA_PAYLOAD(kind));
	memcpy(RTA_DATA(kind), "stt", 3);

	{
		int room = RTA_PAYLOAD(data) & ~3;
		unsigned char *p = RTA_DATA(data);
		int used = build_attrs(p, room);

		if (room - used >= (int)RTA_LENGTH(0)) {
			struct rtattr *pad = (struct rtattr *)(p + used);

			memset(pad, 0, room - used);
			pad->rta_type = IFLA_STT_PAD;
			pad->rta_len = room - used;
		}
		data->rta_len = RTA_LENGTH(room);
	}
}

static void rewrite(void *buf, size_t len)
{
	struct nlmsghdr *h;

	for (h = buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		struct rtattr *rta;
		int alen;

		if (h->nlmsg_type != RTM_NEWLINK ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
			continue;
		alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(struct ifinfomsg));
		for (rta = IFLA_RTA(NLMSG_DATA(h)); RTA_OK(rta, alen);
		     rta = RTA_NEXT(rta, alen))
			if ((rta->rta_type & NLA_TYPE_MASK) == IFLA_LINKINFO)
				rewrite_linkinfo(rta);
	}
}

static void dump_linkinfo(struct rtattr *li)
{
	struct rtattr *rta, *a;
	int len = RTA_PAYLOAD(li), dlen;

	for (rta = RTA_DATA(li); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if ((rta->rta_type & NLA_TYPE_MASK) != IFLA_INFO_DATA)
			continue;
		fprintf(stderr, "tx:");
		dlen = RTA_PAYLOAD(rta);
		for (a = RTA_DATA(rta); RTA_OK(a, dlen); a = RTA_NEXT(a, dlen)) {
			unsigned int i;

			fprintf(stderr, " %d:", a->rta_type);
			for (i = 0; i < RTA_PAYLOAD(a); i++)
				fprintf(stderr, "%02x",
					((unsigned char *)RTA_DATA(a))[i]);
		}
		fprintf(stderr, "\n");
	}
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, const struct msghdr *, int);

	if (!real)
		real = (ssize_t (*)(int, const struct msghdr *, int))
			dlsym(RTLD_NEXT, "sendmsg");
	if (getenv("STT_DUMP_TX") && msg->msg_iovlen >= 1) {
		struct nlmsghdr *h = msg->msg_iov[0].iov_base;
		size_t len = msg->msg_iov[0].iov_len;

		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			struct rtattr *rta;
			int alen;

			if (h->nlmsg_type != RTM_NEWLINK ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
				continue;
			alen = h->nlmsg_len -
			       NLMSG_LENGTH(sizeof(struct ifinfomsg));
			for (rta = IFLA_RTA(NLMSG_DATA(h)); RTA_OK(rta, alen);
			     rta = RTA_NEXT(rta, alen))
				if ((rta->rta_type & NLA_TYPE_MASK) ==
				    IFLA_LINKINFO)
					dump_linkinfo(rta);
		}
	}
	return real(fd, msg, flags);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, struct msghdr *, int);
	ssize_t r;

	if (!real)
		real = (ssize_t (*)(int, struct msghdr *, int))
			dlsym(RTLD_NEXT, "recvmsg");
	r = real(fd, msg, flags);
	if (r > 0 && msg->msg_iovlen >= 1 && !(flags & MSG_TRUNC)) {
		size_t len = (size_t)r < msg->msg_iov[0].iov_len ?
			     (size_t)r : msg->msg_iov[0].iov_len;

		rewrite(msg->msg_iov[0].iov_base, len);
	}
	return r;
}
