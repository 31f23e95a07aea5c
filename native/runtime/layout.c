/*
 * qs_layout_*: the compiled library's own sizeof/offsetof of every public
 * struct, so bindings (jextract, JNA, the FFM read side) can be checked
 * against the real ABI rather than against a copy of the headers.
 *
 * Keep the table in step with engine.h and domain.h, and (when the
 * emulator is built in: QS_HAVE_EMU) emu.h and virtio_gpu.h: add a row
 * for every field of every public struct.
 */
#include <stddef.h>
#include <string.h>

#include <quiesce/domain.h>
#include <quiesce/engine.h>
#include <quiesce/layout.h>
#ifdef QS_HAVE_EMU
#include <quiesce/emu.h>
#include <quiesce/virtio_gpu.h>
#endif

#define QS_VERSION_STRING "0.1.0"

typedef struct field_row {
    const char *name;
    int64_t offset;
} field_row;

typedef struct struct_row {
    const char *name;
    int64_t size;
    const field_row *fields;
    size_t nfields;
} struct_row;

/* One field row of struct `T`. */
#define FIELD(T, f) { #f, (int64_t)offsetof(T, f) }

static const field_row params_fields[] = {
    FIELD(qs_params, policy),
    FIELD(qs_params, poll_limit),
    FIELD(qs_params, cb_threshold),
    FIELD(qs_params, reserved),
    FIELD(qs_params, poll_period_ns),
};

static const field_row gp_input_fields[] = {
    FIELD(qs_gp_input, remaining),
    FIELD(qs_gp_input, pending),
    FIELD(qs_gp_input, draining),
    FIELD(qs_gp_input, forced),
};

static const field_row gp_fields[] = {
    FIELD(qs_gp, params),
    FIELD(qs_gp, state),
    FIELD(qs_gp, cause),
    FIELD(qs_gp, polls),
    FIELD(qs_gp, expedited),
};

static const field_row worker_fields[] = {
    FIELD(qs_worker, params),
    FIELD(qs_worker, state),
    FIELD(qs_worker, prepolls),
    FIELD(qs_worker, batch),
    FIELD(qs_worker, reserved),
};

static const field_row sim_reader_fields[] = {
    FIELD(qs_sim_reader, registered),
    FIELD(qs_sim_reader, depth),
    FIELD(qs_sim_reader, ctr),
    FIELD(qs_sim_reader, waiting),
    FIELD(qs_sim_reader, in_wait_list),
    FIELD(qs_sim_reader, slow_unlocks),
    FIELD(qs_sim_reader, notified),
};

static const field_row stats_fields[] = {
    FIELD(qs_stats, gps),
    FIELD(qs_stats, gps_fqs),
    FIELD(qs_stats, fqs_by_cause),
    FIELD(qs_stats, polls),
    FIELD(qs_stats, slow_unlocks),
    FIELD(qs_stats, notifier_calls),
    FIELD(qs_stats, callbacks_queued),
    FIELD(qs_stats, callbacks_run),
    FIELD(qs_stats, drains),
    FIELD(qs_stats, forces),
    FIELD(qs_stats, syncs),
    FIELD(qs_stats, gp_lat_max_ns),
    FIELD(qs_stats, gp_lat_sum_ns),
    FIELD(qs_stats, gp_lat_hist),
    FIELD(qs_stats, gps_no_readers),
    FIELD(qs_stats, stalls),
    FIELD(qs_stats, retired_pending),
    FIELD(qs_stats, retired_pending_bytes),
    FIELD(qs_stats, retired_freed),
    FIELD(qs_stats, retired_freed_bytes),
};

static const field_row sim_state_fields[] = {
    FIELD(qs_sim_state, gp_ctr),
    FIELD(qs_sim_state, writer),
    FIELD(qs_sim_state, owner),
    FIELD(qs_sim_state, gp),
    FIELD(qs_sim_state, worker),
    FIELD(qs_sim_state, gp_event_set),
    FIELD(qs_sim_state, pending),
    FIELD(qs_sim_state, draining),
    FIELD(qs_sim_state, forced),
    FIELD(qs_sim_state, sync_pending),
    FIELD(qs_sim_state, forced_late),
    FIELD(qs_sim_state, next_cb_id),
    FIELD(qs_sim_state, last_cb_run),
    FIELD(qs_sim_state, run_hash),
    FIELD(qs_sim_state, readers),
    FIELD(qs_sim_state, stats),
    FIELD(qs_sim_state, gp_seq_started),
    FIELD(qs_sim_state, gp_seq_completed),
    FIELD(qs_sim_state, gp_seq_wanted),
};

