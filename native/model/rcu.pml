/*
 * rcu.pml -- Promela model of the quiesce grace-period protocol
 * (QEMU-style counter RCU with a force-quiescent state, "FQS").
 *
 * Checked by check.sh in this folder; see README.md for what is and is
 * not modelled.  Everything below is written for quiesce; the C names in
 * the comments are the functions each model step stands for:
 *
 *   reader fast paths   native/include/quiesce/read.h
 *                         qs_read_lock, qs_read_unlock
 *   reader slow path    native/runtime/domain.c   qs_read_unlock_slow
 *   registration        native/runtime/domain.c   reader register/unregister
 *   writer              native/runtime/domain.c   qs_synchronize,
 *                                                 wait_for_readers
 *   writer decisions    native/engine/gp.c        qs_gp_begin, qs_gp_arms,
 *                         qs_gp_notifies_in_scan, qs_gp_after_scan,
 *                         qs_gp_poll_done, qs_gp_end, qs_reader_classify
 *
 * Memory model: Promela interleaves whole statements, i.e. it is
 * sequentially consistent.  The C code gets SC where it matters from its
 * full fences (BARRIER A / BARRIER B in read.h, the writer's fence before
 * each scan).  So every fence is a no-op here, and what the model checks
 * is that the *order of the statements* around those fences is right:
 * the bug variants below are wrong orders that fail even under SC.
 *
 * Each Promela statement touches at most one shared variable (plus ghost
 * or process-local state), so that interleavings are as fine as the C
 * code's individual atomic loads and stores -- except the writer's
 * per-reader loops, which are single steps for a reason given (and
 * argued sound) above scan() below.
 *
 * Compile-time switches (spin -DNAME ...):
 *   NR=n         readers (default 2, at most 8: `rem` is a byte)
 *   ITERS=n      read sections per reader (default 2)
 *   GPS=n        grace periods run by the writer (default 2)
 *   POLL_LIMIT=n NORMAL-state polls before FQS is forced (default 1)
 *   CHURN=n      unregister/re-register cycles per reader (default 1)
 *   LEGACY       LEGACY policy instead of FQS
 *   bug variants (each must give a counterexample):
 *   BUG_WAITING_AFTER_SCAN  writer sets `waiting` after its scan
 *   BUG_RESET_AFTER_SCAN    writer resets the GP event after its scan
 *   BUG_READER_WAITING_FIRST reader loads `waiting` before ctr := 0
 *   BUG_DEREF_BEFORE_CTR    reader reads the protected pointer before
 *                           publishing ctr (safety, not liveness)
 *   BUG_NO_NOTIFY           FQS entry does not fire the force notifiers
 */

#ifndef NR
#define NR 2
#endif
#ifndef ITERS
#define ITERS 2
#endif
#ifndef GPS
#define GPS 2
#endif
#ifndef POLL_LIMIT
#define POLL_LIMIT 1
#endif
#ifndef CHURN
#define CHURN 1
#endif

#define BIT(i) (1 << (i))

/* ------------------------------------------------------------ shared state */

byte gp_ctr = 1;            /* domain gp_ctr: odd, +2 per GP (QS_GP_STEP)  */
byte ctr[NR];               /* qs_reader.ctr: 0 outside, gp_ctr inside     */
bool waiting[NR];           /* qs_reader.waiting: writer sets, reader clears*/
bool exit_request[NR];      /* set by the reader's force notifier; a busy
                               reader polls it and leaves its section      */
bool registered[NR];        /* reader is on the domain registry            */
bool ev;                    /* the GP event: set / reset / wait            */
bool reg_lock;              /* the registry mutex                          */
byte rem;                   /* wait_for_readers' list of readers still to
                               check (bit i = reader i); it lives under
                               reg_lock because unregister unlinks from it */
bool draining;              /* LEGACY: a drain is in progress (qs_drain);
                               fixed per run, both values explored         */

/* ------------------------------------------------------------ ghost state */

/* The protected data: the writer publishes object g+1, runs GP number g,
 * then frees object g.  A reader records which object it dereferenced. */
byte cur_obj = 0;           /* the RCU-protected pointer                   */
bool freed[GPS + 1];        /* object was reclaimed after its GP           */
byte held[NR];              /* 0: not holding anything; k+1: the reader's
                               section dereferenced object k               */

#define LOCK_REG    atomic { !reg_lock -> reg_lock = true }
#define UNLOCK_REG  reg_lock = false

/* ------------------------------------------------------------------ reader */

/*
 * A reader may stay in a section for an unbounded time only if someone
 * will kick it: always under FQS (the writer fires notifiers on FQS
 * entry); under LEGACY only while draining.
 */
