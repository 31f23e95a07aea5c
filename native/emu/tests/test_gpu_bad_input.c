/*
 * gpu_bad_input: every malformed or misused command gets the
 * specification's error response (virtio v1.2 5.7.6.7: ERR_UNSPEC,
 * ERR_OUT_OF_MEMORY, ERR_INVALID_RESOURCE_ID, ERR_INVALID_PARAMETER), never
 * a crash, and leaves the device, the address space and every blob exactly
 * as they were.
 *
 *  1. table: framing errors, unknown/unimplemented types, bad create
 *     parameters, unknown/reused ids, maps that overlap or fall outside the
 *     window, unmap of an unmapped blob, unref while mapped; state
 *     snapshot compared after each.
 *  2. resource_limit: max_resources and mem_limit give ERR_OUT_OF_MEMORY.
 *  3. double_unmap: the second unmap is ERR_INVALID_PARAMETER.
 *  4. queued_behind_unmap: while an unmap waits for a reader, later
 *     commands (good and bad) are queued, answered only after it, in
 *     order, with the codes they would get after the unmap.
 *  5. flow_control: queue_cap commands in flight -> -EAGAIN, unchanged.
 *  6. api_misuse: argument errors, empty poll, wait timeout, fence echo.
 *  7. no leaks: file descriptors are back to their count (ASan/LSan
 *     covers memory).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>

#include <quiesce/read.h>

#include "emu_check.h"

#define WIN (1u << 20) /* 1 MiB window */
#define BLOB (64u << 10)

static qs_domain *dom;

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != NULL);
    int n = 0;
    while (readdir(d) != NULL) {
        n++;
    }
    closedir(d);
    return n;
}

typedef struct snap {
    qs_gpu_stats st;
    uint32_t as_count;
    uint64_t as_gen;
    int32_t states[4];
} snap;

static snap take(qs_gpu *dev, qs_as *as)
{
    snap s;
    memset(&s, 0, sizeof(s));
    qs_gpu_stats_get(dev, &s.st);
    s.as_count = qs_as_count(as);
    s.as_gen = qs_as_generation(as);
    for (uint32_t id = 0; id < 4; id++) {
        s.states[id] = qs_gpu_blob_state(dev, id);
    }
    return s;
}

static void same(const snap *a, const snap *b)
{
    CHECK_EQ(a->st.resources, b->st.resources);
    CHECK_EQ(a->st.mapped, b->st.mapped);
    CHECK_EQ(a->st.mem_used, b->st.mem_used);
    CHECK_EQ(a->st.pending, b->st.pending);
    CHECK_EQ(a->st.blocked, b->st.blocked);
    CHECK_EQ(a->st.creates, b->st.creates);
    CHECK_EQ(a->st.maps, b->st.maps);
    CHECK_EQ(a->st.unmaps, b->st.unmaps);
    CHECK_EQ(a->st.unrefs, b->st.unrefs);
    CHECK_EQ(a->as_count, b->as_count);
    CHECK_EQ(a->as_gen, b->as_gen);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(a->states[i], b->states[i]);
    }
}

static qs_gpu *new_dev(qs_as *as, uint32_t max_res, uint64_t mem_limit, uint32_t cap)
{
    qs_gpu_config cfg;
    CHECK_OK(qs_gpu_config_init(&cfg));
    cfg.window_base = 1ull << 32;
    cfg.window_size = WIN;
    cfg.max_resources = max_res;
    cfg.mem_limit = mem_limit;
    cfg.queue_cap = cap;
    qs_gpu *dev;
    CHECK_OK(qs_gpu_new(as, &cfg, &dev));
    return dev;
}

/* CREATE_BLOB with explicit entries. */
static t_cmd guest_blob(uint32_t id, uint64_t size, const qs_vgpu_mem_entry *e, uint32_t n)
{
    t_cmd c;
    qs_vgpu_cmd d;
    memset(&d, 0, sizeof(d));
    d.hdr.type = QS_VGPU_CMD_RESOURCE_CREATE_BLOB;
    d.resource_id = id;
    d.blob_mem = QS_VGPU_BLOB_MEM_GUEST;
    d.blob_flags = QS_VGPU_BLOB_FLAG_USE_MAPPABLE;
    d.nr_entries = n;
    d.size = size;
    int len = qs_vgpu_encode_cmd(&d, e, c.bytes, sizeof(c.bytes));
    CHECK(len > 0);
    c.len = (uint32_t)len;
    return c;
}

