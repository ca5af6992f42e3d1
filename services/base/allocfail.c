/*
 * allocfail.c - the allocation wrappers of the ALLOC_FAIL build (see
 * allocfail.h). Owns one countdown and one flag, both atomic, and two
 * per-thread flags. Never built into a production binary: the
 * Makefile compiles this file only when ALLOC_FAIL is set.
 */
#include <execinfo.h>
#include <jansson.h>
#include <jwt.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "allocfail.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t nmemb, size_t size);
void *__real_realloc(void *ptr, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t nmemb, size_t size);
void *__wrap_realloc(void *ptr, size_t size);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

json_t *__real_json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error);
json_t *__real_json_loads(const char *input, size_t flags, json_error_t *error);
json_t *__wrap_json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error);
json_t *__wrap_json_loads(const char *input, size_t flags, json_error_t *error);
int __real_jwt_decode(jwt_t **jwt, const char *token, const unsigned char *key, int key_len);
int __wrap_jwt_decode(jwt_t **jwt, const char *token, const unsigned char *key, int key_len);

static atomic_long countdown; /* allocations left until the failure; 0: disarmed */
static atomic_bool fired;
static _Thread_local bool serving; /* this thread is running the armed request */
static _Thread_local int paused;   /* inside an exempt call on this thread */

/* Counts one allocation; true for the one that must fail. */
static bool inject(void)
{
	long left = atomic_load(&countdown);

	if (!serving || paused)
		return false;
	while (left > 0) {
		if (atomic_compare_exchange_weak(&countdown, &left, left - 1)) {
			if (left != 1)
				return false;
			atomic_store(&fired, true);
			if (getenv("HCPD_ALLOC_FAIL_TRACE") != NULL) {
				void *frames[32];

				backtrace_symbols_fd(frames, backtrace(frames, 32), 2);
			}
			return true;
		}
	}
	return false;
}

void allocfail_arm(long n)
{
	atomic_store(&fired, false);
	atomic_store(&countdown, n > 0 ? n : 0);
}

void allocfail_enter(void)
{
	serving = true;
}

void allocfail_leave(void)
{
	serving = false;
}

bool allocfail_disarm(void)
{
	atomic_store(&countdown, 0);
	return atomic_exchange(&fired, false);
}

void *__wrap_malloc(size_t size)
{
	return inject() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t nmemb, size_t size)
{
	return inject() ? NULL : __real_calloc(nmemb, size);
}

void *__wrap_realloc(void *ptr, size_t size)
{
	return inject() ? NULL : __real_realloc(ptr, size);
}

char *__wrap_strdup(const char *s)
{
	return inject() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return inject() ? NULL : __real_strndup(s, n);
}

/* jansson 2.14's decoder does not survive a failed allocation: a failed
 * strbuffer append is ignored, so a byte of the saved token goes missing
 * and the string scanner can read past it; other failures come back as
 * syntax errors. No caller of ours can tell those from bad input, so
 * decoding is exempt here (with Linux overcommit, a small malloc failing
 * is the rare case this build simulates). Building and encoding JSON are
 * not exempt. */
json_t *__wrap_json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error)
{
	json_t *v;

	paused++;
	v = __real_json_loadb(buffer, buflen, flags, error);
	paused--;
	return v;
}

json_t *__wrap_json_loads(const char *input, size_t flags, json_error_t *error)
{
	json_t *v;

	paused++;
	v = __real_json_loads(input, flags, error);
	paused--;
	return v;
}

/* libjwt 1.10 decodes through jansson's decoder (exempt above): the
 * call is exempt, which jwt.c's header records. (hcpd no longer signs
 * through libjwt, whose jwt_encode_str() dereferenced a NULL from
 * json_dumps() when jansson could not allocate.) */
int __wrap_jwt_decode(jwt_t **jwt, const char *token, const unsigned char *key, int key_len)
{
	int rc;

	paused++;
	rc = __real_jwt_decode(jwt, token, key, key_len);
	paused--;
	return rc;
}

/* Before main: jansson must allocate through the wrapper from its first
 * value on, and free what it gets with the libc free it pairs with. */
__attribute__((constructor)) static void allocfail_init(void)
{
	json_set_alloc_funcs(__wrap_malloc, free);
}
