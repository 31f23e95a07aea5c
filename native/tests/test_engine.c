/*
 * Table-driven tests of the pure writer and worker machines (engine/gp.c).
 * No threads, no clocks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <quiesce/engine.h>

static int failures;

#define CHECK_EQ(what, got, want)                                              \
    do {                                                                       \
        long long g_ = (long long)(got), w_ = (long long)(want);               \
        if (g_ != w_) {                                                        \
            fprintf(stderr, "%s:%d: %s: got %lld, want %lld\n", __FILE__,      \
                    __LINE__, (what), g_, w_);                                 \
            failures++;                                                        \
        }                                                                      \
    } while (0)

static qs_params params(int32_t policy)
{
    qs_params p;
    qs_params_init(&p, policy);
    return p;
}

static void test_params(void)
{
    qs_params p = params(QS_POLICY_FQS);
    CHECK_EQ("default poll limit", p.poll_limit, 5);
    CHECK_EQ("default threshold", p.cb_threshold, 30);
    CHECK_EQ("default period", p.poll_period_ns, 10000000);
    CHECK_EQ("defaults valid", qs_params_check(&p), 0);
    CHECK_EQ("bad policy", qs_params_init(&p, 7), -EINVAL);
    p = params(QS_POLICY_FQS);
    p.poll_limit = 0;
    CHECK_EQ("zero poll limit", qs_params_check(&p), -EINVAL);
    p = params(QS_POLICY_FQS);
    p.cb_threshold = 0;
    CHECK_EQ("zero threshold", qs_params_check(&p), -EINVAL);
    p = params(QS_POLICY_FQS);
    p.poll_period_ns = 0;
    CHECK_EQ("zero period", qs_params_check(&p), -EINVAL);
    p = params(QS_POLICY_FQS);
    p.reserved = 1;
    CHECK_EQ("reserved set", qs_params_check(&p), -EINVAL);
    CHECK_EQ("NULL", qs_params_check(NULL), -EINVAL);
    qs_gp gp;
    p.reserved = 1;
    CHECK_EQ("gp init refuses bad params", qs_gp_init(&gp, &p), -EINVAL);
}

static void test_classify(void)
{
    static const struct {
        uint64_t ctr, gp;
        int32_t want;
    } rows[] = {
        {0, 1, QS_READER_INACTIVE},
        {0, 7, QS_READER_INACTIVE},
        {7, 7, QS_READER_ACTIVE_CURRENT},
        {5, 7, QS_READER_ACTIVE_OLD},
        {1, 3, QS_READER_ACTIVE_OLD},
        {9, 7, QS_READER_ACTIVE_OLD}, /* any other value blocks */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        CHECK_EQ("classify", qs_reader_classify(rows[i].ctr, rows[i].gp), rows[i].want);
    }
}

/* One row: a GP begins (expedited or not) under a policy, then a series of
 * scans with given inputs; after each scan the expected action, state and
 * cause. Polls happen between scans whenever the action was SLEEP. */
struct scan_row {
    qs_gp_input in;
    int32_t act, state, cause;
};

struct gp_case {
    const char *name;
    int32_t policy;
    int32_t expedited;
    int nscans;
    struct scan_row scans[8];
};

