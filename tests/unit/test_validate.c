/*
 * test_validate.c - unit tests for services/base/validate.c: each validator's
 * accept and reject cases, and every boundary length the header names.
 */
#include <stdbool.h>
#include <string.h>

#include "harness.h"
#include "validate.h"

/* validate_utf8 over a string literal, which may hold NUL bytes. */
#define UTF8(lit) validate_utf8((lit), sizeof(lit) - 1)

/* A NUL-terminated string of n copies of c followed by tail, in buf. */
static const char *repeat(char *buf, size_t size, char c, size_t n, const char *tail)
{
	size_t tlen = strlen(tail);

	if (n + tlen + 1 > size)
		return "";
	memset(buf, c, n);
	memcpy(buf + n, tail, tlen + 1);
	return buf;
}

TEST(utf8_accepts_well_formed)
{
	CHECK(validate_utf8("", 0));
	CHECK(UTF8("plain ASCII ~"));
	CHECK(UTF8("\x7f"));
	CHECK(UTF8("caf\xc3\xa9"));              /* U+00E9 */
	CHECK(UTF8("\xc2\x80"));                 /* U+0080, smallest 2-byte */
	CHECK(UTF8("\xdf\xbf"));                 /* U+07FF, largest 2-byte */
	CHECK(UTF8("\xe0\xa0\x80"));             /* U+0800, smallest 3-byte */
	CHECK(UTF8("\xe2\x82\xac"));             /* U+20AC euro sign */
	CHECK(UTF8("\xed\x9f\xbf"));             /* U+D7FF, just below surrogates */
	CHECK(UTF8("\xee\x80\x80"));             /* U+E000, just above surrogates */
	CHECK(UTF8("\xef\xbf\xbf"));             /* U+FFFF */
	CHECK(UTF8("\xf0\x90\x80\x80"));         /* U+10000, smallest 4-byte */
	CHECK(UTF8("\xf0\x9f\x98\x80"));         /* U+1F600 */
	CHECK(UTF8("\xf4\x8f\xbf\xbf"));         /* U+10FFFF, the last code point */
	CHECK(UTF8("\xe6\x97\xa5\xe6\x9c\xac")); /* two 3-byte characters */
	/* Only len bytes count: what follows may be anything. */
	CHECK(validate_utf8("ok\xff", 2));
	CHECK(validate_utf8("\xc3\xa9\xc3", 2));
}

TEST(utf8_rejects_overlong)
{
	CHECK(!UTF8("\xc0\x80"));         /* NUL as 2 bytes */
	CHECK(!UTF8("\xc0\xaf"));         /* '/' as 2 bytes */
	CHECK(!UTF8("\xc1\xbf"));         /* U+007F as 2 bytes */
	CHECK(!UTF8("\xe0\x80\x80"));     /* NUL as 3 bytes */
	CHECK(!UTF8("\xe0\x9f\xbf"));     /* U+07FF as 3 bytes */
	CHECK(!UTF8("\xf0\x80\x80\x80")); /* NUL as 4 bytes */
	CHECK(!UTF8("\xf0\x8f\xbf\xbf")); /* U+FFFF as 4 bytes */
}

TEST(utf8_rejects_surrogates)
{
	CHECK(!UTF8("\xed\xa0\x80"));             /* U+D800 */
	CHECK(!UTF8("\xed\xaf\xbf"));             /* U+DBFF */
	CHECK(!UTF8("\xed\xb0\x80"));             /* U+DC00 */
	CHECK(!UTF8("\xed\xbf\xbf"));             /* U+DFFF */
	CHECK(!UTF8("\xed\xa0\xbd\xed\xb8\x80")); /* CESU-8 pair for U+1F600 */
}

TEST(utf8_rejects_above_max)
{
	CHECK(!UTF8("\xf4\x90\x80\x80")); /* U+110000 */
	CHECK(!UTF8("\xf5\x80\x80\x80"));
	CHECK(!UTF8("\xf7\xbf\xbf\xbf"));
	CHECK(!UTF8("\xf8\x88\x80\x80\x80"));     /* old 5-byte form */
	CHECK(!UTF8("\xfc\x84\x80\x80\x80\x80")); /* old 6-byte form */
	CHECK(!UTF8("\xfe"));
	CHECK(!UTF8("\xff"));
}

