/*
description: >
  Who to act on: one row per customer with a purchase up to as_of, with the purchase
  model's probability that they still buy (p_alive) and their expected purchases in the
  next 90 days, their value, state, latest survey answer and open complaints. risk_band
  ranks active customers (active or won back) by p_alive against the settings
  LOYALTY_RISK_HIGH (default 0.3) and LOYALTY_RISK_MEDIUM (default 0.6); risk_reason says
  in a few words what stands out.
columns:
  customer_id: The customer.
  p_alive: Probability that the customer has not stopped buying (BG/NBD, marts.purchase_model); 1 for a customer with one purchase day.
  expected_purchases_90d: Expected purchase days in the 90 days after as_of.
  days_since_last_purchase: Days from the last purchase day to as_of's day.
  revenue_net_12m: Net revenue of the customer's purchases in the 12 months up to as_of, reporting currency.
  state: active, won_back, churned (see customer_loyalty.state).
  last_nps: NPS score of the customer's latest response carrying one, up to as_of.
  last_response_at: When the customer last answered a survey, up to as_of.
  open_complaint: True when the customer has a complaint event up to as_of that was not resolved by as_of.
  country: Country of the latest CRM version ('unknown' when the CRM does not say).
  segment: Segment of the latest CRM version ('unknown' when the CRM does not say).
  acquisition_channel: Channel of the first purchase.
  risk_band: "high: p_alive below risk_high; medium: below risk_medium; low: otherwise; NULL for customers who are not active (churned)."
  risk_reason: What stands out, joined by '; ' - overdue for their usual purchase (more than twice their average days between purchase days since the last one), detractor (last NPS 0-6), open complaint; NULL when none does.
*/
with

predictions as (
    select * from core.purchase_predictions
),

histories as (
    select * from core.purchase_histories
),

loyalty as (
    select customer_id, state, last_nps from marts.customer_loyalty
),

dimensions as (
    select * from core.customer_dimensions
),

last_responses as (
    select customer_id, max(responded_at) as last_response_at
    from core.responses
    where customer_id is not null
    group by customer_id
),

open_complaints as (
    select distinct customer_id
    from staging.stg_events
    where event_type = 'complaint'
        and occurred_at <= getvariable('as_of')
        and (resolved_at is null or resolved_at > getvariable('as_of'))
),

revenue_12m as (
    select * from core.revenue_12m
),

customers as (
    select
        predictions.customer_id,
        predictions.p_alive,
        predictions.expected_purchases_90d,
        histories.days_since_last_purchase,
        coalesce(revenue_12m.revenue_net_12m, 0)::decimal(38, 2) as revenue_net_12m,
        loyalty.state,
        loyalty.last_nps,
        last_responses.last_response_at,
        open_complaints.customer_id is not null as open_complaint,
        dimensions.country,
        dimensions.segment,
        dimensions.acquisition_channel,
        histories.frequency > 0
            and histories.days_since_last_purchase
                > 2 * histories.recency_days / histories.frequency as overdue
    from predictions
    inner join histories on histories.customer_id = predictions.customer_id
    left join loyalty on loyalty.customer_id = predictions.customer_id
    left join dimensions on dimensions.customer_id = predictions.customer_id
    left join last_responses on last_responses.customer_id = predictions.customer_id
    left join open_complaints on open_complaints.customer_id = predictions.customer_id
    left join revenue_12m on revenue_12m.customer_id = predictions.customer_id
),

final as (
    select
        * exclude (overdue),
        case
            when state not in ('active', 'won_back') then null
            when p_alive < getvariable('risk_high') then 'high'
            when p_alive < getvariable('risk_medium') then 'medium'
            else 'low'
        end as risk_band,
        nullif(
            concat_ws(
                '; ',
                case when overdue then 'overdue for their usual purchase' end,
                case when last_nps <= 6 then 'detractor' end,
                case when open_complaint then 'open complaint' end
            ),
            ''
        ) as risk_reason
    from customers
)

select * from final order by customer_id
