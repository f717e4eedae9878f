/*
description: >
  One row per calendar month (reporting time zone) from the month of the first purchase to
  the month of as_of: retention, switching, win-back, repeat purchase, revenue, and the
  NPS and CSAT of the month. Rates are fractions in [0, 1]; NULL where the denominator is
  0. A month is complete when as_of is at or after 23:59:59 of its last day; the month
  that holds as_of ends at as_of. The customer bridge closes in every month:
  active_customers_end = active_customers_start + gained_customers - lost_customers.
columns:
  month: First day of the calendar month in the reporting time zone.
  is_complete: True when as_of is at or after 23:59:59 of the month's last day; false for a month that holds as_of before that (in progress).
  active_customers_start: "S: customers active at the first instant of the month (a purchase in the W days before, not explicitly churned)."
  active_customers_end: "E: customers active at the last instant of the month (at as_of for the month that holds as_of)."
  new_customers: Customers whose first purchase falls in the month (also those who churned again within it).
  gained_customers: Customers active at the end of the month who were not active at its start (new and won back); E = S + gained_customers - lost_customers.
  gained_new_customers: Of gained_customers, those whose first purchase falls in the month.
  gained_won_back_customers: Of gained_customers, those who had bought before (won back after a churn).
  lost_customers: Customers of S not active at the end of the month (churned and not won back within it).
  retention_rate: (S - lost_customers) / S, the same as (E - gained_customers) / S; the share of S still active at the end.
  churned_customers: Customers of S whose churn date (explicit churn or last purchase + W days) falls in the month; marts.churn_reasons_monthly splits them by reason. Exceeds lost_customers by the customers won back within the month.
  switching_rate: churned_customers / S.
  competitor_switching_rate: Customers of S who churned explicitly in the month with churn_reason competitor, / S.
  won_back_customers: Customers whose purchase in the month came after a churn date (their first purchase after a churn starts a new active spell).
  churned_state_customers: Customers in churned state at the first instant of the month (a purchase before, not active then).
  winback_rate: won_back_customers / churned_state_customers.
  repeat_purchase_rate: Customers with purchases on at least two distinct days up to the end of the month, / customers with at least one purchase up to then.
  purchases: Purchases (orders not cancelled) in the month.
  revenue_net: Net revenue of the month's purchases (net_amount minus the amounts returned against them up to as_of), in the reporting currency.
  nps_responses: "n: NPS responses of the month after de-duplication (latest response per known customer, every anonymous response)."
  promoters: Responses with a score of 9 or 10.
  passives: Responses with a score of 7 or 8.
  detractors: Responses with a score of 0 to 6.
  nps: 100 * (promoters - detractors) / n, in [-100, 100].
  nps_moe: "95 % margin of error of nps in NPS points, adjusted Wald: with n' = n + 3, p' = (promoters + 0.75) / n', d' = (detractors + 0.75) / n', 100 * 1.96 * sqrt((p' + d' - (p' - d')^2) / n'); never 0, never above 100."
  nps_low_sample: True when n < min_sample (default 30); never show nps without this flag.
  nps_change: nps minus the previous month's nps.
  nps_change_moe: "Combined margin of error of the change: sqrt(moe^2 + previous moe^2)."
  nps_change_significant: True when |nps_change| > nps_change_moe; false means the change is within noise.
  csat_responses: CSAT responses of the month after the same de-duplication.
  csat_pct: Share of CSAT responses scoring 4 or 5 (satisfied or delighted).
  delight_pct: Share of CSAT responses scoring 5 (delighted).
  satisfied_not_delighted_pct: Share of CSAT responses scoring 4 (satisfied, the zero line).
  active_recommender_rate: Share of the month's promoter responses (known customers) followed by a referral event of the same customer within 90 days; NULL until as_of is at or after the end of the month plus 90 days (the window is still open).
  closed_loop_rate: Share of the month's detractor responses (NPS 0-6, known customers) followed up by an outreach event within 48 hours (core.detractor_followups); NULL without detractor responses and while the 48 hours of any of them reach past as_of.
*/
with

