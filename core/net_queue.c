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

/* The pool this thread takes message blocks from, if any. */
static __thread struct net_pool *net_pool_mine;

/* Take blocks from P in this thread. */
void
net_pool_use(struct net_pool *p)
{
	net_pool_mine = p;
}

/* Free everything waiting in P. */
void
net_pool_drain(struct net_pool *p)
{
	struct net_msg *m, *next;

	for (m = p->priv; m != NULL; m = next) {
		next = m->next;
		free(m);	/* what it held was freed when it came back */
	}
	p->priv = NULL;
	p->priv_n = 0;
	m = __atomic_exchange_n(&p->shared, NULL, __ATOMIC_ACQUIRE);
	__atomic_store_n(&p->shared_n, 0, __ATOMIC_RELAXED);
	for (; m != NULL; m = next) {
		next = m->next;
		free(m);
	}
}

/* A block from this thread's pool, or NULL when it has none. */
static struct net_msg *
net_pool_get(void)
{
	struct net_pool *p = net_pool_mine;
	struct net_msg *m;
	size_t n;

	if (p == NULL)
		return (NULL);
	if (p->priv == NULL) {
		/* take back everything given back, at once */
		p->priv = __atomic_exchange_n(&p->shared, NULL,
		    __ATOMIC_ACQUIRE);
		for (n = 0, m = p->priv; m != NULL; m = m->next)
			n++;
		__atomic_sub_fetch(&p->shared_n, n, __ATOMIC_RELAXED);
		p->priv_n = n;
		if (p->priv == NULL) {
			m = vg_xmalloc(sizeof(*m) + NET_POOL_DATA);
			m->pool = p;
			return (m);
		}
	}
	m = p->priv;
	p->priv = m->next;
	p->priv_n--;
	return (m);
}

/* Give block M back to its pool; 0, or -1 when the pool is full. */
static int
net_pool_put(struct net_msg *m)
{
	struct net_pool *p = m->pool;

	if (p == net_pool_mine && p->priv_n < NET_POOL_MAX) {
		m->next = p->priv;
		p->priv = m;
		p->priv_n++;
		return (0);
	}
	if (__atomic_add_fetch(&p->shared_n, 1, __ATOMIC_RELAXED) >
	    NET_POOL_MAX) {
		__atomic_sub_fetch(&p->shared_n, 1, __ATOMIC_RELAXED);
		return (-1);
	}
	m->next = __atomic_load_n(&p->shared, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&p->shared, &m->next, m, 1,
	    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;	/* m->next now holds the head seen: try again */
	return (0);
}

/* A zeroed message of TYPE for ID whose DATA is a buffer of OFF + LEN + 1
 * bytes in the same allocation (payload at DATA + OFF, LEN bytes, the
 * last byte for a terminator), from this thread's pool when it fits.
 * Returns new. */
struct net_msg *
net_msg_new_data(enum net_msg_type type, uint64_t id, size_t off, size_t len)
{
	struct net_msg *m = NULL;
	struct net_pool *p;

	if (off + len + 1 <= NET_POOL_DATA)
		m = net_pool_get();
	if (m != NULL) {
		p = m->pool;
		memset(m, 0, sizeof(*m));
		m->pool = p;
	} else {
		m = vg_xmalloc(sizeof(*m) + off + len + 1);
		memset(m, 0, sizeof(*m));
	}
	m->type = type;
	m->id = id;
	m->data = (char *)(m + 1);
	m->off = off;
	m->len = len;
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
	if (m->data != (char *)(m + 1))
		free(m->data);
	if (m->pool != NULL && net_pool_put(m) == 0)
		return;
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

/* Make Q empty, holding at most MAX messages, its taker armed. */
void
net_queue_init(struct net_queue *q, size_t max)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->lock, NULL);
	q->max = max;
	__atomic_store_n(&q->waiting, 1, __ATOMIC_SEQ_CST);
}

/* Free whatever is still queued, and the lock. */
void
net_queue_destroy(struct net_queue *q)
{
	net_msg_free_list(net_queue_take(q));
	pthread_mutex_destroy(&q->lock);
}

/* Append M unless Q is full; tell whether the taker must be woken. */
int
net_queue_push(struct net_queue *q, struct net_msg *m, int force, int *wake)
{
	if (!force && net_queue_depth(q) >= q->max)
		return (-1);	/* only the taker lowers depth: a safe "no" */
	*wake = net_queue_push_list(q, m, m, 1);
	return (0);
}

/* Append the N messages HEAD..TAIL (linked by next) in one go; disarm
 * and report an armed taker. */
int
net_queue_push_list(struct net_queue *q, struct net_msg *head,
    struct net_msg *tail, size_t n)
{
	size_t depth;

	tail->next = NULL;
	pthread_mutex_lock(&q->lock);
	if (q->tail != NULL)
		q->tail->next = head;
	else
		q->head = head;
	q->tail = tail;
	depth = q->depth + n;
	__atomic_store_n(&q->depth, depth, __ATOMIC_SEQ_CST);
	if (depth > q->high_water)
		q->high_water = depth;
	pthread_mutex_unlock(&q->lock);
	/* the depth written, then the flag read (the taker: the reverse) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (__atomic_load_n(&q->waiting, __ATOMIC_SEQ_CST) &&
	    __atomic_exchange_n(&q->waiting, 0, __ATOMIC_SEQ_CST));
}

/* The taker is about to sleep: arm, then look once more. */
int
net_queue_arm(struct net_queue *q)
{
	__atomic_store_n(&q->waiting, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&q->depth, __ATOMIC_SEQ_CST) == 0)
		return (0);
	/* something came: withdraw, unless a pusher already disarmed us
	 * (then its wake-up is on the way and will find it) */
	return (__atomic_exchange_n(&q->waiting, 0, __ATOMIC_SEQ_CST));
}

/* Detach and return the whole list, oldest first. */
struct net_msg *
net_queue_take(struct net_queue *q)
{
	struct net_msg *m;

	pthread_mutex_lock(&q->lock);
	m = q->head;
	q->head = q->tail = NULL;
	__atomic_store_n(&q->depth, 0, __ATOMIC_SEQ_CST);
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
