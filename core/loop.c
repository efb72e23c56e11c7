/*
 * The loop helpers modules use: timers and file-descriptor watches on the
 * core's event base, and a small worker pool for work that must block.
 *
 * Timers, watches and the public functions are core-thread only. The pool
 * threads touch nothing but the job queue (under g.lock) and the job they
 * run; a finished job comes back through the done queue, drained on the
 * core thread by an event that the worker makes active with event_active()
 * (safe from any thread once vg_core_init() has called
 * evthread_use_pthreads()).
 */
#include "config.h"

#include <sys/queue.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <voicegate/voicegate.h>

#include "core.h"

#define LOOP_WORKERS	2

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

/* One timer. Owned by the core; freed on cancel, after a one-shot fires,
 * or at the owner's release. */
struct vg_timer {
	struct event		*ev;
	struct vg_module	*owner;
	vg_timer_fn		 fn;
	void			*arg;
	int			 repeat;
	unsigned		 firing:1;	/* inside fn */
	unsigned		 dead:1;	/* cancelled while firing */
	TAILQ_ENTRY(vg_timer)	 link;
};

/* One persistent fd watch. Owned by the core; the fd stays the caller's. */
struct vg_fdwatch {
	struct event		*ev;
	struct vg_module	*owner;
	int			 fd;
	int			 what;		/* VG_FD_READ|VG_FD_WRITE */
	vg_fd_fn		 fn;
	void			*arg;
	unsigned		 firing:1;
	unsigned		 dead:1;
	TAILQ_ENTRY(vg_fdwatch)	 link;
};

enum loop_job_state {
	LOOP_JOB_QUEUED = 0,	/* waiting for a worker */
	LOOP_JOB_RUNNING,	/* a worker runs work() */
	LOOP_JOB_FINISHED,	/* on the done queue */
};

/*
 * One submitted job. Lives on g.jobs (core thread only) from submit until
 * done() has run or been skipped; also on g.queue or g.done (under g.lock)
 * depending on its state. OWNER is NULL once orphaned (core thread only).
 */
struct loop_job {
	struct vg_module	*owner;
	vg_work_fn		 work;
	vg_work_fn		 done;
	void			*arg;
	enum loop_job_state	 state;		/* under g.lock */
	TAILQ_ENTRY(loop_job)	 all;		/* g.jobs */
	TAILQ_ENTRY(loop_job)	 qlink;		/* g.queue or g.done */
};

TAILQ_HEAD(loop_timers, vg_timer);
TAILQ_HEAD(loop_watches, vg_fdwatch);
TAILQ_HEAD(loop_jobs, loop_job);

static struct {
	struct loop_timers	 timers;
	struct loop_watches	 watches;
	struct loop_jobs	 jobs;		/* every live job: core thread */

	pthread_mutex_t		 lock;		/* guards queue, done, stopping */
	pthread_cond_t		 cond;		/* queue non-empty or stopping */
	struct loop_jobs	 queue;
	struct loop_jobs	 done;
	int			 stopping;
	pthread_t		 workers[LOOP_WORKERS];
	int			 nworkers;
	struct event		*done_ev;	/* drains g.done */
	int			 ready;
} g;

static void	loop_done_drain(evutil_socket_t, short, void *);

/* ---- timers ---- */

/* Unlink and free T. */
static void
loop_timer_free(struct vg_timer *t)
{
	TAILQ_REMOVE(&g.timers, t, link);
	event_free(t->ev);
	free(t);
}

/* libevent fired T: call its owner, then end it if one-shot or cancelled. */
static void
loop_timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct vg_timer *t = arg;

	t->firing = 1;
	t->fn(t, t->arg);
	t->firing = 0;
	if (t->dead || !t->repeat)
		loop_timer_free(t);
}

