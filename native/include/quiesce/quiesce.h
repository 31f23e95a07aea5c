/*
 * quiesce — umbrella header for C users: everything, including the inline
 * read side, pointer helpers and RCU list macros.
 */
#ifndef QUIESCE_QUIESCE_H
#define QUIESCE_QUIESCE_H

#include <quiesce/engine.h>
#include <quiesce/domain.h>
#include <quiesce/layout.h>
#include <quiesce/read.h>
#include <quiesce/pointer.h>
#include <quiesce/retire.h>
#include <quiesce/list.h>

#endif /* QUIESCE_QUIESCE_H */
