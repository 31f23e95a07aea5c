/*
 * vcpu_fqs: a vCPU that never leaves its read section on its own
 * (slice 0) against the unmap path, under each policy.
 *
 *  1. fqs_poll_limit: FQS, no force on unmap: the GP polls, reaches the
 *     poll limit, enters FQS, the vCPU's notifier kicks it, the unmap
 *     completes. Counters: kicks > 0, FQS cause POLL_LIMIT.
 *  2. fqs_force: FQS with force on unmap: FQS at once (cause FORCE), the
 *     unmap completes well before the poll limit would have been reached.
 *  3. legacy_stall: LEGACY (force on unmap set, and ignored as before the
 *     seed): nobody kicks the vCPU; the unmap is still pending after
 *     100 ms, with zero kicks. A drain kicks it and the unmap completes.
 *     Then again, and this time stopping the machine resolves it.
 *  4. machine lifecycle: start/stop twice, counters, kick by hand.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "emu_check.h"

#define WIN_BASE (1ull << 32)
#define BLOB (64u << 10)
#define POLL_MS 2

typedef struct rig {
    qs_domain *dom;
    qs_machine *m;
    qs_gpu *dev;
} rig;

/* Wait until every queued callback ran (view releases). */
static void wait_rcu_idle(rig *r)
{
    qs_stats st;
    for (int i = 0; i < 5000; i++) {
        qs_stats_get(r->dom, &st);
        if (st.callbacks_run == st.callbacks_queued) {
            return;
        }
        t_sleep_ms(1);
    }
    CHECK(!"callbacks never ran");
}

static rig rig_new(int32_t policy, int force, uint32_t vcpus)
{
    rig r;
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, policy));
    cfg.params.poll_period_ns = POLL_MS * MS;
    CHECK_OK(qs_domain_new(&cfg, &r.dom));
    qs_machine_config mc;
    CHECK_OK(qs_machine_config_init(&mc));
    mc.vcpus = vcpus;
    mc.slice_ns = 0; /* never leave on its own */
    mc.ram_size = 64u << 10;
    CHECK_OK(qs_machine_new(r.dom, &mc, &r.m));
    qs_gpu_config gc;
    CHECK_OK(qs_gpu_config_init(&gc));
    gc.window_base = WIN_BASE;
    gc.window_size = 16u << 20;
    gc.force_on_unmap = force;
    gc.poison_on_free = 1;
    CHECK_OK(qs_gpu_new(qs_machine_as(r.m), &gc, &r.dev));
    t_cmd c = t_host_blob(1, BLOB);
    CHECK_EQ(t_exec(r.dev, &c, 1), QS_VGPU_RESP_OK_NODATA);
    /* The RAM mapping's view release: done before any vCPU runs. */
    wait_rcu_idle(&r);
    return r;
}

static void rig_free(rig *r)
{
    CHECK_OK(qs_gpu_free(r->dev));
    CHECK_OK(qs_machine_free(r->m));
    CHECK_OK(qs_domain_free(r->dom));
}

static void map_blob(rig *r)
{
    t_cmd m = t_map(1, 0);
    CHECK_EQ(t_exec(r->dev, &m, 2), QS_VGPU_RESP_OK_MAP_INFO);
}

/* Wait until every vCPU sits inside a section (with slice 0, one that
 * only a kick or stop can end). */
static void wait_vcpus_inside(rig *r)
{
    qs_machine_stats ms;
    for (int i = 0; i < 5000; i++) {
        qs_machine_stats_get(r->m, &ms);
        if (ms.total.in_section == (int32_t)ms.vcpus && ms.total.accesses > 0) {
            return;
        }
        t_sleep_ms(1);
    }
    CHECK(!"vCPUs never entered a section");
}

static uint64_t submit_unmap(rig *r)
{
    t_cmd u = t_unmap(1);
    CHECK_EQ(qs_gpu_submit(r->dev, u.bytes, u.len, 3, NULL, 0, NULL), QS_GPU_QUEUED);
    return t_now_ns();
}

