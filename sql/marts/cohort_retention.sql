/*
description: >
  Cohort retention. Cohort = month of first purchase; for each offset k = 0, 1, 2, ... up
  to the month of as_of: the share of the cohort with a purchase in month cohort + k
  (bounded) and in month cohort + k or later (on-or-after, unbounded). k = 0 is 1.0 by
  construction. The weighted average per offset is marts.cohort_retention_average.
columns:
  cohort_month: First day of the month of the cohort's first purchase.
  months_since_first: k, the offset in calendar months from the cohort month.
  month: First day of month cohort + k.
  cohort_size: Customers whose first purchase falls in the cohort month.
  retained_customers: Customers of the cohort with at least one purchase in month cohort + k.
  retention_rate: retained_customers / cohort_size.
  retained_customers_unbounded: Customers of the cohort with a purchase in month cohort + k or later.
  retention_rate_unbounded: retained_customers_unbounded / cohort_size (on-or-after retention).
  in_progress: True where month cohort + k holds as_of and is not complete (as_of before 23:59:59 of its last day).
*/
with

customer_months as (
    select * from core.customer_months
),

as_of_month as (
    select
        date_trunc('month', getvariable('as_of'))::date as month,
        getvariable('as_of') >= month_end(date_trunc('month', getvariable('as_of'))::date)
            as is_complete
),

cohorts as (
    select cohort_month, count(distinct customer_id) as cohort_size
    from customer_months
    group by cohort_month
),

grid as (
    select
        cohorts.cohort_month,
        cohorts.cohort_size,
        offsets.k as months_since_first,
        (cohorts.cohort_month + to_months(offsets.k))::date as month
    from cohorts, as_of_month,
        range(0, datediff('month', cohorts.cohort_month, as_of_month.month) + 1) as offsets(k)
),

retained as (
    select cohort_month, datediff('month', cohort_month, month) as months_since_first, count(*) as retained
    from customer_months
    group by all
),

last_offsets as (
    select cohort_month, datediff('month', cohort_month, max(month)) as last_offset, customer_id
    from customer_months
    group by cohort_month, customer_id
),

last_offset_counts as (
    select cohort_month, last_offset, count(*) as customers
    from last_offsets
    group by all
),

final as (
    select
        grid.cohort_month,
        grid.months_since_first,
        grid.month,
        grid.cohort_size,
        coalesce(retained.retained, 0) as retained_customers,
        coalesce(retained.retained, 0) / grid.cohort_size as retention_rate,
        sum(coalesce(last_offset_counts.customers, 0)) over (
            partition by grid.cohort_month
            order by grid.months_since_first desc
            rows unbounded preceding
        ) as retained_customers_unbounded,
        retained_customers_unbounded / grid.cohort_size as retention_rate_unbounded,
        grid.month = as_of_month.month and not as_of_month.is_complete as in_progress
    from grid
    cross join as_of_month
    left join retained
        on retained.cohort_month = grid.cohort_month
        and retained.months_since_first = grid.months_since_first
    left join last_offset_counts
        on last_offset_counts.cohort_month = grid.cohort_month
        and last_offset_counts.last_offset = grid.months_since_first
)

select * from final order by cohort_month, months_since_first
