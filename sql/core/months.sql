/*
description: >
  The calendar months the monthly marts report (reporting time zone): from the month of the
  first purchase to the month that holds as_of, with the instants that bound each month.
  The month that holds as_of ends at as_of.
columns:
  month: First day of the calendar month in the reporting time zone.
  month_start: The first instant of the month.
  end_instant: The last instant of the month (a microsecond before the next month), or as_of for the month that holds it.
  is_complete: True when as_of is at or after 23:59:59 of the month's last day.
  holds_as_of: True for the month that holds as_of (its end is as_of).
*/
with

customer_months as (
    select month from core.customer_months
),

as_of as (
    select getvariable('as_of') as as_of
),

final as (
    select
        month_start::date as month,
        month_start,
        least(month_start + interval 1 month - interval 1 microsecond, as_of.as_of) as end_instant,
        as_of.as_of >= month_end(month_start::date) as is_complete,
        month_start + interval 1 month > as_of.as_of as holds_as_of
    from as_of,
        generate_series(
            (select min(month) from customer_months)::timestamptz,
            date_trunc('month', as_of.as_of),
            interval 1 month
        ) as series(month_start)
)

select * from final
