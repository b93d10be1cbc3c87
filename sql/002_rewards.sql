-- 002: what a code is worth. A campaign's reward, minimum order and metadata are
-- one immutable row of campaign_rewards; the campaign points at its current one
-- and each redemption records the one it was granted, so a later change applies
-- to later redemptions only and reports show what was granted.
-- Every ALTER adds a nullable column at the end: instant in MariaDB 10.3+, so a
-- populated database takes this while it serves.

CREATE TABLE IF NOT EXISTS campaign_rewards (
  id                  INT UNSIGNED NOT NULL AUTO_INCREMENT,
  campaign_id         INT UNSIGNED NOT NULL,
  reward_type         ENUM('none','percent_off','amount_off','free_shipping','item') NOT NULL,
  percent             SMALLINT UNSIGNED NULL COMMENT 'percent_off, hundredths: 1250 = 12.5 %',
  amount_minor        BIGINT NULL COMMENT 'amount_off, minor units of amount_currency',
  amount_currency     CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NULL,
  sku                 VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  min_order_minor     BIGINT NULL COMMENT 'minimum order, minor units of min_order_currency',
  min_order_currency  CHAR(3) CHARACTER SET ascii COLLATE ascii_bin NULL,
  metadata            TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL
                      COMMENT 'a JSON object, as the client wrote it',
  created_at          DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_rewards_campaign (campaign_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS reward_id INT UNSIGNED NULL
  COMMENT 'campaign_rewards: what its codes grant now', ALGORITHM=INSTANT, LOCK=NONE;

ALTER TABLE coupon_codes ADD COLUMN IF NOT EXISTS reward_id INT UNSIGNED NULL
  COMMENT 'campaign_rewards: what the redemption (or reservation) was granted',
  ALGORITHM=INSTANT, LOCK=NONE;

ALTER TABLE outbox ADD COLUMN IF NOT EXISTS reward_id INT UNSIGNED NULL
  COMMENT 'campaign_rewards: what the change granted', ALGORITHM=INSTANT, LOCK=NONE;

-- Per-code expiry (issue 15, part 5): a batch may give its codes their own
-- expires_at; kept on the batch so a resumed run writes the same.
ALTER TABLE generation_batches ADD COLUMN IF NOT EXISTS code_expires_at DATETIME(6) NULL
  COMMENT 'expires_at of the codes it writes, NULL = none', ALGORITHM=INSTANT, LOCK=NONE;
