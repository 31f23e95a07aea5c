/*
 * quiesce — QEMU's queue names: the plain declarations of qemu/queue.h
 * that RCU lists need, and every macro of qemu/rcu_queue.h.
 *
 * Included by <quiesce/qemu_compat.h>; include that one. Not read by
 * jextract (macros only). GCC and Clang, C11 or C++11 and later.
 *
 * Four kinds, with the BSD queue.h layouts QEMU uses (same field names, so
 * code that touches lh_first, sqh_last or tqe_circ compiles unchanged):
 *
 *   QLIST     doubly linked, head = first pointer. Elements keep the
 *             address of the link pointing at them (le_prev): O(1) remove,
 *             insert before/after/at head.
 *   QSLIST    singly linked, head = first pointer. Remove walks the list.
 *   QSIMPLEQ  singly linked with a tail pointer (sqh_last = address of the
 *             last link): insert at head/tail/after, remove walks.
 *   QTAILQ    doubly linked with a tail. Entries and the head are unions
 *             of the forward pointer and a QTailQLink {tql_next, tql_prev};
 *             tql_next aliases the forward pointer, tql_prev points at the
 *             previous element's link (the head's for the first element),
 *             and the head's tql_prev at the last element's link, so the
 *             backward chain is circular through the head.
 *
 * Concurrency contract of the _RCU macros:
 *   - Writers (every INSERT and REMOVE, and INIT) are serialised by the
 *     caller, usually with a mutex. They may walk with the plain FOREACH.
 *   - Readers walk with FOREACH_RCU / FIRST_RCU / NEXT_RCU inside
 *     rcu_read_lock(), concurrently with writers. Only forward links are
 *     for readers; backward links and tail pointers are writer-only.
 *   - Every store a reader can observe is a store-release (qs_rcu_publish)
 *     of a forward link, and every forward-link load on the read side is
 *     qs_rcu_read (consume, which compilers and ThreadSanitizer treat as
 *     acquire). Each INSERT's publishing store therefore pairs with the
 *     reader's load of the same link: a reader that sees the new element
 *     also sees the element's own initialisation (done before the store).
 *   - REMOVE unlinks with a store-release as well (QEMU uses a relaxed
 *     store there). The unlinking store makes readers skip to the removed
 *     element's successor; with a relaxed store a reader that then reads
 *     the successor has no happens-before edge to the successor's
 *     initialisation (no release sequence crosses a plain store of another
 *     link), which ThreadSanitizer reports. A release store costs nothing
 *     on x86 and gives the edge.
 *   - A removed element keeps its forward link, so a reader standing on it
 *     still reaches the rest of the list. Reclaim it only after a grace
 *     period (synchronize_rcu, call_rcu, g_free_rcu). Re-inserting it
 *     before a grace period is not allowed either.
 *   - QTAILQ's union layout stores a forward link as tql_next (void *) and
 *     loads it as tqe_next (struct type *): this relies on pointer types
 *     aliasing each other, as GCC and Clang do for pointers (QEMU itself
 *     builds with -fno-strict-aliasing).
 *
 * Plain (non-RCU) names provided: HEAD, ENTRY, HEAD_INITIALIZER, INIT,
 * EMPTY, FIRST, NEXT, FOREACH, FOREACH_SAFE for all four kinds, and
 * QTailQLink, QTAILQ_IN_USE, QTAILQ_LAST, QTAILQ_PREV. These plain
 * accessors are for writers or unshared lists. If QEMU's own
 * qemu/queue.h was included first (QEMU_SYS_QUEUE_H defined), its
 * declarations are used instead: the layouts are the same.
 */
#ifndef QUIESCE_QEMU_QUEUE_H
#define QUIESCE_QEMU_QUEUE_H

#include <stddef.h>
#include <quiesce/pointer.h>

/* A relaxed load, for EMPTY_RCU (compares with NULL, never dereferences,
 * so it needs no ordering). */
#define QS_QQ_LOAD_RELAXED(pp) __atomic_load_n((pp), __ATOMIC_RELAXED)

#ifndef QEMU_SYS_QUEUE_H

/* ------------------------------------------------------------ QLIST */

#define QLIST_HEAD(name, type) \
    struct name {              \
        struct type *lh_first; \
    }
