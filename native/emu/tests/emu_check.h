/*
 * Helpers for the emulator tests: clocks, sleeps, virtio-gpu command
 * builders. The assertions (CHECK, CHECK_EQ, CHECK_OK) are the core
 * tests' native/tests/check.h.
 */
#ifndef QS_EMU_CHECK_H
#define QS_EMU_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <quiesce/emu.h>
#include <quiesce/virtio_gpu.h>

#include "check.h"

#define MS 1000000ull

static inline uint64_t t_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void t_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ------------------------------------------------ command builders */

typedef struct t_cmd {
    uint8_t bytes[QS_VGPU_CMD_MAX + 64];
    uint32_t len;
} t_cmd;

static inline t_cmd t_create_blob(uint32_t id, uint32_t mem, uint32_t flags, uint64_t size)
{
    t_cmd c;
    qs_vgpu_cmd d;
    memset(&d, 0, sizeof(d));
    d.hdr.type = QS_VGPU_CMD_RESOURCE_CREATE_BLOB;
    d.resource_id = id;
    d.blob_mem = mem;
    d.blob_flags = flags;
    d.size = size;
    int n = qs_vgpu_encode_cmd(&d, NULL, c.bytes, sizeof(c.bytes));
    CHECK(n > 0);
    c.len = (uint32_t)n;
    return c;
}

static inline t_cmd t_host_blob(uint32_t id, uint64_t size)
{
    return t_create_blob(id, QS_VGPU_BLOB_MEM_HOST3D, QS_VGPU_BLOB_FLAG_USE_MAPPABLE, size);
}

static inline t_cmd t_simple(uint32_t type, uint32_t id, uint64_t offset)
{
    t_cmd c;
    qs_vgpu_cmd d;
    memset(&d, 0, sizeof(d));
    d.hdr.type = type;
    d.resource_id = id;
    d.offset = offset;
    int n = qs_vgpu_encode_cmd(&d, NULL, c.bytes, sizeof(c.bytes));
    CHECK(n > 0);
    c.len = (uint32_t)n;
    return c;
}

static inline t_cmd t_map(uint32_t id, uint64_t offset)
{
    return t_simple(QS_VGPU_CMD_RESOURCE_MAP_BLOB, id, offset);
}

static inline t_cmd t_unmap(uint32_t id)
{
    return t_simple(QS_VGPU_CMD_RESOURCE_UNMAP_BLOB, id, 0);
}

static inline t_cmd t_unref(uint32_t id)
{
    return t_simple(QS_VGPU_CMD_RESOURCE_UNREF, id, 0);
}

/* A response's type (and map_info). */
static inline uint32_t t_resp_type(const uint8_t *resp, uint32_t len, uint32_t *map_info)
{
    qs_vgpu_ctrl_hdr h;
    CHECK_OK(qs_vgpu_decode_resp(resp, len, &h, map_info));
    return h.type;
}

/* Submit and return the response type: at once, or after waiting (up to
 * 5 s) for a queued response, which must carry `tag`. */
static inline uint32_t t_exec(qs_gpu *dev, const t_cmd *c, uint64_t tag)
{
    uint8_t resp[QS_VGPU_RESP_MAX];
    uint32_t rlen = 0;
    int rc = qs_gpu_submit(dev, c->bytes, c->len, tag, resp, sizeof(resp), &rlen);
    CHECK(rc == QS_GPU_DONE || rc == QS_GPU_QUEUED);
    if (rc == QS_GPU_QUEUED) {
        uint64_t got = 0;
        CHECK_OK(qs_gpu_wait(dev, 5000 * MS, &got, resp, sizeof(resp), &rlen));
        CHECK_EQ(got, tag);
    }
    return t_resp_type(resp, rlen, NULL);
}

#endif /* QS_EMU_CHECK_H */
