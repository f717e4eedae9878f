/*
description: >
  One row per customer with at least one purchase: first and last purchase, the first,
  second and last distinct purchase day, the days with a purchase, purchases and net
  revenue. Read by the marts that count customers and by core.purchase_histories, so they
  need not scan every purchase.
incremental: {scope: customers, key: customer_id}
columns:
  customer_id: The customer.
  first_purchase_at: The first purchase.
  last_purchase_at: The last purchase up to as_of.
  first_day: The day of the first purchase (reporting time zone).
  second_day: The next day with a purchase after first_day; NULL for one-day buyers.
  last_day: The day of the last purchase up to as_of.
  purchase_days: Distinct days with a purchase up to as_of.
  purchases: Purchases up to as_of.
  revenue_net: Net revenue of those purchases (returns deducted).
*/
with

purchases as (
    select customer_id, ordered_at, purchase_day, revenue_net from core.purchases
    where in_scope('customers', customer_id)
),

-- Each customer's purchase days first: the distinct days are then plain rows to count.
purchase_days as (
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
        -- The two smallest days; the second is NULL for a customer with one.
        min(purchase_day, 2)[2] as second_day,
        max(purchase_day) as last_day,
        count(*) as purchase_days,
        sum(purchases)::bigint as purchases,
        -- Amounts stay DECIMAL(18,2): the 38-digit type of a sum makes every later scan slow.
        sum(revenue_net)::decimal(18, 2) as revenue_net
    from purchase_days
    group by customer_id
)

select * from final
