/*
 * Unit tests for the loop helpers (timers, fd watches, the worker pool) and
 * for form decoding and URL encoding. Each loop case makes a fresh core and
 * runs its base with an exit timeout, so nothing can hang.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include <voicegate/voicegate.h>

#include "core.h"
#include "vg_test.h"

static struct vg_module mod_a = { .name = "mod_a" };
static struct vg_module mod_b = { .name = "mod_b" };

/* Run the core's base for at most MS milliseconds (less if broken). */
static void
run_for(unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(vg_core_base(), &tv);
	event_base_dispatch(vg_core_base());
}

/* Break out of the running loop. */
static void
stop_loop(void)
{
	event_base_loopbreak(vg_core_base());
}

/* ---- timers ---- */

struct tcount {
	int		 n;
	int		 cancel_at;	/* cancel self at this count; 0 never */
	int		 break_at;	/* break the loop at this count */
	int		 on_core;
};

/* Count a firing; cancel or stop when told. */
static void
t_count_cb(struct vg_timer *t, void *arg)
{
	struct tcount *c = arg;

	c->n++;
	c->on_core = vg_core_is_core_thread();
	if (c->cancel_at != 0 && c->n == c->cancel_at)
		vg_timer_cancel(t);
	if (c->break_at != 0 && c->n == c->break_at)
		stop_loop();
}

static void
t_oneshot_once(void)
{
	struct tcount c = { 0 };

	VG_CHECK_INT(vg_core_init(), 0);
	VG_CHECK(vg_timer_add(&mod_a, 10, 0, t_count_cb, &c) != NULL);
	VG_CHECK_INT(c.n, 0);
	run_for(150);
	VG_CHECK_INT(c.n, 1);
	VG_CHECK_INT(c.on_core, 1);
	/* Gone after firing: nothing left for the owner. */
	VG_CHECK_INT(vg_loop_release_owner(&mod_a), 0);
	vg_core_free();
}

static void
t_repeat_n(void)
{
	struct tcount c = { .break_at = 4 };
	struct vg_timer *t;

	VG_CHECK_INT(vg_core_init(), 0);
	VG_CHECK((t = vg_timer_add(&mod_a, 5, 1, t_count_cb, &c)) != NULL);
	run_for(2000);
	VG_CHECK_INT(c.n, 4);
	/* Still there until cancelled. */
	c.break_at = 8;
	run_for(2000);
	VG_CHECK_INT(c.n, 8);
	vg_timer_cancel(t);
	run_for(50);
	VG_CHECK_INT(c.n, 8);
	VG_CHECK_INT(vg_loop_release_owner(&mod_a), 0);
	vg_core_free();
}

static void
t_cancel_in_callback(void)
{
	struct tcount rep = { .cancel_at = 3 };
	struct tcount one = { .cancel_at = 1 };

	VG_CHECK_INT(vg_core_init(), 0);
	VG_CHECK(vg_timer_add(&mod_a, 5, 1, t_count_cb, &rep) != NULL);
	/* Cancelling a one-shot inside its callback is allowed too. */
	VG_CHECK(vg_timer_add(&mod_a, 5, 0, t_count_cb, &one) != NULL);
	run_for(200);
	VG_CHECK_INT(rep.n, 3);
	VG_CHECK_INT(one.n, 1);
	VG_CHECK_INT(vg_loop_release_owner(&mod_a), 0);
	vg_core_free();
}

static void
t_cancel_before(void)
{
	struct tcount c = { 0 };
	struct vg_timer *t;

	VG_CHECK_INT(vg_core_init(), 0);
	VG_CHECK((t = vg_timer_add(&mod_a, 10, 0, t_count_cb, &c)) != NULL);
	vg_timer_cancel(t);
	VG_CHECK((t = vg_timer_add(&mod_a, 0, 1, t_count_cb, &c)) != NULL);
	vg_timer_cancel(t);
	run_for(80);
	VG_CHECK_INT(c.n, 0);
	VG_CHECK_INT(vg_loop_release_owner(&mod_a), 0);
	vg_core_free();
}

