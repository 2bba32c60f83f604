// Numbered schema migrations. Append only: an applied migration is identified by its sha256, and
// a database whose recorded hash differs from this file's is refused (someone edited history).
// Each migration runs in its own transaction; the database is copied aside before any upgrade.

export interface Migration {
  id: number
  name: string
  sql: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'time-series store and app metadata',
    sql: `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
-- One row per series ("host.cpu.load", "fs.used:/var"); unit for display.
CREATE TABLE ts_series (
  id      INTEGER PRIMARY KEY,
  key     TEXT NOT NULL UNIQUE,
  unit    TEXT,
  last_at INTEGER
);
-- Raw samples, kept for a short window (see timeseries.ts RAW_RETENTION_MS).
CREATE TABLE ts_raw (
  series_id INTEGER NOT NULL,
  t         INTEGER NOT NULL,
  v         REAL NOT NULL,
  PRIMARY KEY (series_id, t)
) WITHOUT ROWID;
-- Rollups at fixed resolutions (res in ms): count, sum, min, max per bucket start t.
CREATE TABLE ts_rollup (
  series_id INTEGER NOT NULL,
  res       INTEGER NOT NULL,
  t         INTEGER NOT NULL,
  n         INTEGER NOT NULL,
  sum       REAL NOT NULL,
  min       REAL NOT NULL,
  max       REAL NOT NULL,
  PRIMARY KEY (series_id, res, t)
) WITHOUT ROWID;
`,
  },
  {
    id: 2,
    name: 'serving endpoints',
    sql: `
-- Model-server endpoints Gantry polls. kind NULL means "detect on each poll".
CREATE TABLE serving_endpoints (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  url        TEXT NOT NULL UNIQUE,
  kind       TEXT,
  created_at INTEGER NOT NULL
);
`,
  },
  {
    id: 3,
    name: 'model registry and audit log',
    sql: `
-- Models: who owns them and the rules for promoting them. revision guards against lost updates.
CREATE TABLE reg_models (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  description   TEXT NOT NULL DEFAULT '',
  owner_team    TEXT,
  owner_contact TEXT,
  oncall        TEXT,
  tags_json     TEXT NOT NULL DEFAULT '{}',
  card          TEXT NOT NULL DEFAULT '',
  policy_json   TEXT NOT NULL DEFAULT '{"productionNeedsApproval":false}',
  created_at    INTEGER NOT NULL,
  created_by    TEXT NOT NULL,
  updated_at    INTEGER NOT NULL,
  revision      INTEGER NOT NULL DEFAULT 1,
  reviewed_at   INTEGER,
  reviewed_by   TEXT
);
-- Versions: the artifact (where it is, its sha256), lineage and lifecycle stage.
CREATE TABLE reg_versions (
  id             INTEGER PRIMARY KEY,
  model_id       INTEGER NOT NULL REFERENCES reg_models(id),
  version        INTEGER NOT NULL,
  stage          TEXT NOT NULL CHECK (stage IN ('registered','staging','production','archived','retired')),
  stage_at       INTEGER NOT NULL,
  artifact       TEXT NOT NULL,
  artifact_kind  TEXT NOT NULL CHECK (artifact_kind IN ('file','dir','uri')),
  sha256         TEXT,
  size_bytes     INTEGER,
  file_count     INTEGER,
  manifest_json  TEXT,
  managed        INTEGER NOT NULL DEFAULT 0,
  format         TEXT,
  created_at     INTEGER NOT NULL,
  created_by     TEXT NOT NULL,
  source_commit  TEXT,
  parent         INTEGER,
  params_json    TEXT NOT NULL DEFAULT '{}',
  metrics_json   TEXT NOT NULL DEFAULT '{}',
  datasets_json  TEXT NOT NULL DEFAULT '[]',
  description    TEXT NOT NULL DEFAULT '',
  UNIQUE (model_id, version)
);
CREATE INDEX reg_versions_stage ON reg_versions(stage);
-- At most one production version per model, enforced by the database itself.
CREATE UNIQUE INDEX reg_versions_one_production ON reg_versions(model_id) WHERE stage = 'production';
-- Aliases: each names exactly one version of its model.
CREATE TABLE reg_aliases (
  model_id   INTEGER NOT NULL REFERENCES reg_models(id),
  alias      TEXT NOT NULL,
  version    INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  PRIMARY KEY (model_id, alias)
);
CREATE TABLE reg_approvals (
  id           INTEGER PRIMARY KEY,
  model_id     INTEGER NOT NULL REFERENCES reg_models(id),
  version      INTEGER NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('pending','approved','rejected','applied','withdrawn')),
  requested_by TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  decided_by   TEXT,
  decided_at   INTEGER
);
CREATE TABLE reg_comments (
  id          INTEGER PRIMARY KEY,
  approval_id INTEGER NOT NULL REFERENCES reg_approvals(id),
  actor       TEXT NOT NULL,
  at          INTEGER NOT NULL,
  text        TEXT NOT NULL
);
-- Append-only, hash-chained history of every registry change (see registry/audit.ts).
CREATE TABLE audit_log (
  seq         INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  model       TEXT,
  version     INTEGER,
  before_json TEXT NOT NULL,
  after_json  TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
);
CREATE INDEX audit_log_model ON audit_log(model, seq);
`,
  },
  {
    id: 4,
    name: 'endpoint auth, smoke requests and registry bindings',
    sql: `
-- Credentials are referenced, never stored here: secret_ref names an entry of the secrets service.
ALTER TABLE serving_endpoints ADD COLUMN auth_type TEXT CHECK (auth_type IN ('bearer','basic'));
ALTER TABLE serving_endpoints ADD COLUMN auth_user TEXT;
ALTER TABLE serving_endpoints ADD COLUMN secret_ref TEXT;
ALTER TABLE serving_endpoints ADD COLUMN smoke_json TEXT;
-- Which registry model (and alias) an endpoint should serve, and under which served name.
CREATE TABLE serving_bindings (
  endpoint_id INTEGER NOT NULL REFERENCES serving_endpoints(id) ON DELETE CASCADE,
  model       TEXT NOT NULL,
  served_name TEXT NOT NULL,
  alias       TEXT NOT NULL DEFAULT 'production',
  PRIMARY KEY (endpoint_id, model)
);
`,
  },
  {
    id: 5,
    name: 'deployment targets and the deploy journal',
    sql: `
CREATE TABLE deploy_targets (
  id          INTEGER PRIMARY KEY,
  model       TEXT NOT NULL,
  name        TEXT NOT NULL,
  config_json TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (model, name)
);
-- The journal: one row per deploy or rollback, its state written before each step.
CREATE TABLE deployments (
  id           INTEGER PRIMARY KEY,
  model        TEXT NOT NULL,
  target_id    INTEGER NOT NULL REFERENCES deploy_targets(id),
  kind         TEXT NOT NULL CHECK (kind IN ('deploy','rollback')),
  from_version INTEGER,
  to_version   INTEGER NOT NULL,
  from_pointer TEXT,
  state        TEXT NOT NULL,
  steps_json   TEXT NOT NULL DEFAULT '[]',
  actor        TEXT NOT NULL,
  pid          INTEGER,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER,
  reason       TEXT
);
CREATE INDEX deployments_model ON deployments(model, id);
-- The lock: at most one deploy in flight per target, enforced by the database.
CREATE UNIQUE INDEX deployments_one_in_flight ON deployments(target_id)
  WHERE state IN ('intent','switching','verifying','reverting');
`,
  },
  {
    id: 6,
    name: 'automatic rollback rules',
    sql: `
-- Per model: after a deploy, roll back (or ask first) when the served endpoint breaches a threshold for N minutes.
CREATE TABLE deploy_rules (
  model       TEXT PRIMARY KEY,
  config_json TEXT NOT NULL,
  updated_at  INTEGER NOT NULL,
  updated_by  TEXT NOT NULL
);
`,
  },
  {
    id: 7,
    name: 'drift monitors and windows',
    sql: `
-- A model's inference-log folder and how far it has been read (as of the last closed window).
CREATE TABLE drift_monitors (
  model       TEXT PRIMARY KEY,
  config_json TEXT NOT NULL,
  state_json  TEXT NOT NULL DEFAULT '{}',
  updated_at  INTEGER NOT NULL
);
-- One row per closed window: the full report, and the verdict for charts and badges.
CREATE TABLE drift_windows (
  id           INTEGER PRIMARY KEY,
  model        TEXT NOT NULL,
  version      INTEGER,
  window_start INTEGER,
  window_end   INTEGER,
  rows         INTEGER NOT NULL,
  drifted      INTEGER NOT NULL,
  share        REAL NOT NULL,
  report_json  TEXT NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX drift_windows_model ON drift_windows(model, id);
`,
  },
  {
    id: 8,
    name: 'drift reference profiles',
    sql: `
-- What the drift methods need from a version's reference dataset, computed once (sha256 of the
-- dataset it was computed from, so a changed file is never trusted).
CREATE TABLE drift_profiles (
  model        TEXT NOT NULL,
  version      INTEGER NOT NULL,
  sha256       TEXT,
  profile_json TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (model, version)
);
`,
  },
  {
    id: 9,
    name: 'drift realized performance per window',
    sql: `
-- Each closed window's predictions by row id, written in the same transaction as the window, so
-- ground truth arriving later can be joined to them; and the window's realized performance.
CREATE TABLE drift_window_predictions (
  window_id  INTEGER NOT NULL REFERENCES drift_windows(id) ON DELETE CASCADE,
  row_key    TEXT NOT NULL,
  prediction REAL,
  score      REAL,
  PRIMARY KEY (window_id, row_key)
) WITHOUT ROWID;
ALTER TABLE drift_windows ADD COLUMN performance_json TEXT;
ALTER TABLE drift_windows ADD COLUMN performance_at INTEGER;
`,
  },
  {
    id: 10,
    name: 'drift monitor read lease',
    sql: `
-- One process reads a monitor's folder at a time (the console's timer, a CLI --read): a lease
-- with an expiry, so a crashed reader does not block the next. rev counts committed positions:
-- a process whose in-memory open window predates another's commit drops it and re-reads.
ALTER TABLE drift_monitors ADD COLUMN lease_owner TEXT;
ALTER TABLE drift_monitors ADD COLUMN lease_until INTEGER;
ALTER TABLE drift_monitors ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    id: 11,
    name: 'hosts, and a compact store of raw samples per host',
    sql: `
-- The machines Gantry watches: this one (id 1, always there) and servers reached over SSH. An SSH
-- host's pinned key is here; its key file's passphrase is in the secrets service (secret_ref).
CREATE TABLE hosts (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  kind            TEXT NOT NULL CHECK (kind IN ('local', 'ssh')),
  settings_json   TEXT NOT NULL DEFAULT '{}',
  owner           TEXT,
  enabled         INTEGER NOT NULL DEFAULT 1,
  key_type        TEXT,
  key_fingerprint TEXT,
  key_pinned_at   INTEGER,
  key_pinned_by   TEXT,
  secret_ref      TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
INSERT INTO hosts (id, name, kind, created_at, updated_at) VALUES (1, 'local', 'local', 0, 0);

-- A series belongs to a host: the same key ("host.cpu.load") once per host.
CREATE TABLE ts_series_by_host (
  id      INTEGER PRIMARY KEY,
  host_id INTEGER NOT NULL DEFAULT 1 REFERENCES hosts(id),
  key     TEXT NOT NULL,
  unit    TEXT,
  last_at INTEGER,
  UNIQUE (host_id, key)
);
INSERT INTO ts_series_by_host (id, host_id, key, unit, last_at) SELECT id, 1, key, unit, last_at FROM ts_series;
DROP TABLE ts_series;
ALTER TABLE ts_series_by_host RENAME TO ts_series;

-- Raw samples in chunks (one row per series per flush, timeseries.ts encodes them) instead of one
-- row per sample: a fleet's thousands of points a second cost a few rows per flush. Existing raw
-- samples move over as JSON chunks of one minute.
CREATE TABLE ts_chunk (
  series_id INTEGER NOT NULL,
  t0        INTEGER NOT NULL,
  t1        INTEGER NOT NULL,
  n         INTEGER NOT NULL,
  data      BLOB NOT NULL,
  PRIMARY KEY (series_id, t0)
) WITHOUT ROWID;
INSERT INTO ts_chunk (series_id, t0, t1, n, data)
  SELECT series_id, MIN(t), MAX(t), COUNT(*), json_group_array(json_array(t, v))
  FROM (SELECT series_id, t, v FROM ts_raw ORDER BY series_id, t)
  GROUP BY series_id, t / 60000;
DROP TABLE ts_raw;

-- An endpoint is reached from a host: the same URL (http://127.0.0.1:8000/) may be saved once per host.
CREATE TABLE serving_endpoints_by_host (
  id         INTEGER PRIMARY KEY,
  host_id    INTEGER NOT NULL DEFAULT 1 REFERENCES hosts(id),
  name       TEXT NOT NULL UNIQUE,
  url        TEXT NOT NULL,
  kind       TEXT,
  created_at INTEGER NOT NULL,
  auth_type  TEXT CHECK (auth_type IN ('bearer','basic')),
  auth_user  TEXT,
  secret_ref TEXT,
  smoke_json TEXT,
  UNIQUE (host_id, url)
);
INSERT INTO serving_endpoints_by_host (id, host_id, name, url, kind, created_at, auth_type, auth_user, secret_ref, smoke_json)
  SELECT id, 1, name, url, kind, created_at, auth_type, auth_user, secret_ref, smoke_json FROM serving_endpoints;
DROP TABLE serving_endpoints;
ALTER TABLE serving_endpoints_by_host RENAME TO serving_endpoints;
`,
  },
  {
    id: 12,
    name: 'prometheus sources, latched XIDs, model KPIs',
    sql: `
-- A Prometheus-compatible API Gantry asks questions of. Its credential (bearer token or basic
-- password) is in the secrets service (secret_ref); headers are non-secret (X-Scope-OrgID).
CREATE TABLE prometheus_sources (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  url          TEXT NOT NULL,
  headers_json TEXT NOT NULL DEFAULT '{}',
  auth_type    TEXT CHECK (auth_type IN ('bearer','basic')),
  auth_user    TEXT,
  secret_ref   TEXT,
  ca_file      TEXT,
  timeout_ms   INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
-- dcgm-exporter keeps only the last XID of a GPU (a gauge): Gantry latches each one it sees until
-- someone acknowledges it, so an XID that needs a reset is not lost when the exporter restarts.
-- Keyed by the GPU (its UUID is unique), not by the host's name, which an exporter may change.
CREATE TABLE gpu_xid_latches (
  uuid       TEXT NOT NULL,
  code       INTEGER NOT NULL,
  host       TEXT NOT NULL,
  source     TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  acked_at   INTEGER,
  acked_by   TEXT,
  note       TEXT,
  PRIMARY KEY (uuid, code)
);
-- A model's business KPIs: PromQL against a source, which way is good, the line not to cross.
CREATE TABLE model_kpis (
  model      TEXT NOT NULL,
  name       TEXT NOT NULL,
  source     TEXT NOT NULL,
  query      TEXT NOT NULL,
  direction  TEXT NOT NULL CHECK (direction IN ('higher-is-better','lower-is-better')),
  threshold  REAL,
  unit       TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (model, name)
);
`,
  },
  {
    id: 13,
    name: 'alerts: rules, instances, transitions, acknowledgements, silences, notifications, retraining',
    sql: `
-- A rule changed from its default, or added: its whole definition as JSON (validated on read).
CREATE TABLE alert_rules (
  name       TEXT PRIMARY KEY,
  json       TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL
);
-- Each instance of a rule (its labels hashed into id) with the clocks of its life, so a restart
-- keeps a pending clock and a firing alert's start.
CREATE TABLE alert_instances (
  id               TEXT PRIMARY KEY,
  rule             TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('pending','firing','resolved','nodata','error')),
  labels_json      TEXT NOT NULL,
  subject_json     TEXT NOT NULL,
  summary          TEXT NOT NULL,
  value            REAL,
  active_at        INTEGER NOT NULL,
  fired_at         INTEGER,
  resolved_at      INTEGER,
  last_active_at   INTEGER NOT NULL,
  recovering_since INTEGER,
  last_eval_at     INTEGER NOT NULL,
  reason           TEXT,
  last_notified_at INTEGER
);
-- Every transition (history, and "what flapped most this week").
CREATE TABLE alert_transitions (
  id          INTEGER PRIMARY KEY,
  alert       TEXT NOT NULL,
  rule        TEXT NOT NULL,
  from_state  TEXT,
  to_state    TEXT NOT NULL,
  at          INTEGER NOT NULL,
  summary     TEXT NOT NULL,
  labels_json TEXT NOT NULL
);
CREATE INDEX alert_transitions_at ON alert_transitions (at);
CREATE INDEX alert_transitions_alert ON alert_transitions (alert, at);
-- An acknowledgement holds for one episode of an alert (its fired_at): a re-fire needs a new one.
CREATE TABLE alert_acks (
  alert    TEXT NOT NULL,
  fired_at INTEGER NOT NULL,
  by       TEXT NOT NULL,
  at       INTEGER NOT NULL,
  note     TEXT NOT NULL,
  PRIMARY KEY (alert, fired_at)
);
-- Alertmanager's silences: matchers are immutable, "delete" expires, expired ones are kept 120 h.
CREATE TABLE alert_silences (
  id            TEXT PRIMARY KEY,
  matchers_json TEXT NOT NULL,
  starts_at     INTEGER NOT NULL,
  ends_at       INTEGER NOT NULL,
  created_by    TEXT NOT NULL,
  comment       TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);
-- The notification journal: what was sent to whom, and when it was delivered.
CREATE TABLE alert_notifications (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  group_key   TEXT NOT NULL,
  receiver    TEXT NOT NULL,
  title       TEXT NOT NULL,
  body        TEXT NOT NULL,
  severity    TEXT NOT NULL,
  link        TEXT NOT NULL,
  alerts_json TEXT NOT NULL,
  resolved    INTEGER NOT NULL
);
CREATE INDEX alert_notifications_at ON alert_notifications (at);
CREATE TABLE alert_settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
-- A model's retraining trigger and every run of it.
CREATE TABLE retrain_triggers (
  model      TEXT PRIMARY KEY,
  json       TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL
);
CREATE TABLE retrain_runs (
  id          INTEGER PRIMARY KEY,
  model       TEXT NOT NULL,
  version     INTEGER,
  reason      TEXT NOT NULL,
  cause       TEXT NOT NULL,
  what        TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  state       TEXT NOT NULL CHECK (state IN ('running','ok','failed','timeout','interrupted')),
  exit_code   INTEGER,
  output_tail TEXT NOT NULL DEFAULT '',
  error       TEXT
);
CREATE INDEX retrain_runs_model ON retrain_runs (model, id);
`,
  },
  {
    id: 14,
    name: 'releases: nginx fronts, shadow/canary releases, their windows of evidence and their journal',
    sql: `
-- One nginx front per model: where Gantry's include file is and what the champion is.
CREATE TABLE release_fronts (
  model        TEXT PRIMARY KEY,
  json         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  applied_json TEXT
);
CREATE TABLE releases (
  id               INTEGER PRIMARY KEY,
  model            TEXT NOT NULL,
  json             TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('warming','running','paused','promoted','aborted','passed','failed')),
  step             INTEGER NOT NULL DEFAULT 0,
  weight           REAL NOT NULL DEFAULT 0,
  step_started_at  INTEGER,
  reason           TEXT,
  headroom_json    TEXT,
  champion_version INTEGER,
  actor            TEXT NOT NULL,
  started_at       INTEGER NOT NULL,
  finished_at      INTEGER,
  rev              INTEGER NOT NULL DEFAULT 0,
  cursors_json     TEXT NOT NULL DEFAULT '{}'
);
-- One release in flight per model.
CREATE UNIQUE INDEX releases_active ON releases (model) WHERE state IN ('warming','running','paused');
-- Each window a step was judged over (a resumed step opens a new one), with its evidence.
CREATE TABLE release_windows (
  id            INTEGER PRIMARY KEY,
  release_id    INTEGER NOT NULL REFERENCES releases(id),
  step          INTEGER NOT NULL,
  weight        REAL NOT NULL,
  started_at    INTEGER NOT NULL,
  ended_at      INTEGER,
  verdict       TEXT,
  evidence_json TEXT,
  acc_json      TEXT NOT NULL
);
CREATE INDEX release_windows_release ON release_windows (release_id, id);
CREATE TABLE release_events (
  id         INTEGER PRIMARY KEY,
  release_id INTEGER NOT NULL REFERENCES releases(id),
  at         INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  actor      TEXT NOT NULL,
  detail     TEXT NOT NULL
);
CREATE INDEX release_events_release ON release_events (release_id, id);
CREATE TABLE release_settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`,
  },
  {
    id: 15,
    name: 'drift monitors remember their last read error (shown until a read succeeds)',
    sql: `
ALTER TABLE drift_monitors ADD COLUMN last_error TEXT;
ALTER TABLE drift_monitors ADD COLUMN last_error_at INTEGER;
`,
  },
]