static t_cmd raw(uint32_t type, uint32_t len)
{
    t_cmd c;
    memset(&c, 0, sizeof(c));
    c.bytes[0] = (uint8_t)type;
    c.bytes[1] = (uint8_t)(type >> 8);
    c.len = len;
    return c;
}

static t_cmd with_len(t_cmd c, uint32_t len)
{
    c.len = len;
    return c;
}

static t_cmd with_entries_field(t_cmd c, uint32_t n)
{
    c.bytes[36] = (uint8_t)n;
    c.bytes[37] = (uint8_t)(n >> 8);
    c.bytes[38] = (uint8_t)(n >> 16);
    c.bytes[39] = (uint8_t)(n >> 24);
    return c;
}

static void test_table(qs_as *as)
{
    qs_gpu *dev = new_dev(as, 16, 1u << 20, 16);
    /* Blob 1 mapped at 0, blob 2 unmapped, blob 3 not mappable. */
    CHECK_EQ(t_exec(dev, &(t_cmd){0}, 0) , QS_VGPU_RESP_ERR_UNSPEC); /* len 0 */
    t_cmd c1 = t_host_blob(1, BLOB), c2 = t_host_blob(2, BLOB);
    t_cmd c3 = t_create_blob(3, QS_VGPU_BLOB_MEM_HOST3D, QS_VGPU_BLOB_FLAG_USE_SHAREABLE, BLOB);
    t_cmd m1 = t_map(1, 0);
    CHECK_EQ(t_exec(dev, &c1, 1), QS_VGPU_RESP_OK_NODATA);
    CHECK_EQ(t_exec(dev, &c2, 2), QS_VGPU_RESP_OK_NODATA);
    CHECK_EQ(t_exec(dev, &c3, 3), QS_VGPU_RESP_OK_NODATA);
    CHECK_EQ(t_exec(dev, &m1, 4), QS_VGPU_RESP_OK_MAP_INFO);

    qs_vgpu_mem_entry two[2] = {{0x1000, 0x1000, 0}, {0x8000, 0x1000, 0}};
    qs_vgpu_mem_entry zero_len[1] = {{0x1000, 0, 0}};
    qs_vgpu_mem_entry wrap[1] = {{UINT64_MAX - 0x10, 0x1000, 0}};
    struct {
        const char *what;
        t_cmd cmd;
        uint32_t want;
    } cases[] = {
        {"short: 23 bytes", raw(QS_VGPU_CMD_RESOURCE_UNREF, 23), QS_VGPU_RESP_ERR_UNSPEC},
        {"header only", raw(QS_VGPU_CMD_RESOURCE_CREATE_BLOB, 24), QS_VGPU_RESP_ERR_UNSPEC},
        {"create one byte short", with_len(t_host_blob(9, BLOB), 55), QS_VGPU_RESP_ERR_UNSPEC},
        {"create one byte long", with_len(t_host_blob(9, BLOB), 57), QS_VGPU_RESP_ERR_UNSPEC},
        {"map one byte long", with_len(t_map(2, 0x80000), 41), QS_VGPU_RESP_ERR_UNSPEC},
        {"unref trailing bytes", with_len(t_unref(2), 64), QS_VGPU_RESP_ERR_UNSPEC},
        {"oversized", with_len(t_unref(2), QS_VGPU_CMD_MAX + 1), QS_VGPU_RESP_ERR_UNSPEC},
        {"unknown type", raw(0x4242, 32), QS_VGPU_RESP_ERR_UNSPEC},
        {"unimplemented GET_DISPLAY_INFO", raw(QS_VGPU_CMD_GET_DISPLAY_INFO, 24),
         QS_VGPU_RESP_ERR_UNSPEC},
        {"unimplemented SUBMIT_3D", raw(QS_VGPU_CMD_SUBMIT_3D, 32), QS_VGPU_RESP_ERR_UNSPEC},
        {"response code as command", raw(QS_VGPU_RESP_OK_NODATA, 24), QS_VGPU_RESP_ERR_UNSPEC},
        {"entries field vs length", with_entries_field(t_host_blob(9, BLOB), 1),
         QS_VGPU_RESP_ERR_UNSPEC},
        {"too many entries", with_entries_field(t_host_blob(9, BLOB), 100000),
         QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"create id 0", t_host_blob(0, BLOB), QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID},
        {"create reused id", t_host_blob(2, BLOB), QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID},
        {"create reused mapped id", t_host_blob(1, BLOB), QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID},
        {"blob_mem 0", t_create_blob(9, 0, 1, BLOB), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"blob_mem 4", t_create_blob(9, 4, 1, BLOB), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"unknown blob flag", t_create_blob(9, 2, 8, BLOB), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"size 0", t_host_blob(9, 0), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"size beyond memory", t_host_blob(9, 1ull << 40), QS_VGPU_RESP_ERR_OUT_OF_MEMORY},
        {"size 2^64-1", t_host_blob(9, UINT64_MAX), QS_VGPU_RESP_ERR_OUT_OF_MEMORY},
        {"host blob with entries",
         ({
             t_cmd g = guest_blob(9, 0x2000, two, 2);
             g.bytes[28] = QS_VGPU_BLOB_MEM_HOST3D;
             g;
         }),
         QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"entries != size", guest_blob(9, 0x3000, two, 2), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"entry of length 0", guest_blob(9, 0x1000, zero_len, 1),
         QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"entry wraps", guest_blob(9, 0x1000, wrap, 1), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"map unknown id", t_map(99, 0x80000), QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID},
        {"map id 0", t_map(0, 0x80000), QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID},
        {"map already mapped", t_map(1, 0x80000), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"map not mappable", t_map(3, 0x80000), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"map overlapping", t_map(2, BLOB - 4096), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"map overlapping start", t_map(2, 0), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"map past window end", t_map(2, WIN - 4096), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"map at window end", t_map(2, WIN), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"map offset wraps", t_map(2, UINT64_MAX - 10), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"unmap unknown id", t_unmap(99), QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID},
        {"unmap never mapped", t_unmap(2), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
        {"unref unknown id", t_unref(99), QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID},
        {"unref while mapped", t_unref(1), QS_VGPU_RESP_ERR_INVALID_PARAMETER},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snap before = take(dev, as);
        uint32_t got = t_exec(dev, &cases[i].cmd, 100 + i);
        if (got != cases[i].want) {
            fprintf(stderr, "case '%s': got %s, want %s\n", cases[i].what,
                    qs_vgpu_type_name(got), qs_vgpu_type_name(cases[i].want));
        }
        CHECK_EQ(got, cases[i].want);
        snap after = take(dev, as);
        same(&before, &after);
    }
    /* A huge buffer is rejected without being read past the limit. */
    size_t huge = 1u << 20;
    uint8_t *big = calloc(1, huge);
    CHECK(big != NULL);
    big[0] = QS_VGPU_CMD_RESOURCE_UNREF & 0xff;
    big[1] = QS_VGPU_CMD_RESOURCE_UNREF >> 8;
    uint8_t resp[QS_VGPU_RESP_MAX];
    uint32_t rlen;
    CHECK_EQ(qs_gpu_submit(dev, big, (uint32_t)huge, 7, resp, sizeof(resp), &rlen), QS_GPU_DONE);
    CHECK_EQ(t_resp_type(resp, rlen, NULL), QS_VGPU_RESP_ERR_UNSPEC);
    free(big);
    /* And the good paths still work afterwards (adjacent maps are fine). */
    t_cmd m2 = t_map(2, BLOB);
    CHECK_EQ(t_exec(dev, &m2, 5), QS_VGPU_RESP_OK_MAP_INFO);
    qs_gpu_stats st;
    qs_gpu_stats_get(dev, &st);
    CHECK_EQ(st.mapped, 2);
    CHECK_EQ(st.creates, 3);
    CHECK(st.answered_err >= sizeof(cases) / sizeof(cases[0]));
    CHECK_OK(qs_gpu_free(dev));
    CHECK_EQ(qs_as_count(as), 0);
}

static void test_resource_limit(qs_as *as)
{
    qs_gpu *dev = new_dev(as, 2, 3 * BLOB, 8);
    t_cmd a = t_host_blob(1, BLOB), b = t_host_blob(2, 2 * BLOB), c = t_host_blob(3, 1);
    CHECK_EQ(t_exec(dev, &a, 1), QS_VGPU_RESP_OK_NODATA);
    t_cmd too_big = t_host_blob(2, 2 * BLOB + 1);
    CHECK_EQ(t_exec(dev, &too_big, 2), QS_VGPU_RESP_ERR_OUT_OF_MEMORY);
    CHECK_EQ(t_exec(dev, &b, 3), QS_VGPU_RESP_OK_NODATA);
    snap before = take(dev, as);
    CHECK_EQ(t_exec(dev, &c, 4), QS_VGPU_RESP_ERR_OUT_OF_MEMORY); /* 3rd resource */
    snap after = take(dev, as);
    same(&before, &after);
    t_cmd u = t_unref(1);
    CHECK_EQ(t_exec(dev, &u, 5), QS_VGPU_RESP_OK_NODATA);
    CHECK_EQ(t_exec(dev, &c, 6), QS_VGPU_RESP_OK_NODATA);
    CHECK_OK(qs_gpu_free(dev));
}

static void test_double_unmap(qs_as *as)
{
    qs_gpu *dev = new_dev(as, 4, 1u << 20, 8);
    t_cmd c = t_host_blob(1, BLOB), m = t_map(1, 0), u = t_unmap(1), r = t_unref(1);
    CHECK_EQ(t_exec(dev, &c, 1), QS_VGPU_RESP_OK_NODATA);
    CHECK_EQ(t_exec(dev, &m, 2), QS_VGPU_RESP_OK_MAP_INFO);
    CHECK_EQ(t_exec(dev, &u, 3), QS_VGPU_RESP_OK_NODATA);
    CHECK_EQ(qs_gpu_blob_state(dev, 1), QS_BLOB_COMPLETED);
    snap before = take(dev, as);
    CHECK_EQ(t_exec(dev, &u, 4), QS_VGPU_RESP_ERR_INVALID_PARAMETER);
    snap after = take(dev, as);
    same(&before, &after);
    /* Map again after completion, unmap, unref: the full cycle. */
    CHECK_EQ(t_exec(dev, &m, 5), QS_VGPU_RESP_OK_MAP_INFO);
    CHECK_EQ(t_exec(dev, &u, 6), QS_VGPU_RESP_OK_NODATA);
    CHECK_EQ(t_exec(dev, &r, 7), QS_VGPU_RESP_OK_NODATA);
    CHECK_EQ(qs_gpu_blob_state(dev, 1), -ENOENT);
    CHECK_OK(qs_gpu_free(dev));
}

/* ------------------------------------------------ queued behind unmap */

typedef struct holder {
    _Atomic int phase; /* 1: inside a section; 2: leave */
} holder;

static void *hold_main(void *p)
{
    holder *h = p;
    qs_reader *rd;
    CHECK_OK(qs_reader_new(dom, &rd));
    qs_read_lock(rd);
    atomic_store(&h->phase, 1);
    while (atomic_load(&h->phase) != 2) {
        t_sleep_ms(1);
    }
    qs_read_unlock(rd);
    CHECK_OK(qs_reader_free(rd));
    return NULL;
}

static void test_queued_behind_unmap(qs_as *as)
{
    qs_gpu *dev = new_dev(as, 8, 1u << 20, 8);
    t_cmd c1 = t_host_blob(1, BLOB), c2 = t_host_blob(2, BLOB), m1 = t_map(1, 0);
    CHECK_EQ(t_exec(dev, &c1, 1), QS_VGPU_RESP_OK_NODATA);
    CHECK_EQ(t_exec(dev, &c2, 2), QS_VGPU_RESP_OK_NODATA);
    CHECK_EQ(t_exec(dev, &m1, 3), QS_VGPU_RESP_OK_MAP_INFO);

    holder h = {0};
    pthread_t th;
    CHECK_OK(pthread_create(&th, NULL, hold_main, &h));
    while (atomic_load(&h.phase) != 1) {
        sched_yield();
    }
    /* The unmap cannot complete while the holder's section lasts. */
    struct {
        t_cmd cmd;
        uint32_t want;
    } seq[] = {
        {t_unmap(1), QS_VGPU_RESP_OK_NODATA},
        {t_map(2, 0), QS_VGPU_RESP_OK_MAP_INFO},   /* same place: free after unmap */
        {t_unref(1), QS_VGPU_RESP_OK_NODATA},      /* fine once unmapped */
        {raw(0x4242, 32), QS_VGPU_RESP_ERR_UNSPEC},
        {t_unmap(1), QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID}, /* gone by then */
        {t_unref(2), QS_VGPU_RESP_ERR_INVALID_PARAMETER},   /* mapped by then */
    };
    const size_t n = sizeof(seq) / sizeof(seq[0]);
    uint8_t resp[QS_VGPU_RESP_MAX];
    uint32_t rlen;
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(qs_gpu_submit(dev, seq[i].cmd.bytes, seq[i].cmd.len, 1000 + i, resp, sizeof(resp),
                               &rlen),
                 QS_GPU_QUEUED);
    }
    CHECK_EQ(qs_gpu_pending(dev), n);
    CHECK_EQ(qs_gpu_blob_state(dev, 1), QS_BLOB_UNMAPPING);
    CHECK_EQ(qs_gpu_blob_state(dev, 2), QS_BLOB_UNMAPPED);
    uint64_t tag;
    CHECK_EQ(qs_gpu_wait(dev, 100 * MS, &tag, resp, sizeof(resp), &rlen), -ETIMEDOUT);
    qs_gpu_stats st;
    qs_gpu_stats_get(dev, &st);
    CHECK_EQ(st.blocked, 1);
    CHECK_EQ(st.queued, n - 1);
    CHECK_EQ(st.regions_freed, 0);

    atomic_store(&h.phase, 2);
    pthread_join(th, NULL);
    for (size_t i = 0; i < n; i++) {
        CHECK_OK(qs_gpu_wait(dev, 5000 * MS, &tag, resp, sizeof(resp), &rlen));
        CHECK_EQ(tag, 1000 + i);
        CHECK_EQ(t_resp_type(resp, rlen, NULL), seq[i].want);
    }
    CHECK_EQ(qs_gpu_pending(dev), 0);
    CHECK_EQ(qs_gpu_blob_state(dev, 1), -ENOENT);
    CHECK_EQ(qs_gpu_blob_state(dev, 2), QS_BLOB_MAPPED);
    CHECK_OK(qs_gpu_free(dev));
}