/* ---- fd watches ---- */

struct wstate {
	struct vg_fdwatch	*w;
	int			 reads;
	int			 writes;
	int			 order[4];
	int			 events;
	char			 got;
};

/* First readable, read a byte and ask for writable; then stop. */
static void
t_watch_cb(int fd, int what, void *arg)
{
	struct wstate *s = arg;

	if (s->events < 4)
		s->order[s->events] = what;
	s->events++;
	if (what & VG_FD_READ) {
		s->reads++;
		if (read(fd, &s->got, 1) == 1)
			VG_CHECK_INT(vg_fd_watch_set(s->w, VG_FD_WRITE), 0);
	} else if (what & VG_FD_WRITE) {
		s->writes++;
		vg_fd_unwatch(s->w);
		stop_loop();
	}
}

static void
t_fd_read_then_write(void)
{
	struct wstate s = { 0 };
	int sv[2];

	VG_CHECK_INT(vg_core_init(), 0);
	VG_CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	VG_CHECK((s.w = vg_fd_watch(&mod_a, sv[0], VG_FD_READ, t_watch_cb,
	    &s)) != NULL);
	/* Nothing to read yet: no callback. */
	run_for(30);
	VG_CHECK_INT(s.events, 0);
	VG_CHECK_INT(write(sv[1], "x", 1), 1);
	run_for(2000);
	VG_CHECK_INT(s.reads, 1);
	VG_CHECK_INT(s.writes, 1);
	VG_CHECK_INT(s.order[0], VG_FD_READ);
	VG_CHECK_INT(s.order[1], VG_FD_WRITE);
	VG_CHECK_INT(s.got, 'x');
	/* Unwatched inside its callback: gone. */
	VG_CHECK_INT(vg_loop_release_owner(&mod_a), 0);
	close(sv[0]);
	close(sv[1]);
	vg_core_free();
}

/* Count readiness without reading: a persistent watch keeps firing. */
static void
t_watch_count_cb(int fd, int what, void *arg)
{
	int *n = arg;

	if (++*n == 3 || *n == 5)
		stop_loop();
}

static void
t_fd_persistent(void)
{
	struct vg_fdwatch *w;
	int sv[2], n = 0;

	VG_CHECK_INT(vg_core_init(), 0);
	VG_CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	VG_CHECK((w = vg_fd_watch(&mod_a, sv[0], VG_FD_READ, t_watch_count_cb,
	    &n)) != NULL);
	VG_CHECK_INT(write(sv[1], "x", 1), 1);
	run_for(2000);
	VG_CHECK_INT(n, 3);
	/* Idle (0) stops the callbacks without ending the watch. */
	VG_CHECK_INT(vg_fd_watch_set(w, 0), 0);
	run_for(30);
	VG_CHECK_INT(n, 3);
	VG_CHECK_INT(vg_fd_watch_set(w, VG_FD_READ), 0);
	run_for(2000);
	VG_CHECK_INT(n, 5);
	vg_fd_unwatch(w);
	close(sv[0]);
	close(sv[1]);
	vg_core_free();
}

/* ---- the worker pool ---- */

#define NJOBS	8

struct job {
	pthread_t	 worker;
	int		 work_on_core;
	int		 done_on_core;
	int		 done;
	int		*left;
};

/* Pool side: remember where it ran. */
static void
t_job_work(void *arg)
{
	struct job *j = arg;

	j->worker = pthread_self();
	j->work_on_core = vg_core_is_core_thread();
	usleep(2000);
}

/* Core side: remember where it ran; stop when all are back. */
static void
t_job_done(void *arg)
{
	struct job *j = arg;

	j->done++;
	j->done_on_core = vg_core_is_core_thread();
	if (--*j->left == 0)
		stop_loop();
}

