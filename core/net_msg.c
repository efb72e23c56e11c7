/*
 * What the listener and the connection layer (net.c) hand to the core
 * side (http.c, ws.c): messages describing a request, an upgrade, a
 * connection to open, and the id maps that find a connection or a request
 * by id. Core thread only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <voicegate/util.h>

#include "net.h"

#define NET_IDMAP_BUCKETS	1024

struct net_idmap_ent {
	struct net_idmap_ent	*next;
	uint64_t		 id;
	void			*p;
};

/* A zeroed message of TYPE for ID. Returns new. */
struct net_msg *
net_msg_new(enum net_msg_type type, uint64_t id)
{
	struct net_msg *m;

	m = vg_xcalloc(1, sizeof(*m));
	m->type = type;
	m->id = id;
	return (m);
}

/* Free M and everything it still owns. */
void
net_msg_free(struct net_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nhdrs; i++) {
		free(m->hdrs[i].name);
		free(m->hdrs[i].value);
	}
	free(m->hdrs);
	free(m->reason);
	free(m->method);
	free(m->path);
	free(m->query);
	free(m->peer);
	free(m->data);
	free(m);
}

/* Append a copy of NAME and VALUE to M's headers. */
void
net_msg_add_hdr(struct net_msg *m, const char *name, const char *value)
{
	m->hdrs = vg_xrealloc(m->hdrs, (m->nhdrs + 1) * sizeof(*m->hdrs));
	m->hdrs[m->nhdrs].name = vg_xstrdup(name);
	m->hdrs[m->nhdrs].value = vg_xstrdup(value);
	m->nhdrs++;
}

/* The first header of M named NAME (any case), or NULL. */
const char *
net_msg_hdr(const struct net_msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, name) == 0)
			return (m->hdrs[i].value);
	return (NULL);
}

/* Make MAP empty. */
void
net_idmap_init(struct net_idmap *map)
{
	map->nbuckets = NET_IDMAP_BUCKETS;
	map->buckets = vg_xcalloc(map->nbuckets, sizeof(*map->buckets));
	map->count = 0;
}

/* Free MAP's entries (not what they point to). */
void
net_idmap_free(struct net_idmap *map)
{
	struct net_idmap_ent *e, *next;
	size_t i;

	if (map->buckets == NULL)
		return;
	for (i = 0; i < map->nbuckets; i++)
		for (e = map->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(map->buckets);
	map->buckets = NULL;
	map->count = 0;
}

/* Map ID to P (ids are never reused, so no replacement is needed). */
void
net_idmap_put(struct net_idmap *map, uint64_t id, void *p)
{
	struct net_idmap_ent *e;
	size_t b = id % map->nbuckets;

	e = vg_xcalloc(1, sizeof(*e));
	e->id = id;
	e->p = p;
	e->next = map->buckets[b];
	map->buckets[b] = e;
	map->count++;
}

/* What ID maps to, or NULL. */
void *
net_idmap_get(const struct net_idmap *map, uint64_t id)
{
	struct net_idmap_ent *e;

	if (map->buckets == NULL)
		return (NULL);
	for (e = map->buckets[id % map->nbuckets]; e != NULL; e = e->next)
		if (e->id == id)
			return (e->p);
	return (NULL);
}

/* Remove ID from MAP; return what it mapped to. */
void *
net_idmap_del(struct net_idmap *map, uint64_t id)
{
	struct net_idmap_ent **ep, *e;
	void *p;

	if (map->buckets == NULL)
		return (NULL);
	for (ep = &map->buckets[id % map->nbuckets]; *ep != NULL;
	    ep = &(*ep)->next) {
		if ((*ep)->id != id)
			continue;
		e = *ep;
		*ep = e->next;
		p = e->p;
		free(e);
		map->count--;
		return (p);
	}
	return (NULL);
}

/* Every value in MAP as a new array. */
void **
net_idmap_all(const struct net_idmap *map, size_t *n)
{
	struct net_idmap_ent *e;
	void **all;
	size_t i, k = 0;

	all = vg_xcalloc(map->count + 1, sizeof(*all));
	for (i = 0; map->buckets != NULL && i < map->nbuckets; i++)
		for (e = map->buckets[i]; e != NULL; e = e->next)
			all[k++] = e->p;
	*n = k;
	return (all);
}
