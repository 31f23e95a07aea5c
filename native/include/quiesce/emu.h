/*
 * quiesce — the emulator model whose stalls motivated FQS: a guest memory
 * map published under RCU, vCPU threads that run guest code inside long
 * read sections, and a virtio-gpu device whose blob unmap waits for RCU
 * reclamation.
 *
 *   qs_region   host memory with a refcount and a free hook
 *   qs_as       an address space; its flattened view is an RCU pointer
 *   qs_machine  N vCPU threads reading guest memory through the view
 *   qs_gpu      the virtio-gpu device (wire format: <quiesce/virtio_gpu.h>)
 *
 * Setup calls return 0 or a negative errno. Nothing here needs upcalls
 * from Java: the device's responses are queued and polled (or waited for
 * with a timeout); the free hook of qs_region is for C users.
 *
 * This header is read by jextract: no static inline functions and no
 * function-like macros here.
 */
#ifndef QUIESCE_EMU_H
#define QUIESCE_EMU_H

#include <stdint.h>

#include <quiesce/domain.h>
#include <quiesce/virtio_gpu.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================ regions */

typedef struct qs_region qs_region;

/* Called once, on whichever thread drops the last reference (for regions
 * in an address space: usually the domain's call worker, from the
 * callback that releases the last view covering the region). The region
 * is gone when it returns. Must not call into the region's address space
 * or block on the domain. */
typedef void (*qs_region_free_fn)(qs_region *region, void *opaque);

/* A region of `size` bytes of host memory at `host` (not owned: the free
 * hook is where the owner learns it may release it). One reference,
 * owned by the caller. free_fn may be NULL. Returns 0 or -EINVAL (NULL
 * host or out, size 0), -ENOMEM. */
int qs_region_new(void *host, uint64_t size, qs_region_free_fn free_fn, void *opaque,
                  qs_region **out);
/* Take / drop a reference. The last unref runs the free hook and frees
 * the region. Any thread. */
void qs_region_ref(qs_region *region);
void qs_region_unref(qs_region *region);
void *qs_region_host(const qs_region *region);
uint64_t qs_region_size(const qs_region *region);
/* Current reference count (a snapshot, for tests and stats). */
uint32_t qs_region_refs(const qs_region *region);

/* ====================================================== address space */

typedef struct qs_as qs_as;

/* Create an empty address space whose views are reclaimed through `dom`.
 * Returns 0 or -EINVAL, -ENOMEM. */
int qs_as_new(qs_domain *dom, qs_as **out);
/* Remove every mapping, wait for every view release (qs_drain) and free.
 * Nothing may read the address space any more. Returns 0, -EINVAL, or
 * -EDEADLK (called inside a read section of the domain, or on its call
 * worker; nothing changes). */
int qs_as_free(qs_as *as);
qs_domain *qs_as_domain(const qs_as *as);

/*
 * Topology changes. Each builds a new flattened view under the writer
 * mutex, publishes it, and hands the old view to qs_call; the old view's
 * release drops its references on its regions (so a removed region's
 * free hook runs after a grace period). If the domain cannot queue the
 * callback, the change waits for a grace period (qs_synchronize) and
 * releases the old view on the caller's thread instead.
 */
/* Map [offset, offset + size) of `region` at guest address `addr`; takes
 * a reference on the region. Returns 0, or -EINVAL (NULL, size 0,
 * address overflow), -ERANGE (beyond the region), -EBUSY (overlaps an
 * existing mapping), -ENOMEM, -EDEADLK (called inside a read section of
 * the domain). Nothing changes on error. */
int qs_as_add(qs_as *as, uint64_t addr, qs_region *region, uint64_t offset, uint64_t size);
/* Remove the mapping that starts at `addr`. Returns 0, or -ENOENT,
 * -ENOMEM, -EDEADLK. Nothing changes on error. */
int qs_as_del(qs_as *as, uint64_t addr);
/* Views published so far (1 for a new address space). */
uint64_t qs_as_generation(const qs_as *as);
/* Mappings in the current topology. */
uint32_t qs_as_count(const qs_as *as);

/* Result of a translation: valid only inside the read section in which
 * it was made. */
typedef struct qs_translation {
    qs_region *region;
    void *host;          /* host address of the guest address */
    uint64_t offset;     /* offset of the guest address in the region */
    uint64_t avail;      /* bytes from there to the end of the mapping */
    uint64_t generation; /* the view's generation */
} qs_translation;

