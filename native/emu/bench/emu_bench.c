/*
 * qs-emu-bench: virtio-gpu blob unmap latency (submit -> response), which
 * is RCU reclamation latency, with busy vCPUs, under
 *   LEGACY        the RCU before the seed,
 *   FQS           the seed (QEMU 55d98e3ede),
 *   FQS+force     the seed plus force on unmap (QEMU's follow-up),
 *   FQS+force/kd  the same with the RCU worker on the kernel's default
 *                 scheduler slice (worker_slice_us = 0) instead of the
 *                 library's 100 us (see qs_domain_config),
 * all with the default (QEMU) parameters: 10 ms poll period, 5 polls,
 * 30 callbacks. Also the reader slow-path unlocks per grace period.
 *
 * Each round: map the blob, wait until the map's own view release is
 * done (so every unmap starts from an idle worker), wait a random 0-3 ms
 * (random phase against the vCPU slices), unmap, wait for the response.
 * With --no-settle the unmap follows the map after the random wait only,
 * so it often lands while the map's grace period is still running.
 *
 * --no-yield: kicked vCPUs re-enter at once instead of yielding the CPU.
 *
 * --only MODE: run one of LEGACY, FQS, FQS+force, FQS+force/kd.
 *
 * usage: qs-emu-bench [--iters N] [--vcpus N] [--slice-ms MS] [--no-settle] [--no-yield]
 *                     [--only MODE]
 * Not a test: run it by hand.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <quiesce/emu.h>

#define MS 1000000ull

_Noreturn static void die(const char *what, int rc)
{
    fprintf(stderr, "qs-emu-bench: %s failed: %d (%s)\n", what, rc, strerror(rc < 0 ? -rc : rc));
    exit(1);
}

static void sleep_us(uint64_t us)
{
    struct timespec ts = {.tv_sec = (time_t)(us / 1000000), .tv_nsec = (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static uint32_t encode(uint32_t type, uint32_t id, uint64_t offset, uint64_t size, uint8_t *buf)
{
    qs_vgpu_cmd c;
    memset(&c, 0, sizeof(c));
    c.hdr.type = type;
    c.resource_id = id;
    c.offset = offset;
    if (type == QS_VGPU_CMD_RESOURCE_CREATE_BLOB) {
        c.blob_mem = QS_VGPU_BLOB_MEM_HOST3D;
        c.blob_flags = QS_VGPU_BLOB_FLAG_USE_MAPPABLE;
        c.size = size;
    }
    int n = qs_vgpu_encode_cmd(&c, NULL, buf, QS_VGPU_CMD_MAX);
    if (n < 0) {
        die("encode", n);
    }
    return (uint32_t)n;
}

/* Submit and wait for the response; returns its type. */
static uint32_t exec(qs_gpu *dev, const uint8_t *cmd, uint32_t len)
{
    uint8_t resp[QS_VGPU_RESP_MAX];
    uint32_t rlen = 0;
    uint64_t tag = 0;
    int rc = qs_gpu_submit(dev, cmd, len, 1, resp, sizeof(resp), &rlen);
    if (rc < 0) {
        die("qs_gpu_submit", rc);
    }
    if (rc == QS_GPU_QUEUED) {
        rc = qs_gpu_wait(dev, 60000 * MS, &tag, resp, sizeof(resp), &rlen);
        if (rc != 0) {
            die("qs_gpu_wait", rc);
        }
    }
    qs_vgpu_ctrl_hdr h;
    if ((rc = qs_vgpu_decode_resp(resp, rlen, &h, NULL)) != 0) {
        die("qs_vgpu_decode_resp", rc);
    }
    return h.type;
}

static void wait_idle(qs_domain *dom)
{
    qs_stats st;
    for (;;) {
        qs_stats_get(dom, &st);
        if (st.callbacks_run == st.callbacks_queued) {
            return;
        }
        sleep_us(200);
    }
}

typedef struct row {
    const char *name;
    uint64_t p50, p99, max;
    double slow_per_gp;
    uint64_t gps, gps_fqs, kicks, unmaps;
    uint64_t gp_p99, max_section;
} row;

