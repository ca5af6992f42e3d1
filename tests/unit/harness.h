/*
 * harness.h - the in-tree unit test harness (after Redis's testhelp.h).
 *
 *   TEST(name) { CHECK(1 + 1 == 2); CHECK_STREQ(s, "x"); }
 *   int main(void) { RUN(name); return harness_done(); }
 *
 * Each test prints "ok - name" or "not ok - name" with the failing checks;
 * harness_done() prints "unit <file>: N passed, N failed" (tests/run adds
 * these up) and returns the exit status.
 */
#ifndef HCPD_HARNESS_H
#define HCPD_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_passed, harness_failed, harness_current;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			harness_current = 1;                                                       \
		}                                                                                  \
	} while (0)

#define CHECK_STREQ(a, b)                                                                          \
	do {                                                                                       \
		const char *harness_a = (a), *harness_b = (b);                                     \
		if (harness_a == NULL || harness_b == NULL || strcmp(harness_a, harness_b)) {      \
			fprintf(stderr, "  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__,         \
				harness_a ? harness_a : "(null)",                                  \
				harness_b ? harness_b : "(null)");                                 \
			harness_current = 1;                                                       \
		}                                                                                  \
	} while (0)

#define RUN(name)                                                                                  \
	do {                                                                                       \
		harness_current = 0;                                                               \
		name();                                                                            \
		printf("%s - %s\n", harness_current ? "not ok" : "ok", #name);                     \
		if (harness_current)                                                               \
			harness_failed++;                                                          \
		else                                                                               \
			harness_passed++;                                                          \
	} while (0)

static inline int harness_done(void)
{
	printf("unit %s: %d passed, %d failed\n", __BASE_FILE__, harness_passed, harness_failed);
	return harness_failed ? 1 : 0;
}

#endif
