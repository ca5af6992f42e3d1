/*
 * ratelimit.c - owns the counter table and its lock. Addresses are hashed
 * with a per-process random key, so nobody can aim at another client's
 * slot from outside.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "ratelimit.h"

#define SLOTS 8192

struct slot {
	unsigned char addr[16]; /* IPv4 mapped into IPv6 form */
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

/* The address as 16 bytes (IPv4 as ::ffff:a.b.c.d). */
static void addr_bytes(const struct sockaddr *sa, unsigned char out[16])
{
	memset(out, 0, 16);
	if (sa != NULL && sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else if (sa != NULL && sa->sa_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
}

int ratelimit_hit(struct ratelimit *rl, const struct sockaddr *addr, time_t now)
{
	unsigned char a[16], mac[32];
	time_t minute = now / 60;
	struct slot *s;
	uint32_t h;
	int wait = 0;

	addr_bytes(addr, a);
	crypto_hmac_sha256(rl->key, a, sizeof(a), mac);
	memcpy(&h, mac, sizeof(h));
	s = &rl->slots[h % SLOTS];
	pthread_mutex_lock(&rl->lock);
	if (s->minute != minute || memcmp(s->addr, a, 16) != 0) {
		if (s->minute != minute || s->count < rl->per_minute) {
			/* a stale slot, or a colliding address that is not over the
			 * limit: start counting this address afresh */
			memcpy(s->addr, a, 16);
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
