/*
 * retire-bench: the cost of qs_retire per call and its retire -> free
 * latency, with 0, 1 and 2 busy reader threads (each looping short read
 * sections over a slot) on a default FQS domain.
 *
 *   retire-bench [--calls N] [--runs R] [--samples S]
 *
 * Cost: R runs of N back-to-back qs_mem_retire calls of pre-allocated
 * 64-byte objects (allocation not timed); prints the median ns per call.
 * Paced: 20000 single retires 2 us apart (a writer replacing one slot,
 * the set small, the worker often asleep): p50 / p99 ns of one call
 * (including a ~20 ns clock read).
 * Latency: S times, retire one object and wait (yielding) for its free
 * function; prints p50 / p99 / max of (free started - retire called).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <quiesce/quiesce.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static qs_domain *dom;
static void *slot;
static atomic_int stop;

static void *reader_main(void *arg)
{
    (void)arg;
    qs_reader *r;
    if (qs_reader_new(dom, &r) != 0) {
        abort();
    }
    uint64_t sink = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        qs_read_lock(r);
        uint64_t *p = qs_rcu_read(&slot);
        if (p != NULL) {
            sink += *p;
        }
        qs_read_unlock(r);
    }
    __asm__ __volatile__("" ::"r"(sink));
    qs_reader_free(r);
    return NULL;
}

static _Atomic uint64_t freed_at;

static void stamp_free(void *p)
{
    atomic_store(&freed_at, now_ns());
    qs_mem_free(p);
}

int main(int argc, char **argv)
{
    long calls = 200000, runs = 5, samples = 2000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--calls") == 0) {
            calls = atol(argv[i + 1]);
        } else if (strcmp(argv[i], "--runs") == 0) {
            runs = atol(argv[i + 1]);
        } else if (strcmp(argv[i], "--samples") == 0) {
            samples = atol(argv[i + 1]);
        } else {
            fprintf(stderr, "usage: %s [--calls N] [--runs R] [--samples S]\n", argv[0]);
            return 2;
        }
    }
    if (calls <= 0 || runs <= 0 || samples <= 0) {
        fprintf(stderr, "counts must be positive\n");
        return 2;
    }
    void **objs = malloc(sizeof(void *) * (size_t)calls);
    uint64_t *run_ns = malloc(sizeof(uint64_t) * (size_t)runs);
    uint64_t *lat = malloc(sizeof(uint64_t) * (size_t)samples);
    if (objs == NULL || run_ns == NULL || lat == NULL) {
        return 1;
    }
    enum { PACED = 20000 };
    uint64_t *paced = malloc(sizeof(uint64_t) * PACED);
    if (paced == NULL) {
        return 1;
    }
    printf("readers  flood ns/call (median %ldx%ld)  paced ns p50 / p99  free latency us p50 / p99 / max (%ld)\n",
           runs, calls, samples);
    for (int nreaders = 0; nreaders <= 2; nreaders++) {
        if (qs_domain_new(NULL, &dom) != 0) {
            return 1;
        }
        static uint64_t value = 1;
        slot = &value;
        atomic_store(&stop, 0);
        pthread_t th[2];
        for (int i = 0; i < nreaders; i++) {
            pthread_create(&th[i], NULL, reader_main, NULL);
        }
        for (long r = 0; r < runs; r++) {
            for (long i = 0; i < calls; i++) {
                objs[i] = qs_mem_alloc(64, 64);
            }
            uint64_t t0 = now_ns();
            for (long i = 0; i < calls; i++) {
                if (qs_mem_retire(dom, objs[i], 64) != 0) {
                    abort();
                }
            }
            run_ns[r] = now_ns() - t0;
            qs_drain(dom);
        }
        qsort(run_ns, (size_t)runs, sizeof(uint64_t), cmp_u64);
        double per_call = (double)run_ns[runs / 2] / (double)calls;
        for (long i = 0; i < PACED; i++) {
            void *p = qs_mem_alloc(64, 64);
            uint64_t t0 = now_ns();
            if (qs_mem_retire(dom, p, 64) != 0) {
                abort();
            }
            uint64_t t1 = now_ns();
            paced[i] = t1 - t0;
            while (now_ns() < t1 + 2000) {
            }
        }
        qsort(paced, PACED, sizeof(uint64_t), cmp_u64);
        for (long s = 0; s < samples; s++) {
            void *p = qs_mem_alloc(64, 64);
            atomic_store(&freed_at, 0);
            uint64_t t0 = now_ns();
            if (qs_retire(dom, p, stamp_free, 64) != 0) {
                abort();
            }
            uint64_t t1;
            while ((t1 = atomic_load(&freed_at)) == 0) {
                sched_yield();
            }
            lat[s] = t1 - t0;
        }
        qsort(lat, (size_t)samples, sizeof(uint64_t), cmp_u64);
        printf("%7d  %30.1f  %10" PRIu64 " / %6" PRIu64 "  %14.1f / %8.1f / %8.1f\n", nreaders,
               per_call, paced[PACED / 2], paced[(PACED * 99) / 100],
               (double)lat[samples / 2] / 1e3, (double)lat[(samples * 99) / 100] / 1e3,
               (double)lat[samples - 1] / 1e3);
        atomic_store(&stop, 1);
        for (int i = 0; i < nreaders; i++) {
            pthread_join(th[i], NULL);
        }
        qs_domain_free(dom);
    }
    free(objs);
    free(run_ns);
    free(lat);
    free(paced);
    return 0;
}
