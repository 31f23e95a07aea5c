/*
 * quiesce — QEMU source compatibility: the names of QEMU's
 * include/qemu/rcu.h and include/qemu/rcu_queue.h (with the parts of
 * include/qemu/queue.h they need) over libquiesce, bound to the default
 * domain (qs_domain_default()).
 *
 * Code written against QEMU's RCU API compiles against this header
 * unchanged: replace the includes of qemu/rcu.h, qemu/rcu_queue.h (and
 * qemu/queue.h, for the names listed in <quiesce/qemu_queue.h>) with
 *
 *     #include <quiesce/qemu_compat.h>
 *
 * and link with -lquiesce. Not read by jextract. GCC and Clang; C11, or
 * C++11 and later (see "C++" below).
 *
 * Threads. Each thread's reader of the default domain lives in a
 * thread-local slot. rcu_register_thread() fills it (idempotent),
 * rcu_unregister_thread() empties it, and a thread that calls
 * rcu_read_lock() or get_ptr_rcu_reader() unregistered is registered on
 * the spot; a thread that exits registered is unregistered by a
 * thread-exit destructor. (QEMU requires the explicit call; here it is
 * optional.)
 *
 * Errors. QEMU's functions return void and cannot fail. Where libquiesce
 * reports an error these names print it and abort() instead of going on
 * without the grace period the caller relies on: synchronize_rcu() or
 * drain_call_rcu() inside a read section (QEMU would deadlock),
 * rcu_unregister_thread() inside one, rcu_read_unlock() without
 * rcu_read_lock() (QEMU asserts), and running out of memory or threads
 * while registering or starting the callback worker.
 *
 * Differences from QEMU, all intended:
 *   - call_rcu callbacks run on the default domain's worker thread without
 *     QEMU's big lock (there is none); callbacks queued by one thread run
 *     in order, as in QEMU.
 *   - synchronize_rcu() is expedited (force-quiescent state at once), as
 *     under QEMU's FQS design.
 *   - struct rcu_reader_data is libquiesce's reader record (qs_reader):
 *     the fields ctr, waiting and depth exist (ctr != 0 inside a
 *     section, waiting = the writer wants a wake-up, as in QEMU; depth
 *     counts the levels nested inside the outermost section, so it is 0
 *     in an outermost one, where QEMU's is 1: the fast path stores only
 *     ctr there). QEMU's `node` and `force_rcu` do not exist (use
 *     rcu_add_force_rcu_notifier). Its address is stable while the thread
 *     stays registered.
 *   - rcu_enable_atfork()/rcu_disable_atfork() keep QEMU's nesting count
 *     (starts at 1). While it is below 1, fork() leaves the default domain
 *     alone: the parent does not wait for a grace period in progress, and
 *     the child inherits the domain as it was (locks possibly held,
 *     readers of threads that do not exist in the child), so the child
 *     must not use RCU (it should exec or _exit), as in QEMU. Other
 *     domains are always fork-safe.
 *   - g_free_rcu(obj, field) frees with g_free() when <glib.h> was
 *     included before this header (__G_LIB_H__ or __G_MEM_H__ defined),
 *     else with free(). Define QS_COMPAT_G_FREE_RCU_USES_G_FREE to 1 or 0
 *     before including to choose yourself (1 needs g_free declared).
 *   - `rcu_head` and `rcu_reader_data` are macros naming libquiesce's
 *     types (struct qs_head, struct qs_reader): QEMU code that declares
 *     `struct rcu_head rcu;` or `struct rcu_reader_data *p;` compiles, and
 *     the head is the one qs_call() takes.
 *
 * C++. The header compiles as C++ (tested with g++ and clang++). There
 * rcu_read_lock()/rcu_read_unlock() call libquiesce's out-of-line read
 * side (qs_read_lock_fn/qs_read_unlock_fn; same steps, one call each),
 * because the inline fast path in <quiesce/read.h> uses C11 <stdatomic.h>,
 * which C++ before C++23 lacks. call_rcu's checks use a template instead
 * of __builtin_types_compatible_p. QTAILQ_HEAD_INITIALIZER is a designated
 * initializer (C++20, or the GNU extension).
 */
#ifndef QUIESCE_QEMU_COMPAT_H
#define QUIESCE_QEMU_COMPAT_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#ifdef __cplusplus
#include <quiesce/domain.h>
#include <quiesce/pointer.h>
#else
#include <quiesce/quiesce.h>
#endif
#include <quiesce/qemu_queue.h>

/* ------------------------------------------------- C / C++ spelling */

#ifdef __cplusplus
/* Type identity for call_rcu's checks (C uses the builtin). */
template <typename A, typename B> struct qs_compat_same_type { enum { value = 0 }; };
template <typename A> struct qs_compat_same_type<A, A> { enum { value = 1 }; };
#define QS_COMPAT_SAME_TYPE(a, b) (qs_compat_same_type<a, b>::value)
#define QS_COMPAT_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define QS_COMPAT_SAME_TYPE(a, b) __builtin_types_compatible_p(a, b)
#define QS_COMPAT_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------ libquiesce's compat glue */

