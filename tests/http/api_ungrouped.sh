#!/usr/bin/env bash
# tests/http/api.sh with group commit off (on is coupon-fcgi's default).
export COUPON_TEST_GROUP_COMMIT=off
exec bash "$top_srcdir/tests/http/api.sh" "$@"
