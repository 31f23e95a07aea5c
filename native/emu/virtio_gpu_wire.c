/*
 * The virtio-gpu wire decoder/encoder: bytes <-> qs_vgpu_cmd. Pure (no
 * RCU, no allocation), so it is unit-tested and fuzzed on its own.
 *
 * Layouts: virtio v1.2 section 5.7.6.7 (request header), 5.7.6.8
 * (controlq: RESOURCE_UNREF, RESOURCE_CREATE_BLOB, mem entries) and
 * 5.7.6.9 (controlq 3d: RESOURCE_MAP_BLOB, RESOURCE_UNMAP_BLOB,
 * resp_map_info). The asserts below pin our structs to those layouts; the
 * codec itself reads and writes little-endian bytes at those offsets.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <quiesce/virtio_gpu.h>

#include "emu_internal.h"

/* The spec's layouts, byte for byte. */
_Static_assert(sizeof(qs_vgpu_ctrl_hdr) == QS_VGPU_SIZE_CTRL_HDR, "ctrl_hdr is 24 bytes");
_Static_assert(offsetof(qs_vgpu_ctrl_hdr, type) == 0, "hdr.type");
_Static_assert(offsetof(qs_vgpu_ctrl_hdr, flags) == 4, "hdr.flags");
_Static_assert(offsetof(qs_vgpu_ctrl_hdr, fence_id) == 8, "hdr.fence_id");
_Static_assert(offsetof(qs_vgpu_ctrl_hdr, ctx_id) == 16, "hdr.ctx_id");
_Static_assert(offsetof(qs_vgpu_ctrl_hdr, ring_idx) == 20, "hdr.ring_idx");
_Static_assert(sizeof(qs_vgpu_mem_entry) == QS_VGPU_SIZE_MEM_ENTRY, "mem_entry is 16 bytes");
_Static_assert(offsetof(qs_vgpu_mem_entry, length) == 8, "mem_entry.length");
_Static_assert(sizeof(qs_vgpu_resource_unref) == QS_VGPU_SIZE_RESOURCE_UNREF, "unref is 32");
_Static_assert(offsetof(qs_vgpu_resource_unref, resource_id) == 24, "unref.resource_id");
_Static_assert(sizeof(qs_vgpu_resource_create_blob) == QS_VGPU_SIZE_RESOURCE_CREATE_BLOB,
               "create_blob is 56");
_Static_assert(offsetof(qs_vgpu_resource_create_blob, resource_id) == 24, "cb.resource_id");
_Static_assert(offsetof(qs_vgpu_resource_create_blob, blob_mem) == 28, "cb.blob_mem");
_Static_assert(offsetof(qs_vgpu_resource_create_blob, blob_flags) == 32, "cb.blob_flags");
_Static_assert(offsetof(qs_vgpu_resource_create_blob, nr_entries) == 36, "cb.nr_entries");
_Static_assert(offsetof(qs_vgpu_resource_create_blob, blob_id) == 40, "cb.blob_id");
_Static_assert(offsetof(qs_vgpu_resource_create_blob, size) == 48, "cb.size");
_Static_assert(sizeof(qs_vgpu_resource_map_blob) == QS_VGPU_SIZE_RESOURCE_MAP_BLOB, "map is 40");
_Static_assert(offsetof(qs_vgpu_resource_map_blob, resource_id) == 24, "map.resource_id");
_Static_assert(offsetof(qs_vgpu_resource_map_blob, offset) == 32, "map.offset");
_Static_assert(sizeof(qs_vgpu_resp_map_info) == QS_VGPU_SIZE_RESP_MAP_INFO, "map_info is 32");
_Static_assert(offsetof(qs_vgpu_resp_map_info, map_info) == 24, "resp.map_info");
_Static_assert(sizeof(qs_vgpu_resource_unmap_blob) == QS_VGPU_SIZE_RESOURCE_UNMAP_BLOB,
               "unmap is 32");
_Static_assert(offsetof(qs_vgpu_resource_unmap_blob, resource_id) == 24, "unmap.resource_id");
_Static_assert(QS_VGPU_SIZE_RESOURCE_CREATE_BLOB +
                       QS_VGPU_MAX_MEM_ENTRIES * QS_VGPU_SIZE_MEM_ENTRY <= QS_VGPU_CMD_MAX,
               "the largest CREATE_BLOB fits the command limit");

