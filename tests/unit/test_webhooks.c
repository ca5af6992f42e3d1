/*
 * test_webhooks.c - unit tests for services/webhooks.c: the signature
 * against the Standard Webhooks specification's published test vector,
 * and the strict checks of HCPD_WEBHOOKS_FILE (files written to a
 * temporary directory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "harness.h"
#include "webhooks.h"

static char dir[] = "/tmp/hcpd-test-webhooks-XXXXXX";
static const char secret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

TEST(signature_matches_the_specification)
{
	static const char body[] = "{\"test\": 2432232314}";
	unsigned char key[64];
	char sig[WEBHOOK_SIGNATURE_MAX];
	size_t len = 0;

	CHECK(crypto_unbase64(secret + 6, strlen(secret) - 6, key, &len) == ERR_OK && len == 24);
	webhooks_sign(key, len, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body),
		      sig);
	CHECK_STREQ(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* any change of id, time or body changes it */
	webhooks_sign(key, len, "msg_p5jXN8AQM9LWM0D4loKWxJel", 1614265330, body, strlen(body),
		      sig);
	CHECK(strcmp(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") != 0);
}

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/* Loads a file holding one endpoint made of fields (JSON members, no
 * braces); NULL when it loads, else why not. */
static const char *load(const char *fields)
{
	static char why[512];
	char text[1024], path[256];
	struct webhooks *h = NULL;

	snprintf(text, sizeof(text), "{\"endpoints\": [{%s}]}", fields);
	put("hooks.json", text);
	snprintf(path, sizeof(path), "%s/hooks.json", dir);
	why[0] = '\0';
	if (webhooks_load(path, &h, why, sizeof(why)) == ERR_OK) {
		webhooks_free(h);
		return NULL;
	}
	return why;
}

#define GOOD_NAME   "\"name\": \"crm\", "
#define GOOD_EVENTS "\"events\": [\"account.verified\", \"account.erased\"], "
#define GOOD_SECRET "\"secret_file\": \"crm.secret\""

TEST(good_files_load)
{
	put("crm.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
	CHECK(load(GOOD_NAME
		   "\"url\": \"https://hooks.example.org/hcpd\", " GOOD_EVENTS GOOD_SECRET) ==
	      NULL);
	CHECK(load(GOOD_NAME "\"url\": \"http://127.0.0.1:9000/x\", " GOOD_EVENTS GOOD_SECRET) ==
	      NULL);
	CHECK(load(GOOD_NAME "\"url\": \"http://[::1]:9000/x\", " GOOD_EVENTS GOOD_SECRET) == NULL);
	CHECK(load(GOOD_NAME "\"url\": \"http://localhost/x\", " GOOD_EVENTS GOOD_SECRET) == NULL);
}

TEST(bad_files_are_refused_naming_the_key)
{
	static const struct {
		const char *fields, *says;
	} bad[] = {
		{GOOD_NAME "\"url\": \"http://hooks.example.org/x\", " GOOD_EVENTS GOOD_SECRET,
		 "endpoints[0].url must be https://"},
		{GOOD_NAME "\"url\": \"http://10.0.0.1/x\", " GOOD_EVENTS GOOD_SECRET,
		 "endpoints[0].url must be https://"},
		{GOOD_NAME "\"url\": \"ftp://hooks.example.org/x\", " GOOD_EVENTS GOOD_SECRET,
		 "endpoints[0].url must be https://"},
		{GOOD_NAME "\"url\": \"https://a:b@hooks.example.org/x\", " GOOD_EVENTS GOOD_SECRET,
		 "endpoints[0].url must not hold credentials"},
		{GOOD_NAME "\"url\": \"https://h.example.org/\", \"events\": [], " GOOD_SECRET,
		 "endpoints[0].events must be a non-empty array"},
		{GOOD_NAME "\"url\": \"https://h.example.org/\", \"events\": "
			   "[\"account.gone\"], " GOOD_SECRET,
		 "endpoints[0].events names an event type"},
		{"\"name\": \"-crm\", \"url\": \"https://h.example.org/\", " GOOD_EVENTS
			 GOOD_SECRET,
		 "endpoints[0].name must be"},
		{GOOD_NAME "\"url\": \"https://h.example.org/\", " GOOD_EVENTS GOOD_SECRET
			   ", \"colour\": 1",
		 "endpoints[0].colour is not a known key"},
		{GOOD_NAME "\"url\": \"https://h.example.org/\", \"events\": [\"account.erased\"]",
		 "endpoints[0].secret_file is missing"},
		{GOOD_NAME "\"url\": \"https://h.example.org/\", " GOOD_EVENTS
			   "\"secret_file\": \"nowhere\"",
		 "endpoints[0].secret_file names a file that cannot be read"},
		{GOOD_NAME "\"url\": \"https://h.example.org/\", " GOOD_EVENTS
			   "\"secret_file\": \"short.secret\"",
		 "endpoints[0].secret_file names a secret that is not 24 to 64 bytes"},
		{GOOD_NAME "\"url\": \"https://h.example.org/\", " GOOD_EVENTS
			   "\"secret_file\": \"plain.secret\"",
		 "endpoints[0].secret_file names a file that does not hold whsec_"},
	};

	put("crm.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
	put("short.secret", "whsec_c2hvcnQ=\n");
	put("plain.secret", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = load(bad[i].fields);

		CHECK(why != NULL && strstr(why, bad[i].says) != NULL);
		if (why != NULL && strstr(why, bad[i].says) == NULL)
			fprintf(stderr, "  case %zu: %s\n", i, why);
		/* never the secret */
		CHECK(why == NULL || strstr(why, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == NULL);
	}
}

TEST(names_are_unique)
{
	char text[1024], path[256], why[512] = "";
	struct webhooks *h = NULL;

	put("crm.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
	snprintf(text, sizeof(text),
		 "{\"endpoints\": [{%s\"url\": \"https://a.example.org/\", %s%s}, "
		 "{%s\"url\": \"https://b.example.org/\", %s%s}]}",
		 GOOD_NAME, GOOD_EVENTS, GOOD_SECRET, GOOD_NAME, GOOD_EVENTS, GOOD_SECRET);
	put("hooks.json", text);
	snprintf(path, sizeof(path), "%s/hooks.json", dir);
	CHECK(webhooks_load(path, &h, why, sizeof(why)) == ERR_INVALID);
	CHECK(strstr(why, "endpoints[1].name repeats an endpoint's name") != NULL);
	put("hooks.json", "{\"endpoints\": [], \"extra\": 1}");
	CHECK(webhooks_load(path, &h, why, sizeof(why)) == ERR_INVALID);
	put("hooks.json", "{\"endpoints\": []}");
	CHECK(webhooks_load(path, &h, why, sizeof(why)) == ERR_OK);
	webhooks_free(h);
}

int main(void)
{
	char cmd[128];
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(signature_matches_the_specification);
	RUN(good_files_load);
	RUN(bad_files_are_refused_naming_the_key);
	RUN(names_are_unique);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	rc = system(cmd);
	(void)rc;
	return harness_done();
}
