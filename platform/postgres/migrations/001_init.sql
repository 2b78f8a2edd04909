-- Market ticks as the sinks store them: one row per (market, series, kind, interval start); re-delivery upserts.
CREATE TABLE IF NOT EXISTS market_data (
  market          text        NOT NULL,
  series_id       text        NOT NULL,
  point_type      text        NOT NULL,
  kind            text        NOT NULL,
  interval_start  timestamptz NOT NULL,
  interval_end    timestamptz NOT NULL,
  value           double precision NOT NULL,
  unit            text        NOT NULL,
  source          text        NOT NULL,
  ingested_at     timestamptz NOT NULL,
  stored_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (market, series_id, kind, interval_start),
  CHECK (interval_end > interval_start)
);
CREATE INDEX IF NOT EXISTS market_data_series_time ON market_data (series_id, kind, interval_start DESC);

-- Dead letters kept queryable next to the data (the topic market.dlq is the source of truth).
CREATE TABLE IF NOT EXISTS dead_letters (
  source_topic  text        NOT NULL,
  partition     integer     NOT NULL,
  "offset"      bigint      NOT NULL,
  reason_code   text        NOT NULL,
  message       text        NOT NULL,
  raw           bytea       NOT NULL,
  processor     text        NOT NULL,
  failed_at     timestamptz NOT NULL,
  PRIMARY KEY (source_topic, partition, "offset", processor)
);
