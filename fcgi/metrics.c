/* Counters in fixed arrays; labels come from tables so the output is stable. */
#include "config.h"

#include <string.h>
#include <time.h>

#include "metrics.h"

#define ADD(v, n) __atomic_add_fetch(&(v), (n), __ATOMIC_RELAXED)
#define GET(v) __atomic_load_n(&(v), __ATOMIC_RELAXED)

static const int statuses[] = {200, 201, 202, 400, 401, 403, 404, 405, 409, 410,
			       411, 413, 415, 422, 429, 500, 503};
#define NSTATUS (sizeof statuses / sizeof statuses[0])
/* Upper bounds in seconds; the last bucket is +Inf. */
static const double bounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
				0.05,   0.1,   0.25,  0.5,   1,    2.5};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])
#define NOPS 5

static const char *const *ep_names;
static unsigned int n_eps, n_threads;
static time_t started;
static unsigned long long requests[METRICS_ENDPOINTS][NSTATUS + 1];
static unsigned long long hist[METRICS_ENDPOINTS][NBOUNDS + 1];
static unsigned long long hist_sum_us[METRICS_ENDPOINTS];
static unsigned long long results[NOPS][CP_STATUS_COUNT];
static unsigned long long db_errors, retries, rl_hits[RL_KINDS], lookups_failed[SRC_COUNT];
static long inflight;
/* Group commit: groups by size (upper bounds; the last bucket is +Inf). */
static const unsigned int group_bounds[] = {1, 2, 4, 8, 16, 32, 64};
#define NGROUP (sizeof group_bounds / sizeof group_bounds[0])
static unsigned long long groups[NGROUP + 1], group_sum, group_dups, groups_with_dups;
static long connections;

static const char *const rl_names[RL_KINDS] = {"client", "user", "api_key"};
static const char *const src_names[SRC_COUNT] = {"api", "form"};

void metrics_init(const char *const *names, unsigned int n, unsigned int threads)
{
	ep_names = names;
	n_eps = n < METRICS_ENDPOINTS ? n : METRICS_ENDPOINTS;
	n_threads = threads;
	started = time(NULL);
}

