// SPDX-License-Identifier: GPL-2.0
/*
 * link_stt.c - iproute2 link-kind plugin for STT tunnels (draft-davie-stt-03)
 *
 *   ip link add stt0 type stt remote 192.0.2.2 [ local 192.0.2.1 ]
 *           (or remote 2001:db8::2 [ local 2001:db8::1 ])
 *           [ key 0x1122334455667788 ] [ dstport 7471 ] [ ttl auto ]
 *           [ tos inherit ] [ srcport 49152 65535 ] [ ttl inherit ]
 *           [ df set|unset|inherit ] [ dscp-decap copy|ignore ]
 *           [ dev PHYS|none ]
 *   ip link add stt0 type stt external [ dstport 7471 ] [ srcport ... ]
 *   ip link set stt0 type stt [ any option above ]
 *   ip -d link show stt0
 *   ip link help stt
 *
 * ip dlopen()s $IP_LIB_DIR/link_stt.so (default /usr/lib/<triplet>/ip) and
 * looks up stt_link_util.  Everything else here is static.
 *
 * Adding an attribute: give it a field in struct stt_opts, an entry in
 * stt_args[] (with a parser), a case in stt_put_attr() and an entry in
 * stt_printers[]; then extend the usage text.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <netinet/in.h>

#include <linux/stt.h>

#include "ip_plugin.h"

#define STT_BIT(attr)	(1ULL << (attr))

_Static_assert(IFLA_STT_MAX < 64, "stt_opts.given is a 64-bit mask");

/* Options collected from the command line, in the units they are sent. */
struct stt_opts {
	__u64	given;		/* STT_BIT(IFLA_STT_x) for each option seen */
	__be32	remote;
	__be32	local;
	struct in6_addr remote6;
	struct in6_addr local6;
	__u64	key;		/* host order, as the ABI says */
	__u16	port;		/* host order here, sent as __be16 */
	__u8	ttl;		/* 0 = route default ("auto") */
	__u8	ttl_inherit;	/* "ttl inherit": sent with every ttl */
	__u8	tos;		/* 1 = inherit from the inner packet */
	__u8	df;		/* enum ifla_stt_df */
	__u8	dscp_decap;	/* 1 = copy the outer DSCP inward */
	__u32	link;		/* underlay ifindex, 0 = none */
	struct ifla_stt_port_range srcport;	/* network order, as sent */
};

/* ------------------------------------------------------------------ */
/* Usage                                                                */
/* ------------------------------------------------------------------ */

static void stt_usage(FILE *f)
{
	fprintf(f,
		"Usage: ... stt { remote ADDR | external }\n"
		"		[ local ADDR ]\n"
		"		[ key KEY ]\n"
		"		[ dstport PORT ]\n"
		"		[ ttl TTL ]\n"
		"		[ tos TOS ]\n"
		"		[ srcport MIN MAX ]\n"
		"		[ df { set | unset | inherit } ]\n"
		"		[ dscp-decap { copy | ignore } ]\n"
		"		[ dev PHYS ]\n"
		"\n"
		"Where:	ADDR := IPv4 or IPv6 address (local also accepts \"any\";\n"
		"	        remote may be a multicast group, joined on dev PHYS)\n"
		"	KEY  := 64-bit context ID, decimal or 0x-hex (default 0)\n"
		"	PORT := 1-65535 (default %d)\n"
		"	TTL  := { 0-255 | auto | inherit } (0 or auto: route default;\n"
		"	        inherit: the inner IPv4 TTL / IPv6 hop limit)\n"
		"	TOS  := { inherit | 0x00-0xff | DSFIELD name } (hexadecimal)\n"
		"	MIN, MAX := outer TCP source ports, 1-65535, MIN <= MAX\n"
		"	            (default %d %d)\n"
		"	df: the outer IPv4 DF bit; inherit sets it for inner IPv6\n"
		"	    and inner IPv4 with DF (default unset)\n"
		"	dscp-decap copy: the outer DSCP replaces the inner one on\n"
		"	    receive (RFC 2983 uniform model; default ignore)\n"
		"	PHYS := underlay device to send on, or \"none\" (default)\n"
		"	external: one device for any remote and key, taken from\n"
		"	    each packet's metadata (lwtunnel, tc tunnel_key, eBPF)\n"
		"\n"
		"ip link set DEV type stt OPTIONS changes any of them on a live\n"
		"device; what is not given keeps its value.  Defaults, counters,\n"
		"sysctls and examples: see ip-link-stt(8).\n",
		STT_DEFAULT_PORT, STT_SRC_PORT_MIN, STT_SRC_PORT_MAX);
}

