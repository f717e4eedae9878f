/*
description: >
  One row per customer and calendar month with at least one purchase, with the customer's
  cohort (month of first purchase) and net revenue. The base of cohorts, lifecycle counts
  and earned growth.
incremental: {scope: customers, key: customer_id}
columns:
  customer_id: The customer.
  month: First day of a calendar month (reporting time zone) in which the customer has at least one purchase.
  purchases: The customer's purchases in the month (cancelled orders excluded).
  revenue_net: Net revenue of those purchases, returns up to as_of deducted (reporting currency).
  cohort_month: The customer's first month with a purchase, the same on all their rows.
  previous_month: The customer's previous month with a purchase; NULL in their first month.
  next_month: The customer's next month with a purchase up to as_of; NULL in their latest month.
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
