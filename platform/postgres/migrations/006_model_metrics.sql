-- Forecast scores per model version: hold-out scores written by `sda train` / `sda train evaluate`, live scores by
-- the forecaster. One row per (model version, series or '*' for all series, split, metric, method); a re-run
-- replaces the value. `baseline` names the method scored: 'model' for the model itself, else the baseline
-- ('naive_last', 'same_hour_yesterday', 'same_hour_last_week', 'ridge').
CREATE TABLE IF NOT EXISTS model_metrics (
  model_version text COLLATE "C" NOT NULL,
  series_id     text COLLATE "C" NOT NULL,
  split         text COLLATE "C" NOT NULL CHECK (split IN ('holdout', 'live')),
  metric        text COLLATE "C" NOT NULL,
  baseline      text COLLATE "C" NOT NULL,
  value         double precision NOT NULL,
  recorded_at   timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (model_version, series_id, split, metric, baseline)
);
