-- 009: when a code was reserved, for reports (GET /api/v1/campaigns/ID/report,
-- couponadm report). Until now a reservation kept only its end (reserved_until),
-- which confirm and release clear, so reservations per hour could not be counted.
-- reserve sets reserved_at; confirm, release and redeem leave it, so a code
-- carries the time of its latest reservation. The index makes a campaign's
-- reservations in a time range an index range. Only reserve changes the column,
-- so a plain redemption's UPDATE does not touch the new index.
-- Online on a populated table: the column is instant, the index in place, and
-- neither locks reads or writes.
ALTER TABLE coupon_codes ADD COLUMN IF NOT EXISTS reserved_at DATETIME(6) NULL
  COMMENT 'when the latest reservation was made', ALGORITHM=INSTANT, LOCK=NONE;

ALTER TABLE coupon_codes
  ADD INDEX IF NOT EXISTS ix_codes_campaign_reserved (campaign_id, reserved_at),
  ALGORITHM=INPLACE, LOCK=NONE;