static void test_flow_control(qs_as *as)
{
    qs_gpu *dev = new_dev(as, 8, 1u << 20, 4);
    t_cmd c1 = t_host_blob(1, BLOB), m1 = t_map(1, 0), u1 = t_unmap(1), bad = raw(0x4242, 32);
    CHECK_EQ(t_exec(dev, &c1, 1), QS_VGPU_RESP_OK_NODATA);
    CHECK_EQ(t_exec(dev, &m1, 2), QS_VGPU_RESP_OK_MAP_INFO);
    holder h = {0};
    pthread_t th;
    CHECK_OK(pthread_create(&th, NULL, hold_main, &h));
    while (atomic_load(&h.phase) != 1) {
        sched_yield();
    }
    CHECK_EQ(qs_gpu_submit(dev, u1.bytes, u1.len, 3, NULL, 0, NULL), QS_GPU_QUEUED);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(qs_gpu_submit(dev, bad.bytes, bad.len, 4 + i, NULL, 0, NULL), QS_GPU_QUEUED);
    }
    snap before = take(dev, as);
    CHECK_EQ(qs_gpu_submit(dev, bad.bytes, bad.len, 9, NULL, 0, NULL), -EAGAIN);
    snap after = take(dev, as);
    same(&before, &after);
    atomic_store(&h.phase, 2);
    pthread_join(th, NULL);
    uint8_t resp[QS_VGPU_RESP_MAX];
    uint32_t rlen;
    uint64_t tag;
    for (int i = 0; i < 4; i++) {
        CHECK_OK(qs_gpu_wait(dev, 5000 * MS, &tag, resp, sizeof(resp), &rlen));
        CHECK_EQ(tag, 3 + i);
    }
    /* Room again. With resp == NULL even immediate answers are queued. */
    CHECK_EQ(qs_gpu_submit(dev, bad.bytes, bad.len, 9, NULL, 0, NULL), QS_GPU_QUEUED);
    CHECK_OK(qs_gpu_poll(dev, &tag, resp, sizeof(resp), &rlen));
    CHECK_EQ(tag, 9);
    CHECK_OK(qs_gpu_free(dev));
}

