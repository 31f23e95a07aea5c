/*
 * wire: the virtio-gpu decoder/encoder against the byte layouts of the
 * virtio specification v1.2, 5.7.6.7-5.7.6.9.
 *
 *  1. struct sizes and field offsets equal the spec's layouts;
 *  2. the code values equal the spec's enum (spot-checked across ranges);
 *  3. hand-assembled little-endian byte strings decode field by field
 *     (including unaligned buffers), and the encoder reproduces them
 *     byte for byte;
 *  4. framing errors: short, long, oversized, unknown and response-typed
 *     commands, too many mem entries, entry count vs length;
 *  5. responses: fence echo rules, MAP_INFO layout.
 */
#include <stddef.h>

#include "emu_check.h"

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* A header as raw bytes: type, flags, fence_id, ctx_id, ring_idx. */
static void raw_hdr(uint8_t *p, uint32_t type, uint32_t flags, uint64_t fence, uint32_t ctx,
                    uint8_t ring)
{
    memset(p, 0, 24);
    put32(p + 0, type);
    put32(p + 4, flags);
    put64(p + 8, fence);
    put32(p + 16, ctx);
    p[20] = ring;
}

static void test_layouts(void)
{
    CHECK_EQ(sizeof(qs_vgpu_ctrl_hdr), 24);
    CHECK_EQ(offsetof(qs_vgpu_ctrl_hdr, flags), 4);
    CHECK_EQ(offsetof(qs_vgpu_ctrl_hdr, fence_id), 8);
    CHECK_EQ(offsetof(qs_vgpu_ctrl_hdr, ctx_id), 16);
    CHECK_EQ(offsetof(qs_vgpu_ctrl_hdr, ring_idx), 20);
    CHECK_EQ(offsetof(qs_vgpu_ctrl_hdr, padding), 21);
    CHECK_EQ(sizeof(qs_vgpu_mem_entry), 16);
    CHECK_EQ(sizeof(qs_vgpu_resource_unref), 32);
    CHECK_EQ(sizeof(qs_vgpu_resource_create_blob), 56);
    CHECK_EQ(offsetof(qs_vgpu_resource_create_blob, blob_id), 40);
    CHECK_EQ(offsetof(qs_vgpu_resource_create_blob, size), 48);
    CHECK_EQ(sizeof(qs_vgpu_resource_map_blob), 40);
    CHECK_EQ(offsetof(qs_vgpu_resource_map_blob, offset), 32);
    CHECK_EQ(sizeof(qs_vgpu_resp_map_info), 32);
    CHECK_EQ(offsetof(qs_vgpu_resp_map_info, map_info), 24);
    CHECK_EQ(sizeof(qs_vgpu_resource_unmap_blob), 32);
    CHECK_EQ(QS_VGPU_SIZE_CTRL_HDR, 24);
    CHECK_EQ(QS_VGPU_SIZE_RESOURCE_CREATE_BLOB, 56);
    CHECK_EQ(QS_VGPU_SIZE_RESOURCE_MAP_BLOB, 40);
    CHECK_EQ(QS_VGPU_SIZE_RESOURCE_UNMAP_BLOB, 32);
    CHECK_EQ(QS_VGPU_SIZE_RESP_MAP_INFO, 32);
}

