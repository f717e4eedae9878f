/*
description: >
  One row per customer with at least one purchase: first and last purchase, the first and
  second distinct purchase day, purchases and net revenue. Read by the marts that count
  customers, so they need not scan every purchase.
incremental: {scope: customers, key: customer_id}
columns:
  customer_id: The customer.
  first_purchase_at: The first purchase.
  last_purchase_at: The last purchase up to as_of.
  first_day: The day of the first purchase (reporting time zone).
  second_day: The next day with a purchase after first_day; NULL for one-day buyers.
  purchases: Purchases up to as_of.
  revenue_net: Net revenue of those purchases (returns deducted).
*/
with

totals as (
    select
        customer_id,
        min(ordered_at) as first_purchase_at,
        max(ordered_at) as last_purchase_at,
        min(purchase_day) as first_day,
        count(*) as purchases,
        sum(revenue_net)::decimal(18, 2) as revenue_net
    from core.purchases
    where in_scope('customers', customer_id)
    group by customer_id
),

-- The joined totals limit this to the same customers.
second_days as (
    select purchases.customer_id, min(purchases.purchase_day) as second_day
    from core.purchases as purchases
    inner join totals
        on totals.customer_id = purchases.customer_id
        and purchases.purchase_day > totals.first_day
    group by purchases.customer_id
),

final as (
    select
        totals.customer_id,
        totals.first_purchase_at,
        totals.last_purchase_at,
        totals.first_day,
        second_days.second_day,
        totals.purchases,
        totals.revenue_net
    from totals
    left join second_days on second_days.customer_id = totals.customer_id
)

select * from final
