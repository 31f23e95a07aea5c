/*
 * Private to native/emu: the address-space view layout (the vCPU loop
 * reads it directly), the latency histogram recorder and small helpers.
 * Nothing here is part of the ABI; QS_EMU_INTERNAL keeps the symbols out
 * of libquiesce's dynamic symbol table.
 */
#ifndef QUIESCE_EMU_INTERNAL_H
#define QUIESCE_EMU_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include <quiesce/domain.h>
#include <quiesce/emu.h>

#define QS_EMU_INTERNAL __attribute__((visibility("hidden")))

static inline uint64_t qs_emu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ regions */

struct qs_region {
    _Atomic uint32_t refs;
    uint32_t reserved;
    void *host;
    uint64_t size;
    qs_region_free_fn free_fn;
    void *opaque;
};

/* --------------------------------------------------------------- views */

/* One flattened range: guest [addr, addr + size) -> region + offset. */
typedef struct qs_view_range {
    uint64_t addr;
    uint64_t size;
    uint64_t offset;      /* in the region */
    uint8_t *host;        /* region host + offset */
    qs_region *region;    /* the view holds one reference */
} qs_view_range;

/*
 * An immutable flattened view. Published through qs_as.view; readers see
 * it whole or not at all. `head` must stay first: the release callback
 * recovers the view from it.
 */
typedef struct qs_view {
    qs_head head;         /* for qs_call: releases the view after a GP */
    qs_as *as;
    uint64_t generation;
    uint32_t n;
    uint32_t reserved;
    qs_view_range ranges[]; /* sorted by addr, non-overlapping */
} qs_view;

/* The current view: an acquire load of the RCU pointer (inside a read
 * section). Pairs with the store-release in memmap.c's publish. */
QS_EMU_INTERNAL const qs_view *qs_as_view_get(qs_as *as);
/* The range holding `addr`, or NULL. Binary search. */
QS_EMU_INTERNAL const qs_view_range *qs_view_find(const qs_view *v, uint64_t addr);
/* 1 if [addr, addr + size) overlaps a mapping of the current topology.
 * Writer side (takes the writer mutex). */
QS_EMU_INTERNAL int qs_as_overlaps(qs_as *as, uint64_t addr, uint64_t size);
/* Devices attached (qs_machine_free refuses while non-zero). */
QS_EMU_INTERNAL void qs_as_attach(qs_as *as, int delta);
QS_EMU_INTERNAL int qs_as_attached(qs_as *as);

/* The machine's domain (for qs_emu_stats_get). */
QS_EMU_INTERNAL qs_domain *qs_machine_domain(qs_machine *m);

/* ------------------------------------------------------------- latency */

QS_EMU_INTERNAL void qs_latency_record(qs_latency *lat, uint64_t ns);
QS_EMU_INTERNAL uint32_t qs_latency_bucket(uint64_t ns);
QS_EMU_INTERNAL uint64_t qs_latency_bucket_upper(uint32_t bucket);

#endif /* QUIESCE_EMU_INTERNAL_H */
