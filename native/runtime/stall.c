/*
 * Stall warnings: a grace period that still waits for readers
 * stall_timeout_ms after its gp_ctr advance is reported once, and again
 * at 3x the timeout (then no more for that GP), through the domain's
 * stall handler.
 *
 * The read side reads no clock, so a reader's time inside its section is
 * a lower bound kept by the writer: the first time a GP's scan sees a
 * section blocking it (by its ctr value; the same ctr in a later GP is
 * the same section, since a new outermost lock takes the current gp_ctr,
 * which moved), the writer stamps it with that GP's advance time.
 *
 * The writer gathers the report under registry_mutex (to_check is stable
 * then), drops it, reads the thread names and calls the handler under
 * stall_mutex only, so the handler never runs with the registry locked.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "domain_impl.h"

void qs_rt_stall_begin(qs_domain *dom, qs_stall_watch *w, uint64_t gp, uint64_t t0)
{
    w->gp = gp;
    w->t0 = t0;
    w->timeout_ns = (uint64_t)dom->cfg.stall_timeout_ms * 1000000u;
    w->reported = 0;
}

/* The thread name from /proc (works for any thread of this process, and
 * fails cleanly for one that is gone). */
static void read_name(int64_t tid, char name[16])
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/task/%" PRId64 "/comm", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, name, 15) : -1;
    if (fd >= 0) {
        close(fd);
    }
    if (n <= 0) {
        strcpy(name, "?");
        return;
    }
    name[n] = '\0';
    if (name[n - 1] == '\n') {
        name[n - 1] = '\0';
    }
}

static void default_handler(const qs_stall_report *report, void *opaque)
{
    (void)opaque;
    char buf[4096];
    int64_t n = qs_stall_report_format(report, buf, sizeof(buf));
    if (n < 0) {
        return;
    }
    size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
    /* One write: the block is not interleaved with other output. */
    ssize_t w = write(STDERR_FILENO, buf, len);
    (void)w;
}

uint64_t qs_rt_stall_check(qs_domain *dom, qs_stall_watch *w)
{
    if (w->timeout_ns == 0 || w->reported >= 2) {
        return 0;
    }
    uint64_t deadline = w->timeout_ns * (w->reported == 0 ? 1u : 3u);
    uint64_t elapsed = now_ns() - w->t0;
    if (elapsed < deadline) {
        return deadline - elapsed;
    }
    w->reported++;

    qs_stall_reader readers[QS_STALL_MAX_READERS];
    qs_stall_report rep = {
        .gp = w->gp,
        .elapsed_ns = elapsed,
        .timeout_ns = w->timeout_ns,
        .nth = w->reported,
        .policy = dom->cfg.params.policy,
        .state = dom->gp.state,
        .cause = dom->gp.cause,
        .readers = readers,
    };
    uint64_t now = w->t0 + elapsed;
    for (qs_link *l = dom->to_check.next; l != &dom->to_check; l = l->next) {
        qs_reader_rt *rt = READER_OF_CHK(l);
        rep.nreaders_total++;
        if (rep.nreaders < QS_STALL_MAX_READERS) {
            qs_stall_reader *sr = &readers[rep.nreaders++];
            memset(sr, 0, sizeof(*sr));
            sr->tid = rt->tid;
            sr->inside_ns = now - rt->sec_seen_ns;
            /* read.h (main's fast path) counts in `depth` the levels nested
             * inside the outermost one, so a reader on to_check is at
             * 1 + depth. Relaxed: a snapshot, possibly a moment old; the
             * owner's stores are plain (merge of obs15c into main: the
             * atomic depth stores of obs15c's read.h were dropped for main's
             * fast path). */
            sr->depth = 1 + atomic_load_explicit(QS_ATOMIC_U32(&rt->pub.depth),
                                                 memory_order_relaxed);
            sr->kicks = rt->gp_kicks;
        }
    }
    /* The list invariant of wait_for_readers holds while unlocked. */
    pthread_mutex_unlock(&dom->registry_mutex);
    for (uint32_t i = 0; i < rep.nreaders; i++) {
        read_name(readers[i].tid, readers[i].name);
    }
    stat_add(&dom->st.stalls, 1);
    pthread_mutex_lock(&dom->stall_mutex);
    if (dom->stall_fn != NULL) {
        dom->stall_fn(&rep, dom->stall_opaque);
    } else {
        default_handler(&rep, NULL);
    }
    pthread_mutex_unlock(&dom->stall_mutex);
    pthread_mutex_lock(&dom->registry_mutex);

    if (w->reported >= 2) {
        return 0;
    }
    elapsed = now_ns() - w->t0;
    deadline = w->timeout_ns * 3u;
    return elapsed < deadline ? deadline - elapsed : 1;
}