static void test_api_misuse(qs_as *as)
{
    qs_gpu *dev = new_dev(as, 8, 1u << 20, 4);
    uint8_t resp[QS_VGPU_RESP_MAX];
    uint32_t rlen;
    uint64_t tag;
    t_cmd c = t_host_blob(1, BLOB);
    CHECK_EQ(qs_gpu_submit(NULL, c.bytes, c.len, 1, resp, sizeof(resp), &rlen), -EINVAL);
    CHECK_EQ(qs_gpu_submit(dev, NULL, 8, 1, resp, sizeof(resp), &rlen), -EINVAL);
    CHECK_EQ(qs_gpu_submit(dev, c.bytes, c.len, 1, resp, QS_VGPU_RESP_MAX - 1, &rlen), -EINVAL);
    CHECK_EQ(qs_gpu_submit(dev, c.bytes, c.len, 1, resp, sizeof(resp), NULL), -EINVAL);
    CHECK_EQ(qs_gpu_poll(dev, &tag, resp, sizeof(resp), &rlen), -EAGAIN);
    CHECK_EQ(qs_gpu_poll(dev, &tag, resp, 8, &rlen), -EINVAL);
    CHECK_EQ(qs_gpu_wait(dev, 10 * MS, &tag, resp, sizeof(resp), &rlen), -ETIMEDOUT);
    CHECK_EQ(qs_gpu_blob_state(dev, 1), -ENOENT);
    uint64_t off;
    CHECK_EQ(qs_gpu_blob_offset(dev, 1, &off), -ENOENT);
    CHECK_EQ(qs_gpu_latency_get(dev, 7, &(qs_latency){0}), -EINVAL);
    /* A fenced command gets its fence back (5.7.6.7). */
    c.bytes[4] = QS_VGPU_FLAG_FENCE;
    c.bytes[8] = 0x77;
    c.bytes[16] = 5; /* ctx_id */
    CHECK_EQ(qs_gpu_submit(dev, c.bytes, c.len, 1, resp, sizeof(resp), &rlen), QS_GPU_DONE);
    qs_vgpu_ctrl_hdr h;
    CHECK_OK(qs_vgpu_decode_resp(resp, rlen, &h, NULL));
    CHECK_EQ(h.type, QS_VGPU_RESP_OK_NODATA);
    CHECK_EQ(h.flags, QS_VGPU_FLAG_FENCE);
    CHECK_EQ(h.fence_id, 0x77);
    CHECK_EQ(h.ctx_id, 5);
    CHECK_EQ(qs_gpu_blob_offset(dev, 1, &off), -EINVAL); /* not mapped */
    /* A second device cannot share the window. */
    qs_gpu_config cfg;
    qs_gpu_config_init(&cfg);
    cfg.window_base = 1ull << 32;
    cfg.window_size = WIN;
    t_cmd m = t_map(1, 0x1000);
    CHECK_EQ(t_exec(dev, &m, 2), QS_VGPU_RESP_OK_MAP_INFO);
    CHECK_OK(qs_gpu_blob_offset(dev, 1, &off));
    CHECK_EQ(off, 0x1000);
    qs_gpu *other;
    CHECK_EQ(qs_gpu_new(as, &cfg, &other), -EBUSY);
    cfg.window_size = 0;
    cfg.window_base = 0;
    CHECK_EQ(qs_gpu_new(as, &cfg, &other), -EINVAL);
    CHECK_OK(qs_gpu_free(dev));
    CHECK_EQ(qs_gpu_free(NULL), -EINVAL);
}

int main(void)
{
    int fds = count_fds();
    qs_domain_config cfg;
    CHECK_OK(qs_domain_config_init(&cfg, QS_POLICY_FQS));
    cfg.params.poll_period_ns = 1 * MS;
    CHECK_OK(qs_domain_new(&cfg, &dom));
    qs_as *as;
    CHECK_OK(qs_as_new(dom, &as));
    test_table(as);
    test_resource_limit(as);
    test_double_unmap(as);
    test_queued_behind_unmap(as);
    test_flow_control(as);
    test_api_misuse(as);
    CHECK_EQ(qs_as_count(as), 0);
    CHECK_OK(qs_as_free(as));
    CHECK_OK(qs_domain_free(dom));
    CHECK_EQ(count_fds(), fds);
    printf("gpu_bad_input: ok\n");
    return 0;
}