static void
t_work_threads(void)
{
	struct job jobs[NJOBS];
	int i, left = NJOBS, other = 0;

	memset(jobs, 0, sizeof(jobs));
	VG_CHECK_INT(vg_core_init(), 0);
	for (i = 0; i < NJOBS; i++) {
		jobs[i].left = &left;
		VG_CHECK_INT(vg_work_submit(&mod_a, t_job_work, t_job_done,
		    &jobs[i]), 0);
	}
	VG_CHECK_INT(jobs[0].done, 0);
	run_for(5000);
	VG_CHECK_INT(left, 0);
	for (i = 0; i < NJOBS; i++) {
		VG_CHECK_INT(jobs[i].done, 1);
		VG_CHECK_INT(jobs[i].work_on_core, 0);
		VG_CHECK_INT(jobs[i].done_on_core, 1);
		if (!pthread_equal(jobs[i].worker, pthread_self()))
			other++;
	}
	VG_CHECK_INT(other, NJOBS);
	VG_CHECK_INT(vg_loop_release_owner(&mod_a), 0);
	vg_core_free();
}

/* A gate that blocking jobs wait on (never more than two seconds). */
static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 open;
	int		 started;
	int		 ran;
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0 };

/* Pool side: wait for the gate. */
static void
t_gate_work(void *arg)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	pthread_mutex_lock(&gate.lock);
	gate.started++;
	pthread_cond_broadcast(&gate.cond);
	while (!gate.open)
		if (pthread_cond_timedwait(&gate.cond, &gate.lock, &ts) ==
		    ETIMEDOUT)
			break;
	gate.ran++;
	pthread_mutex_unlock(&gate.lock);
}

/* Wait (up to two seconds) until N gate jobs have started. */
static int
gate_wait_started(int n)
{
	struct timespec ts;
	int ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	pthread_mutex_lock(&gate.lock);
	while (gate.started < n)
		if (pthread_cond_timedwait(&gate.cond, &gate.lock, &ts) ==
		    ETIMEDOUT)
			break;
	ok = gate.started >= n;
	pthread_mutex_unlock(&gate.lock);
	return (ok);
}

/* Core side: must never run for an orphaned job. */
static void
t_gate_done(void *arg)
{
	int *n = arg;

	(*n)++;
}

/* Count watch callbacks. */
static void
t_watch_any_cb(int fd, int what, void *arg)
{
	int *n = arg;

	(*n)++;
}

static void
t_release_owner(void)
{
	struct tcount ta = { 0 }, tb = { 0 };
	int sv[2], watched = 0, dones = 0, ran;

	VG_CHECK_INT(vg_core_init(), 0);
	VG_CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	gate.open = 0;
	gate.started = 0;
	gate.ran = 0;

	VG_CHECK(vg_timer_add(&mod_a, 10, 1, t_count_cb, &ta) != NULL);
	VG_CHECK(vg_timer_add(&mod_a, 10, 0, t_count_cb, &ta) != NULL);
	VG_CHECK(vg_fd_watch(&mod_a, sv[0], VG_FD_READ, t_watch_any_cb,
	    &watched) != NULL);
	/* Two jobs occupy both workers; the third waits in the queue. */
	VG_CHECK_INT(vg_work_submit(&mod_a, t_gate_work, t_gate_done, &dones),
	    0);
	VG_CHECK_INT(vg_work_submit(&mod_a, t_gate_work, t_gate_done, &dones),
	    0);
	VG_CHECK(gate_wait_started(2));
	VG_CHECK_INT(vg_work_submit(&mod_a, t_gate_work, t_gate_done, &dones),
	    0);
	VG_CHECK(vg_timer_add(&mod_b, 10, 0, t_count_cb, &tb) != NULL);

	VG_CHECK_INT(vg_loop_release_owner(&mod_a), 6);
	VG_CHECK_INT(vg_loop_release_owner(&mod_a), 0);

	pthread_mutex_lock(&gate.lock);
	gate.open = 1;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
	VG_CHECK_INT(write(sv[1], "x", 1), 1);
	run_for(200);

	pthread_mutex_lock(&gate.lock);
	ran = gate.ran;
	pthread_mutex_unlock(&gate.lock);
	VG_CHECK_INT(ran, 2);		/* the queued one never ran */
	VG_CHECK_INT(dones, 0);
	VG_CHECK_INT(ta.n, 0);
	VG_CHECK_INT(watched, 0);
	VG_CHECK_INT(tb.n, 1);		/* another owner is untouched */
	close(sv[0]);
	close(sv[1]);
	vg_core_free();
}

