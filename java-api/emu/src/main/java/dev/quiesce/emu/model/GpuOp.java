package dev.quiesce.emu.model;

import dev.quiesce.emu.GpuCommand;
import java.util.Arrays;
import java.util.Objects;

/**
 * One step of a differential command stream: the same steps drive the
 * native device and the {@link GpuModel}, whose responses and states are then
 * compared.
 */
public sealed interface GpuOp permits GpuOp.Submit, GpuOp.GracePeriod, GpuOp.Settle {

    /**
     * Submit these bytes without waiting for the answer (consecutive submits
     * form a burst: later ones may queue behind an unmap still pending).
     *
     * @param bytes the command (copied)
     * @param label what it is, for reports
     */
    record Submit(byte[] bytes, String label) implements GpuOp {
        /** Copies {@code bytes}. */
        public Submit {
            bytes = bytes.clone();
            Objects.requireNonNull(label, "label");
        }

        /**
         * {@return a typed command}
         *
         * @param c a typed command
         */
        public static Submit of(GpuCommand c) {
            return new Submit(c.toBytes(), c.toString());
        }

        /** {@return a copy of the command's bytes} */
        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Submit && Arrays.equals(bytes, ((Submit) o).bytes) && label.equals(((Submit) o).label);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes) * 31 + label.hashCode();
        }

        @Override
        public String toString() {
            return "submit " + label + " (" + bytes.length + " bytes)";
        }
    }

    /**
     * A grace period elapses in the model: the pending unmap's region is freed
     * ({@link GpuModel#blobRegionFree()}). The native device needs no step:
     * its grace periods happen on their own.
     */
    record GracePeriod() implements GpuOp {
        @Override
        public String toString() {
            return "grace period";
        }
    }

    /**
     * Wait until every command was answered on both sides, then compare
     * responses, blob states, mappings and counters.
     */
    record Settle() implements GpuOp {
        @Override
        public String toString() {
            return "settle";
        }
    }
}
