/*
 * The virtio-gpu device model: blob resources mapped into a host-visible
 * window of an address space, and the unmap path whose latency is RCU
 * reclamation latency.
 *
 * Commands (wire format and error codes: virtio v1.2, 5.7.6.7-5.7.6.9; see
 * <quiesce/virtio_gpu.h>) are processed strictly in submission order:
 *
 *   RESOURCE_CREATE_BLOB  allocate the blob's storage (a memfd, standing in
 *                         for the host allocation / udmabuf)      -> OK_NODATA
 *   RESOURCE_MAP_BLOB     mmap the storage, wrap it in a qs_region, add it
 *                         to the window at `offset`                -> OK_MAP_INFO
 *   RESOURCE_UNMAP_BLOB   remove the sub-region (a new view is published,
 *                         the old one retired through qs_call) and SUSPEND
 *                         the queue ("renderer blocked"). When the old view's
 *                         callback drops the region's last reference, its
 *                         free hook releases the mapping (munmap, or poison)
 *                         and only then answers the unmap     -> OK_NODATA
 *                         and resumes the queue.
 *   RESOURCE_UNREF        release the blob's storage           -> OK_NODATA
 *
 * Blob lifecycle (qs_blob_state, changed only under dev->lock):
 *
 *   UNMAPPED --MAP--> MAPPED --UNMAP--> UNMAPPING --free hook--> FREED
 *       ^                                                          |
 *       +---------- COMPLETED <--- unmap answered, queue resumed --+
 *   (COMPLETED behaves like UNMAPPED: it may be mapped again or unref'd.)
 *
 * Threads: submitters (process at once when nothing waits), the device's
 * queue thread (works through commands that arrived while suspended), and
 * the domain's call worker (runs the free hook). dev->lock is recursive:
 * if the domain cannot queue callbacks, qs_as_del retires the old view on
 * the submitting thread, so the free hook then runs inside the dispatch
 * that holds the lock. Lock order: dev->lock, then the address space's.
 *
 * Flow control: at most queue_cap commands are "in flight" (queued behind
 * an unmap, suspended, or answered into the response ring but not yet
 * polled), so the ring never overflows; qs_gpu_submit returns -EAGAIN
 * beyond that, like a full virtqueue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <quiesce/read.h>

#include "emu_internal.h"

#define BLOB_HASH 256u

typedef struct gpu_blob {
    struct gpu_blob *next;       /* hash chain */
    qs_gpu *dev;
    uint32_t id;
    int32_t state;               /* qs_blob_state */
    uint32_t blob_mem;
    uint32_t blob_flags;
    uint64_t blob_id;
    uint64_t size;
    uint32_t nr_entries;
    uint32_t reserved;
    qs_vgpu_mem_entry *entries;  /* guest backing (recorded, not accessed) */
    int fd;                      /* the storage */
    size_t map_len;              /* size rounded up to pages */
    /* While MAPPED / UNMAPPING: */
    uint64_t map_offset;
    void *map;                   /* the host mapping the region covers */
    /* The suspended unmap (UNMAPPING): */
    qs_vgpu_ctrl_hdr unmap_hdr;
    uint64_t unmap_tag;
    uint64_t unmap_t0;
} gpu_blob;

typedef struct gpu_cmd {
    struct gpu_cmd *next;
    uint64_t tag;
    uint64_t t0;
    uint32_t len;
    uint8_t bytes[];
} gpu_cmd;

typedef struct gpu_resp {
    uint64_t tag;
    uint32_t len;
    uint8_t bytes[QS_VGPU_RESP_MAX];
} gpu_resp;

typedef struct quarantine {
    void *ptr;
    size_t len;
} quarantine;

struct qs_gpu {
    qs_as *as;
    qs_domain *dom;
    qs_gpu_config cfg;
    size_t page;

    pthread_mutex_t lock;        /* recursive; guards everything below */
    pthread_cond_t resp_cond;    /* a response was queued */
    pthread_cond_t bh_cond;      /* the queue may proceed, or stop */
    pthread_t bh_thread;
    int stopping;

    gpu_blob *blobs[BLOB_HASH];
    uint32_t resources;
    uint32_t mapped;
    uint64_t mem_used;

