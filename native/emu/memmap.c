/*
 * Regions and address spaces: the guest memory map under RCU.
 *
 * A qs_as keeps its topology (sorted, non-overlapping mappings, each
 * holding a reference on its region) under `lock`, the writer mutex.
 * Readers never look at the topology: they load `view`, an immutable
 * flattened copy that holds its own reference on every region it covers.
 * A topology change builds a new view, publishes it, and retires the old
 * one through qs_call; the retire callback drops the old view's region
 * references, so a region removed from the topology is freed (its free
 * hook runs) only after every reader that could have loaded the old view
 * has left its read section.
 *
 * Lock order: a device's own lock, then qs_as.lock. Nothing is called
 * back with qs_as.lock held: old views are retired after it is dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <quiesce/read.h>

#include "emu_internal.h"

struct qs_as {
    qs_domain *dom;
    /*
     * The RCU-protected pointer to the current view. Written only under
     * `lock` with a store-release (publish); read anywhere inside a read
     * section with a load-acquire (qs_as_view_get), so a reader that sees
     * a view sees it fully initialised. (Plain C11 atomics: this is what
     * qs_rcu_publish / qs_rcu_read express.)
     */
    qs_view *_Atomic view;
    pthread_mutex_t lock;       /* writer mutex: topology, generation */
    qs_view_range *topo;        /* sorted by addr; each holds a region ref */
    uint32_t n;
    uint32_t cap;
    uint64_t generation;        /* of the current view */
    _Atomic int attached;       /* devices using this address space */
};

/* ============================================================ regions */

int qs_region_new(void *host, uint64_t size, qs_region_free_fn free_fn, void *opaque,
                  qs_region **out)
{
    if (host == NULL || size == 0 || out == NULL) {
        return -EINVAL;
    }
    qs_region *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        return -ENOMEM;
    }
    atomic_init(&r->refs, 1);
    r->host = host;
    r->size = size;
    r->free_fn = free_fn;
    r->opaque = opaque;
    *out = r;
    return 0;
}

void qs_region_ref(qs_region *r)
{
    /* Relaxed: the caller already holds a reference, so the object is
     * alive and nothing is published by taking another. */
    atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

void qs_region_unref(qs_region *r)
{
    if (r == NULL) {
        return;
    }
    /* acq_rel: every earlier use of the region by other reference holders
     * (release on their unref) happens before the free hook (acquire on
     * the last unref). */
    if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1) {
        if (r->free_fn != NULL) {
            r->free_fn(r, r->opaque);
        }
        free(r);
    }
}

void *qs_region_host(const qs_region *r)
{
    return r->host;
}

uint64_t qs_region_size(const qs_region *r)
{
    return r->size;
}

uint32_t qs_region_refs(const qs_region *r)
{
    return atomic_load_explicit(&((qs_region *)r)->refs, memory_order_relaxed);
}

/* ============================================================== views */

static qs_view *view_alloc(qs_as *as, uint32_t n)
{
    qs_view *v = malloc(sizeof(*v) + (size_t)n * sizeof(qs_view_range));
    if (v != NULL) {
        memset(v, 0, sizeof(*v));
        v->as = as;
        v->n = n;
    }
    return v;
}

/* Drop the view's region references and free it. */
static void view_release(qs_view *v)
{
    for (uint32_t i = 0; i < v->n; i++) {
        qs_region_unref(v->ranges[i].region);
    }
    free(v);
}

/* The qs_call callback: a grace period has passed since the view was
 * unpublished, so no reader still uses it. Runs on the domain's worker;
 * touches only the view and its regions (not v->as, which may be gone). */
static void view_release_cb(qs_head *head)
{
    view_release((qs_view *)(void *)head);
}

_Static_assert(offsetof(qs_view, head) == 0, "the release callback casts the head");

const qs_view *qs_as_view_get(qs_as *as)
{
    /* Acquire: pairs with the store-release in publish(). */
    return atomic_load_explicit(&as->view, memory_order_acquire);
}

