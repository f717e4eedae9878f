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

purchases as (
    select * from core.purchases where in_scope('customers', customer_id)
),

days as (
    select
        customer_id,
        purchase_day,
        min(ordered_at) as first_at,
        max(ordered_at) as last_at,
        count(*) as purchases,
        sum(revenue_net) as revenue_net
    from purchases
    group by customer_id, purchase_day
),

final as (
    select
        customer_id,
        min(first_at) as first_purchase_at,
        max(last_at) as last_purchase_at,
        min(purchase_day) as first_day,
        min(purchase_day, 2)[2] as second_day,
        sum(purchases) as purchases,
        sum(revenue_net)::decimal(18, 2) as revenue_net
    from days
    group by customer_id
)

select * from final
