/*
 * One mutex over the table: an operation is a hash and at most RL_PROBE slot
 * compares, far shorter than the database round trip beside it. The hash is seeded
 * from getrandom() so that nobody can aim keys at one neighbourhood.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ratelimit.h"
#include "xmalloc.h"

#define RL_KEY_MAX 80
#define RL_PROBE 8
#define RL_WINDOW 60

struct slot {
	uint64_t hash;
	time_t start;        /* start of the current window; 0 = free */
	time_t last;         /* last failure */
	unsigned int prev, cur;
	unsigned int limit;  /* of the key's space, kept for eviction decisions */
	unsigned char len;
	char key[RL_KEY_MAX];
};

struct ratelimit {
	pthread_mutex_t lock;
	size_t mask;
	uint64_t seed;
	unsigned long tracked, evicted, untracked;
	struct slot *slots;
};

struct ratelimit *rl_create(size_t n)
{
	struct ratelimit *rl = xcalloc(1, sizeof *rl);
	size_t size = 64;

	while (size < n)
		size *= 2;
	pthread_mutex_init(&rl->lock, NULL);
	rl->mask = size - 1;
	if (getrandom(&rl->seed, sizeof rl->seed, 0) != sizeof rl->seed)
		rl->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull;
	rl->slots = xcalloc(size, sizeof *rl->slots);
	return rl;
}

void rl_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->slots);
	free(rl);
}

/* FNV-1a over the seed and the key, then a 64-bit finaliser to spread it. */
static uint64_t hash(const struct ratelimit *rl, const char *k, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull ^ rl->seed;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)k[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

/* Moves S's windows forward to the one holding NOW. */
static void roll(struct slot *s, time_t now)
{
	time_t w = now - now % RL_WINDOW;

	if (s->start == w)
		return;
	s->prev = s->start == w - RL_WINDOW ? s->cur : 0;
	s->cur = 0;
	s->start = w;
}

static bool stale(const struct slot *s, time_t now)
{
	return s->start == 0 || now - s->last >= 2 * RL_WINDOW;
}

/* Seconds until the weighted count of S drops below the limit; 0 if it is below. */
static unsigned int wait_for(const struct slot *s, unsigned int limit, time_t now)
{
	double el = (double)(now - s->start), est, t;

	est = s->prev * (RL_WINDOW - el) / RL_WINDOW + s->cur;
	if (est < limit)
		return 0;
	if (s->cur >= limit) /* into the next window, until CUR's weight has dropped enough */
		t = RL_WINDOW + RL_WINDOW * (1.0 - (double)limit / s->cur);
	else
		t = RL_WINDOW * (1.0 - (double)(limit - s->cur) / s->prev);
	t = t - el + 1;
	return t < 1 ? 1 : t > 2 * RL_WINDOW ? 2 * RL_WINDOW : (unsigned int)t;
}

/*
 * Whether S is a client refused right now. Such an entry is never given up to make
 * room: a flood of new addresses must not buy an attacker a clean slate.
 */
static bool over_limit(struct slot *s, time_t now)
{
	if (s->start == 0 || stale(s, now))
		return false;
	roll(s, now);
	return wait_for(s, s->limit, now) > 0;
}

/* Free slots first, then stale ones, then the least recently active under its limit. */
static bool better_victim(struct slot *cand, const struct slot *cur, time_t now)
{
	if (over_limit(cand, now))
		return false;
	if (cur == NULL)
		return true;
	if (cur->start == 0)
		return false;
	if (cand->start == 0)
		return true;
	if (stale(cur, now))
		return false;
	return stale(cand, now) || cand->last < cur->last;
}

static struct slot *find(struct ratelimit *rl, const char *k, size_t len, time_t now, bool add)
{
	uint64_t h = hash(rl, k, len);
	struct slot *victim = NULL;

	if (len > RL_KEY_MAX)
		len = RL_KEY_MAX; /* callers' keys are bounded; this only keeps the copy safe */
	for (size_t i = 0; i < RL_PROBE; i++) {
		struct slot *s = &rl->slots[(h + i) & rl->mask];

		if (s->start != 0 && s->hash == h && s->len == len && memcmp(s->key, k, len) == 0)
			return s;
		if (add && better_victim(s, victim, now))
			victim = s;
	}
	if (!add)
		return NULL;
	if (victim == NULL) { /* a neighbourhood of refused clients: they keep their places */
		rl->untracked++;
		return NULL;
	}
	if (victim->start == 0)
		rl->tracked++;
	else if (!stale(victim, now))
		rl->evicted++;
	memset(victim, 0, sizeof *victim);
	victim->hash = h;
	victim->len = (unsigned char)len;
	memcpy(victim->key, k, len);
	victim->start = now - now % RL_WINDOW;
	victim->last = now;
	return victim;
}

unsigned int rl_check(struct ratelimit *rl, const char *k, size_t len, unsigned int limit,
		      time_t now)
{
	unsigned int wait = 0;
	struct slot *s;

	pthread_mutex_lock(&rl->lock);
	if ((s = find(rl, k, len, now, false)) != NULL) {
		roll(s, now);
		wait = wait_for(s, limit, now);
	}
	pthread_mutex_unlock(&rl->lock);
	return wait;
}

void rl_fail(struct ratelimit *rl, const char *k, size_t len, unsigned int limit, time_t now)
{
	struct slot *s;

	pthread_mutex_lock(&rl->lock);
	if ((s = find(rl, k, len, now, true)) != NULL) {
		roll(s, now);
		s->cur++;
		s->last = now;
		s->limit = limit;
	}
	pthread_mutex_unlock(&rl->lock);
}

void rl_stats(struct ratelimit *rl, unsigned long *tracked, unsigned long *evicted,
	      unsigned long *untracked)
{
	pthread_mutex_lock(&rl->lock);
	*tracked = rl->tracked;
	*evicted = rl->evicted;
	*untracked = rl->untracked;
	pthread_mutex_unlock(&rl->lock);
}
