/*
 * test_jsontext.c - unit tests for services/base/jsontext.c: json_text_dump()
 * gives what json_dumps() gives for documents below, at and above its
 * first buffer, and NULL for what cannot be encoded. Its reason to exist,
 * failing cleanly when memory runs out, is tested by make alloc-fail.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "jsontext.h"

/* {"k": "<n times x>"} */
static json_t *doc_of(size_t n)
{
	char *s = malloc(n + 1);
	json_t *doc;

	memset(s, 'x', n);
	s[n] = '\0';
	doc = json_pack("{s:s}", "k", s);
	free(s);
	return doc;
}

TEST(same_text_as_json_dumps)
{
	/* 2048 is the first buffer: 8 bytes of {"k":""} around the string */
	static const size_t sizes[] = {0, 1, 100, 2039, 2040, 2041, 5000, 100000};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		json_t *doc = doc_of(sizes[i]);
		char *want = json_dumps(doc, JSON_COMPACT);
		char *got = json_text_dump(doc, JSON_COMPACT);

		CHECK_STREQ(got, want);
		CHECK(got != NULL && strlen(got) == sizes[i] + 8);
		free(want);
		free(got);
		json_decref(doc);
	}
}

TEST(flags_are_honoured)
{
	json_t *doc = json_pack("{s:i, s:i}", "b", 1, "a", 2);
	char *sorted = json_text_dump(doc, JSON_COMPACT | JSON_SORT_KEYS);

	CHECK_STREQ(sorted, "{\"a\":2,\"b\":1}");
	free(sorted);
	json_decref(doc);
}

TEST(nothing_to_encode_is_null)
{
	json_t *s = json_string("bare");

	CHECK(json_text_dump(NULL, 0) == NULL);
	CHECK(json_text_dump(s, 0) == NULL); /* a bare string needs JSON_ENCODE_ANY */
	json_decref(s);
}

int main(void)
{
	RUN(same_text_as_json_dumps);
	RUN(flags_are_honoured);
	RUN(nothing_to_encode_is_null);
	return harness_done();
}
