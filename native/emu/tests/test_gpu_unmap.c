/*
 * gpu_unmap: the unmap is RCU reclamation.
 *
 *  1. held_reader: while a reader holds a section that translated an
 *     address inside a mapped blob, an unmap stays pending (no response,
 *     no free hook, state UNMAPPING) and the reader keeps reading the
 *     blob's real contents (never poison). After it leaves: the free hook
 *     runs, then the response arrives (regions_freed already counted,
 *     state COMPLETED), latency >= the hold time.
 *  2. poison_control: the free hook really poisons: a pointer kept
 *     (deliberately) past its section reads QS_EMU_POISON_BYTE once the
 *     unmap completed — so the vCPU check below can see a violation.
 *  3. vcpu_churn: 2 vCPUs read and write through the view while blobs are
 *     mapped and unmapped over and over (FQS + force on unmap, poison on
 *     free): no vCPU ever reads poison through a view it holds, every
 *     unmap response arrives after its free hook, and the counters add up.
 */
#include <pthread.h>
#include <stdatomic.h>

#include <quiesce/read.h>

#include "emu_check.h"

#define WIN_BASE (1ull << 32)
#define WIN (4u << 20)
#define BLOB (64u << 10)

static qs_domain *dom;

static qs_gpu *new_dev(qs_as *as, int force)
{
    qs_gpu_config cfg;
    CHECK_OK(qs_gpu_config_init(&cfg));
    cfg.window_base = WIN_BASE;
    cfg.window_size = WIN;
    cfg.force_on_unmap = force;
    cfg.poison_on_free = 1;
    qs_gpu *dev;
    CHECK_OK(qs_gpu_new(as, &cfg, &dev));
    return dev;
}

/* Fill [addr, addr + len) of guest memory with `byte` (outside sections
 * on entry; takes one itself). */
static void fill(qs_reader *rd, qs_as *as, uint64_t addr, uint8_t byte, uint32_t len)
{
    static uint8_t buf[BLOB];
    memset(buf, byte, len);
    qs_read_lock(rd);
    CHECK_OK(qs_as_write(as, addr, buf, len));
    qs_read_unlock(rd);
}

/* ------------------------------------------------------- held_reader */

typedef struct holder {
    qs_as *as;
    _Atomic int phase;      /* 1: inside with a translation; 2: leave */
    _Atomic uint64_t reads;
    _Atomic uint64_t poison;
    _Atomic uint64_t wrong;
} holder;

static void *hold_main(void *p)
{
    holder *h = p;
    qs_reader *rd;
    CHECK_OK(qs_reader_new(dom, &rd));
    qs_read_lock(rd);
    qs_translation t;
    CHECK_OK(qs_as_translate(h->as, WIN_BASE + 0x10000 + 100, &t));
    atomic_store(&h->phase, 1);
    while (atomic_load(&h->phase) != 2) {
        uint8_t b = atomic_load_explicit((_Atomic uint8_t *)t.host, memory_order_relaxed);
        atomic_fetch_add(&h->reads, 1);
        if (b == QS_EMU_POISON_BYTE) {
            atomic_fetch_add(&h->poison, 1);
        } else if (b != 0x3C) {
            atomic_fetch_add(&h->wrong, 1);
        }
        t_sleep_ms(1);
    }
    qs_read_unlock(rd);
    CHECK_OK(qs_reader_free(rd));
    return NULL;
}