/* Start a one-shot or repeating timer for MOD. */
struct vg_timer *
vg_timer_add(struct vg_module *mod, uint64_t ms, int repeat, vg_timer_fn fn,
    void *arg)
{
	struct vg_timer *t;
	struct timeval tv;

	if (fn == NULL || g.ready == 0) {
		vg_log(VG_LOG_ERROR, "%s: no callback or loop not ready",
		    __func__);
		return (NULL);
	}
	t = vg_xcalloc(1, sizeof(*t));
	t->owner = mod != NULL ? mod : vg_core_module();
	t->fn = fn;
	t->arg = arg;
	t->repeat = repeat != 0;
	t->ev = event_new(vg_core_base(), -1, t->repeat ? EV_PERSIST : 0,
	    loop_timer_fire, t);
	if (t->ev == NULL) {
		vg_log(VG_LOG_ERROR, "%s: event_new failed", __func__);
		goto fail;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (event_add(t->ev, &tv) == -1) {
		vg_log(VG_LOG_ERROR, "%s: event_add failed", __func__);
		goto fail_ev;
	}
	TAILQ_INSERT_TAIL(&g.timers, t, link);
	return (t);

fail_ev:
	event_free(t->ev);
fail:
	free(t);
	return (NULL);
}

/* Stop T; inside its own callback the free waits until the callback ends. */
void
vg_timer_cancel(struct vg_timer *t)
{
	if (t == NULL || t->dead)
		return;
	if (t->firing) {
		event_del(t->ev);
		t->dead = 1;
		return;
	}
	loop_timer_free(t);
}

/* ---- fd watches ---- */

/* Unlink and free W. */
static void
loop_watch_free(struct vg_fdwatch *w)
{
	TAILQ_REMOVE(&g.watches, w, link);
	if (w->ev != NULL)
		event_free(w->ev);
	free(w);
}

/* libevent saw W's fd ready: tell the owner what is. */
static void
loop_watch_fire(evutil_socket_t fd, short what, void *arg)
{
	struct vg_fdwatch *w = arg;
	int vgwhat = 0;

	if (what & EV_READ)
		vgwhat |= VG_FD_READ;
	if (what & EV_WRITE)
		vgwhat |= VG_FD_WRITE;
	w->firing = 1;
	w->fn(w->fd, vgwhat, w->arg);
	w->firing = 0;
	if (w->dead)
		loop_watch_free(w);
}

/* (Re)arm W's event for WHAT; WHAT 0 leaves it idle. Returns 0 or -1. */
static int
loop_watch_arm(struct vg_fdwatch *w, int what)
{
	short flags = EV_PERSIST;

	if (w->ev != NULL) {
		event_free(w->ev);
		w->ev = NULL;
	}
	w->what = what;
	if (what == 0)
		return (0);
	if (what & VG_FD_READ)
		flags |= EV_READ;
	if (what & VG_FD_WRITE)
		flags |= EV_WRITE;
	if ((w->ev = event_new(vg_core_base(), w->fd, flags, loop_watch_fire,
	    w)) == NULL) {
		vg_log(VG_LOG_ERROR, "%s: event_new failed", __func__);
		return (-1);
	}
	if (event_add(w->ev, NULL) == -1) {
		vg_log(VG_LOG_ERROR, "%s: event_add fd %d failed", __func__,
		    w->fd);
		event_free(w->ev);
		w->ev = NULL;
		return (-1);
	}
	return (0);
}

/* Watch FD for WHAT on MOD's behalf, until unwatched. */
struct vg_fdwatch *
vg_fd_watch(struct vg_module *mod, int fd, int what, vg_fd_fn fn, void *arg)
{
	struct vg_fdwatch *w;

	if (fd < 0 || fn == NULL || g.ready == 0 ||
	    (what & ~(VG_FD_READ | VG_FD_WRITE)) != 0) {
		vg_log(VG_LOG_ERROR, "%s: bad arguments (fd %d, what %d)",
		    __func__, fd, what);
		return (NULL);
	}
	w = vg_xcalloc(1, sizeof(*w));
	w->owner = mod != NULL ? mod : vg_core_module();
	w->fd = fd;
	w->fn = fn;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&g.watches, w, link);
	if (loop_watch_arm(w, what) == -1) {
		loop_watch_free(w);
		return (NULL);
	}
	return (w);
}

