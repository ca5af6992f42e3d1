/*
 * ratelimit.c - owns the counter table and its lock. Addresses are hashed
 * with a per-process random key, so nobody can aim at another client's
 * slot from outside.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "ratelimit.h"

#define SLOTS 8192

struct slot {
	unsigned char addr[NETADDR_LEN]; /* the address's group (netaddr_group()) */
	time_t minute;
	int count;
};

struct ratelimit {
	pthread_mutex_t lock;
	int per_minute;
	unsigned char key[CRYPTO_KEY_LEN];
	struct slot slots[SLOTS];
};

enum err ratelimit_new(int per_minute, struct ratelimit **ret_rl)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl == NULL)
		return ERR_NOMEM;
	if (crypto_random(rl->key, sizeof(rl->key)) != ERR_OK) {
		free(rl);
		return ERR_CRYPTO;
	}
	rl->per_minute = per_minute;
	pthread_mutex_init(&rl->lock, NULL);
	*ret_rl = rl;
	return ERR_OK;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

int ratelimit_hit(struct ratelimit *rl, const unsigned char addr[NETADDR_LEN], time_t now)
{
	unsigned char a[NETADDR_LEN], mac[32];
	time_t minute = now / 60;
	struct slot *s;
	uint32_t h;
	int wait = 0;

	netaddr_group(addr, a);
	crypto_hmac_sha256(rl->key, a, sizeof(a), mac);
	memcpy(&h, mac, sizeof(h));
	s = &rl->slots[h % SLOTS];
	pthread_mutex_lock(&rl->lock);
	if (s->minute != minute || memcmp(s->addr, a, NETADDR_LEN) != 0) {
		if (s->minute != minute || s->count < rl->per_minute) {
			/* a stale slot, or a colliding address that is not over the
			 * limit: start counting this address afresh */
			memcpy(s->addr, a, NETADDR_LEN);
			s->minute = minute;
			s->count = 0;
		}
	}
	if (s->count >= rl->per_minute)
		wait = (int)(60 - now % 60);
	else
		s->count++;
	pthread_mutex_unlock(&rl->lock);
	return wait;
}