const qs_view_range *qs_view_find(const qs_view *v, uint64_t addr)
{
    if (v == NULL) {
        return NULL;
    }
    /* The last range whose start is <= addr. */
    uint32_t lo = 0, hi = v->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v->ranges[mid].addr <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0) {
        return NULL;
    }
    const qs_view_range *r = &v->ranges[lo - 1];
    return addr - r->addr < r->size ? r : NULL;
}

static void view_commit_refs(qs_view *v)
{
    for (uint32_t i = 0; i < v->n; i++) {
        qs_region_ref(v->ranges[i].region);
    }
}

/* Publish `v` (writer mutex held) and return the view it replaces. */
static qs_view *publish(qs_as *as, qs_view *v)
{
    as->generation++;
    v->generation = as->generation;
    qs_view *old = atomic_load_explicit(&as->view, memory_order_relaxed);
    /* Release: the view's contents (and the region refs it took) happen
     * before any reader's acquire load that returns it. */
    atomic_store_explicit(&as->view, v, memory_order_release);
    return old;
}

/* Retire an unpublished view (writer mutex NOT held). */
static void retire(qs_as *as, qs_view *old)
{
    if (old == NULL) {
        return;
    }
    if (qs_call(as->dom, &old->head, view_release_cb) == 0) {
        return;
    }
    /* The domain cannot queue callbacks (worker not startable, or being
     * freed): wait for the grace period here. The callers checked that
     * this thread is not inside a read section, so this cannot deadlock. */
    qs_synchronize(as->dom);
    view_release(old);
}

/* 1 if this thread is inside a read section of `dom`. Tested on ctr, which
 * is non-zero exactly inside a section: depth counts only the levels nested
 * inside the outermost one (read.h), and bindings may leave it 0. We are
 * the owner: a relaxed load sees our own last store. */
static int in_section(qs_domain *dom)
{
    qs_reader *r = qs_reader_self(dom);
    return r != NULL &&
           atomic_load_explicit(QS_ATOMIC_U64(&r->ctr), memory_order_relaxed) != 0;
}

/* ====================================================== address space */

int qs_as_new(qs_domain *dom, qs_as **out)
{
    if (dom == NULL || out == NULL) {
        return -EINVAL;
    }
    qs_as *as = calloc(1, sizeof(*as));
    if (as == NULL) {
        return -ENOMEM;
    }
    qs_view *v = view_alloc(as, 0);
    if (v == NULL) {
        free(as);
        return -ENOMEM;
    }
    as->dom = dom;
    pthread_mutex_init(&as->lock, NULL);
    atomic_init(&as->attached, 0);
    as->generation = 1;
    v->generation = 1;
    atomic_init(&as->view, v);
    *out = as;
    return 0;
}

int qs_as_free(qs_as *as)
{
    if (as == NULL) {
        return -EINVAL;
    }
    /* Also refuses on the worker and inside a read section. Flushes
     * earlier retires, so their free hooks have run when we return. */
    int rc = qs_drain(as->dom);
    if (rc != 0) {
        return rc;
    }
    pthread_mutex_lock(&as->lock);
    qs_view *old = atomic_load_explicit(&as->view, memory_order_relaxed);
    atomic_store_explicit(&as->view, NULL, memory_order_release);
    pthread_mutex_unlock(&as->lock);
    /* Readers that still hold `old` leave their sections before this
     * returns. */
    qs_synchronize(as->dom);
    if (old != NULL) {
        view_release(old);
    }
    for (uint32_t i = 0; i < as->n; i++) {
        qs_region_unref(as->topo[i].region);
    }
    free(as->topo);
    pthread_mutex_destroy(&as->lock);
    free(as);
    return 0;
}

qs_domain *qs_as_domain(const qs_as *as)
{
    return as->dom;
}