TEST(utf8_rejects_truncated_and_stray)
{
	CHECK(!UTF8("\xc3"));         /* 2-byte lead at the end */
	CHECK(!UTF8("\xe2\x82"));     /* 3-byte, one short */
	CHECK(!UTF8("\xe2"));         /* 3-byte, two short */
	CHECK(!UTF8("\xf0\x9f\x98")); /* 4-byte, one short */
	CHECK(!UTF8("\xf0\x9f"));
	CHECK(!UTF8("\xf0"));
	CHECK(!validate_utf8("\xc3\xa9", 1)); /* cut by len, not by NUL */
	CHECK(!UTF8("\xc3x"));                /* lead followed by ASCII */
	CHECK(!UTF8("\xe2\x82x"));
	CHECK(!UTF8("\xf0\x9f\x98x"));
	CHECK(!UTF8("\x80")); /* stray continuation bytes */
	CHECK(!UTF8("a\xbf"));
	CHECK(!UTF8("\xc3\xa9\xa9"));
	CHECK(!UTF8("\xe2\x82\xac\x80"));
}

TEST(utf8_rejects_nul)
{
	CHECK(!validate_utf8("\0", 1));
	CHECK(!UTF8("ab\0cd"));
	CHECK(!UTF8("abc\0"));
	CHECK(!UTF8("\xc3\xa9\0"));
	CHECK(!UTF8("\xe2\x82\0")); /* NUL where a continuation should be */
	CHECK(validate_utf8("abc\0", 3));
	CHECK(!validate_utf8(NULL, 0));
}

TEST(no_controls)
{
	char buf[2] = {0, 0};
	int c;

	CHECK(validate_no_controls(""));
	CHECK(validate_no_controls("Dr. Jane O'Neil ~ caf\xc3\xa9"));
	CHECK(validate_no_controls(" "));
	for (c = 1; c < 0x20; c++) {
		buf[0] = (char)c;
		CHECK(!validate_no_controls(buf));
	}
	CHECK(!validate_no_controls("\x7f"));
	CHECK(!validate_no_controls("line\r\n"));
	CHECK(!validate_no_controls("a\nb"));
	CHECK(!validate_no_controls("a\rb"));
	CHECK(!validate_no_controls("tab\there"));
	/* text that would display other than it reads */
	CHECK(!validate_no_controls("\xe2\x80\xae"
				    "Ana"));             /* U+202E RLO */
	CHECK(!validate_no_controls("Ana\xe2\x81\xa6")); /* U+2066 LRI */
	CHECK(!validate_no_controls("a\xe2\x80\x8f"
				    "b")); /* U+200F RLM */
	CHECK(!validate_no_controls("a\xe2\x80\xa8"
				    "b")); /* U+2028 */
	CHECK(!validate_no_controls("a\xc2\x85"
				    "b")); /* U+0085 NEL */
	CHECK(!validate_no_controls("\xef\xbb\xbf"
				    "Ana")); /* U+FEFF */
	/* their neighbours are fine: U+00A0, U+2010 hyphen, U+2070, U+FEFE */
	CHECK(validate_no_controls("a\xc2\xa0"
				   "b\xe2\x80\x90"
				   "c\xe2\x81\xb0\xef\xbb\xbe"));
	CHECK(validate_no_controls("\xe0\xa4\x95\xe2\x80\x8d")); /* U+0915 U+200D ZWJ */
	CHECK(!validate_no_controls("esc\x1b[0m"));
	CHECK(!validate_no_controls(NULL));
}

TEST(email_accepts)
{
	CHECK(validate_email("a@b.co"));
	CHECK(validate_email("jane.doe@example.com"));
	CHECK(validate_email("Jane.Doe+hcp@Mail.Example.ORG"));
	CHECK(validate_email("o'neil@example.ie"));
	CHECK(validate_email("x_y-z!#$%&*/=?^`{|}~@example.com"));
	CHECK(validate_email("a@xn--bcher-kva.example"));
	CHECK(validate_email("a@sub-domain.a1.example.com"));
	CHECK(validate_email("a@1.2.3.com"));
}

