/*
description: >
  Earned growth (Bain's earned growth rate) per complete month m, over the trailing twelve
  months T = m - 11 .. m and the twelve months before them P = m - 23 .. m - 12. Base =
  customers with a purchase in P. A month gets a row once P lies fully inside the data
  (from the 24th month after the first purchase month on).
columns:
  month: First day of m, the last month of the trailing twelve months.
  base_customers: Customers with a purchase in P, the twelve months before the trailing year.
  base_revenue_prior: Net revenue of the base in P.
  base_revenue_trailing: Net revenue of the base in T.
  referred_new_customers: Customers acquired in T (first purchase in T) whose customer_id is the referred_customer_id of a referral event.
  referred_revenue: Net revenue in T of those referred new customers.
  net_revenue_retention: base_revenue_trailing / base_revenue_prior.
  referred_revenue_share: referred_revenue / base_revenue_prior.
  earned_growth_rate: net_revenue_retention + referred_revenue_share - 1.
*/
with


referred as (
    select distinct referred_customer_id as customer_id
    from staging.stg_events
    where event_type = 'referral'
        and referred_customer_id is not null
        and occurred_at <= getvariable('as_of')
),

customer_month_revenue as (
    select customer_id, month, revenue_net as revenue from core.customer_months
),

first_months as (
    select customer_id, min(month) as first_month
    from customer_month_revenue
    group by customer_id
),

months as (
    select month_start::date as month
    from generate_series(
        (select min(month) from customer_month_revenue)::timestamptz + interval 23 month,
        date_trunc('month', getvariable('as_of')) - interval 1 month,
        interval 1 month
    ) as series(month_start)
),

prior_year as (
    select months.month, r.customer_id, sum(r.revenue) as revenue
    from months
    inner join customer_month_revenue as r
        on r.month between months.month - interval 23 month and months.month - interval 12 month
    group by all
),

trailing_year as (
    select months.month, r.customer_id, sum(r.revenue) as revenue
    from months
    inner join customer_month_revenue as r
        on r.month between months.month - interval 11 month and months.month
    group by all
),

base as (
    select month, count(*) as base_customers, sum(revenue) as base_revenue_prior
    from prior_year
    group by month
),

base_trailing as (
    select trailing_year.month, sum(trailing_year.revenue) as base_revenue_trailing
    from trailing_year
    semi join prior_year on prior_year.month = trailing_year.month and prior_year.customer_id = trailing_year.customer_id
    group by trailing_year.month
),

referred_new as (
    select
        trailing_year.month,
        count(*) as referred_new_customers,
        sum(trailing_year.revenue) as referred_revenue
    from trailing_year
    inner join first_months on first_months.customer_id = trailing_year.customer_id
    semi join referred on referred.customer_id = trailing_year.customer_id
    where first_months.first_month between trailing_year.month - interval 11 month and trailing_year.month
    group by trailing_year.month
),

final as (
    select
        months.month,
        coalesce(base.base_customers, 0) as base_customers,
        coalesce(base.base_revenue_prior, 0) as base_revenue_prior,
        coalesce(base_trailing.base_revenue_trailing, 0) as base_revenue_trailing,
        coalesce(referred_new.referred_new_customers, 0) as referred_new_customers,
        coalesce(referred_new.referred_revenue, 0) as referred_revenue,
        coalesce(base_trailing.base_revenue_trailing, 0) / nullif(base.base_revenue_prior, 0)
            as net_revenue_retention,
        coalesce(referred_new.referred_revenue, 0) / nullif(base.base_revenue_prior, 0)
            as referred_revenue_share,
        net_revenue_retention + referred_revenue_share - 1 as earned_growth_rate
    from months
    left join base on base.month = months.month
    left join base_trailing on base_trailing.month = months.month
    left join referred_new on referred_new.month = months.month
)

select * from final order by month