static void test_codes(void)
{
    /* 2d commands count up from 0x0100. */
    CHECK_EQ(QS_VGPU_CMD_GET_DISPLAY_INFO, 0x0100);
    CHECK_EQ(QS_VGPU_CMD_RESOURCE_UNREF, 0x0102);
    CHECK_EQ(QS_VGPU_CMD_RESOURCE_ATTACH_BACKING, 0x0106);
    CHECK_EQ(QS_VGPU_CMD_RESOURCE_CREATE_BLOB, 0x010c);
    CHECK_EQ(QS_VGPU_CMD_SET_SCANOUT_BLOB, 0x010d);
    /* 3d commands from 0x0200. */
    CHECK_EQ(QS_VGPU_CMD_CTX_CREATE, 0x0200);
    CHECK_EQ(QS_VGPU_CMD_SUBMIT_3D, 0x0207);
    CHECK_EQ(QS_VGPU_CMD_RESOURCE_MAP_BLOB, 0x0208);
    CHECK_EQ(QS_VGPU_CMD_RESOURCE_UNMAP_BLOB, 0x0209);
    CHECK_EQ(QS_VGPU_CMD_UPDATE_CURSOR, 0x0300);
    CHECK_EQ(QS_VGPU_CMD_MOVE_CURSOR, 0x0301);
    CHECK_EQ(QS_VGPU_RESP_OK_NODATA, 0x1100);
    CHECK_EQ(QS_VGPU_RESP_OK_MAP_INFO, 0x1106);
    CHECK_EQ(QS_VGPU_RESP_ERR_UNSPEC, 0x1200);
    CHECK_EQ(QS_VGPU_RESP_ERR_OUT_OF_MEMORY, 0x1201);
    CHECK_EQ(QS_VGPU_RESP_ERR_INVALID_SCANOUT_ID, 0x1202);
    CHECK_EQ(QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID, 0x1203);
    CHECK_EQ(QS_VGPU_RESP_ERR_INVALID_CONTEXT_ID, 0x1204);
    CHECK_EQ(QS_VGPU_RESP_ERR_INVALID_PARAMETER, 0x1205);
    CHECK_EQ(QS_VGPU_FLAG_FENCE, 1);
    CHECK_EQ(QS_VGPU_FLAG_INFO_RING_IDX, 2);
    CHECK_EQ(QS_VGPU_BLOB_MEM_GUEST, 1);
    CHECK_EQ(QS_VGPU_BLOB_MEM_HOST3D, 2);
    CHECK_EQ(QS_VGPU_BLOB_MEM_HOST3D_GUEST, 3);
    CHECK_EQ(QS_VGPU_BLOB_FLAG_USE_MAPPABLE, 1);
    CHECK_EQ(QS_VGPU_BLOB_FLAG_USE_SHAREABLE, 2);
    CHECK_EQ(QS_VGPU_BLOB_FLAG_USE_CROSS_DEVICE, 4);
    CHECK_EQ(QS_VGPU_MAP_CACHE_CACHED, 1);
    CHECK_EQ(QS_VGPU_MAP_CACHE_WC, 3);
    CHECK(strcmp(qs_vgpu_type_name(0x0208), "RESOURCE_MAP_BLOB") == 0);
    CHECK(strcmp(qs_vgpu_type_name(0x1106), "RESP_OK_MAP_INFO") == 0);
    CHECK(strcmp(qs_vgpu_type_name(0x4242), "UNKNOWN") == 0);
}

