#!/usr/bin/env bash
# check.sh -- model-check every variant of rcu.pml and compare each outcome
# with what it should be: the correct models must verify with 0 errors, the
# bug variants must each yield a counterexample of the expected kind.
#
# Prints one PASS/FAIL line per variant; exits 1 if any expectation fails,
# 2 if the tools are missing.  All build files go to a temporary directory
# (removed at the end unless KEEP=1 or a variant failed).
#
# Environment:
#   SPIN, CC            tools (default: spin, gcc)
#   MODEL_3R_MINUTES    time cap of the 3-reader bitstate run (default 1)
#   JOBS                variants run in parallel (default 2)
#   FULL=1              termination checks at the full parameters (ITERS=2)
#                       instead of ITERS=1 (about 6x the work)
#   KEEP=1              keep the work directory (trails, logs)
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SPIN=${SPIN:-spin}
CC=${CC:-gcc}
CAP3=${MODEL_3R_MINUTES:-1}
JOBS=${JOBS:-2}

command -v "$SPIN" >/dev/null 2>&1 || { echo "check.sh: $SPIN not found (apt-get install spin)" >&2; exit 2; }
command -v "$CC" >/dev/null 2>&1 || { echo "check.sh: $CC not found" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/quiesce-model.XXXXXX")
failed=0
cleanup() {
    if [ "${KEEP:-0}" = 1 ] || [ "$failed" -ne 0 ]; then
        echo "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
# On INT/TERM (e.g. a ctest timeout): stop our own background variants and
# their pan processes, then exit through the EXIT trap.
stop() {
    local p
    for p in $(jobs -p); do
        pkill -TERM -P "$p" 2>/dev/null   # the variant's spin/cc/pan
        kill -TERM "$p" 2>/dev/null
    done
    wait
    echo "check.sh: interrupted" >&2
    exit 130
}
trap stop INT TERM

# check NAME EXPECT "SPIN_DEFS" "CC_DEFS" "PAN_ARGS"
#   EXPECT: ok        exhaustive search, 0 errors
#           partial   0 errors; the search may stop at its time cap
#           deadlock  a counterexample ending in an invalid end state
#           assert    a counterexample violating an assertion
check() {
    local name=$1 expect=$2 sdefs=$3 cdefs=$4 pargs=$5
    local d="$WORK/$name"
    mkdir -p "$d"
    cp "$HERE/rcu.pml" "$d/"
    # shellcheck disable=SC2086
    if ! (cd "$d" && exec "$SPIN" -a $sdefs rcu.pml >spin.log 2>&1); then
        echo "FAIL $name: spin -a $sdefs failed (see $d/spin.log)"; return 1
    fi
    # shellcheck disable=SC2086
    if ! (cd "$d" && exec "$CC" -O2 -w $cdefs -o pan pan.c >cc.log 2>&1); then
        echo "FAIL $name: $CC failed (see $d/cc.log)"; return 1
    fi
    # shellcheck disable=SC2086
    (cd "$d" && exec ./pan $pargs >pan.log 2>&1)

    local log="$d/pan.log" errors states secs first mem
    errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$log" | tail -1)
    states=$(awk '/states, stored/ { print $1; exit }' "$log")
    secs=$(sed -n 's/^pan: elapsed time \([0-9.e+-]*\) seconds.*/\1/p' "$log" | tail -1)
    first=$(grep -m1 '^pan:1:' "$log" | sed 's/^pan:1: //')
    mem=$(awk '/total actual memory usage/ { printf "%d", $1; exit }' "$log")
    errors=${errors:-?}; states=${states:-?}; secs=${secs:-?}
    local stats="$states states, ${secs} s, ${mem:-?} MB"
    local incomplete=0
    grep -q 'Search not completed\|Time limit of' "$log" && incomplete=1
    grep -q 'max search depth too small' "$log" && incomplete=1

    case $expect in
    ok)
        if [ "$errors" = 0 ] && [ $incomplete = 0 ]; then
            echo "PASS $name: 0 errors, $stats (exhaustive)"
        else
            echo "FAIL $name: errors=$errors incomplete=$incomplete ${first:+($first) }(see $log)"; return 1
        fi ;;
    partial)
        local hf cov
        hf=$(sed -n 's/^hash factor: \([0-9.e+-]*\).*/\1/p' "$log")
        if [ $incomplete = 1 ]; then cov="time cap of ${CAP3} min reached, partial coverage"
        else cov="search completed"; fi
        if [ "$errors" = 0 ]; then
            echo "PASS $name: 0 errors, $stats (bitstate, hash factor ${hf:-?}; $cov)"
        else
            echo "FAIL $name: errors=$errors ${first:+($first) }(see $log)"; return 1
        fi ;;
    deadlock|assert)
        local want
        if [ "$expect" = deadlock ]; then want='invalid end state'; else want='assertion violated'; fi
        if [ "$errors" != 0 ] && [ "$errors" != '?' ] && printf '%s' "$first" | grep -q "$want"; then
            echo "PASS $name: counterexample found as expected ($first), $stats"
        else
            echo "FAIL $name: expected a counterexample ($want), got errors=$errors ${first:+($first) }(see $log)"; return 1
        fi ;;
    esac
    return 0
}