static uint64_t wait_unmap(rig *r, uint64_t timeout_ms)
{
    uint8_t resp[QS_VGPU_RESP_MAX];
    uint32_t rlen;
    uint64_t tag;
    CHECK_OK(qs_gpu_wait(r->dev, timeout_ms * MS, &tag, resp, sizeof(resp), &rlen));
    CHECK_EQ(tag, 3);
    CHECK_EQ(t_resp_type(resp, rlen, NULL), QS_VGPU_RESP_OK_NODATA);
    return t_now_ns();
}

static void test_fqs_poll_limit(void)
{
    rig r = rig_new(QS_POLICY_FQS, 0, 2);
    CHECK_OK(qs_machine_start(r.m));
    map_blob(&r);
    /* The map's own view release needs a GP, which kicks too: let it end,
     * then let the vCPUs settle into sections that cannot end by
     * themselves. */
    wait_rcu_idle(&r);
    wait_vcpus_inside(&r);
    qs_emu_stats es0;
    CHECK_OK(qs_emu_stats_get(r.m, r.dev, &es0));
    submit_unmap(&r);
    wait_unmap(&r, 5000);
    qs_emu_stats es;
    CHECK_OK(qs_emu_stats_get(r.m, r.dev, &es));
    CHECK(es.machine.total.kicks > es0.machine.total.kicks);
    CHECK(es.rcu.fqs_by_cause[QS_FQS_POLL_LIMIT] > es0.rcu.fqs_by_cause[QS_FQS_POLL_LIMIT]);
    CHECK_EQ(es.rcu.fqs_by_cause[QS_FQS_FORCE], 0);
    CHECK_EQ(es.gpu.forces, 0);
    CHECK_EQ(es.gpu.unmaps, 1);
    CHECK_EQ(es.machine.total.poison_hits, 0);
    /* Normal-state polls came first: at least poll_limit of them. */
    CHECK(es.rcu.polls >= QS_DEFAULT_POLL_LIMIT);
    CHECK_OK(qs_machine_stop(r.m));
    rig_free(&r);
}

static void test_fqs_force(void)
{
    rig r = rig_new(QS_POLICY_FQS, 1, 2);
    CHECK_OK(qs_machine_start(r.m));
    map_blob(&r);
    wait_rcu_idle(&r);
    wait_vcpus_inside(&r);
    uint64_t t0 = submit_unmap(&r);
    uint64_t t1 = wait_unmap(&r, 5000);
    qs_emu_stats es;
    CHECK_OK(qs_emu_stats_get(r.m, r.dev, &es));
    CHECK(es.machine.total.kicks >= 1);
    CHECK(es.machine.total.kicked_exits >= 1);
    CHECK(es.rcu.fqs_by_cause[QS_FQS_FORCE] >= 1);
    CHECK_EQ(es.gpu.forces, 1);
    CHECK_EQ(es.machine.total.poison_hits, 0);
    printf("fqs_force: unmap took %" PRIu64 " us\n", (t1 - t0) / 1000);
    CHECK_OK(qs_machine_stop(r.m));
    rig_free(&r);
}

