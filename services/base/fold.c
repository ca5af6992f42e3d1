/*
 * fold.c - name and code folding for blind indexes (see fold.h). Owns one
 * constant table: the Latin letters of U+00C0-U+017F and what each folds
 * to, in ranges.
 */
#include <string.h>

#include "fold.h"

static const struct {
	unsigned lo, hi;  /* code points, inclusive */
	const char *base; /* what each folds to; NULL: kept as it is */
} latin[] = {
	{0xC0, 0xC5, "a"},   {0xC6, 0xC6, "ae"},   {0xC7, 0xC7, "c"},   {0xC8, 0xCB, "e"},
	{0xCC, 0xCF, "i"},   {0xD0, 0xD0, "d"},    {0xD1, 0xD1, "n"},   {0xD2, 0xD6, "o"},
	{0xD7, 0xD7, NULL},  {0xD8, 0xD8, "o"},    {0xD9, 0xDC, "u"},   {0xDD, 0xDD, "y"},
	{0xDE, 0xDE, "th"},  {0xDF, 0xDF, "ss"},   {0xE0, 0xE5, "a"},   {0xE6, 0xE6, "ae"},
	{0xE7, 0xE7, "c"},   {0xE8, 0xEB, "e"},    {0xEC, 0xEF, "i"},   {0xF0, 0xF0, "d"},
	{0xF1, 0xF1, "n"},   {0xF2, 0xF6, "o"},    {0xF7, 0xF7, NULL},  {0xF8, 0xF8, "o"},
	{0xF9, 0xFC, "u"},   {0xFD, 0xFD, "y"},    {0xFE, 0xFE, "th"},  {0xFF, 0xFF, "y"},
	{0x100, 0x105, "a"}, {0x106, 0x10D, "c"},  {0x10E, 0x111, "d"}, {0x112, 0x11B, "e"},
	{0x11C, 0x123, "g"}, {0x124, 0x127, "h"},  {0x128, 0x131, "i"}, {0x132, 0x133, "ij"},
	{0x134, 0x135, "j"}, {0x136, 0x138, "k"},  {0x139, 0x142, "l"}, {0x143, 0x14B, "n"},
	{0x14C, 0x151, "o"}, {0x152, 0x153, "oe"}, {0x154, 0x159, "r"}, {0x15A, 0x161, "s"},
	{0x162, 0x167, "t"}, {0x168, 0x173, "u"},  {0x174, 0x175, "w"}, {0x176, 0x178, "y"},
	{0x179, 0x17E, "z"}, {0x17F, 0x17F, "s"},
};

/* The code point at *p (valid UTF-8, at most 3 bytes here matter) and
 * its length in bytes. */
static unsigned decode(const unsigned char *p, size_t *ret_len)
{
	if (p[0] < 0x80) {
		*ret_len = 1;
		return p[0];
	}
	if ((p[0] & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
		*ret_len = 2;
		return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
	}
	*ret_len = 1; /* a longer sequence: copied byte by byte */
	return 0xFFFFFFFFu;
}

static const char *latin_base(unsigned cp)
{
	for (size_t i = 0; i < sizeof(latin) / sizeof(latin[0]); i++)
		if (cp >= latin[i].lo && cp <= latin[i].hi)
			return latin[i].base;
	return NULL;
}

/* Appends len bytes of s to out at *n; false when they do not fit. */
static bool put(char *out, size_t out_len, size_t *n, const char *s, size_t len)
{
	if (*n + len >= out_len)
		return false;
	memcpy(out + *n, s, len);
	*n += len;
	return true;
}

bool fold_name(const char *in, char *out, size_t out_len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t n = 0, len;
	bool space = false, ok = true;

	while (ok && *p != '\0') {
		unsigned cp = decode(p, &len);
		const char *base = latin_base(cp);
		char c = (char)(cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp);

		if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
			space = n > 0;
		} else if (cp >= 0x300 && cp <= 0x36F) {
			/* a combining mark: dropped */
		} else {
			if (space)
				ok = put(out, out_len, &n, " ", 1);
			space = false;
			if (ok && base != NULL)
				ok = put(out, out_len, &n, base, strlen(base));
			else if (ok && cp < 0x80)
				ok = put(out, out_len, &n, &c, 1);
			else if (ok)
				ok = put(out, out_len, &n, (const char *)p, len);
		}
		p += len;
	}
	if (!ok || n == 0)
		return false;
	out[n] = '\0';
	return true;
}

bool fold_code(const char *in, char *out, size_t out_len)
{
	size_t n = 0;

	for (const char *p = in; *p != '\0'; p++) {
		char c = *p >= 'a' && *p <= 'z' ? (char)(*p - ('a' - 'A')) : *p;

		if (strchr(" ./-", c) != NULL)
			continue;
		if (!put(out, out_len, &n, &c, 1))
			return false;
	}
	if (n == 0)
		return false;
	out[n] = '\0';
	return true;
}
