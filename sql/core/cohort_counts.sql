/*
description: >
  Cohort retention counts for the whole customer base and for each value of each
  breakdown dimension: one row per dimension, value, cohort month (month of first
  purchase) and offset k = 0, 1, 2, ... up to the month of as_of. The dimension 'all'
  (value 'all') holds every customer: the rows of marts.cohort_retention; the others
  (core.customer_dimension_values) those of marts.cohort_retention_by_dimension. A value
  without customers in a cohort has no rows for it.
columns:
  dimension: all, country, segment or acquisition_channel.
  value: all for the dimension all, else the customers' value of the dimension; 'unknown' where not known.
  cohort_month: First day of the month of the cohort's first purchase.
  months_since_first: k, the offset in calendar months from the cohort month.
  month: First day of month cohort + k.
  cohort_size: Customers (of the value) whose first purchase falls in the cohort month.
  retained_customers: Of them, customers with at least one purchase in month cohort + k.
  retained_customers_unbounded: Of them, customers with a purchase in month cohort + k or later.
  in_progress: True where month cohort + k holds as_of and is not complete (as_of before 23:59:59 of its last day).
*/
with

customer_months as (
    select * from core.customer_months
),

customer_values as (
    select * from core.customer_dimension_values
),

valued_months as (
    select 'all' as dimension, 'all' as value, customer_months.*
    from customer_months
    union all
    select customer_values.dimension, customer_values.value, customer_months.*
    from customer_months
    inner join customer_values on customer_values.customer_id = customer_months.customer_id
),

as_of_month as (
    select
        date_trunc('month', getvariable('as_of'))::date as month,
        getvariable('as_of') >= month_end(date_trunc('month', getvariable('as_of'))::date)
            as is_complete
),

cohorts as (
    select dimension, value, cohort_month, count(distinct customer_id) as cohort_size
    from valued_months
    group by all
),

grid as (
    select
        cohorts.dimension,
        cohorts.value,
        cohorts.cohort_month,
        cohorts.cohort_size,
        offsets.k as months_since_first,
        (cohorts.cohort_month + to_months(offsets.k))::date as month
    from cohorts, as_of_month,
        range(0, datediff('month', cohorts.cohort_month, as_of_month.month) + 1) as offsets(k)
),

retained as (
    select
        dimension,
        value,
        cohort_month,
        datediff('month', cohort_month, month) as months_since_first,
        count(*) as retained
    from valued_months
    group by all
),

last_offsets as (
    select
        dimension,
        value,
        cohort_month,
        customer_id,
        datediff('month', cohort_month, max(month)) as last_offset
    from valued_months
    group by dimension, value, cohort_month, customer_id
),

last_offset_counts as (
    select dimension, value, cohort_month, last_offset as months_since_first, count(*) as customers
    from last_offsets
    group by all
),

final as (
    select
        grid.dimension,
        grid.value,
        grid.cohort_month,
        grid.months_since_first,
        grid.month,
        grid.cohort_size,
        coalesce(retained.retained, 0) as retained_customers,
        sum(coalesce(last_offset_counts.customers, 0)) over (
            partition by grid.dimension, grid.value, grid.cohort_month
            order by grid.months_since_first desc
            rows unbounded preceding
        ) as retained_customers_unbounded,
        grid.month = as_of_month.month and not as_of_month.is_complete as in_progress
    from grid
    cross join as_of_month
    left join retained using (dimension, value, cohort_month, months_since_first)
    left join last_offset_counts using (dimension, value, cohort_month, months_since_first)
)

select * from final