/* ------------------------------------------------ little-endian access */

static uint32_t le32_get(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64_get(const uint8_t *p)
{
    return (uint64_t)le32_get(p) | (uint64_t)le32_get(p + 4) << 32;
}

static void le32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void le64_put(uint8_t *p, uint64_t v)
{
    le32_put(p, (uint32_t)v);
    le32_put(p + 4, (uint32_t)(v >> 32));
}

static void hdr_get(const uint8_t *p, qs_vgpu_ctrl_hdr *h)
{
    memset(h, 0, sizeof(*h));
    h->type = le32_get(p + offsetof(qs_vgpu_ctrl_hdr, type));
    h->flags = le32_get(p + offsetof(qs_vgpu_ctrl_hdr, flags));
    h->fence_id = le64_get(p + offsetof(qs_vgpu_ctrl_hdr, fence_id));
    h->ctx_id = le32_get(p + offsetof(qs_vgpu_ctrl_hdr, ctx_id));
    h->ring_idx = p[offsetof(qs_vgpu_ctrl_hdr, ring_idx)];
}

static void hdr_put(uint8_t *p, const qs_vgpu_ctrl_hdr *h)
{
    memset(p, 0, QS_VGPU_SIZE_CTRL_HDR);
    le32_put(p + offsetof(qs_vgpu_ctrl_hdr, type), h->type);
    le32_put(p + offsetof(qs_vgpu_ctrl_hdr, flags), h->flags);
    le64_put(p + offsetof(qs_vgpu_ctrl_hdr, fence_id), h->fence_id);
    le32_put(p + offsetof(qs_vgpu_ctrl_hdr, ctx_id), h->ctx_id);
    p[offsetof(qs_vgpu_ctrl_hdr, ring_idx)] = h->ring_idx;
}

/* ------------------------------------------------------------- decode */

uint32_t qs_vgpu_decode(const void *buf, uint32_t len, qs_vgpu_cmd *out)
{
    const uint8_t *p = buf;
    memset(out, 0, sizeof(*out));
    if (p == NULL || len < QS_VGPU_SIZE_CTRL_HDR) {
        return QS_VGPU_RESP_ERR_UNSPEC;
    }
    hdr_get(p, &out->hdr);
    if (len > QS_VGPU_CMD_MAX) {
        return QS_VGPU_RESP_ERR_UNSPEC;
    }
    switch (out->hdr.type) {
    case QS_VGPU_CMD_RESOURCE_UNREF:
        if (len != QS_VGPU_SIZE_RESOURCE_UNREF) {
            return QS_VGPU_RESP_ERR_UNSPEC;
        }
        out->resource_id = le32_get(p + offsetof(qs_vgpu_resource_unref, resource_id));
        return 0;
    case QS_VGPU_CMD_RESOURCE_UNMAP_BLOB:
        if (len != QS_VGPU_SIZE_RESOURCE_UNMAP_BLOB) {
            return QS_VGPU_RESP_ERR_UNSPEC;
        }
        out->resource_id = le32_get(p + offsetof(qs_vgpu_resource_unmap_blob, resource_id));
        return 0;
    case QS_VGPU_CMD_RESOURCE_MAP_BLOB:
        if (len != QS_VGPU_SIZE_RESOURCE_MAP_BLOB) {
            return QS_VGPU_RESP_ERR_UNSPEC;
        }
        out->resource_id = le32_get(p + offsetof(qs_vgpu_resource_map_blob, resource_id));
        out->offset = le64_get(p + offsetof(qs_vgpu_resource_map_blob, offset));
        return 0;
    case QS_VGPU_CMD_RESOURCE_CREATE_BLOB: {
        if (len < QS_VGPU_SIZE_RESOURCE_CREATE_BLOB) {
            return QS_VGPU_RESP_ERR_UNSPEC;
        }
        out->resource_id = le32_get(p + offsetof(qs_vgpu_resource_create_blob, resource_id));
        out->blob_mem = le32_get(p + offsetof(qs_vgpu_resource_create_blob, blob_mem));
        out->blob_flags = le32_get(p + offsetof(qs_vgpu_resource_create_blob, blob_flags));
        out->nr_entries = le32_get(p + offsetof(qs_vgpu_resource_create_blob, nr_entries));
        out->blob_id = le64_get(p + offsetof(qs_vgpu_resource_create_blob, blob_id));
        out->size = le64_get(p + offsetof(qs_vgpu_resource_create_blob, size));
        uint32_t code = 0;
        if (out->nr_entries > QS_VGPU_MAX_MEM_ENTRIES) {
            code = QS_VGPU_RESP_ERR_INVALID_PARAMETER;
        } else if ((uint64_t)len != QS_VGPU_SIZE_RESOURCE_CREATE_BLOB +
                                           (uint64_t)out->nr_entries * QS_VGPU_SIZE_MEM_ENTRY) {
            code = QS_VGPU_RESP_ERR_UNSPEC;
        }
        if (code != 0) {
            qs_vgpu_ctrl_hdr h = out->hdr;
            memset(out, 0, sizeof(*out));
            out->hdr = h;
            return code;
        }
        out->entries = out->nr_entries > 0 ? p + QS_VGPU_SIZE_RESOURCE_CREATE_BLOB : NULL;
        return 0;
    }
    default:
        /* Unknown types, the spec's commands this model does not
         * implement, and response codes sent as commands. */
        return QS_VGPU_RESP_ERR_UNSPEC;
    }
}

int qs_vgpu_mem_entry_get(const qs_vgpu_cmd *cmd, uint32_t i, qs_vgpu_mem_entry *out)
{
    if (cmd == NULL || out == NULL || cmd->entries == NULL || i >= cmd->nr_entries) {
        return -EINVAL;
    }
    const uint8_t *e = cmd->entries + (size_t)i * QS_VGPU_SIZE_MEM_ENTRY;
    memset(out, 0, sizeof(*out));
    out->addr = le64_get(e + offsetof(qs_vgpu_mem_entry, addr));
    out->length = le32_get(e + offsetof(qs_vgpu_mem_entry, length));
    out->padding = le32_get(e + offsetof(qs_vgpu_mem_entry, padding));
    return 0;
}

/* ------------------------------------------------------------- encode */

int qs_vgpu_encode_cmd(const qs_vgpu_cmd *cmd, const qs_vgpu_mem_entry *entries,
                       void *buf, uint32_t cap)
{
    if (cmd == NULL || buf == NULL) {
        return -EINVAL;
    }
    uint8_t *p = buf;
    uint32_t len;
    switch (cmd->hdr.type) {
    case QS_VGPU_CMD_RESOURCE_UNREF:
    case QS_VGPU_CMD_RESOURCE_UNMAP_BLOB:
        /* Same layout: header, resource_id, padding. */
        len = QS_VGPU_SIZE_RESOURCE_UNREF;
        if (cap < len) {
            return -ENOSPC;
        }
        memset(p, 0, len);
        hdr_put(p, &cmd->hdr);
        le32_put(p + offsetof(qs_vgpu_resource_unref, resource_id), cmd->resource_id);
        return (int)len;
    case QS_VGPU_CMD_RESOURCE_MAP_BLOB:
        len = QS_VGPU_SIZE_RESOURCE_MAP_BLOB;
        if (cap < len) {
            return -ENOSPC;
        }
        memset(p, 0, len);
        hdr_put(p, &cmd->hdr);
        le32_put(p + offsetof(qs_vgpu_resource_map_blob, resource_id), cmd->resource_id);
        le64_put(p + offsetof(qs_vgpu_resource_map_blob, offset), cmd->offset);
        return (int)len;
    case QS_VGPU_CMD_RESOURCE_CREATE_BLOB:
        if (cmd->nr_entries > QS_VGPU_MAX_MEM_ENTRIES ||
            (cmd->nr_entries > 0 && entries == NULL)) {
            return -EINVAL;
        }
        len = QS_VGPU_SIZE_RESOURCE_CREATE_BLOB + cmd->nr_entries * QS_VGPU_SIZE_MEM_ENTRY;
        if (cap < len) {
            return -ENOSPC;
        }
        memset(p, 0, len);
        hdr_put(p, &cmd->hdr);
        le32_put(p + offsetof(qs_vgpu_resource_create_blob, resource_id), cmd->resource_id);
        le32_put(p + offsetof(qs_vgpu_resource_create_blob, blob_mem), cmd->blob_mem);
        le32_put(p + offsetof(qs_vgpu_resource_create_blob, blob_flags), cmd->blob_flags);
        le32_put(p + offsetof(qs_vgpu_resource_create_blob, nr_entries), cmd->nr_entries);
        le64_put(p + offsetof(qs_vgpu_resource_create_blob, blob_id), cmd->blob_id);
        le64_put(p + offsetof(qs_vgpu_resource_create_blob, size), cmd->size);
        for (uint32_t i = 0; i < cmd->nr_entries; i++) {
            uint8_t *e = p + QS_VGPU_SIZE_RESOURCE_CREATE_BLOB + i * QS_VGPU_SIZE_MEM_ENTRY;
            le64_put(e + offsetof(qs_vgpu_mem_entry, addr), entries[i].addr);
            le32_put(e + offsetof(qs_vgpu_mem_entry, length), entries[i].length);
        }
        return (int)len;
    default:
        return -EINVAL;
    }
}

int qs_vgpu_encode_resp(const qs_vgpu_ctrl_hdr *req, uint32_t resp_type, uint32_t map_info,
                        void *buf, uint32_t cap)
{
    uint32_t len = resp_type == QS_VGPU_RESP_OK_MAP_INFO ? QS_VGPU_SIZE_RESP_MAP_INFO
                                                         : QS_VGPU_SIZE_CTRL_HDR;
    if (buf == NULL || cap < len) {
        return -ENOSPC;
    }
    qs_vgpu_ctrl_hdr h;
    memset(&h, 0, sizeof(h));
    h.type = resp_type;
    if (req != NULL && (req->flags & QS_VGPU_FLAG_FENCE) != 0) {
        /* 5.7.6.7: echo the fence (and its timeline) of a fenced request;
         * the device answers only once processing is complete, which is
         * always the case here. */
        h.flags = QS_VGPU_FLAG_FENCE;
        h.fence_id = req->fence_id;
        h.ctx_id = req->ctx_id;
        if ((req->flags & QS_VGPU_FLAG_INFO_RING_IDX) != 0) {
            h.flags |= QS_VGPU_FLAG_INFO_RING_IDX;
            h.ring_idx = req->ring_idx;
        }
    }
    uint8_t *p = buf;
    memset(p, 0, len);
    hdr_put(p, &h);
    if (resp_type == QS_VGPU_RESP_OK_MAP_INFO) {
        le32_put(p + offsetof(qs_vgpu_resp_map_info, map_info), map_info);
    }
    return (int)len;
}

int qs_vgpu_decode_resp(const void *buf, uint32_t len, qs_vgpu_ctrl_hdr *hdr, uint32_t *map_info)
{
    const uint8_t *p = buf;
    if (p == NULL || hdr == NULL || len < QS_VGPU_SIZE_CTRL_HDR) {
        return -EINVAL;
    }
    hdr_get(p, hdr);
    if (map_info != NULL) {
        *map_info = 0;
    }
    if (hdr->type == QS_VGPU_RESP_OK_MAP_INFO) {
        if (len < QS_VGPU_SIZE_RESP_MAP_INFO) {
            return -EINVAL;
        }
        if (map_info != NULL) {
            *map_info = le32_get(p + offsetof(qs_vgpu_resp_map_info, map_info));
        }
    }
    return 0;
}

const char *qs_vgpu_type_name(uint32_t type)
{
    static const struct {
        uint32_t type;
        const char *name;
    } names[] = {
        {QS_VGPU_CMD_GET_DISPLAY_INFO, "GET_DISPLAY_INFO"},
        {QS_VGPU_CMD_RESOURCE_CREATE_2D, "RESOURCE_CREATE_2D"},
        {QS_VGPU_CMD_RESOURCE_UNREF, "RESOURCE_UNREF"},
        {QS_VGPU_CMD_SET_SCANOUT, "SET_SCANOUT"},
        {QS_VGPU_CMD_RESOURCE_FLUSH, "RESOURCE_FLUSH"},
        {QS_VGPU_CMD_TRANSFER_TO_HOST_2D, "TRANSFER_TO_HOST_2D"},
        {QS_VGPU_CMD_RESOURCE_ATTACH_BACKING, "RESOURCE_ATTACH_BACKING"},
        {QS_VGPU_CMD_RESOURCE_DETACH_BACKING, "RESOURCE_DETACH_BACKING"},
        {QS_VGPU_CMD_GET_CAPSET_INFO, "GET_CAPSET_INFO"},
        {QS_VGPU_CMD_GET_CAPSET, "GET_CAPSET"},
        {QS_VGPU_CMD_GET_EDID, "GET_EDID"},
        {QS_VGPU_CMD_RESOURCE_ASSIGN_UUID, "RESOURCE_ASSIGN_UUID"},
        {QS_VGPU_CMD_RESOURCE_CREATE_BLOB, "RESOURCE_CREATE_BLOB"},
        {QS_VGPU_CMD_SET_SCANOUT_BLOB, "SET_SCANOUT_BLOB"},
        {QS_VGPU_CMD_CTX_CREATE, "CTX_CREATE"},
        {QS_VGPU_CMD_CTX_DESTROY, "CTX_DESTROY"},
        {QS_VGPU_CMD_CTX_ATTACH_RESOURCE, "CTX_ATTACH_RESOURCE"},
        {QS_VGPU_CMD_CTX_DETACH_RESOURCE, "CTX_DETACH_RESOURCE"},
        {QS_VGPU_CMD_RESOURCE_CREATE_3D, "RESOURCE_CREATE_3D"},
        {QS_VGPU_CMD_TRANSFER_TO_HOST_3D, "TRANSFER_TO_HOST_3D"},
        {QS_VGPU_CMD_TRANSFER_FROM_HOST_3D, "TRANSFER_FROM_HOST_3D"},
        {QS_VGPU_CMD_SUBMIT_3D, "SUBMIT_3D"},
        {QS_VGPU_CMD_RESOURCE_MAP_BLOB, "RESOURCE_MAP_BLOB"},
        {QS_VGPU_CMD_RESOURCE_UNMAP_BLOB, "RESOURCE_UNMAP_BLOB"},
        {QS_VGPU_CMD_UPDATE_CURSOR, "UPDATE_CURSOR"},
        {QS_VGPU_CMD_MOVE_CURSOR, "MOVE_CURSOR"},
        {QS_VGPU_RESP_OK_NODATA, "RESP_OK_NODATA"},
        {QS_VGPU_RESP_OK_DISPLAY_INFO, "RESP_OK_DISPLAY_INFO"},
        {QS_VGPU_RESP_OK_CAPSET_INFO, "RESP_OK_CAPSET_INFO"},
        {QS_VGPU_RESP_OK_CAPSET, "RESP_OK_CAPSET"},
        {QS_VGPU_RESP_OK_EDID, "RESP_OK_EDID"},
        {QS_VGPU_RESP_OK_RESOURCE_UUID, "RESP_OK_RESOURCE_UUID"},
        {QS_VGPU_RESP_OK_MAP_INFO, "RESP_OK_MAP_INFO"},
        {QS_VGPU_RESP_ERR_UNSPEC, "RESP_ERR_UNSPEC"},
        {QS_VGPU_RESP_ERR_OUT_OF_MEMORY, "RESP_ERR_OUT_OF_MEMORY"},
        {QS_VGPU_RESP_ERR_INVALID_SCANOUT_ID, "RESP_ERR_INVALID_SCANOUT_ID"},
        {QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID, "RESP_ERR_INVALID_RESOURCE_ID"},
        {QS_VGPU_RESP_ERR_INVALID_CONTEXT_ID, "RESP_ERR_INVALID_CONTEXT_ID"},
        {QS_VGPU_RESP_ERR_INVALID_PARAMETER, "RESP_ERR_INVALID_PARAMETER"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].type == type) {
            return names[i].name;
        }
    }
    return "UNKNOWN";
}