/* ------------------------------------------------------------------ */
/* Argument parsing helpers                                             */
/* ------------------------------------------------------------------ */

/*
 * True if @arg is a non-empty prefix of @keyword ("rem" selects "remote"),
 * the same abbreviation rule as the rest of ip.  Our own helper because
 * ip's matches() changed return type across releases.
 */
static bool stt_is_prefix(const char *arg, const char *keyword)
{
	size_t len = strlen(arg);

	return len && len <= strlen(keyword) && !strncmp(arg, keyword, len);
}

/*
 * Strict unsigned parser: decimal, or hexadecimal with a 0x prefix.  No
 * sign, no whitespace, no octal surprise for a leading 0, no overflow.
 */
static int stt_get_unsigned(const char *s, unsigned long long max,
			    unsigned long long *val)
{
	unsigned long long v;
	const char *p;
	char *end;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	for (p = s; *p; p++)
		if (base == 16 ? !isxdigit((unsigned char)*p)
			       : !isdigit((unsigned char)*p))
			return -1;

	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return -1;
	*val = v;
	return 0;
}

static bool stt_ipv4_is_multicast(__be32 addr)
{
	return (ntohl(addr) & 0xf0000000U) == 0xe0000000U;
}

/* An IPv4 address in dotted-quad form. */
static __be32 stt_get_ipv4(const char *what, const char *arg)
{
	struct in_addr a;

	if (inet_pton(AF_INET, arg, &a) == 1)
		return a.s_addr;
	invarg(what, arg);
}

/* An IPv6 unicast address (not ::, multicast or IPv4-mapped). */
static struct in6_addr stt_get_ipv6(const char *what, const char *arg)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, arg, &a) != 1 || IN6_IS_ADDR_UNSPECIFIED(&a) ||
	    IN6_IS_ADDR_MULTICAST(&a) || IN6_IS_ADDR_V4MAPPED(&a))
		invarg(what, arg);
	return a;
}

/* "remote X" and "local X" are sent as the attribute of X's family. */
static void stt_set_family(struct stt_opts *o, int attr4, int attr6, bool v6)
{
	o->given &= ~(STT_BIT(attr4) | STT_BIT(attr6));
	o->given |= STT_BIT(v6 ? attr6 : attr4);
}

/* ------------------------------------------------------------------ */
/* Per-option parsers                                                   */
/* ------------------------------------------------------------------ */

/* A remote may also be a multicast group (point-to-multipoint, with dev). */
static void stt_parse_remote(struct stt_opts *o, char **argv)
{
	const char *arg = argv[0];
	static const char msg[] =
		"invalid remote address, expected an IPv4 or IPv6 unicast or multicast address";
	struct in6_addr a6;
	__be32 a;

	stt_set_family(o, IFLA_STT_REMOTE, IFLA_STT_REMOTE6, strchr(arg, ':'));
	if (strchr(arg, ':')) {
		if (inet_pton(AF_INET6, arg, &a6) == 1 &&
		    IN6_IS_ADDR_MULTICAST(&a6)) {
			o->remote6 = a6;
			return;
		}
		o->remote6 = stt_get_ipv6(msg, arg);
		return;
	}
	a = stt_get_ipv4(msg, arg);

	if (a == htonl(INADDR_ANY) || a == htonl(INADDR_BROADCAST))
		invarg(msg, arg);
	o->remote = a;
}

