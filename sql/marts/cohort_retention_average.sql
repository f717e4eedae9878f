/*
description: >
  The weighted average cohort retention per offset k: sum of retained customers / sum of
  cohort sizes, over the cohorts whose month cohort + k is complete (in_progress false).
columns:
  months_since_first: k, the offset in calendar months from the cohort month.
  cohorts: Number of cohorts whose month cohort + k is complete.
  cohort_size: Sum of the sizes of those cohorts.
  retained_customers: Sum of their retained customers (purchase in month cohort + k).
  retention_rate: retained_customers / cohort_size.
  retained_customers_unbounded: Sum of their customers with a purchase in month cohort + k or later.
  retention_rate_unbounded: retained_customers_unbounded / cohort_size.
*/
with

cohort_retention as (
    select * from marts.cohort_retention
    where not in_progress
),

final as (
    select
        months_since_first,
        count(*) as cohorts,
        sum(cohort_size) as cohort_size,
        sum(retained_customers) as retained_customers,
        sum(retained_customers) / sum(cohort_size) as retention_rate,
        sum(retained_customers_unbounded) as retained_customers_unbounded,
        sum(retained_customers_unbounded) / sum(cohort_size) as retention_rate_unbounded
    from cohort_retention
    group by months_since_first
)

select * from final order by months_since_first
