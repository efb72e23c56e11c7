/*
 * Bus delivery benchmark: one publisher on the core thread, a few
 * subscribers with exact, prefix, star and call-id filters (one that never
 * matches). After a warm-up, five runs of N events each; prints every run,
 * then the medians as "bus_deliveries_per_sec median=NNN" lines. Audio
 * events (160-byte PCMU frames) are the hot path; control events with a
 * small JSON payload are measured second.
 *
 *   bench_bus [events-per-run]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <voicegate/voicegate.h>

#include "core.h"

#define BENCH_RUNS	5
#define BENCH_BATCH	256		/* events published between drains */
#define BENCH_DEFAULT_N	1000000

static struct vg_module bench_mod = { .name = "bench",
    .state = VG_MOD_RUNNING };

/* What the subscribers touch, so the calls cannot be optimised away. */
static volatile uint64_t sink;

/* A subscriber doing the least a real one would: look at the event. */
static void
bench_cb(const struct vg_event *ev, void *arg)
{
	const struct vg_audio_frame *af = vg_event_audio(ev);

	sink += af != NULL ? af->len : vg_event_seq(ev);
}

/* Publish N events of the given kind, draining every BENCH_BATCH. */
static void
bench_publish(unsigned long n, int audio)
{
	static const unsigned char frame[160];
	struct json_object *o;
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (audio)
			vg_bus_publish(vg_event_new_audio("audio.in",
			    "CA0001", VG_CODEC_PCMU, 8000, i * 20, frame,
			    sizeof(frame)));
		else {
			o = json_object_new_object();
			json_object_object_add(o, "n",
			    json_object_new_int64((int64_t)i));
			vg_bus_emit("audio.mark", "CA0001", o);
		}
		if ((i + 1) % BENCH_BATCH == 0)
			vg_bus_drain();
	}
	vg_bus_drain();
}

/* Order doubles for the median. */
static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

/* Warm up, run BENCH_RUNS times, print each run and the median. */
static void
bench_scenario(const char *name, unsigned long n, int audio)
{
	struct vg_bus_stats before, after;
	double rate[BENCH_RUNS], nsev[BENCH_RUNS];
	uint64_t t0, t1, deliveries;
	int r;

	bench_publish(n / 10 + 1, audio);	/* warm-up */
	for (r = 0; r < BENCH_RUNS; r++) {
		vg_bus_stats(&before);
		t0 = vg_now_ns();
		bench_publish(n, audio);
		t1 = vg_now_ns();
		vg_bus_stats(&after);
		deliveries = after.delivered - before.delivered;
		rate[r] = (double)deliveries * 1e9 / (double)(t1 - t0);
		nsev[r] = (double)(t1 - t0) / (double)n;
		printf("%s run %d: events=%lu deliveries=%llu ms=%.1f "
		    "deliveries_per_sec=%.0f ns_per_event=%.1f "
		    "ns_per_delivery=%.1f\n", name, r + 1, n,
		    (unsigned long long)deliveries, (double)(t1 - t0) / 1e6,
		    rate[r], nsev[r], (double)(t1 - t0) / (double)deliveries);
	}
	qsort(rate, BENCH_RUNS, sizeof(rate[0]), bench_cmp);
	qsort(nsev, BENCH_RUNS, sizeof(nsev[0]), bench_cmp);
	printf("%s_deliveries_per_sec median=%.0f\n", name,
	    rate[BENCH_RUNS / 2]);
	printf("%s_ns_per_event median=%.1f\n", name, nsev[BENCH_RUNS / 2]);
}

/* Subscribe, then run the audio and control scenarios. */
int
main(int argc, char **argv)
{
	static const char *patterns[] = {
		"audio.in",	/* exact */
		"audio.*",	/* prefix */
		"*",		/* everything */
		"call.*",	/* prefix, never matches */
	};
	struct vg_bus_stats st;
	unsigned long n = BENCH_DEFAULT_N;
	size_t i;

	if (argc > 1 && (n = strtoul(argv[1], NULL, 10)) == 0) {
		fprintf(stderr, "usage: bench_bus [events-per-run]\n");
		return (2);
	}
	if (vg_core_init() == -1)
		return (1);
	for (i = 0; i < VG_NELEM(patterns); i++) {
		if (vg_bus_subscribe(&bench_mod, patterns[i], NULL, bench_cb,
		    NULL) == NULL)
			return (1);
	}
	/* One more, filtered on the call. */
	if (vg_bus_subscribe(&bench_mod, "audio.*", "CA0001", bench_cb,
	    NULL) == NULL)
		return (1);
	vg_bus_stats(&st);
	printf("bus bench: %u subscribers (exact, prefix, star, non-matching "
	    "prefix, call filter), %lu events a run, %d runs\n",
	    st.subscribers, n, BENCH_RUNS);
	bench_scenario("bus", n, 1);
	bench_scenario("bus_control", n, 0);
	vg_core_free();
	return (0);
}
