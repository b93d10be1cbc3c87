-- 008: codes handed out, one per user (POST /api/v1/campaigns/ID/assign,
-- couponadm assign). An assigned code belongs to its user until redeemed or
-- unassigned; the unique key over (campaign, user, slot) is what makes "one code
-- per user" true under any concurrency: a second assignment of the same slot is
-- a duplicate-key error, never a second row. NULLs never collide, so codes that
-- are not assigned cost the key nothing but their entry.
-- Online on a populated table: appending ENUM values and nullable columns is
-- instant; the new unique index is built in place without locking reads or writes.

ALTER TABLE coupon_codes MODIFY COLUMN status
  ENUM('available','pending','redeemed','expired','assigned') NOT NULL DEFAULT 'available',
  ALGORITHM=INSTANT, LOCK=NONE;

ALTER TABLE code_events MODIFY COLUMN prior_status
  ENUM('available','pending','redeemed','expired','assigned') NOT NULL,
  ALGORITHM=INSTANT, LOCK=NONE;

ALTER TABLE coupon_codes
  ADD COLUMN IF NOT EXISTS assigned_user_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL
    COMMENT 'the user the code was handed out to (kept when it is redeemed)',
  ADD COLUMN IF NOT EXISTS assigned_at DATETIME(6) NULL,
  ADD COLUMN IF NOT EXISTS assigned_until DATETIME(6) NULL
    COMMENT 'the campaign valid_for after assigned_at: the hand-out is void from then',
  ADD COLUMN IF NOT EXISTS assigned_slot SMALLINT UNSIGNED NULL
    COMMENT 'which of the codes of the user this is, 1..the per-user limit',
  ALGORITHM=INSTANT, LOCK=NONE;

ALTER TABLE coupon_codes
  ADD UNIQUE INDEX IF NOT EXISTS uq_codes_assignment (campaign_id, assigned_user_id, assigned_slot),
  ALGORITHM=INPLACE, LOCK=NONE;

ALTER TABLE campaigns
  ADD COLUMN IF NOT EXISTS transferable BOOLEAN NOT NULL DEFAULT FALSE
    COMMENT 'an assigned code may be redeemed by anyone who has it',
  ADD COLUMN IF NOT EXISTS assign_valid_for INT UNSIGNED NOT NULL DEFAULT 0
    COMMENT 'seconds an assigned code stays valid after assignment, 0 = no limit',
  ALGORITHM=INSTANT, LOCK=NONE;