-- Local wall-clock times (one time zone conversion per value) keep the month arithmetic cheap.
spells as (
    select
        *,
        started_at::timestamp as started_local,
        ended_at::timestamp as ended_local,
        date_trunc('month', churned_at::timestamp) as churned_month
    from core.activity_spells
),

customer_months as (
    select * from core.customer_months
),

closed_loop as (
    select
        month,
        case
            when bool_and(closed_within_48h is not null)
                then count(*) filter (where closed_within_48h) / count(*)
        end as closed_loop_rate
    from core.detractor_followups
    group by month
),

nps as (
    select * from core.nps_monthly
),

as_of as (
    select getvariable('as_of') as as_of
),

months as (
    select
        month_start::date as month,
        month_start,
        least(month_start + interval 1 month - interval 1 microsecond, as_of.as_of) as end_instant,
        as_of.as_of >= month_end(month_start::date) as is_complete,
        month_start + interval 1 month > as_of.as_of as holds_as_of
    from as_of,
        generate_series(
            (select min(month) from customer_months)::timestamptz,
            date_trunc('month', as_of.as_of),
            interval 1 month
        ) as series(month_start)
),

-- Counting at month boundaries without a customer x month join: a spell is active at the
-- first instant of m when started_at <= month_start < ended_at, so S(m) = spells whose
-- "boundary at or after started_at" is <= m minus those whose boundary at or after
-- ended_at is <= m. The same running-sum trick gives E, buyers to date and repeat buyers.
spell_boundaries as (
    select
        case
            when date_trunc('month', started_local) = started_local then started_local
            else date_trunc('month', started_local) + interval 1 month
        end::date as start_boundary,
        case
            when date_trunc('month', ended_local) = ended_local then ended_local
            else date_trunc('month', ended_local) + interval 1 month
        end::date as end_boundary,
        date_trunc('month', started_local)::date as start_month,
        date_trunc('month', ended_local)::date as end_month
    from spells
),

customer_days as (
    select customer_id, first_purchase_at::timestamp as first_local, first_day, second_day
    from core.buyers
),

deltas as (
    select start_boundary as month, 1 as d_start, 0 as d_end, 0 as d_ever, 0 as d_buyers, 0 as d_repeat
    from spell_boundaries
    union all
    select end_boundary, -1, 0, 0, 0, 0 from spell_boundaries
    union all
    select start_month, 0, 1, 0, 0, 0 from spell_boundaries
    union all
    select end_month, 0, -1, 0, 0, 0 from spell_boundaries
    union all
    select
        case
            when date_trunc('month', first_local) = first_local then first_local
            else date_trunc('month', first_local) + interval 1 month
        end::date,
        0, 0, 1, 0, 0
    from customer_days
    union all
    select date_trunc('month', first_day)::date, 0, 0, 0, 1, 0 from customer_days
    union all
    select date_trunc('month', second_day)::date, 0, 0, 0, 0, 1
    from customer_days where second_day is not null
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
    select count(*) as open_spells from spells where ended_at > getvariable('as_of')
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
        month,
        sum(churned_customers)::bigint as churned_customers,
        (sum(churned_customers) filter (where churn_kind = 'explicit' and reason = 'competitor'))
            ::bigint as competitor_churns
    from marts.churn_reasons_monthly
    group by month
),

-- Customers of S who churned in m but are active again at its end (won back within m).
rebounders as (
    select
        lost.churned_month::date as month,
        count(distinct lost.customer_id) as rebounders
    from spells as lost
    inner join spells as back
        on back.customer_id = lost.customer_id
        and back.spell_no > lost.spell_no
        and date_trunc('month', back.started_local) = lost.churned_month
    inner join months on months.month = lost.churned_month::date
    where lost.churned_at is not null
        and lost.started_local <= lost.churned_month
        and back.ended_at > months.end_instant
    group by all
),