static void test_legacy_stall(void)
{
    rig r = rig_new(QS_POLICY_LEGACY, 1, 1);
    CHECK_OK(qs_machine_start(r.m));

    /* 1: a drain resolves it. */
    map_blob(&r);
    t_sleep_ms(20);
    wait_vcpus_inside(&r);
    submit_unmap(&r);
    uint8_t resp[QS_VGPU_RESP_MAX];
    uint32_t rlen;
    uint64_t tag;
    CHECK_EQ(qs_gpu_wait(r.dev, 100 * MS, &tag, resp, sizeof(resp), &rlen), -ETIMEDOUT);
    qs_emu_stats es;
    CHECK_OK(qs_emu_stats_get(r.m, r.dev, &es));
    CHECK_EQ(es.machine.total.kicks, 0);
    CHECK_EQ(es.gpu.blocked, 1);
    CHECK_EQ(es.gpu.regions_freed, 0);
    CHECK_EQ(es.rcu.gps_fqs, 0);
    CHECK_EQ(qs_gpu_blob_state(r.dev, 1), QS_BLOB_UNMAPPING);
    CHECK_OK(qs_drain(r.dom));
    /* The drain waited for the view release, hence for the free hook. */
    CHECK_EQ(qs_gpu_blob_state(r.dev, 1), QS_BLOB_COMPLETED);
    wait_unmap(&r, 5000);
    CHECK_OK(qs_emu_stats_get(r.m, r.dev, &es));
    CHECK(es.machine.total.kicks >= 1);
    CHECK(es.rcu.notifier_calls >= 1);
    CHECK(es.rcu.slow_unlocks >= 1); /* LEGACY: the vCPU woke the writer */

    /* 2: stopping the machine resolves it. */
    map_blob(&r);
    t_sleep_ms(20);
    wait_vcpus_inside(&r);
    uint64_t kicks = es.machine.total.kicks;
    submit_unmap(&r);
    CHECK_EQ(qs_gpu_wait(r.dev, 100 * MS, &tag, resp, sizeof(resp), &rlen), -ETIMEDOUT);
    CHECK_OK(qs_emu_stats_get(r.m, r.dev, &es));
    CHECK_EQ(es.machine.total.kicks, kicks);
    CHECK_EQ(es.gpu.blocked, 1);
    CHECK_OK(qs_machine_stop(r.m));
    wait_unmap(&r, 5000);
    CHECK_OK(qs_emu_stats_get(r.m, r.dev, &es));
    CHECK_EQ(es.gpu.unmaps, 2);
    CHECK_EQ(es.gpu.blocked, 0);
    CHECK_EQ(es.machine.total.poison_hits, 0);
    CHECK(es.gpu.unmap_p50_ns >= 100 * MS);
    rig_free(&r);
}

static void test_lifecycle(void)
{
    rig r = rig_new(QS_POLICY_FQS, 0, 3);
    CHECK_EQ(qs_machine_stop(r.m), -EALREADY);
    CHECK_OK(qs_machine_start(r.m));
    CHECK_EQ(qs_machine_start(r.m), -EALREADY);
    wait_vcpus_inside(&r);
    /* Nothing else kicks: no callback is pending, so no GP runs. */
    qs_vcpu_stats v0, v1, vs;
    CHECK_OK(qs_vcpu_stats_get(r.m, 0, &v0));
    CHECK_OK(qs_vcpu_stats_get(r.m, 1, &v1));
    CHECK_EQ(v0.sections, 0); /* slice 0: nothing ended a section yet */
    CHECK_EQ(v1.sections, 0);
    CHECK_OK(qs_machine_kick(r.m, 1));
    CHECK_EQ(qs_machine_kick(r.m, 3), -EINVAL);
    /* The kicked vCPU leaves and re-enters. */
    for (int i = 0; i < 5000; i++) {
        CHECK_OK(qs_vcpu_stats_get(r.m, 1, &vs));
        if (vs.sections >= 1) {
            break;
        }
        t_sleep_ms(1);
    }
    CHECK_EQ(vs.sections, 1);
    CHECK_EQ(vs.kicks, v1.kicks + 1);
    CHECK_EQ(vs.kicked_exits, 1);
    CHECK(vs.ns_in_sections > 0);
    CHECK_OK(qs_vcpu_stats_get(r.m, 0, &vs));
    CHECK_EQ(vs.kicks, v0.kicks);
    CHECK_EQ(vs.sections, 0);
    CHECK_OK(qs_machine_stop(r.m));
    CHECK_EQ(qs_machine_stop(r.m), -EALREADY);
    /* Restartable. */
    CHECK_OK(qs_machine_start(r.m));
    wait_vcpus_inside(&r);
    CHECK_OK(qs_machine_stop(r.m));
    qs_machine_stats ms;
    qs_machine_stats_get(r.m, &ms);
    CHECK_EQ(ms.vcpus, 3);
    CHECK_EQ(ms.running, 0);
    CHECK_EQ(ms.total.in_section, 0);
    CHECK(ms.total.sections >= 3 + 1);
    CHECK_EQ(qs_machine_config_init(NULL), -EINVAL);
    qs_machine_config bad;
    qs_machine_config_init(&bad);
    bad.vcpus = 0;
    qs_machine *m2;
    CHECK_EQ(qs_machine_new(r.dom, &bad, &m2), -EINVAL);
    rig_free(&r);
}

int main(void)
{
    test_lifecycle();
    test_fqs_poll_limit();
    test_fqs_force();
    test_legacy_stall();
    printf("vcpu_fqs: ok\n");
    return 0;
}
