/*
description: >
  The monthly customer bridge (reporting time zone): per month of core.months, the
  customers active at its first and last instant, who was gained, lost, churned and won
  back, buyers to date, and the month's purchases and revenue. Counts only; the rates of
  marts.kpi_monthly divide them. active_customers_end = active_customers_start +
  gained_new_customers + gained_won_back_customers - lost_customers.
columns:
  month: First day of the calendar month in the reporting time zone.
  is_complete: True when as_of is at or after 23:59:59 of the month's last day.
  active_customers_start: "S: customers active at the first instant of the month."
  active_customers_end: "E: customers active at the last instant of the month (at as_of for the month that holds as_of)."
  new_customers: Customers whose first purchase falls in the month.
  gained_new_customers: Customers active at the end of the month, not at its start, whose first purchase falls in the month.
  gained_won_back_customers: Customers active at the end of the month, not at its start, who had bought before.
  lost_customers: Customers of S not active at the end of the month (churned and not won back within it).
  churned_customers: Customers of S whose churn date falls in the month.
  competitor_churns: Customers of S who churned explicitly in the month with churn_reason competitor.
  won_back_customers: Customers whose purchase in the month came after a churn date (a spell after the first starts in the month).
  churned_state_customers: Customers in churned state at the first instant of the month (a purchase before, not active then).
  buyers_to_date: Customers with at least one purchase up to the end of the month.
  repeat_buyers_to_date: Customers with purchases on at least two distinct days up to the end of the month.
  purchases: Purchases (orders not cancelled) in the month.
  revenue_net: Net revenue of the month's purchases, in the reporting currency.
*/
with

months as (
    select * from core.months
),

spell_flows as (
    select * from core.spell_flows
),

buyers as (
    select customer_id, to_local(first_purchase_at) as first_local, first_day, second_day
    from core.buyers
),

customer_months as (
    select * from core.customer_months
),

deltas as (
    select start_boundary as month, 1 as d_start, 0 as d_end, 0 as d_ever, 0 as d_buyers, 0 as d_repeat
    from spell_flows
    union all
    select end_boundary, -1, 0, 0, 0, 0 from spell_flows
    union all
    select start_month, 0, 1, 0, 0, 0 from spell_flows
    union all
    select end_month, 0, -1, 0, 0, 0 from spell_flows
    union all
    select
        case
            when date_trunc('month', first_local) = first_local then first_local
            else date_trunc('month', first_local) + interval 1 month
        end::date,
        0, 0, 1, 0, 0
    from buyers
    union all
    select date_trunc('month', first_day)::date, 0, 0, 0, 1, 0 from buyers
    union all
    select date_trunc('month', second_day)::date, 0, 0, 0, 0, 1
    from buyers where second_day is not null
),

deltas_by_month as (
    select
        month,
        sum(d_start) as d_start,
        sum(d_end) as d_end,
        sum(d_ever) as d_ever,
        sum(d_buyers) as d_buyers,
        sum(d_repeat) as d_repeat
    from deltas
    group by month
),

open_spells as (
    select count(*) as open_spells from spell_flows where ended_at > getvariable('as_of')
),

running as (
    select
        months.month,
        (sum(coalesce(d.d_start, 0)) over by_month)::bigint as active_start,
        -- The month that holds as_of ends at as_of: active then are the spells still open.
        case
            when months.holds_as_of then (select open_spells from open_spells)
            else (sum(coalesce(d.d_end, 0)) over by_month)::bigint
        end as active_end,
        (sum(coalesce(d.d_ever, 0)) over by_month)::bigint as ever_bought_at_start,
        (sum(coalesce(d.d_buyers, 0)) over by_month)::bigint as buyers_to_date,
        (sum(coalesce(d.d_repeat, 0)) over by_month)::bigint as repeat_buyers_to_date
    from months
    left join deltas_by_month as d on d.month = months.month
    window by_month as (order by months.month rows unbounded preceding)
),

churned as (
    select
        churn_month as month,
        count(*) as churned_customers,
        count(*) filter (where is_competitor_churn) as competitor_churns,
        count(*) filter (where is_rebound) as rebounders
    from spell_flows
    where churn_month is not null
    group by all
),

started as (
    select
        start_month as month,
        count(*) filter (where is_gained and spell_no = 1) as first_spells,
        count(*) filter (where is_gained and spell_no > 1) as later_spells,
        count(distinct customer_id) filter (where spell_no > 1) as won_back_customers
    from spell_flows
    group by all
),

first_purchases as (
    select date_trunc('month', first_local)::date as month, count(*) as new_customers
    from buyers
    group by all
),

monthly_sales as (
    select month, sum(purchases)::bigint as purchases, sum(revenue_net) as revenue_net
    from customer_months
    group by month
),

final as (
    select
        months.month,
        months.is_complete,
        running.active_start as active_customers_start,
        running.active_end as active_customers_end,
        coalesce(first_purchases.new_customers, 0) as new_customers,
        coalesce(started.first_spells, 0) as gained_new_customers,
        coalesce(started.later_spells, 0) - coalesce(churned.rebounders, 0)
            as gained_won_back_customers,
        coalesce(churned.churned_customers, 0) - coalesce(churned.rebounders, 0)
            as lost_customers,
        coalesce(churned.churned_customers, 0) as churned_customers,
        coalesce(churned.competitor_churns, 0) as competitor_churns,
        coalesce(started.won_back_customers, 0) as won_back_customers,
        running.ever_bought_at_start - running.active_start as churned_state_customers,
        running.buyers_to_date,
        running.repeat_buyers_to_date,
        coalesce(monthly_sales.purchases, 0) as purchases,
        coalesce(monthly_sales.revenue_net, 0) as revenue_net
    from months
    inner join running on running.month = months.month
    left join first_purchases on first_purchases.month = months.month
    left join churned on churned.month = months.month
    left join started on started.month = months.month
    left join monthly_sales on monthly_sales.month = months.month
)

select * from final