static void stt_parse_local(struct stt_opts *o, char **argv)
{
	const char *arg = argv[0];
	static const char msg[] =
		"invalid local address, expected an IPv4 or IPv6 unicast address or \"any\"";
	__be32 a;

	/* "any" is 0.0.0.0, which the kernel takes as "any" for IPv6 too. */
	stt_set_family(o, IFLA_STT_LOCAL, IFLA_STT_LOCAL6, strchr(arg, ':'));
	if (strchr(arg, ':')) {
		o->local6 = stt_get_ipv6(msg, arg);
		return;
	}
	if (!strcmp(arg, "any")) {
		o->local = htonl(INADDR_ANY);
		return;
	}
	a = stt_get_ipv4(msg, arg);
	if (a == htonl(INADDR_BROADCAST) || stt_ipv4_is_multicast(a))
		invarg(msg, arg);
	o->local = a;
}

static void stt_parse_key(struct stt_opts *o, char **argv)
{
	const char *arg = argv[0];
	unsigned long long v;

	if (stt_get_unsigned(arg, 0xffffffffffffffffULL, &v))
		invarg("invalid key, expected a 64-bit number (decimal or 0x-hex)",
		       arg);
	o->key = v;
}

static void stt_parse_port(struct stt_opts *o, char **argv)
{
	const char *arg = argv[0];
	unsigned long long v;

	if (stt_get_unsigned(arg, 65535, &v) || v == 0)
		invarg("invalid dstport, expected 1-65535", arg);
	o->port = v;
}

static void stt_parse_ttl(struct stt_opts *o, char **argv)
{
	const char *arg = argv[0];
	unsigned long long v;

	/* Every ttl also sends TTL_INHERIT, so that "ttl 64" ends inherit. */
	o->given |= STT_BIT(IFLA_STT_TTL_INHERIT);
	o->ttl_inherit = 0;
	if (!strcmp(arg, "inherit")) {
		o->ttl = 0;
		o->ttl_inherit = 1;
		return;
	}
	if (!strcmp(arg, "auto")) {
		o->ttl = 0;
		return;
	}
	if (stt_get_unsigned(arg, 255, &v))
		invarg("invalid ttl, expected 0-255, \"auto\" or \"inherit\"", arg);
	o->ttl = v;
}

static void stt_parse_tos(struct stt_opts *o, char **argv)
{
	const char *arg = argv[0];
	__u32 v;

	if (!strcmp(arg, "inherit")) {
		o->tos = 1;
		return;
	}
	/* Hexadecimal or an rt_dsfield name, like every other ip "tos". */
	if (rtnl_dsfield_a2n(&v, arg) || v > 255)
		invarg("invalid tos, expected \"inherit\", a hex value 0x00-0xff or a DSFIELD name",
		       arg);
	o->tos = v;
}

/* As vxlan and geneve: "df set|unset|inherit". */
static void stt_parse_df(struct stt_opts *o, char **argv)
{
	if (!strcmp(argv[0], "unset"))
		o->df = STT_DF_UNSET;
	else if (!strcmp(argv[0], "set"))
		o->df = STT_DF_SET;
	else if (!strcmp(argv[0], "inherit"))
		o->df = STT_DF_INHERIT;
	else
		invarg("invalid df, expected \"set\", \"unset\" or \"inherit\"",
		       argv[0]);
}

static void stt_parse_dscp_decap(struct stt_opts *o, char **argv)
{
	if (!strcmp(argv[0], "copy"))
		o->dscp_decap = 1;
	else if (!strcmp(argv[0], "ignore"))
		o->dscp_decap = 0;
	else
		invarg("invalid dscp-decap, expected \"copy\" or \"ignore\"",
		       argv[0]);
}

/* "dev PHYS" as vxlan's: the underlay device, by name; "none" unbinds. */
static void stt_parse_dev(struct stt_opts *o, char **argv)
{
	if (!strcmp(argv[0], "none")) {
		o->link = 0;
		return;
	}
	o->link = if_nametoindex(argv[0]);
	if (!o->link)
		invarg("invalid dev, no such device", argv[0]);
}

