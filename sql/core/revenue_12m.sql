/*
description: >
  Per customer with a purchase in the 12 months up to as_of: the net revenue of those
  purchases (reporting currency). customer_health and detractor_followups read it.
  Incremental: a customer's total changes only when their purchases change or one of them
  leaves the twelve months as as_of moves on (scope revenue_window).
incremental:
  - {scope: customers, key: customer_id}
  - {scope: revenue_window, key: customer_id}
columns:
  customer_id: The customer.
  revenue_net_12m: Net revenue of the customer's purchases in the 12 months up to as_of, returns up to as_of deducted (reporting currency).
*/
-- DECIMAL(18,2): the 38-digit type of a sum makes every later scan slow.
select customer_id, sum(revenue_net)::decimal(18, 2) as revenue_net_12m
from core.purchases
where ordered_at > getvariable('as_of') - interval 12 months
    and (in_scope('customers', customer_id) or in_scope('revenue_window', customer_id))
group by customer_id
