/*
 * The core loop for modules: timers, file-descriptor watches and a worker
 * pool for work that must block. Callbacks run on the core thread; every
 * function is core-thread only.
 */
#ifndef VG_LOOP_H
#define VG_LOOP_H

#include <stdint.h>

struct vg_module;
struct vg_timer;
struct vg_fdwatch;

typedef void	(*vg_timer_fn)(struct vg_timer *t, void *arg);

/* Call FN after MS milliseconds, then every MS if REPEAT. Returns the timer
 * (owned by the core; ended by vg_timer_cancel, by firing once when not
 * REPEAT, or by MOD's unload). */
struct vg_timer	*vg_timer_add(struct vg_module *mod, uint64_t ms, int repeat,
		    vg_timer_fn fn, void *arg);

/* Stop T; safe inside its own callback. After a one-shot timer has fired,
 * T is gone: do not cancel it then. */
void		 vg_timer_cancel(struct vg_timer *t);

#define VG_FD_READ	0x1
#define VG_FD_WRITE	0x2

typedef void	(*vg_fd_fn)(int fd, int what, void *arg);

/* Watch FD for WHAT (VG_FD_READ|VG_FD_WRITE), persistently. FD stays the
 * caller's. Returns the watch, or NULL. */
struct vg_fdwatch *vg_fd_watch(struct vg_module *mod, int fd, int what,
		    vg_fd_fn fn, void *arg);
/* Change what W waits for (0: nothing, until set again); safe inside W's
 * callback. Returns 0 or -1. */
int		 vg_fd_watch_set(struct vg_fdwatch *w, int what);
/* End W (safe inside its callback); the fd stays open, the caller's. */
void		 vg_fd_unwatch(struct vg_fdwatch *w);

/* Blocking work: WORK runs on a pool thread (touching nothing but ARG);
 * DONE then runs on the core thread. Returns 0, or -1 if the pool is
 * stopping. If MOD unloads first, DONE is not called. */
typedef void	(*vg_work_fn)(void *arg);
int		 vg_work_submit(struct vg_module *mod, vg_work_fn work,
		    vg_work_fn done, void *arg);

#endif /* VG_LOOP_H */
