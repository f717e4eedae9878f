/*
description: >
  One row per customer and calendar month with at least one purchase, with the customer's
  cohort (month of first purchase) and net revenue. The base of cohorts, lifecycle counts
  and earned growth.
incremental: {scope: customers, key: customer_id}
*/
with

purchases as (
    select * from core.purchases where in_scope('customers', customer_id)
),

buying_months as (
    select customer_id, month, count(*) as purchases, sum(revenue_net)::decimal(18, 2) as revenue_net
    from purchases
    group by customer_id, month
),

final as (
    select
        customer_id,
        month,
        purchases,
        revenue_net,
        min(month) over (partition by customer_id) as cohort_month,
        lag(month) over (partition by customer_id order by month) as previous_month,
        lead(month) over (partition by customer_id order by month) as next_month
    from buying_months
)

select * from final