    gpu_blob *blocked;           /* the blob whose unmap suspends the queue */
    uint64_t blocked_since;

    gpu_cmd *backlog_head;       /* commands waiting behind the unmap */
    gpu_cmd *backlog_tail;
    uint32_t backlog;

    gpu_resp *ring;              /* queue_cap responses not yet polled */
    uint32_t ring_head;
    uint32_t ring_count;

    quarantine *quar;            /* poisoned mappings, unmapped at free */
    uint32_t quar_n;
    uint32_t quar_cap;

    qs_gpu_stats st;             /* counters (gauges filled in stats_get) */
    qs_latency lat_cmd;
    qs_latency lat_unmap;
};

int qs_gpu_config_init(qs_gpu_config *cfg)
{
    if (cfg == NULL) {
        return -EINVAL;
    }
    memset(cfg, 0, sizeof(*cfg));
    cfg->window_base = 1ull << 32;
    cfg->window_size = 256ull << 20;
    cfg->mem_limit = 1ull << 30;
    cfg->max_resources = 256;
    cfg->queue_cap = 256;
    cfg->force_on_unmap = 0;
    cfg->poison_on_free = 0;
    return 0;
}

/* ----------------------------------------------------------- helpers */

static gpu_blob *blob_find(qs_gpu *dev, uint32_t id)
{
    for (gpu_blob *b = dev->blobs[id % BLOB_HASH]; b != NULL; b = b->next) {
        if (b->id == id) {
            return b;
        }
    }
    return NULL;
}

static void blob_unlink(qs_gpu *dev, gpu_blob *blob)
{
    gpu_blob **pp = &dev->blobs[blob->id % BLOB_HASH];
    while (*pp != blob) {
        pp = &(*pp)->next;
    }
    *pp = blob->next;
}

static void blob_destroy(gpu_blob *blob)
{
    if (blob->fd >= 0) {
        close(blob->fd);
    }
    free(blob->entries);
    free(blob);
}

static uint32_t in_flight(const qs_gpu *dev)
{
    return dev->backlog + dev->ring_count + (dev->blocked != NULL ? 1u : 0u);
}

/*
 * Answer a command: encode the response, account for it, and either copy
 * it to `direct` (the submitter's buffer) or append it to the ring.
 */
static void respond(qs_gpu *dev, const qs_vgpu_ctrl_hdr *req, uint32_t type, uint32_t map_info,
                    uint64_t tag, uint64_t t0, void *direct, uint32_t *direct_len)
{
    uint8_t buf[QS_VGPU_RESP_MAX];
    int len = qs_vgpu_encode_resp(req, type, map_info, buf, sizeof(buf));
    uint64_t ns = qs_emu_now_ns() - t0;
    qs_latency_record(&dev->lat_cmd, ns);
    dev->st.answered++;
    if (type >= QS_VGPU_RESP_ERR_UNSPEC) {
        dev->st.answered_err++;
    } else {
        dev->st.answered_ok++;
    }
    if (direct != NULL) {
        memcpy(direct, buf, (size_t)len);
        *direct_len = (uint32_t)len;
        return;
    }
    /* Never full: see "Flow control" above. */
    gpu_resp *r = &dev->ring[(dev->ring_head + dev->ring_count) % dev->cfg.queue_cap];
    r->tag = tag;
    r->len = (uint32_t)len;
    memcpy(r->bytes, buf, (size_t)len);
    dev->ring_count++;
    pthread_cond_broadcast(&dev->resp_cond);
}

/* Release a blob's host mapping (lock held). With poison_on_free the pages
 * are replaced in place by private anonymous pages full of poison, kept
 * until qs_gpu_free, so a reader that (wrongly) still used them would
 * read poison instead of faulting or reading reused memory. */
