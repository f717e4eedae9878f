/*
description: >
  The months in which a customer belongs to the earned-growth base: a purchase in month t
  puts them into the base of months t + 12 .. t + 23, and purchase months at most twelve
  apart give one unbroken span. One row per customer and span.
incremental: {scope: customers, key: customer_id}
columns:
  customer_id: The customer.
  first_month: The first month of the span.
  last_month: The last month of the span.
*/
with

customer_months as (
    select customer_id, month, previous_month from core.customer_months
    where in_scope('customers', customer_id)
),

steps as (
    select
        customer_id,
        month,
        coalesce(month > previous_month + interval 12 month, true) as starts_span
    from customer_months
),

numbered as (
    select
        *,
        sum(starts_span::integer) over (
            partition by customer_id order by month rows unbounded preceding
        ) as span_no
    from steps
),

final as (
    select
        customer_id,
        (min(month) + interval 12 month)::date as first_month,
        (max(month) + interval 23 month)::date as last_month
    from numbered
    group by customer_id, span_no
)

select * from final
