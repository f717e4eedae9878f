/*
description: >
  marts.cohort_retention split by a dimension of the customer: one row per cohort month,
  offset, dimension (country, segment, acquisition_channel) and value, with the
  definitions of cohort_retention restricted to the cohort's customers of that value.
  Summed over the values of one dimension, cohort_size and the retained counts equal
  cohort_retention's. A value without customers in a cohort has no rows for it. Across
  cohorts, average an offset weighted: sum of retained / sum of cohort sizes, over rows
  that are not in_progress.
columns:
  cohort_month: First day of the month of the cohort's first purchase.
  months_since_first: k, the offset in calendar months from the cohort month.
  month: First day of month cohort + k.
  dimension: country, segment or acquisition_channel (the channel of the first purchase).
  value: The customers' value of the dimension; 'unknown' where not known.
  cohort_size: Customers of the value whose first purchase falls in the cohort month.
  retained_customers: Of them, customers with at least one purchase in month cohort + k.
  retention_rate: retained_customers / cohort_size.
  retained_customers_unbounded: Of them, customers with a purchase in month cohort + k or later.
  retention_rate_unbounded: retained_customers_unbounded / cohort_size (on-or-after retention).
  in_progress: True where month cohort + k holds as_of and is not complete.
*/
with

customer_months as (
    select * from core.customer_months
),

customer_values as (
    select * from core.customer_dimension_values
),

valued_months as (
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
        grid.cohort_month,
        grid.months_since_first,
        grid.month,
        grid.dimension,
        grid.value,
        grid.cohort_size,
        coalesce(retained.retained, 0) as retained_customers,
        coalesce(retained.retained, 0) / grid.cohort_size as retention_rate,
        sum(coalesce(last_offset_counts.customers, 0)) over (
            partition by grid.dimension, grid.value, grid.cohort_month
            order by grid.months_since_first desc
            rows unbounded preceding
        ) as retained_customers_unbounded,
        retained_customers_unbounded / grid.cohort_size as retention_rate_unbounded,
        grid.month = as_of_month.month and not as_of_month.is_complete as in_progress
    from grid
    cross join as_of_month
    left join retained using (dimension, value, cohort_month, months_since_first)
    left join last_offset_counts using (dimension, value, cohort_month, months_since_first)
)

select * from final order by cohort_month, months_since_first, dimension, value
