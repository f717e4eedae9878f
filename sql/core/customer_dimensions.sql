/*
description: >
  One row per customer the CRM knows or who has a purchase: the dimensions the breakdowns
  split by. country and segment come from the latest CRM version at as_of;
  acquisition_channel is the channel of the first purchase (earliest ordered_at, ties by
  order_id). A missing value is 'unknown'.
incremental: {scope: customers, key: customer_id}
columns:
  customer_id: The customer.
  country: Country of the latest CRM version at as_of; 'unknown' when the CRM does not say (or does not know the customer).
  segment: Segment of the latest CRM version at as_of; 'unknown' when the CRM does not say.
  acquisition_channel: Channel of the customer's first purchase (web, app, store, ...); 'unknown' for prospects and orders without a channel.
*/
with

crm as (
    select customer_id, country, segment from core.customers
    where in_scope('customers', customer_id)
),

purchases as (
    select customer_id, channel, ordered_at, order_id from core.purchases
    where in_scope('customers', customer_id)
),

first_purchases as (
    select customer_id, first(channel order by ordered_at, order_id) as channel
    from purchases
    group by customer_id
),

final as (
    select
        coalesce(crm.customer_id, first_purchases.customer_id) as customer_id,
        coalesce(nullif(trim(crm.country), ''), 'unknown') as country,
        coalesce(nullif(trim(crm.segment), ''), 'unknown') as segment,
        coalesce(nullif(trim(first_purchases.channel), ''), 'unknown') as acquisition_channel
    from crm
    full outer join first_purchases on first_purchases.customer_id = crm.customer_id
)

select * from final
