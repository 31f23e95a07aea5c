/*
 * layout: the library's qs_layout_* table agrees with the compiler's view
 * of the public headers, and is self-consistent (every struct listed,
 * offsets inside the struct, in declaration order, unknown names -1).
 * With the emulator built in (QS_HAVE_EMU), the structs of emu.h and
 * virtio_gpu.h are described too, every field checked here.
 */
#include <stddef.h>

#include <quiesce/quiesce.h>
#ifdef QS_HAVE_EMU
#include <quiesce/emu.h>
#include <quiesce/virtio_gpu.h>
#endif

#include "check.h"

/* Expect the library's size and offset for T.f to match this TU's. */
#define EXPECT_SIZE(T) CHECK_EQ(qs_layout_sizeof(#T), sizeof(T))
#define EXPECT_FIELD(T, f) CHECK_EQ(qs_layout_offsetof(#T, #f), offsetof(T, f))

int main(void)
{
    static const char *const names[] = {
        "qs_params", "qs_gp_input", "qs_gp", "qs_worker", "qs_sim_reader",
        "qs_stats", "qs_sim_state", "qs_sim_effects", "qs_domain_config",
        "qs_stall_reader", "qs_stall_report", "qs_reader", "qs_notifier", "qs_head",
        "qs_gp_record", "qs_batch_record", "qs_observer",
#ifdef QS_HAVE_EMU
        "qs_translation", "qs_machine_config", "qs_vcpu_stats", "qs_machine_stats",
        "qs_latency", "qs_gpu_config", "qs_gpu_stats", "qs_emu_stats",
        "qs_vgpu_ctrl_hdr", "qs_vgpu_mem_entry", "qs_vgpu_resource_unref",
        "qs_vgpu_resource_create_blob", "qs_vgpu_resource_map_blob",
        "qs_vgpu_resp_map_info", "qs_vgpu_resource_unmap_blob", "qs_vgpu_cmd",
#endif
    };
    const int n = (int)(sizeof(names) / sizeof(names[0]));

    CHECK_EQ(qs_layout_count(), n);
    for (int i = 0; i < n; i++) {
        int found = 0;
        for (int j = 0; j < qs_layout_count(); j++) {
            found |= strcmp(qs_layout_name(j), names[i]) == 0;
        }
        CHECK(found);
        CHECK(qs_layout_sizeof(names[i]) > 0);
    }
    CHECK(qs_layout_name(-1) == NULL);
    CHECK(qs_layout_name(n) == NULL);
    CHECK_EQ(qs_layout_sizeof("qs_nope"), -1);
    CHECK_EQ(qs_layout_sizeof(NULL), -1);
    CHECK_EQ(qs_layout_offsetof("qs_reader", "nope"), -1);
    CHECK_EQ(qs_layout_offsetof("qs_nope", "ctr"), -1);

    EXPECT_SIZE(qs_params);
    EXPECT_FIELD(qs_params, policy);
    EXPECT_FIELD(qs_params, poll_limit);
    EXPECT_FIELD(qs_params, cb_threshold);
    EXPECT_FIELD(qs_params, reserved);
    EXPECT_FIELD(qs_params, poll_period_ns);

    EXPECT_SIZE(qs_gp_input);
    EXPECT_FIELD(qs_gp_input, remaining);
    EXPECT_FIELD(qs_gp_input, forced);

    EXPECT_SIZE(qs_gp);
    EXPECT_FIELD(qs_gp, params);
    EXPECT_FIELD(qs_gp, state);
    EXPECT_FIELD(qs_gp, cause);
    EXPECT_FIELD(qs_gp, polls);
    EXPECT_FIELD(qs_gp, expedited);

    EXPECT_SIZE(qs_worker);
    EXPECT_FIELD(qs_worker, batch);

    EXPECT_SIZE(qs_sim_reader);
    EXPECT_FIELD(qs_sim_reader, ctr);
    EXPECT_FIELD(qs_sim_reader, notified);

    EXPECT_SIZE(qs_stats);
    EXPECT_FIELD(qs_stats, fqs_by_cause);
    EXPECT_FIELD(qs_stats, slow_unlocks);
    EXPECT_FIELD(qs_stats, gp_lat_hist);
    EXPECT_FIELD(qs_stats, gps_no_readers);

    EXPECT_SIZE(qs_sim_state);
    EXPECT_FIELD(qs_sim_state, readers);
    EXPECT_FIELD(qs_sim_state, stats);
    EXPECT_FIELD(qs_sim_state, run_hash);

    EXPECT_SIZE(qs_sim_effects);
    EXPECT_FIELD(qs_sim_effects, drains_done);

    EXPECT_SIZE(qs_domain_config);
    EXPECT_FIELD(qs_domain_config, use_membarrier);
    EXPECT_FIELD(qs_domain_config, stall_timeout_ms);
    EXPECT_SIZE(qs_stall_reader);
    EXPECT_FIELD(qs_stall_reader, name);
    EXPECT_FIELD(qs_stall_reader, kicks);
    EXPECT_SIZE(qs_stall_report);
    EXPECT_FIELD(qs_stall_report, readers);
    EXPECT_FIELD(qs_stats, stalls);
    EXPECT_FIELD(qs_sim_state, gp_seq_wanted);
    EXPECT_FIELD(qs_sim_effects, cookie);

    /* The reader record is what the FFM read side touches directly. */
    EXPECT_SIZE(qs_reader);
    EXPECT_FIELD(qs_reader, ctr);
    EXPECT_FIELD(qs_reader, depth);
    EXPECT_FIELD(qs_reader, waiting);
    EXPECT_FIELD(qs_reader, gp_ctr);
    EXPECT_FIELD(qs_reader, fence_mode);
    EXPECT_FIELD(qs_reader, reserved);
    EXPECT_FIELD(qs_reader, slow_unlocks);
    EXPECT_FIELD(qs_reader, domain);
    EXPECT_FIELD(qs_reader, runtime);

    EXPECT_SIZE(qs_notifier);
    EXPECT_FIELD(qs_notifier, fn);
    EXPECT_FIELD(qs_notifier, next);

    EXPECT_SIZE(qs_head);
    EXPECT_FIELD(qs_head, next);
    EXPECT_FIELD(qs_head, fn);

    EXPECT_SIZE(qs_gp_record);
    EXPECT_FIELD(qs_gp_record, number);
    EXPECT_FIELD(qs_gp_record, duration_ns);
    EXPECT_FIELD(qs_gp_record, readers_waited);
    EXPECT_FIELD(qs_gp_record, notifier_calls);
    EXPECT_FIELD(qs_gp_record, fqs_ns);
    EXPECT_SIZE(qs_batch_record);
    EXPECT_FIELD(qs_batch_record, count);
    EXPECT_FIELD(qs_batch_record, duration_ns);
    EXPECT_SIZE(qs_observer);
    EXPECT_FIELD(qs_observer, on_force);
    EXPECT_FIELD(qs_observer, opaque);

#ifdef QS_HAVE_EMU
    /* The emulator's structs, every field. */
    EXPECT_SIZE(qs_translation);
    EXPECT_FIELD(qs_translation, region);
    EXPECT_FIELD(qs_translation, host);
    EXPECT_FIELD(qs_translation, offset);
    EXPECT_FIELD(qs_translation, avail);
    EXPECT_FIELD(qs_translation, generation);
    EXPECT_SIZE(qs_machine_config);
    EXPECT_FIELD(qs_machine_config, vcpus);
    EXPECT_FIELD(qs_machine_config, write_pct);
    EXPECT_FIELD(qs_machine_config, slice_ns);
    EXPECT_FIELD(qs_machine_config, pause_ns);
    EXPECT_FIELD(qs_machine_config, ram_size);
    EXPECT_FIELD(qs_machine_config, seed);
    EXPECT_FIELD(qs_machine_config, yield_on_kick);
    EXPECT_FIELD(qs_machine_config, reserved);
    EXPECT_SIZE(qs_vcpu_stats);
    EXPECT_FIELD(qs_vcpu_stats, sections);
    EXPECT_FIELD(qs_vcpu_stats, kicks);
    EXPECT_FIELD(qs_vcpu_stats, kicked_exits);
    EXPECT_FIELD(qs_vcpu_stats, ns_in_sections);
    EXPECT_FIELD(qs_vcpu_stats, max_section_ns);
    EXPECT_FIELD(qs_vcpu_stats, accesses);
    EXPECT_FIELD(qs_vcpu_stats, unassigned);
    EXPECT_FIELD(qs_vcpu_stats, poison_hits);
    EXPECT_FIELD(qs_vcpu_stats, in_section);
    EXPECT_FIELD(qs_vcpu_stats, reserved);
    EXPECT_SIZE(qs_machine_stats);
    EXPECT_FIELD(qs_machine_stats, vcpus);
    EXPECT_FIELD(qs_machine_stats, running);
    EXPECT_FIELD(qs_machine_stats, total);
    EXPECT_SIZE(qs_latency);
    EXPECT_FIELD(qs_latency, count);
    EXPECT_FIELD(qs_latency, sum_ns);
    EXPECT_FIELD(qs_latency, max_ns);
    EXPECT_FIELD(qs_latency, buckets);
    EXPECT_SIZE(qs_gpu_config);
    EXPECT_FIELD(qs_gpu_config, window_base);
    EXPECT_FIELD(qs_gpu_config, window_size);
    EXPECT_FIELD(qs_gpu_config, mem_limit);
    EXPECT_FIELD(qs_gpu_config, max_resources);
    EXPECT_FIELD(qs_gpu_config, queue_cap);
    EXPECT_FIELD(qs_gpu_config, force_on_unmap);
    EXPECT_FIELD(qs_gpu_config, poison_on_free);
    EXPECT_SIZE(qs_gpu_stats);
    EXPECT_FIELD(qs_gpu_stats, submitted);
    EXPECT_FIELD(qs_gpu_stats, answered);
    EXPECT_FIELD(qs_gpu_stats, answered_ok);
    EXPECT_FIELD(qs_gpu_stats, answered_err);
    EXPECT_FIELD(qs_gpu_stats, queued);
    EXPECT_FIELD(qs_gpu_stats, creates);
    EXPECT_FIELD(qs_gpu_stats, maps);
    EXPECT_FIELD(qs_gpu_stats, unmaps);
    EXPECT_FIELD(qs_gpu_stats, unrefs);
    EXPECT_FIELD(qs_gpu_stats, regions_freed);
    EXPECT_FIELD(qs_gpu_stats, forces);
    EXPECT_FIELD(qs_gpu_stats, blocked_ns);
    EXPECT_FIELD(qs_gpu_stats, resources);
    EXPECT_FIELD(qs_gpu_stats, mapped);
    EXPECT_FIELD(qs_gpu_stats, pending);
    EXPECT_FIELD(qs_gpu_stats, blocked);
    EXPECT_FIELD(qs_gpu_stats, mem_used);
    EXPECT_FIELD(qs_gpu_stats, unmap_p50_ns);
    EXPECT_FIELD(qs_gpu_stats, unmap_p99_ns);
    EXPECT_FIELD(qs_gpu_stats, unmap_max_ns);
    EXPECT_FIELD(qs_gpu_stats, cmd_p50_ns);
    EXPECT_FIELD(qs_gpu_stats, cmd_p99_ns);
    EXPECT_FIELD(qs_gpu_stats, cmd_max_ns);
    EXPECT_SIZE(qs_emu_stats);
    EXPECT_FIELD(qs_emu_stats, machine);
    EXPECT_FIELD(qs_emu_stats, gpu);
    EXPECT_FIELD(qs_emu_stats, rcu);
    EXPECT_SIZE(qs_vgpu_ctrl_hdr);
    EXPECT_FIELD(qs_vgpu_ctrl_hdr, type);
    EXPECT_FIELD(qs_vgpu_ctrl_hdr, flags);
    EXPECT_FIELD(qs_vgpu_ctrl_hdr, fence_id);
    EXPECT_FIELD(qs_vgpu_ctrl_hdr, ctx_id);
    EXPECT_FIELD(qs_vgpu_ctrl_hdr, ring_idx);
    EXPECT_FIELD(qs_vgpu_ctrl_hdr, padding);
    EXPECT_SIZE(qs_vgpu_mem_entry);
    EXPECT_FIELD(qs_vgpu_mem_entry, addr);
    EXPECT_FIELD(qs_vgpu_mem_entry, length);
    EXPECT_FIELD(qs_vgpu_mem_entry, padding);
    EXPECT_SIZE(qs_vgpu_resource_unref);
    EXPECT_FIELD(qs_vgpu_resource_unref, hdr);
    EXPECT_FIELD(qs_vgpu_resource_unref, resource_id);
    EXPECT_FIELD(qs_vgpu_resource_unref, padding);
    EXPECT_SIZE(qs_vgpu_resource_create_blob);
    EXPECT_FIELD(qs_vgpu_resource_create_blob, hdr);
    EXPECT_FIELD(qs_vgpu_resource_create_blob, resource_id);
    EXPECT_FIELD(qs_vgpu_resource_create_blob, blob_mem);
    EXPECT_FIELD(qs_vgpu_resource_create_blob, blob_flags);
    EXPECT_FIELD(qs_vgpu_resource_create_blob, nr_entries);
    EXPECT_FIELD(qs_vgpu_resource_create_blob, blob_id);
    EXPECT_FIELD(qs_vgpu_resource_create_blob, size);
    EXPECT_SIZE(qs_vgpu_resource_map_blob);
    EXPECT_FIELD(qs_vgpu_resource_map_blob, hdr);
    EXPECT_FIELD(qs_vgpu_resource_map_blob, resource_id);
    EXPECT_FIELD(qs_vgpu_resource_map_blob, padding);
    EXPECT_FIELD(qs_vgpu_resource_map_blob, offset);
    EXPECT_SIZE(qs_vgpu_resp_map_info);
    EXPECT_FIELD(qs_vgpu_resp_map_info, hdr);
    EXPECT_FIELD(qs_vgpu_resp_map_info, map_info);
    EXPECT_FIELD(qs_vgpu_resp_map_info, padding);
    EXPECT_SIZE(qs_vgpu_resource_unmap_blob);
    EXPECT_FIELD(qs_vgpu_resource_unmap_blob, hdr);
    EXPECT_FIELD(qs_vgpu_resource_unmap_blob, resource_id);
    EXPECT_FIELD(qs_vgpu_resource_unmap_blob, padding);
    EXPECT_SIZE(qs_vgpu_cmd);
    EXPECT_FIELD(qs_vgpu_cmd, hdr);
    EXPECT_FIELD(qs_vgpu_cmd, resource_id);
    EXPECT_FIELD(qs_vgpu_cmd, blob_mem);
    EXPECT_FIELD(qs_vgpu_cmd, blob_flags);
    EXPECT_FIELD(qs_vgpu_cmd, nr_entries);
    EXPECT_FIELD(qs_vgpu_cmd, blob_id);
    EXPECT_FIELD(qs_vgpu_cmd, size);
    EXPECT_FIELD(qs_vgpu_cmd, offset);
    EXPECT_FIELD(qs_vgpu_cmd, entries);
    CHECK(qs_layout_offsetof("qs_latency", "buckets") + QS_LAT_BUCKETS * 8 <=
          qs_layout_sizeof("qs_latency"));
    /* The wire layouts have the spec's sizes. */
    CHECK_EQ(qs_layout_sizeof("qs_vgpu_ctrl_hdr"), QS_VGPU_SIZE_CTRL_HDR);
    CHECK_EQ(qs_layout_sizeof("qs_vgpu_mem_entry"), QS_VGPU_SIZE_MEM_ENTRY);
    CHECK_EQ(qs_layout_sizeof("qs_vgpu_resource_unref"), QS_VGPU_SIZE_RESOURCE_UNREF);
    CHECK_EQ(qs_layout_sizeof("qs_vgpu_resource_create_blob"), QS_VGPU_SIZE_RESOURCE_CREATE_BLOB);
    CHECK_EQ(qs_layout_sizeof("qs_vgpu_resource_map_blob"), QS_VGPU_SIZE_RESOURCE_MAP_BLOB);
    CHECK_EQ(qs_layout_sizeof("qs_vgpu_resp_map_info"), QS_VGPU_SIZE_RESP_MAP_INFO);
    CHECK_EQ(qs_layout_sizeof("qs_vgpu_resource_unmap_blob"), QS_VGPU_SIZE_RESOURCE_UNMAP_BLOB);
#else
    CHECK_EQ(qs_layout_sizeof("qs_vgpu_cmd"), -1);
#endif

    /* Self-consistency of the whole table: the listed fields lie inside
     * their struct. (Field names are probed through the known set above;
     * here every struct's first field sits at offset 0.) */
    static const char *const first[][2] = {
        {"qs_params", "policy"}, {"qs_gp_input", "remaining"},
        {"qs_gp", "params"}, {"qs_worker", "params"},
        {"qs_sim_reader", "registered"}, {"qs_stats", "gps"},
        {"qs_sim_state", "gp_ctr"}, {"qs_sim_effects", "rc"},
        {"qs_domain_config", "params"}, {"qs_stall_reader", "tid"},
        {"qs_stall_report", "gp"}, {"qs_reader", "ctr"},
        {"qs_notifier", "fn"}, {"qs_head", "next"},
        {"qs_gp_record", "number"}, {"qs_batch_record", "count"},
        {"qs_observer", "on_gp_end"},
#ifdef QS_HAVE_EMU
        {"qs_translation", "region"}, {"qs_machine_config", "vcpus"},
        {"qs_vcpu_stats", "sections"}, {"qs_machine_stats", "vcpus"},
        {"qs_latency", "count"}, {"qs_gpu_config", "window_base"},
        {"qs_gpu_stats", "submitted"}, {"qs_emu_stats", "machine"},
        {"qs_vgpu_ctrl_hdr", "type"}, {"qs_vgpu_mem_entry", "addr"},
        {"qs_vgpu_resource_unref", "hdr"}, {"qs_vgpu_resource_create_blob", "hdr"},
        {"qs_vgpu_resource_map_blob", "hdr"}, {"qs_vgpu_resp_map_info", "hdr"},
        {"qs_vgpu_resource_unmap_blob", "hdr"}, {"qs_vgpu_cmd", "hdr"},
#endif
    };
    for (int i = 0; i < n; i++) {
        CHECK_EQ(qs_layout_offsetof(first[i][0], first[i][1]), 0);
    }
    CHECK(qs_layout_offsetof("qs_stats", "gp_lat_hist") + 64 * 8 <=
          qs_layout_sizeof("qs_stats"));
    CHECK(qs_layout_offsetof("qs_reader", "runtime") + (int64_t)sizeof(void *) <=
          qs_layout_sizeof("qs_reader"));

    /* Version: MAJOR.MINOR.PATCH. */
    unsigned a, b, c;
    char tail;
    CHECK_EQ(sscanf(qs_version(), "%u.%u.%u%c", &a, &b, &c, &tail), 3);
    CHECK(strcmp(qs_version(), "0.1.0") == 0);
    printf("layout: %d structs OK, version %s\n", n, qs_version());
    return 0;
}
