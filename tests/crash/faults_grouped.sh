#!/usr/bin/env bash
# tests/crash/faults.sh with group commit on: plain redemptions committed in groups.
export COUPON_TEST_GROUP_COMMIT=on CRASH_ROUNDS=${CRASH_ROUNDS:-1}
exec bash "$top_srcdir/tests/crash/faults.sh" "$@"
