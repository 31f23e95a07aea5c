/*
 * Compiled by check_qemu_call_rcu_typecheck.cmake with -DCASE=n, as C and
 * as C++: case 0 must compile, every other case must be rejected by the
 * compile-time checks of call_rcu and g_free_rcu in <quiesce/qemu_compat.h>.
 */
#include <quiesce/qemu_compat.h>

struct first { struct rcu_head rcu; int x; };
struct second { int y; struct rcu_head rcu; };

static void first_done(struct first *f) { (void)f; }
static void second_done(struct second *s) { (void)s; }
static int first_bad_ret(struct first *f) { (void)f; return 0; }

void qs_typecheck_case(struct first *f, struct second *s);
void qs_typecheck_case(struct first *f, struct second *s)
{
    (void)f;
    (void)s;
    (void)first_done;
    (void)second_done;
    (void)first_bad_ret;
#if CASE == 0
    call_rcu(f, first_done, rcu);     /* fine */
    g_free_rcu(f, rcu);               /* fine */
#elif CASE == 1
    call_rcu(f, first_done, x);       /* not a struct rcu_head */
#elif CASE == 2
    call_rcu(s, second_done, rcu);    /* head not first */
#elif CASE == 3
    call_rcu(f, second_done, rcu);    /* wrong object type */
#elif CASE == 4
    call_rcu(f, first_bad_ret, rcu);  /* wrong return type */
#elif CASE == 5
    g_free_rcu(s, rcu);               /* head not first */
#elif CASE == 6
    g_free_rcu(f, x);                 /* not a struct rcu_head */
#endif
}
