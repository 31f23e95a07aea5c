package dev.quiesce.api;

import dev.quiesce.Backend;

/** The contract suite against the FFM backend (skipped where it cannot run). */
class FfmContractTest extends RcuContract {
    @Override
    protected Backend backend() {
        return Backend.FFM;
    }
}
