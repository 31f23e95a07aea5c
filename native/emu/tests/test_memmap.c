/*
 * memmap: regions and the RCU-published address-space view.
 *
 *  1. region_refs: refcount; the free hook runs exactly once, on the last
 *     unref, with its opaque.
 *  2. topology_errors: overlap, out-of-region, zero size, wrap, unknown
 *     address; each refused with its errno and nothing changes
 *     (count, generation, references).
 *  3. read_write: translation, copies spanning adjacent mappings, holes
 *     give -EFAULT and copy nothing.
 *  4. free_after_gp: a reader holding a section while its region is
 *     removed keeps reading valid memory; the free hook runs only after
 *     the reader left the section.
 *  5. deadlock_guard: topology changes inside a read section return
 *     -EDEADLK and change nothing.
 *  6. as_free: remaining regions' free hooks have run when qs_as_free
 *     returns.
 */
#include <pthread.h>
#include <stdatomic.h>

#include <quiesce/read.h>

#include "emu_check.h"

static qs_domain *dom;

typedef struct hook_rec {
    _Atomic int calls;
    void *seen_opaque;
    /* For free_after_gp: set by the reader when it left its section. */
    _Atomic int reader_left;
    _Atomic int early;   /* the hook ran while the reader was inside */
} hook_rec;

static void hook(qs_region *r, void *opaque)
{
    (void)r;
    hook_rec *h = opaque;
    h->seen_opaque = opaque;
    if (!atomic_load(&h->reader_left)) {
        atomic_store(&h->early, 1);
    }
    atomic_fetch_add(&h->calls, 1);
}

static void wait_calls(hook_rec *h, int want)
{
    for (int i = 0; i < 5000 && atomic_load(&h->calls) < want; i++) {
        t_sleep_ms(1);
    }
    CHECK_EQ(atomic_load(&h->calls), want);
}

static void test_region_refs(void)
{
    static char mem[64];
    hook_rec h = {0};
    atomic_store(&h.reader_left, 1);
    qs_region *r;
    CHECK_EQ(qs_region_new(NULL, 64, hook, &h, &r), -EINVAL);
    CHECK_EQ(qs_region_new(mem, 0, hook, &h, &r), -EINVAL);
    CHECK_OK(qs_region_new(mem, 64, hook, &h, &r));
    CHECK_EQ(qs_region_refs(r), 1);
    CHECK(qs_region_host(r) == mem);
    CHECK_EQ(qs_region_size(r), 64);
    qs_region_ref(r);
    CHECK_EQ(qs_region_refs(r), 2);
    qs_region_unref(r);
    CHECK_EQ(atomic_load(&h.calls), 0);
    qs_region_unref(r);
    CHECK_EQ(atomic_load(&h.calls), 1);
    CHECK(h.seen_opaque == &h);
    qs_region_unref(NULL); /* harmless */
}

static void test_topology_errors(void)
{
    static char a[4096], b[4096];
    hook_rec ha = {0}, hb = {0};
    atomic_store(&ha.reader_left, 1);
    atomic_store(&hb.reader_left, 1);
    qs_as *as;
    CHECK_OK(qs_as_new(dom, &as));
    CHECK_EQ(qs_as_generation(as), 1);
    qs_region *ra, *rb;
    CHECK_OK(qs_region_new(a, sizeof(a), hook, &ha, &ra));
    CHECK_OK(qs_region_new(b, sizeof(b), hook, &hb, &rb));
    CHECK_OK(qs_as_add(as, 0x10000, ra, 0, 4096));
    CHECK_EQ(qs_region_refs(ra), 3); /* ours, topology, view */
    uint64_t gen = qs_as_generation(as);
    CHECK_EQ(gen, 2);

    struct {
        uint64_t addr, off, size;
        int want;
    } cases[] = {
        {0x10000, 0, 4096, -EBUSY},       /* identical */
        {0x10fff, 0, 16, -EBUSY},         /* overlaps the tail */
        {0x0f001, 0, 4096, -EBUSY},       /* overlaps the head */
        {0x0f000, 0, 8192, -ERANGE},      /* beyond the region */
        {0x20000, 4000, 100, -ERANGE},    /* offset + size beyond */
        {0x20000, 4097, 1, -ERANGE},      /* offset beyond */
        {0x20000, 0, 0, -EINVAL},         /* empty */
        {UINT64_MAX - 10, 0, 100, -EINVAL}, /* wraps */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_EQ(qs_as_add(as, cases[i].addr, rb, cases[i].off, cases[i].size), cases[i].want);
        CHECK_EQ(qs_as_count(as), 1);
        CHECK_EQ(qs_as_generation(as), gen);
        CHECK_EQ(qs_region_refs(rb), 1);
    }
    CHECK_EQ(qs_as_add(NULL, 0, rb, 0, 1), -EINVAL);
    CHECK_EQ(qs_as_add(as, 0, NULL, 0, 1), -EINVAL);
    CHECK_EQ(qs_as_del(as, 0x10001), -ENOENT); /* not a mapping's start */
    CHECK_EQ(qs_as_del(as, 0x20000), -ENOENT);
    CHECK_EQ(qs_as_generation(as), gen);
    /* Adjacent is fine; the end of the address space is reachable. */
    CHECK_OK(qs_as_add(as, 0x11000, rb, 0, 4096));
    CHECK_OK(qs_as_add(as, UINT64_MAX - 4095, rb, 0, 4095));
    CHECK_EQ(qs_as_count(as), 3);
    CHECK_OK(qs_as_del(as, UINT64_MAX - 4095));
    qs_region_unref(ra);
    qs_region_unref(rb);
    CHECK_OK(qs_as_free(as));
    CHECK_EQ(atomic_load(&ha.calls), 1);
    CHECK_EQ(atomic_load(&hb.calls), 1);
}

