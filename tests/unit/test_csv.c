/*
 * test_csv.c - the streaming CSV parser: RFC 4180 quoting, line ends, a
 * byte-order mark, the caps and their errors, and the same records
 * whatever the chunk boundaries (every split of a sample, and a byte at a
 * time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "harness.h"

#define OUT_MAX 65536

/* What the callback saw, as text: "line:len=field;len=field;\n" a record. */
struct seen {
	char out[OUT_MAX];
	size_t len;
	size_t records;
	size_t stop_at; /* refuse the record with this number (1-based); 0: never */
};

static void add(struct seen *s, const char *data, size_t len)
{
	if (s->len + len < sizeof(s->out)) {
		memcpy(s->out + s->len, data, len);
		s->len += len;
		s->out[s->len] = '\0';
	}
}

static enum err on_record(void *ctx, size_t line, const char *const *fields, const size_t *lens,
			  size_t n)
{
	struct seen *s = ctx;
	char num[32];

	s->records++;
	if (s->stop_at != 0 && s->records == s->stop_at)
		return ERR_CONFLICT;
	snprintf(num, sizeof(num), "%zu:", line);
	add(s, num, strlen(num));
	for (size_t i = 0; i < n; i++) {
		snprintf(num, sizeof(num), "%zu=", lens[i]);
		add(s, num, strlen(num));
		add(s, fields[i], lens[i]);
		add(s, ";", 1);
		if (strlen(fields[i]) != lens[i])
			add(s, "<NUL-MISMATCH>", 14);
	}
	add(s, "\n", 1);
	return ERR_OK;
}

/* Parses data in chunks of at most chunk bytes (0: all at once, or split
 * once at split when split > 0). Returns the error; s holds the output. */
static enum err parse(const char *data, size_t len, size_t chunk, size_t split, struct seen *s,
		      size_t *ret_line, const char **ret_why)
{
	struct csv_parser *p = NULL;
	enum err err;

	memset(s, 0, offsetof(struct seen, stop_at));
	err = csv_parser_new(on_record, s, &p);
	if (err != ERR_OK)
		return err;
	if (chunk > 0) {
		for (size_t i = 0; i < len && err == ERR_OK; i += chunk)
			err = csv_feed(p, data + i, len - i < chunk ? len - i : chunk);
	} else if (split > 0) {
		err = csv_feed(p, data, split);
		if (err == ERR_OK)
			err = csv_feed(p, data + split, len - split);
	} else {
		err = csv_feed(p, data, len);
	}
	if (err == ERR_OK)
		err = csv_finish(p);
	if (ret_line != NULL)
		*ret_line = err != ERR_OK ? csv_error_line(p) : 0;
	if (ret_why != NULL)
		*ret_why = err != ERR_OK ? csv_error_text(p) : "";
	csv_parser_free(p);
	return err;
}

static enum err parse_str(const char *data, struct seen *s)
{
	return parse(data, strlen(data), 0, 0, s, NULL, NULL);
}

TEST(simple_records)
{
	static struct seen s;

	CHECK(parse_str("a,b\nc,d\n", &s) == ERR_OK);
	CHECK_STREQ(s.out, "1:1=a;1=b;\n2:1=c;1=d;\n");
	CHECK(parse_str("a,b\r\nc,d\r\n", &s) == ERR_OK);
	CHECK_STREQ(s.out, "1:1=a;1=b;\n2:1=c;1=d;\n");
}

TEST(last_record_without_newline)
{
	static struct seen s;

	CHECK(parse_str("a,b\nc,d", &s) == ERR_OK);
	CHECK_STREQ(s.out, "1:1=a;1=b;\n2:1=c;1=d;\n");
	CHECK(parse_str("a,\"b\"", &s) == ERR_OK);
	CHECK_STREQ(s.out, "1:1=a;1=b;\n");
	CHECK(parse_str("a,b,", &s) == ERR_OK);
	CHECK_STREQ(s.out, "1:1=a;1=b;0=;\n");
	/* a CR at the very end ends the record it closes */
	CHECK(parse_str("a,b\r", &s) == ERR_OK);
	CHECK_STREQ(s.out, "1:1=a;1=b;\n");
	CHECK(parse_str("", &s) == ERR_OK);
	CHECK(s.records == 0);
}