/* The calling thread's reader of the default domain (NULL until
 * registered). Defined in libquiesce. __thread: the same TLS symbol in C
 * and C++ (C++'s thread_local would add an initialisation wrapper). */
extern __thread qs_reader *qs_compat_reader;
/* Register the calling thread with the default domain (idempotent).
 * Returns 0 or a negative errno. */
int qs_compat_register_thread(void);
/* Unregister it (no effect if not registered). Returns 0, -EBUSY inside
 * a read section. */
int qs_compat_unregister_thread(void);
/* Register if needed and return the reader; aborts if that fails. */
qs_reader *qs_compat_reader_slow(void);
/* Print "libquiesce: <what>: <strerror(-rc)>" and abort(). */
__attribute__((noreturn, cold)) void qs_compat_fail(const char *what, int rc);
/* QEMU's atfork nesting count: add `delta` (+1 enable, -1 disable). */
void qs_compat_atfork_adjust(int delta);

/* QEMU spells the callback head `struct rcu_head` and the reader record
 * `struct rcu_reader_data`. */
#define rcu_head qs_head
#define rcu_reader_data qs_reader
typedef void RCUCBFunc(struct rcu_head *head);

/* ------------------------------------------------------ registration */

static inline void rcu_register_thread(void)
{
    int rc = qs_compat_register_thread();
    if (rc != 0) {
        qs_compat_fail("rcu_register_thread", rc);
    }
}

static inline void rcu_unregister_thread(void)
{
    int rc = qs_compat_unregister_thread();
    if (rc != 0) {
        qs_compat_fail("rcu_unregister_thread (inside a read section?)", rc);
    }
}

/* The calling thread's reader record (registers the thread if needed). */
static inline struct rcu_reader_data *get_ptr_rcu_reader(void)
{
    qs_reader *r = qs_compat_reader;
    if (__builtin_expect(r == NULL, 0)) {
        r = qs_compat_reader_slow();
    }
    return r;
}

/* fork() handling of the default domain: see the header comment. */
static inline void rcu_enable_atfork(void)
{
    qs_compat_atfork_adjust(1);
}

static inline void rcu_disable_atfork(void)
{
    qs_compat_atfork_adjust(-1);
}

/* --------------------------------------------------------- read side */

static inline void rcu_read_lock(void)
{
#ifdef __cplusplus
    qs_read_lock_fn(get_ptr_rcu_reader());
#else
    qs_read_lock(get_ptr_rcu_reader());
#endif
}

static inline void rcu_read_unlock(void)
{
    qs_reader *r = qs_compat_reader;
    /* ctr != 0 exactly inside a section (read.h); relaxed: our own store. */
    if (__builtin_expect(r == NULL || __atomic_load_n(&r->ctr, __ATOMIC_RELAXED) == 0, 0)) {
        qs_compat_fail("rcu_read_unlock without rcu_read_lock", -EPERM);
    }
#ifdef __cplusplus
    qs_read_unlock_fn(r);
#else
    qs_read_unlock(r);
#endif
}

/* Load an RCU-protected pointer (acquire/consume: pairs with the
 * release store of qatomic_rcu_set). Takes the pointer's address. */
#define qatomic_rcu_read(ptr) qs_rcu_read(ptr)
/* Publish `val` with a release store (pairs with qatomic_rcu_read). */
#define qatomic_rcu_set(ptr, val) qs_rcu_publish(ptr, val)

/* --------------------------------------------------------- writers */

static inline void synchronize_rcu(void)
{
    int rc = qs_synchronize(qs_domain_default());
    if (rc != 0) {
        qs_compat_fail("synchronize_rcu (inside a read section?)", rc);
    }
}

static inline void call_rcu1(struct rcu_head *head, RCUCBFunc *func)
{
    int rc = qs_call(qs_domain_default(), head, func);
    if (rc != 0) {
        qs_compat_fail("call_rcu", rc);
    }
}

/*
 * call_rcu(obj, func, field): func(obj) after a grace period. Checked at
 * compile time, like QEMU's: `field` must be obj's struct rcu_head member
 * and its first member (offset 0: the head's address is the object's),
 * and func must be `void func(T *)` for obj of type T *.
 */
