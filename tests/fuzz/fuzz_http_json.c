/*
 * fuzz_http_json.c - the "http_json" kind with the worked example
 * definition (verifiers/examples/example-board.json), run from the
 * repository root. The first byte picks what the rest is:
 *   0  a 200 reply body, through parse_reply
 *   1  a status (the second byte, from a table) and a body, through parse_reply
 *   2  a licence number, through build_request
 *   3  "pointer\ndocument", through the JSON Pointer resolver
 * Beyond not crashing, each checks what its header promises: outcomes
 * and checks drawn from their fixed sets, a verified outcome with at
 * least one matching field and no mismatch, an expiry that is "" or a
 * date; a URL holding only unreserved bytes and %XX escapes that decode
 * back to the value; a pointer built from a key finding that key's value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "fuzz.h"
#include "jsonptr.h"
#include "validate.h"
#include "verifier.h"

#define EXAMPLE_FILE "verifiers/examples/example-board.json"
#define URL_PREFIX   "https://board.example.org/api/v1/licensees?number="
#define URL_SUFFIX   "&state=CA"

static struct catalogue *cat;
static struct verifier_set *set;
static const struct verifier *v;
static json_t *fields;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[512];

	(void)argc;
	(void)argv;
	setenv("EXAMPLE_BOARD_TOKEN", "fuzz-token", 1);
	unsetenv("HCPD_REGISTRY_URL_EXAMPLE_BOARD");
	if (catalogue_load("services/catalogue.json", &cat, why, sizeof(why)) != ERR_OK ||
	    verifier_set_from_json(json_load_file(EXAMPLE_FILE, JSON_REJECT_DUPLICATES, NULL),
				   EXAMPLE_FILE, cat, &set, why, sizeof(why)) != ERR_OK) {
		fprintf(stderr, "%s\n", why);
		abort(); /* run from the repository root */
	}
	v = verifier_set_at(set, 0);
	fields = json_pack("{s:s, s:s, s:s, s:s}", "license_number", "MD-004521", "license_region",
			   "CA", "family_name", "Okafor", "given_name", "Chidinma");
	return 0;
}

static void check_result(const struct verifier_result *res)
{
	size_t n = 0, matches = 0, mismatches = 0;
	const char *key;
	json_t *value;

	EXPECT(res->outcome >= OUTCOME_VERIFIED && res->outcome <= OUTCOME_ERROR);
	EXPECT(res->reason[0] != '\0' && memchr(res->reason, '\0', sizeof(res->reason)) != NULL);
	EXPECT(strstr(res->reason, "Okafor") == NULL && strstr(res->reason, "004521") == NULL);
	EXPECT(json_is_object(res->checks) && json_is_object(res->evidence));
	json_object_foreach (res->checks, key, value) {
		const char *s = json_string_value(value);

		EXPECT(s != NULL);
		EXPECT(strcmp(s, "match") == 0 || strcmp(s, "mismatch") == 0 ||
		       strcmp(s, "absent") == 0);
		matches += strcmp(s, "match") == 0;
		mismatches += strcmp(s, "mismatch") == 0;
		n++;
	}
	EXPECT(n <= 4);
	if (res->outcome == OUTCOME_VERIFIED)
		EXPECT(n == 4 && matches > 0 && mismatches == 0);
	if (res->outcome == OUTCOME_MISMATCH) /* no rule of the example gives mismatch */
		EXPECT(mismatches > 0);
	EXPECT(res->expires[0] == '\0' ||
	       (strlen(res->expires) == 10 && res->expires[4] == '-' && res->expires[7] == '-'));
}

