/*
description: >
  marts.cohort_retention split by a dimension of the customer: one row per cohort month,
  offset, dimension (country, segment, acquisition_channel) and value, with the
  definitions of cohort_retention restricted to the cohort's customers of that value.
  Summed over the values of one dimension, cohort_size and the retained counts equal
  cohort_retention's. A value without customers in a cohort has no rows for it. Across
  cohorts, average an offset weighted: sum of retained / sum of cohort sizes, over rows
  that are not in_progress. The counts are core.cohort_counts'.
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

cohort_counts as (
    select * from core.cohort_counts where dimension <> 'all'
),

final as (
    select
        cohort_month,
        months_since_first,
        month,
        dimension,
        value,
        cohort_size,
        retained_customers,
        retained_customers / cohort_size as retention_rate,
        retained_customers_unbounded,
        retained_customers_unbounded / cohort_size as retention_rate_unbounded,
        in_progress
    from cohort_counts
)

select * from final order by cohort_month, months_since_first, dimension, value