static void test_held_reader(qs_as *as, qs_reader *rd)
{
    qs_gpu *dev = new_dev(as, 1);
    t_cmd c = t_host_blob(1, BLOB), m = t_map(1, 0x10000), u = t_unmap(1);
    CHECK_EQ(t_exec(dev, &c, 1), QS_VGPU_RESP_OK_NODATA);
    CHECK_EQ(t_exec(dev, &m, 2), QS_VGPU_RESP_OK_MAP_INFO);
    fill(rd, as, WIN_BASE + 0x10000, 0x3C, BLOB);

    holder h = {.as = as};
    pthread_t th;
    CHECK_OK(pthread_create(&th, NULL, hold_main, &h));
    while (atomic_load(&h.phase) != 1) {
        sched_yield();
    }
    uint64_t t0 = t_now_ns();
    CHECK_EQ(qs_gpu_submit(dev, u.bytes, u.len, 3, NULL, 0, NULL), QS_GPU_QUEUED);
    /* The new view no longer has the blob... */
    qs_read_lock(rd);
    qs_translation t;
    CHECK_EQ(qs_as_translate(as, WIN_BASE + 0x10000, &t), -EFAULT);
    qs_read_unlock(rd);
    /* ...but the holder's old view does, so nothing may be freed. */
    uint8_t resp[QS_VGPU_RESP_MAX];
    uint32_t rlen;
    uint64_t tag;
    CHECK_EQ(qs_gpu_wait(dev, 150 * MS, &tag, resp, sizeof(resp), &rlen), -ETIMEDOUT);
    qs_gpu_stats st;
    qs_gpu_stats_get(dev, &st);
    CHECK_EQ(st.regions_freed, 0);
    CHECK_EQ(st.blocked, 1);
    CHECK_EQ(st.unmaps, 0);
    CHECK_EQ(qs_gpu_blob_state(dev, 1), QS_BLOB_UNMAPPING);
    CHECK(atomic_load(&h.reads) > 10);

    atomic_store(&h.phase, 2);
    pthread_join(th, NULL);
    CHECK_OK(qs_gpu_wait(dev, 5000 * MS, &tag, resp, sizeof(resp), &rlen));
    uint64_t waited = t_now_ns() - t0;
    CHECK_EQ(tag, 3);
    CHECK_EQ(t_resp_type(resp, rlen, NULL), QS_VGPU_RESP_OK_NODATA);
    /* The free hook ran before the response was produced. */
    qs_gpu_stats_get(dev, &st);
    CHECK_EQ(st.regions_freed, 1);
    CHECK_EQ(st.unmaps, 1);
    CHECK_EQ(st.blocked, 0);
    CHECK_EQ(qs_gpu_blob_state(dev, 1), QS_BLOB_COMPLETED);
    CHECK_EQ(atomic_load(&h.poison), 0);
    CHECK_EQ(atomic_load(&h.wrong), 0);
    CHECK(st.unmap_max_ns >= 150 * MS);
    CHECK(st.unmap_max_ns <= waited);
    qs_latency lat;
    CHECK_OK(qs_gpu_latency_get(dev, QS_GPU_LAT_UNMAP, &lat));
    CHECK_EQ(lat.count, 1);
    /* Contents survive an unmap/map cycle (the storage is the blob's). */
    CHECK_EQ(t_exec(dev, &m, 4), QS_VGPU_RESP_OK_MAP_INFO);
    uint8_t b = 0;
    qs_read_lock(rd);
    CHECK_OK(qs_as_read(as, WIN_BASE + 0x10000 + 77, &b, 1));
    qs_read_unlock(rd);
    CHECK_EQ(b, 0x3C);
    CHECK_OK(qs_gpu_free(dev));
}

/* ---------------------------------------------------- poison_control */

static void test_poison_control(qs_as *as, qs_reader *rd)
{
    qs_gpu *dev = new_dev(as, 1);
    t_cmd c = t_host_blob(1, BLOB), m = t_map(1, 0), u = t_unmap(1);
    CHECK_EQ(t_exec(dev, &c, 1), QS_VGPU_RESP_OK_NODATA);
    CHECK_EQ(t_exec(dev, &m, 2), QS_VGPU_RESP_OK_MAP_INFO);
    fill(rd, as, WIN_BASE, 0x11, BLOB);
    qs_read_lock(rd);
    qs_translation t;
    CHECK_OK(qs_as_translate(as, WIN_BASE + 8, &t));
    volatile uint8_t *stale = t.host;
    CHECK_EQ(*stale, 0x11);
    qs_read_unlock(rd);
    CHECK_EQ(t_exec(dev, &u, 3), QS_VGPU_RESP_OK_NODATA);
    /* A use after the section: exactly what must never happen inside one.
     * With poison_on_free the page is still mapped, full of poison. */
    for (int i = 0; i < 64; i++) {
        CHECK_EQ(stale[i], QS_EMU_POISON_BYTE);
    }
    CHECK_OK(qs_gpu_free(dev));
}

/* -------------------------------------------------------- vcpu_churn */