static void test_create_blob_bytes(void)
{
    /* Two mem entries; decoded from an odd address to prove alignment
     * independence. */
    uint8_t store[1 + 56 + 32];
    uint8_t *b = store + 1;
    raw_hdr(b, 0x010c, 1, 0x1122334455667788ull, 7, 0);
    put32(b + 24, 42);          /* resource_id */
    put32(b + 28, 1);           /* blob_mem GUEST */
    put32(b + 32, 3);           /* MAPPABLE | SHAREABLE */
    put32(b + 36, 2);           /* nr_entries */
    put64(b + 40, 0xabcdefull); /* blob_id */
    put64(b + 48, 0x3000);      /* size */
    put64(b + 56, 0x100000);    /* entry 0 addr */
    put32(b + 64, 0x1000);      /*         length */
    put32(b + 68, 0);
    put64(b + 72, 0x200000);    /* entry 1 */
    put32(b + 80, 0x2000);
    put32(b + 84, 0);

    qs_vgpu_cmd c;
    CHECK_EQ(qs_vgpu_decode(b, 88, &c), 0);
    CHECK_EQ(c.hdr.type, QS_VGPU_CMD_RESOURCE_CREATE_BLOB);
    CHECK_EQ(c.hdr.flags, QS_VGPU_FLAG_FENCE);
    CHECK(c.hdr.fence_id == 0x1122334455667788ull);
    CHECK_EQ(c.hdr.ctx_id, 7);
    CHECK_EQ(c.resource_id, 42);
    CHECK_EQ(c.blob_mem, QS_VGPU_BLOB_MEM_GUEST);
    CHECK_EQ(c.blob_flags, 3);
    CHECK_EQ(c.nr_entries, 2);
    CHECK_EQ(c.blob_id, 0xabcdef);
    CHECK_EQ(c.size, 0x3000);
    qs_vgpu_mem_entry e;
    CHECK_OK(qs_vgpu_mem_entry_get(&c, 1, &e));
    CHECK_EQ(e.addr, 0x200000);
    CHECK_EQ(e.length, 0x2000);
    CHECK_EQ(qs_vgpu_mem_entry_get(&c, 2, &e), -EINVAL);

    /* The encoder reproduces the bytes. */
    qs_vgpu_mem_entry ents[2] = {{0x100000, 0x1000, 0}, {0x200000, 0x2000, 0}};
    uint8_t out[128];
    CHECK_EQ(qs_vgpu_encode_cmd(&c, ents, out, sizeof(out)), 88);
    CHECK(memcmp(out, b, 88) == 0);
    CHECK_EQ(qs_vgpu_encode_cmd(&c, ents, out, 87), -ENOSPC);
}

static void test_map_unmap_unref_bytes(void)
{
    uint8_t b[64];
    qs_vgpu_cmd c;
    /* MAP_BLOB: resource_id at 24, padding at 28, offset (le64) at 32. */
    raw_hdr(b, 0x0208, 0, 0, 0, 0);
    put32(b + 24, 9);
    put32(b + 28, 0);
    put64(b + 32, 0x0000000100002000ull);
    CHECK_EQ(qs_vgpu_decode(b, 40, &c), 0);
    CHECK_EQ(c.resource_id, 9);
    CHECK(c.offset == 0x0000000100002000ull);
    uint8_t out[64];
    CHECK_EQ(qs_vgpu_encode_cmd(&c, NULL, out, sizeof(out)), 40);
    CHECK(memcmp(out, b, 40) == 0);

    /* UNMAP_BLOB and UNREF: resource_id at 24, 32 bytes. */
    raw_hdr(b, 0x0209, 0, 0, 0, 0);
    put32(b + 24, 0xdeadbeef);
    put32(b + 28, 0);
    CHECK_EQ(qs_vgpu_decode(b, 32, &c), 0);
    CHECK(c.resource_id == 0xdeadbeefu);
    CHECK_EQ(qs_vgpu_encode_cmd(&c, NULL, out, sizeof(out)), 32);
    CHECK(memcmp(out, b, 32) == 0);
    raw_hdr(b, 0x0102, 0, 0, 0, 0);
    CHECK_EQ(qs_vgpu_decode(b, 32, &c), 0);
    CHECK_EQ(c.hdr.type, QS_VGPU_CMD_RESOURCE_UNREF);
    CHECK(c.resource_id == 0xdeadbeefu);
}