#define QLIST_HEAD_INITIALIZER(head) { NULL }
#define QLIST_ENTRY(type)                                                     \
    struct {                                                                  \
        struct type *le_next;  /* readers follow this */                      \
        struct type **le_prev; /* writers only: the link that points here */  \
    }
#define QLIST_INIT(head) ((void)((head)->lh_first = NULL))
#define QLIST_EMPTY(head) ((head)->lh_first == NULL)
#define QLIST_FIRST(head) ((head)->lh_first)
#define QLIST_NEXT(elm, field) ((elm)->field.le_next)
#define QLIST_FOREACH(var, head, field) \
    for ((var) = (head)->lh_first; (var) != NULL; (var) = (var)->field.le_next)
#define QLIST_FOREACH_SAFE(var, head, field, next_var)                   \
    for ((var) = (head)->lh_first;                                       \
         (var) != NULL && ((next_var) = (var)->field.le_next, 1);        \
         (var) = (next_var))

/* ----------------------------------------------------------- QSLIST */

#define QSLIST_HEAD(name, type) \
    struct name {               \
        struct type *slh_first; \
    }
#define QSLIST_HEAD_INITIALIZER(head) { NULL }
#define QSLIST_ENTRY(type)      \
    struct {                    \
        struct type *sle_next;  \
    }
#define QSLIST_INIT(head) ((void)((head)->slh_first = NULL))
#define QSLIST_EMPTY(head) ((head)->slh_first == NULL)
#define QSLIST_FIRST(head) ((head)->slh_first)
#define QSLIST_NEXT(elm, field) ((elm)->field.sle_next)
#define QSLIST_FOREACH(var, head, field) \
    for ((var) = (head)->slh_first; (var) != NULL; (var) = (var)->field.sle_next)
#define QSLIST_FOREACH_SAFE(var, head, field, next_var)                  \
    for ((var) = (head)->slh_first;                                      \
         (var) != NULL && ((next_var) = (var)->field.sle_next, 1);       \
         (var) = (next_var))

/* --------------------------------------------------------- QSIMPLEQ */

#define QSIMPLEQ_HEAD(name, type)                                           \
    struct name {                                                           \
        struct type *sqh_first;                                             \
        struct type **sqh_last; /* writers only: the last link's address */ \
    }
#define QSIMPLEQ_HEAD_INITIALIZER(head) { NULL, &(head).sqh_first }
#define QSIMPLEQ_ENTRY(type)    \
    struct {                    \
        struct type *sqe_next;  \
    }
#define QSIMPLEQ_INIT(head)                       \
    do {                                          \
        (head)->sqh_first = NULL;                 \
        (head)->sqh_last = &(head)->sqh_first;    \
    } while (0)
#define QSIMPLEQ_EMPTY(head) ((head)->sqh_first == NULL)
#define QSIMPLEQ_FIRST(head) ((head)->sqh_first)
#define QSIMPLEQ_NEXT(elm, field) ((elm)->field.sqe_next)
#define QSIMPLEQ_FOREACH(var, head, field) \
    for ((var) = (head)->sqh_first; (var) != NULL; (var) = (var)->field.sqe_next)
#define QSIMPLEQ_FOREACH_SAFE(var, head, field, next_var)                \
    for ((var) = (head)->sqh_first;                                      \
         (var) != NULL && ((next_var) = (var)->field.sqe_next, 1);       \
         (var) = (next_var))

/* ----------------------------------------------------------- QTAILQ */

typedef struct QTailQLink {
    void *tql_next;              /* aliases tqh_first / tqe_next */
    struct QTailQLink *tql_prev; /* writers only */
} QTailQLink;

#define QTAILQ_HEAD(name, type)    \
    union name {                   \
        struct type *tqh_first;    \
        QTailQLink tqh_circ;       \
    }
#define QTAILQ_HEAD_INITIALIZER(head) { .tqh_circ = { NULL, &(head).tqh_circ } }
#define QTAILQ_ENTRY(type)         \
    union {                        \
        struct type *tqe_next;     \
        QTailQLink tqe_circ;       \
    }