static void mapping_release(qs_gpu *dev, void *map, size_t len)
{
    if (dev->cfg.poison_on_free) {
        if (dev->quar_n == dev->quar_cap) {
            uint32_t cap = dev->quar_cap ? dev->quar_cap * 2 : 16;
            quarantine *q = realloc(dev->quar, cap * sizeof(*q));
            if (q != NULL) {
                dev->quar = q;
                dev->quar_cap = cap;
            }
        }
        if (dev->quar_n < dev->quar_cap) {
            void *p = mmap(map, len, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            if (p == map) {
                memset(p, QS_EMU_POISON_BYTE, len);
                dev->quar[dev->quar_n].ptr = p;
                dev->quar[dev->quar_n].len = len;
                dev->quar_n++;
                return;
            }
        }
    }
    munmap(map, len);
}

/*
 * The blob region's free hook: the last reference is gone, so no view that
 * covers the blob can still be read (the old view's release ran after a
 * grace period). Runs on the call worker (or, see above, inline).
 */
static void blob_region_free(qs_region *region, void *opaque)
{
    gpu_blob *blob = opaque;
    qs_gpu *dev = blob->dev;
    pthread_mutex_lock(&dev->lock);
    mapping_release(dev, qs_region_host(region), blob->map_len);
    blob->map = NULL;
    dev->st.regions_freed++;
    if (blob->state == QS_BLOB_UNMAPPING) {
        blob->state = QS_BLOB_FREED;
        /* The unmap may be answered now, and the queue resume. */
        uint64_t now = qs_emu_now_ns();
        dev->st.blocked_ns += now - dev->blocked_since;
        dev->blocked = NULL;
        dev->mapped--;
        dev->st.unmaps++;
        qs_latency_record(&dev->lat_unmap, now - blob->unmap_t0);
        respond(dev, &blob->unmap_hdr, QS_VGPU_RESP_OK_NODATA, 0, blob->unmap_tag,
                blob->unmap_t0, NULL, NULL);
        blob->state = QS_BLOB_COMPLETED;
        if (dev->backlog > 0) {
            pthread_cond_broadcast(&dev->bh_cond);
        }
    }
    pthread_mutex_unlock(&dev->lock);
}

/* --------------------------------------------------------- commands */

typedef enum dispatch_result {
    DISPATCH_ANSWERED = 0,
    DISPATCH_SUSPENDED = 1
} dispatch_result;

/* Each handler returns a response code, or 0 when it answered (or will
 * answer) by itself. */

static uint32_t cmd_create_blob(qs_gpu *dev, const qs_vgpu_cmd *c)
{
    if (c->resource_id == 0 || blob_find(dev, c->resource_id) != NULL) {
        return QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID;
    }
    if (c->blob_mem < QS_VGPU_BLOB_MEM_GUEST || c->blob_mem > QS_VGPU_BLOB_MEM_HOST3D_GUEST) {
        return QS_VGPU_RESP_ERR_INVALID_PARAMETER;
    }
    const uint32_t known = QS_VGPU_BLOB_FLAG_USE_MAPPABLE | QS_VGPU_BLOB_FLAG_USE_SHAREABLE |
                           QS_VGPU_BLOB_FLAG_USE_CROSS_DEVICE;
    if ((c->blob_flags & ~known) != 0 || c->size == 0) {
        return QS_VGPU_RESP_ERR_INVALID_PARAMETER;
    }
    /* Mem entries back guest-only and default blobs only (5.7.6.8); when
     * given, they must describe exactly `size` bytes. */
    if (c->nr_entries > 0 && c->blob_mem == QS_VGPU_BLOB_MEM_HOST3D) {
        return QS_VGPU_RESP_ERR_INVALID_PARAMETER;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < c->nr_entries; i++) {
        qs_vgpu_mem_entry e;
        qs_vgpu_mem_entry_get(c, i, &e);
        if (e.length == 0 || e.addr + e.length < e.addr) {
            return QS_VGPU_RESP_ERR_INVALID_PARAMETER;
        }
        total += e.length; /* at most 252 * 2^32: no overflow */
    }
    if (c->nr_entries > 0 && total != c->size) {
        return QS_VGPU_RESP_ERR_INVALID_PARAMETER;
    }
    uint64_t map_len = (c->size + dev->page - 1) / dev->page * dev->page;
    if (dev->resources >= dev->cfg.max_resources || map_len < c->size ||
        c->size > dev->cfg.mem_limit - dev->mem_used || map_len > (uint64_t)SIZE_MAX / 2) {
        return QS_VGPU_RESP_ERR_OUT_OF_MEMORY;
    }
    gpu_blob *blob = calloc(1, sizeof(*blob));
    if (blob == NULL) {
        return QS_VGPU_RESP_ERR_OUT_OF_MEMORY;
    }
    blob->fd = -1;
    if (c->nr_entries > 0) {
        blob->entries = calloc(c->nr_entries, sizeof(qs_vgpu_mem_entry));
        if (blob->entries == NULL) {
            blob_destroy(blob);
            return QS_VGPU_RESP_ERR_OUT_OF_MEMORY;
        }
        for (uint32_t i = 0; i < c->nr_entries; i++) {
            qs_vgpu_mem_entry_get(c, i, &blob->entries[i]);
        }
    }
    blob->fd = memfd_create("qs-gpu-blob", MFD_CLOEXEC);
    if (blob->fd < 0 || ftruncate(blob->fd, (off_t)map_len) != 0) {
        blob_destroy(blob);
        return QS_VGPU_RESP_ERR_OUT_OF_MEMORY;
    }
    blob->dev = dev;
    blob->id = c->resource_id;
    blob->state = QS_BLOB_UNMAPPED;
    blob->blob_mem = c->blob_mem;
    blob->blob_flags = c->blob_flags;
    blob->blob_id = c->blob_id;
    blob->size = c->size;
    blob->nr_entries = c->nr_entries;
    blob->map_len = (size_t)map_len;
    blob->next = dev->blobs[blob->id % BLOB_HASH];
    dev->blobs[blob->id % BLOB_HASH] = blob;
    dev->resources++;
    dev->mem_used += blob->size;
    dev->st.creates++;
    return QS_VGPU_RESP_OK_NODATA;
}

static uint32_t cmd_map_blob(qs_gpu *dev, const qs_vgpu_cmd *c)
{
    gpu_blob *blob = blob_find(dev, c->resource_id);
    if (blob == NULL) {
        return QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID;
    }
    if ((blob->blob_flags & QS_VGPU_BLOB_FLAG_USE_MAPPABLE) == 0) {
        return QS_VGPU_RESP_ERR_INVALID_PARAMETER;
    }
    /* "The driver MUST not map a blob resource that is already mapped." */
    if (blob->state != QS_BLOB_UNMAPPED && blob->state != QS_BLOB_COMPLETED) {
        return QS_VGPU_RESP_ERR_INVALID_PARAMETER;
    }
    if (c->offset > dev->cfg.window_size || blob->size > dev->cfg.window_size - c->offset) {
        return QS_VGPU_RESP_ERR_INVALID_PARAMETER;
    }
    uint64_t addr = dev->cfg.window_base + c->offset;
    if (qs_as_overlaps(dev->as, addr, blob->size)) {
        return QS_VGPU_RESP_ERR_INVALID_PARAMETER;
    }
    void *map = mmap(NULL, blob->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, blob->fd, 0);
    if (map == MAP_FAILED) {
        return QS_VGPU_RESP_ERR_OUT_OF_MEMORY;
    }
    qs_region *region;
    if (qs_region_new(map, blob->size, blob_region_free, blob, &region) != 0) {
        munmap(map, blob->map_len);
        return QS_VGPU_RESP_ERR_OUT_OF_MEMORY;
    }
    blob->map = map;
    int rc = qs_as_add(dev->as, addr, region, 0, blob->size);
    /* The address space holds the region now (or, on failure, this unref
     * runs the free hook, which only releases the mapping: the blob is
     * not UNMAPPING). */
    qs_region_unref(region);
    if (rc != 0) {
        return rc == -ENOMEM ? QS_VGPU_RESP_ERR_OUT_OF_MEMORY
               : rc == -EBUSY ? QS_VGPU_RESP_ERR_INVALID_PARAMETER
                              : QS_VGPU_RESP_ERR_UNSPEC;
    }
    blob->state = QS_BLOB_MAPPED;
    blob->map_offset = c->offset;
    dev->mapped++;
    dev->st.maps++;
    return QS_VGPU_RESP_OK_MAP_INFO;
}

static uint32_t cmd_unmap_blob(qs_gpu *dev, const qs_vgpu_cmd *c, uint64_t tag, uint64_t t0)
{
    gpu_blob *blob = blob_find(dev, c->resource_id);
    if (blob == NULL) {
        return QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID;
    }
    if (blob->state != QS_BLOB_MAPPED) {
        return QS_VGPU_RESP_ERR_INVALID_PARAMETER;
    }
    /* Suspend first: with a synchronous retire the free hook runs inside
     * qs_as_del and must find the blob UNMAPPING. */
    blob->state = QS_BLOB_UNMAPPING;
    blob->unmap_hdr = c->hdr;
    blob->unmap_tag = tag;
    blob->unmap_t0 = t0;
    dev->blocked = blob;
    dev->blocked_since = qs_emu_now_ns();
    int rc = qs_as_del(dev->as, dev->cfg.window_base + blob->map_offset);
    if (rc != 0) {
        blob->state = QS_BLOB_MAPPED;
        dev->blocked = NULL;
        return rc == -ENOMEM ? QS_VGPU_RESP_ERR_OUT_OF_MEMORY : QS_VGPU_RESP_ERR_UNSPEC;
    }
    if (dev->cfg.force_on_unmap) {
        /* QEMU's follow-up: cut reclamation short instead of waiting for
         * the normal-state polls. */
        dev->st.forces++;
        qs_force(dev->dom);
    }
    return 0;
}

static uint32_t cmd_unref(qs_gpu *dev, const qs_vgpu_cmd *c)
{
    gpu_blob *blob = blob_find(dev, c->resource_id);
    if (blob == NULL) {
        return QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID;
    }
    if (blob->state != QS_BLOB_UNMAPPED && blob->state != QS_BLOB_COMPLETED) {
        /* Still mapped (or being unmapped): the guest must unmap first. */
        return QS_VGPU_RESP_ERR_INVALID_PARAMETER;
    }
    blob_unlink(dev, blob);
    dev->resources--;
    dev->mem_used -= blob->size;
    dev->st.unrefs++;
    blob_destroy(blob);
    return QS_VGPU_RESP_OK_NODATA;
}

/* Process one command (lock held, queue not suspended). */
static dispatch_result dispatch(qs_gpu *dev, const uint8_t *bytes, uint32_t len, uint64_t tag,
                                uint64_t t0, void *direct, uint32_t *direct_len)
{
    qs_vgpu_cmd c;
    uint32_t code = qs_vgpu_decode(bytes, len, &c);
    const qs_vgpu_ctrl_hdr *hdr = len >= QS_VGPU_SIZE_CTRL_HDR ? &c.hdr : NULL;
    if (code == 0) {
        switch (c.hdr.type) {
        case QS_VGPU_CMD_RESOURCE_CREATE_BLOB:
            code = cmd_create_blob(dev, &c);
            break;
        case QS_VGPU_CMD_RESOURCE_MAP_BLOB:
            code = cmd_map_blob(dev, &c);
            break;
        case QS_VGPU_CMD_RESOURCE_UNMAP_BLOB:
            code = cmd_unmap_blob(dev, &c, tag, t0);
            if (code == 0) {
                return DISPATCH_SUSPENDED;
            }
            break;
        case QS_VGPU_CMD_RESOURCE_UNREF:
            code = cmd_unref(dev, &c);
            break;
        default:
            code = QS_VGPU_RESP_ERR_UNSPEC; /* the decoder admits no others */
            break;
        }
    }
    respond(dev, hdr, code, code == QS_VGPU_RESP_OK_MAP_INFO ? QS_VGPU_MAP_CACHE_CACHED : 0, tag,
            t0, direct, direct_len);
    return DISPATCH_ANSWERED;
}

/* The queue thread: works through commands that arrived while an unmap
 * suspended the queue, once it resumes. */
static void *bh_main(void *arg)
{
    qs_gpu *dev = arg;
    pthread_mutex_lock(&dev->lock);
    while (!dev->stopping) {
        if (dev->blocked == NULL && dev->backlog_head != NULL) {
            gpu_cmd *cmd = dev->backlog_head;
            dev->backlog_head = cmd->next;
            if (dev->backlog_head == NULL) {
                dev->backlog_tail = NULL;
            }
            dev->backlog--;
            dispatch(dev, cmd->bytes, cmd->len, cmd->tag, cmd->t0, NULL, NULL);
            free(cmd);
            continue;
        }
        pthread_cond_wait(&dev->bh_cond, &dev->lock);
    }
    pthread_mutex_unlock(&dev->lock);
    return NULL;
}

/* ------------------------------------------------------------- public */

int qs_gpu_new(qs_as *as, const qs_gpu_config *cfg, qs_gpu **out)
{
    qs_gpu_config def;
    if (cfg == NULL) {
        qs_gpu_config_init(&def);
        cfg = &def;
    }
    if (as == NULL || out == NULL || cfg->window_size == 0 ||
        cfg->window_base + cfg->window_size < cfg->window_base || cfg->max_resources == 0 ||
        cfg->queue_cap == 0 || cfg->queue_cap > (1u << 20)) {
        return -EINVAL;
    }
    if (qs_as_overlaps(as, cfg->window_base, cfg->window_size)) {
        return -EBUSY;
    }
    qs_gpu *dev = calloc(1, sizeof(*dev));
    if (dev == NULL) {
        return -ENOMEM;
    }
    dev->ring = calloc(cfg->queue_cap, sizeof(gpu_resp));
    if (dev->ring == NULL) {
        free(dev);
        return -ENOMEM;
    }
    dev->as = as;
    dev->dom = qs_as_domain(as);
    dev->cfg = *cfg;
    long page = sysconf(_SC_PAGESIZE);
    dev->page = page > 0 ? (size_t)page : 4096;

    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&dev->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&dev->resp_cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&dev->bh_cond, NULL);

    if (pthread_create(&dev->bh_thread, NULL, bh_main, dev) != 0) {
        pthread_cond_destroy(&dev->bh_cond);
        pthread_cond_destroy(&dev->resp_cond);
        pthread_mutex_destroy(&dev->lock);
        free(dev->ring);
        free(dev);
        return -EAGAIN;
    }
    qs_as_attach(as, 1);
    *out = dev;
    return 0;
}