TEST(quotes)
{
	static struct seen s;

	CHECK(parse_str("\"a,b\",\"c\"\"d\",\"\",x\n", &s) == ERR_OK);
	CHECK_STREQ(s.out, "1:3=a,b;3=c\"d;0=;1=x;\n");
	CHECK(parse_str("\"\"\"\"\n", &s) == ERR_OK);
	CHECK_STREQ(s.out, "1:1=\";\n");
	/* line ends inside quotes are data and still count as lines */
	CHECK(parse_str("\"x\ny\",\"1\r\n2\"\nnext\n", &s) == ERR_OK);
	CHECK_STREQ(s.out, "1:3=x\ny;4=1\r\n2;\n4:4=next;\n");
}

TEST(empty_lines_and_fields)
{
	static struct seen s;

	CHECK(parse_str("a\n\nb\n", &s) == ERR_OK);
	CHECK_STREQ(s.out, "1:1=a;\n2:0=;\n3:1=b;\n");
	CHECK(parse_str(",,\r\n", &s) == ERR_OK);
	CHECK_STREQ(s.out, "1:0=;0=;0=;\n");
	CHECK(parse_str("a, b ,c\n", &s) == ERR_OK); /* spaces are data */
	CHECK_STREQ(s.out, "1:1=a;3= b ;1=c;\n");
}

TEST(byte_order_mark)
{
	static struct seen s, t;
	const char *with = "\xEF\xBB\xBF"
			   "a,b\n";

	CHECK(parse_str(with, &s) == ERR_OK);
	CHECK_STREQ(s.out, "1:1=a;1=b;\n");
	/* split inside the mark, and a byte at a time */
	for (size_t split = 1; split < strlen(with); split++) {
		CHECK(parse(with, strlen(with), 0, split, &t, NULL, NULL) == ERR_OK);
		CHECK_STREQ(t.out, s.out);
	}
	CHECK(parse(with, strlen(with), 1, 0, &t, NULL, NULL) == ERR_OK);
	CHECK_STREQ(t.out, s.out);
	/* only at the very start; elsewhere, or incomplete, it is data */
	CHECK(parse_str("a,\xEF\xBB\xBF"
			"b\n",
			&s) == ERR_OK);
	CHECK_STREQ(s.out, "1:1=a;4=\xEF\xBB\xBF"
			   "b;\n");
	CHECK(parse_str("\xEF\xBBx\n", &s) == ERR_OK);
	CHECK_STREQ(s.out, "1:3=\xEF\xBBx;\n");
	CHECK(parse("\xEF\xBBx\n", 4, 1, 0, &s, NULL, NULL) == ERR_OK);
	CHECK_STREQ(s.out, "1:3=\xEF\xBBx;\n");
	CHECK(parse_str("\xEF\xBB", &s) == ERR_OK);
	CHECK_STREQ(s.out, "1:2=\xEF\xBB;\n");
	CHECK(parse_str("\xEF\xBB\xBF", &s) == ERR_OK);
	CHECK(s.records == 0);
}

/* Every feature in one sample: chunking must not change a byte. */
static const char sample[] = "\xEF\xBB\xBF"
			     "LASTNAME,FIRSTNAME,NPI\r\n"
			     "\"O'HARA, JR\",\"SAM \"\"S\"\"\",1900000013\r\n"
			     "plain,,0000000000\n"
			     "\"multi\r\nline\",\"\",\"\"\"\"\r\n"
			     "\r\n"
			     "MÜLLER,JOSÉ,\n"
			     "last,\"no newline\",x";

TEST(every_chunk_boundary)
{
	static struct seen whole, part;
	size_t len = sizeof(sample) - 1;

	CHECK(parse(sample, len, 0, 0, &whole, NULL, NULL) == ERR_OK);
	CHECK(whole.records == 7);
	CHECK_STREQ(whole.out, "1:8=LASTNAME;9=FIRSTNAME;3=NPI;\n"
			       "2:10=O'HARA, JR;7=SAM \"S\";10=1900000013;\n"
			       "3:5=plain;0=;10=0000000000;\n"
			       "4:11=multi\r\nline;0=;1=\";\n"
			       "6:0=;\n"
			       "7:7=MÜLLER;5=JOSÉ;0=;\n"
			       "8:4=last;10=no newline;1=x;\n");
	for (size_t split = 1; split < len; split++) {
		CHECK(parse(sample, len, 0, split, &part, NULL, NULL) == ERR_OK);
		if (strcmp(part.out, whole.out) != 0) {
			fprintf(stderr, "  split at %zu differs\n", split);
			CHECK(0);
		}
	}
	for (size_t chunk = 1; chunk <= 7; chunk++) {
		CHECK(parse(sample, len, chunk, 0, &part, NULL, NULL) == ERR_OK);
		CHECK_STREQ(part.out, whole.out);
	}
}

