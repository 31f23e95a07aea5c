package dev.quiesce.api;

import dev.quiesce.Backend;

/** The contract suite against the PURE_JAVA backend (skipped where it cannot run). */
class PureJavaContractTest extends RcuContract {
    @Override
    protected Backend backend() {
        return Backend.PURE_JAVA;
    }
}
