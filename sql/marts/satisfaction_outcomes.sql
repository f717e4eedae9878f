/*
description: >
  Satisfaction versus delight: one row per satisfaction tier of each known customer's
  latest CSAT answer given at least 180 days before as_of, with what the customers of
  the tier did in the 180 days after that answer (their outcome window). Shows whether
  merely satisfied customers still leave and what delight is worth.
columns:
  tier: dissatisfied (CSAT 1-2), neutral (3), satisfied (4, the zero line) or delighted (5).
  customers: Customers whose latest eligible response falls in the tier.
  switching_rate_180d: Share of them with a churn date inside their outcome window.
  retention_rate_180d: 1 - switching_rate_180d, the share without a churn in the window.
  revenue_per_customer_180d: Net revenue in the window per customer of the tier (reporting currency).
  orders_per_customer_180d: Purchases in the window per customer of the tier.
  discount_share: Price sensitivity, sum of discount_amount / sum of gross_amount of the tier's purchases in the windows (purchases with both amounts); NULL without such purchases.
  referral_rate: Share of customers with at least one referral event in their window.
  avg_nps: Average NPS score (0-10) given in the same responses.
  churned_customers: Customers of the tier who churned in their window.
  share_of_all_churned: churned_customers / all customers who churned in their window; for the satisfied tier this is the satisfied-defectors share.
*/
with

windows as (
    select * from core.outcome_windows
),

tiers as (
    select * from (values (1, 'dissatisfied'), (2, 'neutral'), (3, 'satisfied'), (4, 'delighted'))
        as t(tier_order, tier)
),

per_tier as (
    select
        satisfaction_tier as tier,
        count(*) as customers,
        count(*) filter (where churned) as churned_customers,
        sum(revenue_net) as revenue_net,
        sum(orders) as orders,
        sum(discount_amount) as discount_amount,
        sum(gross_amount) as gross_amount,
        count(*) filter (where referrals > 0) as referrers,
        avg(nps_score) as avg_nps
    from windows
    group by satisfaction_tier
),

final as (
    select
        tiers.tier,
        coalesce(per_tier.customers, 0) as customers,
        per_tier.churned_customers / per_tier.customers as switching_rate_180d,
        1 - per_tier.churned_customers / per_tier.customers as retention_rate_180d,
        per_tier.revenue_net / per_tier.customers as revenue_per_customer_180d,
        per_tier.orders / per_tier.customers as orders_per_customer_180d,
        per_tier.discount_amount / nullif(per_tier.gross_amount, 0) as discount_share,
        per_tier.referrers / per_tier.customers as referral_rate,
        per_tier.avg_nps,
        coalesce(per_tier.churned_customers, 0) as churned_customers,
        per_tier.churned_customers / nullif(sum(per_tier.churned_customers) over (), 0) as share_of_all_churned
    from tiers
    left join per_tier on per_tier.tier = tiers.tier
    order by tiers.tier_order
)

select * from final
