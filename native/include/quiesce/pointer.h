/*
 * quiesce — RCU-protected pointers and the type-checked call helper.
 *
 * Not read by jextract (function-like macros only). GCC and Clang.
 *
 * Every accessor takes the ADDRESS of the shared pointer variable:
 *
 *     struct conf *conf_current;                  // RCU-protected
 *
 *     // reader, inside qs_read_lock/qs_read_unlock:
 *     struct conf *c = qs_rcu_read(&conf_current);
 *
 *     // writer:
 *     struct conf *n = malloc(sizeof(*n));
 *     ...fill *n...
 *     struct conf *old = qs_rcu_exchange(&conf_current, n);
 *     QS_CALL(dom, old, rcu, conf_free);          // or qs_synchronize + free
 *
 * Memory consistency: a reader that qs_rcu_read()s the pointer stored by
 * qs_rcu_publish()/qs_rcu_exchange() sees every store the writer made to
 * the object before publishing it.
 */
#ifndef QUIESCE_POINTER_H
#define QUIESCE_POINTER_H

#include <stddef.h>
#include <quiesce/domain.h>

/* Load an RCU-protected pointer (inside a read section). Consume
 * ordering: compilers implement it as acquire, which race detectors also
 * understand. */
#define qs_rcu_read(pp) __atomic_load_n((pp), __ATOMIC_CONSUME)

/* Publish `v` to readers: store-release, so the object's initialisation
 * happens before any reader's qs_rcu_read that returns it. The value is
 * converted to the pointer's type first (a type error if incompatible). */
#define qs_rcu_publish(pp, v)                                        \
    do {                                                             \
        __typeof__(*(pp)) qs_rcu_publish_v_ = (v);                   \
        __atomic_store_n((pp), qs_rcu_publish_v_, __ATOMIC_RELEASE); \
    } while (0)

/* Publish `v` and return the previous value (sequentially consistent:
 * release for `v`, acquire for the old object). */
#define qs_rcu_exchange(pp, v) \
    __atomic_exchange_n((pp), (__typeof__(*(pp)))(v), __ATOMIC_SEQ_CST)

/* Initialise before any reader can see the variable (no ordering). */
#define qs_rcu_init(pp, v) ((void)(*(pp) = (v)))

/* The object that contains `ptr` as its `member`. */
#define QS_CONTAINER_OF(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/*
 * QS_CALL(dom, obj, field, fn): qs_call(dom, &obj->field, fn) with the
 * types checked at compile time:
 *   - obj->field must be a qs_head;
 *   - it must be obj's first member, so the head's address is the
 *     object's address;
 *   - fn must take a pointer to obj's type and return void.
 * The callback then receives the object itself: `void fn(struct T *obj)`.
 * For a head anywhere else, use qs_call with a qs_cb_fn and
 * QS_CONTAINER_OF. `obj` is evaluated more than once. Evaluates to
 * qs_call's return value.
 */
#define QS_CALL(dom, obj, field, fn)                                          \
    __extension__({                                                           \
        _Static_assert(__builtin_types_compatible_p(__typeof__((obj)->field), \
                                                    qs_head),                 \
                       "QS_CALL: " #field " must be a qs_head");              \
        _Static_assert(offsetof(__typeof__(*(obj)), field) == 0,              \
                       "QS_CALL: " #field " must be the first member");       \
        _Static_assert(__builtin_types_compatible_p(                          \
                           __typeof__(1 ? (fn) : (fn)),                       \
                           void (*)(__typeof__(&*(obj)))),                    \
                       "QS_CALL: " #fn " must be void (*)(typeof(obj))");     \
        qs_call((dom), &(obj)->field, (qs_cb_fn)(void (*)(void))(fn));        \
    })

#endif /* QUIESCE_POINTER_H */