static const field_row sim_effects_fields[] = {
    FIELD(qs_sim_effects, rc),
    FIELD(qs_sim_effects, cbs_run),
    FIELD(qs_sim_effects, notified_mask),
    FIELD(qs_sim_effects, gps_ended),
    FIELD(qs_sim_effects, slow_unlock),
    FIELD(qs_sim_effects, drains_done),
    FIELD(qs_sim_effects, cookie),
};

static const field_row domain_config_fields[] = {
    FIELD(qs_domain_config, params),
    FIELD(qs_domain_config, use_membarrier),
    FIELD(qs_domain_config, worker_slice_us),
    FIELD(qs_domain_config, stall_timeout_ms),
};

static const field_row stall_reader_fields[] = {
    FIELD(qs_stall_reader, tid),
    FIELD(qs_stall_reader, name),
    FIELD(qs_stall_reader, inside_ns),
    FIELD(qs_stall_reader, depth),
    FIELD(qs_stall_reader, kicks),
};

static const field_row stall_report_fields[] = {
    FIELD(qs_stall_report, gp),
    FIELD(qs_stall_report, elapsed_ns),
    FIELD(qs_stall_report, timeout_ns),
    FIELD(qs_stall_report, nth),
    FIELD(qs_stall_report, policy),
    FIELD(qs_stall_report, state),
    FIELD(qs_stall_report, cause),
    FIELD(qs_stall_report, nreaders_total),
    FIELD(qs_stall_report, nreaders),
    FIELD(qs_stall_report, readers),
};

static const field_row reader_fields[] = {
    FIELD(qs_reader, ctr),
    FIELD(qs_reader, depth),
    FIELD(qs_reader, waiting),
    FIELD(qs_reader, gp_ctr),
    FIELD(qs_reader, fence_mode),
    FIELD(qs_reader, reserved),
    FIELD(qs_reader, slow_unlocks),
    FIELD(qs_reader, domain),
    FIELD(qs_reader, runtime),
};

static const field_row notifier_fields[] = {
    FIELD(qs_notifier, fn),
    FIELD(qs_notifier, opaque),
    FIELD(qs_notifier, next),
};

static const field_row head_fields[] = {
    FIELD(qs_head, next),
    FIELD(qs_head, fn),
};

static const field_row gp_record_fields[] = {
    FIELD(qs_gp_record, number),
    FIELD(qs_gp_record, start_ns),
    FIELD(qs_gp_record, duration_ns),
    FIELD(qs_gp_record, policy),
    FIELD(qs_gp_record, fqs),
    FIELD(qs_gp_record, cause),
    FIELD(qs_gp_record, readers_waited),
    FIELD(qs_gp_record, expedited),
    FIELD(qs_gp_record, polls),
    FIELD(qs_gp_record, notifier_calls),
    FIELD(qs_gp_record, reserved),
    FIELD(qs_gp_record, fqs_ns),
};

static const field_row batch_record_fields[] = {
    FIELD(qs_batch_record, count),
    FIELD(qs_batch_record, reserved),
    FIELD(qs_batch_record, start_ns),
    FIELD(qs_batch_record, duration_ns),
};

static const field_row observer_fields[] = {
    FIELD(qs_observer, on_gp_end),
    FIELD(qs_observer, on_batch),
    FIELD(qs_observer, on_force),
    FIELD(qs_observer, opaque),
};

#ifdef QS_HAVE_EMU
/* <quiesce/emu.h> */

static const field_row translation_fields[] = {
    FIELD(qs_translation, region),
    FIELD(qs_translation, host),
    FIELD(qs_translation, offset),
    FIELD(qs_translation, avail),
    FIELD(qs_translation, generation),
};

static const field_row machine_config_fields[] = {
    FIELD(qs_machine_config, vcpus),
    FIELD(qs_machine_config, write_pct),
    FIELD(qs_machine_config, slice_ns),
    FIELD(qs_machine_config, pause_ns),
    FIELD(qs_machine_config, ram_size),
    FIELD(qs_machine_config, seed),
    FIELD(qs_machine_config, yield_on_kick),
    FIELD(qs_machine_config, reserved),
};

static const field_row vcpu_stats_fields[] = {
    FIELD(qs_vcpu_stats, sections),
    FIELD(qs_vcpu_stats, kicks),
    FIELD(qs_vcpu_stats, kicked_exits),
    FIELD(qs_vcpu_stats, ns_in_sections),
    FIELD(qs_vcpu_stats, max_section_ns),
    FIELD(qs_vcpu_stats, accesses),
    FIELD(qs_vcpu_stats, unassigned),
    FIELD(qs_vcpu_stats, poison_hits),
    FIELD(qs_vcpu_stats, in_section),
    FIELD(qs_vcpu_stats, reserved),
};