#define QTAILQ_INIT(head)                                 \
    do {                                                  \
        (head)->tqh_first = NULL;                         \
        (head)->tqh_circ.tql_prev = &(head)->tqh_circ;    \
    } while (0)
#define QTAILQ_EMPTY(head) ((head)->tqh_first == NULL)
#define QTAILQ_FIRST(head) ((head)->tqh_first)
#define QTAILQ_NEXT(elm, field) ((elm)->field.tqe_next)
/* Writers only: 1 while `elm` is on a list (REMOVE clears tql_prev). */
#define QTAILQ_IN_USE(elm, field) ((elm)->field.tqe_circ.tql_prev != NULL)
/* Writers only. The link before `link` is link.tql_prev; the one before
 * that holds, in its tql_next, the element that owns link.tql_prev. */
#define QTAILQ_LINK_PREV(link) ((link).tql_prev->tql_prev->tql_next)
#define QTAILQ_LAST(head) ((__typeof__((head)->tqh_first))QTAILQ_LINK_PREV((head)->tqh_circ))
#define QTAILQ_PREV(elm, field) \
    ((__typeof__((elm)->field.tqe_next))QTAILQ_LINK_PREV((elm)->field.tqe_circ))
#define QTAILQ_FOREACH(var, head, field) \
    for ((var) = (head)->tqh_first; (var) != NULL; (var) = (var)->field.tqe_next)
#define QTAILQ_FOREACH_SAFE(var, head, field, next_var)                  \
    for ((var) = (head)->tqh_first;                                      \
         (var) != NULL && ((next_var) = (var)->field.tqe_next, 1);       \
         (var) = (next_var))

#endif /* !QEMU_SYS_QUEUE_H */

#ifndef QEMU_RCU_QUEUE_H
#define QEMU_RCU_QUEUE_H

/* ======================================================= QLIST, RCU */

#define QLIST_EMPTY_RCU(head) (QS_QQ_LOAD_RELAXED(&(head)->lh_first) == NULL)
/* Acquire (consume): pairs with the publishing store of the link. */
#define QLIST_FIRST_RCU(head) qs_rcu_read(&(head)->lh_first)
#define QLIST_NEXT_RCU(elm, field) qs_rcu_read(&(elm)->field.le_next)

/* Links `elm` first. The release store of lh_first pairs with the
 * readers' qs_rcu_read of lh_first; `elm`'s links are set before it. */
#define QLIST_INSERT_HEAD_RCU(head, elm, field)                        \
    do {                                                               \
        (elm)->field.le_next = (head)->lh_first;                       \
        (elm)->field.le_prev = &(head)->lh_first;                      \
        if ((elm)->field.le_next != NULL) {                            \
            (elm)->field.le_next->field.le_prev = &(elm)->field.le_next; \
        }                                                              \
        qs_rcu_publish(&(head)->lh_first, (elm));                      \
    } while (0)

/* Links `elm` after `listelm`. The release store of listelm's le_next
 * pairs with the readers' qs_rcu_read of that link. */
#define QLIST_INSERT_AFTER_RCU(listelm, elm, field)                    \
    do {                                                               \
        (elm)->field.le_next = (listelm)->field.le_next;               \
        (elm)->field.le_prev = &(listelm)->field.le_next;              \
        if ((elm)->field.le_next != NULL) {                            \
            (elm)->field.le_next->field.le_prev = &(elm)->field.le_next; \
        }                                                              \
        qs_rcu_publish(&(listelm)->field.le_next, (elm));              \
    } while (0)

/* Links `elm` before `listelm`. The release store into the link that
 * pointed at listelm (head or predecessor) pairs with the readers' load
 * of that link. */
#define QLIST_INSERT_BEFORE_RCU(listelm, elm, field)                   \
    do {                                                               \
        (elm)->field.le_next = (listelm);                              \
        (elm)->field.le_prev = (listelm)->field.le_prev;               \
        qs_rcu_publish((listelm)->field.le_prev, (elm));               \
        (listelm)->field.le_prev = &(elm)->field.le_next;              \
    } while (0)

/* Unlinks `elm` (O(1)); `elm` keeps le_next for readers standing on it.
 * Release store: pairs with the readers' load of the predecessor's link,
 * ordering the successor's initialisation before their use of it. */