/*
 * Read side: call inside a read section of the address space's domain
 * (qs_read_lock on this thread's reader, or qs_read_lock_fn from Java).
 * Each call loads the current view once.
 */
/* Translate `addr`. Returns 0 or -EFAULT (unassigned). */
int qs_as_translate(qs_as *as, uint64_t addr, qs_translation *out);
/* Copy guest memory out / in; may span adjacent mappings. Returns 0, or
 * -EFAULT (some byte unassigned; then nothing was copied / written). */
int qs_as_read(qs_as *as, uint64_t addr, void *buf, uint64_t len);
int qs_as_write(qs_as *as, uint64_t addr, const void *buf, uint64_t len);

/* ======================================================= vCPU machine */

typedef struct qs_machine qs_machine;

/* The byte a released blob mapping is filled with when the device's
 * poison_on_free is set; a vCPU that reads eight of them in a row through
 * a view counts a poison hit (a use after free). */
#define QS_EMU_POISON_BYTE 0xA5

typedef struct qs_machine_config {
    uint32_t vcpus;          /* vCPU threads, 1..64 */
    uint32_t write_pct;      /* percent of guest accesses that write (0..100) */
    uint64_t slice_ns;       /* time slice per read section; 0 = never leave on
                                its own (only a kick or stop ends a section) */
    uint64_t pause_ns;       /* sleep between sections (0 = re-enter at once) */
    uint64_t ram_size;       /* guest RAM mapped at address 0 (0 = none) */
    uint64_t seed;           /* workload PRNG seed */
    uint32_t yield_on_kick;  /* 1: after a section ended by a kick, yield the
                                CPU once (a kicked QEMU vCPU goes off to
                                handle the request: takes the big lock, runs
                                queued work), letting the woken writer run */
    uint32_t reserved;       /* must be 0 */
} qs_machine_config;

/* 2 vCPUs, 5 ms slices, no pause, 1 MiB of RAM, 10% writes, yield on
 * kick. */
int qs_machine_config_init(qs_machine_config *cfg);

/* Create a machine on `dom` with its own address space (guest RAM at 0).
 * The vCPU threads start with qs_machine_start. Returns 0 or -EINVAL,
 * -ENOMEM. */
int qs_machine_new(qs_domain *dom, const qs_machine_config *cfg, qs_machine **out);
/* Start the vCPU threads; returns once each has registered its reader
 * and force notifier. Returns 0, -EALREADY (running), -EAGAIN (a thread
 * could not be created; the others are stopped again). */
int qs_machine_start(qs_machine *m);
/* Ask every vCPU to leave its section and exit; join them. Returns 0 or
 * -EALREADY (not running). */
int qs_machine_stop(qs_machine *m);
/* Stop (if running), free the address space (see qs_as_free) and the
 * machine. Devices on its address space must be freed first: returns
 * -EBUSY otherwise. */
int qs_machine_free(qs_machine *m);
qs_as *qs_machine_as(qs_machine *m);
/* Set vCPU `idx`'s exit request, as its force notifier does (counted as
 * a kick). Returns 0 or -EINVAL. */
int qs_machine_kick(qs_machine *m, uint32_t idx);

typedef struct qs_vcpu_stats {
    uint64_t sections;        /* read sections completed */
    uint64_t kicks;           /* exit requests set (force notifier, qs_machine_kick) */
    uint64_t kicked_exits;    /* sections that ended because of an exit request */
    uint64_t ns_in_sections;  /* total time inside read sections */
    uint64_t max_section_ns;  /* longest section */
    uint64_t accesses;        /* guest memory accesses through a view */
    uint64_t unassigned;      /* accesses that hit no mapping */
    uint64_t poison_hits;     /* reads that saw a released (poisoned) mapping */
    int32_t in_section;       /* 1 while inside a section (snapshot) */
    uint32_t reserved;
} qs_vcpu_stats;

typedef struct qs_machine_stats {
    uint32_t vcpus;
    int32_t running;
    qs_vcpu_stats total;      /* sums (max_section_ns: the max; in_section:
                                 vCPUs inside a section) */
} qs_machine_stats;