static const field_row machine_stats_fields[] = {
    FIELD(qs_machine_stats, vcpus),
    FIELD(qs_machine_stats, running),
    FIELD(qs_machine_stats, total),
};

static const field_row latency_fields[] = {
    FIELD(qs_latency, count),
    FIELD(qs_latency, sum_ns),
    FIELD(qs_latency, max_ns),
    FIELD(qs_latency, buckets),
};

static const field_row gpu_config_fields[] = {
    FIELD(qs_gpu_config, window_base),
    FIELD(qs_gpu_config, window_size),
    FIELD(qs_gpu_config, mem_limit),
    FIELD(qs_gpu_config, max_resources),
    FIELD(qs_gpu_config, queue_cap),
    FIELD(qs_gpu_config, force_on_unmap),
    FIELD(qs_gpu_config, poison_on_free),
};

static const field_row gpu_stats_fields[] = {
    FIELD(qs_gpu_stats, submitted),
    FIELD(qs_gpu_stats, answered),
    FIELD(qs_gpu_stats, answered_ok),
    FIELD(qs_gpu_stats, answered_err),
    FIELD(qs_gpu_stats, queued),
    FIELD(qs_gpu_stats, creates),
    FIELD(qs_gpu_stats, maps),
    FIELD(qs_gpu_stats, unmaps),
    FIELD(qs_gpu_stats, unrefs),
    FIELD(qs_gpu_stats, regions_freed),
    FIELD(qs_gpu_stats, forces),
    FIELD(qs_gpu_stats, blocked_ns),
    FIELD(qs_gpu_stats, resources),
    FIELD(qs_gpu_stats, mapped),
    FIELD(qs_gpu_stats, pending),
    FIELD(qs_gpu_stats, blocked),
    FIELD(qs_gpu_stats, mem_used),
    FIELD(qs_gpu_stats, unmap_p50_ns),
    FIELD(qs_gpu_stats, unmap_p99_ns),
    FIELD(qs_gpu_stats, unmap_max_ns),
    FIELD(qs_gpu_stats, cmd_p50_ns),
    FIELD(qs_gpu_stats, cmd_p99_ns),
    FIELD(qs_gpu_stats, cmd_max_ns),
};

static const field_row emu_stats_fields[] = {
    FIELD(qs_emu_stats, machine),
    FIELD(qs_emu_stats, gpu),
    FIELD(qs_emu_stats, rcu),
};

/* <quiesce/virtio_gpu.h> (wire layouts and the decoded command) */

static const field_row vgpu_ctrl_hdr_fields[] = {
    FIELD(qs_vgpu_ctrl_hdr, type),
    FIELD(qs_vgpu_ctrl_hdr, flags),
    FIELD(qs_vgpu_ctrl_hdr, fence_id),
    FIELD(qs_vgpu_ctrl_hdr, ctx_id),
    FIELD(qs_vgpu_ctrl_hdr, ring_idx),
    FIELD(qs_vgpu_ctrl_hdr, padding),
};

static const field_row vgpu_mem_entry_fields[] = {
    FIELD(qs_vgpu_mem_entry, addr),
    FIELD(qs_vgpu_mem_entry, length),
    FIELD(qs_vgpu_mem_entry, padding),
};

static const field_row vgpu_resource_unref_fields[] = {
    FIELD(qs_vgpu_resource_unref, hdr),
    FIELD(qs_vgpu_resource_unref, resource_id),
    FIELD(qs_vgpu_resource_unref, padding),
};

static const field_row vgpu_resource_create_blob_fields[] = {
    FIELD(qs_vgpu_resource_create_blob, hdr),
    FIELD(qs_vgpu_resource_create_blob, resource_id),
    FIELD(qs_vgpu_resource_create_blob, blob_mem),
    FIELD(qs_vgpu_resource_create_blob, blob_flags),
    FIELD(qs_vgpu_resource_create_blob, nr_entries),
    FIELD(qs_vgpu_resource_create_blob, blob_id),
    FIELD(qs_vgpu_resource_create_blob, size),
};

static const field_row vgpu_resource_map_blob_fields[] = {
    FIELD(qs_vgpu_resource_map_blob, hdr),
    FIELD(qs_vgpu_resource_map_blob, resource_id),
    FIELD(qs_vgpu_resource_map_blob, padding),
    FIELD(qs_vgpu_resource_map_blob, offset),
};

static const field_row vgpu_resp_map_info_fields[] = {
    FIELD(qs_vgpu_resp_map_info, hdr),
    FIELD(qs_vgpu_resp_map_info, map_info),
    FIELD(qs_vgpu_resp_map_info, padding),
};

