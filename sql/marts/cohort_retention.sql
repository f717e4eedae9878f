/*
description: >
  Cohort retention. Cohort = month of first purchase; for each offset k = 0, 1, 2, ... up
  to the month of as_of: the share of the cohort with a purchase in month cohort + k
  (bounded) and in month cohort + k or later (on-or-after, unbounded). k = 0 is 1.0 by
  construction. The weighted average per offset is marts.cohort_retention_average. The
  counts are core.cohort_counts' for the whole customer base (dimension 'all').
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

cohort_counts as (
    select * from core.cohort_counts where dimension = 'all'
),

final as (
    select
        cohort_month,
        months_since_first,
        month,
        cohort_size,
        retained_customers,
        retained_customers / cohort_size as retention_rate,
        retained_customers_unbounded,
        retained_customers_unbounded / cohort_size as retention_rate_unbounded,
        in_progress
    from cohort_counts
)

select * from final order by cohort_month, months_since_first
