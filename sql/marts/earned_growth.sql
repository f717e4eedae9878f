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

-- Months as integers (year * 12 + month - 1), so windows are plain ranges. Every sum below is
-- a running sum over deltas: what enters a window at its first month and leaves after its
-- last, which avoids pairing every month with every customer.
customer_months as (
    select
        customer_id,
        year(month) * 12 + month(month) - 1 as idx,
        year(cohort_month) * 12 + month(cohort_month) - 1 as first_idx,
        revenue_net
    from core.customer_months
),

bounds as (
    select
        min(idx) as first_idx,
        min(idx) + 23 as from_idx,
        -- The last complete month: the month of as_of once as_of reaches its last second.
        year(getvariable('as_of')) * 12 + month(getvariable('as_of')) - 1
            - (getvariable('as_of') < month_end(date_trunc('month', getvariable('as_of'))::date))
                ::integer as to_idx
    from customer_months
),

referred as (
    select distinct referred_customer_id as customer_id
    from staging.stg_events
    where event_type = 'referral'
        and referred_customer_id is not null
        and occurred_at <= getvariable('as_of')
),

spans as (
    select
        customer_id,
        year(first_month) * 12 + month(first_month) - 1 as from_idx,
        year(last_month) * 12 + month(last_month) - 1 as to_idx
    from core.base_spans
),

-- Revenue of month t counts in T of months t .. t + 11 for base customers: the part of
-- that range inside one of the customer's base spans.
trailing_in_base as (
    select
        greatest(r.idx, s.from_idx) as from_idx,
        least(r.idx + 11, s.to_idx) as to_idx,
        r.revenue_net
    from customer_months as r
    inner join spans as s
        on s.customer_id = r.customer_id
        and s.from_idx <= r.idx + 11
        and s.to_idx >= r.idx
),

-- Each month's revenue and each range of trailing revenue once: a few thousand deltas
-- instead of two per customer month.
revenue_by_month as (
    select idx, sum(revenue_net) as revenue_net from customer_months group by idx
),

trailing_by_range as (
    select from_idx, to_idx, sum(revenue_net) as revenue_net from trailing_in_base group by all
),

referred_months as (
    select r.*
    from customer_months as r
    semi join referred on referred.customer_id = r.customer_id
),

deltas as (
    select from_idx as idx, 1 as d_base, 0.00 as d_prior, 0.00 as d_trailing,
        0 as d_referred, 0.00 as d_referred_revenue
    from spans
    union all
    select to_idx + 1, -1, 0, 0, 0, 0 from spans
    union all
    select idx + 12, 0, revenue_net, 0, 0, 0 from revenue_by_month
    union all
    select idx + 24, 0, -revenue_net, 0, 0, 0 from revenue_by_month
    union all
    select from_idx, 0, 0, revenue_net, 0, 0 from trailing_by_range
    union all
    select to_idx + 1, 0, 0, -revenue_net, 0, 0 from trailing_by_range
    union all
    select first_idx, 0, 0, 0, 1, 0 from referred_months where idx = first_idx
    union all
    select first_idx + 12, 0, 0, 0, -1, 0 from referred_months where idx = first_idx
    union all
    select idx, 0, 0, 0, 0, revenue_net from referred_months where idx <= first_idx + 11
    union all
    select first_idx + 12, 0, 0, 0, 0, -revenue_net from referred_months
    where idx <= first_idx + 11
),

running as (
    select
        series.idx,
        sum(coalesce(d.d_base, 0)) over by_month as base_customers,
        sum(coalesce(d.d_prior, 0)) over by_month as base_revenue_prior,
        sum(coalesce(d.d_trailing, 0)) over by_month as base_revenue_trailing,
        sum(coalesce(d.d_referred, 0)) over by_month as referred_new_customers,
        sum(coalesce(d.d_referred_revenue, 0)) over by_month as referred_revenue
    from bounds, range(bounds.first_idx, bounds.to_idx + 1) as series(idx)
    left join (
        select
            idx,
            sum(d_base) as d_base,
            sum(d_prior) as d_prior,
            sum(d_trailing) as d_trailing,
            sum(d_referred) as d_referred,
            sum(d_referred_revenue) as d_referred_revenue
        from deltas
        group by idx
    ) as d on d.idx = series.idx
    window by_month as (order by series.idx rows unbounded preceding)
),

final as (
    select
        make_date((running.idx // 12)::integer, (running.idx % 12 + 1)::integer, 1) as month,
        running.base_customers::bigint as base_customers,
        running.base_revenue_prior::decimal(38, 2) as base_revenue_prior,
        running.base_revenue_trailing::decimal(38, 2) as base_revenue_trailing,
        running.referred_new_customers::bigint as referred_new_customers,
        running.referred_revenue::decimal(38, 2) as referred_revenue,
        running.base_revenue_trailing / nullif(running.base_revenue_prior, 0)
            as net_revenue_retention,
        running.referred_revenue / nullif(running.base_revenue_prior, 0)
            as referred_revenue_share,
        net_revenue_retention + referred_revenue_share - 1 as earned_growth_rate
    from running, bounds
    where running.idx >= bounds.from_idx
)

select * from final order by month
