-- 001: the initial schema. See DESIGN.md, "Data model".
-- Statements end with ';' at the end of a line. DDL commits implicitly in MySQL, so
-- every statement is written to be safe to run again after a half-applied migration.

CREATE TABLE IF NOT EXISTS campaigns (
  id              INT UNSIGNED NOT NULL AUTO_INCREMENT,
  name            VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  status          ENUM('active','paused','archived') NOT NULL DEFAULT 'active',
  starts_at       DATETIME(6) NULL,
  expires_at      DATETIME(6) NULL,
  per_user_limit  INT UNSIGNED NOT NULL DEFAULT 0 COMMENT '0 = unlimited',
  unredeem_policy ENUM('restore','spend') NOT NULL DEFAULT 'restore'
                  COMMENT 'restore: an unredeemed code is available again; spend: it stays spent',
  alphabet        VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  prefix          VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  body_length     TINYINT UNSIGNED NOT NULL,
  check_char      BOOLEAN NOT NULL DEFAULT TRUE,
  group_size      TINYINT UNSIGNED NOT NULL DEFAULT 4,
  planned_codes   BIGINT UNSIGNED NOT NULL DEFAULT 0
                  COMMENT 'the campaign size the format was sized for',
  events_enabled  BOOLEAN NOT NULL DEFAULT FALSE COMMENT 'write outbox events',
  created_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at      DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uq_campaigns_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS generation_batches (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  campaign_id  INT UNSIGNED NOT NULL,
  method       ENUM('random','keyed') NOT NULL,
  requested    BIGINT UNSIGNED NOT NULL,
  generated    BIGINT UNSIGNED NOT NULL DEFAULT 0,
  params       VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  status       ENUM('running','complete','failed','cancelled') NOT NULL DEFAULT 'running',
  started_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  finished_at  DATETIME(6) NULL,
  error        VARCHAR(512) NULL,
  PRIMARY KEY (id),
  KEY ix_batches_campaign (campaign_id, status),
  CONSTRAINT fk_batches_campaign FOREIGN KEY (campaign_id) REFERENCES campaigns (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The global sequence of keyed generation, reserved in ranges by one UPDATE.
CREATE TABLE IF NOT EXISTS keyed_sequence (
  id          TINYINT UNSIGNED NOT NULL,
  next_value  BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

INSERT IGNORE INTO keyed_sequence (id, next_value) VALUES (1, 0);

-- code is the normalised form (prefix, body, check character) in a binary ASCII
-- collation, so the unique index is compact and compares bytes.
CREATE TABLE IF NOT EXISTS coupon_codes (
  id                   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  code                 VARCHAR(48) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  campaign_id          INT UNSIGNED NOT NULL,
  batch_id             BIGINT UNSIGNED NOT NULL,
  status               ENUM('available','pending','redeemed','expired') NOT NULL DEFAULT 'available',
  redeemed_by_user_id  VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  order_id             VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  redeemed_at          DATETIME(6) NULL,
  reserved_until       DATETIME(6) NULL,
  expires_at           DATETIME(6) NULL,
  expired_reason       VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  created_at           DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uq_codes_code (code),
  KEY ix_codes_campaign_status (campaign_id, status, redeemed_at),
  KEY ix_codes_batch_status (batch_id, status)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS campaign_user_usage (
  campaign_id  INT UNSIGNED NOT NULL,
  user_id      VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  used         INT UNSIGNED NOT NULL DEFAULT 0,
  updated_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (campaign_id, user_id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS api_keys (
  id             INT UNSIGNED NOT NULL AUTO_INCREMENT,
  name           VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  key_prefix     VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
                 COMMENT 'public part of the key, shown in listings',
  secret_sha256  BINARY(32) NOT NULL,
  scopes         SET('redeem','admin') NOT NULL,
  created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  last_used_at   DATETIME(6) NULL,
  revoked_at     DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_api_keys_name (name),
  UNIQUE KEY uq_api_keys_prefix (key_prefix)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS idempotency_keys (
  api_key_id    INT UNSIGNED NOT NULL,
  idem_key      VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  fingerprint   BINARY(32) NOT NULL COMMENT 'SHA-256 of the request',
  state         ENUM('in_progress','done') NOT NULL,
  http_status   SMALLINT UNSIGNED NULL,
  response      TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  claimed_at    DATETIME(6) NOT NULL,
  created_at    DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (api_key_id, idem_key),
  KEY ix_idem_created (created_at)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS code_events (
  id                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  code_id            BIGINT UNSIGNED NOT NULL,
  campaign_id        INT UNSIGNED NOT NULL,
  action             VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  prior_status       ENUM('available','pending','redeemed','expired') NOT NULL,
  prior_user_id      VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  prior_order_id     VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  prior_redeemed_at  DATETIME(6) NULL,
  actor              VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  reason             VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  created_at         DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_events_code (code_id),
  KEY ix_events_campaign (campaign_id, created_at)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS code_exports (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  campaign_id    INT UNSIGNED NOT NULL,
  batch_id       BIGINT UNSIGNED NULL,
  status_filter  VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NULL,
  code_count     BIGINT UNSIGNED NOT NULL,
  file_name      VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  sha256         CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  actor          VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_exports_campaign (campaign_id, created_at)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS outbox (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  event_id       CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  event_type     VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  campaign_id    INT UNSIGNED NOT NULL,
  code           VARCHAR(48) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id        VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  order_id       VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  created_at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  claimed_by     VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  claimed_until  DATETIME(6) NULL,
  attempts       INT UNSIGNED NOT NULL DEFAULT 0,
  last_error     VARCHAR(512) NULL,
  delivered_at   DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_outbox_event (event_id),
  KEY ix_outbox_pending (delivered_at, id)
) ENGINE=InnoDB;
