/*
 * pagetext.c - the account pages' texts and their translations
 * (pagetext.h).
 */
#include <jansson.h>

#include "adminpage.h"
#include "i18n.h"
#include "pagetext.h"
#include "problem.h"

/* Exactly as the pages hold them, white space runs made one space. */
static const char *const texts[] = {
	/* the pages */
	N_("Confirm your email address"),
	N_("Confirm that this address is yours: the account that sent you here then uses it."),
	N_("Confirm my address"),
	N_("Reset your password"),
	N_("Give the address of your account: we mail it a link to choose a new password."),
	N_("Email address"),
	N_("Send me a link"),
	N_("Choose a new password: at least 15 characters. A few unrelated words work well."),
	N_("New password"),
	N_("The same again"),
	N_("Every device signed in to your account will be signed out."),
	N_("Set my new password"),
	N_("Cancel the email change"),
	N_("If you did not ask to change your account's email address, cancel it here: this "
	   "address is given back to the account, and every device signed in to it is signed "
	   "out."),
	N_("Cancel the change"),
	N_("Unsubscribe"),
	N_("Stop these messages: your choice is recorded at once and kept."),
	/* account.js's messages */
	N_("This link does not work any more: it was used already, has expired, or a newer one "
	   "was sent. Ask for a new one."),
	N_("Too many attempts: wait a little, then try again."),
	N_("That did not work (%s). Try again later."),
	N_("This page opens from the link in your email; that link is incomplete."),
	N_("Thank you: your email address is confirmed."),
	N_("If this address has an account, a mail with a link is on its way. The link works for "
	   "30 minutes."),
	N_("The two passwords differ."),
	N_("Your new password is set. Every device was signed out: sign in again with the new "
	   "password."),
	N_("The change is cancelled and every device signed out. Choose a new password now: "
	   "someone else knew yours."),
	N_("You are unsubscribed."),
};

enum MHD_Result pagetext_reply(struct req *r)
{
	const char *lang = http_lang(r);
	json_t *strings = json_object(), *body;

	for (size_t i = 0; strings != NULL && i < sizeof(texts) / sizeof(texts[0]); i++)
		if (json_object_set_new(strings, texts[i],
					json_string(i18n_text(lang, texts[i]))) != 0) {
			json_decref(strings);
			strings = NULL;
		}
	body = strings != NULL ? json_pack("{s:s, s:o}", "language", lang, "strings", strings)
			       : NULL;
	if (body == NULL)
		return problem_from_err(r, ERR_NOMEM);
	return adminpage_reply_json(r, body);
}
