/*
 * i18n.h - the language a reader gets (issue 24): which languages this
 * hcpd has, the choice of one from an Accept-Language header (RFC 9110
 * section 12.5.4 with RFC 4647 section 3.4 lookup), and a text in it
 * through GNU gettext (glibc's libintl).
 *
 * A language is a tag ("en", "fr", "zh-CN") and its messages are the
 * compiled catalogue <dir>/C.UTF-8/LC_MESSAGES/hcpd-<name>.mo, name being
 * the tag with '_' for '-' ("hcpd-zh_CN.mo"): one gettext domain per
 * language. glibc picks a domain's file by the calling thread's
 * LC_MESSAGES locale and returns every msgid untranslated in the "C"
 * locale, and a threaded server cannot switch its process locale per
 * request; i18n_text() therefore looks up under a thread-local C.UTF-8
 * locale (uselocale()), which every Debian system has (libc-bin ships it;
 * no locales-all, no locale-gen), and chooses the language by domain.
 * English is the msgids themselves and needs no file.
 *
 * i18n_init() runs once before any thread starts; afterwards everything
 * here is read-only and safe from any thread.
 */
#ifndef HCPD_I18N_H
#define HCPD_I18N_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "err.h"

#define I18N_DEFAULT  "en" /* the msgids' language; the answer when nothing else fits */
#define I18N_MAX_LANG 32   /* languages at most (English included) */
#define I18N_TAG_MAX  16   /* bytes of a tag with its NUL */

/* Marks a string literal for xgettext where it is not passed straight to a
 * function xgettext knows (the Makefile's XGETTEXT_KEYWORDS); the text is
 * translated where it is read, with i18n_text(). */
#define N_(s) s

/* Finds the languages in dir (see above; a missing dir leaves English
 * only) and binds their domains. Unsets LANGUAGE, which glibc would
 * otherwise prefer to the locale. ERR_NOMEM when the C.UTF-8 locale
 * cannot be made (it is missing from the system: ERR_UNAVAILABLE). */
enum err i18n_init(const char *dir);

/* Frees what i18n_init() made; English only afterwards. */
void i18n_shutdown(void);

/* The languages, English first then sorted by tag; NULL-terminated,
 * static. */
const char *const *i18n_languages(void);

/* Pure: the index in tags[0..ntags) (case-insensitive) that RFC 4647
 * lookup chooses for the Accept-Language value header: ranges in
 * descending q order (ties in the order sent), each shortened subtag by
 * subtag ("de-CH-1996" -> "de-CH" -> "de"); q=0 ranges are never chosen;
 * "*" stands for the default. -1 for the default: no match, "*", NULL or a
 * malformed header (a malformed header is never an error). */
int i18n_lookup(const char *header, const char *const *tags, size_t ntags);

/* The language (a tag of i18n_languages(), static) for an Accept-Language
 * value, which may be NULL: I18N_DEFAULT when nothing matches. */
const char *i18n_negotiate(const char *accept_language);

/* The language tag of i18n_languages() equal (case-insensitively, '-'
 * and '_' alike) to name, e.g. an account's stored locale; NULL when this
 * hcpd does not have it. */
const char *i18n_find(const char *name);

/* A request's "locale" member (value may be NULL: absent): a string naming
 * a language this hcpd has (i18n_find()), its tag into *ret_tag; else a
 * 422 entry {field "locale", code "unsupported"} added to errors and
 * *ret_tag untouched. ERR_NOMEM when the entry cannot be added. */
enum err i18n_check_locale(json_t *value, json_t *errors, const char **ret_tag);

/* msgid in language lang (a tag; NULL or unknown means English): the
 * translation or msgid itself. The result lives as long as the process
 * (or msgid). */
const char *i18n_text(const char *lang, const char *msgid);

/* The UTC time t written for a reader of lang into buf (len bytes): day,
 * month name, year and hh:mm in the order and words of the language's
 * translation ("8 December 2026, 11:24 UTC", "8 décembre 2026 à 11:24
 * UTC", "2026年12月8日 11:24（UTC）"). Pure but for the lookup; no locale
 * data (the C.UTF-8 locale has only English). false when it does not fit
 * or t cannot be broken down. */
bool i18n_date(const char *lang, time_t t, char *buf, size_t len);

/* ngettext: the form of singular/plural for n in lang's plural rule. */
const char *i18n_ntext(const char *lang, const char *singular, const char *plural, unsigned long n);

#endif
