package dev.quiesce.engine.sim;

import dev.quiesce.engine.GpSnapshot;
import dev.quiesce.engine.Stats;
import dev.quiesce.engine.WorkerSnapshot;
import java.util.List;

/**
 * The whole observable state of a simulation ({@code qs_sim_state}), field
 * for field in the C order. Two implementations fed the same events must
 * produce equal values after every step. 
 *
 * @param gpCtr       the global grace-period counter (bit 0 set)
 * @param writer      where the simulated writer is blocked
 * @param owner       who owns the GP in progress
 * @param gp          the writer machine
 * @param worker      the worker machine
 * @param gpEventSet  the GP event is set
 * @param pending     callbacks queued, not yet run (unsigned)
 * @param draining    drains in progress (unsigned)
 * @param forced      force() not yet answered by a worker GP
 * @param syncPending a direct synchronize() waits for the writer
 * @param forcedLate  force() arrived during the worker's GP: it also forces the next one
 * @param nextCbId    id the next call gets
 * @param lastCbRun   id of the last callback run (0: none)
 * @param runHash     order-sensitive hash of ids run, in order ({@link Sim#hashStep})
 * @param readers     the {@link Sim#MAX_READERS} reader slots
 * @param stats       the counters
 * @param gpSeqStarted   number of the last GP claimed (unsigned, wraps)
 * @param gpSeqCompleted number of the last GP completed (unsigned, wraps)
 * @param gpSeqWanted    latest cookie START_POLL asked for; the worker runs a GP while it is not done
 */
public record SimState(long gpCtr, SimWriter writer, SimOwner owner, GpSnapshot gp, WorkerSnapshot worker,
                       boolean gpEventSet, int pending, int draining, boolean forced, boolean syncPending,
                       boolean forcedLate, long nextCbId, long lastCbRun, long runHash, List<SimReader> readers, Stats stats,
                       long gpSeqStarted, long gpSeqCompleted, long gpSeqWanted) {

    /** Copies the reader list (immutable). */
    public SimState {
        readers = List.copyOf(readers);
        if (readers.size() != Sim.MAX_READERS) {
            throw new IllegalArgumentException("need " + Sim.MAX_READERS + " readers, got " + readers.size());
        }
    }

    /**
     * Reader slot {@code i}.
     *
     * @param i the i
     * @return the sim reader
     */
    public SimReader reader(int i) {
        return readers.get(i);
    }
}