/* Two words: "srcport MIN MAX", as vxlan's. */
static void stt_parse_srcport(struct stt_opts *o, char **argv)
{
	static const char msg[] =
		"invalid srcport, expected MIN MAX with 1 <= MIN <= MAX <= 65535";
	unsigned long long lo, hi;

	if (stt_get_unsigned(argv[0], 65535, &lo) || lo == 0)
		invarg(msg, argv[0]);
	if (stt_get_unsigned(argv[1], 65535, &hi) || hi < lo)
		invarg(msg, argv[1]);
	o->srcport.low = htons(lo);
	o->srcport.high = htons(hi);
}

/*
 * Keywords, tried in this order against (possibly abbreviated) input.
 * Aliases share an attribute, so "key 1 id 2" is a duplicate.  A flag
 * ("external") has no parser and no value.
 */
static const struct stt_arg {
	const char	*name;
	int		attr;
	void		(*parse)(struct stt_opts *o, char **argv);
	int		nargs;		/* words after the keyword */
	int		attr6;		/* the IPv6 attribute the parser may pick */
} stt_args[] = {
	{ "remote",	IFLA_STT_REMOTE,	stt_parse_remote,	1, IFLA_STT_REMOTE6 },
	{ "local",	IFLA_STT_LOCAL,		stt_parse_local,	1, IFLA_STT_LOCAL6 },
	{ "key",	IFLA_STT_KEY,		stt_parse_key,		1, 0 },
	{ "id",		IFLA_STT_KEY,		stt_parse_key,		1, 0 },
	{ "dstport",	IFLA_STT_PORT,		stt_parse_port,		1, 0 },
	{ "ttl",	IFLA_STT_TTL,		stt_parse_ttl,		1, 0 },
	{ "tos",	IFLA_STT_TOS,		stt_parse_tos,		1, 0 },
	{ "dsfield",	IFLA_STT_TOS,		stt_parse_tos,		1, 0 },
	{ "srcport",	IFLA_STT_PORT_RANGE,	stt_parse_srcport,	2, 0 },
	{ "df",		IFLA_STT_DF,		stt_parse_df,		1, 0 },
	{ "dscp-decap",	IFLA_STT_DSCP_DECAP,	stt_parse_dscp_decap,	1, 0 },
	{ "dev",	IFLA_STT_LINK,		stt_parse_dev,		1, 0 },
	{ "external",	IFLA_STT_COLLECT_METADATA, NULL,		0, 0 },
};

