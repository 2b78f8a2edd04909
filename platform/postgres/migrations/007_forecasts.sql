-- Model forecasts from market.forecasts, one row per (market, series, kind, step, model version, first predicted
-- interval): a re-delivered or replayed forecast rewrites the same row. "values" holds horizons 1..n; horizon h
-- predicts [target_start + (h-1)*step, target_start + h*step), so the row covers [target_start, target_end).
CREATE TABLE IF NOT EXISTS forecasts (
  market        text COLLATE "C" NOT NULL,
  series_id     text COLLATE "C" NOT NULL,
  kind          text COLLATE "C" NOT NULL,
  step_ms       integer          NOT NULL CHECK (step_ms > 0),
  model_version text COLLATE "C" NOT NULL,
  target_start  timestamptz      NOT NULL,
  target_end    timestamptz      NOT NULL,
  "values"      double precision[] NOT NULL CHECK (cardinality("values") > 0),
  unit          text             NOT NULL,
  issued_at     timestamptz      NOT NULL,
  input_start   timestamptz      NOT NULL,
  input_end     timestamptz      NOT NULL,
  stored_at     timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (market, series_id, kind, step_ms, model_version, target_start),
  CHECK (target_end > target_start)
);
-- The gateway's reads: forecasts of one series by the start of their first interval (at= lookups), and the
-- newest issued (no at=).
CREATE INDEX IF NOT EXISTS forecasts_series_target ON forecasts (market, series_id, kind, target_start DESC);
CREATE INDEX IF NOT EXISTS forecasts_series_issued ON forecasts (market, series_id, kind, issued_at DESC);
