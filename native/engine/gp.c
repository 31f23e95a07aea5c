/*
 * The grace-period decision logic: when to poll, when to force, when a GP
 * is over, when the worker starts one. Pure: no threads, clocks or system
 * calls. The runtime (runtime/domain.c) and the simulator (engine/sim.c)
 * both drive these machines; the Java twin (dev.quiesce.engine.GpMachine)
 * mirrors them function by function.
 */
#include <errno.h>
#include <stddef.h>

#include <quiesce/engine.h>

int qs_params_init(qs_params *p, int32_t policy)
{
    if (p == NULL || (policy != QS_POLICY_FQS && policy != QS_POLICY_LEGACY)) {
        return -EINVAL;
    }
    p->policy = policy;
    p->poll_limit = QS_DEFAULT_POLL_LIMIT;
    p->cb_threshold = QS_DEFAULT_CB_THRESHOLD;
    p->reserved = 0;
    p->poll_period_ns = QS_DEFAULT_POLL_PERIOD_NS;
    return 0;
}

int qs_params_check(const qs_params *p)
{
    if (p == NULL) {
        return -EINVAL;
    }
    if (p->policy != QS_POLICY_FQS && p->policy != QS_POLICY_LEGACY) {
        return -EINVAL;
    }
    if (p->poll_limit == 0 || p->cb_threshold == 0 || p->poll_period_ns == 0 ||
        p->reserved != 0) {
        return -EINVAL;
    }
    return 0;
}

int32_t qs_reader_classify(uint64_t ctr, uint64_t gp_ctr)
{
    if (ctr == 0) {
        return QS_READER_INACTIVE;
    }
    return ctr == gp_ctr ? QS_READER_ACTIVE_CURRENT : QS_READER_ACTIVE_OLD;
}

/* ------------------------------------------------------- writer machine */

int qs_gp_init(qs_gp *gp, const qs_params *params)
{
    int rc = qs_params_check(params);
    if (rc != 0 || gp == NULL) {
        return -EINVAL;
    }
    gp->params = *params;
    gp->state = QS_GP_IDLE;
    gp->cause = QS_FQS_NONE;
    gp->polls = 0;
    gp->expedited = 0;
    return 0;
}

void qs_gp_begin(qs_gp *gp, int32_t expedited)
{
    gp->state = gp->params.policy == QS_POLICY_LEGACY ? QS_GP_LEGACY : QS_GP_NORMAL;
    gp->cause = QS_FQS_NONE;
    gp->polls = 0;
    gp->expedited = expedited ? 1 : 0;
}

void qs_gp_expedite(qs_gp *gp)
{
    if (gp->state != QS_GP_IDLE) {
        gp->expedited = 1;
    }
}

int32_t qs_gp_arms(const qs_gp *gp)
{
    return gp->state == QS_GP_FORCED || gp->state == QS_GP_LEGACY;
}

int32_t qs_gp_notifies_in_scan(const qs_gp *gp, const qs_gp_input *in)
{
    /* Before the seed, the only kick: blocking readers while a drain runs. */
    return gp->state == QS_GP_LEGACY && in->draining > 0;
}

/* The first trigger that holds, in a fixed priority order, or NONE. */
static int32_t fqs_trigger(const qs_gp *gp, const qs_gp_input *in)
{
    if (gp->expedited) {
        return QS_FQS_EXPEDITED;
    }
    if (in->forced) {
        return QS_FQS_FORCE;
    }
    if (in->draining > 0) {
        return QS_FQS_DRAIN;
    }
    if (in->pending >= gp->params.cb_threshold) {
        return QS_FQS_THRESHOLD;
    }
    if (gp->polls >= gp->params.poll_limit) {
        return QS_FQS_POLL_LIMIT;
    }
    return QS_FQS_NONE;
}

int32_t qs_gp_after_scan(qs_gp *gp, const qs_gp_input *in)
{
    if (in->remaining == 0) {
        return QS_GP_ACT_DONE;
    }
    switch (gp->state) {
    case QS_GP_NORMAL: {
        int32_t cause = fqs_trigger(gp, in);
        if (cause == QS_FQS_NONE) {
            return QS_GP_ACT_SLEEP;
        }
        gp->state = QS_GP_FORCED;
        gp->cause = cause;
        return QS_GP_ACT_FORCE;
    }
    case QS_GP_FORCED:
    case QS_GP_LEGACY:
        return QS_GP_ACT_WAIT;
    default:
        /* IDLE: no GP to wait for. */
        return QS_GP_ACT_DONE;
    }
}

void qs_gp_poll_done(qs_gp *gp)
{
    gp->polls++;
}

void qs_gp_end(qs_gp *gp)
{
    gp->state = QS_GP_IDLE;
    gp->expedited = 0;
}

/* ------------------------------------------- GP numbers, polled GPs */

qs_gp_state qs_gp_seq_snap(uint64_t started)
{
    return started + 1; /* unsigned: wraps modulo 2^64 */
}

int32_t qs_gp_seq_done(uint64_t completed, qs_gp_state cookie)
{
    /* The difference modulo 2^64, read as signed (see engine.h for the
     * window); the conversion of an out-of-range value is
     * implementation-defined in C11, two's complement on every target we
     * build for. */
    return (int64_t)(completed - cookie) >= 0;
}

/* ------------------------------------------------------- worker machine */

int qs_worker_init(qs_worker *w, const qs_params *params)
{
    if (w == NULL || qs_params_check(params) != 0) {
        return -EINVAL;
    }
    w->params = *params;
    w->state = QS_WORKER_IDLE;
    w->prepolls = 0;
    w->batch = 0;
    w->reserved = 0;
    return 0;
}

static int32_t worker_start_gp(qs_worker *w, uint32_t pending)
{
    w->state = QS_WORKER_GP;
    w->batch = pending;
    return QS_WORKER_ACT_RUN_GP;
}

int32_t qs_worker_next(qs_worker *w, uint32_t pending)
{
    return qs_worker_decide(w, pending, 0);
}

int32_t qs_worker_decide(qs_worker *w, uint32_t pending, uint32_t gp_wanted)
{
    switch (w->state) {
    case QS_WORKER_IDLE:
        if (pending == 0) {
            if (gp_wanted) {
                /* A polled GP was asked for: run one with no callbacks. */
                return worker_start_gp(w, 0);
            }
            return QS_WORKER_ACT_WAIT_WORK;
        }
        if (w->params.policy != QS_POLICY_LEGACY) {
            /* The seed: start the GP at once; waiting lives in the GP. */
            return worker_start_gp(w, pending);
        }
        /* Before the seed: hope for a pile-up first. */
        w->state = QS_WORKER_PREPOLL;
        w->prepolls = 0;
        /* fall through */
    case QS_WORKER_PREPOLL:
        if (gp_wanted || pending >= w->params.cb_threshold ||
            w->prepolls >= w->params.poll_limit) {
            return worker_start_gp(w, pending);
        }
        return QS_WORKER_ACT_PREPOLL;
    default:
        /* A GP or a batch is in progress: nothing new to decide. */
        return -EINVAL;
    }
}

void qs_worker_prepoll_done(qs_worker *w)
{
    w->prepolls++;
}

void qs_worker_gp_done(qs_worker *w)
{
    w->state = QS_WORKER_INVOKE;
}

void qs_worker_batch_done(qs_worker *w)
{
    w->state = QS_WORKER_IDLE;
    w->batch = 0;
    w->prepolls = 0;
}
