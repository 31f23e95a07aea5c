/*
 * quiesce — RCU-safe intrusive lists.
 *
 * Not read by jextract (macros only).
 *
 * Writers (insert, remove, FOREACH_SAFE) must be serialised by the caller,
 * usually with a mutex. Readers walk with FOREACH_RCU inside a read
 * section, concurrently with writers: every link a reader follows is
 * stored with qs_rcu_publish once the element is fully set up, and a
 * removed element keeps its forward link, so a reader standing on it
 * still reaches the rest of the list. Reclaim a removed element only
 * after a grace period (qs_synchronize or qs_call).
 *
 * Two kinds:
 *   QS_SLIST  singly linked: a head pointer; insert at head/after/tail
 *             (tail and remove walk the list).
 *   QS_LIST   doubly linked with a tail: O(1) insert at head/after/tail
 *             and O(1) remove. Backward links are for writers only.
 *
 *     struct item { int key; QS_LIST_ENTRY(item) link; };
 *     QS_LIST_HEAD(item_list, item) items = QS_LIST_HEAD_INITIALIZER(items);
 *     QS_LIST_INSERT_TAIL_RCU(&items, it, link);      // writer
 *     QS_LIST_FOREACH_RCU(it, &items, link) { ... }   // reader
 */
#ifndef QUIESCE_LIST_H
#define QUIESCE_LIST_H

#include <stddef.h>
#include <quiesce/pointer.h>

/* ------------------------------------------------------ singly linked */

#define QS_SLIST_HEAD(name, type) \
    struct name {                 \
        struct type *first;       \
    }
#define QS_SLIST_HEAD_INITIALIZER(head) { NULL }
#define QS_SLIST_ENTRY(type) \
    struct {                 \
        struct type *next;   \
    }

#define QS_SLIST_INIT(head) qs_rcu_init(&(head)->first, NULL)
#define QS_SLIST_EMPTY_RCU(head) (qs_rcu_read(&(head)->first) == NULL)
#define QS_SLIST_FIRST_RCU(head) qs_rcu_read(&(head)->first)
#define QS_SLIST_NEXT_RCU(elm, field) qs_rcu_read(&(elm)->field.next)

#define QS_SLIST_INSERT_HEAD_RCU(head, elm, field)      \
    do {                                                \
        (elm)->field.next = (head)->first;              \
        qs_rcu_publish(&(head)->first, (elm));          \
    } while (0)

#define QS_SLIST_INSERT_AFTER_RCU(listelm, elm, field)     \
    do {                                                   \
        (elm)->field.next = (listelm)->field.next;         \
        qs_rcu_publish(&(listelm)->field.next, (elm));     \
    } while (0)

/* Walks to the end: O(n). */
#define QS_SLIST_INSERT_TAIL_RCU(head, elm, field)                         \
    do {                                                                   \
        __typeof__((head)->first) *qs_sl_pp_ = &(head)->first;             \
        while (*qs_sl_pp_ != NULL) {                                       \
            qs_sl_pp_ = &(*qs_sl_pp_)->field.next;                         \
        }                                                                  \
        (elm)->field.next = NULL;                                          \
        qs_rcu_publish(qs_sl_pp_, (elm));                                  \
    } while (0)

/* Unlinks `elm` (which must be on the list); O(position). `elm` keeps
 * its next link for readers still on it. */
#define QS_SLIST_REMOVE_RCU(head, elm, field)                              \
    do {                                                                   \
        __typeof__((head)->first) *qs_sl_pp_ = &(head)->first;             \
        while (*qs_sl_pp_ != (elm)) {                                      \
            qs_sl_pp_ = &(*qs_sl_pp_)->field.next;                         \
        }                                                                  \
        qs_rcu_publish(qs_sl_pp_, (elm)->field.next);                      \
    } while (0)

/* Reader side. */
#define QS_SLIST_FOREACH_RCU(var, head, field)                  \
    for ((var) = qs_rcu_read(&(head)->first); (var) != NULL;    \
         (var) = qs_rcu_read(&(var)->field.next))