/* Pool side: take a little while. */
static void
t_slow_work(void *arg)
{
	usleep(50000);
}

static void
t_free_with_pending(void)
{
	struct tcount c = { 0 };
	int dones = 0, i;

	VG_CHECK_INT(vg_core_init(), 0);
	for (i = 0; i < 5; i++)
		VG_CHECK_INT(vg_work_submit(&mod_a, t_slow_work, t_gate_done,
		    &dones), 0);
	VG_CHECK(vg_timer_add(&mod_a, 1000, 1, t_count_cb, &c) != NULL);
	/* Joins the workers and frees the rest; ASan checks the leaks. */
	vg_core_free();
	VG_CHECK_INT(dones, 0);
	VG_CHECK_INT(c.n, 0);
}

/* ---- forms and URL encoding ---- */

struct pairs {
	int	 n;
	int	 stop_after;
	char	 kv[8][2][64];
};

/* Record each pair. */
static int
t_pair_cb(const char *key, const char *value, void *arg)
{
	struct pairs *p = arg;

	if (p->n < 8) {
		vg_strlcpy(p->kv[p->n][0], key, sizeof(p->kv[0][0]));
		vg_strlcpy(p->kv[p->n][1], value, sizeof(p->kv[0][1]));
	}
	p->n++;
	return (p->stop_after != 0 && p->n >= p->stop_after);
}

/* Parse the whole of S into P. */
static int
parse(const char *s, struct pairs *p)
{
	memset(p, 0, sizeof(*p));
	return (vg_form_parse(s, strlen(s), t_pair_cb, p));
}

static void
t_form_plus_and_escapes(void)
{
	struct pairs p;

	VG_CHECK_INT(parse("a=b+c&d=e%20f&k=%2f%2F%41&%41%42=1", &p), 0);
	VG_CHECK_INT(p.n, 4);
	VG_CHECK_STR(p.kv[0][0], "a");
	VG_CHECK_STR(p.kv[0][1], "b c");
	VG_CHECK_STR(p.kv[1][0], "d");
	VG_CHECK_STR(p.kv[1][1], "e f");
	VG_CHECK_STR(p.kv[2][1], "//A");
	VG_CHECK_STR(p.kv[3][0], "AB");
	/* %2B is a literal plus, not a space. */
	VG_CHECK_INT(parse("From=%2B15551234567&x=a%3Db", &p), 0);
	VG_CHECK_STR(p.kv[0][1], "+15551234567");
	VG_CHECK_STR(p.kv[1][1], "a=b");
	/* UTF-8 bytes pass through. */
	VG_CHECK_INT(parse("n=%C3%A9", &p), 0);
	VG_CHECK_STR(p.kv[0][1], "\xc3\xa9");
}

static void
t_form_malformed(void)
{
	static const char *bad[] = {
		"a=%", "a=%4", "a=%zz", "a=%4g", "%=1", "a=1&b=%G0",
		"a=%00", "x=1&y=2&z=%",
	};
	struct pairs p;
	size_t i;

	for (i = 0; i < VG_NELEM(bad); i++) {
		if (parse(bad[i], &p) != -1)
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
		VG_CHECK_INT(parse(bad[i], &p), -1);
		/* Checked before any callback. */
		VG_CHECK_INT(p.n, 0);
	}
	VG_CHECK_INT(vg_form_parse("a\0b=1", 5, t_pair_cb, &p), -1);
}

