/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal declarations of the iproute2 ABI used by link_*.so plugins.
 *
 * iproute2 ships no development headers, so this file declares just what
 * link_stt.c needs, matching iproute2 6.1.0 (Debian bookworm's "ip").
 * ip is linked with -export-dynamic: the functions below are resolved at
 * dlopen() time from the ip binary itself.
 *
 * Deliberately NOT used, because their ABI changed between releases:
 *   matches()  - bool in 6.1, changed to int by a later release;
 *   get_u*()   - accept "-1" and octal; we parse numbers ourselves.
 */
#ifndef STT_IP_PLUGIN_H
#define STT_IP_PLUGIN_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* ip/ip_common.h: the plugin exports "struct link_util <kind>_link_util". */
struct link_util {
	struct link_util	*next;
	const char		*id;
	int			maxattr;
	int			(*parse_opt)(struct link_util *lu, int argc,
					     char **argv, struct nlmsghdr *n);
	void			(*print_opt)(struct link_util *lu, FILE *f,
					     struct rtattr *tb[]);
	void			(*print_xstats)(struct link_util *lu, FILE *f,
						struct rtattr *xstats);
	void			(*print_help)(struct link_util *lu, int argc,
					      char **argv, FILE *f);
	int			(*parse_ifla_xstats)(struct link_util *lu,
						     int argc, char **argv);
	int			(*print_ifla_xstats)(struct nlmsghdr *n,
						     void *arg);
};

/*
 * Bound passed to addattr*() by iproute2's own link plugins: iplink.c's
 * request buffer has 1024 bytes of attribute space after the headers.
 */
#define IP_PLUGIN_MAXLEN	1024

/* include/libnetlink.h */
int addattr(struct nlmsghdr *n, int maxlen, int type);
int addattr8(struct nlmsghdr *n, int maxlen, int type, __u8 data);
int addattr16(struct nlmsghdr *n, int maxlen, int type, __u16 data);
int addattr32(struct nlmsghdr *n, int maxlen, int type, __u32 data);
int addattr64(struct nlmsghdr *n, int maxlen, int type, __u64 data);
int addattr_l(struct nlmsghdr *n, int maxlen, int type, const void *data,
	      int alen);

/* include/utils.h: print "Error: ..." and exit(-1). */
void invarg(const char *msg, const char *arg) __attribute__((noreturn));
void duparg(const char *key, const char *arg) __attribute__((noreturn));
void incomplete_command(void) __attribute__((noreturn));

/* include/rt_names.h: DS field name from /etc/iproute2/rt_dsfield, or hex. */
int rtnl_dsfield_a2n(__u32 *id, const char *arg);

/* include/color.h (6.1 order: COLOR_NONE is 6, not 0 as in old releases) */
enum color_attr {
	COLOR_IFNAME,
	COLOR_MAC,
	COLOR_INET,
	COLOR_INET6,
	COLOR_OPERSTATE_UP,
	COLOR_OPERSTATE_DOWN,
	COLOR_NONE
};

/*
 * include/json_print.h.  In text mode these print to stdout (not to the
 * FILE * handed to print_opt, which ip sets to stdout anyway); in JSON
 * mode (ip -j) they add "key": value to the current object.
 */
enum output_type {
	PRINT_FP = 1,
	PRINT_JSON = 2,
	PRINT_ANY = 4,
};

bool is_json_context(void);
void open_json_object(const char *str);
void close_json_object(void);
int print_color_string(enum output_type t, enum color_attr color,
		       const char *key, const char *fmt, const char *value);
int print_color_uint(enum output_type t, enum color_attr color,
		     const char *key, const char *fmt, unsigned int value);
int print_color_bool(enum output_type t, enum color_attr color,
		     const char *key, const char *fmt, bool value);

static inline int print_string(enum output_type t, const char *key,
			       const char *fmt, const char *value)
{
	return print_color_string(t, COLOR_NONE, key, fmt, value);
}

static inline int print_uint(enum output_type t, const char *key,
			     const char *fmt, unsigned int value)
{
	return print_color_uint(t, COLOR_NONE, key, fmt, value);
}

static inline int print_bool(enum output_type t, const char *key,
			     const char *fmt, bool value)
{
	return print_color_bool(t, COLOR_NONE, key, fmt, value);
}

#endif /* STT_IP_PLUGIN_H */
