package dev.quiesce.api;

import dev.quiesce.Backend;

/** The contract suite against the JNA backend (skipped where it cannot run). */
class JnaContractTest extends RcuContract {
    @Override
    protected Backend backend() {
        return Backend.JNA;
    }
}
