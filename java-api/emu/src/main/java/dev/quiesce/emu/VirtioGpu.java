package dev.quiesce.emu;

/**
 * The virtio-gpu wire constants the emulator model speaks: command and
 * response codes, header flags, blob memory types and flags, map-info cache
 * types, wire sizes and this model's limits. The Java twin of
 * {@code <quiesce/virtio_gpu.h>}; names drop the {@code QS_VGPU_} prefix.
 *
 * <p>Source of every value: the virtio specification v1.2, section 5.7
 * "GPU Device" (5.7.6.7 request header, 5.7.6.8 controlq, 5.7.6.9 controlq
 * 3d). All multi-byte fields are little-endian on the wire.
 */
public final class VirtioGpu {

    private VirtioGpu() {
    }

    // --------------------------------------------------- enum virtio_gpu_ctrl_type (5.7.6.7)

    /** 2d: GET_DISPLAY_INFO. */
    public static final int CMD_GET_DISPLAY_INFO = 0x0100;
    /** 2d: RESOURCE_CREATE_2D. */
    public static final int CMD_RESOURCE_CREATE_2D = 0x0101;
    /** 2d: RESOURCE_UNREF (implemented). */
    public static final int CMD_RESOURCE_UNREF = 0x0102;
    /** 2d: SET_SCANOUT. */
    public static final int CMD_SET_SCANOUT = 0x0103;
    /** 2d: RESOURCE_FLUSH. */
    public static final int CMD_RESOURCE_FLUSH = 0x0104;
    /** 2d: TRANSFER_TO_HOST_2D. */
    public static final int CMD_TRANSFER_TO_HOST_2D = 0x0105;
    /** 2d: RESOURCE_ATTACH_BACKING. */
    public static final int CMD_RESOURCE_ATTACH_BACKING = 0x0106;
    /** 2d: RESOURCE_DETACH_BACKING. */
    public static final int CMD_RESOURCE_DETACH_BACKING = 0x0107;
    /** 2d: GET_CAPSET_INFO. */
    public static final int CMD_GET_CAPSET_INFO = 0x0108;
    /** 2d: GET_CAPSET. */
    public static final int CMD_GET_CAPSET = 0x0109;
    /** 2d: GET_EDID. */
    public static final int CMD_GET_EDID = 0x010a;
    /** 2d: RESOURCE_ASSIGN_UUID. */
    public static final int CMD_RESOURCE_ASSIGN_UUID = 0x010b;
    /** 2d: RESOURCE_CREATE_BLOB (implemented). */
    public static final int CMD_RESOURCE_CREATE_BLOB = 0x010c;
    /** 2d: SET_SCANOUT_BLOB. */
    public static final int CMD_SET_SCANOUT_BLOB = 0x010d;
    /** 3d: CTX_CREATE. */
    public static final int CMD_CTX_CREATE = 0x0200;
    /** 3d: CTX_DESTROY. */
    public static final int CMD_CTX_DESTROY = 0x0201;
    /** 3d: CTX_ATTACH_RESOURCE. */
    public static final int CMD_CTX_ATTACH_RESOURCE = 0x0202;
    /** 3d: CTX_DETACH_RESOURCE. */
    public static final int CMD_CTX_DETACH_RESOURCE = 0x0203;
    /** 3d: RESOURCE_CREATE_3D. */
    public static final int CMD_RESOURCE_CREATE_3D = 0x0204;
    /** 3d: TRANSFER_TO_HOST_3D. */
    public static final int CMD_TRANSFER_TO_HOST_3D = 0x0205;
    /** 3d: TRANSFER_FROM_HOST_3D. */
    public static final int CMD_TRANSFER_FROM_HOST_3D = 0x0206;
    /** 3d: SUBMIT_3D. */
    public static final int CMD_SUBMIT_3D = 0x0207;
    /** 3d: RESOURCE_MAP_BLOB (implemented). */
    public static final int CMD_RESOURCE_MAP_BLOB = 0x0208;
    /** 3d: RESOURCE_UNMAP_BLOB (implemented). */
    public static final int CMD_RESOURCE_UNMAP_BLOB = 0x0209;
    /** Cursor: UPDATE_CURSOR. */
    public static final int CMD_UPDATE_CURSOR = 0x0300;
    /** Cursor: MOVE_CURSOR. */
    public static final int CMD_MOVE_CURSOR = 0x0301;

