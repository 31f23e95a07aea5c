/*
 * quiesce — QEMU's RCU names over the default domain (optional).
 *
 * For code written against QEMU's include/qemu/rcu.h. Not read by
 * jextract. Each thread's reader lives in a thread-local slot:
 * rcu_register_thread() fills it, rcu_unregister_thread() empties it, and
 * a thread that calls rcu_read_lock() unregistered is registered on the
 * spot (and unregistered when it exits). GCC and Clang.
 */
#ifndef QUIESCE_QEMU_RCU_H
#define QUIESCE_QEMU_RCU_H

#include <quiesce/quiesce.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The calling thread's reader of the default domain (NULL until
 * registered). Defined in libquiesce. */
extern _Thread_local qs_reader *qs_compat_reader;
/* Register the calling thread with the default domain (idempotent).
 * Returns 0 or a negative errno. */
int qs_compat_register_thread(void);
/* Unregister it (no effect if not registered). Returns 0, -EBUSY inside
 * a read section. */
int qs_compat_unregister_thread(void);
/* Register if needed and return the reader; aborts if that fails. */
qs_reader *qs_compat_reader_slow(void);

/* QEMU spells the callback head `struct rcu_head`. */
#define rcu_head qs_head
typedef void RCUCBFunc(struct rcu_head *head);

static inline void rcu_register_thread(void)
{
    (void)qs_compat_register_thread();
}

static inline void rcu_unregister_thread(void)
{
    (void)qs_compat_unregister_thread();
}

static inline qs_reader *qs_compat_self(void)
{
    qs_reader *r = qs_compat_reader;
    if (__builtin_expect(r == NULL, 0)) {
        r = qs_compat_reader_slow();
    }
    return r;
}

static inline void rcu_read_lock(void)
{
    qs_read_lock(qs_compat_self());
}

static inline void rcu_read_unlock(void)
{
    qs_read_unlock(qs_compat_reader);
}

static inline void synchronize_rcu(void)
{
    (void)qs_synchronize(qs_domain_default());
}

static inline void call_rcu1(struct rcu_head *head, RCUCBFunc *func)
{
    (void)qs_call(qs_domain_default(), head, func);
}

/* call_rcu(obj, fn, field): fn(obj) after a grace period; `field` is the
 * struct rcu_head member, which must come first (checked). */
#define call_rcu(obj, fn, field) ((void)QS_CALL(qs_domain_default(), obj, field, fn))

static inline void drain_call_rcu(void)
{
    (void)qs_drain(qs_domain_default());
}

static inline void force_rcu(void)
{
    qs_force(qs_domain_default());
}

/* QEMU's Notifier, as far as force_rcu notifiers use it. */
typedef struct Notifier Notifier;
struct Notifier {
    void (*notify)(Notifier *notifier, void *data);
    qs_notifier impl; /* private */
};

static inline void qs_compat_notify(qs_reader *r, void *opaque)
{
    (void)r;
    Notifier *n = (Notifier *)opaque;
    n->notify(n, NULL);
}

/* Add/remove a force_rcu notifier for the calling thread's reader. */
static inline void rcu_add_force_rcu_notifier(Notifier *n)
{
    n->impl.fn = qs_compat_notify;
    n->impl.opaque = n;
    n->impl.next = NULL;
    (void)qs_notifier_add(qs_compat_self(), &n->impl);
}

static inline void rcu_remove_force_rcu_notifier(Notifier *n)
{
    (void)qs_notifier_remove(qs_compat_self(), &n->impl);
}

#define qatomic_rcu_read(pp) qs_rcu_read(pp)
#define qatomic_rcu_set(pp, v) qs_rcu_publish(pp, v)

/* Scope guards. */
static inline void qs_compat_guard_unlock(int *unused)
{
    (void)unused;
    rcu_read_unlock();
}

#define QS_COMPAT_CAT2_(a, b) a##b
#define QS_COMPAT_CAT_(a, b) QS_COMPAT_CAT2_(a, b)

/* Read-lock until the end of the enclosing scope. */
#define RCU_READ_LOCK_GUARD()                                              \
    int QS_COMPAT_CAT_(qs_rcu_guard_, __COUNTER__)                         \
        __attribute__((cleanup(qs_compat_guard_unlock), unused)) =         \
            (rcu_read_lock(), 0)

/* Read-lock for the statement or block that follows. */
#define WITH_RCU_READ_LOCK_GUARD() \
    WITH_RCU_READ_LOCK_GUARD_(QS_COMPAT_CAT_(qs_rcu_with_, __COUNTER__))
#define WITH_RCU_READ_LOCK_GUARD_(var)                                     \
    for (int var __attribute__((cleanup(qs_compat_guard_unlock))) =        \
             (rcu_read_lock(), 1);                                         \
         var; var = 0)

#ifdef __cplusplus
}
#endif
#endif /* QUIESCE_QEMU_RCU_H */
