/*
 * layout: the library's qs_layout_* table agrees with the compiler's view
 * of the public headers, and is self-consistent (every struct listed,
 * offsets inside the struct, in declaration order, unknown names -1).
 */
#include <stddef.h>

#include <quiesce/quiesce.h>

#include "check.h"

/* Expect the library's size and offset for T.f to match this TU's. */
#define EXPECT_SIZE(T) CHECK_EQ(qs_layout_sizeof(#T), sizeof(T))
#define EXPECT_FIELD(T, f) CHECK_EQ(qs_layout_offsetof(#T, #f), offsetof(T, f))

int main(void)
{
    static const char *const names[] = {
        "qs_params", "qs_gp_input", "qs_gp", "qs_worker", "qs_sim_reader",
        "qs_stats", "qs_sim_state", "qs_sim_effects", "qs_domain_config",
        "qs_reader", "qs_notifier", "qs_head",
    };
    const int n = (int)(sizeof(names) / sizeof(names[0]));

    CHECK_EQ(qs_layout_count(), n);
    for (int i = 0; i < n; i++) {
        int found = 0;
        for (int j = 0; j < qs_layout_count(); j++) {
            found |= strcmp(qs_layout_name(j), names[i]) == 0;
        }
        CHECK(found);
        CHECK(qs_layout_sizeof(names[i]) > 0);
    }
    CHECK(qs_layout_name(-1) == NULL);
    CHECK(qs_layout_name(n) == NULL);
    CHECK_EQ(qs_layout_sizeof("qs_nope"), -1);
    CHECK_EQ(qs_layout_sizeof(NULL), -1);
    CHECK_EQ(qs_layout_offsetof("qs_reader", "nope"), -1);
    CHECK_EQ(qs_layout_offsetof("qs_nope", "ctr"), -1);

    EXPECT_SIZE(qs_params);
    EXPECT_FIELD(qs_params, policy);
    EXPECT_FIELD(qs_params, poll_limit);
    EXPECT_FIELD(qs_params, cb_threshold);
    EXPECT_FIELD(qs_params, reserved);
    EXPECT_FIELD(qs_params, poll_period_ns);

    EXPECT_SIZE(qs_gp_input);
    EXPECT_FIELD(qs_gp_input, remaining);
    EXPECT_FIELD(qs_gp_input, forced);

    EXPECT_SIZE(qs_gp);
    EXPECT_FIELD(qs_gp, params);
    EXPECT_FIELD(qs_gp, state);
    EXPECT_FIELD(qs_gp, cause);
    EXPECT_FIELD(qs_gp, polls);
    EXPECT_FIELD(qs_gp, expedited);

    EXPECT_SIZE(qs_worker);
    EXPECT_FIELD(qs_worker, batch);

    EXPECT_SIZE(qs_sim_reader);
    EXPECT_FIELD(qs_sim_reader, ctr);
    EXPECT_FIELD(qs_sim_reader, notified);

    EXPECT_SIZE(qs_stats);
    EXPECT_FIELD(qs_stats, fqs_by_cause);
    EXPECT_FIELD(qs_stats, slow_unlocks);
    EXPECT_FIELD(qs_stats, gp_lat_hist);

    EXPECT_SIZE(qs_sim_state);
    EXPECT_FIELD(qs_sim_state, readers);
    EXPECT_FIELD(qs_sim_state, stats);
    EXPECT_FIELD(qs_sim_state, run_hash);

    EXPECT_SIZE(qs_sim_effects);
    EXPECT_FIELD(qs_sim_effects, drains_done);

    EXPECT_SIZE(qs_domain_config);
    EXPECT_FIELD(qs_domain_config, use_membarrier);

    /* The reader record is what the FFM read side touches directly. */
    EXPECT_SIZE(qs_reader);
    EXPECT_FIELD(qs_reader, ctr);
    EXPECT_FIELD(qs_reader, depth);
    EXPECT_FIELD(qs_reader, waiting);
    EXPECT_FIELD(qs_reader, gp_ctr);
    EXPECT_FIELD(qs_reader, fence_mode);
    EXPECT_FIELD(qs_reader, reserved);
    EXPECT_FIELD(qs_reader, slow_unlocks);
    EXPECT_FIELD(qs_reader, domain);
    EXPECT_FIELD(qs_reader, runtime);

    EXPECT_SIZE(qs_notifier);
    EXPECT_FIELD(qs_notifier, fn);
    EXPECT_FIELD(qs_notifier, next);

    EXPECT_SIZE(qs_head);
    EXPECT_FIELD(qs_head, next);
    EXPECT_FIELD(qs_head, fn);

    /* Self-consistency of the whole table: the listed fields lie inside
     * their struct. (Field names are probed through the known set above;
     * here every struct's first field sits at offset 0.) */
    static const char *const first[][2] = {
        {"qs_params", "policy"}, {"qs_gp_input", "remaining"},
        {"qs_gp", "params"}, {"qs_worker", "params"},
        {"qs_sim_reader", "registered"}, {"qs_stats", "gps"},
        {"qs_sim_state", "gp_ctr"}, {"qs_sim_effects", "rc"},
        {"qs_domain_config", "params"}, {"qs_reader", "ctr"},
        {"qs_notifier", "fn"}, {"qs_head", "next"},
    };
    for (int i = 0; i < n; i++) {
        CHECK_EQ(qs_layout_offsetof(first[i][0], first[i][1]), 0);
    }
    CHECK(qs_layout_offsetof("qs_stats", "gp_lat_hist") + 64 * 8 <=
          qs_layout_sizeof("qs_stats"));
    CHECK(qs_layout_offsetof("qs_reader", "runtime") + (int64_t)sizeof(void *) <=
          qs_layout_sizeof("qs_reader"));

    /* Version: MAJOR.MINOR.PATCH. */
    unsigned a, b, c;
    char tail;
    CHECK_EQ(sscanf(qs_version(), "%u.%u.%u%c", &a, &b, &c, &tail), 3);
    CHECK(strcmp(qs_version(), "0.1.0") == 0);
    printf("layout: %d structs OK, version %s\n", n, qs_version());
    return 0;
}