TEST(malformed)
{
	static struct seen s;
	const char *why;
	size_t line;

#define BAD(text, want_err, want_line)                                                             \
	do {                                                                                       \
		CHECK(parse(text, sizeof(text) - 1, 0, 0, &s, &line, &why) == (want_err));         \
		CHECK(line == (want_line));                                                        \
		CHECK(why[0] != '\0');                                                             \
	} while (0)
	BAD("a,b\nc\"d,e\n", ERR_INVALID, 2);             /* a quote inside an unquoted field */
	BAD("a\nb\n\"x\"y\n", ERR_INVALID, 3);            /* text after a closing quote */
	BAD("a\n\"never closed\n\nmore", ERR_INVALID, 2); /* reported at the record's start */
	BAD("a\rb\n", ERR_INVALID, 1);                    /* a CR alone */
	BAD("a,b\nc,\0d\n", ERR_INVALID, 2);              /* a NUL */
	BAD("\"a\0\"\n", ERR_INVALID, 1);
	CHECK(strstr(why, "NUL") != NULL);
#undef BAD
	/* the message never holds the content */
	CHECK(parse_str("ok\nSECRETNAME\"x\n", &s) == ERR_INVALID);
}

TEST(caps)
{
	static struct seen s;
	static char big[CSV_FIELDS_MAX * 3 + CSV_FIELD_MAX * 2 + 16];
	const char *why;
	size_t line, n = 0;

	/* a field of exactly CSV_FIELD_MAX bytes, quoted or not */
	memset(big, 'x', CSV_FIELD_MAX);
	n = CSV_FIELD_MAX;
	big[n++] = '\n';
	CHECK(parse(big, n, 0, 0, &s, &line, &why) == ERR_OK);
	CHECK(s.records == 1);
	big[0] = '"';
	memset(big + 1, 'y', CSV_FIELD_MAX);
	n = CSV_FIELD_MAX + 1;
	big[n++] = '"';
	big[n++] = '\n';
	CHECK(parse(big, n, 0, 0, &s, &line, &why) == ERR_OK);
	/* one byte more is too big, reported on its line */
	n = 0;
	memcpy(big, "ok\n", 3);
	n = 3;
	memset(big + n, 'z', CSV_FIELD_MAX + 1);
	n += CSV_FIELD_MAX + 1;
	CHECK(parse(big, n, 0, 0, &s, &line, &why) == ERR_TOO_BIG);
	CHECK(line == 2);
	CHECK(strstr(why, "4096") != NULL);
	CHECK(parse(big, n, 100, 0, &s, &line, &why) == ERR_TOO_BIG);
	/* doubled quotes count once */
	n = 0;
	big[n++] = '"';
	for (size_t i = 0; i < CSV_FIELD_MAX; i++) {
		big[n++] = '"';
		big[n++] = '"';
	}
	big[n++] = '"';
	CHECK(parse(big, n, 0, 0, &s, &line, &why) == ERR_OK);
	/* CSV_FIELDS_MAX fields pass, one more does not */
	n = 0;
	for (size_t i = 0; i < CSV_FIELDS_MAX; i++) {
		big[n++] = 'f';
		big[n++] = i + 1 < CSV_FIELDS_MAX ? ',' : '\n';
	}
	CHECK(parse(big, n, 0, 0, &s, &line, &why) == ERR_OK);
	CHECK(s.records == 1);
	n--;
	big[n++] = ',';
	big[n++] = 'g';
	big[n++] = '\n';
	CHECK(parse(big, n, 0, 0, &s, &line, &why) == ERR_TOO_BIG);
	CHECK(strstr(why, "64") != NULL);
	n -= 2; /* ...,f,\n: the 65th field empty */
	big[n++] = '\n';
	CHECK(parse(big, n, 0, 0, &s, &line, &why) == ERR_TOO_BIG);
	CHECK(line == 1);
}

TEST(errors_are_sticky)
{
	static struct seen s;
	struct csv_parser *p = NULL;

	memset(&s, 0, sizeof(s));
	CHECK(csv_parser_new(on_record, &s, &p) == ERR_OK);
	CHECK(csv_feed(p, "a\n\"b\"c\n", 7) == ERR_INVALID);
	CHECK(s.records == 1);
	CHECK(csv_feed(p, "d\n", 2) == ERR_INVALID);
	CHECK(csv_finish(p) == ERR_INVALID);
	CHECK(s.records == 1);
	CHECK(csv_error_line(p) == 2);
	csv_parser_free(p);
	csv_parser_free(NULL);
}