static int settle = 1;
static int yield_on_kick = 1;
static const char *only = NULL; /* run one mode */

static row run(const char *name, int32_t policy, int force, uint32_t worker_slice_us, int iters,
               uint32_t vcpus, uint64_t slice_ns)
{
    qs_domain_config dc;
    qs_domain *dom = NULL;
    int rc = qs_domain_config_init(&dc, policy);
    if (rc != 0) {
        die("qs_domain_config_init", rc);
    }
    dc.worker_slice_us = worker_slice_us;
    if ((rc = qs_domain_new(&dc, &dom)) != 0) {
        die("qs_domain_new", rc);
    }
    qs_machine_config mc;
    if ((rc = qs_machine_config_init(&mc)) != 0) {
        die("qs_machine_config_init", rc);
    }
    mc.vcpus = vcpus;
    mc.slice_ns = slice_ns;
    mc.yield_on_kick = (uint32_t)yield_on_kick;
    qs_machine *m = NULL;
    if ((rc = qs_machine_new(dom, &mc, &m)) != 0) {
        die("qs_machine_new", rc);
    }
    qs_gpu_config gc;
    if ((rc = qs_gpu_config_init(&gc)) != 0) {
        die("qs_gpu_config_init", rc);
    }
    gc.force_on_unmap = force;
    qs_gpu *dev = NULL;
    if ((rc = qs_gpu_new(qs_machine_as(m), &gc, &dev)) != 0) {
        die("qs_gpu_new", rc);
    }
    uint8_t create[QS_VGPU_CMD_MAX], map[QS_VGPU_CMD_MAX], unmap[QS_VGPU_CMD_MAX];
    uint32_t lc = encode(QS_VGPU_CMD_RESOURCE_CREATE_BLOB, 1, 0, 1u << 20, create);
    uint32_t lm = encode(QS_VGPU_CMD_RESOURCE_MAP_BLOB, 1, 0, 0, map);
    uint32_t lu = encode(QS_VGPU_CMD_RESOURCE_UNMAP_BLOB, 1, 0, 0, unmap);
    if (exec(dev, create, lc) != QS_VGPU_RESP_OK_NODATA) {
        die("create", -EIO);
    }
    if ((rc = qs_machine_start(m)) != 0) {
        die("qs_machine_start", rc);
    }
    uint64_t rng = 0x243f6a8885a308d3ull;
    qs_stats s0, s1;
    qs_machine_stats m0, m1;
    qs_stats_get(dom, &s0);
    qs_machine_stats_get(m, &m0);
    for (int i = 0; i < iters; i++) {
        if (exec(dev, map, lm) != QS_VGPU_RESP_OK_MAP_INFO) {
            die("map", -EIO);
        }
        if (settle) {
            wait_idle(dom);
        }
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        sleep_us(rng % 3000);
        if (exec(dev, unmap, lu) != QS_VGPU_RESP_OK_NODATA) {
            die("unmap", -EIO);
        }
    }
    qs_stats_get(dom, &s1);
    qs_machine_stats_get(m, &m1);
    qs_gpu_stats gs;
    qs_gpu_stats_get(dev, &gs);
    row r = {.name = name,
             .p50 = gs.unmap_p50_ns,
             .p99 = gs.unmap_p99_ns,
             .max = gs.unmap_max_ns,
             .gps = s1.gps - s0.gps,
             .gps_fqs = s1.gps_fqs - s0.gps_fqs,
             .kicks = m1.total.kicks - m0.total.kicks,
             .unmaps = gs.unmaps,
             .gp_p99 = qs_stats_gp_percentile_ns(&s1, 99.0),
             .max_section = m1.total.max_section_ns};
    r.slow_per_gp = r.gps ? (double)(s1.slow_unlocks - s0.slow_unlocks) / (double)r.gps : 0.0;
    qs_machine_stop(m);
    if ((rc = qs_gpu_free(dev)) != 0 || (rc = qs_machine_free(m)) != 0 ||
        (rc = qs_domain_free(dom)) != 0) {
        die("teardown", rc);
    }
    return r;
}

