/*
 * The plain main() every fuzz harness shares under `make check`: replay
 * each file of the harness's seed corpus through LLVMFuzzerTestOneInput().
 * An input "passes" when it is processed without a crash (the harness
 * aborts on a broken invariant; ASan/UBSan builds catch the rest). Built
 * with -DVG_FUZZ_CORPUS=\"name\": the corpus is
 * $VG_TOP_SRCDIR/tests/fuzz/corpus/<name>, or the folder in argv[1]. A
 * libFuzzer build links the harness without this file.
 */
#include "config.h"

#include <sys/types.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* A harness may define this to tidy up after the last input. */
void	vg_fuzz_done(void) __attribute__((weak));

/* Read PATH whole into a new buffer, its length in *LEN; NULL on error. */
static uint8_t *
replay_read(const char *path, size_t *len)
{
	uint8_t *buf = NULL;
	long n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL)
		return (NULL);
	if (fseek(fp, 0, SEEK_END) == -1 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) == -1)
		goto out;
	if ((buf = malloc(n + 1)) == NULL)
		goto out;
	if (fread(buf, 1, n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto out;
	}
	*len = (size_t)n;
out:
	fclose(fp);
	return (buf);
}

/* Replay every file in the corpus folder; one "N passed, N failed" line. */
int
main(int argc, char **argv)
{
	char dir[1024], path[2048];
	unsigned passed = 0, failed = 0;
	const char *top;
	struct dirent *de;
	uint8_t *buf;
	size_t len;
	DIR *d;

	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else {
		top = getenv("VG_TOP_SRCDIR");
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s",
		    top != NULL && *top != '\0' ? top : ".", VG_FUZZ_CORPUS);
	}
	if ((d = opendir(dir)) == NULL) {
		perror(dir);
		printf("0 passed, 1 failed\n");
		return (1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((buf = replay_read(path, &len)) == NULL) {
			printf("FAIL %s: cannot read\n", de->d_name);
			failed++;
			continue;
		}
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		printf("ok   %s\n", de->d_name);
		passed++;
	}
	closedir(d);
	if (vg_fuzz_done != NULL)
		vg_fuzz_done();
	if (passed == 0)
		failed++;	/* an empty corpus proves nothing */
	printf("%u passed, %u failed\n", passed, failed);
	return (failed == 0 ? 0 : 1);
}