/* Writer side: `var` may be removed (not freed before a GP) in the body. */
#define QS_SLIST_FOREACH_SAFE(var, head, field, tmp)                  \
    for ((var) = (head)->first;                                       \
         (var) != NULL && ((tmp) = (var)->field.next, 1);             \
         (var) = (tmp))

/* ------------------------------------------------------ doubly linked */

/* `last` points at the link field to store into for a tail insert: the
 * head's `first` when empty, else the last element's `next`. */
#define QS_LIST_HEAD(name, type) \
    struct name {                \
        struct type *first;      \
        struct type **last;      \
    }
#define QS_LIST_HEAD_INITIALIZER(head) { NULL, &(head).first }
#define QS_LIST_ENTRY(type)                                             \
    struct {                                                            \
        struct type *next;  /* read by readers */                       \
        struct type **prev; /* writers only: the link pointing here */  \
    }

#define QS_LIST_INIT(head)                      \
    do {                                        \
        qs_rcu_init(&(head)->first, NULL);      \
        (head)->last = &(head)->first;          \
    } while (0)
#define QS_LIST_EMPTY_RCU(head) (qs_rcu_read(&(head)->first) == NULL)
#define QS_LIST_FIRST_RCU(head) qs_rcu_read(&(head)->first)
#define QS_LIST_NEXT_RCU(elm, field) qs_rcu_read(&(elm)->field.next)

#define QS_LIST_INSERT_HEAD_RCU(head, elm, field)                  \
    do {                                                           \
        (elm)->field.next = (head)->first;                         \
        (elm)->field.prev = &(head)->first;                        \
        if ((head)->first != NULL) {                               \
            (head)->first->field.prev = &(elm)->field.next;        \
        } else {                                                   \
            (head)->last = &(elm)->field.next;                     \
        }                                                          \
        qs_rcu_publish(&(head)->first, (elm));                     \
    } while (0)

#define QS_LIST_INSERT_AFTER_RCU(head, listelm, elm, field)           \
    do {                                                              \
        (elm)->field.next = (listelm)->field.next;                    \
        (elm)->field.prev = &(listelm)->field.next;                   \
        if ((listelm)->field.next != NULL) {                          \
            (listelm)->field.next->field.prev = &(elm)->field.next;   \
        } else {                                                      \
            (head)->last = &(elm)->field.next;                        \
        }                                                             \
        qs_rcu_publish(&(listelm)->field.next, (elm));                \
    } while (0)

#define QS_LIST_INSERT_TAIL_RCU(head, elm, field)   \
    do {                                            \
        (elm)->field.next = NULL;                   \
        (elm)->field.prev = (head)->last;           \
        qs_rcu_publish((head)->last, (elm));        \
        (head)->last = &(elm)->field.next;          \
    } while (0)

/* O(1). `elm` keeps its next link for readers still on it. */
#define QS_LIST_REMOVE_RCU(head, elm, field)                          \
    do {                                                              \
        if ((elm)->field.next != NULL) {                              \
            (elm)->field.next->field.prev = (elm)->field.prev;        \
        } else {                                                      \
            (head)->last = (elm)->field.prev;                         \
        }                                                             \
        qs_rcu_publish((elm)->field.prev, (elm)->field.next);         \
    } while (0)

/* Reader side. */
#define QS_LIST_FOREACH_RCU(var, head, field)                   \
    for ((var) = qs_rcu_read(&(head)->first); (var) != NULL;    \
         (var) = qs_rcu_read(&(var)->field.next))

/* Writer side: `var` may be removed (not freed before a GP) in the body. */
#define QS_LIST_FOREACH_SAFE(var, head, field, tmp)                   \
    for ((var) = (head)->first;                                       \
         (var) != NULL && ((tmp) = (var)->field.next, 1);             \
         (var) = (tmp))

#endif /* QUIESCE_LIST_H */