static unsigned int status_index(int status)
{
	for (unsigned int i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS; /* "other" */
}

void metrics_request(unsigned int ep, int status, double seconds)
{
	unsigned int b = 0;

	if (ep >= n_eps)
		return;
	ADD(requests[ep][status_index(status)], 1);
	while (b < NBOUNDS && seconds > bounds[b])
		b++;
	ADD(hist[ep][b], 1);
	ADD(hist_sum_us[ep], (unsigned long long)(seconds * 1e6));
}

void metrics_inflight(int delta)
{
	ADD(inflight, delta);
}

void metrics_connections(int delta)
{
	ADD(connections, delta);
}

void metrics_result(enum cp_op op, enum cp_status st)
{
	if ((unsigned int)op < NOPS && (unsigned int)st < CP_STATUS_COUNT)
		ADD(results[op][st], 1);
}

void metrics_db_error(void)
{
	ADD(db_errors, 1);
}

void metrics_retries(unsigned int n)
{
	if (n > 0)
		ADD(retries, n);
}

void metrics_ratelimit_hit(enum rl_kind k)
{
	ADD(rl_hits[k], 1);
}

void metrics_failed_lookup(enum lookup_source s)
{
	ADD(lookups_failed[s], 1);
}

void metrics_group(void *arg, unsigned int size, unsigned int duplicates)
{
	unsigned int b = 0;

	(void)arg;
	while (b < NGROUP && size > group_bounds[b])
		b++;
	ADD(groups[b], 1);
	ADD(group_sum, size);
	if (duplicates > 0) {
		ADD(group_dups, duplicates);
		ADD(groups_with_dups, 1);
	}
}

static void head(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_requests(struct buf *b)
{
	head(b, "coupon_http_requests_total", "counter", "HTTP requests by endpoint and status.");
	for (unsigned int e = 0; e < n_eps; e++)
		for (unsigned int s = 0; s <= NSTATUS; s++) {
			unsigned long long v = GET(requests[e][s]);

			if (v == 0)
				continue;
			if (s < NSTATUS)
				buf_printf(b, "coupon_http_requests_total{endpoint=\"%s\",status=\"%d\"} %llu\n",
					   ep_names[e], statuses[s], v);
			else
				buf_printf(b, "coupon_http_requests_total{endpoint=\"%s\",status=\"other\"} %llu\n",
					   ep_names[e], v);
		}
}

static void render_histogram(struct buf *b)
{
	head(b, "coupon_http_request_duration_seconds", "histogram",
	     "Time from the request's arrival to the end of its response.");
	for (unsigned int e = 0; e < n_eps; e++) {
		unsigned long long cum = 0;

		for (unsigned int i = 0; i <= NBOUNDS; i++)
			cum += GET(hist[e][i]);
		if (cum == 0)
			continue;
		cum = 0;
		for (unsigned int i = 0; i < NBOUNDS; i++) {
			cum += GET(hist[e][i]);
			buf_printf(b, "coupon_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
				   ep_names[e], bounds[i], cum);
		}
		cum += GET(hist[e][NBOUNDS]);
		buf_printf(b, "coupon_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
			   ep_names[e], cum);
		buf_printf(b, "coupon_http_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n",
			   ep_names[e], (double)GET(hist_sum_us[e]) / 1e6);
		buf_printf(b, "coupon_http_request_duration_seconds_count{endpoint=\"%s\"} %llu\n",
			   ep_names[e], cum);
	}
}

static void render_groups(struct buf *b)
{
	unsigned long long cum = 0;

	head(b, "coupon_redeem_group_size", "histogram",
	     "Plain redemptions committed together, per group (1: ran alone).");
	for (unsigned int i = 0; i < NGROUP; i++) {
		cum += GET(groups[i]);
		buf_printf(b, "coupon_redeem_group_size_bucket{le=\"%u\"} %llu\n", group_bounds[i],
			   cum);
	}
	cum += GET(groups[NGROUP]);
	buf_printf(b, "coupon_redeem_group_size_bucket{le=\"+Inf\"} %llu\n", cum);
	buf_printf(b, "coupon_redeem_group_size_sum %llu\n", GET(group_sum));
	buf_printf(b, "coupon_redeem_group_size_count %llu\n", cum);
	head(b, "coupon_redeem_group_duplicates_total", "counter",
	     "Requests for a code another request of the same group already asked for.");
	buf_printf(b, "coupon_redeem_group_duplicates_total %llu\n", GET(group_dups));
	head(b, "coupon_redeem_groups_with_duplicates_total", "counter",
	     "Groups that held a code more than once.");
	buf_printf(b, "coupon_redeem_groups_with_duplicates_total %llu\n", GET(groups_with_dups));
}

static void render_results(struct buf *b)
{
	head(b, "coupon_redemption_results_total", "counter",
	     "Outcomes of validate, redeem, reserve, confirm and release.");
	for (unsigned int o = 0; o < NOPS; o++)
		for (unsigned int s = 0; s < CP_STATUS_COUNT; s++) {
			unsigned long long v = GET(results[o][s]);

			if (v != 0)
				buf_printf(b, "coupon_redemption_results_total{op=\"%s\",result=\"%s\"} %llu\n",
					   cp_op_name((enum cp_op)o), cp_status_code((enum cp_status)s), v);
		}
}

static void render_simple(struct buf *b, unsigned long tracked, unsigned long evicted)
{
	head(b, "coupon_db_errors_total", "counter",
	     "Requests that failed on the database (unavailable, busy after retries, errors).");
	buf_printf(b, "coupon_db_errors_total %llu\n", GET(db_errors));
	head(b, "coupon_db_retries_total", "counter", "Deadlock and lock-wait retries.");
	buf_printf(b, "coupon_db_retries_total %llu\n", GET(retries));
	head(b, "coupon_rate_limited_total", "counter", "Requests refused with 429, by limit.");
	for (unsigned int k = 0; k < RL_KINDS; k++)
		buf_printf(b, "coupon_rate_limited_total{limit=\"%s\"} %llu\n", rl_names[k],
			   GET(rl_hits[k]));
	head(b, "coupon_failed_lookups_total", "counter",
	     "Lookups of malformed, mistyped or unknown codes, by source.");
	for (unsigned int s = 0; s < SRC_COUNT; s++)
		buf_printf(b, "coupon_failed_lookups_total{source=\"%s\"} %llu\n", src_names[s],
			   GET(lookups_failed[s]));
	head(b, "coupon_rate_limit_tracked", "gauge", "Clients and users the rate limiter tracks.");
	buf_printf(b, "coupon_rate_limit_tracked %lu\n", tracked);
	head(b, "coupon_rate_limit_evictions_total", "counter",
	     "Rate-limit entries evicted to keep memory bounded.");
	buf_printf(b, "coupon_rate_limit_evictions_total %lu\n", evicted);
	head(b, "coupon_fcgi_threads", "gauge", "Worker threads.");
	buf_printf(b, "coupon_fcgi_threads %u\n", n_threads);
	head(b, "coupon_fcgi_inflight_requests", "gauge", "Requests being handled now.");
	buf_printf(b, "coupon_fcgi_inflight_requests %ld\n", GET(inflight));
	head(b, "coupon_fcgi_connections", "gauge",
	     "FastCGI connections open, idle kept ones included.");
	buf_printf(b, "coupon_fcgi_connections %ld\n", GET(connections));
	head(b, "coupon_fcgi_start_time_seconds", "gauge", "Start time, Unix seconds.");
	buf_printf(b, "coupon_fcgi_start_time_seconds %lld\n", (long long)started);
}

void metrics_render(struct buf *b, unsigned long tracked, unsigned long evicted)
{
	render_requests(b);
	render_histogram(b);
	render_results(b);
	render_groups(b);
	render_simple(b, tracked, evicted);
}

void metrics_render_db(struct buf *b, const struct metrics_db *d)
{
	head(b, "coupon_db_up", "gauge", "0 while the database is unreachable (an outage), else 1.");
	buf_printf(b, "coupon_db_up %d\n", d->up);
	head(b, "coupon_db_outages_total", "counter", "Outages: the database found unreachable.");
	buf_printf(b, "coupon_db_outages_total %llu\n", d->outages);
	head(b, "coupon_db_outage_refused_total", "counter",
	     "Requests answered 503 during an outage without trying the database.");
	buf_printf(b, "coupon_db_outage_refused_total %llu\n", d->refused);
	head(b, "coupon_db_outage_probes_total", "counter",
	     "Attempts to reach the database during outages (one per back-off).");
	buf_printf(b, "coupon_db_outage_probes_total %llu\n", d->attempts);
}

void metrics_render_generation(struct buf *b, const struct cp_generation_progress *g)
{
	if (g == NULL)
		return;
	head(b, "coupon_generation_running_batches", "gauge",
	     "Generation batches with status running (couponadm or the API).");
	buf_printf(b, "coupon_generation_running_batches %u\n", g->running);
	head(b, "coupon_generation_remaining_codes", "gauge",
	     "Codes the running batches still lack.");
	buf_printf(b, "coupon_generation_remaining_codes %llu\n", (unsigned long long)g->remaining);
	head(b, "coupon_generation_stalest_progress_age_seconds", "gauge",
	     "Seconds since the least recently advanced running batch committed a chunk (0 when none runs).");
	buf_printf(b, "coupon_generation_stalest_progress_age_seconds %.3f\n", g->stalest_seconds);
}

void metrics_render_outbox(struct buf *b, const struct cp_outbox_backlog *o)
{
	head(b, "coupon_outbox_up", "gauge",
	     "Whether the outbox backlog below could be read from the database.");
	buf_printf(b, "coupon_outbox_up %d\n", o != NULL);
	if (o == NULL)
		return;
	head(b, "coupon_outbox_backlog_events", "gauge",
	     "Events written after redemptions and not yet delivered by coupon-relay.");
	buf_printf(b, "coupon_outbox_backlog_events %llu\n", (unsigned long long)o->pending);
	head(b, "coupon_outbox_oldest_age_seconds", "gauge",
	     "Age of the oldest undelivered event (0 when none).");
	buf_printf(b, "coupon_outbox_oldest_age_seconds %.3f\n", o->oldest_seconds);
	head(b, "coupon_outbox_oldest_attempts", "gauge",
	     "Failed deliveries of the oldest undelivered event.");
	buf_printf(b, "coupon_outbox_oldest_attempts %u\n", o->oldest_attempts);
}

void metrics_totals(unsigned long long *req, unsigned long long *e5, unsigned long long *e4)
{
	*req = *e5 = *e4 = 0;
	for (unsigned int e = 0; e < n_eps; e++)
		for (unsigned int s = 0; s <= NSTATUS; s++) {
			unsigned long long v = GET(requests[e][s]);
			int st = s < NSTATUS ? statuses[s] : 500;

			*req += v;
			if (st >= 500)
				*e5 += v;
			else if (st >= 400)
				*e4 += v;
		}
}