TEST(callback_stops_the_parse)
{
	static struct seen s;
	struct csv_parser *p = NULL;

	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	CHECK(csv_parser_new(on_record, &s, &p) == ERR_OK);
	CHECK(csv_feed(p, "a\nb\nc\n", 6) == ERR_CONFLICT);
	CHECK(s.records == 2);
	CHECK(csv_error_line(p) == 2);
	CHECK_STREQ(csv_error_text(p), "");
	CHECK(csv_finish(p) == ERR_CONFLICT);
	csv_parser_free(p);
	/* also for the last record, delivered by csv_finish() */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	CHECK(csv_parser_new(on_record, &s, &p) == ERR_OK);
	CHECK(csv_feed(p, "a", 1) == ERR_OK);
	CHECK(csv_finish(p) == ERR_CONFLICT);
	csv_parser_free(p);
}

/* Another delimiter, and quoting off: the RPPS extract's '|' with a
 * trailing one and CRLF; a semicolon file whose fields hold quotes. */
TEST(delimiter_and_quoting)
{
	static const struct {
		char delimiter;
		bool quoting;
		const char *in, *want;
	} cases[] = {
		{'|', false, "a|b\"c|\r\nO'Neil|\"x\"|\r\n",
		 "1:1=a;3=b\"c;0=;\n2:6=O'Neil;3=\"x\";0=;\n"},
		{';', true, "\"a;b\";c\n", "1:3=a;b;1=c;\n"},
		{'\t', true, "a,b\tc\n", "1:3=a,b;1=c;\n"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct seen s = {0};
		struct csv_parser *p = NULL;

		CHECK(csv_parser_new(on_record, &s, &p) == ERR_OK);
		CHECK(csv_parser_format(p, cases[i].delimiter, cases[i].quoting) == ERR_OK);
		CHECK(csv_feed(p, cases[i].in, strlen(cases[i].in)) == ERR_OK);
		CHECK(csv_finish(p) == ERR_OK);
		CHECK_STREQ(s.out, cases[i].want);
		csv_parser_free(p);
	}
	{
		struct csv_parser *p = NULL;
		struct seen s = {0};

		CHECK(csv_parser_new(on_record, &s, &p) == ERR_OK);
		CHECK(csv_parser_format(p, '"', true) == ERR_INVALID);
		CHECK(csv_parser_format(p, '\n', true) == ERR_INVALID);
		csv_parser_free(p);
	}
}

/* csv_parser_keep(): only the fields kept are copied, the others come
 * empty, quoted or not; every field still counts for the caps. */
TEST(keep_some_fields)
{
	static const char data[] = "a,\"b,1\",c,d\r\n\"e\"\"\",f,g,\"h\"\r\n";
	static const bool keep[] = {false, true, false, true};
	struct csv_parser *p = NULL;
	struct seen s;
	char big[CSV_FIELD_MAX + 8];

	memset(&s, 0, sizeof(s));
	CHECK(csv_parser_new(on_record, &s, &p) == ERR_OK);
	csv_parser_keep(p, keep, 4);
	CHECK(csv_feed(p, data, sizeof(data) - 1) == ERR_OK);
	CHECK(csv_finish(p) == ERR_OK);
	CHECK_STREQ(s.out, "1:0=;3=b,1;0=;1=d;\n2:0=;1=f;0=;1=h;\n");
	/* a skipped field longer than the cap still fails */
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	CHECK(csv_feed(p, big, sizeof(big)) == ERR_TOO_BIG);
	csv_parser_free(p);
	/* NULL copies every field again */
	memset(&s, 0, sizeof(s));
	CHECK(csv_parser_new(on_record, &s, &p) == ERR_OK);
	csv_parser_keep(p, keep, 4);
	csv_parser_keep(p, NULL, 0);
	CHECK(csv_feed(p, data, sizeof(data) - 1) == ERR_OK);
	CHECK(csv_finish(p) == ERR_OK);
	CHECK_STREQ(s.out, "1:1=a;3=b,1;1=c;1=d;\n2:2=e\";1=f;1=g;1=h;\n");
	csv_parser_free(p);
}

int main(void)
{
	RUN(simple_records);
	RUN(last_record_without_newline);
	RUN(quotes);
	RUN(empty_lines_and_fields);
	RUN(byte_order_mark);
	RUN(every_chunk_boundary);
	RUN(malformed);
	RUN(caps);
	RUN(errors_are_sticky);
	RUN(callback_stops_the_parse);
	RUN(delimiter_and_quoting);
	RUN(keep_some_fields);
	return harness_done();
}