static const struct gp_case gp_cases[] = {
    {"fqs: no reader blocks, done at once", QS_POLICY_FQS, 0, 1,
     {{{0, 0, 0, 0}, QS_GP_ACT_DONE, QS_GP_NORMAL, QS_FQS_NONE}}},
    {"fqs: polls, then poll limit forces", QS_POLICY_FQS, 0, 7,
     {{{1, 1, 0, 0}, QS_GP_ACT_SLEEP, QS_GP_NORMAL, QS_FQS_NONE},
      {{1, 1, 0, 0}, QS_GP_ACT_SLEEP, QS_GP_NORMAL, QS_FQS_NONE},
      {{1, 1, 0, 0}, QS_GP_ACT_SLEEP, QS_GP_NORMAL, QS_FQS_NONE},
      {{1, 1, 0, 0}, QS_GP_ACT_SLEEP, QS_GP_NORMAL, QS_FQS_NONE},
      {{1, 1, 0, 0}, QS_GP_ACT_SLEEP, QS_GP_NORMAL, QS_FQS_NONE},
      {{1, 1, 0, 0}, QS_GP_ACT_FORCE, QS_GP_FORCED, QS_FQS_POLL_LIMIT},
      {{1, 1, 0, 0}, QS_GP_ACT_WAIT, QS_GP_FORCED, QS_FQS_POLL_LIMIT}}},
    {"fqs: reader leaves while polling", QS_POLICY_FQS, 0, 3,
     {{{2, 1, 0, 0}, QS_GP_ACT_SLEEP, QS_GP_NORMAL, QS_FQS_NONE},
      {{1, 1, 0, 0}, QS_GP_ACT_SLEEP, QS_GP_NORMAL, QS_FQS_NONE},
      {{0, 1, 0, 0}, QS_GP_ACT_DONE, QS_GP_NORMAL, QS_FQS_NONE}}},
    {"fqs: threshold forces", QS_POLICY_FQS, 0, 3,
     {{{1, 29, 0, 0}, QS_GP_ACT_SLEEP, QS_GP_NORMAL, QS_FQS_NONE},
      {{1, 30, 0, 0}, QS_GP_ACT_FORCE, QS_GP_FORCED, QS_FQS_THRESHOLD},
      {{0, 30, 0, 0}, QS_GP_ACT_DONE, QS_GP_FORCED, QS_FQS_THRESHOLD}}},
    {"fqs: drain forces", QS_POLICY_FQS, 0, 2,
     {{{1, 1, 1, 0}, QS_GP_ACT_FORCE, QS_GP_FORCED, QS_FQS_DRAIN},
      {{1, 1, 1, 0}, QS_GP_ACT_WAIT, QS_GP_FORCED, QS_FQS_DRAIN}}},
    {"fqs: force() forces", QS_POLICY_FQS, 0, 2,
     {{{1, 0, 0, 0}, QS_GP_ACT_SLEEP, QS_GP_NORMAL, QS_FQS_NONE},
      {{1, 0, 0, 1}, QS_GP_ACT_FORCE, QS_GP_FORCED, QS_FQS_FORCE}}},
    {"fqs: force() outranks drain and threshold", QS_POLICY_FQS, 0, 1,
     {{{1, 99, 1, 1}, QS_GP_ACT_FORCE, QS_GP_FORCED, QS_FQS_FORCE}}},
    {"fqs: expedited forces after the first scan", QS_POLICY_FQS, 1, 2,
     {{{3, 0, 0, 0}, QS_GP_ACT_FORCE, QS_GP_FORCED, QS_FQS_EXPEDITED},
      {{0, 0, 0, 0}, QS_GP_ACT_DONE, QS_GP_FORCED, QS_FQS_EXPEDITED}}},
    {"fqs: expedited with no blocker never forces", QS_POLICY_FQS, 1, 1,
     {{{0, 0, 0, 0}, QS_GP_ACT_DONE, QS_GP_NORMAL, QS_FQS_NONE}}},
    {"legacy: waits on the event at once", QS_POLICY_LEGACY, 0, 3,
     {{{1, 100, 1, 1}, QS_GP_ACT_WAIT, QS_GP_LEGACY, QS_FQS_NONE},
      {{1, 100, 1, 1}, QS_GP_ACT_WAIT, QS_GP_LEGACY, QS_FQS_NONE},
      {{0, 100, 1, 1}, QS_GP_ACT_DONE, QS_GP_LEGACY, QS_FQS_NONE}}},
    {"legacy: expedited changes nothing", QS_POLICY_LEGACY, 1, 1,
     {{{2, 0, 0, 0}, QS_GP_ACT_WAIT, QS_GP_LEGACY, QS_FQS_NONE}}},
};

static void test_gp_machine(void)
{
    for (size_t c = 0; c < sizeof(gp_cases) / sizeof(gp_cases[0]); c++) {
        const struct gp_case *tc = &gp_cases[c];
        qs_params p = params(tc->policy);
        qs_gp gp;
        CHECK_EQ(tc->name, qs_gp_init(&gp, &p), 0);
        CHECK_EQ(tc->name, gp.state, QS_GP_IDLE);
        qs_gp_begin(&gp, tc->expedited);
        for (int i = 0; i < tc->nscans; i++) {
            const struct scan_row *row = &tc->scans[i];
            int32_t act = qs_gp_after_scan(&gp, &row->in);
            if (act != row->act || gp.state != row->state || gp.cause != row->cause) {
                fprintf(stderr, "%s, scan %d: act %d state %d cause %d; want %d %d %d\n",
                        tc->name, i, act, gp.state, gp.cause, row->act, row->state,
                        row->cause);
                failures++;
            }
            if (act == QS_GP_ACT_SLEEP) {
                qs_gp_poll_done(&gp);
            }
        }
        qs_gp_end(&gp);
        CHECK_EQ(tc->name, gp.state, QS_GP_IDLE);
    }
}