/* Index of the first mapping that ends after `addr` (writer mutex). */
static uint32_t topo_lower(const qs_as *as, uint64_t addr)
{
    uint32_t lo = 0, hi = as->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const qs_view_range *r = &as->topo[mid];
        if (r->addr + r->size <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static int topo_overlaps(const qs_as *as, uint64_t addr, uint64_t size)
{
    uint32_t i = topo_lower(as, addr);
    /* topo[i] ends after addr; it overlaps iff it starts before our end. */
    return i < as->n && as->topo[i].addr < addr + size;
}

int qs_as_overlaps(qs_as *as, uint64_t addr, uint64_t size)
{
    pthread_mutex_lock(&as->lock);
    int r = topo_overlaps(as, addr, size);
    pthread_mutex_unlock(&as->lock);
    return r;
}

int qs_as_add(qs_as *as, uint64_t addr, qs_region *region, uint64_t offset, uint64_t size)
{
    /* The range must end at or below 2^64 - 1 (no wrap). */
    if (as == NULL || region == NULL || size == 0 || addr + size < addr) {
        return -EINVAL;
    }
    if (offset > region->size || size > region->size - offset) {
        return -ERANGE;
    }
    if (in_section(as->dom)) {
        return -EDEADLK;
    }
    pthread_mutex_lock(&as->lock);
    if (topo_overlaps(as, addr, size)) {
        pthread_mutex_unlock(&as->lock);
        return -EBUSY;
    }
    if (as->n == as->cap) {
        uint32_t cap = as->cap ? as->cap * 2 : 8;
        qs_view_range *t = realloc(as->topo, (size_t)cap * sizeof(*t));
        if (t == NULL) {
            pthread_mutex_unlock(&as->lock);
            return -ENOMEM;
        }
        as->topo = t;
        as->cap = cap;
    }
    qs_view *v = view_alloc(as, as->n + 1);
    if (v == NULL) {
        pthread_mutex_unlock(&as->lock);
        return -ENOMEM;
    }
    /* Commit: nothing below can fail. */
    uint32_t at = topo_lower(as, addr);
    memmove(&as->topo[at + 1], &as->topo[at], (size_t)(as->n - at) * sizeof(qs_view_range));
    qs_view_range *m = &as->topo[at];
    m->addr = addr;
    m->size = size;
    m->offset = offset;
    m->host = (uint8_t *)region->host + offset;
    m->region = region;
    qs_region_ref(region); /* the topology's reference */
    as->n++;
    memcpy(v->ranges, as->topo, (size_t)as->n * sizeof(qs_view_range));
    view_commit_refs(v);
    qs_view *old = publish(as, v);
    pthread_mutex_unlock(&as->lock);
    retire(as, old);
    return 0;
}

int qs_as_del(qs_as *as, uint64_t addr)
{
    if (as == NULL) {
        return -EINVAL;
    }
    if (in_section(as->dom)) {
        return -EDEADLK;
    }
    pthread_mutex_lock(&as->lock);
    uint32_t at = topo_lower(as, addr);
    if (at >= as->n || as->topo[at].addr != addr) {
        pthread_mutex_unlock(&as->lock);
        return -ENOENT;
    }
    qs_view *v = view_alloc(as, as->n - 1);
    if (v == NULL) {
        pthread_mutex_unlock(&as->lock);
        return -ENOMEM;
    }
    /* Commit. The topology's reference moves to the old view's release:
     * dropping it now is safe because the old view holds its own. */
    qs_region *gone = as->topo[at].region;
    memmove(&as->topo[at], &as->topo[at + 1], (size_t)(as->n - at - 1) * sizeof(qs_view_range));
    as->n--;
    if (as->n > 0) {
        memcpy(v->ranges, as->topo, (size_t)as->n * sizeof(qs_view_range));
    }
    view_commit_refs(v);
    qs_view *old = publish(as, v);
    pthread_mutex_unlock(&as->lock);
    /* Not the last reference: `old` still covers the region. */
    qs_region_unref(gone);
    retire(as, old);
    return 0;
}

uint64_t qs_as_generation(const qs_as *as)
{
    qs_as *w = (qs_as *)as;
    pthread_mutex_lock(&w->lock);
    uint64_t g = w->generation;
    pthread_mutex_unlock(&w->lock);
    return g;
}

uint32_t qs_as_count(const qs_as *as)
{
    qs_as *w = (qs_as *)as;
    pthread_mutex_lock(&w->lock);
    uint32_t n = w->n;
    pthread_mutex_unlock(&w->lock);
    return n;
}

void qs_as_attach(qs_as *as, int delta)
{
    atomic_fetch_add(&as->attached, delta);
}

int qs_as_attached(qs_as *as)
{
    return atomic_load(&as->attached);
}

/* ========================================================= read side */

int qs_as_translate(qs_as *as, uint64_t addr, qs_translation *out)
{
    if (as == NULL || out == NULL) {
        return -EINVAL;
    }
    const qs_view *v = qs_as_view_get(as);
    const qs_view_range *r = qs_view_find(v, addr);
    if (r == NULL) {
        return -EFAULT;
    }
    uint64_t off = addr - r->addr;
    out->region = r->region;
    out->host = r->host + off;
    out->offset = r->offset + off;
    out->avail = r->size - off;
    out->generation = v->generation;
    return 0;
}

/*
 * Guest memory is shared with vCPU threads that access it concurrently
 * (as a guest would); copies go through relaxed atomics so they are
 * well-defined races, not undefined ones. 8-byte words when aligned.
 */
static void guest_copy(uint8_t *dst, const uint8_t *src, uint64_t len, int to_guest)
{
    while (len > 0) {
        if (len >= 8 && ((uintptr_t)dst & 7) == 0 && ((uintptr_t)src & 7) == 0) {
            uint64_t w;
            if (to_guest) {
                memcpy(&w, src, 8);
                atomic_store_explicit((_Atomic uint64_t *)(void *)dst, w, memory_order_relaxed);
            } else {
                w = atomic_load_explicit((_Atomic uint64_t *)(void *)src, memory_order_relaxed);
                memcpy(dst, &w, 8);
            }
            dst += 8;
            src += 8;
            len -= 8;
        } else {
            if (to_guest) {
                atomic_store_explicit((_Atomic uint8_t *)dst, *src, memory_order_relaxed);
            } else {
                *dst = atomic_load_explicit((_Atomic uint8_t *)src, memory_order_relaxed);
            }
            dst++;
            src++;
            len--;
        }
    }
}

/* Copy between `buf` and guest [addr, addr + len) through one view. */
static int as_rw(qs_as *as, uint64_t addr, uint8_t *buf, uint64_t len, int to_guest)
{
    if (as == NULL || (buf == NULL && len > 0) || addr + len < addr) {
        return -EINVAL;
    }
    const qs_view *v = qs_as_view_get(as);
    /* Pass 1: every byte must be assigned (nothing is copied otherwise). */
    for (uint64_t a = addr, left = len; left > 0;) {
        const qs_view_range *r = qs_view_find(v, a);
        if (r == NULL) {
            return -EFAULT;
        }
        uint64_t chunk = r->size - (a - r->addr);
        chunk = chunk < left ? chunk : left;
        a += chunk;
        left -= chunk;
    }
    /* Pass 2: copy, through the same view. */
    for (uint64_t a = addr, left = len; left > 0;) {
        const qs_view_range *r = qs_view_find(v, a);
        uint64_t off = a - r->addr;
        uint64_t chunk = r->size - off;
        chunk = chunk < left ? chunk : left;
        if (to_guest) {
            guest_copy(r->host + off, buf, chunk, 1);
        } else {
            guest_copy(buf, r->host + off, chunk, 0);
        }
        buf += chunk;
        a += chunk;
        left -= chunk;
    }
    return 0;
}

int qs_as_read(qs_as *as, uint64_t addr, void *buf, uint64_t len)
{
    return as_rw(as, addr, buf, len, 0);
}

int qs_as_write(qs_as *as, uint64_t addr, const void *buf, uint64_t len)
{
    return as_rw(as, addr, (uint8_t *)buf, len, 1);
}