-- Spells that start after the first instant of m and are still active at its end: the
-- customers gained in m, plus the rebounders (who were active at the start as well).
gained as (
    select
        months.month,
        count(*) filter (where spells.spell_no = 1) as first_spells,
        count(*) filter (where spells.spell_no > 1) as later_spells
    from spells
    inner join months on months.month = date_trunc('month', spells.started_local)::date
    where spells.started_local > date_trunc('month', spells.started_local)
        and spells.ended_at > months.end_instant
    group by all
),

won_back as (
    select
        date_trunc('month', started_local)::date as month,
        count(distinct customer_id) as won_back_customers
    from spells
    where spell_no > 1
    group by all
),

first_purchases as (
    select
        date_trunc('month', first_local)::date as month,
        count(*) as new_customers
    from customer_days
    group by all
),

monthly_sales as (
    select
        month,
        sum(purchases)::bigint as purchases,
        sum(revenue_net) as revenue_net
    from customer_months
    group by month
),

counts as (
    select
        months.month,
        months.is_complete,
        running.active_start as active_customers_start,
        running.active_end as active_customers_end,
        coalesce(first_purchases.new_customers, 0) as new_customers,
        coalesce(gained.first_spells, 0) as gained_new_customers,
        coalesce(gained.later_spells, 0) - coalesce(rebounders.rebounders, 0)
            as gained_won_back_customers,
        coalesce(churned.churned_customers, 0) - coalesce(rebounders.rebounders, 0)
            as lost_customers,
        coalesce(churned.churned_customers, 0) as churned_customers,
        coalesce(churned.competitor_churns, 0) as competitor_churns,
        coalesce(won_back.won_back_customers, 0) as won_back_customers,
        running.ever_bought_at_start - running.active_start as churned_state_customers,
        running.buyers_to_date,
        running.repeat_buyers_to_date,
        coalesce(monthly_sales.purchases, 0) as purchases,
        coalesce(monthly_sales.revenue_net, 0) as revenue_net
    from months
    inner join running on running.month = months.month
    left join first_purchases on first_purchases.month = months.month
    left join churned on churned.month = months.month
    left join rebounders on rebounders.month = months.month
    left join gained on gained.month = months.month
    left join won_back on won_back.month = months.month
    left join monthly_sales on monthly_sales.month = months.month
),

final as (
    select
        counts.month,
        counts.is_complete,
        counts.active_customers_start,
        counts.active_customers_end,
        counts.new_customers,
        counts.gained_new_customers + counts.gained_won_back_customers as gained_customers,
        counts.gained_new_customers,
        counts.gained_won_back_customers,
        counts.lost_customers,
        (counts.active_customers_start - counts.lost_customers)
            / nullif(counts.active_customers_start, 0) as retention_rate,
        counts.churned_customers,
        counts.churned_customers / nullif(counts.active_customers_start, 0) as switching_rate,
        counts.competitor_churns / nullif(counts.active_customers_start, 0) as competitor_switching_rate,
        counts.won_back_customers,
        counts.churned_state_customers,
        counts.won_back_customers / nullif(counts.churned_state_customers, 0) as winback_rate,
        counts.repeat_buyers_to_date / nullif(counts.buyers_to_date, 0) as repeat_purchase_rate,
        counts.purchases,
        counts.revenue_net,
        nps.nps_responses,
        nps.promoters,
        nps.passives,
        nps.detractors,
        nps.nps,
        nps.nps_moe,
        nps.nps_low_sample,
        nps.nps_change,
        nps.nps_change_moe,
        nps.nps_change_significant,
        nps.csat_responses,
        nps.csat_pct,
        nps.delight_pct,
        nps.satisfied_not_delighted_pct,
        nps.active_recommender_rate,
        closed_loop.closed_loop_rate
    from counts
    left join nps on nps.month = counts.month
    left join closed_loop on closed_loop.month = counts.month
)

select * from final order by month
