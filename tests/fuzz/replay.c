/*
 * replay.c - runs a fuzz target's LLVMFuzzerTestOneInput over files, so
 * `make test` replays every kept input (crashes found, seeds) without
 * clang or libFuzzer. Usage: test_fuzz_<target> [FILE|DIR...]; with no
 * argument it replays tests/fuzz/corpus/<target> (run from the repo root).
 * Prints "unit replay_<target>: N passed, 0 failed": an input that breaks
 * the target crashes the process (under sanitizers) instead.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	rewind(f);
	buf = malloc((size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 : argv[0];
	char dflt[512];
	char *dflt_argv[] = {argv[0], dflt, NULL};
	int n = 0;

	if (argc < 2 && strncmp(base, "test_fuzz_", 10) == 0) {
		snprintf(dflt, sizeof(dflt), "tests/fuzz/corpus/%s", base + 10);
		argc = 2;
		argv = dflt_argv;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;

		if (stat(argv[i], &st) != 0)
			continue;
		if (!S_ISDIR(st.st_mode)) {
			n += replay_file(argv[i]) == 0;
			continue;
		}
		d = opendir(argv[i]);
		while (d != NULL && (de = readdir(d)) != NULL) {
			char path[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			n += replay_file(path) == 0;
		}
		if (d != NULL)
			closedir(d);
	}
	printf("unit %s: %d passed, 0 failed\n", base, n);
	return 0;
}
