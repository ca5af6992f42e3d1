/*
 * test_fold.c - the normalisations blind indexes are taken of
 * (services/base/fold.c): what must fold together, what must not.
 */
#include "fold.h"
#include "harness.h"

/* Two buffers each, used in turn: a comparison holds two results. */
static const char *name(const char *in)
{
	static char out[2][FOLD_MAX];
	static int turn;

	turn ^= 1;
	return fold_name(in, out[turn], FOLD_MAX) ? out[turn] : NULL;
}

static const char *code(const char *in)
{
	static char out[2][FOLD_MAX];
	static int turn;

	turn ^= 1;
	return fold_code(in, out[turn], FOLD_MAX) ? out[turn] : NULL;
}

TEST(names_fold_case_accents_and_space)
{
	CHECK_STREQ(name("Ng"), "ng");
	CHECK_STREQ(name("  NG  "), "ng");
	CHECK_STREQ(name("Müller-Lüdenscheidt"), "muller-ludenscheidt");
	CHECK_STREQ(name("Jean  Pierre\tDUPRÉ"), "jean pierre dupre");
	CHECK_STREQ(name("e\xcc\x81lo\xcc\x88"), "elo"); /* decomposed: e + acute, o + diaeresis */
	CHECK_STREQ(name("Straße"), "strasse");
	CHECK_STREQ(name("Ærøskøbing"), "aeroskobing");
	CHECK_STREQ(name("Łódź"), "lodz");
	CHECK_STREQ(name("Œuvre Þór Đorđe"), "oeuvre thor dorde");
	CHECK_STREQ(name("O'Brien"), "o'brien");
	/* outside Latin: kept exactly */
	CHECK_STREQ(name("Παπαδόπουλος"), "Παπαδόπουλος");
	CHECK_STREQ(name("王"), "王");
}

TEST(near_misses_stay_apart)
{
	CHECK(strcmp(name("Ng"), name("Nga")) != 0);
	CHECK(strcmp(name("Ng"), name("N g")) != 0);
	CHECK(strcmp(name("Dupre"), name("Dupree")) != 0);
	CHECK(name("   ") == NULL);
	CHECK(name("") == NULL);
	CHECK(name("\xcc\x81") == NULL); /* a lone mark folds to nothing */
}

TEST(codes_fold_case_and_separators)
{
	CHECK_STREQ(code("A12345"), "A12345");
	CHECK_STREQ(code("a-123 45"), "A12345");
	CHECK_STREQ(code("ca/a.12345"), "CAA12345");
	CHECK(strcmp(code("A12345"), code("A123456")) != 0);
	CHECK(code(" - ") == NULL);
}

TEST(too_long_is_refused)
{
	char in[FOLD_MAX + 10], out[16];

	memset(in, 'x', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	CHECK(!fold_name(in, out, sizeof(out)));
	CHECK(!fold_code(in, out, sizeof(out)));
	CHECK(fold_code("abc", out, 4) && strcmp(out, "ABC") == 0);
	CHECK(!fold_code("abcd", out, 4));
}

int main(void)
{
	RUN(names_fold_case_accents_and_space);
	RUN(near_misses_stay_apart);
	RUN(codes_fold_case_and_separators);
	RUN(too_long_is_refused);
	return harness_done();
}