static void test_vcpu_churn(void)
{
    qs_machine_config mc;
    CHECK_OK(qs_machine_config_init(&mc));
    mc.vcpus = 2;
    mc.slice_ns = 2 * MS;
    mc.write_pct = 30;
    mc.ram_size = 64u << 10;
    qs_machine *m;
    CHECK_OK(qs_machine_new(dom, &mc, &m));
    qs_as *as = qs_machine_as(m);
    qs_gpu *dev = new_dev(as, 1);
    CHECK_OK(qs_machine_start(m));

    const int rounds = 150;
    const int nblobs = 4;
    uint64_t tag = 1;
    for (uint32_t id = 1; id <= (uint32_t)nblobs; id++) {
        t_cmd c = t_host_blob(id, BLOB);
        CHECK_EQ(t_exec(dev, &c, tag++), QS_VGPU_RESP_OK_NODATA);
    }
    uint64_t freed_seen = 0;
    for (int r = 0; r < rounds; r++) {
        uint32_t id = 1 + (uint32_t)(r % nblobs);
        /* Wander over the window so views change shape. */
        uint64_t off = (uint64_t)((r * 7) % 16) * BLOB;
        t_cmd mp = t_map(id, off);
        uint32_t got = t_exec(dev, &mp, tag++);
        if (got != QS_VGPU_RESP_OK_MAP_INFO) {
            /* Occupied by another blob still mapped: fine, skip. */
            CHECK_EQ(got, QS_VGPU_RESP_ERR_INVALID_PARAMETER);
            continue;
        }
        t_sleep_ms(1); /* let the vCPUs use it */
        t_cmd un = t_unmap(id);
        CHECK_EQ(t_exec(dev, &un, tag++), QS_VGPU_RESP_OK_NODATA);
        qs_gpu_stats st;
        qs_gpu_stats_get(dev, &st);
        /* Each answered unmap had its free hook run first. */
        CHECK(st.regions_freed >= st.unmaps);
        CHECK(st.regions_freed > freed_seen);
        freed_seen = st.regions_freed;
        CHECK_EQ(qs_gpu_blob_state(dev, id), QS_BLOB_COMPLETED);
    }
    CHECK_OK(qs_machine_stop(m));
    qs_emu_stats es;
    CHECK_OK(qs_emu_stats_get(m, dev, &es));
    printf("vcpu_churn: %" PRIu64 " accesses, %" PRIu64 " sections, %" PRIu64
           " kicks, %" PRIu64 " unmaps, unmap p50 %" PRIu64 " us p99 %" PRIu64
           " us max %" PRIu64 " us\n",
           es.machine.total.accesses, es.machine.total.sections, es.machine.total.kicks,
           es.gpu.unmaps, es.gpu.unmap_p50_ns / 1000, es.gpu.unmap_p99_ns / 1000,
           es.gpu.unmap_max_ns / 1000);
    CHECK_EQ(es.machine.total.poison_hits, 0);
    CHECK(es.machine.total.accesses > 1000);
    CHECK(es.machine.total.sections > 0);
    CHECK(es.gpu.unmaps > 0);
    CHECK_EQ(es.gpu.regions_freed, es.gpu.unmaps);
    CHECK_EQ(es.gpu.forces, es.gpu.unmaps);
    CHECK(es.rcu.forces >= es.gpu.forces);
    CHECK_EQ(es.gpu.pending, 0);
    CHECK_EQ(es.machine.running, 0);
    CHECK_EQ(qs_machine_free(m), -EBUSY); /* the device still uses its AS */
    CHECK_OK(qs_gpu_free(dev));
    CHECK_OK(qs_machine_free(m));
}

int main(void)
{
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    cfg.params.poll_period_ns = 1 * MS;
    CHECK_OK(qs_domain_new(&cfg, &dom));
    qs_as *as;
    CHECK_OK(qs_as_new(dom, &as));
    qs_reader *rd;
    CHECK_OK(qs_reader_new(dom, &rd));
    test_held_reader(as, rd);
    test_poison_control(as, rd);
    CHECK_OK(qs_reader_free(rd));
    CHECK_OK(qs_as_free(as));
    test_vcpu_churn();
    CHECK_OK(qs_domain_free(dom));
    printf("gpu_unmap: ok\n");
    return 0;
}
