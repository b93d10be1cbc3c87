#!/usr/bin/env bash
# tests/crash/faults.sh with group commit off (on is coupon-fcgi's default): every
# plain redemption its own autocommit statement.
export COUPON_TEST_GROUP_COMMIT=off CRASH_ROUNDS=${CRASH_ROUNDS:-1}
exec bash "$top_srcdir/tests/crash/faults.sh" "$@"