int qs_gpu_free(qs_gpu *dev)
{
    if (dev == NULL) {
        return -EINVAL;
    }
    /* Refuses inside a read section or on the worker; otherwise lets a
     * pending unmap finish. */
    int rc = qs_drain(dev->dom);
    if (rc != 0) {
        return rc;
    }
    pthread_mutex_lock(&dev->lock);
    dev->stopping = 1;
    pthread_cond_broadcast(&dev->bh_cond);
    pthread_mutex_unlock(&dev->lock);
    pthread_join(dev->bh_thread, NULL);

    /* No new commands from here on. Wait out a suspended unmap. */
    for (;;) {
        pthread_mutex_lock(&dev->lock);
        int blocked = dev->blocked != NULL;
        pthread_mutex_unlock(&dev->lock);
        if (!blocked) {
            break;
        }
        qs_drain(dev->dom);
    }
    /* Unmap what is still mapped; the free hooks only release mappings
     * (the blobs are not UNMAPPING). */
    pthread_mutex_lock(&dev->lock);
    for (uint32_t h = 0; h < BLOB_HASH; h++) {
        for (gpu_blob *b = dev->blobs[h]; b != NULL; b = b->next) {
            if (b->state == QS_BLOB_MAPPED) {
                b->state = QS_BLOB_UNMAPPED;
                qs_as_del(dev->as, dev->cfg.window_base + b->map_offset);
            }
        }
    }
    pthread_mutex_unlock(&dev->lock);
    qs_drain(dev->dom);

    for (uint32_t h = 0; h < BLOB_HASH; h++) {
        gpu_blob *b = dev->blobs[h];
        while (b != NULL) {
            gpu_blob *next = b->next;
            blob_destroy(b);
            b = next;
        }
    }
    for (gpu_cmd *c = dev->backlog_head; c != NULL;) {
        gpu_cmd *next = c->next;
        free(c);
        c = next;
    }
    for (uint32_t i = 0; i < dev->quar_n; i++) {
        munmap(dev->quar[i].ptr, dev->quar[i].len);
    }
    free(dev->quar);
    free(dev->ring);
    qs_as_attach(dev->as, -1);
    pthread_cond_destroy(&dev->bh_cond);
    pthread_cond_destroy(&dev->resp_cond);
    pthread_mutex_destroy(&dev->lock);
    free(dev);
    return 0;
}

