/*
description: >
  One row per calendar month (reporting time zone) from the month of the first purchase to
  the month of as_of: retention, switching, win-back, repeat purchase, revenue, and the
  NPS and CSAT of the month. Rates are fractions in [0, 1]; NULL where the denominator is
  0. A month is complete when as_of is at or after 23:59:59 of its last day; the month
  that holds as_of ends at as_of. The customer bridge closes in every month:
  active_customers_end = active_customers_start + gained_customers - lost_customers.
  The counts come from core.customer_flows (the bridge, built on core.months and
  core.spell_flows), the NPS and CSAT from core.nps_monthly, the closed loop from
  core.detractor_followups.
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

flows as (
    select * from core.customer_flows
),

nps as (
    select * from core.nps_monthly
),

followups as (
    select * from core.detractor_followups
),

closed_loop as (
    select
        month,
        case
            when bool_and(closed_within_48h is not null)
                then count(*) filter (where closed_within_48h) / count(*)
        end as closed_loop_rate
    from followups
    group by month
),

final as (
    select
        flows.month,
        flows.is_complete,
        flows.active_customers_start,
        flows.active_customers_end,
        flows.new_customers,
        flows.gained_new_customers + flows.gained_won_back_customers as gained_customers,
        flows.gained_new_customers,
        flows.gained_won_back_customers,
        flows.lost_customers,
        (flows.active_customers_start - flows.lost_customers)
            / nullif(flows.active_customers_start, 0) as retention_rate,
        flows.churned_customers,
        flows.churned_customers / nullif(flows.active_customers_start, 0) as switching_rate,
        flows.competitor_churns / nullif(flows.active_customers_start, 0) as competitor_switching_rate,
        flows.won_back_customers,
        flows.churned_state_customers,
        flows.won_back_customers / nullif(flows.churned_state_customers, 0) as winback_rate,
        flows.repeat_buyers_to_date / nullif(flows.buyers_to_date, 0) as repeat_purchase_rate,
        flows.purchases,
        flows.revenue_net,
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
    from flows
    left join nps on nps.month = flows.month
    left join closed_loop on closed_loop.month = flows.month
)

select * from final order by month
