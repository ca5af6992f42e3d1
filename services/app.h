/*
 * app.h - the process-wide state every handler reaches through its
 * request: configuration, the database pool, the catalogue, the hashing
 * pool and the keys derived from the master key. Built once by main.c,
 * read-only afterwards (the objects it points to do their own locking).
 */
#ifndef HCPD_APP_H
#define HCPD_APP_H

#include <stdatomic.h>

#include "accounts_search.h"
#include "config.h"
#include "crypto.h"
#include "password.h"

struct catalogue;
struct jwt_keyring;
struct db_pool;
struct keystore;
struct workpool;
struct ratelimit;
struct recipients;
struct activities;
struct admin_page;
struct verifier_set;
struct webhooks;

struct app {
	struct config cfg;
	struct db_pool *db;
	struct keystore *keys; /* account secrets (vault.c) */
	struct catalogue *catalogue;
	struct schema_langs *schema_langs; /* its translations (schema_lang.h, issue 24) */
	struct workpool *hashpool;
	struct ratelimit *ratelimit;                /* NULL: no per-address limit */
	struct jwt_keyring *keyring;                /* access-token keys */
	char dummy_hash[PASSWORD_ENCODED_MAX];      /* verified for unknown emails */
	int migrations_latest;                      /* highest migration shipped */
	unsigned char wrap_key[CRYPTO_KEY_LEN];     /* seals per-account data keys */
	unsigned char bidx_key[CRYPTO_KEY_LEN];     /* email blind index */
	unsigned char idem_key[CRYPTO_KEY_LEN];     /* MACs of idempotent requests */
	struct recipients *recipients;              /* the recipients file (serve) */
	struct activities *activities;              /* the activities file (serve) */
	unsigned char release_key[CRYPTO_KEY_LEN];  /* signs activity releases (releases.h) */
	atomic_bool recipients_synced;              /* stored by ledger_sync_recipients() */
	unsigned char link_key[CRYPTO_KEY_LEN];     /* one-click unsubscribe tokens */
	unsigned char throttle_key[CRYPTO_KEY_LEN]; /* sign-in throttle's client keys */
	unsigned char note_key[CRYPTO_KEY_LEN];     /* seals staff reasons about no account */
	unsigned char suppress_key[CRYPTO_KEY_LEN]; /* the suppression list's per-client keys */
	struct admin_page *admin_page;              /* the /admin/ files; NULL: page off */
	struct admin_page *account_pages;           /* the /account/ pages; NULL: pages off */
	/* HCPD_REGISTRIES_DIR's definitions. Atomic: SIGHUP installs a new set
	 * (main.c); a set once installed is never freed before exit, so a
	 * pointer read once stays valid - read it ONCE per use (count and
	 * at() of one set). */
	struct verifier_set *_Atomic verifiers;
	struct webhooks *webhooks; /* HCPD_WEBHOOKS_FILE's endpoints; NULL: none */
	struct search_key {
		const char *field; /* a searchable catalogue field (borrowed) */
		unsigned char key[CRYPTO_KEY_LEN];
	} search_keys[SEARCH_FIELDS_MAX]; /* blind index keys (search.h) */
	size_t nsearch_keys;
};

#endif