int qs_gpu_submit(qs_gpu *dev, const void *cmd, uint32_t len, uint64_t tag, void *resp,
                  uint32_t cap, uint32_t *resp_len)
{
    if (dev == NULL || (cmd == NULL && len > 0) ||
        (resp != NULL && (cap < QS_VGPU_RESP_MAX || resp_len == NULL))) {
        return -EINVAL;
    }
    pthread_mutex_lock(&dev->lock);
    if (dev->stopping) {
        pthread_mutex_unlock(&dev->lock);
        return -ESHUTDOWN;
    }
    if (in_flight(dev) >= dev->cfg.queue_cap) {
        pthread_mutex_unlock(&dev->lock);
        return -EAGAIN;
    }
    uint64_t t0 = qs_emu_now_ns();
    if (dev->blocked == NULL && dev->backlog_head == NULL) {
        dev->st.submitted++;
        dispatch_result r = dispatch(dev, cmd, len, tag, t0, resp, resp_len);
        pthread_mutex_unlock(&dev->lock);
        return r == DISPATCH_ANSWERED && resp != NULL ? QS_GPU_DONE : QS_GPU_QUEUED;
    }
    /* Suspended: keep a copy, answered in order once the queue resumes.
     * Oversized commands keep one byte more than the limit, which is all
     * the decoder needs to reject them. */
    uint32_t keep = len > QS_VGPU_CMD_MAX ? QS_VGPU_CMD_MAX + 1 : len;
    gpu_cmd *c = malloc(sizeof(*c) + keep);
    if (c == NULL) {
        pthread_mutex_unlock(&dev->lock);
        return -ENOMEM;
    }
    c->next = NULL;
    c->tag = tag;
    c->t0 = t0;
    c->len = keep;
    if (keep > 0) {
        memcpy(c->bytes, cmd, keep);
    }
    if (dev->backlog_tail != NULL) {
        dev->backlog_tail->next = c;
    } else {
        dev->backlog_head = c;
    }
    dev->backlog_tail = c;
    dev->backlog++;
    dev->st.submitted++;
    dev->st.queued++;
    pthread_mutex_unlock(&dev->lock);
    return QS_GPU_QUEUED;
}

