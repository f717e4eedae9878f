/*
description: >
  Every customer with a purchase up to as_of, in the BG/NBD model's terms (days in the
  reporting time zone): frequency = repeat purchase days (distinct purchase days - 1),
  recency_days = days from the first to the last purchase day, age_days = days from the
  first purchase day to as_of's day, and the days since the last purchase.
columns:
  customer_id: The customer.
  frequency: Repeat purchase days (distinct purchase days - 1); 0 for a customer with one purchase day.
  recency_days: Days from the first to the last purchase day.
  age_days: Days from the first purchase day to as_of's day.
  days_since_last_purchase: Days from the last purchase day to as_of's day.
*/
with

buyers as (
    select * from core.buyers
),

final as (
    select
        customer_id,
        purchase_days - 1 as frequency,
        date_diff('day', first_day, last_day) as recency_days,
        date_diff('day', first_day, getvariable('as_of')::date) as age_days,
        date_diff('day', last_day, getvariable('as_of')::date) as days_since_last_purchase
    from buyers
)

select * from final
