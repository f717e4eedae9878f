/*
description: >
  One row of named headline numbers for the executive summary: the latest complete
  month's NPS with its margin and flags, satisfaction and delight, and the satisfaction
  versus delight headline figures.
columns:
  month: The latest complete month (the month of the KPIs below).
  nps: NPS of that month.
  nps_moe: Its 95 % margin of error in NPS points.
  nps_low_sample: True when the month's NPS rests on fewer than min_sample responses.
  nps_change: Change against the month before.
  nps_change_significant: True when the change exceeds the combined margin of error; false = within noise.
  csat_pct: Share of CSAT responses scoring 4 or 5 in that month.
  delight_pct: Share of CSAT responses scoring 5 in that month.
  active_recommender_rate: Share of promoter responses followed by a referral within 90 days, in the latest month whose 90-day window has closed.
  active_recommender_month: The month of active_recommender_rate.
  satisfied_defectors_share: Customers of the satisfied tier (CSAT 4) who churned in their 180-day outcome window, as a share of all customers who churned in their window.
  satisfied_customers_share: Customers of the satisfied tier as a share of all customers with an outcome window; read satisfied_defectors_share beside it.
  satisfied_vs_delighted_switching_ratio: switching_rate_180d of the satisfied tier divided by that of the delighted tier ("satisfied customers switch k times as often"); NULL when no delighted customer switched.
  delight_lift: Retention in the outcome window of the delighted tier divided by that of the satisfied tier.
  strongest_driver: The quality item with the highest correlation with the NPS score over the twelve months up to month.
  strongest_driver_correlation: That correlation.
  revenue_at_risk: Net revenue of the last 12 months of the customers in customer_health's high risk band.
*/
with

latest_month as (
    select * from marts.kpi_monthly
    where is_complete
    order by month desc
    limit 1
),

tiers as (
    select * from marts.satisfaction_outcomes
),

-- kpi_monthly leaves the rate NULL while the month's 90-day window is open.
recommenders as (
    select month, active_recommender_rate from marts.kpi_monthly
    where active_recommender_rate is not null
    order by month desc
    limit 1
),

drivers as (
    select * from marts.quality_drivers
    where is_strongest_driver and month = (select month from latest_month)
    order by item
    limit 1
),

final as (
    select
        latest_month.month,
        latest_month.nps,
        latest_month.nps_moe,
        latest_month.nps_low_sample,
        latest_month.nps_change,
        latest_month.nps_change_significant,
        latest_month.csat_pct,
        latest_month.delight_pct,
        (select active_recommender_rate from recommenders) as active_recommender_rate,
        (select month from recommenders) as active_recommender_month,
        (select share_of_all_churned from tiers where tier = 'satisfied') as satisfied_defectors_share,
        (select customers from tiers where tier = 'satisfied')
            / nullif((select sum(customers) from tiers), 0) as satisfied_customers_share,
        (select switching_rate_180d from tiers where tier = 'satisfied')
            / nullif((select switching_rate_180d from tiers where tier = 'delighted'), 0)
            as satisfied_vs_delighted_switching_ratio,
        (select retention_rate_180d from tiers where tier = 'delighted')
            / nullif((select retention_rate_180d from tiers where tier = 'satisfied'), 0) as delight_lift,
        (select item from drivers) as strongest_driver,
        (select correlation_with_nps from drivers) as strongest_driver_correlation,
        (
            select coalesce(sum(revenue_net_12m), 0) from marts.customer_health
            where risk_band = 'high'
        ) as revenue_at_risk
    from (select 1) as one_row
    left join latest_month on true
)

select * from final
