/**
 * Trace export: {@link dev.quiesce.trace.TraceRecorder} collects grace
 * periods, FQS entries, force() calls and callback batches of domains (and
 * whatever spans the caller adds, such as the emulator's unmaps and vCPU
 * read sections) and writes them as Chrome Trace Event JSON, which
 * https://ui.perfetto.dev and chrome://tracing open.
 */
package dev.quiesce.trace;