# run NAME ...: check() in the background, at most JOBS at a time; the
# result line goes to $WORK/NAME/result and is printed in order at the end.
ORDER=()
run() {
    local name=$1
    ORDER+=("$name")
    mkdir -p "$WORK/$name"
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
    ( check "$@" >"$WORK/$name/result" 2>&1 || touch "$WORK/$name/failed" ) &
}

SAFE="-DSAFETY"
EXH="-m100000 -w24"

echo "spin model check of native/model/rcu.pml ($("$SPIN" -V 2>/dev/null | head -1))"

# Long runs first so that the JOBS slots stay busy.
# Three readers, full parameters: bitstate hashing with a time cap.
run correct-fqs-3r        partial "-DNR=3" "$SAFE -DBITSTATE" "-m100000 -w31 -k3 -Q$CAP3"
# No cycles at all (-DNP without progress labels: any cycle is reported):
# every run is finite, so the invalid-end-state checks cover every way of
# getting stuck.  One section per reader unless FULL=1.
if [ "${FULL:-0}" = 1 ]; then TERM=""; else TERM="-DITERS=1"; fi
run termination-fqs-2r    ok "$TERM" "-DNP -DCOLLAPSE" "-l $EXH"
run termination-legacy-2r ok "-DLEGACY $TERM" "-DNP -DCOLLAPSE" "-l $EXH"
# Three readers, exhaustive: one section each, no registration churn.
run correct-fqs-3r-small  ok "-DNR=3 -DITERS=1 -DCHURN=0" "$SAFE -DCOLLAPSE" "$EXH"
# Correct protocol: safety asserts + invalid end states (lost wake-ups).
run correct-fqs-2r        ok "" "$SAFE" "$EXH"
run correct-legacy-2r     ok "-DLEGACY" "$SAFE" "$EXH"

# Ordering bugs: each must be caught.
run bug-waiting-after-scan        deadlock "-DBUG_WAITING_AFTER_SCAN" "$SAFE" "$EXH"
run bug-reset-after-scan          deadlock "-DBUG_RESET_AFTER_SCAN" "$SAFE" "$EXH"
run bug-reader-waiting-first      deadlock "-DBUG_READER_WAITING_FIRST" "$SAFE" "$EXH"
run bug-waiting-after-scan-legacy deadlock "-DLEGACY -DBUG_WAITING_AFTER_SCAN" "$SAFE" "$EXH"
run bug-reset-after-scan-legacy   deadlock "-DLEGACY -DBUG_RESET_AFTER_SCAN" "$SAFE" "$EXH"
run bug-no-notify                 deadlock "-DBUG_NO_NOTIFY" "$SAFE" "$EXH"
run bug-deref-before-ctr          assert   "-DBUG_DEREF_BEFORE_CTR" "$SAFE" "$EXH"

# Report in a readable order.
ORDER=(correct-fqs-2r correct-legacy-2r termination-fqs-2r termination-legacy-2r
       correct-fqs-3r-small correct-fqs-3r
       bug-waiting-after-scan bug-reset-after-scan bug-reader-waiting-first
       bug-waiting-after-scan-legacy bug-reset-after-scan-legacy
       bug-no-notify bug-deref-before-ctr)
wait
for name in "${ORDER[@]}"; do
    cat "$WORK/$name/result"
    [ -e "$WORK/$name/failed" ] && failed=1
done

if [ "$failed" -ne 0 ]; then
    echo "model check: FAILED"
    exit 1
fi
echo "model check: all variants as expected"
