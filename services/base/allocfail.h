/*
 * allocfail.h - fault injection for tests: makes one chosen allocation of
 * one request fail. Exists only in `make ALLOC_FAIL=1` builds (into
 * bin/allocfail/ or bin/san/allocfail/), which define HCPD_ALLOC_FAIL and
 * link with -Wl,--wrap for malloc, calloc, realloc, strdup and strndup, so
 * every such call in hcpd's own objects goes through allocfail.c; jansson
 * is pointed at the same malloc (json_set_alloc_funcs), so building and
 * serialising JSON fail too (its decoder, and libjwt's decode call, are
 * exempt: allocfail.c says why).
 * Allocations made inside libpq,
 * OpenSSL, libmicrohttpd and libargon2 are not failed: their own error
 * paths are theirs to test.
 *
 * A request with the header "X-Hcpd-Alloc-Fail: N" (N >= 1) arms it: from
 * its first callback until its reply is queued, the N-th allocation made
 * while libmicrohttpd calls hcpd for that request (in the handler and
 * everything it calls, on whichever server thread) returns NULL, once.
 * Other threads and requests are not counted, so a given N always hits
 * the same allocation; tasks on the workpool are not counted either
 * (they only hash, in libargon2). The reply then carries
 * "X-Hcpd-Alloc-Fail: fired", or "missed" when the request made fewer than
 * N allocations. Armed requests must be sent one at a time. Ordinary
 * builds have neither the header nor this file.
 */
#ifndef HCPD_ALLOCFAIL_H
#define HCPD_ALLOCFAIL_H

#ifdef HCPD_ALLOC_FAIL
#include <stdbool.h>

#define ALLOCFAIL_HEADER "X-Hcpd-Alloc-Fail"

/* Makes the n-th allocation from now fail (n >= 1); replaces any earlier
 * arming. */
void allocfail_arm(long n);

/* Marks the calling thread as running the armed request (http.c brackets
 * each libmicrohttpd callback for it), or no longer. */
void allocfail_enter(void);
void allocfail_leave(void);

/* Disarms; true when the failure was injected since allocfail_arm(). */
bool allocfail_disarm(void);
#endif

#endif
