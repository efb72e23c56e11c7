#include "config.h"
#include "vg_test.h"
static void t_none(void) {}
static const struct vg_test cases[] = { { "x/none", t_none } };
VG_TEST_MAIN(cases)