    /** Success, no data. */
    public static final int RESP_OK_NODATA = 0x1100;
    /** Success: display info. */
    public static final int RESP_OK_DISPLAY_INFO = 0x1101;
    /** Success: capset info. */
    public static final int RESP_OK_CAPSET_INFO = 0x1102;
    /** Success: capset. */
    public static final int RESP_OK_CAPSET = 0x1103;
    /** Success: EDID. */
    public static final int RESP_OK_EDID = 0x1104;
    /** Success: resource UUID. */
    public static final int RESP_OK_RESOURCE_UUID = 0x1105;
    /** Success: map info (the answer to RESOURCE_MAP_BLOB). */
    public static final int RESP_OK_MAP_INFO = 0x1106;
    /** Error: unspecified (malformed, unknown or unimplemented command). */
    public static final int RESP_ERR_UNSPEC = 0x1200;
    /** Error: out of memory (resource or memory limit). */
    public static final int RESP_ERR_OUT_OF_MEMORY = 0x1201;
    /** Error: invalid scanout id. */
    public static final int RESP_ERR_INVALID_SCANOUT_ID = 0x1202;
    /** Error: invalid (unknown or reused) resource id. */
    public static final int RESP_ERR_INVALID_RESOURCE_ID = 0x1203;
    /** Error: invalid context id. */
    public static final int RESP_ERR_INVALID_CONTEXT_ID = 0x1204;
    /** Error: invalid parameter. */
    public static final int RESP_ERR_INVALID_PARAMETER = 0x1205;

    // --------------------------------------------------- header flags (5.7.6.7)

    /** The request is fenced: the response echoes fence_id and ctx_id. */
    public static final int FLAG_FENCE = 1;
    /** ring_idx is valid (with {@link #FLAG_FENCE}). */
    public static final int FLAG_INFO_RING_IDX = 1 << 1;

    // --------------------------------------------------- blob_mem (5.7.6.8); zero is invalid

    /** Guest memory only (mem entries describe it). */
    public static final int BLOB_MEM_GUEST = 0x0001;
    /** Host memory (no mem entries). */
    public static final int BLOB_MEM_HOST3D = 0x0002;
    /** Host memory with guest backing. */
    public static final int BLOB_MEM_HOST3D_GUEST = 0x0003;

    // --------------------------------------------------- blob_flags bits (5.7.6.8)

    /** The blob may be mapped into the host-visible window. */
    public static final int BLOB_FLAG_USE_MAPPABLE = 0x0001;
    /** The blob may be shared. */
    public static final int BLOB_FLAG_USE_SHAREABLE = 0x0002;
    /** The blob may be used across devices. */
    public static final int BLOB_FLAG_USE_CROSS_DEVICE = 0x0004;

    // --------------------------------------------------- map_info (5.7.6.9)

    /** Mask of the cache type. */
    public static final int MAP_CACHE_MASK = 0x0f;
    /** No caching information. */
    public static final int MAP_CACHE_NONE = 0x00;
    /** Cached (what this device answers). */
    public static final int MAP_CACHE_CACHED = 0x01;
    /** Uncached. */
    public static final int MAP_CACHE_UNCACHED = 0x02;
    /** Write-combined. */
    public static final int MAP_CACHE_WC = 0x03;

    // --------------------------------------------------- wire sizes

