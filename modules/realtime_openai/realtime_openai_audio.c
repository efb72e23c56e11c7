/*
 * realtime_openai audio helpers: strict base64 for the audio that crosses
 * the Realtime socket, and the barge-in arithmetic of PROTOCOLS.md §6.6
 * on the bus's agent audio timeline. Pure functions; any thread.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "realtime_openai.h"

static const char rt_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The value of base64 digit C, or -1. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+')
		return (62);
	if (c == '/')
		return (63);
	return (-1);
}

/* Decode strict, padded base64. */
ssize_t
rt_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outsz)
{
	size_t i, o = 0, pad = 0;
	int v[4], k;

	if (inlen % 4 != 0)
		return (-1);
	for (i = 0; i < inlen; i += 4) {
		for (k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == inlen && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0 || (v[k] = b64_value(in[i + k])) == -1)
				return (-1);
		}
		if (o + 3 - pad > outsz)
			return (-1);
		out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (uint8_t)((v[1] & 0xf) << 4 | v[2] >> 2);
		else if ((v[1] & 0xf) != 0)
			return (-1);
		if (pad < 1)
			out[o++] = (uint8_t)((v[2] & 0x3) << 6 | v[3]);
		else if (pad == 1 && (v[2] & 0x3) != 0)
			return (-1);
	}
	return ((ssize_t)o);
}

/* Encode padded base64. */
size_t
rt_b64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t i, o = 0;
	uint32_t w;

	for (i = 0; i + 2 < len; i += 3) {
		w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = rt_b64_alphabet[w >> 18];
		out[o++] = rt_b64_alphabet[(w >> 12) & 63];
		out[o++] = rt_b64_alphabet[(w >> 6) & 63];
		out[o++] = rt_b64_alphabet[w & 63];
	}
	if (i < len) {
		w = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			w |= (uint32_t)in[i + 1] << 8;
		out[o++] = rt_b64_alphabet[w >> 18];
		out[o++] = rt_b64_alphabet[(w >> 12) & 63];
		out[o++] = i + 1 < len ? rt_b64_alphabet[(w >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return (o);
}

/* The barge-in truncations (§6.6 a) on the agent audio timeline. */
size_t
rt_barge_cuts(const struct rt_entry *ledger, size_t n, uint64_t played_ms,
    const char *active_response, struct rt_cut *out)
{
	uint64_t played = played_ms * 8, heard, sent_ms, end;
	size_t i, k = 0;
	int first = 1, active;

	for (i = 0; i < n; i++) {
		const struct rt_entry *e = &ledger[i];

		if (e->sent == 0)
			continue;	/* no audio: cannot be truncated */
		active = active_response != NULL &&
		    strcmp(active_response, e->response_id) == 0;
		if (played >= e->start + e->sent && !active)
			continue;	/* heard in full and finished */
		heard = played > e->start ? played - e->start : 0;
		if (heard > e->sent)
			heard = e->sent;
		sent_ms = e->sent / 8;
		if (first || heard > 0) {
			end = heard / 8 + RT_CUSHION_MS;
			if (end > sent_ms)
				end = sent_ms;
		} else
			end = 0;
		first = 0;
		memcpy(out[k].item_id, e->item_id, sizeof(out[k].item_id));
		out[k].audio_end_ms = end;
		k++;
	}
	return (k);
}