/* Change what W waits for; safe inside W's callback. */
int
vg_fd_watch_set(struct vg_fdwatch *w, int what)
{
	if (w == NULL || w->dead || (what & ~(VG_FD_READ | VG_FD_WRITE)) != 0)
		return (-1);
	if (what == w->what && (what == 0 || w->ev != NULL))
		return (0);
	return (loop_watch_arm(w, what));
}

/* Stop watching; inside W's callback the free waits until it ends. */
void
vg_fd_unwatch(struct vg_fdwatch *w)
{
	if (w == NULL || w->dead)
		return;
	if (w->firing) {
		if (w->ev != NULL) {
			event_free(w->ev);
			w->ev = NULL;
		}
		w->dead = 1;
		return;
	}
	loop_watch_free(w);
}

/* ---- the worker pool ---- */

/* A pool thread: run queued jobs until the pool stops. */
static void *
loop_worker(void *unused)
{
	struct loop_job *j;

	pthread_mutex_lock(&g.lock);
	for (;;) {
		while (!g.stopping && TAILQ_EMPTY(&g.queue))
			pthread_cond_wait(&g.cond, &g.lock);
		if (g.stopping)
			break;
		j = TAILQ_FIRST(&g.queue);
		TAILQ_REMOVE(&g.queue, j, qlink);
		j->state = LOOP_JOB_RUNNING;
		pthread_mutex_unlock(&g.lock);

		j->work(j->arg);

		pthread_mutex_lock(&g.lock);
		j->state = LOOP_JOB_FINISHED;
		TAILQ_INSERT_TAIL(&g.done, j, qlink);
		event_active(g.done_ev, 0, 0);
	}
	pthread_mutex_unlock(&g.lock);
	return (NULL);
}

/* Start the pool threads on first use. Returns 0 or -1. */
static int
loop_workers_start(void)
{
	int error;

	while (g.nworkers < LOOP_WORKERS) {
		error = pthread_create(&g.workers[g.nworkers], NULL,
		    loop_worker, NULL);
		if (error != 0) {
			vg_log(VG_LOG_ERROR, "%s: pthread_create: %s",
			    __func__, strerror(error));
			return (g.nworkers > 0 ? 0 : -1);
		}
		g.nworkers++;
	}
	return (0);
}

/* Unlink J from the core's list and free it. */
static void
loop_job_free(struct loop_job *j)
{
	TAILQ_REMOVE(&g.jobs, j, all);
	free(j);
}

/* Core thread: hand every finished job to its done(), unless orphaned. */
static void
loop_done_drain(evutil_socket_t fd, short what, void *arg)
{
	struct loop_jobs batch = TAILQ_HEAD_INITIALIZER(batch);
	struct loop_job *j;

	pthread_mutex_lock(&g.lock);
	TAILQ_CONCAT(&batch, &g.done, qlink);
	pthread_mutex_unlock(&g.lock);

	while ((j = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, j, qlink);
		if (j->owner != NULL && j->done != NULL)
			j->done(j->arg);
		loop_job_free(j);
	}
}

/* Queue WORK for a pool thread; DONE follows on the core thread. */
int
vg_work_submit(struct vg_module *mod, vg_work_fn work, vg_work_fn done,
    void *arg)
{
	struct loop_job *j;

	if (work == NULL || g.ready == 0) {
		vg_log(VG_LOG_ERROR, "%s: no work or loop not ready", __func__);
		return (-1);
	}
	pthread_mutex_lock(&g.lock);
	if (g.stopping || loop_workers_start() == -1) {
		pthread_mutex_unlock(&g.lock);
		return (-1);
	}
	j = vg_xcalloc(1, sizeof(*j));
	j->owner = mod != NULL ? mod : vg_core_module();
	j->work = work;
	j->done = done;
	j->arg = arg;
	j->state = LOOP_JOB_QUEUED;
	TAILQ_INSERT_TAIL(&g.queue, j, qlink);
	TAILQ_INSERT_TAIL(&g.jobs, j, all);
	pthread_cond_signal(&g.cond);
	pthread_mutex_unlock(&g.lock);
	return (0);
}