    /** struct virtio_gpu_ctrl_hdr. */
    public static final int SIZE_CTRL_HDR = 24;
    /** struct virtio_gpu_mem_entry. */
    public static final int SIZE_MEM_ENTRY = 16;
    /** struct virtio_gpu_resource_unref. */
    public static final int SIZE_RESOURCE_UNREF = 32;
    /** struct virtio_gpu_resource_create_blob (without its mem entries). */
    public static final int SIZE_RESOURCE_CREATE_BLOB = 56;
    /** struct virtio_gpu_resource_map_blob. */
    public static final int SIZE_RESOURCE_MAP_BLOB = 40;
    /** struct virtio_gpu_resp_map_info. */
    public static final int SIZE_RESP_MAP_INFO = 32;
    /** struct virtio_gpu_resource_unmap_blob. */
    public static final int SIZE_RESOURCE_UNMAP_BLOB = 32;

    // --------------------------------------------------- limits of this device model

    /** Longest command the device accepts; longer ones get {@link #RESP_ERR_UNSPEC}. */
    public static final int CMD_MAX = 4096;
    /** Most mem entries a RESOURCE_CREATE_BLOB may carry here. */
    public static final int MAX_MEM_ENTRIES = 252;
    /** Longest response the device produces (MAP_INFO). */
    public static final int RESP_MAX = 32;

    // --------------------------------------------------- byte offsets inside the structs

    /** Offset of {@code type} in the header. */
    public static final int OFF_HDR_TYPE = 0;
    /** Offset of {@code flags} in the header. */
    public static final int OFF_HDR_FLAGS = 4;
    /** Offset of {@code fence_id} in the header. */
    public static final int OFF_HDR_FENCE_ID = 8;
    /** Offset of {@code ctx_id} in the header. */
    public static final int OFF_HDR_CTX_ID = 16;
    /** Offset of {@code ring_idx} in the header. */
    public static final int OFF_HDR_RING_IDX = 20;
    /** Offset of {@code resource_id} after the header (every implemented command). */
    public static final int OFF_RESOURCE_ID = 24;
    /** Offset of {@code blob_mem} in RESOURCE_CREATE_BLOB. */
    public static final int OFF_CREATE_BLOB_MEM = 28;
    /** Offset of {@code blob_flags} in RESOURCE_CREATE_BLOB. */
    public static final int OFF_CREATE_BLOB_FLAGS = 32;
    /** Offset of {@code nr_entries} in RESOURCE_CREATE_BLOB. */
    public static final int OFF_CREATE_NR_ENTRIES = 36;
    /** Offset of {@code blob_id} in RESOURCE_CREATE_BLOB. */
    public static final int OFF_CREATE_BLOB_ID = 40;
    /** Offset of {@code size} in RESOURCE_CREATE_BLOB. */
    public static final int OFF_CREATE_SIZE = 48;
    /** Offset of {@code offset} in RESOURCE_MAP_BLOB. */
    public static final int OFF_MAP_OFFSET = 32;
    /** Offset of {@code map_info} in the MAP_INFO response. */
    public static final int OFF_RESP_MAP_INFO = 24;
    /** Offset of {@code addr} in a mem entry. */
    public static final int OFF_ENTRY_ADDR = 0;
    /** Offset of {@code length} in a mem entry. */
    public static final int OFF_ENTRY_LENGTH = 8;
    /** Offset of {@code padding} in a mem entry. */
    public static final int OFF_ENTRY_PADDING = 12;