TEST(email_rejects_shape)
{
	CHECK(!validate_email(NULL));
	CHECK(!validate_email(""));
	CHECK(!validate_email("@"));
	CHECK(!validate_email("a@"));
	CHECK(!validate_email("ab"));
	CHECK(!validate_email("example.com"));
	CHECK(!validate_email("@example.com"));
	CHECK(!validate_email("a@b@example.com"));
	CHECK(!validate_email("a@localhost"));
	CHECK(!validate_email("a@example.c"));   /* TLD too short */
	CHECK(!validate_email("a@example.c0m")); /* TLD not alphabetic */
	CHECK(!validate_email("a@example.123"));
	CHECK(!validate_email("a@example.com.")); /* empty last label */
	CHECK(!validate_email("a@.example.com"));
	CHECK(!validate_email("a@example..com"));
	CHECK(!validate_email("a@-example.com"));
	CHECK(!validate_email("a@example-.com"));
	CHECK(!validate_email("a@example.-com"));
	CHECK(!validate_email("a@exa_mple.com"));
	CHECK(!validate_email("a@exa mple.com"));
	CHECK(!validate_email("a@[192.0.2.1]"));
	CHECK(!validate_email("a@ex\xc3\xa4mple.com")); /* no raw IDN */
}

TEST(email_rejects_local_chars)
{
	const char *bad[] = {"a b@example.com",     "a(b@example.com", "a)b@example.com",
			     "a,b@example.com",     "a:b@example.com", "a;b@example.com",
			     "a<b@example.com",     "a>b@example.com", "a[b@example.com",
			     "a\\b@example.com",    "a]b@example.com", "\"ab\"@example.com",
			     "\xc3\xa9@example.com"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!validate_email(bad[i]));
}

TEST(email_rejects_controls)
{
	CHECK(!validate_email("a@example.com\r\n"));
	CHECK(!validate_email("a@example.com\n"));
	CHECK(!validate_email("a\r\nBcc: x@example.com"));
	CHECK(!validate_email("a\r@example.com"));
	CHECK(!validate_email("a\n@example.com"));
	CHECK(!validate_email("a@exam\nple.com"));
	CHECK(!validate_email("a\t@example.com"));
	CHECK(!validate_email("a\x7f@example.com"));
	CHECK(!validate_email("a@example.com\x7f"));
}

TEST(email_lengths)
{
	char buf[400], label[70];
	char tail[300];

	/* Local part: 64 bytes accepted, 65 rejected. */
	CHECK(validate_email(repeat(buf, sizeof(buf), 'a', 64, "@example.com")));
	CHECK(!validate_email(repeat(buf, sizeof(buf), 'a', 65, "@example.com")));
	/* Label: 63 bytes accepted, 64 rejected, in the middle and last. */
	repeat(label, sizeof(label), 'b', 63, ".com");
	snprintf(tail, sizeof(tail), "a@%s", label);
	CHECK(validate_email(tail));
	repeat(label, sizeof(label), 'b', 64, ".com");
	snprintf(tail, sizeof(tail), "a@%s", label);
	CHECK(!validate_email(tail));
	repeat(label, sizeof(label), 'c', 63, "");
	snprintf(tail, sizeof(tail), "a@example.%s", label);
	CHECK(validate_email(tail));
	repeat(label, sizeof(label), 'c', 64, "");
	snprintf(tail, sizeof(tail), "a@example.%s", label);
	CHECK(!validate_email(tail));
	/* Whole address: 254 accepted, 255 rejected. The domain is
	 * 63.63.63.<n> so only the total length varies. */
	repeat(label, sizeof(label), 'd', 63, "");
	snprintf(tail, sizeof(tail), "%s.%s.%s.", label, label, label);
	/* "a@" + 192 + last label: 254 total means a last label of 60. */
	memcpy(buf, "a@", 2);
	strcpy(buf + 2, tail);
	repeat(buf + 2 + strlen(tail), sizeof(buf) - 2 - strlen(tail), 'e', 60, "");
	CHECK(strlen(buf) == 254);
	CHECK(validate_email(buf));
	repeat(buf + 2 + strlen(tail), sizeof(buf) - 2 - strlen(tail), 'e', 61, "");
	CHECK(strlen(buf) == 255);
	CHECK(!validate_email(buf));
	/* Shortest lengths the shape allows, and a very long input. */
	CHECK(validate_email("a@b.cd"));
	CHECK(!validate_email(repeat(buf, sizeof(buf), 'a', 390, "@example.com")));
}