#ifdef LEGACY
#define LONG_SECTION_OK draining
#else
#define LONG_SECTION_OK true
#endif

proctype Reader(byte i)
{
    byte n = 0;         /* sections done                                   */
    byte churn = 0;     /* unregister cycles done                          */
    byte c;             /* register holding gp_ctr                         */

    do
    :: registered[i] && n < ITERS ->
#ifdef BUG_DEREF_BEFORE_CTR
        /* BUG: the section's load is hoisted above the ctr store. */
        held[i] = cur_obj + 1;
#endif
        /* qs_read_lock: g = load(gp_ctr) */
        c = gp_ctr;
        /* qs_read_lock: store(ctr, g)  (c is dead afterwards: reset it so
         * it does not split states) */
        atomic { ctr[i] = c; c = 0 };
        /* qs_read_lock: BARRIER A -- no-op under SC */
#ifndef BUG_DEREF_BEFORE_CTR
        /* section body: p = rcu_dereference(ptr) */
        held[i] = cur_obj + 1;
#endif
        /* section body: either short, or a busy loop that only leaves
         * when its force notifier has set exit_request. */
        if
        :: true
        :: LONG_SECTION_OK ->
end_busy:   exit_request[i];            /* poll until kicked            */
            exit_request[i] = false
        fi;
        /* section body: last use of p -- it must not have been freed */
        atomic { assert(!freed[held[i] - 1]); held[i] = 0 };
#ifdef BUG_READER_WAITING_FIRST
        /* BUG: `waiting` loaded before the ctr := 0 store. */
        if
        :: waiting[i] ->
            ctr[i] = 0;
            waiting[i] = false;         /* qs_read_unlock_slow           */
            ev = true
        :: else ->
            ctr[i] = 0
        fi;
#else
        /* qs_read_unlock: store(ctr, 0) */
        ctr[i] = 0;
        /* qs_read_unlock: BARRIER B -- no-op under SC */
        /* qs_read_unlock: if (load(waiting)) qs_read_unlock_slow() */
        if
        :: waiting[i] ->
            waiting[i] = false;         /* qs_read_unlock_slow: clear    */
            ev = true                   /* qs_read_unlock_slow: set ev   */
        :: else
        fi;
#endif
        n++

    /* unregister (outside any section): unlink from the registry and
     * from the writer's list if it is still there. */
    :: registered[i] && churn < CHURN ->
        atomic { !reg_lock -> registered[i] = false; rem = rem & ~BIT(i) };
        churn++

    /* (re-)register: a fresh reader record, outside, waiting = 0 */
    :: !registered[i] && n < ITERS ->
        atomic { !reg_lock ->
            registered[i] = true; waiting[i] = false; exit_request[i] = false };

    :: n >= ITERS -> break
    od
}

/* ------------------------------------------------------------------ writer */

/* The writer's fence before a scan (pairs with BARRIER B): a no-op under
 * SC, kept as a marker. */
#define WRITER_FENCE skip

/*
 * Granularity of the writer's per-reader loops.  Each loop below (arm,
 * scan, notify) runs as ONE atomic step although the C code does one load
 * or store per reader.  This is a sound reduction, not a simplification:
 * while the writer holds reg_lock, iteration j touches only reader j's
 * own fields (ctr[j], waiting[j], exit_request[j]) plus writer-private
 * state (gp_ctr and rem cannot change meanwhile), and readers never
 * touch each other's fields (they share only `ev`, which they only set,
 * and which the writer does not touch inside a loop; registration needs
 * reg_lock).  So reader steps commute with each other, and a step of
 * reader k that falls between iterations j and j+1 commutes with all
 * earlier iterations (k > j: move it before the loop) or with all later
 * ones (k <= j: move it after the loop).  Every interleaving of the C
 * loop is thus equivalent to one where the loop is not interrupted.  The steps that
 * matter for the protocol -- reset ev, arm, fence, scan, wait -- stay
 * separate statements.
 */

/* One scan of the remaining readers (under reg_lock).  A reader stops
 * blocking when qs_reader_classify says INACTIVE (ctr == 0) or
 * ACTIVE_CURRENT (ctr == gp_ctr).  Nothing else is cleared (a stale
 * `waiting` only costs a spurious wake-up later). */
inline scan()
{
    atomic {
        for (j : 0 .. NR - 1) {
            if
            :: (rem & BIT(j)) && (ctr[j] == 0 || ctr[j] == gp_ctr) ->
                rem = rem & ~BIT(j)
            :: else
            fi
        };
        j = 0
    }
}