static void test_framing_errors(void)
{
    uint8_t b[QS_VGPU_CMD_MAX + 16];
    memset(b, 0, sizeof(b));
    qs_vgpu_cmd c;
    /* Shorter than a header: nothing decoded. */
    raw_hdr(b, 0x0209, 1, 5, 0, 0);
    CHECK_EQ(qs_vgpu_decode(b, 23, &c), QS_VGPU_RESP_ERR_UNSPEC);
    CHECK_EQ(c.hdr.type, 0);
    CHECK_EQ(qs_vgpu_decode(NULL, 0, &c), QS_VGPU_RESP_ERR_UNSPEC);
    /* Header only, body missing: the header is still decoded (fence echo). */
    CHECK_EQ(qs_vgpu_decode(b, 24, &c), QS_VGPU_RESP_ERR_UNSPEC);
    CHECK_EQ(c.hdr.type, 0x0209);
    CHECK_EQ(c.hdr.fence_id, 5);
    /* One byte short / long of each fixed struct. */
    CHECK_EQ(qs_vgpu_decode(b, 31, &c), QS_VGPU_RESP_ERR_UNSPEC);
    CHECK_EQ(qs_vgpu_decode(b, 33, &c), QS_VGPU_RESP_ERR_UNSPEC);
    CHECK_EQ(qs_vgpu_decode(b, 32, &c), 0);
    raw_hdr(b, 0x0208, 0, 0, 0, 0);
    CHECK_EQ(qs_vgpu_decode(b, 39, &c), QS_VGPU_RESP_ERR_UNSPEC);
    CHECK_EQ(qs_vgpu_decode(b, 41, &c), QS_VGPU_RESP_ERR_UNSPEC);
    raw_hdr(b, 0x0102, 0, 0, 0, 0);
    CHECK_EQ(qs_vgpu_decode(b, 24, &c), QS_VGPU_RESP_ERR_UNSPEC);
    /* Oversized. */
    raw_hdr(b, 0x0102, 0, 0, 0, 0);
    CHECK_EQ(qs_vgpu_decode(b, QS_VGPU_CMD_MAX + 1, &c), QS_VGPU_RESP_ERR_UNSPEC);
    /* Unknown, unimplemented, and response codes as commands. */
    raw_hdr(b, 0x4242, 0, 0, 0, 0);
    CHECK_EQ(qs_vgpu_decode(b, 32, &c), QS_VGPU_RESP_ERR_UNSPEC);
    raw_hdr(b, QS_VGPU_CMD_GET_DISPLAY_INFO, 0, 0, 0, 0);
    CHECK_EQ(qs_vgpu_decode(b, 24, &c), QS_VGPU_RESP_ERR_UNSPEC);
    raw_hdr(b, QS_VGPU_RESP_OK_NODATA, 0, 0, 0, 0);
    CHECK_EQ(qs_vgpu_decode(b, 24, &c), QS_VGPU_RESP_ERR_UNSPEC);
    /* CREATE_BLOB: nr_entries must match the length; and be bounded. */
    raw_hdr(b, 0x010c, 0, 0, 0, 0);
    put32(b + 36, 1);
    CHECK_EQ(qs_vgpu_decode(b, 56, &c), QS_VGPU_RESP_ERR_UNSPEC);
    CHECK_EQ(qs_vgpu_decode(b, 72, &c), 0);
    CHECK_EQ(qs_vgpu_decode(b, 73, &c), QS_VGPU_RESP_ERR_UNSPEC);
    put32(b + 36, QS_VGPU_MAX_MEM_ENTRIES + 1);
    CHECK_EQ(qs_vgpu_decode(b, 56, &c), QS_VGPU_RESP_ERR_INVALID_PARAMETER);
    CHECK(c.entries == NULL);
    put32(b + 36, 0xffffffffu);
    CHECK_EQ(qs_vgpu_decode(b, 56, &c), QS_VGPU_RESP_ERR_INVALID_PARAMETER);
    put32(b + 36, QS_VGPU_MAX_MEM_ENTRIES);
    CHECK_EQ(qs_vgpu_decode(b, 56 + 16 * QS_VGPU_MAX_MEM_ENTRIES, &c), 0);
    CHECK_EQ(qs_vgpu_decode(b, 55, &c), QS_VGPU_RESP_ERR_UNSPEC);
    /* The encoder refuses what it cannot express. */
    qs_vgpu_cmd bad;
    memset(&bad, 0, sizeof(bad));
    bad.hdr.type = QS_VGPU_CMD_GET_DISPLAY_INFO;
    CHECK_EQ(qs_vgpu_encode_cmd(&bad, NULL, b, sizeof(b)), -EINVAL);
    bad.hdr.type = QS_VGPU_CMD_RESOURCE_CREATE_BLOB;
    bad.nr_entries = 1;
    CHECK_EQ(qs_vgpu_encode_cmd(&bad, NULL, b, sizeof(b)), -EINVAL);
}