static const struct stt_arg *stt_find_arg(const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(stt_args) / sizeof(stt_args[0]); i++)
		if (stt_is_prefix(word, stt_args[i].name))
			return &stt_args[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Netlink encoding                                                     */
/* ------------------------------------------------------------------ */

static int stt_put_attr(struct nlmsghdr *n, const struct stt_opts *o,
			int attr)
{
	__be16 port;

	switch (attr) {
	case IFLA_STT_REMOTE:
		return addattr_l(n, IP_PLUGIN_MAXLEN, attr, &o->remote,
				 sizeof(o->remote));
	case IFLA_STT_LOCAL:
		return addattr_l(n, IP_PLUGIN_MAXLEN, attr, &o->local,
				 sizeof(o->local));
	case IFLA_STT_REMOTE6:
		return addattr_l(n, IP_PLUGIN_MAXLEN, attr, &o->remote6,
				 sizeof(o->remote6));
	case IFLA_STT_LOCAL6:
		return addattr_l(n, IP_PLUGIN_MAXLEN, attr, &o->local6,
				 sizeof(o->local6));
	case IFLA_STT_KEY:
		return addattr64(n, IP_PLUGIN_MAXLEN, attr, o->key);
	case IFLA_STT_PORT:
		port = htons(o->port);
		return addattr_l(n, IP_PLUGIN_MAXLEN, attr, &port,
				 sizeof(port));
	case IFLA_STT_TTL:
		return addattr8(n, IP_PLUGIN_MAXLEN, attr, o->ttl);
	case IFLA_STT_TOS:
		return addattr8(n, IP_PLUGIN_MAXLEN, attr, o->tos);
	case IFLA_STT_TTL_INHERIT:
		return addattr8(n, IP_PLUGIN_MAXLEN, attr, o->ttl_inherit);
	case IFLA_STT_PORT_RANGE:
		return addattr_l(n, IP_PLUGIN_MAXLEN, attr, &o->srcport,
				 sizeof(o->srcport));
	case IFLA_STT_DF:
		return addattr8(n, IP_PLUGIN_MAXLEN, attr, o->df);
	case IFLA_STT_DSCP_DECAP:
		return addattr8(n, IP_PLUGIN_MAXLEN, attr, o->dscp_decap);
	case IFLA_STT_LINK:
		return addattr32(n, IP_PLUGIN_MAXLEN, attr, o->link);
	case IFLA_STT_COLLECT_METADATA:
		return addattr_l(n, IP_PLUGIN_MAXLEN, attr, NULL, 0);
	}
	return 0;
}

static int stt_parse_opt(struct link_util *lu, int argc, char **argv,
			 struct nlmsghdr *n)
{
	/* "ip link add/replace" creates; "ip link set/change" modifies. */
	bool create = n->nlmsg_flags & NLM_F_CREATE;
	struct stt_opts o;
	int attr;

	(void)lu;
	memset(&o, 0, sizeof(o));

	for (; argc > 0; argc--, argv++) {
		const struct stt_arg *a = stt_find_arg(*argv);

		if (!a) {
			if (stt_is_prefix(*argv, "help")) {
				stt_usage(stderr);
				return -1;
			}
			fprintf(stderr, "stt: unknown option \"%s\"?\n", *argv);
			stt_usage(stderr);
			return -1;
		}

		if (!a->parse) {		/* a flag */
			if (o.given & STT_BIT(a->attr))
				duparg(a->name, a->name);
			o.given |= STT_BIT(a->attr);
			continue;
		}

		/* The keyword takes a value: the next word(s). */
		if (argc <= a->nargs)
			incomplete_command();
		argc--, argv++;

		if (o.given & (STT_BIT(a->attr) | STT_BIT(a->attr6)))
			duparg(a->name, *argv);
		o.given |= STT_BIT(a->attr);
		a->parse(&o, argv);
		argc -= a->nargs - 1;
		argv += a->nargs - 1;
	}

	/*
	 * Only attributes the user gave are sent; the kernel supplies
	 * defaults on create and keeps current values on change.
	 */
	if (create && !(o.given & (STT_BIT(IFLA_STT_REMOTE) |
				   STT_BIT(IFLA_STT_REMOTE6) |
				   STT_BIT(IFLA_STT_COLLECT_METADATA)))) {
		fprintf(stderr, "stt: remote endpoint not specified (remote ADDR or external)\n");
		return -1;
	}

	for (attr = IFLA_STT_UNSPEC + 1; attr <= IFLA_STT_MAX; attr++)
		if ((o.given & STT_BIT(attr)) && stt_put_attr(n, &o, attr))
			return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Output: "ip -d link show" text and "ip -j -d link show" JSON          */
/* ------------------------------------------------------------------ */

/* Attribute payload if present and at least @len bytes long, else NULL. */
static const void *stt_attr_data(struct rtattr *tb[], int type, size_t len)
{
	struct rtattr *rta = tb[type];

	if (!rta || rta->rta_len < RTA_LENGTH(0) || RTA_PAYLOAD(rta) < len)
		return NULL;
	return RTA_DATA(rta);
}

/* IPv4 endpoint: "remote 192.0.2.2", JSON string; 0.0.0.0 shows "any". */
static void stt_print_ipv4(const char *key, const char *fmt, const void *data)
{
	char buf[INET_ADDRSTRLEN];
	const char *s = "any";
	__be32 addr;

	memcpy(&addr, data, sizeof(addr));
	if (addr != htonl(INADDR_ANY)) {
		if (!inet_ntop(AF_INET, &addr, buf, sizeof(buf)))
			return;
		s = buf;
	}
	print_string(PRINT_ANY, key, fmt, s);
}

/* IPv6 endpoint: JSON key "remote6"/"local6", as geneve and vxlan. */
static void stt_print_ipv6(const char *key, const char *fmt, const void *data)
{
	char buf[INET6_ADDRSTRLEN];
	const char *s = "any";
	struct in6_addr addr;

	memcpy(&addr, data, sizeof(addr));
	if (!IN6_IS_ADDR_UNSPECIFIED(&addr)) {
		if (!inet_ntop(AF_INET6, &addr, buf, sizeof(buf)))
			return;
		s = buf;
	}
	print_string(PRINT_ANY, key, fmt, s);
}

static void stt_print_remote6(const void *data)
{
	stt_print_ipv6("remote6", "remote %s ", data);
}

static void stt_print_local6(const void *data)
{
	stt_print_ipv6("local6", "local %s ", data);
}

static void stt_print_remote(const void *data)
{
	stt_print_ipv4("remote", "remote %s ", data);
}

static void stt_print_local(const void *data)
{
	stt_print_ipv4("local", "local %s ", data);
}

/* Key: "key 0x1122334455667788"; a JSON string, as JSON numbers are doubles. */
static void stt_print_key(const void *data)
{
	char buf[sizeof("0x") + 16];
	__u64 key;

	memcpy(&key, data, sizeof(key));
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)key);
	print_string(PRINT_ANY, "key", "key %s ", buf);
}

