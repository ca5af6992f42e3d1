/*
 * test_i18n.c - languages and their texts (services/base/i18n.c):
 * Accept-Language lookup (RFC 9110 12.5.4, RFC 4647 3.4) on fixed tag
 * lists, and gettext lookups through catalogues msgfmt compiles here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "i18n.h"

static const char *const tags[] = {"en", "de", "fr", "nl", "zh-CN"};
#define NTAGS (sizeof(tags) / sizeof(tags[0]))

static int look(const char *header)
{
	return i18n_lookup(header, tags, NTAGS);
}

TEST(q_values_order_the_ranges)
{
	CHECK(look("fr") == 2);
	CHECK(look("FR-be") == 2);
	CHECK(look("nl-BE, fr;q=0.8, en;q=0.5") == 3);
	CHECK(look("de;q=0.5, fr;q=0.9") == 2);
	CHECK(look("de;q=0.5,fr;q=0.5") == 1); /* a tie: the order sent */
	CHECK(look("fr ; q=1.000 , de") == 2);
	CHECK(look("ja, de;q=0.1") == 1);
	CHECK(look("zh-CN,zh;q=0.9") == 4);
	CHECK(look("zh-cn") == 4);
}

TEST(lookup_shortens_subtag_by_subtag)
{
	CHECK(look("de-CH-1996") == 1);
	CHECK(look("zh-CN-x-private") == 4);
	CHECK(look("fr-x-y") == 2);
	CHECK(look("zh") == -1); /* lookup never lengthens: zh is not zh-CN */
	CHECK(look("zh-TW") == -1);
}

TEST(zero_star_and_nothing_are_the_default)
{
	CHECK(look("fr;q=0") == -1);
	CHECK(look("fr;q=0, de;q=0.001") == 1);
	CHECK(look("*") == -1);
	CHECK(look("*, fr;q=0.5") == -1);
	CHECK(look("ja, *;q=0.5, fr;q=0.1") == -1);
	CHECK(look("ja") == -1);
	CHECK(look("") == -1);
	CHECK(look(" , ,") == -1);
	CHECK(look(NULL) == -1);
}

TEST(malformed_headers_are_the_default)
{
	CHECK(look("fr;q=2") == -1);
	CHECK(look("fr;q=1.5") == -1);
	CHECK(look("fr;q=0.1234") == -1);
	CHECK(look("fr;q=") == -1);
	CHECK(look("fr;level=1") == -1);
	CHECK(look("fr de") == -1);
	CHECK(look("toolonglang") == -1);
	CHECK(look("fr-") == -1);
	CHECK(look("fr--be") == -1);
	CHECK(look("fr_BE") == -1);
	CHECK(look("de, fr;q=0.5; q=0.4") == -1);
	CHECK(look("\xc3\xa9") == -1);
}

/* A catalogue for "fr" and one for "zh_CN" in a fresh directory. */
static char *make_catalogues(void)
{
	static char dir[] = "/tmp/hcpd-i18n-XXXXXX";
	char cmd[1024];
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return NULL;
	snprintf(cmd, sizeof(cmd), "%s/fr.po", dir);
	f = fopen(cmd, "w");
	if (f == NULL)
		return NULL;
	fputs("msgid \"\"\nmsgstr \"\"\n\"Content-Type: text/plain; charset=UTF-8\\n\"\n"
	      "\"Plural-Forms: nplurals=2; plural=(n > 1);\\n\"\n\n"
	      "msgid \"Not Found\"\nmsgstr \"Introuvable\"\n\n"
	      "msgid \"%lu day\"\nmsgid_plural \"%lu days\"\n"
	      "msgstr[0] \"%lu jour\"\nmsgstr[1] \"%lu jours\"\n\n"
	      "msgid \"December\"\nmsgstr \"d\303\251cembre\"\n\n"
	      "#, c-format\nmsgid \"%1$s %2$s %3$s, %4$s UTC\"\n"
	      "msgstr \"%1$s %2$s %3$s \303\240 %4$s UTC\"\n",
	      f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/C.UTF-8/LC_MESSAGES && msgfmt -o %s/C.UTF-8/LC_MESSAGES/hcpd-fr.mo "
		 "%s/fr.po && cp %s/C.UTF-8/LC_MESSAGES/hcpd-fr.mo "
		 "%s/C.UTF-8/LC_MESSAGES/hcpd-zh_CN.mo && touch %s/C.UTF-8/LC_MESSAGES/notes.txt",
		 dir, dir, dir, dir, dir, dir);
	return system(cmd) == 0 ? dir : NULL;
}

