// SPDX-License-Identifier: GPL-2.0
/*
 * tc egress program for stt_external.sh: bpf_skb_set_tunnel_key() on every
 * packet, for an external STT device to send.  STT_REMOTE (IPv4, host
 * order) and STT_ID (32 bits, as struct bpf_tunnel_key carries) come from
 * the compiler's command line:
 *
 *   clang -O2 -target bpf -DSTT_REMOTE=0xc0000202 -DSTT_ID=42 -c ...
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

static long (*bpf_skb_set_tunnel_key)(struct __sk_buff *skb,
				      struct bpf_tunnel_key *key,
				      __u32 size, __u64 flags) =
	(void *)BPF_FUNC_skb_set_tunnel_key;

__attribute__((section("tc"), used))
int stt_set_tunnel_key(struct __sk_buff *skb)
{
	struct bpf_tunnel_key key = {};

	key.remote_ipv4 = STT_REMOTE;
	key.tunnel_id = STT_ID;
	key.tunnel_ttl = 64;
	if (bpf_skb_set_tunnel_key(skb, &key, sizeof(key), 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
