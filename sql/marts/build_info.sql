/*
description: >
  One row: the parameters the marts were built with, so every number can be read with its
  as_of and definitions.
columns:
  as_of: The instant the metrics describe; later data was ignored.
  inactivity_days: W, days without a purchase after which a customer counts as lapsed.
  reporting_timezone: The time zone whose calendar months and days the marts use.
  min_sample: Groups with fewer NPS responses are flagged low_sample.
  currency: The reporting currency of every amount.
  built_at: When the marts were built.
*/
with

final as (
    select
        getvariable('as_of') as as_of,
        getvariable('inactivity_days') as inactivity_days,
        current_setting('TimeZone') as reporting_timezone,
        getvariable('min_sample') as min_sample,
        getvariable('currency') as currency,
        now() as built_at
)

select * from final
