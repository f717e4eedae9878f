/*
description: >
  One row per customer and calendar month with at least one purchase, with the customer's
  cohort (month of first purchase). The base of cohorts and lifecycle counts.
*/
with

purchases as (
    select * from core.purchases
),

buying_months as (
    select customer_id, month, count(*) as purchases
    from purchases
    group by customer_id, month
),

final as (
    select
        customer_id,
        month,
        purchases,
        min(month) over (partition by customer_id) as cohort_month,
        lag(month) over (partition by customer_id order by month) as previous_month,
        lead(month) over (partition by customer_id order by month) as next_month
    from buying_months
)

select * from final
