/*
description: >
  One row per known customer with a CSAT answer at least D days before as_of (D =
  LOYALTY_OUTCOME_DAYS, 180 by default): their latest such response (responded_at <= as_of
  - D days, carrying a CSAT score) and what happened in the D days after it (the outcome
  window (responded_at, responded_at + D days]): churn, purchases, revenue, discounts,
  referrals.
incremental: {scope: customers, key: customer_id}
columns:
  customer_id: The customer.
  response_id: Their latest response with a CSAT score at least 180 days before as_of.
  satisfaction_tier: delighted (CSAT 5), satisfied (4), neutral (3) or dissatisfied (1-2).
  csat: The response's CSAT score, 1-5.
  nps_score: The response's NPS score, 0-10; NULL when not answered.
  window_start: When the customer responded; the window excludes this instant.
  window_end: window_start + 180 days, included in the window (at or before as_of).
  churned: True when an activity spell of the customer churned (explicitly or by lapse) in the window.
  orders: Purchases in the window (cancelled orders excluded); 0 without any.
  revenue_net: Net revenue of those purchases, returns up to as_of deducted (reporting currency); 0 without purchases.
  discount_amount: Sum of the discounts of the window's purchases that also carry a gross amount (reporting currency); NULL when there is none.
  gross_amount: Sum of the gross amounts of the window's purchases that also carry a discount (reporting currency); NULL when there is none.
  referrals: Referral events of the customer in the window; 0 without any.
*/
with

responses as (
    select * from core.responses
    where customer_id is not null
        and csat is not null
        and responded_at <= getvariable('as_of') - to_days(getvariable('outcome_days'))
        and in_scope('customers', customer_id)
),

latest as (
    select * from responses
    qualify row_number() over (partition by customer_id order by responded_at desc, response_id desc) = 1
),

windows as (
    select
        customer_id,
        response_id,
        satisfaction_tier,
        csat,
        nps_score,
        responded_at as window_start,
        responded_at + to_days(getvariable('outcome_days')) as window_end
    from latest
),

churns as (
    select windows.customer_id, count(*) > 0 as churned
    from windows
    inner join core.activity_spells as spells
        on spells.customer_id = windows.customer_id
        and spells.churned_at > windows.window_start
        and spells.churned_at <= windows.window_end
    group by all
),

purchases as (
    select
        windows.customer_id,
        count(*) as orders,
        -- Amounts stay DECIMAL(18,2): the 38-digit type of a sum makes every later scan slow.
        sum(p.revenue_net)::decimal(18, 2) as revenue_net,
        (sum(p.discount_amount) filter (where p.gross_amount is not null))::decimal(18, 2)
            as discount_amount,
        (sum(p.gross_amount) filter (where p.discount_amount is not null))::decimal(18, 2)
            as gross_amount
    from windows
    inner join core.purchases as p
        on p.customer_id = windows.customer_id
        and p.ordered_at > windows.window_start
        and p.ordered_at <= windows.window_end
    group by all
),

referrals as (
    select windows.customer_id, count(*) as referrals
    from windows
    inner join staging.stg_events as events
        on events.customer_id = windows.customer_id
        and events.event_type = 'referral'
        and events.occurred_at > windows.window_start
        and events.occurred_at <= windows.window_end
    group by all
),

final as (
    select
        windows.*,
        coalesce(churns.churned, false) as churned,
        coalesce(purchases.orders, 0) as orders,
        coalesce(purchases.revenue_net, 0) as revenue_net,
        purchases.discount_amount,
        purchases.gross_amount,
        coalesce(referrals.referrals, 0) as referrals
    from windows
    left join churns on churns.customer_id = windows.customer_id
    left join purchases on purchases.customer_id = windows.customer_id
    left join referrals on referrals.customer_id = windows.customer_id
)

select * from final
