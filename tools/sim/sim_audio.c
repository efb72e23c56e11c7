/*
 * Caller audio for voicegate-sim: the G.711 μ-law codec, WAV and raw μ-law
 * files in and out, tones and silence.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define SIM_ULAW_BIAS	0x84
#define SIM_ULAW_CLIP	8159		/* in 14-bit units */
#define SIM_MAX_AUDIO	(64L * 1024 * 1024)	/* input file bound */

/* Return the G.711 μ-law byte for the 16-bit linear sample PCM: the
 * classic 14-bit reference (Sun g711.c, as sox and Python's audioop). */
uint8_t
sim_ulaw_encode(int16_t pcm)
{
	int v = pcm >> 2, mask = 0xff, seg;

	if (v < 0) {
		v = -v;
		mask = 0x7f;
	}
	if (v > SIM_ULAW_CLIP)
		v = SIM_ULAW_CLIP;
	v += SIM_ULAW_BIAS >> 2;
	for (seg = 0; seg < 8 && v > (0x40 << seg) - 1; seg++)
		;
	if (seg >= 8)
		return ((uint8_t)(0x7f ^ mask));
	return ((uint8_t)(((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask));
}

/* Return the 16-bit linear sample of the μ-law byte U. */
int16_t
sim_ulaw_decode(uint8_t u)
{
	int v, exp, mant;

	u = (uint8_t)~u;
	exp = (u >> 4) & 7;
	mant = u & 0x0f;
	v = (((mant << 3) + SIM_ULAW_BIAS) << exp) - SIM_ULAW_BIAS;
	return ((int16_t)((u & 0x80) ? -v : v));
}

/* Return the little-endian 16-bit value at P. */
static unsigned
sim_le16(const uint8_t *p)
{
	return ((unsigned)p[0] | ((unsigned)p[1] << 8));
}

/* Return the little-endian 32-bit value at P. */
static uint32_t
sim_le32(const uint8_t *p)
{
	return ((uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	    ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24));
}

/* Read the whole file PATH into *BUF and *LEN. Returns 0 or -1 (errno). */
static int
sim_slurp(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f;
	long sz;

	if ((f = fopen(path, "rb")) == NULL)
		return (-1);
	if (fseek(f, 0, SEEK_END) == -1 || (sz = ftell(f)) < 0 ||
	    sz > SIM_MAX_AUDIO || fseek(f, 0, SEEK_SET) == -1) {
		if (errno == 0)
			errno = EFBIG;
		fclose(f);
		return (-1);
	}
	if ((*buf = malloc((size_t)sz + 1)) == NULL) {
		fclose(f);
		return (-1);
	}
	if (fread(*buf, 1, (size_t)sz, f) != (size_t)sz) {
		free(*buf);
		fclose(f);
		errno = EIO;
		return (-1);
	}
	fclose(f);
	*len = (size_t)sz;
	return (0);
}

/* Convert the WAV file in BUF/LEN to μ-law 8 kHz in *OUT and *OUTLEN.
 * Returns 0, or -1 with a message in ERR. */
static int
sim_wav_convert(const uint8_t *buf, size_t len, uint8_t **out,
    size_t *outlen, char *err, size_t errsz)
{
	const uint8_t *fmt = NULL, *data = NULL;
	size_t off = 12, csz, dlen = 0, i, n, step;
	unsigned tag = 0, ch, bits;
	uint32_t rate;
	int32_t s;

	while (off + 8 <= len) {
		csz = sim_le32(buf + off + 4);
		if (csz > len - off - 8)
			csz = len - off - 8;	/* a short last chunk */
		if (memcmp(buf + off, "fmt ", 4) == 0 && csz >= 16)
			fmt = buf + off + 8;
		else if (memcmp(buf + off, "data", 4) == 0) {
			data = buf + off + 8;
			dlen = csz;
		}
		off += 8 + csz + (csz & 1);
	}
	if (fmt == NULL || data == NULL) {
		snprintf(err, errsz, "WAV file without fmt or data chunk");
		return (-1);
	}
	tag = sim_le16(fmt);
	ch = sim_le16(fmt + 2);
	rate = sim_le32(fmt + 4);
	bits = sim_le16(fmt + 14);
	if (tag == 0xfffe && sim_le16(fmt + 16) >= 22)
		tag = sim_le16(fmt + 24);	/* extensible: subformat */
	if (ch != 1) {
		snprintf(err, errsz, "WAV file has %u channels, not 1", ch);
		return (-1);
	}
	if (tag == 7 && bits == 8 && rate == 8000) {
		if ((*out = malloc(dlen + 1)) == NULL)
			goto nomem;
		memcpy(*out, data, dlen);
		*outlen = dlen;
		return (0);
	}
	if (tag != 1 || bits != 16 || (rate != 8000 && rate != 16000)) {
		snprintf(err, errsz, "WAV format %u, %u bits, %u Hz: need "
		    "mu-law 8 kHz or 16-bit PCM at 8 or 16 kHz", tag, bits,
		    (unsigned)rate);
		return (-1);
	}
	step = rate == 16000 ? 2 : 1;
	n = dlen / 2 / step;
	if ((*out = malloc(n + 1)) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		s = (int16_t)sim_le16(data + 2 * i * step);
		if (step == 2)	/* average pairs: a crude low-pass */
			s = (s + (int16_t)sim_le16(data + 2 * i * step +
			    2)) / 2;
		(*out)[i] = sim_ulaw_encode((int16_t)s);
	}
	*outlen = n;
	return (0);

nomem:
	snprintf(err, errsz, "out of memory");
	return (-1);
}

/* Load PATH as caller audio. */
int
sim_audio_load(const char *path, uint8_t **out, size_t *len, char *err,
    size_t errsz)
{
	uint8_t *buf;
	size_t blen;
	int rc;

	if (sim_slurp(path, &buf, &blen) == -1) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (blen >= 12 && memcmp(buf, "RIFF", 4) == 0 &&
	    memcmp(buf + 8, "WAVE", 4) == 0) {
		rc = sim_wav_convert(buf, blen, out, len, err, errsz);
		free(buf);
		return (rc);
	}
	*out = buf;	/* raw μ-law */
	*len = blen;
	return (0);
}

/* Make MS milliseconds of a HZ sine (0: silence). */
int
sim_audio_tone(double hz, int ms, uint8_t **out, size_t *len)
{
	size_t n = (size_t)ms * 8, i;

	if ((*out = malloc(n + 1)) == NULL)
		return (-1);
	for (i = 0; i < n; i++)
		(*out)[i] = hz <= 0 ? 0xff : sim_ulaw_encode((int16_t)(8192.0 *
		    sin(2.0 * M_PI * hz * (double)i / 8000.0)));
	*len = n;
	return (0);
}

/* Write the 32-bit value V little-endian at P. */
static void
sim_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Write the μ-law bytes P/LEN to PATH, WAV if the name ends in ".wav". */
int
sim_audio_save(const char *path, const uint8_t *p, size_t len)
{
	uint8_t h[58];
	size_t nl = strlen(path);
	FILE *f;
	int wav;

	wav = nl > 4 && strcmp(path + nl - 4, ".wav") == 0;
	if ((f = fopen(path, "wb")) == NULL)
		return (-1);
	if (wav) {
		/* RIFF, fmt (18 bytes: μ-law needs cbSize), fact, data. */
		memcpy(h, "RIFF", 4);
		sim_put32(h + 4, (uint32_t)(50 + len + (len & 1)));
		memcpy(h + 8, "WAVEfmt ", 8);
		sim_put32(h + 16, 18);
		h[20] = 7; h[21] = 0;		/* WAVE_FORMAT_MULAW */
		h[22] = 1; h[23] = 0;		/* mono */
		sim_put32(h + 24, 8000);
		sim_put32(h + 28, 8000);	/* bytes per second */
		h[32] = 1; h[33] = 0;		/* block align */
		h[34] = 8; h[35] = 0;		/* bits */
		h[36] = 0; h[37] = 0;		/* cbSize */
		memcpy(h + 38, "fact", 4);
		sim_put32(h + 42, 4);
		sim_put32(h + 46, (uint32_t)len);
		memcpy(h + 50, "data", 4);
		sim_put32(h + 54, (uint32_t)len);
		if (fwrite(h, 1, sizeof(h), f) != sizeof(h))
			goto fail;
	}
	if (len > 0 && fwrite(p, 1, len, f) != len)
		goto fail;
	if (wav && (len & 1) && fputc(0, f) == EOF)
		goto fail;
	return (fclose(f) == 0 ? 0 : -1);

fail:
	fclose(f);
	return (-1);
}
