/*
description: >
  Purchases: shop orders whose status is not cancelled, ordered up to as_of, with the
  returns booked against them up to as_of. revenue_net = net_amount - returned_amount.
  Days and months are in the reporting time zone.
incremental: {scope: orders, key: order_id}
*/
with

-- One time zone conversion per order: day and month arithmetic on the local wall-clock
-- time is cheap, on a timestamptz it runs the calendar of the zone for every value.
orders as (
    select *, ordered_at::timestamp as ordered_local from staging.stg_orders
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