static void test_read_write(void)
{
    static uint8_t a[4096], b[4096];
    qs_as *as;
    CHECK_OK(qs_as_new(dom, &as));
    qs_region *ra, *rb;
    CHECK_OK(qs_region_new(a, sizeof(a), NULL, NULL, &ra));
    CHECK_OK(qs_region_new(b, sizeof(b), NULL, NULL, &rb));
    /* a at 0x1000, b's second half right after it, hole after that. */
    CHECK_OK(qs_as_add(as, 0x1000, ra, 0, 4096));
    CHECK_OK(qs_as_add(as, 0x2000, rb, 2048, 2048));
    qs_region_unref(ra);
    qs_region_unref(rb);

    qs_reader *rd;
    CHECK_OK(qs_reader_new(dom, &rd));
    qs_read_lock(rd);
    qs_translation t;
    CHECK_OK(qs_as_translate(as, 0x2010, &t));
    CHECK(t.region == rb);
    CHECK(t.host == b + 2048 + 0x10);
    CHECK_EQ(t.offset, 2048 + 0x10);
    CHECK_EQ(t.avail, 2048 - 0x10);
    CHECK_EQ(t.generation, 3);
    CHECK_EQ(qs_as_translate(as, 0x0fff, &t), -EFAULT);
    CHECK_EQ(qs_as_translate(as, 0x2800, &t), -EFAULT);

    uint8_t buf[64], back[64];
    for (int i = 0; i < 64; i++) {
        buf[i] = (uint8_t)(i + 1);
    }
    /* Spans a's last 32 bytes and b's first 32 (of its mapped half). */
    CHECK_OK(qs_as_write(as, 0x1fe0, buf, 64));
    CHECK(memcmp(a + 4096 - 32, buf, 32) == 0);
    CHECK(memcmp(b + 2048, buf + 32, 32) == 0);
    CHECK_OK(qs_as_read(as, 0x1fe0, back, 64));
    CHECK(memcmp(back, buf, 64) == 0);
    /* Unaligned, odd lengths. */
    CHECK_OK(qs_as_read(as, 0x1fe3, back, 7));
    CHECK(memcmp(back, buf + 3, 7) == 0);
    /* Into the hole: refused, nothing written or read. */
    uint8_t before = b[4095 - 0];
    memset(back, 0xEE, sizeof(back));
    CHECK_EQ(qs_as_write(as, 0x27f0, buf, 32), -EFAULT);
    CHECK_EQ(b[2048 + 0x7f0], 0);
    CHECK_EQ(b[4095], before);
    CHECK_EQ(qs_as_read(as, 0x0ff0, back, 32), -EFAULT);
    CHECK_EQ(back[0], 0xEE);
    CHECK_EQ(qs_as_read(as, 0x1000, back, 0), 0);
    CHECK_EQ(qs_as_read(as, UINT64_MAX, back, 2), -EINVAL);
    qs_read_unlock(rd);
    CHECK_OK(qs_reader_free(rd));
    CHECK_OK(qs_as_free(as));
}

/* ------------------------------------------------------- free_after_gp */

typedef struct reader_arg {
    qs_as *as;
    hook_rec *h;
    _Atomic int phase;   /* 1: inside, holding the view; 2: may leave */
    _Atomic int bad_reads;
    uint8_t *mem;
} reader_arg;

