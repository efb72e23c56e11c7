/*
 * Tests for the small helpers of core/util.c: base64 against RFC 4648's
 * vectors and a slow reference decoder, with exact-size heap buffers so
 * that ASan sees any read or write past either end.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <voicegate/util.h>

#include "vg_test.h"

/* A pseudo-random byte from *SEED (the same sequence every run). */
static uint8_t
rnd(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return ((uint8_t)(*seed >> 16));
}

/* The plain decoder: one digit at a time, '=' only as the last one or two
 * digits, zero trailing bits, all of OUTSZ checked before each quad. The
 * reference vg_b64_decode must agree with on every input. */
static ssize_t
ref_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outsz)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	size_t i, o = 0, pad = 0;
	const char *c;
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
			if (pad > 0 || in[i + k] == '\0' ||
			    (c = strchr(al, in[i + k])) == NULL)
				return (-1);
			v[k] = (int)(c - al);
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

/* Decode S (a literal) into a buffer of ROOM bytes. */
static ssize_t
dec(const char *s, uint8_t *out, size_t room)
{
	return (vg_b64_decode(s, strlen(s), out, room));
}

/* ---- base64 ---- */

/* RFC 4648 §10, both ways. */
static void
t_rfc4648(void)
{
	static const char *const v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	char enc[16];
	uint8_t out[16];
	size_t i, n;

	for (i = 0; i < VG_NELEM(v); i++) {
		n = strlen(v[i][0]);
		VG_CHECK_INT(vg_b64_encode((const uint8_t *)v[i][0], n, enc),
		    strlen(v[i][1]));
		VG_CHECK_STR(enc, v[i][1]);
		VG_CHECK_INT(VG_B64_ENCODED_LEN(n), strlen(v[i][1]));
		VG_CHECK_INT(dec(v[i][1], out, n), n);
		VG_CHECK(memcmp(out, v[i][0], n) == 0);
	}
}

/* The 64 digits in order, and the longer inputs that take the wide
 * loops: every digit in every position of a quad. */
static void
t_alphabet(void)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	uint8_t in[48], out[48];
	char enc[65];
	size_t i;

	/* the 6-bit values 0..63, packed: digit i of the encoding is al[i] */
	memset(in, 0, sizeof(in));
	for (i = 0; i < 64 * 6; i++)
		if ((i / 6 >> (5 - i % 6)) & 1)
			in[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	VG_CHECK_INT(vg_b64_encode(in, sizeof(in), enc), 64);
	VG_CHECK_STR(enc, al);
	VG_CHECK_INT(dec(al, out, sizeof(out)), 48);
	VG_CHECK(memcmp(in, out, sizeof(in)) == 0);
	memset(in, 0xff, sizeof(in));
	vg_b64_encode(in, sizeof(in), enc);
	VG_CHECK_STR(enc, "////////////////////////////////////////"
	    "////////////////////////");
}

/* Random data of every length 0..300 survives a round trip, in buffers
 * of exactly the documented sizes; one byte less of room is refused. */
static void
t_roundtrip(void)
{
	unsigned seed = 4648, bad = 0;
	size_t len, i, elen;
	uint8_t *in, *out;
	char *enc;
	ssize_t n;

	for (len = 0; len <= 300; len++) {
		in = vg_xmalloc(len);
		enc = vg_xmalloc(VG_B64_ENCODED_LEN(len) + 1);
		out = vg_xmalloc(len);
		for (i = 0; i < len; i++)
			in[i] = rnd(&seed);
		elen = vg_b64_encode(in, len, enc);
		bad += elen != VG_B64_ENCODED_LEN(len) || enc[elen] != '\0' ||
		    strlen(enc) != elen;
		n = vg_b64_decode(enc, elen, out, len);
		bad += n != (ssize_t)len || memcmp(in, out, len) != 0;
		bad += len > 0 && vg_b64_decode(enc, elen, out, len - 1) != -1;
		bad += VG_B64_DECODED_MAX(elen) < len ||
		    VG_B64_DECODED_MAX(elen) > len + 2;
		free(out);
		free(enc);
		free(in);
	}
	VG_CHECK_INT(bad, 0);
}

