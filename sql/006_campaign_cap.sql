-- 006: the campaign cap (issue 15, part 4): at most max_redemptions successful
-- redemptions in a campaign, however many codes it has. The count is split over
-- campaign_cap_slots rows (quotas summing to the cap) so that redemptions do not
-- queue on one counter row; each redemption takes one unit of one slot and the
-- code records which, so giving the redemption back returns the unit there.
-- See doc/DESIGN.md, "The campaign cap". Both ALTERs add a nullable column at
-- the end: instant in MariaDB 10.3+, so a populated database takes this while
-- it serves.

CREATE TABLE IF NOT EXISTS campaign_cap_slots (
  campaign_id  INT UNSIGNED NOT NULL,
  slot         TINYINT UNSIGNED NOT NULL,
  quota        INT UNSIGNED NOT NULL COMMENT 'the share of the cap this slot may hand out',
  used         INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'redeemed codes holding this slot',
  PRIMARY KEY (campaign_id, slot)
) ENGINE=InnoDB;

ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS max_redemptions INT UNSIGNED NULL
  COMMENT 'successful redemptions allowed in the campaign, NULL = no cap',
  ALGORITHM=INSTANT, LOCK=NONE;

ALTER TABLE coupon_codes ADD COLUMN IF NOT EXISTS cap_slot TINYINT UNSIGNED NULL
  COMMENT 'campaign_cap_slots.slot a redeemed code of a capped campaign holds (NULL: slot 0)',
  ALGORITHM=INSTANT, LOCK=NONE;
