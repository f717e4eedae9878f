/*
description: >
  The targets of config/targets.yaml against every month of marts.kpi_monthly: one row per
  month and target, with the month's value and whether it met the target. A value exactly
  at the target meets it. The report's cards and verdict and the target_missed rule of
  marts.alerts read it.
columns:
  month: First day of the calendar month in the reporting time zone.
  is_complete: True when as_of is at or after 23:59:59 of the month's last day.
  metric: The kpi_monthly column the target is set for.
  direction: ">= (at least) or <= (at most)."
  target: The target value (a rate as a fraction, the NPS in points).
  value: The metric's value in the month; NULL where kpi_monthly has none (no responses, or a metric the marts do not compute).
  is_met: True when the value meets the target, false when it misses it, NULL without a value.
  severity: The severity of an alert when the target is missed (warning or critical).
  unit: rate (a fraction shown as a percentage) or points (the NPS).
  label_en: The metric's name in English texts.
  label_de: The metric's name in German texts.
*/
with

kpi as (
    select * from marts.kpi_monthly
),

targets as (
    select unnest(
        from_json(
            coalesce(getvariable('alert_targets'), '[]'),
            '[{"metric": "VARCHAR", "direction": "VARCHAR", "value": "DOUBLE", "severity": "VARCHAR",
               "label_en": "VARCHAR", "label_de": "VARCHAR", "unit": "VARCHAR"}]'
        ),
        recursive := true
    )
),

-- A metric is read by name from the month's row as JSON, so a target may name a column
-- that only some builds have; it is NULL where the row lacks it.
measured as (
    select
        kpi.month,
        kpi.is_complete,
        targets.metric,
        targets.direction,
        targets.value as target,
        (to_json(kpi) ->> targets.metric)::double as value,
        targets.severity,
        targets.unit,
        targets.label_en,
        targets.label_de
    from kpi
    cross join targets
),

final as (
    select
        month,
        is_complete,
        metric,
        direction,
        target,
        value,
        case when direction = '>=' then value >= target else value <= target end as is_met,
        severity,
        unit,
        label_en,
        label_de
    from measured
)

select * from final order by month, metric