int qs_set_stall_handler(qs_domain *dom, qs_stall_handler fn, void *opaque)
{
    if (dom == NULL) {
        return -EINVAL;
    }
    /* Waits for a handler call in progress (it holds stall_mutex). */
    pthread_mutex_lock(&dom->stall_mutex);
    dom->stall_fn = fn;
    dom->stall_opaque = fn != NULL ? opaque : NULL;
    pthread_mutex_unlock(&dom->stall_mutex);
    return 0;
}

static const char *policy_name(int32_t p)
{
    return p == QS_POLICY_FQS ? "FQS" : p == QS_POLICY_LEGACY ? "LEGACY" : "?";
}

static const char *state_name(int32_t s)
{
    static const char *const names[] = {"IDLE", "NORMAL", "FORCED", "LEGACY"};
    return s >= 0 && s < 4 ? names[s] : "?";
}

static const char *cause_name(int32_t c)
{
    static const char *const names[QS_FQS_CAUSES] = {
        "NONE", "EXPEDITED", "FORCE", "DRAIN", "THRESHOLD", "POLL_LIMIT"};
    return c >= 0 && c < QS_FQS_CAUSES ? names[c] : "?";
}

/* snprintf into buf at *pos, tracking the whole length like snprintf. */
#define APPEND(...)                                                         \
    do {                                                                    \
        size_t room_ = *pos < len ? len - *pos : 0;                         \
        int n_ = snprintf(room_ ? buf + *pos : NULL, room_, __VA_ARGS__);   \
        if (n_ > 0) {                                                       \
            *pos += (size_t)n_;                                             \
        }                                                                   \
    } while (0)

static void format_into(const qs_stall_report *r, char *buf, size_t len, size_t *pos)
{
    APPEND("quiesce: grace period %" PRIu64 " stalled for %" PRIu64
           " ms (report %" PRIu32 " of 2, stall timeout %" PRIu64 " ms)\n",
           r->gp, r->elapsed_ns / 1000000u, r->nth, r->timeout_ns / 1000000u);
    APPEND("  policy %s, state %s, FQS cause %s\n", policy_name(r->policy),
           state_name(r->state), cause_name(r->cause));
    APPEND("  %" PRIu32 " reader(s) holding it:\n", r->nreaders_total);
    for (uint32_t i = 0; i < r->nreaders && r->readers != NULL; i++) {
        const qs_stall_reader *sr = &r->readers[i];
        char name[17];
        memcpy(name, sr->name, 16);
        name[16] = '\0';
        APPEND("    tid %" PRId64 " \"%s\": inside the section for >= %" PRIu64
               " ms, depth %" PRIu32 ", kicked by notifiers %" PRIu32 " time(s)\n",
               sr->tid, name, sr->inside_ns / 1000000u, sr->depth, sr->kicks);
    }
    if (r->nreaders < r->nreaders_total) {
        APPEND("    ... and %" PRIu32 " more\n", r->nreaders_total - r->nreaders);
    }
}

int64_t qs_stall_report_format(const qs_stall_report *report, char *buf, size_t len)
{
    if (report == NULL || (buf == NULL && len > 0)) {
        return -EINVAL;
    }
    size_t pos = 0;
    format_into(report, buf, len, &pos);
    if (len > 0 && pos >= len) {
        buf[len - 1] = '\0'; /* snprintf already terminated; be explicit */
    }
    return (int64_t)pos;
}
