/*
 * quiesce — the virtio-gpu wire format (the subset the emulator model
 * speaks) and a pure decoder/encoder for it.
 *
 * Source of every code, value and layout below: the virtio specification
 * (OASIS, v1.2), section 5.7 "GPU Device":
 *   5.7.6.7 "Device Operation: Request header"  (enum virtio_gpu_ctrl_type,
 *           struct virtio_gpu_ctrl_hdr, VIRTIO_GPU_FLAG_*),
 *   5.7.6.8 "Device Operation: controlq"        (RESOURCE_UNREF,
 *           RESOURCE_CREATE_BLOB, struct virtio_gpu_mem_entry,
 *           VIRTIO_GPU_BLOB_MEM_*, VIRTIO_GPU_BLOB_FLAG_*),
 *   5.7.6.9 "Device Operation: controlq (3d)"   (RESOURCE_MAP_BLOB,
 *           RESOURCE_UNMAP_BLOB, struct virtio_gpu_resp_map_info,
 *           VIRTIO_GPU_MAP_CACHE_*).
 * (Section numbers as in v1.2; the titles are those of the spec source
 * device-types/gpu/description.tex.)
 *
 * All multi-byte fields are little-endian on the wire. The structs below
 * describe the byte layout (their sizes and offsets are asserted against
 * the spec in native/emu/virtio_gpu_wire.c and the decoder tests); the
 * decoder never casts a buffer to them, it reads fields byte by byte, so
 * it works on any host and any alignment.
 *
 * Our names carry a qs_ / QS_ prefix so this header can coexist with
 * <linux/virtio_gpu.h>.
 *
 * Read by jextract: no static inline functions, no function-like macros.
 */
#ifndef QUIESCE_VIRTIO_GPU_H
#define QUIESCE_VIRTIO_GPU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* enum virtio_gpu_ctrl_type (5.7.6.7), every value of the spec. */
typedef enum qs_vgpu_ctrl_type {
    /* 2d commands */
    QS_VGPU_CMD_GET_DISPLAY_INFO = 0x0100,
    QS_VGPU_CMD_RESOURCE_CREATE_2D = 0x0101,
    QS_VGPU_CMD_RESOURCE_UNREF = 0x0102,
    QS_VGPU_CMD_SET_SCANOUT = 0x0103,
    QS_VGPU_CMD_RESOURCE_FLUSH = 0x0104,
    QS_VGPU_CMD_TRANSFER_TO_HOST_2D = 0x0105,
    QS_VGPU_CMD_RESOURCE_ATTACH_BACKING = 0x0106,
    QS_VGPU_CMD_RESOURCE_DETACH_BACKING = 0x0107,
    QS_VGPU_CMD_GET_CAPSET_INFO = 0x0108,
    QS_VGPU_CMD_GET_CAPSET = 0x0109,
    QS_VGPU_CMD_GET_EDID = 0x010a,
    QS_VGPU_CMD_RESOURCE_ASSIGN_UUID = 0x010b,
    QS_VGPU_CMD_RESOURCE_CREATE_BLOB = 0x010c,
    QS_VGPU_CMD_SET_SCANOUT_BLOB = 0x010d,
    /* 3d commands */
    QS_VGPU_CMD_CTX_CREATE = 0x0200,
    QS_VGPU_CMD_CTX_DESTROY = 0x0201,
    QS_VGPU_CMD_CTX_ATTACH_RESOURCE = 0x0202,
    QS_VGPU_CMD_CTX_DETACH_RESOURCE = 0x0203,
    QS_VGPU_CMD_RESOURCE_CREATE_3D = 0x0204,
    QS_VGPU_CMD_TRANSFER_TO_HOST_3D = 0x0205,
    QS_VGPU_CMD_TRANSFER_FROM_HOST_3D = 0x0206,
    QS_VGPU_CMD_SUBMIT_3D = 0x0207,
    QS_VGPU_CMD_RESOURCE_MAP_BLOB = 0x0208,
    QS_VGPU_CMD_RESOURCE_UNMAP_BLOB = 0x0209,
    /* cursor commands */
    QS_VGPU_CMD_UPDATE_CURSOR = 0x0300,
    QS_VGPU_CMD_MOVE_CURSOR = 0x0301,
    /* success responses */
    QS_VGPU_RESP_OK_NODATA = 0x1100,
    QS_VGPU_RESP_OK_DISPLAY_INFO = 0x1101,
    QS_VGPU_RESP_OK_CAPSET_INFO = 0x1102,
    QS_VGPU_RESP_OK_CAPSET = 0x1103,
    QS_VGPU_RESP_OK_EDID = 0x1104,
    QS_VGPU_RESP_OK_RESOURCE_UUID = 0x1105,
    QS_VGPU_RESP_OK_MAP_INFO = 0x1106,
    /* error responses */
    QS_VGPU_RESP_ERR_UNSPEC = 0x1200,
    QS_VGPU_RESP_ERR_OUT_OF_MEMORY = 0x1201,
    QS_VGPU_RESP_ERR_INVALID_SCANOUT_ID = 0x1202,
    QS_VGPU_RESP_ERR_INVALID_RESOURCE_ID = 0x1203,
    QS_VGPU_RESP_ERR_INVALID_CONTEXT_ID = 0x1204,
    QS_VGPU_RESP_ERR_INVALID_PARAMETER = 0x1205
} qs_vgpu_ctrl_type;