TEST(e164)
{
	CHECK(validate_e164("+14155550100"));
	CHECK(validate_e164("+442071838750"));
	CHECK(validate_e164("+6562212345"));
	/* Every boundary: 7 digits too few, 8 to 15 fine, 16 too many. */
	CHECK(!validate_e164("+"));
	CHECK(!validate_e164("+1"));
	CHECK(!validate_e164("+1234567"));
	CHECK(validate_e164("+12345678"));
	CHECK(validate_e164("+123456789"));
	CHECK(validate_e164("+1234567890"));
	CHECK(validate_e164("+12345678901"));
	CHECK(validate_e164("+123456789012"));
	CHECK(validate_e164("+1234567890123"));
	CHECK(validate_e164("+12345678901234"));
	CHECK(validate_e164("+123456789012345"));
	CHECK(!validate_e164("+1234567890123456"));
	CHECK(!validate_e164("+12345678901234567890"));
	/* Shape. */
	CHECK(!validate_e164(NULL));
	CHECK(!validate_e164(""));
	CHECK(!validate_e164("+04155550100"));
	CHECK(!validate_e164("14155550100"));
	CHECK(!validate_e164("++14155550100"));
	CHECK(!validate_e164("+1 415 555 0100"));
	CHECK(!validate_e164(" +14155550100"));
	CHECK(!validate_e164("+14155550100 "));
	CHECK(!validate_e164("+1-415-555-0100"));
	CHECK(!validate_e164("+1415555010a"));
	CHECK(!validate_e164("+14155550100\n"));
	CHECK(!validate_e164("+\357\274\2214155550100")); /* fullwidth digit one */
}

TEST(country)
{
	CHECK(validate_country("US"));
	CHECK(validate_country("GB"));
	CHECK(validate_country("SG"));
	CHECK(validate_country("AD")); /* first in the table */
	CHECK(validate_country("ZW")); /* last in the table */
	CHECK(validate_country("SS"));
	CHECK(validate_country("BQ"));
	CHECK(validate_country("AX"));
	CHECK(!validate_country("us"));
	CHECK(!validate_country("Us"));
	CHECK(!validate_country("UK"));
	CHECK(!validate_country("XX"));
	CHECK(!validate_country("AA"));
	CHECK(!validate_country("ZZ"));
	CHECK(!validate_country("EU")); /* exceptionally reserved, not assigned */
	CHECK(!validate_country("AN")); /* withdrawn */
	CHECK(!validate_country("YU"));
	CHECK(!validate_country(NULL));
	CHECK(!validate_country(""));
	CHECK(!validate_country("U"));
	CHECK(!validate_country("USA"));
	CHECK(!validate_country("US "));
	CHECK(!validate_country("U1"));
}

TEST(country_count)
{
	char code[3] = {0, 0, 0};
	int a, b, n = 0;

	/* Every two-letter pair: exactly 249 are assigned. */
	for (a = 'A'; a <= 'Z'; a++) {
		for (b = 'A'; b <= 'Z'; b++) {
			code[0] = (char)a;
			code[1] = (char)b;
			if (validate_country(code))
				n++;
		}
	}
	CHECK(n == 249);
}

TEST(npi)
{
	CHECK(validate_npi("1234567893"));
	CHECK(validate_npi("1245319599"));
	CHECK(validate_npi("1003000126"));
	CHECK(!validate_npi("1234567890"));
	CHECK(!validate_npi("1234567894"));
	CHECK(!validate_npi("1245319590"));
	CHECK(!validate_npi("2134567893")); /* transposed digits */
	CHECK(!validate_npi(NULL));
	CHECK(!validate_npi(""));
	CHECK(!validate_npi("123456789"));
	CHECK(!validate_npi("12345678933"));
	CHECK(!validate_npi("123456789 "));
	CHECK(!validate_npi(" 1234567893"));
	CHECK(!validate_npi("1234567893 "));
	CHECK(!validate_npi("12345-7893"));
	CHECK(!validate_npi("123456789a"));
	CHECK(!validate_npi("+234567893"));
}

/* The RPPS number of the rppsapi SDK's README (packagist.org,
 * qrcommunication/rppsapi), a published example; no official test vector
 * was found. */
TEST(rpps)
{
	CHECK(validate_rpps("10005173140"));
	CHECK(!validate_rpps("10005173141")); /* wrong check digit */
	CHECK(!validate_rpps("10005173104")); /* transposed */
	CHECK(!validate_rpps("1000517314"));  /* 10 digits */
	CHECK(!validate_rpps("810005173140"));
	CHECK(!validate_rpps("1000517314a"));
	CHECK(!validate_rpps(""));
	CHECK(!validate_rpps(NULL));
}

/* Built from the rule (no published RIZIV/INAMI number was found to test
 * with): 123456 with 97 - 123456 % 97 = 25, or 89 - 123456 % 89 = 76. */
