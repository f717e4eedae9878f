/*
description: >
  Buying lifecycle per calendar month, counts of customers: new (first purchase in m),
  returning (purchase in m and in m - 1), resurrecting (purchase in m, none in m - 1,
  some before), dormant (purchase in m - 1, none in m).
columns:
  month: First day of the calendar month in the reporting time zone.
  buyers: Customers with at least one purchase in the month (new + returning + resurrecting).
  new: Customers whose first purchase falls in the month.
  returning: Customers with a purchase in the month and in the month before.
  resurrecting: Customers with a purchase in the month, none in the month before and some earlier.
  dormant: Customers with a purchase in the month before and none in this month.
*/
with

customer_months as (
    select * from core.customer_months
),

months as (
    select month_start::date as month
    from generate_series(
        (select min(month) from customer_months)::timestamptz,
        date_trunc('month', getvariable('as_of')),
        interval 1 month
    ) as series(month_start)
),

-- Month pairs first (a few hundred), so the month arithmetic runs on those, not on every row.
previous_pairs as (
    select month, previous_month, count(*) as customers
    from customer_months
    group by all
),

next_pairs as (
    select month, next_month, count(*) as customers
    from customer_months
    group by all
),

buyer_counts as (
    select
        month,
        sum(customers)::bigint as buyers,
        (sum(customers) filter (where previous_month is null))::bigint as new,
        (sum(customers) filter (where previous_month = month - interval 1 month))::bigint
            as returning,
        (sum(customers) filter (where previous_month < month - interval 1 month))::bigint
            as resurrecting
    from previous_pairs
    group by month
),

dormant_counts as (
    select (month + interval 1 month)::date as month, sum(customers)::bigint as dormant
    from next_pairs
    where next_month is null or next_month > month + interval 1 month
    group by all
),

final as (
    select
        months.month,
        coalesce(buyer_counts.buyers, 0) as buyers,
        coalesce(buyer_counts.new, 0) as new,
        coalesce(buyer_counts.returning, 0) as returning,
        coalesce(buyer_counts.resurrecting, 0) as resurrecting,
        coalesce(dormant_counts.dormant, 0) as dormant
    from months
    left join buyer_counts on buyer_counts.month = months.month
    left join dormant_counts on dormant_counts.month = months.month
)

select * from final order by month
