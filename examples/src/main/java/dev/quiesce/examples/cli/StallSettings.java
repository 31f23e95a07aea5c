package dev.quiesce.examples.cli;

import java.time.Duration;

/**
 * The stall experiment's parameters.
 *
 * @param vcpus        busy vCPU threads
 * @param unmaps       unmaps per mode
 * @param slice        vCPU time slice (0: only a kick ends a section)
 * @param blobSize     bytes of the blob mapped and unmapped
 * @param stallTimeout how long one unmap may take before a drain unsticks it
 * @param seed         the random waits' seed
 * @param workerSliceMicros the RCU call worker's scheduler slice (0: the kernel's default)
 * @param warmup       unmaps run before the measured ones and not counted (native backend)
 */
record StallSettings(int vcpus, int unmaps, Duration slice, long blobSize, Duration stallTimeout, long seed,
                     int workerSliceMicros, int warmup) {
}
