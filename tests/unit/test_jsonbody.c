/*
 * test_jsonbody.c - unit tests for services/base/jsonbody.c: every kind of body
 * the header says is rejected, the depth limit at and just past its bound,
 * brackets and escaped quotes inside strings, and that the reason given
 * never quotes the input.
 */
#include <string.h>

#include "harness.h"
#include "jsonbody.h"

#define SECRET "hunter2hunter2"

/* Parses a string literal (which may hold NUL bytes) with max_depth. */
#define PARSE(lit, depth, obj, why) json_body_parse((lit), sizeof(lit) - 1, (depth), (obj), (why))

/* Checks that body is rejected with ERR_INVALID, a reason that does not
 * quote the secret, and that *ret_obj is left untouched. */
static int rejected(const char *body, size_t len, int max_depth)
{
	json_t *obj = NULL;
	const char *why = NULL;
	enum err err = json_body_parse(body, len, max_depth, &obj, &why);

	if (err != ERR_INVALID || obj != NULL || why == NULL || why[0] == '\0')
		return 0;
	if (strstr(why, "hunter2") != NULL || strstr(why, SECRET) != NULL)
		return 0;
	return 1;
}

#define REJECTED(lit, depth) rejected((lit), sizeof(lit) - 1, (depth))

/* Checks that body parses into an object; returns it (a new reference). */
static json_t *accepted(const char *body, size_t len, int max_depth)
{
	json_t *obj = NULL;
	const char *why = NULL;

	if (json_body_parse(body, len, max_depth, &obj, &why) != ERR_OK)
		return NULL;
	if (!json_is_object(obj)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

#define ACCEPTED(lit, depth) accepted((lit), sizeof(lit) - 1, (depth))

/* Accepts the literal and drops the object. */
static int accepts(const char *body, size_t len, int max_depth)
{
	json_t *obj = accepted(body, len, max_depth);

	json_decref(obj);
	return obj != NULL;
}

#define ACCEPTS(lit, depth) accepts((lit), sizeof(lit) - 1, (depth))

TEST(accepts_plain_object)
{
	json_t *obj = ACCEPTED("{\"email\":\"ana@example.org\",\"n\":1}", 8);

	CHECK(obj != NULL);
	CHECK_STREQ(json_string_value(json_object_get(obj, "email")), "ana@example.org");
	CHECK(json_integer_value(json_object_get(obj, "n")) == 1);
	json_decref(obj);
	CHECK(ACCEPTS("{}", 1));
	CHECK(ACCEPTS(" \n\t{ } \n", 1)); /* surrounding whitespace is not trailing data */
}

TEST(only_len_bytes_are_read)
{
	/* what follows len may be anything, even garbage */
	CHECK(accepts("{}garbage", 2, 1));
	CHECK(rejected("{\"a\":1}", 3, 1));
}

TEST(rejects_empty_body)
{
	CHECK(rejected("", 0, 8));
	CHECK(rejected("{}", 0, 8));
	CHECK(REJECTED(" ", 8));
}

TEST(rejects_non_object_top_level)
{
	CHECK(REJECTED("[]", 8));
	CHECK(REJECTED("[\"" SECRET "\"]", 8));
	CHECK(REJECTED("\"" SECRET "\"", 8));
	CHECK(REJECTED("42", 8));
	CHECK(REJECTED("-1.5e3", 8));
	CHECK(REJECTED("true", 8));
	CHECK(REJECTED("null", 8));
}

TEST(rejects_invalid_json)
{
	CHECK(REJECTED("{", 8));
	CHECK(REJECTED("{\"password\":\"" SECRET "\"", 8));
	CHECK(REJECTED("{\"password\":" SECRET "}", 8));
	CHECK(REJECTED("{password:\"" SECRET "\"}", 8));
	CHECK(REJECTED("{'password':'" SECRET "'}", 8));
	CHECK(REJECTED("{\"a\":1,}", 8));
	CHECK(REJECTED("{\"a\" 1}", 8));
	CHECK(REJECTED("{\"a\":\"\\x41\"}", 8));     /* not a JSON escape */
	CHECK(REJECTED("{\"a\":\"tab\there\"}", 8)); /* raw control in a string */
	CHECK(REJECTED("}", 8));
	CHECK(REJECTED("]]]{}", 8));
}

TEST(rejects_trailing_data)
{
	CHECK(REJECTED("{}{}", 8));
	CHECK(REJECTED("{} x", 8));
	CHECK(REJECTED("{\"a\":1}}", 8));
	CHECK(REJECTED("{\"a\":1}]", 8));
	CHECK(REJECTED("{\"a\":1} \"" SECRET "\"", 8));
}

TEST(rejects_duplicate_keys)
{
	CHECK(REJECTED("{\"password\":\"" SECRET "\",\"password\":\"x\"}", 8));
	CHECK(REJECTED("{\"a\":{\"b\":1,\"b\":2}}", 8)); /* nested too */
	CHECK(ACCEPTS("{\"a\":{\"b\":1},\"b\":2}", 8));  /* same name, other object */
}

TEST(rejects_raw_nul)
{
	CHECK(REJECTED("{\"password\":\"" SECRET "\0\"}", 8));
	CHECK(REJECTED("\0{}", 8));
	CHECK(REJECTED("{}\0", 8));
	CHECK(REJECTED("{\"a\0b\":1}", 8));
}

TEST(rejects_escaped_nul)
{
	CHECK(REJECTED("{\"password\":\"" SECRET "\\u0000\"}", 8));
	CHECK(REJECTED("{\"a\\u0000b\":1}", 8));  /* in a key */
	CHECK(ACCEPTS("{\"a\":\"\\u0001\"}", 8)); /* other escapes are fine */
}

TEST(rejects_invalid_utf8)
{
	CHECK(REJECTED("{\"a\":\"\xC3\x28\"}", 8));
	CHECK(REJECTED("{\"password\":\"" SECRET "\xC3\x28\"}", 8));
	CHECK(REJECTED("{\"\xC3\x28\":1}", 8));         /* in a key */
	CHECK(REJECTED("{\"a\":\"\xC0\x80\"}", 8));     /* overlong NUL */
	CHECK(REJECTED("{\"a\":\"\xED\xA0\x80\"}", 8)); /* surrogate */
	CHECK(REJECTED("{\"a\":\"\xFF\"}", 8));
	CHECK(REJECTED("{\"a\":\"\xC3\"}", 8));                        /* truncated */
	CHECK(ACCEPTS("{\"a\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\"}", 8)); /* well formed */
}

TEST(depth_limit_objects_and_arrays)
{
	/* depth 1 */
	CHECK(ACCEPTS("{\"a\":1}", 1));
	CHECK(REJECTED("{\"a\":1}", 0));
	/* depth 4: object, array, object, array */
	CHECK(ACCEPTS("{\"a\":[{\"b\":[1,2]}]}", 4));
	CHECK(REJECTED("{\"a\":[{\"b\":[1,2]}]}", 3));
	/* depth 5 with arrays first under the top object */
	CHECK(ACCEPTS("{\"a\":[[{\"b\":[]}]]}", 5));
	CHECK(REJECTED("{\"a\":[[{\"b\":[]}]]}", 4));
	/* siblings do not add up: depth is the largest nesting, not a count */
	CHECK(ACCEPTS("{\"a\":{},\"b\":[],\"c\":{\"d\":[]},\"e\":[{}]}", 3));
	CHECK(REJECTED("{\"a\":{},\"b\":[],\"c\":{\"d\":[]},\"e\":[{}]}", 2));
}

TEST(depth_limit_deep_body)
{
	enum { DEPTH = 64 };
	char body[6 * DEPTH + 16];
	size_t n = 0;

	/* {"a":{"a":...{}...}} nested DEPTH deep */
	for (int i = 0; i < DEPTH - 1; i++) {
		memcpy(body + n, "{\"a\":", 5);
		n += 5;
	}
	body[n++] = '{';
	for (int i = 0; i < DEPTH; i++)
		body[n++] = '}';
	CHECK(accepts(body, n, DEPTH));
	CHECK(rejected(body, n, DEPTH - 1));

	/* An unbalanced deep prefix is refused before any parsing. */
	memset(body, '[', sizeof(body));
	CHECK(rejected(body, sizeof(body), DEPTH));
}

TEST(brackets_in_strings_not_counted)
{
	CHECK(ACCEPTS("{\"a\":\"[[[[[[\"}", 1));
	CHECK(ACCEPTS("{\"a\":\"{{{{{{\"}", 1));
	CHECK(ACCEPTS("{\"[[[[\":\"]]]]}}}}\"}", 1));
	CHECK(ACCEPTS("{\"a\":\"[[[\",\"b\":\"]]]\",\"c\":[\"{{{\"]}", 2));
	CHECK(REJECTED("{\"a\":\"[[[\",\"b\":\"]]]\",\"c\":[\"{{{\"]}", 1));
}

TEST(escaped_quotes_in_strings)
{
	json_t *obj;

	/* the \" does not end the string, so the brackets after it are text */
	obj = ACCEPTED("{\"a\":\"x\\\"[[[[\\\"y\"}", 1);
	CHECK(obj != NULL);
	CHECK_STREQ(json_string_value(json_object_get(obj, "a")), "x\"[[[[\"y");
	json_decref(obj);
	/* an escaped backslash before a quote does end the string */
	obj = ACCEPTED("{\"a\":\"x\\\\\",\"b\":[1]}", 2);
	CHECK(obj != NULL);
	CHECK_STREQ(json_string_value(json_object_get(obj, "a")), "x\\");
	json_decref(obj);
	CHECK(REJECTED("{\"a\":\"x\\\\\",\"b\":[[1]]}", 2));
	/* escaped quote in a key */
	CHECK(ACCEPTS("{\"k\\\"{{\":\"v\"}", 1));
}

TEST(why_never_quotes_input)
{
	static const char *const bodies[] = {
		"{\"password\":\"hunter2hunter2\"",
		"[\"hunter2hunter2\"]",
		"\"hunter2hunter2\"",
		"{\"password\":\"hunter2hunter2\",\"password\":\"hunter2hunter2\"}",
		"{\"password\":\"hunter2hunter2\"} hunter2hunter2",
		"{\"password\":\"hunter2hunter2\\u0000\"}",
		"{\"hunter2hunter2\":[[[[[[[[[[\"hunter2hunter2\"]]]]]]]]]]}",
		"{\"password\":hunter2hunter2}",
		"hunter2hunter2",
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(*bodies); i++)
		CHECK(rejected(bodies[i], strlen(bodies[i]), 4));
	CHECK(REJECTED("{\"password\":\"hunter2hunter2\xC3\x28\"}", 4));
	CHECK(REJECTED("{\"password\":\"hunter2hunter2\0\"}", 4));
}

/* json_nesting_exceeds on its own: the check a registry reply gets too,
 * whatever its top-level value and whether or not it is valid JSON. */
#define DEEPER(lit, depth) json_nesting_exceeds((lit), sizeof(lit) - 1, (depth))

TEST(reason_body)
{
	json_t *errors = json_array(), *ok = json_pack("{s:s}", "reason", "ticket 42");
	json_t *empty = json_pack("{s:s}", "reason", ""),
	       *ctl = json_pack("{s:s}", "reason", "a\x07");
	json_t *extra = json_pack("{s:s, s:i}", "reason", "x", "other", 1), *none = json_object();

	CHECK_STREQ(json_body_reason(ok, 9, errors), "ticket 42");
	CHECK(json_array_size(errors) == 0);
	CHECK(json_body_reason(ok, 8, errors) == NULL); /* one byte too long */
	CHECK(json_body_reason(empty, 9, errors) == NULL);
	CHECK(json_body_reason(ctl, 9, errors) == NULL);
	CHECK(json_body_reason(extra, 9, errors) == NULL);
	CHECK(json_body_reason(none, 9, errors) == NULL);
	CHECK(json_array_size(errors) == 5);
	json_decref(errors);
	json_decref(ok);
	json_decref(empty);
	json_decref(ctl);
	json_decref(extra);
	json_decref(none);
}

TEST(nesting_exceeds_direct)
{
	/* the exact limit passes, one more level does not */
	CHECK(!DEEPER("[[[1]]]", 3));
	CHECK(DEEPER("[[[1]]]", 2));
	CHECK(!DEEPER("{\"a\":[{\"b\":{}}]}", 4));
	CHECK(DEEPER("{\"a\":[{\"b\":{}}]}", 3));
	CHECK(!DEEPER("", 0) && !DEEPER("42", 0) && DEEPER("[]", 0));
	/* brackets inside strings, keys included, are text */
	CHECK(!DEEPER("[\"[[[[{{{{\"]", 1));
	CHECK(!DEEPER("{\"[[[[\":\"]]]]{{{{\"}", 1));
	/* an escaped quote does not end a string, an escaped backslash does
	 * not escape the quote after it */
	CHECK(!DEEPER("[\"x\\\"[[[[\"]", 1));
	CHECK(DEEPER("[\"x\\\\\",[[1]]]", 2));
	CHECK(!DEEPER("[\"x\\\\\",[[1]]]", 3));
	/* siblings do not add up; closers bring the depth down */
	CHECK(!DEEPER("[[],[],{},[{}]]", 3) && DEEPER("[[],[],{},[{}]]", 2));
	/* only len bytes are read, and they need not be valid JSON */
	CHECK(!json_nesting_exceeds("[[[[", 2, 2));
	CHECK(DEEPER("[[[", 2));
}

int main(void)
{
	RUN(accepts_plain_object);
	RUN(only_len_bytes_are_read);
	RUN(rejects_empty_body);
	RUN(rejects_non_object_top_level);
	RUN(rejects_invalid_json);
	RUN(rejects_trailing_data);
	RUN(rejects_duplicate_keys);
	RUN(rejects_raw_nul);
	RUN(rejects_escaped_nul);
	RUN(rejects_invalid_utf8);
	RUN(depth_limit_objects_and_arrays);
	RUN(depth_limit_deep_body);
	RUN(brackets_in_strings_not_counted);
	RUN(escaped_quotes_in_strings);
	RUN(why_never_quotes_input);
	RUN(nesting_exceeds_direct);
	RUN(reason_body);
	return harness_done();
}