/* Arm the slow path: set `waiting` on every reader still in the list. */
inline arm_waiting()
{
    atomic {
        for (j : 0 .. NR - 1) {
            if
            :: rem & BIT(j) -> waiting[j] = true
            :: else
            fi
        };
        j = 0
    }
}

/* Fire the force notifiers of the readers still in the list. */
inline notify_remaining()
{
#ifdef BUG_NO_NOTIFY
    skip                            /* BUG: nobody kicks busy readers */
#else
    atomic {
        for (j : 0 .. NR - 1) {
            if
            :: rem & BIT(j) -> exit_request[j] = true
            :: else
            fi
        };
        j = 0
    }
#endif
}

proctype Writer()
{
    byte g = 0;         /* GPs completed; object g is retired by GP g      */
    byte j;             /* loop index, always 0 between steps              */
    byte polls;         /* qs_gp.polls                                     */
    bool forced;        /* qs_gp.state: false = NORMAL, true = FORCED/LEGACY */

    do
    :: g < GPS ->
        /* updater: rcu_assign_pointer(ptr, new object) */
        cur_obj = g + 1;

        /* qs_synchronize: full fence -- no-op under SC.
         * qs_synchronize: lock registry; gp_ctr += QS_GP_STEP;
         * wait_for_readers starts with every registered reader still to
         * check; qs_gp_begin picks NORMAL (FQS policy) or LEGACY. */
        atomic {
            !reg_lock -> reg_lock = true;
            gp_ctr = gp_ctr + 2;
            rem = 0;
            for (j : 0 .. NR - 1) {
                if
                :: registered[j] -> rem = rem | BIT(j)
                :: else
                fi
            };
            j = 0;
            polls = 0;
#ifdef LEGACY
            forced = true
#else
            forced = false
#endif
        };

        /* ------------------------------------------- wait_for_readers */
        do
        :: !forced ->
            /* NORMAL: qs_gp_arms() == 0 -> fence, plain scan; readers
             * take no slow path */
            WRITER_FENCE;
            scan();
            /* qs_gp_after_scan */
            if
            :: rem == 0 -> break                    /* ACT_DONE */
            :: else ->
                if
                /* ACT_FORCE: expedited / force() / drain / threshold can
                 * hold at any scan; poll_limit makes it mandatory.  On
                 * entry the remaining readers' notifiers fire, then the
                 * writer arms and rescans at once. */
                :: true ->
                    forced = true;
                    notify_remaining()
                :: polls < POLL_LIMIT ->
                    /* ACT_SLEEP: registry lock dropped while asleep */
                    UNLOCK_REG;
                    atomic { !reg_lock -> reg_lock = true; polls++ }
                                                    /* qs_gp_poll_done */
                fi
            fi

        :: forced ->
            /* FORCED / LEGACY: qs_gp_arms() == 1 */
#ifndef BUG_RESET_AFTER_SCAN
            ev = false;                     /* reset the GP event      */
#endif
#ifndef BUG_WAITING_AFTER_SCAN
            arm_waiting();                  /* waiting := 1 on each    */
#endif
            WRITER_FENCE;                   /* pairs with BARRIER B    */
            scan();
#ifdef BUG_WAITING_AFTER_SCAN
            arm_waiting();                  /* BUG: armed too late     */
#endif
#ifdef BUG_RESET_AFTER_SCAN
            ev = false;                     /* BUG: erases a wake-up   */
#endif
#ifdef LEGACY
            /* qs_gp_notifies_in_scan: while a drain is in progress the
             * readers found blocking get their notifiers fired */
            if
            :: draining && rem != 0 -> notify_remaining()
            :: else
            fi;
#endif
            /* qs_gp_after_scan */
            if
            :: rem == 0 -> break                    /* ACT_DONE */
            :: else ->
                /* ACT_WAIT: drop the registry lock, block on the event,
                 * retake the lock and go round (re-arm, rescan) */
                UNLOCK_REG;
                ev;
                LOCK_REG
            fi
        od;
        UNLOCK_REG;
        /* qs_gp_end */

        /* Safety: no reader still holds the object this GP retires, so
         * it may now be reclaimed (callback / free). */
        atomic {
            for (j : 0 .. NR - 1) {
                assert(held[j] != g + 1)
            };
            j = 0;
            freed[g] = true;
            g++
        }
    :: else -> break
    od
}

init {
    byte k;
    atomic {
#ifdef LEGACY
        if
        :: draining = true
        :: draining = false
        fi;
#endif
        for (k : 0 .. NR - 1) {
            registered[k] = true
        };
        for (k : 0 .. NR - 1) {
            run Reader(k)
        };
        k = 0;
        run Writer()
    }
}