static void test_responses(void)
{
    uint8_t r[64];
    qs_vgpu_ctrl_hdr req;
    memset(&req, 0, sizeof(req));
    req.type = QS_VGPU_CMD_RESOURCE_MAP_BLOB;
    req.flags = QS_VGPU_FLAG_FENCE | QS_VGPU_FLAG_INFO_RING_IDX;
    req.fence_id = 0x0102030405060708ull;
    req.ctx_id = 3;
    req.ring_idx = 17;
    CHECK_EQ(qs_vgpu_encode_resp(&req, QS_VGPU_RESP_OK_MAP_INFO, QS_VGPU_MAP_CACHE_CACHED, r,
                                 sizeof(r)),
             32);
    /* Byte-exact: type 0x1106, flags 3, fence, ctx 3, ring 17, map_info 1. */
    const uint8_t want[32] = {0x06, 0x11, 0, 0, 3, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1,
                              3,    0,    0, 0, 17, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    CHECK(memcmp(r, want, 32) == 0);
    qs_vgpu_ctrl_hdr h;
    uint32_t mi = 99;
    CHECK_OK(qs_vgpu_decode_resp(r, 32, &h, &mi));
    CHECK_EQ(h.type, QS_VGPU_RESP_OK_MAP_INFO);
    CHECK_EQ(mi, 1);
    CHECK_EQ(qs_vgpu_decode_resp(r, 31, &h, &mi), -EINVAL);
    CHECK_EQ(qs_vgpu_encode_resp(&req, QS_VGPU_RESP_OK_MAP_INFO, 1, r, 31), -ENOSPC);

    /* Unfenced request: nothing echoed. */
    req.flags = 0;
    CHECK_EQ(qs_vgpu_encode_resp(&req, QS_VGPU_RESP_ERR_INVALID_PARAMETER, 0, r, sizeof(r)), 24);
    CHECK_OK(qs_vgpu_decode_resp(r, 24, &h, NULL));
    CHECK_EQ(h.type, 0x1205);
    CHECK_EQ(h.flags, 0);
    CHECK_EQ(h.fence_id, 0);
    CHECK_EQ(h.ctx_id, 0);
    /* Fence without ring index: no ring echo. */
    req.flags = QS_VGPU_FLAG_FENCE;
    CHECK_EQ(qs_vgpu_encode_resp(&req, QS_VGPU_RESP_OK_NODATA, 0, r, sizeof(r)), 24);
    CHECK_OK(qs_vgpu_decode_resp(r, 24, &h, NULL));
    CHECK_EQ(h.flags, QS_VGPU_FLAG_FENCE);
    CHECK(h.fence_id == 0x0102030405060708ull);
    CHECK_EQ(h.ring_idx, 0);
    /* No readable request header. */
    CHECK_EQ(qs_vgpu_encode_resp(NULL, QS_VGPU_RESP_ERR_UNSPEC, 0, r, sizeof(r)), 24);
    CHECK_OK(qs_vgpu_decode_resp(r, 24, &h, NULL));
    CHECK_EQ(h.type, 0x1200);
    CHECK_EQ(h.flags, 0);
}

int main(void)
{
    test_layouts();
    test_codes();
    test_create_blob_bytes();
    test_map_unmap_unref_bytes();
    test_framing_errors();
    test_responses();
    printf("wire: ok\n");
    return 0;
}
