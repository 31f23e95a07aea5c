/*
 * The vCPU machine: N threads that each behave like a TCG vCPU thread.
 *
 * A vCPU registers a reader on the domain and a force notifier that sets
 * its exit request (a "kick"). It then loops: enter a read section, run
 * "guest code" (translate guest addresses through the current view and
 * load/store guest memory) until its time slice ends, an exit request is
 * set, or the machine stops; leave the section; optionally pause; repeat.
 * With slice_ns == 0 only a kick or stop ends a section: such a vCPU
 * blocks every grace period until something kicks it, which is exactly
 * the stall the force-quiescent state exists for.
 *
 * Counters are owned by their vCPU thread (relaxed stores of running
 * totals, readable at any time) except `kicks`, which the writer's
 * notifier increments.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <quiesce/read.h>

#include "emu_internal.h"

#define QS_VCPU_MAX 64
/* The slice clock is read once per this many guest accesses. */
#define QS_VCPU_CLOCK_EVERY 32u
/* Running totals are published once per this many accesses. */
#define QS_VCPU_PUBLISH_EVERY 1024u

typedef struct qs_vcpu {
    qs_machine *m;
    uint32_t idx;
    int32_t start_rc;           /* registration result, for start() */
    pthread_t thread;
    qs_reader *reader;
    qs_notifier notifier;
    uint64_t rng;               /* vCPU thread only */
    /* Set by the force notifier (writer thread), qs_machine_kick and
     * stop; cleared by the vCPU when it leaves the section because of it. */
    _Alignas(64) _Atomic uint32_t exit_request;
    _Atomic uint64_t kicks;
    /* Written by the vCPU thread only (relaxed stores), read by stats. */
    _Alignas(64) _Atomic uint64_t sections;
    _Atomic uint64_t kicked_exits;
    _Atomic uint64_t ns_in_sections;
    _Atomic uint64_t max_section_ns;
    _Atomic uint64_t accesses;
    _Atomic uint64_t unassigned;
    _Atomic uint64_t poison_hits;
    _Atomic int32_t in_section;
} qs_vcpu;

struct qs_machine {
    qs_domain *dom;
    qs_as *as;
    qs_machine_config cfg;
    void *ram;
    qs_vcpu *vcpus;
    _Atomic int stop;
    int running;                /* under `lock` */
    pthread_mutex_t lock;       /* start/stop and the start handshake */
    pthread_cond_t cond;
    uint32_t registered;        /* vCPUs that finished registration */
};

static const uint64_t POISON64 = 0x0101010101010101ull * QS_EMU_POISON_BYTE;

int qs_machine_config_init(qs_machine_config *cfg)
{
    if (cfg == NULL) {
        return -EINVAL;
    }
    memset(cfg, 0, sizeof(*cfg));
    cfg->vcpus = 2;
    cfg->write_pct = 10;
    cfg->slice_ns = 5000000ull;
    cfg->pause_ns = 0;
    cfg->ram_size = 1u << 20;
    cfg->seed = 0x9e3779b97f4a7c15ull;
    cfg->yield_on_kick = 1;
    return 0;
}

/* ------------------------------------------------------ guest workload */

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64* */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

typedef struct vcpu_tally {
    uint64_t accesses;
    uint64_t unassigned;
    uint64_t poison_hits;
} vcpu_tally;

/* One guest load or store of 8 bytes at `p` (relaxed atomics: other vCPUs
 * touch the same guest memory, as guests do). */
static void guest_access(uint8_t *p, int write, uint64_t value, vcpu_tally *t)
{
    if (((uintptr_t)p & 7) == 0) {
        _Atomic uint64_t *w = (_Atomic uint64_t *)(void *)p;
        if (write) {
            atomic_store_explicit(w, value, memory_order_relaxed);
        } else if (atomic_load_explicit(w, memory_order_relaxed) == POISON64) {
            t->poison_hits++;
        }
        return;
    }
    int poison = 1;
    for (int i = 0; i < 8; i++) {
        _Atomic uint8_t *b = (_Atomic uint8_t *)(p + i);
        if (write) {
            atomic_store_explicit(b, (uint8_t)(value >> (8 * i)), memory_order_relaxed);
        } else if (atomic_load_explicit(b, memory_order_relaxed) != QS_EMU_POISON_BYTE) {
            poison = 0;
        }
    }
    if (!write && poison) {
        t->poison_hits++;
    }
}

/* One access through the view current at this moment (as QEMU's address
 * space dispatch reloads the RCU pointer per access). */