static void *reader_main(void *p)
{
    reader_arg *a = p;
    qs_reader *rd;
    CHECK_OK(qs_reader_new(dom, &rd));
    qs_read_lock(rd);
    qs_translation t;
    CHECK_OK(qs_as_translate(a->as, 0x5000, &t));
    atomic_store(&a->phase, 1);
    /* Keep using the translation while the main thread removes the
     * mapping: the memory must stay valid and unchanged. */
    while (atomic_load(&a->phase) != 2) {
        if (atomic_load_explicit((_Atomic uint8_t *)t.host, memory_order_relaxed) != 0x5A) {
            atomic_fetch_add(&a->bad_reads, 1);
        }
        sched_yield();
    }
    atomic_store(&a->h->reader_left, 1);
    qs_read_unlock(rd);
    CHECK_OK(qs_reader_free(rd));
    return NULL;
}

static void release_mem(qs_region *r, void *opaque)
{
    reader_arg *a = opaque;
    hook(r, a->h);
    memset(a->mem, 0, 4096); /* "release" it */
}

static void test_free_after_gp(void)
{
    static uint8_t mem[4096];
    memset(mem, 0x5A, sizeof(mem));
    hook_rec h = {0};
    qs_as *as;
    CHECK_OK(qs_as_new(dom, &as));
    reader_arg a = {.as = as, .h = &h, .mem = mem};
    qs_region *r;
    CHECK_OK(qs_region_new(mem, sizeof(mem), release_mem, &a, &r));
    CHECK_OK(qs_as_add(as, 0x5000, r, 0, sizeof(mem)));
    qs_region_unref(r);

    pthread_t th;
    CHECK_OK(pthread_create(&th, NULL, reader_main, &a));
    while (atomic_load(&a.phase) != 1) {
        sched_yield();
    }
    CHECK_OK(qs_as_del(as, 0x5000));
    CHECK_EQ(qs_as_count(as), 0);
    /* The old view (held by the reader) keeps the region alive. */
    t_sleep_ms(50);
    CHECK_EQ(atomic_load(&h.calls), 0);
    CHECK(qs_region_refs(r) >= 1);
    atomic_store(&a.phase, 2);
    pthread_join(th, NULL);
    wait_calls(&h, 1);
    CHECK_EQ(atomic_load(&h.early), 0);
    CHECK_EQ(atomic_load(&a.bad_reads), 0);
    CHECK_OK(qs_as_free(as));
}

static void test_deadlock_guard(void)
{
    static char mem[128];
    qs_as *as;
    CHECK_OK(qs_as_new(dom, &as));
    qs_region *r;
    CHECK_OK(qs_region_new(mem, sizeof(mem), NULL, NULL, &r));
    CHECK_OK(qs_as_add(as, 0, r, 0, 64));
    qs_reader *rd;
    CHECK_OK(qs_reader_new(dom, &rd));
    qs_read_lock(rd);
    CHECK_EQ(qs_as_add(as, 64, r, 64, 64), -EDEADLK);
    CHECK_EQ(qs_as_del(as, 0), -EDEADLK);
    CHECK_EQ(qs_as_free(as), -EDEADLK);
    CHECK_EQ(qs_as_count(as), 1);
    qs_read_unlock(rd);
    CHECK_OK(qs_reader_free(rd));
    qs_region_unref(r);
    CHECK_OK(qs_as_free(as));
}

static void test_as_free(void)
{
    static char m1[64], m2[64];
    hook_rec h = {0};
    atomic_store(&h.reader_left, 1);
    qs_as *as;
    CHECK_OK(qs_as_new(dom, &as));
    qs_region *r1, *r2;
    CHECK_OK(qs_region_new(m1, 64, hook, &h, &r1));
    CHECK_OK(qs_region_new(m2, 64, hook, &h, &r2));
    CHECK_OK(qs_as_add(as, 0, r1, 0, 64));
    CHECK_OK(qs_as_add(as, 64, r2, 0, 64));
    qs_region_unref(r1);
    CHECK_OK(qs_as_del(as, 0)); /* r1: released through a callback */
    qs_region_unref(r2);
    CHECK_OK(qs_as_free(as));   /* r2: released by the free */
    CHECK_EQ(atomic_load(&h.calls), 2);
}

int main(void)
{
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    cfg.params.poll_period_ns = 1 * MS;
    CHECK_OK(qs_domain_new(&cfg, &dom));
    test_region_refs();
    test_topology_errors();
    test_read_write();
    test_free_after_gp();
    test_deadlock_guard();
    test_as_free();
    CHECK_OK(qs_domain_free(dom));
    printf("memmap: ok\n");
    return 0;
}