/* ---- set-up, owners, tear-down ---- */

/* Prepare the lists, the lock and the done event. */
int
vg_loop_init(void)
{
	if (g.ready)
		return (0);
	memset(&g, 0, sizeof(g));
	TAILQ_INIT(&g.timers);
	TAILQ_INIT(&g.watches);
	TAILQ_INIT(&g.jobs);
	TAILQ_INIT(&g.queue);
	TAILQ_INIT(&g.done);
	if (vg_core_base() == NULL) {
		vg_log(VG_LOG_ERROR, "%s: no event base", __func__);
		return (-1);
	}
	if ((g.done_ev = event_new(vg_core_base(), -1, 0, loop_done_drain,
	    NULL)) == NULL) {
		vg_log(VG_LOG_ERROR, "%s: event_new failed", __func__);
		return (-1);
	}
	pthread_mutex_init(&g.lock, NULL);
	pthread_cond_init(&g.cond, NULL);
	g.ready = 1;
	return (0);
}

/*
 * End MOD's timers and watches, drop its jobs not yet started and orphan
 * those running or finished (their done() is skipped). Returns the count.
 */
unsigned
vg_loop_release_owner(struct vg_module *mod)
{
	struct vg_timer *t, *tt;
	struct vg_fdwatch *w, *ww;
	struct loop_job *j, *jj;
	unsigned n = 0;

	if (!g.ready || mod == NULL)
		return (0);
	TAILQ_FOREACH_SAFE(t, &g.timers, link, tt) {
		if (t->owner != mod || t->dead)
			continue;
		vg_timer_cancel(t);
		n++;
	}
	TAILQ_FOREACH_SAFE(w, &g.watches, link, ww) {
		if (w->owner != mod || w->dead)
			continue;
		vg_fd_unwatch(w);
		n++;
	}
	pthread_mutex_lock(&g.lock);
	TAILQ_FOREACH_SAFE(j, &g.jobs, all, jj) {
		if (j->owner != mod)
			continue;
		n++;
		if (j->state == LOOP_JOB_QUEUED) {
			/* Its code may be unmapped soon: never run it. */
			TAILQ_REMOVE(&g.queue, j, qlink);
			loop_job_free(j);
		} else
			j->owner = NULL;
	}
	pthread_mutex_unlock(&g.lock);
	return (n);
}

/* Stop and join the workers, then free every timer, watch and job. */
void
vg_loop_free(void)
{
	struct vg_timer *t;
	struct vg_fdwatch *w;
	struct loop_job *j;
	int i;

	if (!g.ready)
		return;
	pthread_mutex_lock(&g.lock);
	g.stopping = 1;
	pthread_cond_broadcast(&g.cond);
	pthread_mutex_unlock(&g.lock);
	for (i = 0; i < g.nworkers; i++)
		pthread_join(g.workers[i], NULL);
	g.nworkers = 0;

	while ((j = TAILQ_FIRST(&g.jobs)) != NULL)
		loop_job_free(j);
	TAILQ_INIT(&g.queue);
	TAILQ_INIT(&g.done);
	while ((t = TAILQ_FIRST(&g.timers)) != NULL)
		loop_timer_free(t);
	while ((w = TAILQ_FIRST(&g.watches)) != NULL)
		loop_watch_free(w);
	event_free(g.done_ev);
	g.done_ev = NULL;
	pthread_cond_destroy(&g.cond);
	pthread_mutex_destroy(&g.lock);
	g.ready = 0;
}