static void guest_step(qs_vcpu *v, vcpu_tally *t)
{
    qs_machine *m = v->m;
    const qs_view *view = qs_as_view_get(m->as);
    uint64_t r = rng_next(&v->rng);
    t->accesses++;
    if (view == NULL || view->n == 0) {
        t->unassigned++;
        return;
    }
    uint64_t addr;
    if ((r & 15) == 0) {
        /* Now and then a wild address: most miss every mapping. */
        addr = rng_next(&v->rng);
    } else {
        const qs_view_range *rr = &view->ranges[(r >> 4) % view->n];
        if (rr->size < 8) {
            return;
        }
        addr = rr->addr + ((r >> 24) % (rr->size - 7));
    }
    /* The translation a TLB miss would do. */
    const qs_view_range *hit = qs_view_find(view, addr);
    if (hit == NULL || hit->size < 8 || addr - hit->addr > hit->size - 8) {
        t->unassigned++;
        return;
    }
    uint8_t *p = hit->host + (addr - hit->addr);
    int write = (uint32_t)(r >> 56) % 100u < m->cfg.write_pct;
    /* Stored values have a zero top byte, so they never look like poison. */
    guest_access(p, write, r >> 8, t);
}

static void tally_publish(qs_vcpu *v, const vcpu_tally *base, const vcpu_tally *t)
{
    atomic_store_explicit(&v->accesses, base->accesses + t->accesses, memory_order_relaxed);
    atomic_store_explicit(&v->unassigned, base->unassigned + t->unassigned, memory_order_relaxed);
    atomic_store_explicit(&v->poison_hits, base->poison_hits + t->poison_hits,
                          memory_order_relaxed);
}

/* ------------------------------------------------------------ threads */

/* The force notifier: runs on the writer's thread when a GP this vCPU
 * blocks enters FQS (LEGACY: during a drain). Sets the exit request; the
 * vCPU leaves its section at its next check. */
