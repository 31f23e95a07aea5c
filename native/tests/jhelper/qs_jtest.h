/*
 * libqs_jtest: a C helper library for the Java tests of native memory
 * under RCU (issue 13). NOT part of libquiesce and not installed: the
 * tests load it (after libquiesce) through FFM and drive C readers,
 * C writers, a held C read section and an asynchronous C grace period on
 * a qs_domain they share with Java.
 *
 * Test node (64 bytes, 64-aligned, from qs_mem_alloc), all fields
 * little-endian uint64 at these offsets:
 *     0  canary      QS_JTEST_CANARY while live; QS_JTEST_POISON once
 *                    qs_jtest_node_free ran (it poisons every word, then
 *                    frees)
 *     8  generation  the writer's number for this node
 *    16  payload[6]  payload[i] = generation ^ (QS_JTEST_PAYLOAD_K * (i + 1))
 * A reader that finds a node whose canary or payload is wrong counts a
 * violation: an early free (or a torn publication) happened.
 *
 * Functions returning a handle return NULL on bad input or failure (errno
 * set); the others return 0 or a negative errno.
 */
#ifndef QS_JTEST_H
#define QS_JTEST_H

#include <stdint.h>
#include <quiesce/domain.h>

#define QS_JTEST_CANARY    UINT64_C(0x51534A5445535401) /* "QSJTEST\x01" */
#define QS_JTEST_POISON    UINT64_C(0xDEADDEADDEADDEAD)
#define QS_JTEST_PAYLOAD_K UINT64_C(0x9E3779B97F4A7C15)
#define QS_JTEST_NODE_SIZE 64

typedef struct qs_jtest_node {
    uint64_t canary;
    uint64_t generation;
    uint64_t payload[6];
} qs_jtest_node;

/* Counters returned by the stop functions: 4 x uint64, in this order. */
typedef struct qs_jtest_counts {
    uint64_t sections;      /* reader sections completed */
    uint64_t violations;    /* reader: bad canary or payload seen */
    uint64_t replacements;  /* writer: exchanges done (old node retired) */
    uint64_t errors;        /* writer: qs_retire/alloc failures */
} qs_jtest_counts;

/* The constants above, for FFM callers. */
uint64_t qs_jtest_canary(void);
uint64_t qs_jtest_poison(void);
uint64_t qs_jtest_payload_k(void);

/* A live node of `generation` (qs_mem_alloc(64, 64)); NULL on ENOMEM. */
void *qs_jtest_node_alloc(uint64_t generation);
/* A qs_free_fn: poisons every word of the node, then qs_mem_free. Pass
 * its address as the free function of qs_retire. */
void qs_jtest_node_free(void *node);
/* 0 if `node` is a live, consistent node; 1 otherwise (NULL counts as
 * consistent: 0). */
int qs_jtest_node_check(const void *node);

/* C readers: `nthreads` threads, each registered on `dom`, loop
 * { qs_read_lock; n = qs_rcu_read(slot); check n; re-check n's canary
 * after a short spin; qs_read_unlock } until stopped. */
typedef struct qs_jtest_readers qs_jtest_readers;
qs_jtest_readers *qs_jtest_readers_start(qs_domain *dom, void **slot, int nthreads);
/* Stop, join, free; `out` (may be NULL) gets sections and violations. */
int qs_jtest_readers_stop(qs_jtest_readers *h, qs_jtest_counts *out);

/* C writers: `nthreads` threads loop { n = qs_jtest_node_alloc(g) with
 * g = atomic ++*generation (or a private counter when generation is
 * NULL); old = qs_rcu_exchange(slot, n); qs_retire(dom, old,
 * qs_jtest_node_free, 64) if old }. A writer pauses 1 ms when more than
 * 65536 retires are pending, so memory stays bounded. */
typedef struct qs_jtest_writers qs_jtest_writers;
qs_jtest_writers *qs_jtest_writers_start(qs_domain *dom, void **slot, int nthreads,
                                         uint64_t *generation);
/* Stop, join, free; `out` (may be NULL) gets replacements and errors. */
int qs_jtest_writers_stop(qs_jtest_writers *h, qs_jtest_counts *out);

/* A held C section: a new thread registers on `dom`, read-locks, marks
 * itself inside, sleeps `ms`, marks itself done (just BEFORE its unlock),
 * unlocks and unregisters. A grace period that began after
 * qs_jtest_hold_wait_inside returned cannot end before `done` is set. */
typedef struct qs_jtest_hold qs_jtest_hold;
qs_jtest_hold *qs_jtest_hold_section(qs_domain *dom, int ms);
/* Block until the thread is inside its section: 0, or the thread's
 * negative errno (registration failed). */
int qs_jtest_hold_wait_inside(qs_jtest_hold *h);
/* 1 once the thread is about to unlock, else 0. */
int qs_jtest_hold_done(qs_jtest_hold *h);
/* Join and free: 0 or the thread's negative errno. */
int qs_jtest_hold_join(qs_jtest_hold *h);

/* An asynchronous C grace period: a new thread calls qs_synchronize(dom). */
typedef struct qs_jtest_sync qs_jtest_sync;
qs_jtest_sync *qs_jtest_synchronize_async(qs_domain *dom);
/* 1 once qs_synchronize returned, else 0. */
int qs_jtest_sync_done(qs_jtest_sync *h);
/* Join and free: qs_synchronize's return value. */
int qs_jtest_sync_join(qs_jtest_sync *h);

#endif /* QS_JTEST_H */
