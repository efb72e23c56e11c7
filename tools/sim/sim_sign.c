/*
 * Twilio request signatures (PROTOCOLS.md §2.1): HMAC-SHA1 over the URL
 * followed by the sorted parameters, base64. Also form-url-encoding.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sim.h"

/* Order two parameters by name, then value, in plain byte order. */
static int
sim_param_cmp(const void *a, const void *b)
{
	const struct sim_param *pa = *(const struct sim_param *const *)a;
	const struct sim_param *pb = *(const struct sim_param *const *)b;
	int c;

	if ((c = strcmp(pa->name, pb->name)) != 0)
		return (c);
	return (strcmp(pa->value, pb->value));
}

/* Compute Twilio's X-Twilio-Signature for URL and parameters P. */
int
sim_sign(const char *token, const char *url, const struct sim_param *p,
    int np, char *out)
{
	const struct sim_param *sorted[64];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t cap, len, n;
	char *s;
	int i;

	if (np < 0 || np > 64)
		return (-1);
	cap = strlen(url) + 1;
	for (i = 0; i < np; i++) {
		sorted[i] = &p[i];
		cap += strlen(p[i].name) + strlen(p[i].value);
	}
	qsort(sorted, (size_t)np, sizeof(sorted[0]), sim_param_cmp);
	if ((s = malloc(cap)) == NULL)
		return (-1);
	len = strlen(url);
	memcpy(s, url, len);
	for (i = 0; i < np; i++) {
		/* A repeated name+value pair counts once. */
		if (i > 0 && sim_param_cmp(&sorted[i - 1], &sorted[i]) == 0)
			continue;
		n = strlen(sorted[i]->name);
		memcpy(s + len, sorted[i]->name, n);
		len += n;
		n = strlen(sorted[i]->value);
		memcpy(s + len, sorted[i]->value, n);
		len += n;
	}
	if (HMAC(EVP_sha1(), token, (int)strlen(token), (unsigned char *)s,
	    len, md, &mdlen) == NULL || mdlen != 20) {
		free(s);
		return (-1);
	}
	free(s);
	EVP_EncodeBlock((unsigned char *)out, md, 20);
	return (0);
}

/* Append S to OUT form-url-encoded. */
int
sim_form_encode(char *out, size_t outsz, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(out);
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (len + 4 > outsz)
			return (-1);
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			out[len++] = (char)c;
		else {
			out[len++] = '%';
			out[len++] = hex[c >> 4];
			out[len++] = hex[c & 15];
		}
	}
	out[len] = '\0';
	return (0);
}