/* Each class of bad input is refused. */
static void
t_refused(void)
{
	static const char *const bad[] = {
		"Z", "Zm", "Zm9", "Zm9vY",		/* length */
		"Zm9*", "*m9v", "Zm9vYm-y", "Zm9vYm_y",	/* not a digit */
		"Zm 9", "Zm9v\n", "Zm9v Zm9v", "\tZm9",	/* white space */
		"Zg=a", "Z===", "====", "Zg=", "Zm9v=",	/* padding */
		"Zg==Zg==", "Zm8=Zm9v", "Zm=9", "=m9v",	/* '=' inside */
		"Zh==", "Zm9=", "Zm9vYh==",		/* trailing bits */
	};
	static const char nul[] = "Zm\0v";
	uint8_t out[32];
	size_t i;

	for (i = 0; i < VG_NELEM(bad); i++) {
		if (dec(bad[i], out, sizeof(out)) != -1) {
			fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
			vg_test_case_failed = 1;
		}
	}
	VG_CHECK_INT(vg_b64_decode(nul, 4, out, sizeof(out)), -1);
	VG_CHECK_INT(dec("Zm9v", out, 2), -1);		/* room */
	VG_CHECK_INT(dec("Zm9v", out, 3), 3);
	VG_CHECK_INT(dec("Zm8=", out, 1), -1);
	VG_CHECK_INT(dec("Zm8=", out, 2), 2);
	VG_CHECK_INT(dec("", out, 0), 0);
	VG_CHECK_INT(vg_b64_decode(NULL, 0, NULL, 0), 0);
}

/* Every byte value in every position of short inputs, one and two quads,
 * padded or not, agrees with the reference. */
static void
t_every_byte(void)
{
	static const char *const base[] = {
		"YWJj", "YWI=", "YQ==", "YWJjZA==", "YWJjZGU=", "YWJjZGVm",
	};
	uint8_t a[16], b[16];
	unsigned bad = 0, ch;
	size_t k, len, pos;
	char t[16];
	ssize_t x, y;

	for (k = 0; k < VG_NELEM(base); k++) {
		len = strlen(base[k]);
		for (pos = 0; pos < len; pos++)
			for (ch = 0; ch < 256; ch++) {
				memcpy(t, base[k], len);
				t[pos] = (char)ch;
				x = vg_b64_decode(t, len, a, sizeof(a));
				y = ref_b64_decode(t, len, b, sizeof(b));
				bad += x != y || (x > 0 &&
				    memcmp(a, b, (size_t)x) != 0);
			}
	}
	VG_CHECK_INT(bad, 0);
}

/* Random corruptions of valid encodings (lengths up to 300 bytes, so the
 * four-quad loop is taken) agree with the reference, with room to spare
 * and one byte short; the exact-size output buffer catches a stray
 * store. */
static void
t_corruptions(void)
{
	static const char subst[] = "A=/+\n\0zQg-_ ";
	unsigned seed = 12345, bad = 0, i;
	uint8_t in[300], *a, b[300];
	char enc[VG_B64_ENCODED_LEN(300) + 1];
	size_t len, elen, room, pos;
	ssize_t x, y;

	for (i = 0; i < 20000; i++) {
		len = (size_t)rnd(&seed) * 300 / 256;
		memset(in, rnd(&seed), len);
		if (i % 2)
			for (elen = 0; elen < len; elen++)
				in[elen] = rnd(&seed);
		elen = vg_b64_encode(in, len, enc);
		if (elen > 0) {
			pos = (size_t)rnd(&seed) << 8;
			pos = (pos | rnd(&seed)) % elen;
			enc[pos] = subst[rnd(&seed) % (sizeof(subst) - 1)];
		}
		room = rnd(&seed) % 2 ? len : (len > 0 ? len - 1 : 0);
		a = vg_xmalloc(room);
		x = vg_b64_decode(enc, elen, a, room);
		y = ref_b64_decode(enc, elen, b, room);
		bad += x != y || (x > 0 && memcmp(a, b, (size_t)x) != 0);
		free(a);
	}
	VG_CHECK_INT(bad, 0);
}

static const struct vg_test cases[] = {
	{ "b64/rfc4648_vectors",		t_rfc4648 },
	{ "b64/alphabet_in_order",		t_alphabet },
	{ "b64/roundtrip_0_300_exact_buffers",	t_roundtrip },
	{ "b64/refuse_bad_input",		t_refused },
	{ "b64/every_byte_matches_reference",	t_every_byte },
	{ "b64/corruptions_match_reference",	t_corruptions },
};
VG_TEST_MAIN(cases)
