/*
 * compat.c's hook for fork.c: QEMU's rcu_disable_atfork().
 */
#ifndef QUIESCE_RUNTIME_COMPAT_H
#define QUIESCE_RUNTIME_COMPAT_H

#include <quiesce/domain.h>

#include "internal.h"

/* 1 when the atfork handlers must leave `dom` alone: it is the default
 * domain and rcu_disable_atfork() calls outnumber rcu_enable_atfork()
 * calls (QEMU's count below 1). Called by the forking thread only. */
QS_INTERNAL int qs_compat_fork_skips(const qs_domain *dom);

#endif /* QUIESCE_RUNTIME_COMPAT_H */
