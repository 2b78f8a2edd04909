-- Issue 13: battery schedules from market.dispatch (and run.NAME.dispatch), one row per (run, asset, strategy,
-- model version, forecast issue, first interval): a re-delivered schedule rewrites the same row. run is '' for the
-- live pipeline and the run name for a backtest's run-scoped topics. Interval i covers
-- [start_at + i*step, start_at + (i+1)*step); power in MW, state of charge in MWh at the end of the interval, $.
CREATE TABLE IF NOT EXISTS dispatch_schedules (
  run                   text COLLATE "C" NOT NULL DEFAULT '',
  market                text COLLATE "C" NOT NULL,
  asset_id              text COLLATE "C" NOT NULL,
  settlement_point      text COLLATE "C" NOT NULL,
  strategy              text COLLATE "C" NOT NULL,
  model_version         text COLLATE "C" NOT NULL,
  forecast_issued_at    timestamptz      NOT NULL,
  forecast_input_end    timestamptz      NOT NULL,
  start_at              timestamptz      NOT NULL,
  end_at                timestamptz      NOT NULL,
  step_ms               integer          NOT NULL CHECK (step_ms > 0),
  charge_mw             double precision[] NOT NULL,
  discharge_mw          double precision[] NOT NULL,
  soc_mwh               double precision[] NOT NULL,
  prices                double precision[] NOT NULL,
  initial_soc_mwh       double precision NOT NULL,
  cycle_energy_used_mwh double precision NOT NULL,
  expected_revenue      double precision NOT NULL,
  revenue_at_p10        double precision,
  revenue_at_p90        double precision,
  power_mw              double precision NOT NULL,
  energy_mwh            double precision NOT NULL,
  round_trip_efficiency double precision NOT NULL,
  milp                  boolean          NOT NULL,
  stored_at             timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (run, asset_id, strategy, model_version, forecast_issued_at, start_at),
  CHECK (end_at > start_at),
  CHECK (cardinality(charge_mw) = cardinality(discharge_mw) AND cardinality(charge_mw) = cardinality(soc_mwh) AND cardinality(charge_mw) = cardinality(prices))
);
-- GET /dispatch?asset=: the newest schedule of an asset.
CREATE INDEX IF NOT EXISTS dispatch_schedules_asset_input ON dispatch_schedules (run, asset_id, forecast_input_end DESC);
