/*
 * fuzz.h - what the fuzz targets share. EXPECT(cond) states a property a
 * target checks beyond "does not crash": when it does not hold, abort(),
 * which libFuzzer reports as a crash and keeps the input.
 */
#ifndef HCPD_FUZZ_H
#define HCPD_FUZZ_H

#include <stdlib.h>

#define EXPECT(cond)                                                                               \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#endif
