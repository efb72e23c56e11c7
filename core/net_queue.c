/*
 * The pieces the two threads share: messages, the bounded queues that carry
 * them (mutex + list; appended and taken in batches, so the lock is taken
 * once per batch, not once per message) and the id maps each thread keeps
 * of its own connections. Queues: any thread; an id map: its owner's.
 */
#include "config.h"

#include <pthread.h>
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

/* Free the list of messages from M on (linked by next). */
void
net_msg_free_list(struct net_msg *m)
{
	struct net_msg *next;

	for (; m != NULL; m = next) {
		next = m->next;
		net_msg_free(m);
	}
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

/* Make Q empty, holding at most MAX messages. */
void
net_queue_init(struct net_queue *q, size_t max)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->lock, NULL);
	q->max = max;
}

/* Free whatever is still queued, and the lock. */
void
net_queue_destroy(struct net_queue *q)
{
	net_msg_free_list(net_queue_take(q));
	pthread_mutex_destroy(&q->lock);
}

/* Append M unless Q is full; tell whether Q was empty before. */
int
net_queue_push(struct net_queue *q, struct net_msg *m, int force,
    int *was_empty)
{
	if (!force && net_queue_depth(q) >= q->max)
		return (-1);	/* only the taker lowers depth: a safe "no" */
	net_queue_push_list(q, m, m, 1, was_empty);
	return (0);
}

/* Append the N messages HEAD..TAIL (linked by next) in one go. */
void
net_queue_push_list(struct net_queue *q, struct net_msg *head,
    struct net_msg *tail, size_t n, int *was_empty)
{
	size_t depth;

	tail->next = NULL;
	pthread_mutex_lock(&q->lock);
	*was_empty = (q->head == NULL);
	if (q->tail != NULL)
		q->tail->next = head;
	else
		q->head = head;
	q->tail = tail;
	depth = q->depth + n;
	__atomic_store_n(&q->depth, depth, __ATOMIC_RELAXED);
	if (depth > q->high_water)
		q->high_water = depth;
	pthread_mutex_unlock(&q->lock);
}

/* Detach and return the whole list, oldest first. */
struct net_msg *
net_queue_take(struct net_queue *q)
{
	struct net_msg *m;

	pthread_mutex_lock(&q->lock);
	m = q->head;
	q->head = q->tail = NULL;
	__atomic_store_n(&q->depth, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&q->lock);
	return (m);
}

/* How many messages Q holds, without the lock (a hint). */
size_t
net_queue_depth(struct net_queue *q)
{
	return (__atomic_load_n(&q->depth, __ATOMIC_RELAXED));
}

/* The deepest Q has been. */
size_t
net_queue_high_water(struct net_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->high_water;
	pthread_mutex_unlock(&q->lock);
	return (n);
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
