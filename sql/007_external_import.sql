-- 007: external codes and imports.
--
-- External codes are up to 64 printable ASCII characters, so the code columns
-- widen from 48 to 64. Every statement here is ALGORITHM=INSTANT on MariaDB
-- 10.11 (checked on a populated table): a VARCHAR that keeps its one length
-- byte (ascii, at most 255 bytes) widens in the data dictionary only, indexed
-- or not; an ENUM gains a value at its end and a table gains columns at its
-- end without touching a row. INSTANT is written out so that a server that
-- would copy the table refuses instead of blocking writes for the copy.

ALTER TABLE coupon_codes
  MODIFY code VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  ADD COLUMN IF NOT EXISTS metadata TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL
      COMMENT 'imported codes: the JSON object of the file''s metadata column',
  ALGORITHM=INSTANT, LOCK=NONE;

ALTER TABLE outbox
  MODIFY code VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  ALGORITHM=INSTANT, LOCK=NONE;

-- external: codes made elsewhere (1..64 printable ASCII, no check character);
-- case_sensitive and ignore_separators say how typed input is read.
-- importing: an import batch of the campaign is not complete and holds codes;
-- while it is set, redemption checks each code's batch (core/redeem.c) and the
-- campaign is left out of the fast statement's list (core/campaign_cache.c).
ALTER TABLE campaigns
  ADD COLUMN IF NOT EXISTS external BOOLEAN NOT NULL DEFAULT FALSE,
  ADD COLUMN IF NOT EXISTS case_sensitive BOOLEAN NOT NULL DEFAULT FALSE,
  ADD COLUMN IF NOT EXISTS ignore_separators BOOLEAN NOT NULL DEFAULT TRUE,
  ADD COLUMN IF NOT EXISTS importing BOOLEAN NOT NULL DEFAULT FALSE,
  ALGORITHM=INSTANT, LOCK=NONE;

-- An import's state lives in params like a keyed batch's; the line numbers of
-- the first duplicates it skipped do not fit there.
ALTER TABLE generation_batches
  MODIFY method ENUM('random','keyed','import') NOT NULL,
  ADD COLUMN IF NOT EXISTS duplicate_lines TEXT CHARACTER SET ascii COLLATE ascii_bin NULL
      COMMENT 'imports: the first 100 duplicate lines skipped, comma-separated',
  ALGORITHM=INSTANT, LOCK=NONE;
