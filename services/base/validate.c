/*
 * validate.c - pure validators for single field values (see validate.h).
 *
 * Owns only constant tables. Every function reads its argument and returns
 * a verdict: it must never allocate, log, keep state or call into the
 * locale (isalpha() and friends depend on it), so that results are the same
 * on every host and the functions can be fuzzed directly.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "validate.h"

#define EMAIL_MIN    3
#define EMAIL_MAX    254
#define LOCAL_MAX    64
#define LABEL_MAX    63
#define E164_MIN     8
#define E164_MAX     15
#define NPI_DIGITS   10
#define NPI_PREFIX   "80840" /* ISO 7812 prefix the NPI check digit covers */
#define RPPS_DIGITS  11
#define RIZIV_DIGITS 11

/* Currently assigned ISO 3166-1 alpha-2 codes, sorted for bsearch(). Keep
 * it sorted: the unit test counts the codes bsearch() finds among all 676
 * pairs, so a missing, extra or misplaced code makes it fail. Left out of
 * clang-format so each first letter keeps its own lines for review. */
/* clang-format off */
static const char countries[][3] = {
	"AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT",
	"AU", "AW", "AX", "AZ",
	"BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN",
	"BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ",
	"CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO",
	"CR", "CU", "CV", "CW", "CX", "CY", "CZ",
	"DE", "DJ", "DK", "DM", "DO", "DZ",
	"EC", "EE", "EG", "EH", "ER", "ES", "ET",
	"FI", "FJ", "FK", "FM", "FO", "FR",
	"GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP",
	"GQ", "GR", "GS", "GT", "GU", "GW", "GY",
	"HK", "HM", "HN", "HR", "HT", "HU",
	"ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT",
	"JE", "JM", "JO", "JP",
	"KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ",
	"LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY",
	"MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO",
	"MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ",
	"NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ",
	"OM",
	"PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT",
	"PW", "PY",
	"QA",
	"RE", "RO", "RS", "RU", "RW",
	"SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM",
	"SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ",
	"TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR",
	"TT", "TV", "TW", "TZ",
	"UA", "UG", "UM", "US", "UY", "UZ",
	"VA", "VC", "VE", "VG", "VI", "VN", "VU",
	"WF", "WS",
	"YE", "YT",
	"ZA", "ZM", "ZW",
};
/* clang-format on */

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool validate_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (s == NULL)
		return false;
	while (i < len) {
		unsigned char c = p[i];
		/* Bounds of the second byte narrow for E0/ED/F0/F4: that is what
		 * rules out overlongs, surrogates and code points > U+10FFFF
		 * (Unicode Table 3-7). */
		unsigned char lo = 0x80, hi = 0xBF;
		size_t n, k;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else {
			/* 80-BF stray continuation, C0/C1 overlong, F5-FF. */
			return false;
		}
		if (len - i - 1 < n)
			return false;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (k = 2; k <= n; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xBF)
				return false;
		i += n + 1;
	}
	return true;
}

/* Is the character at p (valid UTF-8) one that can make displayed text lie
 * about itself: a C1 control, a bidirectional mark, embedding, override or
 * isolate, a line or paragraph separator, or a byte-order mark? */
static bool is_deceptive(const unsigned char *p)
{
	if (p[0] == 0xC2)
		return p[1] >= 0x80 && p[1] <= 0x9F; /* U+0080-U+009F */
	if (p[0] == 0xE2 && p[1] == 0x80)
		return p[2] == 0x8E || p[2] == 0x8F || /* U+200E, U+200F */
		       (p[2] >= 0xA8 && p[2] <= 0xAE); /* U+2028-U+202E */
	if (p[0] == 0xE2 && p[1] == 0x81)
		return p[2] >= 0xA6 && p[2] <= 0xA9;         /* U+2066-U+2069 */
	return p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF; /* U+FEFF */
}

bool validate_no_controls(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL)
		return false;
	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7F || (*p >= 0xC2 && is_deceptive(p)))
			return false;
	return true;
}

/* A local-part byte: printable ASCII except space, specials and '"'. */
static bool is_local_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7F)
		return false;
	return strchr("(),:;<>[\\]\"@", c) == NULL;
}

/* Checks the domain's labels; [s, s + len) holds no '@'. */
static bool domain_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0, i, dots = 0;

	for (i = 0; i <= len; i++) {
		size_t llen, k;
		bool alpha = true;

		if (i < len && p[i] != '.')
			continue;
		llen = i - start;
		if (llen == 0 || llen > LABEL_MAX)
			return false;
		if (p[start] == '-' || p[i - 1] == '-')
			return false;
		for (k = start; k < i; k++) {
			if (!is_alpha(p[k]) && !is_digit(p[k]) && p[k] != '-')
				return false;
			if (!is_alpha(p[k]))
				alpha = false;
		}
		if (i == len) {
			/* The last label is the top-level domain. */
			if (!alpha || llen < 2)
				return false;
		} else {
			dots++;
		}
		start = i + 1;
	}
	return dots >= 1;
}

