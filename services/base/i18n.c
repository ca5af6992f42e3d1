/*
 * i18n.c - languages, Accept-Language negotiation and gettext lookups
 * (i18n.h). Owns the table of languages found at start and the C.UTF-8
 * locale object the lookups run under.
 */
#include <ctype.h>
#include <dirent.h>
#include <libintl.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "jsonbody.h"

#define DOMAIN_PREFIX "hcpd-"
#define MO_SUBDIR     "/C.UTF-8/LC_MESSAGES"
#define RANGES_MAX    32 /* ranges of one header weighed; more are ignored */

struct lang {
	char tag[I18N_TAG_MAX];
	char domain[sizeof(DOMAIN_PREFIX) + I18N_TAG_MAX];
};

static struct lang langs[I18N_MAX_LANG] = {{I18N_DEFAULT, ""}};
static size_t nlangs = 1;
static const char *tags[I18N_MAX_LANG + 1] = {I18N_DEFAULT, NULL};
static locale_t messages_locale = (locale_t)0;

/* A catalogue's file name "hcpd-<name>.mo": name is a language tag in
 * POSIX spelling (letters, then subtags of letters and digits after '_'),
 * copied into tag with '-' for '_'. */
static bool mo_name_tag(const char *file, char tag[I18N_TAG_MAX])
{
	size_t plen = strlen(DOMAIN_PREFIX), len = strlen(file), n;

	if (len <= plen + 3 || strncmp(file, DOMAIN_PREFIX, plen) != 0 ||
	    strcmp(file + len - 3, ".mo") != 0)
		return false;
	n = len - plen - 3;
	if (n >= I18N_TAG_MAX || !isalpha((unsigned char)file[plen]))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = file[plen + i];

		if (c == '_' && i > 0 && i + 1 < n && file[plen + i - 1] != '_')
			tag[i] = '-';
		else if (isalnum((unsigned char)c))
			tag[i] = c;
		else
			return false;
	}
	tag[n] = '\0';
	return strcasecmp(tag, I18N_DEFAULT) != 0;
}

static int lang_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lang *)a)->tag, ((const struct lang *)b)->tag);
}

enum err i18n_init(const char *dir)
{
	char path[4096];
	DIR *d;
	struct dirent *e;

	i18n_shutdown();
	/* glibc prefers LANGUAGE to any locale but "C": it would pick the
	 * operator's language for every domain. Before threads: setenv is
	 * not thread-safe. */
	unsetenv("LANGUAGE");
	messages_locale = newlocale(LC_MESSAGES_MASK, "C.UTF-8", (locale_t)0);
	if (messages_locale == (locale_t)0)
		return ERR_UNAVAILABLE;
	if (dir == NULL || snprintf(path, sizeof(path), "%s" MO_SUBDIR, dir) >= (int)sizeof(path))
		return ERR_OK;
	d = opendir(path);
	if (d == NULL)
		return ERR_OK;
	while ((e = readdir(d)) != NULL && nlangs < I18N_MAX_LANG) {
		struct lang *l = &langs[nlangs];

		if (!mo_name_tag(e->d_name, l->tag))
			continue;
		snprintf(l->domain, sizeof(l->domain), "%.*s", (int)(strlen(e->d_name) - 3),
			 e->d_name);
		if (bindtextdomain(l->domain, dir) == NULL ||
		    bind_textdomain_codeset(l->domain, "UTF-8") == NULL)
			continue;
		nlangs++;
	}
	closedir(d);
	qsort(langs + 1, nlangs - 1, sizeof(langs[0]), lang_cmp);
	for (size_t i = 0; i < nlangs; i++)
		tags[i] = langs[i].tag;
	tags[nlangs] = NULL;
	return ERR_OK;
}

void i18n_shutdown(void)
{
	if (messages_locale != (locale_t)0)
		freelocale(messages_locale);
	messages_locale = (locale_t)0;
	nlangs = 1;
	tags[1] = NULL;
}

const char *const *i18n_languages(void)
{
	return tags;
}

struct range {
	const char *s;
	size_t len;
	int q; /* thousandths */
};

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* language-range = (1*8ALPHA *("-" 1*8alphanum)) / "*"; NULL if malformed */
static const char *parse_range(const char *p)
{
	size_t n = 0;

	if (*p == '*')
		return p + 1;
	while (isalpha((unsigned char)p[n]) && n < 9)
		n++;
	if (n == 0 || n > 8)
		return NULL;
	p += n;
	while (*p == '-') {
		for (n = 0; isalnum((unsigned char)p[1 + n]) && n < 9; n++)
			;
		if (n == 0 || n > 8)
			return NULL;
		p += 1 + n;
	}
	return p;
}

/* weight = OWS ";" OWS "q=" qvalue; qvalue = ("0" ["." 0*3DIGIT]) /
 * ("1" ["." 0*3("0")]). p is at the ';'. NULL if malformed. */
static const char *parse_weight(const char *p, int *ret_q)
{
	int q, scale = 100;

	p = skip_ows(p + 1);
	if ((*p != 'q' && *p != 'Q') || p[1] != '=' || (p[2] != '0' && p[2] != '1'))
		return NULL;
	q = (p[2] - '0') * 1000;
	p += 3;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p) && scale > 0; p++, scale /= 10)
			q += (*p - '0') * scale;
		if (isdigit((unsigned char)*p) || q > 1000)
			return NULL;
	}
	*ret_q = q;
	return p;
}