TEST(riziv)
{
	CHECK(validate_riziv("12345625000"));
	CHECK(validate_riziv("12345624000")); /* the check digits are not enforced */
	CHECK(validate_riziv("47123456789"));
	CHECK(!validate_riziv("02345625000")); /* no profession 0 */
	CHECK(!validate_riziv("1234562500"));
	CHECK(!validate_riziv("123456250001"));
	CHECK(!validate_riziv("1-23456-25-000"));
	CHECK(!validate_riziv("1234562500a"));
	CHECK(!validate_riziv(""));
	CHECK(!validate_riziv(NULL));
}

TEST(timestamps)
{
	long long t = 0;

	CHECK(validate_timestamp("2026-01-01", &t) && t == 1767225600);
	CHECK(validate_timestamp("2026-01-01T12:30:05Z", &t) &&
	      t == 1767225600 + 12 * 3600 + 30 * 60 + 5);
	CHECK(validate_timestamp("1969-12-31", &t) && t == -86400);
	CHECK(validate_timestamp("2024-02-29", &t));
	CHECK(validate_timestamp("9999-12-31", &t));
	t = 7;
	CHECK(!validate_timestamp("2026-02-30", &t));
	CHECK(!validate_timestamp("2025-02-29", &t));
	CHECK(!validate_timestamp("2026-13-01", &t));
	CHECK(!validate_timestamp("2026-00-10", &t));
	CHECK(!validate_timestamp("2026-01-00", &t));
	CHECK(!validate_timestamp("1899-12-31", &t));
	CHECK(!validate_timestamp("2026-1-01", &t));
	CHECK(!validate_timestamp("2026-01-1 ", &t));
	CHECK(!validate_timestamp("+026-01-01", &t));
	CHECK(!validate_timestamp(" 026-01-01", &t));
	CHECK(!validate_timestamp("2026/01/01", &t));
	CHECK(!validate_timestamp("20260101", &t));
	CHECK(!validate_timestamp("2026-01-01T12:30:05", &t));
	CHECK(!validate_timestamp("2026-01-01T12:30:05+01", &t));
	CHECK(!validate_timestamp("2026-01-01T24:00:00Z", &t));
	CHECK(!validate_timestamp("2026-01-01T12:60:00Z", &t));
	CHECK(!validate_timestamp("2026-01-01 12:30:05Z", &t));
	CHECK(!validate_timestamp("", &t));
	CHECK(t == 7); /* left alone on failure */
	CHECK(validate_date("2026-01-01"));
	CHECK(!validate_date("2026-01-01T12:30:05Z"));
	CHECK(!validate_date("2026-02-30"));
}

TEST(uuids)
{
	CHECK(validate_uuid("565f4e4c-84eb-451e-83e9-02de63657221"));
	/* hcpd makes lower case only: a path or filter in capitals names nothing */
	CHECK(!validate_uuid("565F4E4C-84EB-451E-83E9-02DE63657221"));
	CHECK(!validate_uuid("565f4e4c-84eb-451e-83e9-02de6365722"));
	CHECK(!validate_uuid("565f4e4c-84eb-451e-83e9-02de636572211"));
	CHECK(!validate_uuid("565f4e4c84eb-451e-83e9-02de636572211"));
	CHECK(!validate_uuid("565f4e4c-84eb-451e-83e9-02de6365722g"));
	CHECK(!validate_uuid(""));
}

TEST(tokens)
{
	CHECK(validate_token("us-nppes", '-', 63));
	CHECK(validate_token("0day", '-', 63));
	CHECK(validate_token("licensure_verification", '_', 64));
	CHECK(!validate_token("-lead", '-', 63));
	CHECK(!validate_token("us_nppes", '-', 63));
	CHECK(!validate_token("US-NPPES", '-', 63));
	CHECK(!validate_token("us nppes", '-', 63));
	CHECK(!validate_token("", '-', 63));
	CHECK(validate_token("abc", '-', 3));
	CHECK(!validate_token("abcd", '-', 3));
}

int main(void)
{
	RUN(utf8_accepts_well_formed);
	RUN(utf8_rejects_overlong);
	RUN(utf8_rejects_surrogates);
	RUN(utf8_rejects_above_max);
	RUN(utf8_rejects_truncated_and_stray);
	RUN(utf8_rejects_nul);
	RUN(no_controls);
	RUN(email_accepts);
	RUN(email_rejects_shape);
	RUN(email_rejects_local_chars);
	RUN(email_rejects_controls);
	RUN(email_lengths);
	RUN(e164);
	RUN(country);
	RUN(country_count);
	RUN(npi);
	RUN(rpps);
	RUN(riziv);
	RUN(timestamps);
	RUN(uuids);
	RUN(tokens);
	return harness_done();
}
