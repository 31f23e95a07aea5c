/*
 * qemu_compat_cxx: <quiesce/qemu_compat.h> compiles as C++ and works
 * there: registration, both scope guards, get_ptr_rcu_reader, a QLIST and
 * a QTAILQ published and walked with the _RCU macros, call_rcu's
 * compile-time checks (the callback takes the object's type), g_free_rcu
 * (through free: no glib here), synchronize_rcu and drain_call_rcu.
 */
#include <quiesce/qemu_compat.h>

#include <cstdio>
#include <cstdlib>

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,     \
                         __LINE__, #cond);                                  \
            std::exit(1);                                                   \
        }                                                                   \
    } while (0)

struct listener {
    struct rcu_head rcu; // first, as call_rcu and g_free_rcu require
    int id;
    QLIST_ENTRY(listener) link;
    QTAILQ_ENTRY(listener) tlink;
};

static QLIST_HEAD(, listener) listeners = QLIST_HEAD_INITIALIZER(listeners);
static QTAILQ_HEAD(, listener) tq = QTAILQ_HEAD_INITIALIZER(tq);
static int freed;
static listener *published;

static void listener_free(listener *l)
{
    freed++;
    std::free(l);
}

static int sum_ids()
{
    RCU_READ_LOCK_GUARD();
    int sum = 0;
    listener *l;
    QLIST_FOREACH_RCU(l, &listeners, link) {
        sum += l->id;
    }
    return sum;
}

int main()
{
    rcu_register_thread();
    struct rcu_reader_data *self = get_ptr_rcu_reader();
    CHECK(self != nullptr && self->depth == 0);

    for (int i = 1; i <= 4; i++) {
        listener *l = static_cast<listener *>(std::calloc(1, sizeof(listener)));
        l->id = i;
        QLIST_INSERT_HEAD_RCU(&listeners, l, link);
        QTAILQ_INSERT_TAIL_RCU(&tq, l, tlink);
    }
    CHECK(sum_ids() == 10);
    CHECK(self->depth == 0);

    int order = 0;
    WITH_RCU_READ_LOCK_GUARD() {
        /* Inside: ctr != 0; depth counts only levels nested inside the
         * outermost section (see qemu_compat.h). */
        CHECK(self->ctr != 0 && self->depth == 0);
        RCU_READ_LOCK_GUARD();
        CHECK(self->depth == 1);
        listener *l;
        QTAILQ_FOREACH_RCU(l, &tq, tlink) {
            order = order * 10 + l->id;
        }
    }
    CHECK(order == 1234);
    CHECK(self->depth == 0);
    CHECK(QTAILQ_LAST(&tq)->id == 4);

    listener *first = QLIST_FIRST(&listeners);
    QLIST_REMOVE_RCU(first, link);
    QTAILQ_REMOVE_RCU(&tq, first, tlink);
    call_rcu(first, listener_free, rcu);
    drain_call_rcu();
    CHECK(freed == 1);
    CHECK(sum_ids() == 6);

    listener *p = static_cast<listener *>(std::calloc(1, sizeof(listener)));
    p->id = 7;
    qatomic_rcu_set(&published, p);
    rcu_read_lock();
    CHECK(qatomic_rcu_read(&published)->id == 7);
    rcu_read_unlock();
    qatomic_rcu_set(&published, static_cast<listener *>(nullptr));
    synchronize_rcu();
    g_free_rcu(p, rcu);

    listener *l, *next;
    QLIST_FOREACH_SAFE(l, &listeners, link, next) {
        QLIST_REMOVE_RCU(l, link);
        QTAILQ_REMOVE_RCU(&tq, l, tlink);
        g_free_rcu(l, rcu);
    }
    drain_call_rcu();
    CHECK(QLIST_EMPTY_RCU(&listeners) && QTAILQ_EMPTY(&tq));
    rcu_unregister_thread();
    std::printf("qemu_compat_cxx: OK (C++%ld)\n", (long)__cplusplus);
    return 0;
}
