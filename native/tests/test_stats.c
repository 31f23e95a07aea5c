/*
 * stats: GPs with no reader to wait for are counted apart from the
 * latency histogram (issue 14 item 6).
 *  - a GP with no registered reader counts in gps and gps_no_readers
 *    only: the histogram, sum and max stay untouched, and the percentile
 *    of a histogram with no sample is 0;
 *  - a GP with a registered reader (outside any section) is recorded in
 *    the histogram and not in gps_no_readers;
 *  - the sim counts gps_no_readers the same way.
 */
#include <quiesce/quiesce.h>

#include "check.h"

static uint64_t hist_total(const qs_stats *s)
{
    uint64_t n = 0;
    for (int i = 0; i < 64; i++) {
        n += s->gp_lat_hist[i];
    }
    return n;
}

int main(void)
{
    qs_domain *dom;
    CHECK_OK(qs_domain_new(NULL, &dom));
    for (int i = 0; i < 3; i++) {
        CHECK_OK(qs_synchronize(dom));
    }
    qs_stats s;
    qs_stats_get(dom, &s);
    CHECK_EQ(s.gps, 3);
    CHECK_EQ(s.gps_no_readers, 3);
    CHECK_EQ(hist_total(&s), 0);
    CHECK_EQ(s.gp_lat_sum_ns, 0);
    CHECK_EQ(s.gp_lat_max_ns, 0);
    CHECK_EQ(qs_stats_gp_percentile_ns(&s, 50), 0);

    qs_reader *r;
    CHECK_OK(qs_reader_new(dom, &r));
    CHECK_OK(qs_synchronize(dom));
    CHECK_OK(qs_synchronize(dom));
    qs_stats_get(dom, &s);
    CHECK_EQ(s.gps, 5);
    CHECK_EQ(s.gps_no_readers, 3);
    CHECK_EQ(hist_total(&s), 2);
    CHECK(s.gp_lat_max_ns > 0);
    CHECK(s.gp_lat_sum_ns >= s.gp_lat_max_ns);
    CHECK(qs_stats_gp_percentile_ns(&s, 100) >= s.gp_lat_max_ns);
    CHECK_OK(qs_reader_free(r));
    CHECK_OK(qs_domain_free(dom));

    qs_params p;
    CHECK_OK(qs_params_init(&p, QS_POLICY_FQS));
    qs_sim *sim = qs_sim_new(&p);
    CHECK(sim != NULL);
    qs_sim_step(sim, QS_EV_SYNC, 0, NULL);
    qs_sim_step(sim, QS_EV_REGISTER, 0, NULL);
    qs_sim_step(sim, QS_EV_SYNC, 0, NULL);
    qs_sim_state st;
    qs_sim_state_get(sim, &st);
    CHECK_EQ(st.stats.gps, 2);
    CHECK_EQ(st.stats.gps_no_readers, 1);
    qs_sim_free(sim);
    printf("stats: all checks passed\n");
    return 0;
}