static const field_row vgpu_resource_unmap_blob_fields[] = {
    FIELD(qs_vgpu_resource_unmap_blob, hdr),
    FIELD(qs_vgpu_resource_unmap_blob, resource_id),
    FIELD(qs_vgpu_resource_unmap_blob, padding),
};

static const field_row vgpu_cmd_fields[] = {
    FIELD(qs_vgpu_cmd, hdr),
    FIELD(qs_vgpu_cmd, resource_id),
    FIELD(qs_vgpu_cmd, blob_mem),
    FIELD(qs_vgpu_cmd, blob_flags),
    FIELD(qs_vgpu_cmd, nr_entries),
    FIELD(qs_vgpu_cmd, blob_id),
    FIELD(qs_vgpu_cmd, size),
    FIELD(qs_vgpu_cmd, offset),
    FIELD(qs_vgpu_cmd, entries),
};

#endif /* QS_HAVE_EMU */

/* One struct row: its name, size and field table. */
#define STRUCT(T, rows) { #T, (int64_t)sizeof(T), rows, sizeof(rows) / sizeof(rows[0]) }

static const struct_row structs[] = {
    STRUCT(qs_params, params_fields),
    STRUCT(qs_gp_input, gp_input_fields),
    STRUCT(qs_gp, gp_fields),
    STRUCT(qs_worker, worker_fields),
    STRUCT(qs_sim_reader, sim_reader_fields),
    STRUCT(qs_stats, stats_fields),
    STRUCT(qs_sim_state, sim_state_fields),
    STRUCT(qs_sim_effects, sim_effects_fields),
    STRUCT(qs_domain_config, domain_config_fields),
    STRUCT(qs_stall_reader, stall_reader_fields),
    STRUCT(qs_stall_report, stall_report_fields),
    STRUCT(qs_reader, reader_fields),
    STRUCT(qs_notifier, notifier_fields),
    STRUCT(qs_head, head_fields),
    STRUCT(qs_gp_record, gp_record_fields),
    STRUCT(qs_batch_record, batch_record_fields),
    STRUCT(qs_observer, observer_fields),
#ifdef QS_HAVE_EMU
    STRUCT(qs_translation, translation_fields),
    STRUCT(qs_machine_config, machine_config_fields),
    STRUCT(qs_vcpu_stats, vcpu_stats_fields),
    STRUCT(qs_machine_stats, machine_stats_fields),
    STRUCT(qs_latency, latency_fields),
    STRUCT(qs_gpu_config, gpu_config_fields),
    STRUCT(qs_gpu_stats, gpu_stats_fields),
    STRUCT(qs_emu_stats, emu_stats_fields),
    STRUCT(qs_vgpu_ctrl_hdr, vgpu_ctrl_hdr_fields),
    STRUCT(qs_vgpu_mem_entry, vgpu_mem_entry_fields),
    STRUCT(qs_vgpu_resource_unref, vgpu_resource_unref_fields),
    STRUCT(qs_vgpu_resource_create_blob, vgpu_resource_create_blob_fields),
    STRUCT(qs_vgpu_resource_map_blob, vgpu_resource_map_blob_fields),
    STRUCT(qs_vgpu_resp_map_info, vgpu_resp_map_info_fields),
    STRUCT(qs_vgpu_resource_unmap_blob, vgpu_resource_unmap_blob_fields),
    STRUCT(qs_vgpu_cmd, vgpu_cmd_fields),
#endif
};

#define NSTRUCTS ((int32_t)(sizeof(structs) / sizeof(structs[0])))

static const struct_row *find_struct(const char *type)
{
    if (type == NULL) {
        return NULL;
    }
    for (int32_t i = 0; i < NSTRUCTS; i++) {
        if (strcmp(structs[i].name, type) == 0) {
            return &structs[i];
        }
    }
    return NULL;
}

int64_t qs_layout_sizeof(const char *type)
{
    const struct_row *s = find_struct(type);
    return s != NULL ? s->size : -1;
}

int64_t qs_layout_offsetof(const char *type, const char *field)
{
    const struct_row *s = find_struct(type);
    if (s == NULL || field == NULL) {
        return -1;
    }
    for (size_t i = 0; i < s->nfields; i++) {
        if (strcmp(s->fields[i].name, field) == 0) {
            return s->fields[i].offset;
        }
    }
    return -1;
}

int32_t qs_layout_count(void)
{
    return NSTRUCTS;
}

const char *qs_layout_name(int32_t i)
{
    return i >= 0 && i < NSTRUCTS ? structs[i].name : NULL;
}

const char *qs_version(void)
{
    return QS_VERSION_STRING;
}