#define QLIST_REMOVE_RCU(elm, field)                                   \
    do {                                                               \
        if ((elm)->field.le_next != NULL) {                            \
            (elm)->field.le_next->field.le_prev = (elm)->field.le_prev; \
        }                                                              \
        qs_rcu_publish((elm)->field.le_prev, (elm)->field.le_next);    \
    } while (0)

/* Reader side (inside rcu_read_lock). Each step's load pairs with the
 * release store that published (or unlinked to) that element. */
#define QLIST_FOREACH_RCU(var, head, field)                    \
    for ((var) = qs_rcu_read(&(head)->lh_first); (var) != NULL; \
         (var) = qs_rcu_read(&(var)->field.le_next))

/* As FOREACH_RCU, with the next element loaded before the body runs, so
 * a writer may remove `var` in the body. */
#define QLIST_FOREACH_SAFE_RCU(var, head, field, next_var)                   \
    for ((var) = qs_rcu_read(&(head)->lh_first);                             \
         (var) != NULL && ((next_var) = qs_rcu_read(&(var)->field.le_next), 1); \
         (var) = (next_var))

/* ==================================================== QSIMPLEQ, RCU */

#define QSIMPLEQ_EMPTY_RCU(head) (QS_QQ_LOAD_RELAXED(&(head)->sqh_first) == NULL)
#define QSIMPLEQ_FIRST_RCU(head) qs_rcu_read(&(head)->sqh_first)
#define QSIMPLEQ_NEXT_RCU(elm, field) qs_rcu_read(&(elm)->field.sqe_next)

/* The release store of sqh_first pairs with the readers' load of it. */
#define QSIMPLEQ_INSERT_HEAD_RCU(head, elm, field)             \
    do {                                                       \
        (elm)->field.sqe_next = (head)->sqh_first;             \
        if ((elm)->field.sqe_next == NULL) {                   \
            (head)->sqh_last = &(elm)->field.sqe_next;         \
        }                                                      \
        qs_rcu_publish(&(head)->sqh_first, (elm));             \
    } while (0)

/* The release store into the last link (sqh_first when empty) pairs with
 * the readers' load of that link. */
#define QSIMPLEQ_INSERT_TAIL_RCU(head, elm, field)             \
    do {                                                       \
        (elm)->field.sqe_next = NULL;                          \
        qs_rcu_publish((head)->sqh_last, (elm));               \
        (head)->sqh_last = &(elm)->field.sqe_next;             \
    } while (0)

/* The release store of listelm's link pairs with the readers' load. */
#define QSIMPLEQ_INSERT_AFTER_RCU(head, listelm, elm, field)   \
    do {                                                       \
        (elm)->field.sqe_next = (listelm)->field.sqe_next;     \
        if ((elm)->field.sqe_next == NULL) {                   \
            (head)->sqh_last = &(elm)->field.sqe_next;         \
        }                                                      \
        qs_rcu_publish(&(listelm)->field.sqe_next, (elm));     \
    } while (0)

/* Unlinks the first element (the list must not be empty). Release
 * store: pairs with the readers' load of sqh_first (see the header). */
#define QSIMPLEQ_REMOVE_HEAD_RCU(head, field)                              \
    do {                                                                   \
        qs_rcu_publish(&(head)->sqh_first, (head)->sqh_first->field.sqe_next); \
        if ((head)->sqh_first == NULL) {                                   \
            (head)->sqh_last = &(head)->sqh_first;                         \
        }                                                                  \
    } while (0)

/* Unlinks `elm` (which must be on the list; walks to it). `type` is the
 * element's struct tag. Release store: pairs with the readers' load of
 * the predecessor's link. */
#define QSIMPLEQ_REMOVE_RCU(head, elm, type, field)                          \
    do {                                                                     \
        if ((head)->sqh_first == (elm)) {                                    \
            QSIMPLEQ_REMOVE_HEAD_RCU((head), field);                         \
        } else {                                                             \
            struct type *qs_qq_prev_ = (head)->sqh_first;                    \
            while (qs_qq_prev_->field.sqe_next != (elm)) {                   \
                qs_qq_prev_ = qs_qq_prev_->field.sqe_next;                   \
            }                                                                \
            qs_rcu_publish(&qs_qq_prev_->field.sqe_next, (elm)->field.sqe_next); \
            if (qs_qq_prev_->field.sqe_next == NULL) {                       \
                (head)->sqh_last = &qs_qq_prev_->field.sqe_next;             \
            }                                                                \
        }                                                                    \
    } while (0)

