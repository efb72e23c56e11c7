/*
 * RFC 6455 framing without I/O (see wsproto.h): frame headers, masking, the
 * handshake's accept key, close payloads and UTF-8 validation. Pure
 * functions over the caller's buffers: no allocation, no globals, any
 * thread. Depends on libcrypto only (SHA-1 and base64 of the accept key).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "wsproto.h"

#define WSP_GUID	"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WSP_KEY_LEN	24	/* base64 of 16 bytes, with "==" */

/* Refuse a frame: store the close code and reason. Returns -1. */
static int
wsp_refuse(int *code, const char **why, int c, const char *reason)
{
	if (code != NULL)
		*code = c;
	if (why != NULL)
		*why = reason;
	return (-1);
}

/* Parse a frame header, refusing as soon as the bytes at hand break the
 * protocol (so a peer cannot park a bad header waiting for more). */
int
wsp_parse_header(const uint8_t *buf, size_t len, enum wsp_role role,
    uint64_t max, struct wsp_frame *f, int *code, const char **why)
{
	unsigned b0, b1, op, masked;
	uint64_t plen;
	size_t need, i;

	if (len < 1)
		return (0);
	b0 = buf[0];
	op = b0 & 0x0f;
	if (b0 & 0x70)
		return (wsp_refuse(code, why, 1002, "reserved bits set"));
	if ((op > WSP_OP_BINARY && op < WSP_OP_CLOSE) || op > WSP_OP_PONG)
		return (wsp_refuse(code, why, 1002, "unknown opcode"));
	if (op >= WSP_OP_CLOSE && (b0 & 0x80) == 0)
		return (wsp_refuse(code, why, 1002,
		    "fragmented control frame"));
	if (len < 2)
		return (0);
	b1 = buf[1];
	masked = b1 >> 7;
	if (role == WSP_SERVER && !masked)
		return (wsp_refuse(code, why, 1002,
		    "unmasked frame from client"));
	if (role != WSP_SERVER && masked)
		return (wsp_refuse(code, why, 1002,
		    "masked frame from server"));
	plen = b1 & 0x7f;
	/* 126 and 127 announce an extended length: too long either way. */
	if (op >= WSP_OP_CLOSE && plen > WSP_CTRL_MAX)
		return (wsp_refuse(code, why, 1002, "control frame too long"));

	need = 2;
	if (plen == 126)
		need += 2;
	else if (plen == 127)
		need += 8;
	if (len < need)
		return (0);
	/* Non-minimal encodings are accepted: refusing them buys nothing. */
	if (plen == 126)
		plen = (uint64_t)buf[2] << 8 | buf[3];
	else if (plen == 127) {
		plen = 0;
		for (i = 2; i < 10; i++)
			plen = plen << 8 | buf[i];
		if (plen >> 63)
			return (wsp_refuse(code, why, 1002,
			    "frame length too large"));
	}
	if (op < WSP_OP_CLOSE && plen > max)
		return (wsp_refuse(code, why, 1009, "message too big"));
	if (masked)
		need += 4;
	if (len < need)
		return (0);

	f->fin = b0 >> 7;
	f->opcode = op;
	f->masked = masked;
	if (masked)
		memcpy(f->mask, buf + need - 4, 4);
	else
		memset(f->mask, 0, 4);
	f->hdr_len = need;
	f->len = plen;
	return (1);
}

/* Write a frame header, with the shortest length encoding. */
size_t
wsp_build_header(uint8_t *out, unsigned opcode, int fin, uint64_t len,
    const uint8_t *mask)
{
	uint8_t mbit = mask != NULL ? 0x80 : 0;
	size_t n, i;

	out[0] = (fin ? 0x80 : 0) | (opcode & 0x0f);
	if (len < 126) {
		out[1] = mbit | (uint8_t)len;
		n = 2;
	} else if (len <= 0xffff) {
		out[1] = mbit | 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		n = 4;
	} else {
		out[1] = mbit | 127;
		for (i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		n = 10;
	}
	if (mask != NULL) {
		memcpy(out + n, mask, 4);
		n += 4;
	}
	return (n);
}

/* XOR with the key rotated to OFF, eight bytes at a time: the rotated key
 * repeated twice is a word in memory order, so no byte-order concerns. */
void
wsp_mask(uint8_t *p, size_t n, const uint8_t key[4], uint64_t off)
{
	uint8_t k[8];
	uint64_t w, x;
	size_t i;

	for (i = 0; i < 8; i++)
		k[i] = key[(off + i) & 3];
	memcpy(&w, k, sizeof(w));
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, p + i, sizeof(x));
		x ^= w;
		memcpy(p + i, &x, sizeof(x));
	}
	/* I is a multiple of 8 here, so K stays in phase. */
	for (; i < n; i++)
		p[i] ^= k[i & 7];
}

/* True when C is in the base64 alphabet (RFC 4648 section 4). */
static int
wsp_b64_char(int c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/');
}

/* Compute Sec-WebSocket-Accept, after checking KEY is 16 bytes in
 * canonical base64 (EVP_DecodeBlock alone would trim white space and
 * accept any padding). */