/* Header flags (5.7.6.7). */
typedef enum qs_vgpu_hdr_flag {
    QS_VGPU_FLAG_FENCE = 1 << 0,
    QS_VGPU_FLAG_INFO_RING_IDX = 1 << 1
} qs_vgpu_hdr_flag;

/* blob_mem values (5.7.6.8, RESOURCE_CREATE_BLOB). Zero is invalid. */
typedef enum qs_vgpu_blob_mem {
    QS_VGPU_BLOB_MEM_GUEST = 0x0001,
    QS_VGPU_BLOB_MEM_HOST3D = 0x0002,
    QS_VGPU_BLOB_MEM_HOST3D_GUEST = 0x0003
} qs_vgpu_blob_mem;

/* blob_flags bits (5.7.6.8). */
typedef enum qs_vgpu_blob_flag {
    QS_VGPU_BLOB_FLAG_USE_MAPPABLE = 0x0001,
    QS_VGPU_BLOB_FLAG_USE_SHAREABLE = 0x0002,
    QS_VGPU_BLOB_FLAG_USE_CROSS_DEVICE = 0x0004
} qs_vgpu_blob_flag;

/* map_info values of the MAP_BLOB response (5.7.6.9). */
typedef enum qs_vgpu_map_cache {
    QS_VGPU_MAP_CACHE_MASK = 0x0f,
    QS_VGPU_MAP_CACHE_NONE = 0x00,
    QS_VGPU_MAP_CACHE_CACHED = 0x01,
    QS_VGPU_MAP_CACHE_UNCACHED = 0x02,
    QS_VGPU_MAP_CACHE_WC = 0x03
} qs_vgpu_map_cache;

/* ------------------------------------------------ wire layouts (LE) */

/* struct virtio_gpu_ctrl_hdr (5.7.6.7): 24 bytes. */
typedef struct qs_vgpu_ctrl_hdr {
    uint32_t type;        /* le32: a qs_vgpu_ctrl_type */
    uint32_t flags;       /* le32: qs_vgpu_hdr_flag bits */
    uint64_t fence_id;    /* le64 */
    uint32_t ctx_id;      /* le32 */
    uint8_t ring_idx;     /* u8, 0..63, valid with FLAG_INFO_RING_IDX */
    uint8_t padding[3];
} qs_vgpu_ctrl_hdr;

/* struct virtio_gpu_mem_entry (5.7.6.8): 16 bytes. */
typedef struct qs_vgpu_mem_entry {
    uint64_t addr;        /* le64 */
    uint32_t length;      /* le32 */
    uint32_t padding;
} qs_vgpu_mem_entry;

/* struct virtio_gpu_resource_unref (5.7.6.8): 32 bytes. */
typedef struct qs_vgpu_resource_unref {
    qs_vgpu_ctrl_hdr hdr;
    uint32_t resource_id; /* le32 */
    uint32_t padding;
} qs_vgpu_resource_unref;

/* struct virtio_gpu_resource_create_blob (5.7.6.8): 56 bytes, followed by
 * nr_entries struct virtio_gpu_mem_entry. */
typedef struct qs_vgpu_resource_create_blob {
    qs_vgpu_ctrl_hdr hdr;
    uint32_t resource_id; /* le32 */
    uint32_t blob_mem;    /* le32: a qs_vgpu_blob_mem */
    uint32_t blob_flags;  /* le32: qs_vgpu_blob_flag bits */
    uint32_t nr_entries;  /* le32 */
    uint64_t blob_id;     /* le64 */
    uint64_t size;        /* le64 */
} qs_vgpu_resource_create_blob;

/* struct virtio_gpu_resource_map_blob (5.7.6.9): 40 bytes. */
typedef struct qs_vgpu_resource_map_blob {
    qs_vgpu_ctrl_hdr hdr;
    uint32_t resource_id; /* le32 */
    uint32_t padding;
    uint64_t offset;      /* le64: offset in the host visible region */
} qs_vgpu_resource_map_blob;

/* struct virtio_gpu_resp_map_info (5.7.6.9): 32 bytes. */
typedef struct qs_vgpu_resp_map_info {
    qs_vgpu_ctrl_hdr hdr;
    uint32_t map_info;    /* u32: a qs_vgpu_map_cache */
    uint32_t padding;
} qs_vgpu_resp_map_info;

/* struct virtio_gpu_resource_unmap_blob (5.7.6.9): 32 bytes. */
typedef struct qs_vgpu_resource_unmap_blob {
    qs_vgpu_ctrl_hdr hdr;
    uint32_t resource_id; /* le32 */
    uint32_t padding;
} qs_vgpu_resource_unmap_blob;

