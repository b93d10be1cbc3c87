-- 005: a campaign's time zone, an IANA name of the tz database ("Europe/Berlin").
-- Text without an offset given for the campaign (its window, its codes' expiry)
-- is read in this zone, and its instants are written back with its offset.
-- Instants stay UTC: changing the zone re-reads nothing already stored.
-- Rows from before take UTC, which is how their times were read. A column with a
-- constant default added at the end: instant, so a populated database takes it
-- while it serves.
ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS
  time_zone VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'UTC'
  COMMENT 'IANA time zone, checked by core/tz.c', ALGORITHM=INSTANT, LOCK=NONE;
