/*
description: >
  Each customer with a purchase up to as_of once: the first and the last purchase day and
  how many distinct days they bought on (days in the reporting time zone). Changes only
  for the customers a build's new files touch, so a daily build updates it in place;
  core.purchase_histories adds what depends on as_of.
incremental: {scope: customers, key: customer_id}
columns:
  customer_id: The customer.
  first_day: The customer's first purchase day.
  last_day: The customer's last purchase day up to as_of.
  days: Distinct days with a purchase.
*/
with

purchases as (
    select customer_id, purchase_day from core.purchases
    where in_scope('customers', customer_id)
),

final as (
    select
        customer_id,
        min(purchase_day) as first_day,
        max(purchase_day) as last_day,
        count(distinct purchase_day) as days
    from purchases
    group by customer_id
)

select * from final
