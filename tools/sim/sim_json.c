/*
 * A strict, allocation-free reader for the Media Streams messages voicegate
 * sends to Twilio (PROTOCOLS.md §4.4): an object whose values are strings
 * or objects of strings. Fast enough to check every frame of thousands of
 * calls from one core. Also strict base64.
 */
#include "config.h"

#include <string.h>

#include "sim.h"

/* Where the reader stands. */
struct sj {
	char		*p;
	char		*end;
	struct sim_jobj	*sub;
	int		 nsub;
	int		 used;
};

/* Skip JSON white space. */
static void
sj_ws(struct sj *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Return the value of hex digit C, or -1. */
static int
sj_hex(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Read the string at the cursor, unescaping it in place; *S and *LEN get
 * the result, NUL-terminated. Returns 0 or -1. */
static int
sj_string(struct sj *j, const char **s, size_t *len)
{
	char *w, *r;
	unsigned cp;
	int i, h;

	if (j->p >= j->end || *j->p != '"')
		return (-1);
	w = r = ++j->p;
	while (r < j->end && *r != '"') {
		if ((unsigned char)*r < 0x20)
			return (-1);
		if (*r != '\\') {
			*w++ = *r++;
			continue;
		}
		if (++r >= j->end)
			return (-1);
		switch (*r++) {
		case '"': *w++ = '"'; break;
		case '\\': *w++ = '\\'; break;
		case '/': *w++ = '/'; break;
		case 'b': *w++ = '\b'; break;
		case 'f': *w++ = '\f'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 't': *w++ = '\t'; break;
		case 'u':
			if (j->end - r < 4)
				return (-1);
			for (cp = 0, i = 0; i < 4; i++) {
				if ((h = sj_hex(r[i])) == -1)
					return (-1);
				cp = (cp << 4) | (unsigned)h;
			}
			r += 4;
			if (cp == 0)
				return (-1);	/* no NUL in our strings */
			/* Surrogates stay as they are: names are ASCII. */
			if (cp < 0x80)
				*w++ = (char)cp;
			else if (cp < 0x800) {
				*w++ = (char)(0xc0 | (cp >> 6));
				*w++ = (char)(0x80 | (cp & 0x3f));
			} else {
				*w++ = (char)(0xe0 | (cp >> 12));
				*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
				*w++ = (char)(0x80 | (cp & 0x3f));
			}
			break;
		default:
			return (-1);
		}
	}
	if (r >= j->end)
		return (-1);
	*w = '\0';	/* w <= r: the closing quote's byte at worst */
	*s = j->p;
	*len = (size_t)(w - j->p);
	j->p = r + 1;
	return (0);
}

/* Read an object at the cursor into O; DEPTH 0 may hold objects. Returns
 * 0 or -1. */
static int
sj_object(struct sj *j, struct sim_jobj *o, int depth)
{
	const char *key;
	size_t klen;
	int i;

	memset(o, 0, sizeof(*o));
	sj_ws(j);
	if (j->p >= j->end || *j->p != '{')
		return (-1);
	j->p++;
	sj_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return (0);
	}
	for (;;) {
		sj_ws(j);
		if (o->n == SIM_JSON_MAX_KEYS || sj_string(j, &key, &klen) ==
		    -1)
			return (-1);
		for (i = 0; i < o->n; i++)
			if (strcmp(o->key[i], key) == 0)
				return (-1);	/* duplicate key */
		o->key[o->n] = key;
		sj_ws(j);
		if (j->p >= j->end || *j->p != ':')
			return (-1);
		j->p++;
		sj_ws(j);
		if (j->p < j->end && *j->p == '{') {
			if (depth > 0 || j->used == j->nsub)
				return (-1);
			o->obj[o->n] = &j->sub[j->used++];
			if (sj_object(j, o->obj[o->n], depth + 1) == -1)
				return (-1);
		} else if (sj_string(j, &o->str[o->n], &o->slen[o->n]) == -1)
			return (-1);
		o->n++;
		sj_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return (0);
		}
		return (-1);
	}
}

/* Parse TEXT/LEN into ROOT. */
int
sim_json_parse(char *text, size_t len, struct sim_jobj *root,
    struct sim_jobj *sub, int nsub)
{
	struct sj j;

	j.p = text;
	j.end = text + len;
	j.sub = sub;
	j.nsub = nsub;
	j.used = 0;
	if (sj_object(&j, root, 0) == -1)
		return (-1);
	sj_ws(&j);
	return (j.p == j.end ? 0 : -1);
}

/* Return the index of KEY in O, or -1. */
int
sim_json_find(const struct sim_jobj *o, const char *key)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->key[i], key) == 0)
			return (i);
	return (-1);
}

/* Decode base64 IN/LEN into OUT. */
long
sim_b64_decode(const char *in, size_t len, uint8_t *out)
{
	static signed char tab[256];
	static int ready;
	size_t i, pad = 0;
	uint32_t v;
	long n = 0;
	int k, c;

	if (!ready) {
		memset(tab, -1, sizeof(tab));
		for (k = 0; k < 26; k++) {
			tab['A' + k] = (signed char)k;
			tab['a' + k] = (signed char)(26 + k);
		}
		for (k = 0; k < 10; k++)
			tab['0' + k] = (signed char)(52 + k);
		tab['+'] = 62;
		tab['/'] = 63;
		ready = 1;
	}
	if (len % 4 != 0)
		return (-1);
	if (len > 0 && in[len - 1] == '=')
		pad = (len > 1 && in[len - 2] == '=') ? 2 : 1;
	for (i = 0; i < len; i += 4) {
		for (v = 0, k = 0; k < 4; k++) {
			c = (unsigned char)in[i + k];
			if (c == '=' && i + 4 == len && k >= 4 - (int)pad)
				c = 'A';
			if (tab[c] < 0)
				return (-1);
			v = (v << 6) | (uint32_t)tab[c];
		}
		out[n++] = (uint8_t)(v >> 16);
		out[n++] = (uint8_t)(v >> 8);
		out[n++] = (uint8_t)v;
	}
	return (n - (long)pad);
}