static void vcpu_kick(qs_reader *r, void *opaque)
{
    (void)r;
    qs_vcpu *v = opaque;
    atomic_fetch_add_explicit(&v->kicks, 1, memory_order_relaxed);
    atomic_store_explicit(&v->exit_request, 1, memory_order_release);
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
                          .tv_nsec = (long)(ns % 1000000000ull)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void *vcpu_main(void *arg)
{
    qs_vcpu *v = arg;
    qs_machine *m = v->m;
    int rc = qs_reader_new(m->dom, &v->reader);
    if (rc == 0) {
        v->notifier.fn = vcpu_kick;
        v->notifier.opaque = v;
        rc = qs_notifier_add(v->reader, &v->notifier);
        if (rc != 0) {
            qs_reader_free(v->reader);
            v->reader = NULL;
        }
    }
    pthread_mutex_lock(&m->lock);
    v->start_rc = rc;
    m->registered++;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    if (rc != 0) {
        return NULL;
    }

    const uint64_t slice = m->cfg.slice_ns;
    /* Running totals continue across stop/start. */
    vcpu_tally base = {
        atomic_load_explicit(&v->accesses, memory_order_relaxed),
        atomic_load_explicit(&v->unassigned, memory_order_relaxed),
        atomic_load_explicit(&v->poison_hits, memory_order_relaxed),
    };
    uint64_t sections = atomic_load_explicit(&v->sections, memory_order_relaxed);
    uint64_t kicked = atomic_load_explicit(&v->kicked_exits, memory_order_relaxed);
    uint64_t ns_in = atomic_load_explicit(&v->ns_in_sections, memory_order_relaxed);
    uint64_t max_ns = atomic_load_explicit(&v->max_section_ns, memory_order_relaxed);
    while (!atomic_load_explicit(&m->stop, memory_order_acquire)) {
        vcpu_tally t = {0, 0, 0};
        int was_kicked = 0;
        atomic_store_explicit(&v->in_section, 1, memory_order_relaxed);
        uint64_t t0 = qs_emu_now_ns();
        qs_read_lock(v->reader);
        for (uint32_t iter = 1;; iter++) {
            guest_step(v, &t);
            if (atomic_load_explicit(&v->exit_request, memory_order_relaxed) != 0) {
                /* A kick (or stop): leave now. Acquire pairs with the
                 * notifier's release (only for tidiness; nothing else is
                 * handed over). */
                if (atomic_exchange_explicit(&v->exit_request, 0, memory_order_acquire) != 0) {
                    kicked++;
                    was_kicked = 1;
                }
                break;
            }
            if (iter % QS_VCPU_CLOCK_EVERY == 0) {
                if (slice != 0 && qs_emu_now_ns() - t0 >= slice) {
                    break;
                }
                if (atomic_load_explicit(&m->stop, memory_order_relaxed)) {
                    break;
                }
                if (iter % QS_VCPU_PUBLISH_EVERY == 0) {
                    tally_publish(v, &base, &t);
                }
            }
        }
        qs_read_unlock(v->reader);
        uint64_t d = qs_emu_now_ns() - t0;
        atomic_store_explicit(&v->in_section, 0, memory_order_relaxed);
        base.accesses += t.accesses;
        base.unassigned += t.unassigned;
        base.poison_hits += t.poison_hits;
        tally_publish(v, &base, &(vcpu_tally){0, 0, 0});
        sections++;
        ns_in += d;
        max_ns = d > max_ns ? d : max_ns;
        atomic_store_explicit(&v->sections, sections, memory_order_relaxed);
        atomic_store_explicit(&v->kicked_exits, kicked, memory_order_relaxed);
        atomic_store_explicit(&v->ns_in_sections, ns_in, memory_order_relaxed);
        atomic_store_explicit(&v->max_section_ns, max_ns, memory_order_relaxed);
        if (m->cfg.pause_ns != 0) {
            sleep_ns(m->cfg.pause_ns);
        } else if (was_kicked && m->cfg.yield_on_kick) {
            /* The unlock above may have woken the writer (FQS slow path);
             * on a machine with as many busy vCPUs as cores it would
             * otherwise wait for a scheduler tick to get a CPU. */
            sched_yield();
        }
    }
    qs_notifier_remove(v->reader, &v->notifier);
    qs_reader_free(v->reader);
    v->reader = NULL;
    return NULL;
}

/* ------------------------------------------------------------ machine */

static void ram_free(qs_region *r, void *opaque)
{
    (void)r;
    free(opaque);
}

int qs_machine_new(qs_domain *dom, const qs_machine_config *cfg, qs_machine **out)
{
    qs_machine_config def;
    if (cfg == NULL) {
        qs_machine_config_init(&def);
        cfg = &def;
    }
    if (dom == NULL || out == NULL || cfg->vcpus == 0 || cfg->vcpus > QS_VCPU_MAX ||
        cfg->write_pct > 100 || cfg->yield_on_kick > 1 || cfg->reserved != 0) {
        return -EINVAL;
    }
    qs_machine *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return -ENOMEM;
    }
    m->dom = dom;
    m->cfg = *cfg;
    m->vcpus = aligned_alloc(64, sizeof(qs_vcpu) * cfg->vcpus);
    if (m->vcpus == NULL) {
        free(m);
        return -ENOMEM;
    }
    memset(m->vcpus, 0, sizeof(qs_vcpu) * cfg->vcpus);
    int rc = qs_as_new(dom, &m->as);
    if (rc != 0) {
        free(m->vcpus);
        free(m);
        return rc;
    }
    if (cfg->ram_size > 0) {
        qs_region *ram = NULL;
        void *mem = calloc(1, cfg->ram_size);
        rc = mem == NULL ? -ENOMEM : qs_region_new(mem, cfg->ram_size, ram_free, mem, &ram);
        if (rc == 0) {
            rc = qs_as_add(m->as, 0, ram, 0, cfg->ram_size);
            qs_region_unref(ram); /* the address space holds it now */
        } else {
            free(mem);
        }
        if (rc != 0) {
            qs_as_free(m->as);
            free(m->vcpus);
            free(m);
            return rc;
        }
    }
    for (uint32_t i = 0; i < cfg->vcpus; i++) {
        qs_vcpu *v = &m->vcpus[i];
        v->m = m;
        v->idx = i;
        v->rng = (cfg->seed ^ (0x9e3779b97f4a7c15ull * (i + 1))) | 1;
    }
    atomic_init(&m->stop, 0);
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    *out = m;
    return 0;
}

/* Stop and join the first `n` vCPU threads (lock held). */
static void stop_threads(qs_machine *m, uint32_t n)
{
    atomic_store_explicit(&m->stop, 1, memory_order_release);
    for (uint32_t i = 0; i < n; i++) {
        atomic_store_explicit(&m->vcpus[i].exit_request, 1, memory_order_release);
    }
    for (uint32_t i = 0; i < n; i++) {
        pthread_join(m->vcpus[i].thread, NULL);
    }
}