    /**
     * {@return the specification's name of a command or response code
     * ({@code "RESOURCE_MAP_BLOB"}, {@code "RESP_OK_MAP_INFO"}, ...), or
     * {@code "UNKNOWN"}; the same strings as {@code qs_vgpu_type_name}}
     *
     * @param type the specification's name of a command or response code
     * ({@code "RESOURCE_MAP_BLOB"}, {@code "RESP_OK_MAP_INFO"}, ...), or
     * {@code "UNKNOWN"}; the same strings as {@code qs_vgpu_type_name}
     */
    public static String typeName(int type) {
        switch (type) {
            case CMD_GET_DISPLAY_INFO: return "GET_DISPLAY_INFO";
            case CMD_RESOURCE_CREATE_2D: return "RESOURCE_CREATE_2D";
            case CMD_RESOURCE_UNREF: return "RESOURCE_UNREF";
            case CMD_SET_SCANOUT: return "SET_SCANOUT";
            case CMD_RESOURCE_FLUSH: return "RESOURCE_FLUSH";
            case CMD_TRANSFER_TO_HOST_2D: return "TRANSFER_TO_HOST_2D";
            case CMD_RESOURCE_ATTACH_BACKING: return "RESOURCE_ATTACH_BACKING";
            case CMD_RESOURCE_DETACH_BACKING: return "RESOURCE_DETACH_BACKING";
            case CMD_GET_CAPSET_INFO: return "GET_CAPSET_INFO";
            case CMD_GET_CAPSET: return "GET_CAPSET";
            case CMD_GET_EDID: return "GET_EDID";
            case CMD_RESOURCE_ASSIGN_UUID: return "RESOURCE_ASSIGN_UUID";
            case CMD_RESOURCE_CREATE_BLOB: return "RESOURCE_CREATE_BLOB";
            case CMD_SET_SCANOUT_BLOB: return "SET_SCANOUT_BLOB";
            case CMD_CTX_CREATE: return "CTX_CREATE";
            case CMD_CTX_DESTROY: return "CTX_DESTROY";
            case CMD_CTX_ATTACH_RESOURCE: return "CTX_ATTACH_RESOURCE";
            case CMD_CTX_DETACH_RESOURCE: return "CTX_DETACH_RESOURCE";
            case CMD_RESOURCE_CREATE_3D: return "RESOURCE_CREATE_3D";
            case CMD_TRANSFER_TO_HOST_3D: return "TRANSFER_TO_HOST_3D";
            case CMD_TRANSFER_FROM_HOST_3D: return "TRANSFER_FROM_HOST_3D";
            case CMD_SUBMIT_3D: return "SUBMIT_3D";
            case CMD_RESOURCE_MAP_BLOB: return "RESOURCE_MAP_BLOB";
            case CMD_RESOURCE_UNMAP_BLOB: return "RESOURCE_UNMAP_BLOB";
            case CMD_UPDATE_CURSOR: return "UPDATE_CURSOR";
            case CMD_MOVE_CURSOR: return "MOVE_CURSOR";
            case RESP_OK_NODATA: return "RESP_OK_NODATA";
            case RESP_OK_DISPLAY_INFO: return "RESP_OK_DISPLAY_INFO";
            case RESP_OK_CAPSET_INFO: return "RESP_OK_CAPSET_INFO";
            case RESP_OK_CAPSET: return "RESP_OK_CAPSET";
            case RESP_OK_EDID: return "RESP_OK_EDID";
            case RESP_OK_RESOURCE_UUID: return "RESP_OK_RESOURCE_UUID";
            case RESP_OK_MAP_INFO: return "RESP_OK_MAP_INFO";
            case RESP_ERR_UNSPEC: return "RESP_ERR_UNSPEC";
            case RESP_ERR_OUT_OF_MEMORY: return "RESP_ERR_OUT_OF_MEMORY";
            case RESP_ERR_INVALID_SCANOUT_ID: return "RESP_ERR_INVALID_SCANOUT_ID";
            case RESP_ERR_INVALID_RESOURCE_ID: return "RESP_ERR_INVALID_RESOURCE_ID";
            case RESP_ERR_INVALID_CONTEXT_ID: return "RESP_ERR_INVALID_CONTEXT_ID";
            case RESP_ERR_INVALID_PARAMETER: return "RESP_ERR_INVALID_PARAMETER";
            default: return "UNKNOWN";
        }
    }

    /**
     * {@return whether {@code type} is a success response code ({@code RESP_OK_*})}
     *
     * @param type the command or response type
     */
    public static boolean isOk(int type) {
        return type >= RESP_OK_NODATA && type < RESP_ERR_UNSPEC;
    }
}
