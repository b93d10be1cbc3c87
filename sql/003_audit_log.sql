-- 003: the audit log. One row per administrative change (campaign created,
-- changed, paused, resumed or archived; codes expired or unredeemed; API key
-- created or revoked; export), written in the transaction of the change itself.
-- Append-only: the programs only ever INSERT and SELECT here. A new table, so a
-- populated database takes it online.

CREATE TABLE IF NOT EXISTS audit_log (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  actor        VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL
               COMMENT 'API key name for coupon-fcgi, user@host for couponadm',
  action       VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
               COMMENT 'stable name, e.g. campaign.pause',
  object_type  VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  object_id    BIGINT UNSIGNED NOT NULL,
  before_json  TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  after_json   TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  PRIMARY KEY (id),
  KEY ix_audit_created (created_at, id),
  KEY ix_audit_action (action, id),
  KEY ix_audit_object (object_type, object_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