/* Returns 0 or -EINVAL. */
int qs_vcpu_stats_get(qs_machine *m, uint32_t idx, qs_vcpu_stats *out);
void qs_machine_stats_get(qs_machine *m, qs_machine_stats *out);

/* ========================================================== latency */

/*
 * A latency histogram: bucket i covers [lower(i), lower(i+1)) ns with 16
 * buckets per power of two above 16 ns (about 4% resolution) and exact
 * buckets below. Percentiles report a bucket's upper bound, capped at
 * the recorded max.
 */
#define QS_LAT_BUCKETS 1024

typedef struct qs_latency {
    uint64_t count;
    uint64_t sum_ns;
    uint64_t max_ns;
    uint64_t buckets[QS_LAT_BUCKETS];
} qs_latency;

/* Percentile `pct` (0..100) in ns; 0 when empty. */
uint64_t qs_latency_percentile_ns(const qs_latency *lat, double pct);

/* ======================================================= virtio-gpu */

typedef struct qs_gpu qs_gpu;

/* A blob resource's lifecycle. */
typedef enum qs_blob_state {
    QS_BLOB_UNMAPPED = 0,  /* created, not mapped */
    QS_BLOB_MAPPED = 1,    /* a sub-region of the window, in the view */
    QS_BLOB_UNMAPPING = 2, /* removed from the topology; old views may still
                              cover it; the command queue is suspended */
    QS_BLOB_FREED = 3,     /* the region's free hook ran (after the old view's
                              call_rcu callback); mapping released */
    QS_BLOB_COMPLETED = 4  /* unmap answered, queue resumed; may be mapped
                              again or unreferenced */
} qs_blob_state;

typedef struct qs_gpu_config {
    uint64_t window_base;    /* guest address of the host-visible window */
    uint64_t window_size;    /* its size */
    uint64_t mem_limit;      /* total blob bytes; beyond: ERR_OUT_OF_MEMORY */
    uint32_t max_resources;  /* live resources; beyond: ERR_OUT_OF_MEMORY */
    uint32_t queue_cap;      /* commands in flight (queued behind an unmap, or
                                answered but not yet polled); beyond: -EAGAIN */
    int32_t force_on_unmap;  /* 1: an unmap calls qs_force (QEMU's follow-up) */
    int32_t poison_on_free;  /* 1: a released mapping is replaced by poison
                                (QS_EMU_POISON_BYTE) pages kept until
                                qs_gpu_free, instead of unmapped */
} qs_gpu_config;

/* Window at 4 GiB, 256 MiB; 1 GiB of blobs; 256 resources; 256 in flight;
 * no force; no poison. */
int qs_gpu_config_init(qs_gpu_config *cfg);

/* Create a device whose window lives in `as` (the window must not overlap
 * a mapping of `as`: -EBUSY). Starts the device's queue thread. Returns 0
 * or -EINVAL, -EBUSY, -ENOMEM, -EAGAIN. */
int qs_gpu_new(qs_as *as, const qs_gpu_config *cfg, qs_gpu **out);
/* Wait for a pending unmap, unmap what is mapped, wait for the free hooks
 * (qs_drain), discard unpolled responses and free everything. Must not be
 * called inside a read section of the domain. Returns 0, -EINVAL,
 * -EDEADLK. */
int qs_gpu_free(qs_gpu *dev);

/* What qs_gpu_submit did with a command. */
typedef enum qs_gpu_submit_result {
    QS_GPU_QUEUED = 0,  /* its response will be delivered by qs_gpu_poll /
                           qs_gpu_wait under its tag */
    QS_GPU_DONE = 1     /* answered at once: the response is in `resp` */
} qs_gpu_submit_result;

/*
 * Submit one command (`len` wire bytes; a copy is taken). Commands are
 * processed and answered in submission order. When the queue is running
 * and nothing waits, the command is processed on the calling thread;
 * otherwise (behind a pending unmap) it is queued. An unmap itself
 * suspends the queue until the blob's region is freed through RCU, and is
 * answered then.
 *
 * resp: NULL to have every response delivered through the response queue;
 * else a buffer of cap >= QS_VGPU_RESP_MAX bytes that receives the
 * response of a command answered at once (*resp_len its length).
 * Returns QS_GPU_DONE, QS_GPU_QUEUED, or -EINVAL (NULL dev, NULL cmd with
 * len > 0, cap too small), -EAGAIN (queue_cap commands in flight: poll
 * first), -ENOMEM, -ESHUTDOWN (device being freed). Malformed commands
 * are not errors here: they get the specification's error response.
 * Call outside read sections of the domain: a map or unmap processed on a
 * thread inside one cannot change the topology and is answered
 * ERR_UNSPEC. Thread-safe.
 */
