-- Issue 12: multi-horizon forecasts with uncertainty. Per horizon (same length as "values", which is then the P50):
-- p10 and p90 bound the 80% band (p10 <= values <= p90), and step_sources names what produced each horizon
-- ('lstm', or 'baseline:NAME' where a baseline scored better on the hold-out for that horizon). Null for forecasts
-- written before quantiles, or by a model without them.
ALTER TABLE forecasts ADD COLUMN IF NOT EXISTS p10 double precision[];
ALTER TABLE forecasts ADD COLUMN IF NOT EXISTS p90 double precision[];
ALTER TABLE forecasts ADD COLUMN IF NOT EXISTS step_sources text[];
ALTER TABLE forecasts DROP CONSTRAINT IF EXISTS forecasts_quantiles_shape;
ALTER TABLE forecasts ADD CONSTRAINT forecasts_quantiles_shape CHECK (
  (p10 IS NULL OR cardinality(p10) = cardinality("values"))
  AND (p90 IS NULL OR cardinality(p90) = cardinality("values"))
  AND (step_sources IS NULL OR cardinality(step_sources) = cardinality("values")));