int main(int argc, char **argv)
{
    int iters = 100;
    uint32_t vcpus = 2;
    uint64_t slice_ms = 10;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
            iters = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--vcpus") == 0 && i + 1 < argc) {
            vcpus = (uint32_t)atoi(argv[++i]);
        } else if (strcmp(argv[i], "--slice-ms") == 0 && i + 1 < argc) {
            slice_ms = (uint64_t)atoll(argv[++i]);
        } else if (strcmp(argv[i], "--no-settle") == 0) {
            settle = 0;
        } else if (strcmp(argv[i], "--no-yield") == 0) {
            yield_on_kick = 0;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else {
            fprintf(stderr,
                    "usage: %s [--iters N] [--vcpus N] [--slice-ms MS] [--no-settle]"
                    " [--no-yield] [--only LEGACY|FQS|FQS+force|FQS+force/kd]\n",
                    argv[0]);
            return 2;
        }
    }
    if (iters <= 0 || vcpus == 0 || slice_ms == 0) {
        fprintf(stderr, "qs-emu-bench: iters, vcpus and slice must be positive\n");
        return 2;
    }
    printf("qs-emu-bench: %d unmaps per mode, %u busy vCPUs (slice %" PRIu64
           " ms), QEMU defaults (poll %" PRIu64 " ms x %u, %u callbacks)%s%s\n",
           iters, vcpus, slice_ms, (uint64_t)(QS_DEFAULT_POLL_PERIOD_NS / MS),
           QS_DEFAULT_POLL_LIMIT, QS_DEFAULT_CB_THRESHOLD, settle ? "" : ", no settle",
           yield_on_kick ? "" : ", no yield on kick");
    static const struct {
        const char *name;
        int32_t policy;
        int force;
        uint32_t worker_slice_us;
    } modes[4] = {
        {"LEGACY", QS_POLICY_LEGACY, 0, QS_DEFAULT_WORKER_SLICE_US},
        {"FQS", QS_POLICY_FQS, 0, QS_DEFAULT_WORKER_SLICE_US},
        {"FQS+force", QS_POLICY_FQS, 1, QS_DEFAULT_WORKER_SLICE_US},
        {"FQS+force/kd", QS_POLICY_FQS, 1, 0},
    };
    row rows[4];
    int nrows = 0;
    if (only != NULL) {
        int known = 0;
        for (int i = 0; i < 4; i++) {
            known |= strcmp(only, modes[i].name) == 0;
        }
        if (!known) {
            fprintf(stderr, "qs-emu-bench: unknown mode '%s' (LEGACY, FQS, FQS+force, FQS+force/kd)\n", only);
            return 2;
        }
    }
    for (int i = 0; i < 4; i++) {
        if (only == NULL || strcmp(only, modes[i].name) == 0) {
            rows[nrows++] = run(modes[i].name, modes[i].policy, modes[i].force,
                                modes[i].worker_slice_us, iters, vcpus, slice_ms * MS);
        }
    }
    printf("\n%-12s %12s %12s %12s %8s %6s %8s %6s %12s %12s\n", "mode", "unmap p50",
           "unmap p99", "unmap max", "slow/GP", "GPs", "FQS GPs", "kicks", "GP p99",
           "max section");
    for (int i = 0; i < nrows; i++) {
        printf("%-12s %9.3f ms %9.3f ms %9.3f ms %8.2f %6" PRIu64 " %8" PRIu64 " %6" PRIu64
               " %9.3f ms %9.3f ms\n",
               rows[i].name, rows[i].p50 / 1e6, rows[i].p99 / 1e6, rows[i].max / 1e6,
               rows[i].slow_per_gp, rows[i].gps, rows[i].gps_fqs, rows[i].kicks,
               rows[i].gp_p99 / 1e6, rows[i].max_section / 1e6);
    }
    printf("\n(slow/GP: reader slow-path unlocks per grace period; GP p99 from the\n"
           " domain's histogram, bucket upper bound; max section: longest vCPU read\n"
           " section, wall clock, includes time the vCPU thread was preempted;\n"
           " /kd: RCU worker on the kernel's default scheduler slice)\n");
    return 0;
}