static void stt_print_port(const void *data)
{
	__be16 port;

	memcpy(&port, data, sizeof(port));
	print_uint(PRINT_ANY, "dstport", "dstport %u ", ntohs(port));
}

/* Set by stt_print_opt() from IFLA_STT_TTL_INHERIT before the printers. */
static bool stt_ttl_inherit;

/*
 * As geneve/vxlan: JSON always a number (with "ttl_inherit" next to it);
 * text says "inherit" or "auto" for 0.
 */
static void stt_print_ttl(const void *data)
{
	__u8 ttl = *(const __u8 *)data;

	if (stt_ttl_inherit && !is_json_context())
		print_string(PRINT_FP, NULL, "ttl %s ", "inherit");
	else if (ttl || is_json_context())
		print_uint(PRINT_ANY, "ttl", "ttl %u ", ttl);
	else
		print_string(PRINT_FP, NULL, "ttl %s ", "auto");
}

/*
 * As geneve/vxlan: JSON is a hex string ("0x1" for inherit); text says
 * "inherit" for 1.  Unlike geneve, 0 is shown too ("0x0").
 */
static void stt_print_tos(const void *data)
{
	__u8 tos = *(const __u8 *)data;
	char buf[sizeof("0xff")];

	if (tos == 1 && !is_json_context()) {
		print_string(PRINT_FP, NULL, "tos %s ", "inherit");
		return;
	}
	snprintf(buf, sizeof(buf), "0x%x", tos);
	print_string(PRINT_ANY, "tos", "tos %s ", buf);
}

/* As vxlan: "srcport 49152 65535"; JSON "port_range": {"low", "high"}. */
static void stt_print_srcport(const void *data)
{
	struct ifla_stt_port_range r;

	memcpy(&r, data, sizeof(r));
	if (is_json_context()) {
		open_json_object("port_range");
		print_uint(PRINT_JSON, "low", NULL, ntohs(r.low));
		print_uint(PRINT_JSON, "high", NULL, ntohs(r.high));
		close_json_object();
	} else {
		print_uint(PRINT_FP, NULL, "srcport %u ", ntohs(r.low));
		print_uint(PRINT_FP, NULL, "%u ", ntohs(r.high));
	}
}

/* As geneve: text shows "df set" and "df inherit"; JSON also "unset". */
static void stt_print_df(const void *data)
{
	static const char *const names[] = {
		[STT_DF_UNSET] = "unset",
		[STT_DF_SET] = "set",
		[STT_DF_INHERIT] = "inherit",
	};
	__u8 df = *(const __u8 *)data;

	if (df > STT_DF_MAX)
		print_uint(PRINT_ANY, "df", "df %u ", df);
	else if (df == STT_DF_UNSET)
		print_string(PRINT_JSON, "df", NULL, names[df]);
	else
		print_string(PRINT_ANY, "df", "df %s ", names[df]);
}

