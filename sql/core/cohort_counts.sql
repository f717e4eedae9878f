/*
description: >
  Cohort retention counts for the whole customer base and for each value of each
  breakdown dimension: one row per dimension, value, cohort month (month of first
  purchase) and offset k = 0, 1, 2, ... up to the month of as_of. The dimension 'all'
  (value 'all') holds every customer: the rows of marts.cohort_retention; the others
  (core.customer_dimensions) those of marts.cohort_retention_by_dimension. A value
  without customers in a cohort has no rows for it. The customer months are counted once
  per cohort, offset and combination of values, and the four groupings are sums of
  those counts (each customer has one value per dimension).
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

customer_dimensions as (
    select * from core.customer_dimensions
),

as_of_month as (
    select
        date_trunc('month', getvariable('as_of'))::date as month,
        getvariable('as_of') >= month_end(date_trunc('month', getvariable('as_of'))::date)
            as is_complete
),

combination_counts as (
    select
        customer_months.cohort_month,
        datediff('month', customer_months.cohort_month, customer_months.month)
            as months_since_first,
        customer_dimensions.country,
        customer_dimensions.segment,
        customer_dimensions.acquisition_channel,
        count(*) as retained,
        count(*) filter (where customer_months.month = customer_months.cohort_month)
            as first_months,
        count(*) filter (where customer_months.next_month is null) as last_months
    from customer_months
    left join customer_dimensions on customer_dimensions.customer_id = customer_months.customer_id
    group by all
),

grouped as (
    select
        case
            when grouping(country) = 0 then 'country'
            when grouping(segment) = 0 then 'segment'
            when grouping(acquisition_channel) = 0 then 'acquisition_channel'
            else 'all'
        end as dimension,
        case
            when grouping(country) = 0 then country
            when grouping(segment) = 0 then segment
            when grouping(acquisition_channel) = 0 then acquisition_channel
            else 'all'
        end as value,
        cohort_month,
        months_since_first,
        sum(retained)::bigint as retained,
        sum(first_months)::bigint as first_months,
        sum(last_months)::bigint as last_months
    from combination_counts
    group by grouping sets (
        (cohort_month, months_since_first),
        (cohort_month, months_since_first, country),
        (cohort_month, months_since_first, segment),
        (cohort_month, months_since_first, acquisition_channel)
    )
),

counts as (
    select * from grouped where value is not null
),

cohorts as (
    select dimension, value, cohort_month, sum(first_months)::bigint as cohort_size
    from counts
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

final as (
    select
        grid.dimension,
        grid.value,
        grid.cohort_month,
        grid.months_since_first,
        grid.month,
        grid.cohort_size,
        coalesce(counts.retained, 0) as retained_customers,
        sum(coalesce(counts.last_months, 0)) over (
            partition by grid.dimension, grid.value, grid.cohort_month
            order by grid.months_since_first desc
            rows unbounded preceding
        ) as retained_customers_unbounded,
        grid.month = as_of_month.month and not as_of_month.is_complete as in_progress
    from grid
    cross join as_of_month
    left join counts using (dimension, value, cohort_month, months_since_first)
)

select * from final