bool validate_email(const char *s)
{
	const char *at;
	size_t len, local, i;

	if (s == NULL)
		return false;
	/* strnlen: never walk further than a valid address could be. */
	len = strnlen(s, EMAIL_MAX + 1);
	if (len < EMAIL_MIN || len > EMAIL_MAX)
		return false;
	at = strchr(s, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL)
		return false;
	local = (size_t)(at - s);
	if (local < 1 || local > LOCAL_MAX)
		return false;
	for (i = 0; i < local; i++)
		if (!is_local_char((unsigned char)s[i]))
			return false;
	return domain_ok(at + 1, len - local - 1);
}

bool validate_e164(const char *s)
{
	size_t n;

	if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return false;
	for (n = 0; n <= E164_MAX && s[1 + n] != '\0'; n++)
		if (!is_digit((unsigned char)s[1 + n]))
			return false;
	return n >= E164_MIN && n <= E164_MAX;
}

static int country_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 2);
}

bool validate_country(const char *s)
{
	if (s == NULL || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' || s[2] != '\0')
		return false;
	return bsearch(s, countries, sizeof(countries) / sizeof(countries[0]), sizeof(countries[0]),
		       country_cmp) != NULL;
}

/* Are the first n bytes of s ASCII digits, and s exactly n long? */
static bool digits_only(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit((unsigned char)s[i]))
			return false;
	return s[n] == '\0';
}

/* Luhn (ISO/IEC 7812-1 annex B) over n digits: from the right, the check
 * digit counts once and every second digit after it counts double,
 * digit-summed; the sum is a multiple of 10. */
static bool luhn_ok(const char *digits, size_t n)
{
	unsigned sum = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(digits[n - 1 - i] - '0');

		if (i % 2 == 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return sum % 10 == 0;
}

bool validate_npi(const char *s)
{
	char digits[sizeof(NPI_PREFIX) - 1 + NPI_DIGITS];

	if (s == NULL || !digits_only(s, NPI_DIGITS))
		return false;
	memcpy(digits, NPI_PREFIX, sizeof(NPI_PREFIX) - 1);
	memcpy(digits + sizeof(NPI_PREFIX) - 1, s, NPI_DIGITS);
	return luhn_ok(digits, sizeof(digits));
}

bool validate_rpps(const char *s)
{
	return s != NULL && digits_only(s, RPPS_DIGITS) && luhn_ok(s, RPPS_DIGITS);
}

bool validate_riziv(const char *s)
{
	return s != NULL && digits_only(s, RIZIV_DIGITS) && s[0] != '0';
}

bool validate_uuid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (s[i] == '\0' || (dash ? s[i] != '-' : strchr("0123456789abcdef", s[i]) == NULL))
			return false;
	}
	return s[36] == '\0';
}

size_t validate_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

bool validate_token(const char *s, char sep, size_t max)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(is_digit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'z') ||
		      (i > 0 && s[i] == sep)))
			return false;
	return true;
}

/* n ASCII digits at s as a number; -1 when one is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool validate_timestamp(const char *s, long long *ret_seconds)
{
	size_t len = strlen(s);
	struct tm tm = {0}, back;
	time_t t;

	if (len != 10 && len != 20)
		return false;
	if (s[4] != '-' || s[7] != '-' ||
	    (len == 20 && (s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')))
		return false;
	tm.tm_year = digits(s, 4);
	tm.tm_mon = digits(s + 5, 2);
	tm.tm_mday = digits(s + 8, 2);
	if (len == 20) {
		tm.tm_hour = digits(s + 11, 2);
		tm.tm_min = digits(s + 14, 2);
		tm.tm_sec = digits(s + 17, 2);
	}
	if (tm.tm_year < 1900 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	back = tm;
	t = timegm(&tm);
	/* timegm normalises 02-30 into March: a changed field was invalid */
	if (tm.tm_year != back.tm_year || tm.tm_mon != back.tm_mon || tm.tm_mday != back.tm_mday ||
	    tm.tm_hour != back.tm_hour || tm.tm_min != back.tm_min || tm.tm_sec != back.tm_sec)
		return false;
	*ret_seconds = (long long)t;
	return true;
}

bool validate_date(const char *s)
{
	long long seconds;

	return strlen(s) == 10 && validate_timestamp(s, &seconds);
}
