/*
 * Every public header compiles on its own: each is included first in a
 * translation unit of its own (see tests/unit/headers/), and this one
 * includes the umbrella header to check they all sit together.
 */
#include "config.h"

#include <voicegate/voicegate.h>

#include "vg_test.h"

/* The ABI word packs major and minor as the loader expects. */
static void
t_abi_word(void)
{
	VG_CHECK_INT(VG_ABI_CURRENT >> 16, VG_ABI_MAJOR);
	VG_CHECK_INT(VG_ABI_CURRENT & 0xffff, VG_ABI_MINOR);
}

static const struct vg_test cases[] = {
	{ "headers/abi_word", t_abi_word },
};
VG_TEST_MAIN(cases)