/* Text only when on ("dscp-decap copy"); JSON always. */
static void stt_print_dscp_decap(const void *data)
{
	const char *v = *(const __u8 *)data ? "copy" : "ignore";

	if (*(const __u8 *)data || is_json_context())
		print_string(PRINT_ANY, "dscp_decap", "dscp-decap %s ", v);
}

/*
 * "dev PHYS" when bound; JSON "link_index" always and "link" (the name)
 * when this netns knows the index.  The index is the underlay netns's: a
 * device moved elsewhere may show another device's name, as vxlan does.
 */
static void stt_print_link(const void *data)
{
	__u32 link;
	char name[IF_NAMESIZE];

	memcpy(&link, data, sizeof(link));
	print_uint(PRINT_JSON, "link_index", NULL, link);
	if (!link)
		return;
	if (if_indextoname(link, name))
		print_string(PRINT_ANY, "link", "dev %s ", name);
	else
		print_uint(PRINT_FP, NULL, "dev if%u ", link);
}

static void stt_print_external(const void *data)
{
	(void)data;
	print_bool(PRINT_ANY, "external", "external ", true);
}

static void stt_print_ttl_inherit(const void *data)
{
	print_bool(PRINT_JSON, "ttl_inherit", NULL, *(const __u8 *)data);
}

/* Print order; every attribute the kernel reports is shown. */
static const struct stt_printer {
	int	attr;
	size_t	len;		/* minimum payload */
	void	(*print)(const void *data);
} stt_printers[] = {
	{ IFLA_STT_COLLECT_METADATA, 0,		stt_print_external },
	{ IFLA_STT_REMOTE,	sizeof(__be32),	stt_print_remote },
	{ IFLA_STT_LOCAL,	sizeof(__be32),	stt_print_local },
	{ IFLA_STT_REMOTE6,	sizeof(struct in6_addr), stt_print_remote6 },
	{ IFLA_STT_LOCAL6,	sizeof(struct in6_addr), stt_print_local6 },
	{ IFLA_STT_KEY,		sizeof(__u64),	stt_print_key },
	{ IFLA_STT_PORT,	sizeof(__be16),	stt_print_port },
	{ IFLA_STT_TTL,		sizeof(__u8),	stt_print_ttl },
	{ IFLA_STT_TTL_INHERIT,	sizeof(__u8),	stt_print_ttl_inherit },
	{ IFLA_STT_TOS,		sizeof(__u8),	stt_print_tos },
	{ IFLA_STT_PORT_RANGE,	sizeof(struct ifla_stt_port_range),
	  stt_print_srcport },
	{ IFLA_STT_DF,		sizeof(__u8),	stt_print_df },
	{ IFLA_STT_DSCP_DECAP,	sizeof(__u8),	stt_print_dscp_decap },
	{ IFLA_STT_LINK,	sizeof(__u32),	stt_print_link },
};

static void stt_print_opt(struct link_util *lu, FILE *f, struct rtattr *tb[])
{
	size_t i;

	(void)lu;
	(void)f;	/* ip's print_*() write to stdout / the JSON writer */
	if (!tb)
		return;
	stt_ttl_inherit = tb[IFLA_STT_TTL_INHERIT] &&
			  RTA_PAYLOAD(tb[IFLA_STT_TTL_INHERIT]) >= 1 &&
			  *(const __u8 *)RTA_DATA(tb[IFLA_STT_TTL_INHERIT]);

	for (i = 0; i < sizeof(stt_printers) / sizeof(stt_printers[0]); i++) {
		const struct stt_printer *p = &stt_printers[i];
		const void *data = stt_attr_data(tb, p->attr, p->len);

		if (data)
			p->print(data);
	}
}

static void stt_print_help(struct link_util *lu, int argc, char **argv,
			   FILE *f)
{
	(void)lu;
	(void)argc;
	(void)argv;
	stt_usage(f);
}

/* Looked up by name with dlsym(): must stay global and non-const. */
struct link_util stt_link_util = {
	.id		= "stt",
	.maxattr	= IFLA_STT_MAX,
	.parse_opt	= stt_parse_opt,
	.print_opt	= stt_print_opt,
	.print_help	= stt_print_help,
};