/* Pop the oldest response (lock held, ring not empty). */
static void ring_pop(qs_gpu *dev, uint64_t *tag, void *resp, uint32_t *resp_len)
{
    gpu_resp *r = &dev->ring[dev->ring_head];
    if (tag != NULL) {
        *tag = r->tag;
    }
    memcpy(resp, r->bytes, r->len);
    *resp_len = r->len;
    dev->ring_head = (dev->ring_head + 1) % dev->cfg.queue_cap;
    dev->ring_count--;
}

int qs_gpu_poll(qs_gpu *dev, uint64_t *tag, void *resp, uint32_t cap, uint32_t *resp_len)
{
    if (dev == NULL || resp == NULL || resp_len == NULL || cap < QS_VGPU_RESP_MAX) {
        return -EINVAL;
    }
    pthread_mutex_lock(&dev->lock);
    int rc = -EAGAIN;
    if (dev->ring_count > 0) {
        ring_pop(dev, tag, resp, resp_len);
        rc = 0;
    }
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

int qs_gpu_wait(qs_gpu *dev, uint64_t timeout_ns, uint64_t *tag, void *resp, uint32_t cap,
                uint32_t *resp_len)
{
    if (dev == NULL || resp == NULL || resp_len == NULL || cap < QS_VGPU_RESP_MAX) {
        return -EINVAL;
    }
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    uint64_t ns = (uint64_t)deadline.tv_nsec + timeout_ns % 1000000000ull;
    deadline.tv_sec += (time_t)(timeout_ns / 1000000000ull + ns / 1000000000ull);
    deadline.tv_nsec = (long)(ns % 1000000000ull);
    pthread_mutex_lock(&dev->lock);
    int rc = 0;
    while (dev->ring_count == 0) {
        if (pthread_cond_timedwait(&dev->resp_cond, &dev->lock, &deadline) == ETIMEDOUT) {
            rc = dev->ring_count > 0 ? 0 : -ETIMEDOUT;
            break;
        }
    }
    if (rc == 0) {
        ring_pop(dev, tag, resp, resp_len);
    }
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

uint32_t qs_gpu_pending(qs_gpu *dev)
{
    if (dev == NULL) {
        return 0;
    }
    pthread_mutex_lock(&dev->lock);
    uint32_t n = dev->backlog + (dev->blocked != NULL ? 1u : 0u);
    pthread_mutex_unlock(&dev->lock);
    return n;
}

int32_t qs_gpu_blob_state(qs_gpu *dev, uint32_t resource_id)
{
    if (dev == NULL) {
        return -EINVAL;
    }
    pthread_mutex_lock(&dev->lock);
    gpu_blob *b = blob_find(dev, resource_id);
    int32_t s = b != NULL ? b->state : -ENOENT;
    pthread_mutex_unlock(&dev->lock);
    return s;
}

int qs_gpu_blob_offset(qs_gpu *dev, uint32_t resource_id, uint64_t *offset)
{
    if (dev == NULL || offset == NULL) {
        return -EINVAL;
    }
    pthread_mutex_lock(&dev->lock);
    gpu_blob *b = blob_find(dev, resource_id);
    int rc = b == NULL ? -ENOENT : b->state != QS_BLOB_MAPPED ? -EINVAL : 0;
    if (rc == 0) {
        *offset = b->map_offset;
    }
    pthread_mutex_unlock(&dev->lock);
    return rc;
}

void qs_gpu_stats_get(qs_gpu *dev, qs_gpu_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (dev == NULL) {
        return;
    }
    pthread_mutex_lock(&dev->lock);
    *out = dev->st;
    out->resources = dev->resources;
    out->mapped = dev->mapped;
    out->pending = dev->backlog + (dev->blocked != NULL ? 1u : 0u);
    out->blocked = dev->blocked != NULL;
    out->mem_used = dev->mem_used;
    out->unmap_p50_ns = qs_latency_percentile_ns(&dev->lat_unmap, 50.0);
    out->unmap_p99_ns = qs_latency_percentile_ns(&dev->lat_unmap, 99.0);
    out->unmap_max_ns = dev->lat_unmap.max_ns;
    out->cmd_p50_ns = qs_latency_percentile_ns(&dev->lat_cmd, 50.0);
    out->cmd_p99_ns = qs_latency_percentile_ns(&dev->lat_cmd, 99.0);
    out->cmd_max_ns = dev->lat_cmd.max_ns;
    pthread_mutex_unlock(&dev->lock);
}

int qs_gpu_latency_get(qs_gpu *dev, int32_t kind, qs_latency *out)
{
    if (dev == NULL || out == NULL || (kind != QS_GPU_LAT_CMD && kind != QS_GPU_LAT_UNMAP)) {
        return -EINVAL;
    }
    pthread_mutex_lock(&dev->lock);
    *out = kind == QS_GPU_LAT_CMD ? dev->lat_cmd : dev->lat_unmap;
    pthread_mutex_unlock(&dev->lock);
    return 0;
}

void qs_gpu_latency_reset(qs_gpu *dev)
{
    if (dev == NULL) {
        return;
    }
    pthread_mutex_lock(&dev->lock);
    memset(&dev->lat_cmd, 0, sizeof(dev->lat_cmd));
    memset(&dev->lat_unmap, 0, sizeof(dev->lat_unmap));
    pthread_mutex_unlock(&dev->lock);
}

int qs_emu_stats_get(qs_machine *m, qs_gpu *dev, qs_emu_stats *out)
{
    if (out == NULL || (m == NULL && dev == NULL)) {
        return -EINVAL;
    }
    memset(out, 0, sizeof(*out));
    if (m != NULL) {
        qs_machine_stats_get(m, &out->machine);
    }
    if (dev != NULL) {
        qs_gpu_stats_get(dev, &out->gpu);
    }
    qs_stats_get(m != NULL ? qs_machine_domain(m) : dev->dom, &out->rcu);
    return 0;
}