int qs_machine_start(qs_machine *m)
{
    if (m == NULL) {
        return -EINVAL;
    }
    pthread_mutex_lock(&m->lock);
    if (m->running) {
        pthread_mutex_unlock(&m->lock);
        return -EALREADY;
    }
    atomic_store(&m->stop, 0);
    m->registered = 0;
    uint32_t created = 0;
    int rc = 0;
    for (; created < m->cfg.vcpus; created++) {
        qs_vcpu *v = &m->vcpus[created];
        atomic_store(&v->exit_request, 0);
        v->start_rc = 0;
        if (pthread_create(&v->thread, NULL, vcpu_main, v) != 0) {
            rc = -EAGAIN;
            break;
        }
    }
    while (m->registered < created) {
        pthread_cond_wait(&m->cond, &m->lock);
    }
    for (uint32_t i = 0; rc == 0 && i < created; i++) {
        rc = m->vcpus[i].start_rc;
    }
    if (rc != 0) {
        /* Threads that failed registration have already returned. */
        pthread_mutex_unlock(&m->lock);
        stop_threads(m, created);
        return rc;
    }
    m->running = 1;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

int qs_machine_stop(qs_machine *m)
{
    if (m == NULL) {
        return -EINVAL;
    }
    pthread_mutex_lock(&m->lock);
    if (!m->running) {
        pthread_mutex_unlock(&m->lock);
        return -EALREADY;
    }
    stop_threads(m, m->cfg.vcpus);
    m->running = 0;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

int qs_machine_free(qs_machine *m)
{
    if (m == NULL) {
        return -EINVAL;
    }
    if (qs_as_attached(m->as) != 0) {
        return -EBUSY;
    }
    qs_machine_stop(m);
    int rc = qs_as_free(m->as);
    if (rc != 0) {
        return rc;
    }
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->lock);
    free(m->vcpus);
    free(m);
    return 0;
}

qs_as *qs_machine_as(qs_machine *m)
{
    return m->as;
}

int qs_machine_kick(qs_machine *m, uint32_t idx)
{
    if (m == NULL || idx >= m->cfg.vcpus) {
        return -EINVAL;
    }
    vcpu_kick(NULL, &m->vcpus[idx]);
    return 0;
}

int qs_vcpu_stats_get(qs_machine *m, uint32_t idx, qs_vcpu_stats *out)
{
    if (m == NULL || out == NULL || idx >= m->cfg.vcpus) {
        return -EINVAL;
    }
    qs_vcpu *v = &m->vcpus[idx];
    memset(out, 0, sizeof(*out));
    out->sections = atomic_load_explicit(&v->sections, memory_order_relaxed);
    out->kicks = atomic_load_explicit(&v->kicks, memory_order_relaxed);
    out->kicked_exits = atomic_load_explicit(&v->kicked_exits, memory_order_relaxed);
    out->ns_in_sections = atomic_load_explicit(&v->ns_in_sections, memory_order_relaxed);
    out->max_section_ns = atomic_load_explicit(&v->max_section_ns, memory_order_relaxed);
    out->accesses = atomic_load_explicit(&v->accesses, memory_order_relaxed);
    out->unassigned = atomic_load_explicit(&v->unassigned, memory_order_relaxed);
    out->poison_hits = atomic_load_explicit(&v->poison_hits, memory_order_relaxed);
    out->in_section = atomic_load_explicit(&v->in_section, memory_order_relaxed);
    return 0;
}

void qs_machine_stats_get(qs_machine *m, qs_machine_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (m == NULL) {
        return;
    }
    out->vcpus = m->cfg.vcpus;
    pthread_mutex_lock(&m->lock);
    out->running = m->running;
    pthread_mutex_unlock(&m->lock);
    for (uint32_t i = 0; i < m->cfg.vcpus; i++) {
        qs_vcpu_stats s;
        qs_vcpu_stats_get(m, i, &s);
        out->total.sections += s.sections;
        out->total.kicks += s.kicks;
        out->total.kicked_exits += s.kicked_exits;
        out->total.ns_in_sections += s.ns_in_sections;
        if (s.max_section_ns > out->total.max_section_ns) {
            out->total.max_section_ns = s.max_section_ns;
        }
        out->total.accesses += s.accesses;
        out->total.unassigned += s.unassigned;
        out->total.poison_hits += s.poison_hits;
        out->total.in_section += s.in_section;
    }
}

qs_domain *qs_machine_domain(qs_machine *m)
{
    return m->dom;
}
