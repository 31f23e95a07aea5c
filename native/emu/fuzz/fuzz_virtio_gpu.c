/*
 * libFuzzer target: the virtio-gpu device (decoder, state machine, unmap
 * through RCU) driven by arbitrary command streams.
 *
 * Input: one config byte, then records
 *     [op: u8][len: u16 le][len bytes]
 * op & 3:  0 submit, response returned at once when possible
 *          1 submit, every response through the ring
 *          2 poll one response (len/bytes ignored, len must still be there)
 *          3 toggle a read section on this thread (topology changes made
 *            inside it must be refused, not deadlock)
 * Config byte: bit 0 force_on_unmap, bit 1 poison_on_free.
 *
 * Checked after every input: every accepted command got exactly one
 * response, in submission order (ring tags strictly increase), each a
 * well-formed response with a code of the spec (5.7.6.7); nothing is
 * left pending; the device frees cleanly (ASan/LSan: no leak, no bad
 * access; the address space ends up empty).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quiesce/emu.h>
#include <quiesce/read.h>

static qs_domain *dom;
static qs_as *as;
static qs_reader *self;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    qs_domain_config cfg;
    qs_domain_config_init(&cfg, QS_POLICY_FQS);
    cfg.params.poll_period_ns = 200000; /* 0.2 ms */
    if (qs_domain_new(&cfg, &dom) != 0 || qs_as_new(dom, &as) != 0 ||
        qs_reader_new(dom, &self) != 0) {
        abort();
    }
    return 0;
}

static void fail(const char *why)
{
    fprintf(stderr, "fuzz_virtio_gpu: %s\n", why);
    abort();
}

static int valid_resp(uint32_t type)
{
    switch (type) {
    case QS_VGPU_RESP_OK_NODATA:
    case QS_VGPU_RESP_OK_MAP_INFO:
    case QS_VGPU_RESP_ERR_UNSPEC:
    case QS_VGPU_RESP_ERR_OUT_OF_MEMORY:
    case QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID:
    case QS_VGPU_RESP_ERR_INVALID_PARAMETER:
        return 1;
    default:
        return 0;
    }
}

typedef struct tally {
    uint64_t accepted;     /* commands submitted successfully */
    uint64_t answered;     /* responses seen (direct + ring) */
    uint64_t last_ring_tag;
} tally;

static void check_resp(const uint8_t *resp, uint32_t len)
{
    qs_vgpu_ctrl_hdr h;
    uint32_t mi = 0;
    if (qs_vgpu_decode_resp(resp, len, &h, &mi) != 0 || !valid_resp(h.type)) {
        fail("malformed response");
    }
    if (h.type == QS_VGPU_RESP_OK_MAP_INFO && (len != 32 || mi != QS_VGPU_MAP_CACHE_CACHED)) {
        fail("bad map info");
    }
    if (h.type != QS_VGPU_RESP_OK_MAP_INFO && len != 24) {
        fail("bad response length");
    }
}

static void ring_got(tally *t, uint64_t tag, const uint8_t *resp, uint32_t len)
{
    check_resp(resp, len);
    if (tag <= t->last_ring_tag) {
        fail("responses out of order");
    }
    t->last_ring_tag = tag;
    t->answered++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    qs_gpu_config cfg;
    qs_gpu_config_init(&cfg);
    cfg.window_base = 1ull << 32;
    cfg.window_size = 1u << 20;
    cfg.mem_limit = 4u << 20;
    cfg.max_resources = 16;
    cfg.queue_cap = 32;
    cfg.force_on_unmap = data[0] & 1;
    cfg.poison_on_free = (data[0] >> 1) & 1;
    qs_gpu *dev;
    if (qs_gpu_new(as, &cfg, &dev) != 0) {
        fail("qs_gpu_new");
    }
    tally t = {0, 0, 0};
    int in_section = 0;
    uint8_t resp[QS_VGPU_RESP_MAX];
    uint32_t rlen;
    uint64_t tag;
    size_t pos = 1;
    while (pos + 3 <= size) {
        uint8_t op = data[pos];
        uint32_t len = (uint32_t)data[pos + 1] | (uint32_t)data[pos + 2] << 8;
        pos += 3;
        if (len > size - pos) {
            len = (uint32_t)(size - pos);
        }
        const uint8_t *cmd = data + pos;
        pos += len;
        switch (op & 3) {
        case 0:
        case 1: {
            uint64_t next = t.accepted + 1;
            int direct = (op & 3) == 0;
            int rc = qs_gpu_submit(dev, cmd, len, next, direct ? resp : NULL,
                                   direct ? sizeof(resp) : 0, direct ? &rlen : NULL);
            if (rc == -EAGAIN) {
                break; /* full: the guest would wait */
            }
            if (rc != QS_GPU_DONE && rc != QS_GPU_QUEUED) {
                fail("submit failed");
            }
            t.accepted++;
            if (rc == QS_GPU_DONE) {
                check_resp(resp, rlen);
                t.answered++;
            }
            break;
        }
        case 2:
            if (qs_gpu_poll(dev, &tag, resp, sizeof(resp), &rlen) == 0) {
                ring_got(&t, tag, resp, rlen);
            }
            break;
        case 3:
            if (in_section) {
                qs_read_unlock(self);
            } else {
                qs_read_lock(self);
            }
            in_section = !in_section;
            break;
        }
    }
    if (in_section) {
        qs_read_unlock(self);
    }
    while (t.answered < t.accepted) {
        if (qs_gpu_wait(dev, 10000000000ull, &tag, resp, sizeof(resp), &rlen) != 0) {
            fail("a command was never answered");
        }
        ring_got(&t, tag, resp, rlen);
    }
    if (qs_gpu_poll(dev, &tag, resp, sizeof(resp), &rlen) != -EAGAIN) {
        fail("more responses than commands");
    }
    if (qs_gpu_pending(dev) != 0) {
        fail("commands left pending");
    }
    if (qs_gpu_free(dev) != 0) {
        fail("qs_gpu_free");
    }
    if (qs_as_count(as) != 0) {
        fail("mappings left behind");
    }
    return 0;
}