static void fuzz_reply(long status, const uint8_t *data, size_t size)
{
	struct verifier_reply reply = {.status = status, .body = (const char *)data, .len = size};
	struct verifier_result res = {0};
	enum err err = v->ops->parse_reply(v, fields, &reply, &res);

	EXPECT(err == ERR_OK || err == ERR_UPSTREAM || err == ERR_NOMEM);
	if (status != 200 && status != 404)
		EXPECT(err == ERR_UPSTREAM);
	if (status == 404)
		EXPECT(err != ERR_OK || res.outcome == OUTCOME_NOT_FOUND);
	if (err == ERR_OK)
		check_result(&res);
	verifier_result_release(&res);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void fuzz_request(const uint8_t *data, size_t size)
{
	char *value = malloc(size + 1), *decoded = malloc(size + 1);
	struct verifier_request req = {0};
	json_t *f = NULL;
	char why[256];
	const char *p, *end;
	size_t n = 0;
	enum err err;

	memcpy(value, data, size);
	value[size] = '\0';
	if (!validate_utf8(value, size))
		goto out;
	f = json_pack("{s:s, s:s, s:s}", "license_number", value, "license_region", "CA",
		      "family_name", "Okafor");
	if (f == NULL)
		goto out;
	err = v->ops->build_request(v, f, &req, why, sizeof(why));
	if (size == 0) {
		EXPECT(err == ERR_INVALID && strcmp(why, "missing license_number") == 0);
		goto out;
	}
	EXPECT(err == ERR_OK || err == ERR_NOMEM || (err == ERR_INVALID && size * 3 > 8000));
	if (err != ERR_OK)
		goto out;
	EXPECT(strncmp(req.url, URL_PREFIX, strlen(URL_PREFIX)) == 0);
	end = req.url + strlen(req.url) - strlen(URL_SUFFIX);
	EXPECT(end >= req.url + strlen(URL_PREFIX) && strcmp(end, URL_SUFFIX) == 0);
	for (p = req.url + strlen(URL_PREFIX); p < end; p++) {
		if (*p == '%') {
			EXPECT(p + 2 < end && hexval(p[1]) >= 0 && hexval(p[2]) >= 0 && n < size);
			decoded[n++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
			continue;
		}
		EXPECT((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		       (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL);
		EXPECT(n < size);
		decoded[n++] = *p;
	}
	EXPECT(n == size && memcmp(decoded, value, size) == 0);
	EXPECT(req.nheaders == 2 && req.body == NULL);
	/* a compared-only field never leaves (unless the licence number holds it) */
	EXPECT(strstr(req.url, "Okafor") == NULL || strstr(value, "Okafor") != NULL);
out:
	verifier_request_release(&req);
	json_decref(f);
	free(value);
	free(decoded);
}

/* "/" and the key with ~ and / escaped, into buf (false if it does not fit). */
static bool pointer_of(const char *key, size_t key_len, char *buf, size_t cap)
{
	size_t n = 0;

	buf[n++] = '/';
	for (size_t i = 0; i < key_len; i++) {
		if (n + 3 >= cap || key[i] == '\0')
			return false;
		if (key[i] == '~' || key[i] == '/') {
			buf[n++] = '~';
			buf[n++] = key[i] == '~' ? '0' : '1';
		} else {
			buf[n++] = key[i];
		}
	}
	buf[n] = '\0';
	return true;
}

static void fuzz_pointer(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl != NULL ? (size_t)(nl - data) : size;
	char *pointer = malloc(plen + 1), buf[512];
	json_t *doc = nl != NULL ? json_loadb((const char *)nl + 1, size - plen - 1,
					      JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL)
				 : NULL;
	json_t *got, *value;
	void *it;
	size_t i;

	memcpy(pointer, data, plen);
	pointer[plen] = '\0';
	got = jsonptr_get(doc, pointer);
	if (!jsonptr_valid(pointer) || doc == NULL)
		EXPECT(got == NULL);
	if (doc != NULL) {
		EXPECT(jsonptr_get(doc, "") == doc);
		for (it = json_object_iter(doc); it != NULL; it = json_object_iter_next(doc, it))
			if (pointer_of(json_object_iter_key(it), json_object_iter_key_len(it), buf,
				       sizeof(buf)))
				EXPECT(jsonptr_get(doc, buf) == json_object_iter_value(it));
		json_array_foreach (doc, i, value) {
			snprintf(buf, sizeof(buf), "/%zu", i);
			EXPECT(jsonptr_get(doc, buf) == value);
		}
		snprintf(buf, sizeof(buf), "/%zu", json_array_size(doc));
		if (json_is_array(doc))
			EXPECT(jsonptr_get(doc, buf) == NULL);
	}
	json_decref(doc);
	free(pointer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 404, 403, 301, 204, 400, 500, 429};

	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_reply(200, data + 1, size - 1);
		break;
	case 1:
		if (size >= 2)
			fuzz_reply(statuses[data[1] % 8], data + 2, size - 2);
		break;
	case 2:
		fuzz_request(data + 1, size - 1);
		break;
	default:
		fuzz_pointer(data + 1, size - 1);
		break;
	}
	return 0;
}
