/*
 * Compiled by check_qs_call_typecheck.cmake with -DCASE=n: case 0 must
 * compile, every other case must be rejected by QS_CALL's static checks.
 */
#include <quiesce/quiesce.h>

struct first { qs_head head; int x; };
struct second { int y; qs_head head; };

static void first_done(struct first *f) { (void)f; }
static void second_done(struct second *s) { (void)s; }
static int first_bad_ret(struct first *f) { (void)f; return 0; }

int qs_typecheck_case(qs_domain *d, struct first *f, struct second *s);
int qs_typecheck_case(qs_domain *d, struct first *f, struct second *s)
{
    (void)f;
    (void)s;
    (void)first_done;
    (void)second_done;
    (void)first_bad_ret;
#if CASE == 0
    return QS_CALL(d, f, head, first_done);   /* fine */
#elif CASE == 1
    return QS_CALL(d, f, x, first_done);      /* not a qs_head */
#elif CASE == 2
    return QS_CALL(d, s, head, second_done);  /* head not first */
#elif CASE == 3
    return QS_CALL(d, f, head, second_done);  /* wrong object type */
#elif CASE == 4
    return QS_CALL(d, f, head, first_bad_ret); /* wrong return type */
#endif
}