/* Wire sizes, as the spec's layouts give them. */
typedef enum qs_vgpu_wire_size {
    QS_VGPU_SIZE_CTRL_HDR = 24,
    QS_VGPU_SIZE_MEM_ENTRY = 16,
    QS_VGPU_SIZE_RESOURCE_UNREF = 32,
    QS_VGPU_SIZE_RESOURCE_CREATE_BLOB = 56,
    QS_VGPU_SIZE_RESOURCE_MAP_BLOB = 40,
    QS_VGPU_SIZE_RESP_MAP_INFO = 32,
    QS_VGPU_SIZE_RESOURCE_UNMAP_BLOB = 32
} qs_vgpu_wire_size;

/* ------------------------------------------------- decoder / encoder */

/* Limits of this device model (not of the spec). */
typedef enum qs_vgpu_limit {
    /* Longest command the device accepts; longer ones are answered
     * ERR_UNSPEC without being looked at beyond the header. */
    QS_VGPU_CMD_MAX = 4096,
    /* Most mem entries a RESOURCE_CREATE_BLOB may carry here (fits in
     * QS_VGPU_CMD_MAX: 56 + 252 * 16 = 4088). */
    QS_VGPU_MAX_MEM_ENTRIES = 252,
    /* Longest response the device produces (MAP_INFO); response buffers
     * handed to the device must hold at least this much. */
    QS_VGPU_RESP_MAX = 32
} qs_vgpu_limit;

/*
 * One decoded command, host byte order. Fields that the command type does
 * not carry are zero. `entries` points into the caller's buffer at the
 * first raw (little-endian) mem entry of a CREATE_BLOB, or is NULL; read
 * entry i with qs_vgpu_mem_entry_get.
 */
typedef struct qs_vgpu_cmd {
    qs_vgpu_ctrl_hdr hdr;   /* padding zeroed */
    uint32_t resource_id;
    uint32_t blob_mem;
    uint32_t blob_flags;
    uint32_t nr_entries;
    uint64_t blob_id;
    uint64_t size;
    uint64_t offset;
    const uint8_t *entries;
} qs_vgpu_cmd;

/*
 * Decode `len` bytes at `buf`. Returns 0 when the command is well formed
 * and of a type this device implements (CREATE_BLOB, MAP_BLOB,
 * UNMAP_BLOB, RESOURCE_UNREF), else the error response code to send:
 *   - shorter than the header, shorter or longer than the command's
 *     struct (plus nr_entries * 16 for CREATE_BLOB), longer than
 *     QS_VGPU_CMD_MAX, an unknown or unimplemented type, a response code
 *     as a command: QS_VGPU_RESP_ERR_UNSPEC;
 *   - CREATE_BLOB with nr_entries > QS_VGPU_MAX_MEM_ENTRIES:
 *     QS_VGPU_RESP_ERR_INVALID_PARAMETER.
 * The header is decoded into out->hdr whenever len >= 24 (so an error
 * response can still echo the fence), else out->hdr is zero.
 * Pure: no allocation, no global state.
 */
uint32_t qs_vgpu_decode(const void *buf, uint32_t len, qs_vgpu_cmd *out);

/* Entry i (< cmd->nr_entries) of a decoded CREATE_BLOB. Returns 0 or
 * -EINVAL. */
int qs_vgpu_mem_entry_get(const qs_vgpu_cmd *cmd, uint32_t i, qs_vgpu_mem_entry *out);

/*
 * Encode `cmd` (by cmd->hdr.type; CREATE_BLOB takes nr_entries entries
 * from `entries`, which may be NULL when nr_entries is 0) into `buf`.
 * Returns the wire length, or -ENOSPC (cap too small), -EINVAL (a type
 * the encoder does not know, or too many entries).
 */
int qs_vgpu_encode_cmd(const qs_vgpu_cmd *cmd, const qs_vgpu_mem_entry *entries,
                       void *buf, uint32_t cap);

/*
 * Encode the response to `req` (its decoded header; may be NULL when the
 * request had no readable header): type `resp_type`; for
 * QS_VGPU_RESP_OK_MAP_INFO also `map_info`. The fence rules of 5.7.6.7:
 * a request with FLAG_FENCE gets FLAG_FENCE, its fence_id and ctx_id
 * back, plus FLAG_INFO_RING_IDX and ring_idx when the request had them.
 * Returns the length (24, or 32 for MAP_INFO) or -ENOSPC.
 */
int qs_vgpu_encode_resp(const qs_vgpu_ctrl_hdr *req, uint32_t resp_type, uint32_t map_info,
                        void *buf, uint32_t cap);

/* Decode a response: header into *hdr, map_info (MAP_INFO only, else 0)
 * into *map_info (may be NULL). Returns 0 or -EINVAL (too short for its
 * type). */
int qs_vgpu_decode_resp(const void *buf, uint32_t len, qs_vgpu_ctrl_hdr *hdr, uint32_t *map_info);

/* The spec's name of a command or response code ("RESOURCE_MAP_BLOB",
 * "RESP_OK_MAP_INFO", ...), or "UNKNOWN". */
const char *qs_vgpu_type_name(uint32_t type);

#ifdef __cplusplus
}
#endif
#endif /* QUIESCE_VIRTIO_GPU_H */
