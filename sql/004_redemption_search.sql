-- Redemption search (GET /api/v1/redemptions, couponadm redemptions): every filter
-- is an index range in (redeemed_at, id) order, newest first. The campaign filter
-- uses ix_codes_campaign_status (campaign_id, status, redeemed_at); InnoDB appends
-- the primary key to each secondary index, which makes (redeemed_at, id) unique.
-- Each index costs every generated row and every redemption's UPDATE, so there
-- are three: by user, by order, and by status and time alone.
-- Online on a populated table: in place, without a lock on reads or writes.
ALTER TABLE coupon_codes
  ADD INDEX IF NOT EXISTS ix_codes_user (redeemed_by_user_id, status, redeemed_at),
  ADD INDEX IF NOT EXISTS ix_codes_order (order_id, status, redeemed_at),
  ADD INDEX IF NOT EXISTS ix_codes_status_time (status, redeemed_at),
  ALGORITHM=INPLACE, LOCK=NONE;