int qs_gpu_submit(qs_gpu *dev, const void *cmd, uint32_t len, uint64_t tag, void *resp,
                  uint32_t cap, uint32_t *resp_len);
/* Take the oldest queued response: its tag, bytes (cap >=
 * QS_VGPU_RESP_MAX) and length. Returns 0, -EAGAIN (none), -EINVAL. */
int qs_gpu_poll(qs_gpu *dev, uint64_t *tag, void *resp, uint32_t cap, uint32_t *resp_len);
/* As qs_gpu_poll, waiting up to timeout_ns for a response. Returns 0,
 * -ETIMEDOUT, -EINVAL. */
int qs_gpu_wait(qs_gpu *dev, uint64_t timeout_ns, uint64_t *tag, void *resp, uint32_t cap,
                uint32_t *resp_len);
/* Commands submitted and not yet answered (queued or suspended). */
uint32_t qs_gpu_pending(qs_gpu *dev);
/* A resource's qs_blob_state, or -ENOENT (no such resource), -EINVAL. */
int32_t qs_gpu_blob_state(qs_gpu *dev, uint32_t resource_id);
/* The window offset a mapped resource sits at. Returns 0, -ENOENT, or
 * -EINVAL (not MAPPED). */
int qs_gpu_blob_offset(qs_gpu *dev, uint32_t resource_id, uint64_t *offset);

typedef struct qs_gpu_stats {
    uint64_t submitted;         /* commands accepted by qs_gpu_submit */
    uint64_t answered;          /* responses produced */
    uint64_t answered_ok;       /* ... of which RESP_OK_* */
    uint64_t answered_err;      /* ... of which RESP_ERR_* */
    uint64_t queued;            /* commands that waited behind an unmap */
    uint64_t creates;           /* successful CREATE_BLOB */
    uint64_t maps;              /* successful MAP_BLOB */
    uint64_t unmaps;            /* unmaps completed */
    uint64_t unrefs;            /* successful UNREF */
    uint64_t regions_freed;     /* blob region free hooks that ran */
    uint64_t forces;            /* qs_force calls made on unmap */
    uint64_t blocked_ns;        /* total time the queue was suspended */
    uint32_t resources;         /* live resources */
    uint32_t mapped;            /* resources in MAPPED state */
    uint32_t pending;           /* commands not yet answered */
    int32_t blocked;            /* 1 while an unmap suspends the queue */
    uint64_t mem_used;          /* bytes of live blobs */
    uint64_t unmap_p50_ns;      /* unmap latency, submit -> response */
    uint64_t unmap_p99_ns;
    uint64_t unmap_max_ns;
    uint64_t cmd_p50_ns;        /* any command, submit -> response */
    uint64_t cmd_p99_ns;
    uint64_t cmd_max_ns;
} qs_gpu_stats;

void qs_gpu_stats_get(qs_gpu *dev, qs_gpu_stats *out);

typedef enum qs_gpu_latency_kind {
    QS_GPU_LAT_CMD = 0,    /* every command */
    QS_GPU_LAT_UNMAP = 1   /* RESOURCE_UNMAP_BLOB that succeeded */
} qs_gpu_latency_kind;
/* Copy a latency histogram. Returns 0 or -EINVAL. */
int qs_gpu_latency_get(qs_gpu *dev, int32_t kind, qs_latency *out);
/* Forget recorded latencies (histograms only; counters stay). */
void qs_gpu_latency_reset(qs_gpu *dev);

/* ===================================================== one snapshot */

typedef struct qs_emu_stats {
    qs_machine_stats machine; /* zero without a machine */
    qs_gpu_stats gpu;         /* zero without a device */
    qs_stats rcu;             /* the domain's qs_stats_get */
} qs_emu_stats;

/* Fill `out` from `m` and/or `dev` (either may be NULL; the domain is
 * taken from whichever is given). Returns 0 or -EINVAL (both NULL). */
int qs_emu_stats_get(qs_machine *m, qs_gpu *dev, qs_emu_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* QUIESCE_EMU_H */