#define call_rcu(obj, func, field)                                              \
    call_rcu1(__extension__({                                                   \
                  QS_COMPAT_STATIC_ASSERT(                                      \
                      QS_COMPAT_SAME_TYPE(__typeof__((obj)->field), qs_head),   \
                      "call_rcu: " #field " must be a struct rcu_head");       \
                  QS_COMPAT_STATIC_ASSERT(                                      \
                      offsetof(__typeof__(*(obj)), field) == 0,                 \
                      "call_rcu: " #field " must be the first member");        \
                  QS_COMPAT_STATIC_ASSERT(                                      \
                      QS_COMPAT_SAME_TYPE(__typeof__(&*(func)),                 \
                                          void (*)(__typeof__(&*(obj)))),       \
                      "call_rcu: " #func " must be void (*)(typeof(obj))");    \
                  &(obj)->field;                                                \
              }),                                                               \
              (RCUCBFunc *)(void (*)(void))(func))

#ifndef QS_COMPAT_G_FREE_RCU_USES_G_FREE
#if defined(__G_LIB_H__) || defined(__G_MEM_H__)
#define QS_COMPAT_G_FREE_RCU_USES_G_FREE 1
#else
#define QS_COMPAT_G_FREE_RCU_USES_G_FREE 0
#endif
#endif

/* g_free_rcu's callback: the head is at offset 0, so it is the object. */
static inline void qs_compat_free_head(struct rcu_head *head)
{
#if QS_COMPAT_G_FREE_RCU_USES_G_FREE
    g_free(head);
#else
    free(head);
#endif
}

/* g_free_rcu(obj, field): free obj (g_free or free, see the header
 * comment) after a grace period. `field` must be obj's struct rcu_head
 * member and its first member (checked). */
#define g_free_rcu(obj, field)                                                  \
    call_rcu1(__extension__({                                                   \
                  QS_COMPAT_STATIC_ASSERT(                                      \
                      QS_COMPAT_SAME_TYPE(__typeof__((obj)->field), qs_head),   \
                      "g_free_rcu: " #field " must be a struct rcu_head");     \
                  QS_COMPAT_STATIC_ASSERT(                                      \
                      offsetof(__typeof__(*(obj)), field) == 0,                 \
                      "g_free_rcu: " #field " must be the first member");      \
                  &(obj)->field;                                                \
              }),                                                               \
              qs_compat_free_head)

/* Returns once every callback queued before the call has run. */
static inline void drain_call_rcu(void)
{
    int rc = qs_drain(qs_domain_default());
    if (rc != 0) {
        qs_compat_fail("drain_call_rcu (inside a read section?)", rc);
    }
}

/* Make the current (or next) grace period enter the force-quiescent
 * state now: force notifiers run, and the worker is woken. */
static inline void force_rcu(void)
{
    qs_force(qs_domain_default());
}

/* ------------------------------------------------- force notifiers */

/* QEMU's Notifier, as force_rcu notifiers use it. notify(n, NULL) runs
 * on the writer's (or worker's) thread when a grace period this thread
 * blocks enters the force-quiescent state; it must be quick and must not
 * call into RCU. */
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

/* Add/remove a force_rcu notifier for the calling thread (registering
 * it if needed). Adding one twice or removing one not added aborts. */
static inline void rcu_add_force_rcu_notifier(Notifier *n)
{
    n->impl.fn = qs_compat_notify;
    n->impl.opaque = n;
    n->impl.next = NULL;
    int rc = qs_notifier_add(get_ptr_rcu_reader(), &n->impl);
    if (rc != 0) {
        qs_compat_fail("rcu_add_force_rcu_notifier", rc);
    }
}

static inline void rcu_remove_force_rcu_notifier(Notifier *n)
{
    int rc = qs_notifier_remove(get_ptr_rcu_reader(), &n->impl);
    if (rc != 0) {
        qs_compat_fail("rcu_remove_force_rcu_notifier", rc);
    }
}

/* ----------------------------------------------------- scope guards */

static inline void qs_compat_guard_unlock(int *unused)
{
    (void)unused;
    rcu_read_unlock();
}

#define QS_COMPAT_CAT2_(a, b) a##b
#define QS_COMPAT_CAT_(a, b) QS_COMPAT_CAT2_(a, b)

/* Read-lock until the end of the enclosing scope (also on return, break
 * or goto out of it). */
#define RCU_READ_LOCK_GUARD()                                              \
    int QS_COMPAT_CAT_(qs_rcu_guard_, __COUNTER__)                         \
        __attribute__((cleanup(qs_compat_guard_unlock), unused)) =         \
            (rcu_read_lock(), 1)

/* Read-lock for the statement or block that follows (break and continue
 * leave it, unlocking). */
#define WITH_RCU_READ_LOCK_GUARD() \
    WITH_RCU_READ_LOCK_GUARD_(QS_COMPAT_CAT_(qs_rcu_with_, __COUNTER__))
#define WITH_RCU_READ_LOCK_GUARD_(var)                                     \
    for (int var __attribute__((cleanup(qs_compat_guard_unlock))) =        \
             (rcu_read_lock(), 1);                                         \
         var; var = 0)

#ifdef __cplusplus
}
#endif
#endif /* QUIESCE_QEMU_COMPAT_H */
