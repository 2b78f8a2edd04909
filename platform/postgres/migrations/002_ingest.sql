-- Whether a stored value was observed or filled in by the documented gap policy.
ALTER TABLE market_data ADD COLUMN IF NOT EXISTS imputed boolean NOT NULL DEFAULT false;

-- One row per ingestion run (API schedule, backfill, replay, simulation, import).
CREATE TABLE IF NOT EXISTS ingest_runs (
  run_id          uuid        PRIMARY KEY,
  job             text        NOT NULL,
  report          text        NOT NULL,
  range_from      timestamptz,
  range_to        timestamptz,
  started_at      timestamptz NOT NULL,
  finished_at     timestamptz,
  rows_read       bigint      NOT NULL DEFAULT 0,
  rows_accepted   bigint      NOT NULL DEFAULT 0,
  rows_dead_lettered bigint   NOT NULL DEFAULT 0,
  rows_imputed    bigint      NOT NULL DEFAULT 0,
  status          text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  error           text
);

-- Per-report checkpoint: the end of the last interval range fully published, so a restart neither skips
-- nor duplicates intervals.
CREATE TABLE IF NOT EXISTS ingest_checkpoints (
  report      text        PRIMARY KEY,
  covered_to  timestamptz NOT NULL,
  run_id      uuid        NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