int
wsp_accept_key(const char *key, char out[29])
{
	uint8_t buf[WSP_KEY_LEN + sizeof(WSP_GUID) - 1];
	uint8_t raw[18], md[SHA_DIGEST_LENGTH];
	size_t i;

	for (i = 0; i < WSP_KEY_LEN - 2; i++)
		if (!wsp_b64_char((unsigned char)key[i]))
			return (-1);
	if (key[22] != '=' || key[23] != '=' || key[24] != '\0')
		return (-1);
	/* The last character carries 2 bits; the 4 below them must be 0. */
	if (strchr("AQgw", key[21]) == NULL)
		return (-1);
	if (EVP_DecodeBlock(raw, (const unsigned char *)key, WSP_KEY_LEN) !=
	    18)
		return (-1);

	memcpy(buf, key, WSP_KEY_LEN);
	memcpy(buf + WSP_KEY_LEN, WSP_GUID, sizeof(WSP_GUID) - 1);
	SHA1(buf, sizeof(buf), md);
	if (EVP_EncodeBlock((unsigned char *)out, md, sizeof(md)) != 28)
		return (-1);
	return (0);
}

/* True when CODE may appear in a close frame (RFC 6455 7.4, and the IANA
 * registry: 1012-1014 assigned since). */
static int
wsp_close_code_ok(int code)
{
	if (code >= 1000 && code <= 1003)
		return (1);
	if (code >= 1007 && code <= 1014)
		return (1);
	return (code >= 3000 && code <= 4999);
}

/* Read a close payload. On -1, *CODE is the close code to answer with:
 * 1007 for a reason that is not UTF-8, else 1002. */
int
wsp_close_parse(const uint8_t *p, size_t n, int *code, const char **reason,
    size_t *reason_len)
{
	int c;

	if (n == 0) {
		*code = 1005;
		*reason = (const char *)p;
		*reason_len = 0;
		return (0);
	}
	if (n == 1) {
		*code = 1002;
		return (-1);
	}
	c = p[0] << 8 | p[1];
	if (!wsp_close_code_ok(c)) {
		*code = 1002;
		return (-1);
	}
	if (!wsp_utf8_valid(p + 2, n - 2)) {
		*code = 1007;
		return (-1);
	}
	*code = c;
	*reason = (const char *)(p + 2);
	*reason_len = n - 2;
	return (0);
}

/* Build a close payload, cutting REASON on a character boundary. */
size_t
wsp_close_build(uint8_t *out, int code, const char *reason)
{
	size_t room = WSP_CTRL_MAX - 2, n, cut;

	if (code == 0)
		return (0);
	out[0] = (uint8_t)(code >> 8);
	out[1] = (uint8_t)code;
	if (reason == NULL)
		return (2);
	n = strnlen(reason, room + 1);
	if (n > room) {
		/* Back off the continuation bytes of the character that
		 * straddles the cut (3 at most, in valid UTF-8). */
		cut = room;
		while (cut > room - 3 &&
		    ((unsigned char)reason[cut] & 0xc0) == 0x80)
			cut--;
		n = cut;
	}
	memcpy(out + 2, reason, n);
	return (2 + n);
}

/* Validate UTF-8 (RFC 3629 section 4's table), skipping ASCII runs 32
 * and then eight bytes at a time: every text message on a call's hot path
 * (Twilio's and OpenAI's JSON) is ASCII. */
int
wsp_utf8_valid(const uint8_t *p, size_t n)
{
	uint64_t w, x, y, z;
	size_t i = 0;
	unsigned c, lo, hi;

	while (i + 32 <= n) {
		memcpy(&w, p + i, sizeof(w));
		memcpy(&x, p + i + 8, sizeof(x));
		memcpy(&y, p + i + 16, sizeof(y));
		memcpy(&z, p + i + 24, sizeof(z));
		if (((w | x | y | z) & 0x8080808080808080ULL) != 0)
			break;
		i += 32;
	}
	while (i < n) {
		if (i + 8 <= n) {
			memcpy(&w, p + i, sizeof(w));
			if ((w & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		/* The allowed range of the second byte closes out
		 * overlongs, surrogates and code points above U+10FFFF. */
		lo = 0x80;
		hi = 0xbf;
		if (c < 0xc2)
			return (0);	/* continuation, or overlong C0/C1 */
		if (c < 0xe0) {
			if (n - i < 2 || p[i + 1] < lo || p[i + 1] > hi)
				return (0);
			i += 2;
		} else if (c < 0xf0) {
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
			if (n - i < 3 || p[i + 1] < lo || p[i + 1] > hi ||
			    (p[i + 2] & 0xc0) != 0x80)
				return (0);
			i += 3;
		} else if (c < 0xf5) {
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
			if (n - i < 4 || p[i + 1] < lo || p[i + 1] > hi ||
			    (p[i + 2] & 0xc0) != 0x80 ||
			    (p[i + 3] & 0xc0) != 0x80)
				return (0);
			i += 4;
		} else
			return (0);
	}
	return (1);
}