#define QSIMPLEQ_FOREACH_RCU(var, head, field)                    \
    for ((var) = qs_rcu_read(&(head)->sqh_first); (var) != NULL;  \
         (var) = qs_rcu_read(&(var)->field.sqe_next))

#define QSIMPLEQ_FOREACH_SAFE_RCU(var, head, field, next_var)                 \
    for ((var) = qs_rcu_read(&(head)->sqh_first);                             \
         (var) != NULL && ((next_var) = qs_rcu_read(&(var)->field.sqe_next), 1); \
         (var) = (next_var))

/* ====================================================== QTAILQ, RCU */

#define QTAILQ_EMPTY_RCU(head) (QS_QQ_LOAD_RELAXED(&(head)->tqh_first) == NULL)
#define QTAILQ_FIRST_RCU(head) qs_rcu_read(&(head)->tqh_first)
#define QTAILQ_NEXT_RCU(elm, field) qs_rcu_read(&(elm)->field.tqe_next)

/* `elm`'s links and the old first element's back link are set first;
 * the release store of tqh_first pairs with the readers' load of it. */
#define QTAILQ_INSERT_HEAD_RCU(head, elm, field)                               \
    do {                                                                       \
        (elm)->field.tqe_next = (head)->tqh_first;                             \
        if ((elm)->field.tqe_next != NULL) {                                   \
            (elm)->field.tqe_next->field.tqe_circ.tql_prev = &(elm)->field.tqe_circ; \
        } else {                                                               \
            (head)->tqh_circ.tql_prev = &(elm)->field.tqe_circ;                \
        }                                                                      \
        (elm)->field.tqe_circ.tql_prev = &(head)->tqh_circ;                    \
        qs_rcu_publish(&(head)->tqh_first, (elm));                             \
    } while (0)

/* The release store into the last link's tql_next (the head's when
 * empty) pairs with the readers' load of that forward link. */
#define QTAILQ_INSERT_TAIL_RCU(head, elm, field)                               \
    do {                                                                       \
        (elm)->field.tqe_next = NULL;                                          \
        (elm)->field.tqe_circ.tql_prev = (head)->tqh_circ.tql_prev;            \
        qs_rcu_publish(&(head)->tqh_circ.tql_prev->tql_next, (void *)(elm));   \
        (head)->tqh_circ.tql_prev = &(elm)->field.tqe_circ;                    \
    } while (0)

/* The release store of listelm's forward link pairs with the readers'
 * load of it. */
#define QTAILQ_INSERT_AFTER_RCU(head, listelm, elm, field)                     \
    do {                                                                       \
        (elm)->field.tqe_next = (listelm)->field.tqe_next;                     \
        if ((elm)->field.tqe_next != NULL) {                                   \
            (elm)->field.tqe_next->field.tqe_circ.tql_prev = &(elm)->field.tqe_circ; \
        } else {                                                               \
            (head)->tqh_circ.tql_prev = &(elm)->field.tqe_circ;                \
        }                                                                      \
        (elm)->field.tqe_circ.tql_prev = &(listelm)->field.tqe_circ;           \
        qs_rcu_publish(&(listelm)->field.tqe_next, (elm));                     \
    } while (0)

/* The release store into the forward link that pointed at listelm pairs
 * with the readers' load of that link. */
#define QTAILQ_INSERT_BEFORE_RCU(listelm, elm, field)                          \
    do {                                                                       \
        (elm)->field.tqe_next = (listelm);                                     \
        (elm)->field.tqe_circ.tql_prev = (listelm)->field.tqe_circ.tql_prev;   \
        qs_rcu_publish(&(listelm)->field.tqe_circ.tql_prev->tql_next, (void *)(elm)); \
        (listelm)->field.tqe_circ.tql_prev = &(elm)->field.tqe_circ;           \
    } while (0)