static void test_arming_and_legacy_kicks(void)
{
    qs_params p = params(QS_POLICY_FQS);
    qs_gp gp;
    qs_gp_init(&gp, &p);
    qs_gp_input drain = {1, 0, 1, 0};
    qs_gp_begin(&gp, 0);
    /* Normal state: no `waiting`, no event reset: the reader fast path. */
    CHECK_EQ("normal does not arm", qs_gp_arms(&gp), 0);
    CHECK_EQ("fqs never kicks in scan", qs_gp_notifies_in_scan(&gp, &drain), 0);
    qs_gp_after_scan(&gp, &drain);
    CHECK_EQ("forced arms", qs_gp_arms(&gp), 1);
    CHECK_EQ("forced still no in-scan kick", qs_gp_notifies_in_scan(&gp, &drain), 0);

    /* A synchronize() joining a normal GP expedites it. */
    qs_gp_init(&gp, &p);
    qs_gp_expedite(&gp);
    CHECK_EQ("idle GP is not expedited", gp.expedited, 0);
    qs_gp_begin(&gp, 0);
    qs_gp_input one = {1, 0, 0, 0};
    CHECK_EQ("normal sleeps", qs_gp_after_scan(&gp, &one), QS_GP_ACT_SLEEP);
    qs_gp_expedite(&gp);
    CHECK_EQ("joined: forces", qs_gp_after_scan(&gp, &one), QS_GP_ACT_FORCE);
    CHECK_EQ("cause", gp.cause, QS_FQS_EXPEDITED);
    qs_gp_end(&gp);
    CHECK_EQ("end clears", gp.expedited, 0);

    p = params(QS_POLICY_LEGACY);
    qs_gp_init(&gp, &p);
    qs_gp_begin(&gp, 0);
    qs_gp_input quiet = {1, 0, 0, 0};
    CHECK_EQ("legacy arms every pass", qs_gp_arms(&gp), 1);
    CHECK_EQ("legacy kicks while draining", qs_gp_notifies_in_scan(&gp, &drain), 1);
    CHECK_EQ("legacy no kick otherwise", qs_gp_notifies_in_scan(&gp, &quiet), 0);
    qs_gp_input forced = {1, 500, 0, 1};
    CHECK_EQ("legacy ignores force/threshold", qs_gp_after_scan(&gp, &forced), QS_GP_ACT_WAIT);
    CHECK_EQ("legacy never records a cause", gp.cause, QS_FQS_NONE);
}

/* Worker rows: pending count seen, expected action, batch on RUN_GP. */
struct worker_row {
    uint32_t pending;
    int32_t act;
    uint32_t batch;
};

static void run_worker_rows(const char *name, int32_t policy, const struct worker_row *rows,
                            int n)
{
    qs_params p = params(policy);
    qs_worker w;
    CHECK_EQ(name, qs_worker_init(&w, &p), 0);
    for (int i = 0; i < n; i++) {
        int32_t act = qs_worker_next(&w, rows[i].pending);
        if (act != rows[i].act) {
            fprintf(stderr, "%s, row %d: act %d want %d\n", name, i, act, rows[i].act);
            failures++;
        }
        if (act == QS_WORKER_ACT_PREPOLL) {
            qs_worker_prepoll_done(&w);
        } else if (act == QS_WORKER_ACT_RUN_GP) {
            CHECK_EQ(name, w.batch, rows[i].batch);
            CHECK_EQ(name, qs_worker_next(&w, 5), -EINVAL); /* busy */
            qs_worker_gp_done(&w);
            CHECK_EQ(name, w.state, QS_WORKER_INVOKE);
            qs_worker_batch_done(&w);
            CHECK_EQ(name, w.state, QS_WORKER_IDLE);
        }
    }
}

static void test_worker(void)
{
    static const struct worker_row fqs[] = {
        {0, QS_WORKER_ACT_WAIT_WORK, 0},
        {1, QS_WORKER_ACT_RUN_GP, 1}, /* the seed: start at once */
        {7, QS_WORKER_ACT_RUN_GP, 7},
        {0, QS_WORKER_ACT_WAIT_WORK, 0},
    };
    run_worker_rows("fqs worker", QS_POLICY_FQS, fqs, 4);

    static const struct worker_row legacy[] = {
        {0, QS_WORKER_ACT_WAIT_WORK, 0},
        {1, QS_WORKER_ACT_PREPOLL, 0},
        {2, QS_WORKER_ACT_PREPOLL, 0},
        {2, QS_WORKER_ACT_PREPOLL, 0},
        {3, QS_WORKER_ACT_PREPOLL, 0},
        {3, QS_WORKER_ACT_PREPOLL, 0},
        {4, QS_WORKER_ACT_RUN_GP, 4}, /* five pre-polls, then give up */
        {2, QS_WORKER_ACT_PREPOLL, 0},
        {30, QS_WORKER_ACT_RUN_GP, 30}, /* pile-up reached */
        {31, QS_WORKER_ACT_RUN_GP, 31}, /* already piled up: no sleep */
    };
    run_worker_rows("legacy worker", QS_POLICY_LEGACY, legacy, 10);
}

int main(void)
{
    test_params();
    test_classify();
    test_gp_machine();
    test_arming_and_legacy_kicks();
    test_worker();
    if (failures != 0) {
        fprintf(stderr, "engine: %d failure(s)\n", failures);
        return 1;
    }
    printf("engine: all checks passed\n");
    return 0;
}
