#!/usr/bin/env bash
# tests/http/api.sh with group commit on.
export COUPON_TEST_GROUP_COMMIT=on
exec bash "$top_srcdir/tests/http/api.sh" "$@"