static void
t_form_empty_values(void)
{
	struct pairs p;

	VG_CHECK_INT(parse("a&b=&c=3&&=4&", &p), 0);
	VG_CHECK_INT(p.n, 4);
	VG_CHECK_STR(p.kv[0][0], "a");
	VG_CHECK_STR(p.kv[0][1], "");
	VG_CHECK_STR(p.kv[1][0], "b");
	VG_CHECK_STR(p.kv[1][1], "");
	VG_CHECK_STR(p.kv[2][1], "3");
	VG_CHECK_STR(p.kv[3][0], "");
	VG_CHECK_STR(p.kv[3][1], "4");
	VG_CHECK_INT(parse("", &p), 0);
	VG_CHECK_INT(p.n, 0);
	/* A value may hold '='. */
	VG_CHECK_INT(parse("a==b", &p), 0);
	VG_CHECK_STR(p.kv[0][1], "=b");
}

static void
t_form_len_and_stop(void)
{
	struct pairs p;

	memset(&p, 0, sizeof(p));
	VG_CHECK_INT(vg_form_parse("a=1&b=2", 3, t_pair_cb, &p), 0);
	VG_CHECK_INT(p.n, 1);
	VG_CHECK_STR(p.kv[0][1], "1");
	/* LEN bounds the input: the malformed tail is not read. */
	memset(&p, 0, sizeof(p));
	VG_CHECK_INT(vg_form_parse("a=%41%", 5, t_pair_cb, &p), 0);
	VG_CHECK_STR(p.kv[0][1], "A");
	memset(&p, 0, sizeof(p));
	p.stop_after = 1;
	VG_CHECK_INT(vg_form_parse("a=1&b=2", 7, t_pair_cb, &p), 0);
	VG_CHECK_INT(p.n, 1);
}

static void
t_url_encode(void)
{
	char *s;

	s = vg_url_encode("a b+c/~._-AZaz09");
	VG_CHECK_STR(s, "a%20b%2Bc%2F~._-AZaz09");
	free(s);
	s = vg_url_encode("https://x.io/p?q=1&r=\xc3\xa9*'()!");
	VG_CHECK_STR(s, "https%3A%2F%2Fx.io%2Fp%3Fq%3D1%26r%3D%C3%A9%2A%27%28"
	    "%29%21");
	free(s);
	s = vg_url_encode("");
	VG_CHECK_STR(s, "");
	free(s);
}

static void
t_form_round_trip(void)
{
	static const char *vals[] = {
		"plain", "with space", "a+b=c&d", "100% sure", "\xc3\xa9t\xc3\xa9",
		"~._-", "/\\?#[]@!$'()*,;", "",
	};
	struct pairs p;
	char *k, *v, *form;
	size_t i;

	for (i = 0; i < VG_NELEM(vals); i++) {
		k = vg_url_encode(vals[i]);
		v = vg_url_encode(vals[i]);
		form = vg_asprintf("k%s=%s&z=1", k, v);
		VG_CHECK_INT(parse(form, &p), 0);
		VG_CHECK_INT(p.n, 2);
		VG_CHECK(strncmp(p.kv[0][0], "k", 1) == 0);
		VG_CHECK_STR(p.kv[0][0] + 1, vals[i]);
		VG_CHECK_STR(p.kv[0][1], vals[i]);
		free(form);
		free(v);
		free(k);
	}
}

static const struct vg_test cases[] = {
	{ "loop/timer_oneshot_fires_once",	t_oneshot_once },
	{ "loop/timer_repeat_fires_n",		t_repeat_n },
	{ "loop/timer_cancel_in_callback",	t_cancel_in_callback },
	{ "loop/timer_cancel_before_firing",	t_cancel_before },
	{ "loop/fd_read_then_write",		t_fd_read_then_write },
	{ "loop/fd_persistent_and_idle",	t_fd_persistent },
	{ "loop/work_off_core_done_on_core",	t_work_threads },
	{ "loop/release_owner",			t_release_owner },
	{ "loop/free_with_pending_work",	t_free_with_pending },
	{ "form/plus_and_escapes",		t_form_plus_and_escapes },
	{ "form/malformed_rejected",		t_form_malformed },
	{ "form/empty_values",			t_form_empty_values },
	{ "form/len_and_stop",			t_form_len_and_stop },
	{ "form/url_encode",			t_url_encode },
	{ "form/round_trip",			t_form_round_trip },
};
VG_TEST_MAIN(cases)