/* Unlinks `elm` (O(1)); it keeps tqe_next for readers on it, and its
 * tql_prev becomes NULL (QTAILQ_IN_USE is false). Release store: pairs
 * with the readers' load of the predecessor's forward link. */
#define QTAILQ_REMOVE_RCU(head, elm, field)                                    \
    do {                                                                       \
        if ((elm)->field.tqe_next != NULL) {                                   \
            (elm)->field.tqe_next->field.tqe_circ.tql_prev =                   \
                (elm)->field.tqe_circ.tql_prev;                                \
        } else {                                                               \
            (head)->tqh_circ.tql_prev = (elm)->field.tqe_circ.tql_prev;        \
        }                                                                      \
        qs_rcu_publish(&(elm)->field.tqe_circ.tql_prev->tql_next,              \
                       (void *)(elm)->field.tqe_next);                         \
        (elm)->field.tqe_circ.tql_prev = NULL;                                 \
    } while (0)

#define QTAILQ_FOREACH_RCU(var, head, field)                      \
    for ((var) = qs_rcu_read(&(head)->tqh_first); (var) != NULL;  \
         (var) = qs_rcu_read(&(var)->field.tqe_next))

#define QTAILQ_FOREACH_SAFE_RCU(var, head, field, next_var)                   \
    for ((var) = qs_rcu_read(&(head)->tqh_first);                             \
         (var) != NULL && ((next_var) = qs_rcu_read(&(var)->field.tqe_next), 1); \
         (var) = (next_var))

/* ====================================================== QSLIST, RCU */

#define QSLIST_EMPTY_RCU(head) (QS_QQ_LOAD_RELAXED(&(head)->slh_first) == NULL)
#define QSLIST_FIRST_RCU(head) qs_rcu_read(&(head)->slh_first)
#define QSLIST_NEXT_RCU(elm, field) qs_rcu_read(&(elm)->field.sle_next)

/* The release store of slh_first pairs with the readers' load of it. */
#define QSLIST_INSERT_HEAD_RCU(head, elm, field)           \
    do {                                                   \
        (elm)->field.sle_next = (head)->slh_first;         \
        qs_rcu_publish(&(head)->slh_first, (elm));         \
    } while (0)

/* The release store of listelm's link pairs with the readers' load. */
#define QSLIST_INSERT_AFTER_RCU(head, listelm, elm, field) \
    do {                                                   \
        (void)(head);                                      \
        (elm)->field.sle_next = (listelm)->field.sle_next; \
        qs_rcu_publish(&(listelm)->field.sle_next, (elm)); \
    } while (0)

/* Unlinks the first element (the list must not be empty). Release
 * store: pairs with the readers' load of slh_first. */
#define QSLIST_REMOVE_HEAD_RCU(head, field)                                    \
    qs_rcu_publish(&(head)->slh_first, (head)->slh_first->field.sle_next)

/* Unlinks `elm` (which must be on the list; walks to it). Release store:
 * pairs with the readers' load of the predecessor's link. */
#define QSLIST_REMOVE_RCU(head, elm, type, field)                              \
    do {                                                                       \
        if ((head)->slh_first == (elm)) {                                      \
            QSLIST_REMOVE_HEAD_RCU((head), field);                             \
        } else {                                                               \
            struct type *qs_qq_prev_ = (head)->slh_first;                      \
            while (qs_qq_prev_->field.sle_next != (elm)) {                     \
                qs_qq_prev_ = qs_qq_prev_->field.sle_next;                     \
            }                                                                  \
            qs_rcu_publish(&qs_qq_prev_->field.sle_next, (elm)->field.sle_next); \
        }                                                                      \
    } while (0)

#define QSLIST_FOREACH_RCU(var, head, field)                      \
    for ((var) = qs_rcu_read(&(head)->slh_first); (var) != NULL;  \
         (var) = qs_rcu_read(&(var)->field.sle_next))

#define QSLIST_FOREACH_SAFE_RCU(var, head, field, next_var)                   \
    for ((var) = qs_rcu_read(&(head)->slh_first);                             \
         (var) != NULL && ((next_var) = qs_rcu_read(&(var)->field.sle_next), 1); \
         (var) = (next_var))

#endif /* !QEMU_RCU_QUEUE_H */
#endif /* QUIESCE_QEMU_QUEUE_H */