/* The header's ranges (at most RANGES_MAX kept); -1 if malformed. */
static int parse_ranges(const char *p, struct range *ranges)
{
	int n = 0;

	for (;;) {
		const char *end;
		int q = 1000;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return n;
		end = parse_range(p);
		if (end == NULL)
			return -1;
		if (n < RANGES_MAX)
			ranges[n] = (struct range){p, (size_t)(end - p), 1000};
		p = skip_ows(end);
		if (*p == ';') {
			p = parse_weight(p, &q);
			if (p == NULL)
				return -1;
			p = skip_ows(p);
		}
		if (*p != ',' && *p != '\0')
			return -1;
		if (n < RANGES_MAX)
			ranges[n++].q = q;
	}
}

/* RFC 4647 3.4 for one range: the tag it or a shortening of it equals. */
static int lookup_range(const struct range *rg, const char *const *tags_, size_t ntags)
{
	size_t len = rg->len;

	while (len > 0) {
		for (size_t i = 0; i < ntags; i++)
			if (strlen(tags_[i]) == len && strncasecmp(tags_[i], rg->s, len) == 0)
				return (int)i;
		while (len > 0 && rg->s[len - 1] != '-')
			len--;
		if (len > 0)
			len--; /* the '-' */
		if (len >= 2 && rg->s[len - 2] == '-')
			len -= 2; /* a singleton ("x", "u") goes with the subtag after it */
	}
	return -1;
}

int i18n_lookup(const char *header, const char *const *tags_, size_t ntags)
{
	struct range ranges[RANGES_MAX];
	int n = header != NULL ? parse_ranges(header, ranges) : -1;

	for (int done = 0; done < n; done++) {
		int best = -1, found;

		for (int i = 0; i < n; i++)
			if (ranges[i].q > 0 && (best < 0 || ranges[i].q > ranges[best].q))
				best = i;
		if (best < 0)
			break;
		if (ranges[best].len == 1 && ranges[best].s[0] == '*')
			return -1;
		found = lookup_range(&ranges[best], tags_, ntags);
		if (found >= 0)
			return found;
		ranges[best].q = 0;
	}
	return -1;
}

const char *i18n_negotiate(const char *accept_language)
{
	int i = i18n_lookup(accept_language, tags, nlangs);

	return i >= 0 ? tags[i] : I18N_DEFAULT;
}

/* The table entry of a tag or name ('-' and '_' alike), or NULL. */
static const struct lang *lang_of(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < nlangs; i++) {
		const char *a = langs[i].tag, *b = name;

		if (a == b)
			return &langs[i];
		while (*a != '\0' && (tolower((unsigned char)*a) == tolower((unsigned char)*b) ||
				      (*a == '-' && *b == '_')))
			a++, b++;
		if (*a == '\0' && *b == '\0')
			return &langs[i];
	}
	return NULL;
}

const char *i18n_find(const char *name)
{
	const struct lang *l = lang_of(name);

	return l != NULL ? l->tag : NULL;
}

const char *i18n_ntext(const char *lang, const char *singular, const char *plural, unsigned long n)
{
	const struct lang *l = lang_of(lang);
	const char *text;
	locale_t old;

	if (l == NULL || l->domain[0] == '\0' || messages_locale == (locale_t)0)
		return n == 1 ? singular : plural;
	old = uselocale(messages_locale);
	text = dngettext(l->domain, singular, plural, n);
	uselocale(old);
	return text;
}

const char *i18n_text(const char *lang, const char *msgid)
{
	const struct lang *l = lang_of(lang);
	const char *text;
	locale_t old;

	if (l == NULL || l->domain[0] == '\0' || messages_locale == (locale_t)0 || msgid == NULL)
		return msgid;
	old = uselocale(messages_locale);
	text = dgettext(l->domain, msgid);
	uselocale(old);
	return text;
}

enum err i18n_check_locale(json_t *value, json_t *errors, const char **ret_tag)
{
	const char *tag = i18n_find(json_string_value(value));

	if (value == NULL)
		return ERR_OK;
	if (tag == NULL)
		return json_error_add(
			errors, "locale", "unsupported",
			"must be one of the languages GET /v1/registration/schema lists");
	*ret_tag = tag;
	return ERR_OK;
}

bool i18n_date(const char *lang, time_t t, char *buf, size_t len)
{
	static const char *const months[12] = {
		N_("January"),   N_("February"), N_("March"),    N_("April"),
		N_("May"),       N_("June"),     N_("July"),     N_("August"),
		N_("September"), N_("October"),  N_("November"), N_("December"),
	};
	char day[12], year[16], hm[32];
	struct tm tm;
	int n;

	if (gmtime_r(&t, &tm) == NULL)
		return false;
	snprintf(day, sizeof(day), "%d", tm.tm_mday);
	snprintf(year, sizeof(year), "%d", tm.tm_year + 1900);
	snprintf(hm, sizeof(hm), "%02d:%02d", tm.tm_hour, tm.tm_min);
	/* TRANSLATORS: a date and time in UTC: %1$s the day of the month, %2$s
	 * the month's name (translated above), %3$s the year, %4$s hh:mm. Use
	 * each once, in your language's order. */
	n = snprintf(buf, len, i18n_text(lang, N_("%1$s %2$s %3$s, %4$s UTC")), day,
		     i18n_text(lang, months[tm.tm_mon]), year, hm);
	return n > 0 && (size_t)n < len;
}
