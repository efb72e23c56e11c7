/*
 * A tiny test harness: a table of named cases, one "N passed, N failed"
 * line at the end, non-zero exit on any failure. Test-only: it keeps static
 * state, which no installed header may.
 *
 *   static const struct vg_test cases[] = {
 *	{ "bus/order_kept", t_order },
 *   };
 *   VG_TEST_MAIN(cases)
 *
 * A case fails when any VG_CHECK in it fails; it goes on after a failure so
 * one run shows every broken check. Run one case: ./test_bus bus/order_kept
 * (a prefix works too).
 */
#ifndef VG_TEST_H
#define VG_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vg_test {
	const char	*name;
	void		(*fn)(void);
};

static int vg_test_case_failed;

#define VG_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "  %s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		vg_test_case_failed = 1;				\
	}								\
} while (0)

#define VG_CHECK_INT(a, b) do {						\
	long long vg_a_ = (long long)(a), vg_b_ = (long long)(b);	\
	if (vg_a_ != vg_b_) {						\
		fprintf(stderr, "  %s:%d: %s == %s: %lld != %lld\n",	\
		    __FILE__, __LINE__, #a, #b, vg_a_, vg_b_);		\
		vg_test_case_failed = 1;				\
	}								\
} while (0)

#define VG_CHECK_STR(a, b) do {						\
	const char *vg_a_ = (a), *vg_b_ = (b);				\
	if (vg_a_ == NULL || vg_b_ == NULL || strcmp(vg_a_, vg_b_) != 0) { \
		fprintf(stderr, "  %s:%d: %s == %s: \"%s\" != \"%s\"\n", \
		    __FILE__, __LINE__, #a, #b, vg_a_ ? vg_a_ : "(null)", \
		    vg_b_ ? vg_b_ : "(null)");				\
		vg_test_case_failed = 1;				\
	}								\
} while (0)

/* Run the cases whose name starts with argv[1] (all when absent). */
static inline int
vg_test_run(const struct vg_test *cases, size_t n, int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	unsigned passed = 0, failed = 0;
	size_t i;

	setvbuf(stdout, NULL, _IONBF, 0);
	for (i = 0; i < n; i++) {
		if (only != NULL &&
		    strncmp(cases[i].name, only, strlen(only)) != 0)
			continue;
		vg_test_case_failed = 0;
		cases[i].fn();
		if (vg_test_case_failed) {
			printf("FAIL %s\n", cases[i].name);
			failed++;
		} else {
			printf("ok   %s\n", cases[i].name);
			passed++;
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return (failed == 0 ? 0 : 1);
}

#define VG_TEST_MAIN(cases)						\
int									\
main(int argc, char **argv)						\
{									\
	return (vg_test_run((cases), sizeof(cases) / sizeof((cases)[0]), \
	    argc, argv));						\
}

#endif /* VG_TEST_H */
