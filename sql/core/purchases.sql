/*
description: >
  Purchases: shop orders whose status is not cancelled, ordered up to as_of, with the
  returns booked against them up to as_of. revenue_net = net_amount - returned_amount.
  Days and months are in the reporting time zone.
incremental: {scope: orders, key: order_id}
columns:
  order_id: The shop order.
  customer_id: The customer who placed it.
  ordered_at: When the order was placed (at or before as_of).
  purchase_day: The day of ordered_at in the reporting time zone.
  month: First day of ordered_at's calendar month in the reporting time zone.
  status: completed or returned (cancelled orders are no purchases).
  channel: Where the order was placed (web, app, store); NULL when the shop does not say.
  net_amount: The order's amount after discounts, before returns (reporting currency).
  gross_amount: The order's amount before discounts (reporting currency); NULL when the shop does not say.
  discount_amount: The order's discount (reporting currency); NULL when the shop does not say.
  returned_amount: Amounts of the returns booked against the order up to as_of (reporting currency); 0 without returns.
  revenue_net: net_amount - returned_amount (reporting currency).
*/
with

-- One time zone conversion per order (to_local, pipelines/local_time.py): day and month
-- arithmetic on the local wall-clock time is cheap, on a timestamptz it runs the calendar
-- of the zone for every value.
orders as (
    select *, to_local(ordered_at) as ordered_local from staging.stg_orders
    where status <> 'cancelled'
        and ordered_at <= getvariable('as_of')
        and in_scope('orders', order_id)
),

returns as (
    select order_id, sum(amount) as returned_amount
    from staging.stg_returns
    where returned_at <= getvariable('as_of')
    group by order_id
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.ordered_local::date as purchase_day,
        date_trunc('month', orders.ordered_local)::date as month,
        orders.status,
        orders.channel,
        orders.net_amount,
        orders.gross_amount,
        orders.discount_amount,
        -- Amounts stay DECIMAL(18,2): the 38-digit type of a sum makes every later scan and sum slow.
        coalesce(returns.returned_amount, 0)::decimal(18, 2) as returned_amount,
        (orders.net_amount - coalesce(returns.returned_amount, 0))::decimal(18, 2) as revenue_net
    from orders
    left join returns on returns.order_id = orders.order_id
)

select * from final