TEST(texts_come_from_the_catalogues_found)
{
	char *dir = make_catalogues();
	const char *const *langs;
	char cmd[512], date[64];

	CHECK(dir != NULL);
	if (dir == NULL)
		return;
	setenv("LANGUAGE", "de", 1); /* must not win over the domain */
	CHECK(i18n_init(dir) == ERR_OK);
	langs = i18n_languages();
	CHECK_STREQ(langs[0], "en");
	CHECK_STREQ(langs[1], "fr");
	CHECK_STREQ(langs[2], "zh-CN");
	CHECK(langs[3] == NULL);
	CHECK_STREQ(i18n_negotiate("nl, fr-BE;q=0.5"), "fr");
	CHECK_STREQ(i18n_negotiate("nl"), "en");
	CHECK_STREQ(i18n_negotiate("zh-CN"), "zh-CN");
	CHECK_STREQ(i18n_find("zh_cn"), "zh-CN");
	CHECK(i18n_find("nl") == NULL);
	CHECK_STREQ(i18n_text("fr", "Not Found"), "Introuvable");
	CHECK_STREQ(i18n_text("zh-CN", "Not Found"), "Introuvable");
	CHECK_STREQ(i18n_text("en", "Not Found"), "Not Found");
	CHECK_STREQ(i18n_text(NULL, "Not Found"), "Not Found");
	CHECK_STREQ(i18n_text("nl", "Not Found"), "Not Found");
	CHECK_STREQ(i18n_text("fr", "Forbidden"), "Forbidden"); /* no translation: the id */
	CHECK_STREQ(i18n_ntext("fr", "%lu day", "%lu days", 1), "%lu jour");
	CHECK_STREQ(i18n_ntext("fr", "%lu day", "%lu days", 0), "%lu jour"); /* French: 0 is one */
	CHECK_STREQ(i18n_ntext("fr", "%lu day", "%lu days", 2), "%lu jours");
	CHECK_STREQ(i18n_ntext("en", "%lu day", "%lu days", 0), "%lu days");
	CHECK(i18n_date("fr", 1796729040, date, sizeof(date)));
	CHECK_STREQ(date, "8 décembre 2026 à 11:24 UTC");
	CHECK(i18n_date("en", 1796729040, date, sizeof(date)));
	CHECK_STREQ(date, "8 December 2026, 11:24 UTC");
	CHECK(!i18n_date("fr", 1796729040, date, 10));
	i18n_shutdown();
	CHECK(i18n_languages()[1] == NULL);
	CHECK_STREQ(i18n_text("fr", "Not Found"), "Not Found");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

TEST(a_missing_directory_leaves_english)
{
	CHECK(i18n_init("/nonexistent/hcpd-locale") == ERR_OK);
	CHECK(i18n_languages()[1] == NULL);
	CHECK_STREQ(i18n_negotiate("fr"), "en");
	i18n_shutdown();
}

int main(void)
{
	RUN(q_values_order_the_ranges);
	RUN(lookup_shortens_subtag_by_subtag);
	RUN(zero_star_and_nothing_are_the_default);
	RUN(malformed_headers_are_the_default);
	RUN(texts_come_from_the_catalogues_found);
	RUN(a_missing_directory_leaves_english);
	return harness_done();
}
