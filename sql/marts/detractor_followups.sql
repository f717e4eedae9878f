/*
description: >
  Who to call back: one row per detractor response (NPS 0-6) of a known customer in the 90
  days up to as_of, newest first, with the customer's state, value and preferred channel
  and whether someone followed up (the first CRM outreach event after the response).
  Rows with followed_up_at NULL are the open call-backs; waiting_hours says how long each
  customer has waited.
columns:
  response_id: The survey response.
  customer_id: The customer who answered.
  responded_at: When the customer answered.
  touchpoint: post_purchase, support or relationship.
  channel: Survey channel of the response.
  nps_score: The score, 0 to 6.
  comment: The response's comment, e-mail addresses and phone numbers masked; NULL when empty.
  customer_state: The customer's state at as_of (active, won_back, churned, prospect; see customer_loyalty.state).
  revenue_net_12m: The customer's net revenue of purchases in the 12 months up to as_of, reporting currency.
  preferred_channel: The customer's preferred contact channel from the CRM; NULL if unknown.
  followed_up_at: The first outreach event of the customer after the response, up to as_of; NULL while nobody has followed up.
  hours_to_follow_up: Hours from the response to followed_up_at.
  closed_within_48h: True when followed up within 48 hours; false when later or not within 48 hours; NULL while the 48 hours are open.
  waiting_hours: Hours from the response to as_of while nobody has followed up; NULL once followed up.
*/
with

followups as (
    select * from core.detractor_followups
    where responded_at > getvariable('as_of') - interval 90 days
),

comments as (
    select response_id, nullif(comment, '') as comment
    from staging.stg_responses
    where response_id in (select response_id from followups)
),

customers as (
    select customer_id, preferred_channel from core.customers
),

states as (
    select customer_id, state from marts.customer_loyalty
),

revenue_12m as (
    select * from core.revenue_12m
),

final as (
    select
        followups.response_id,
        followups.customer_id,
        followups.responded_at,
        followups.touchpoint,
        followups.channel,
        followups.nps_score,
        comments.comment,
        states.state as customer_state,
        coalesce(revenue_12m.revenue_net_12m, 0)::decimal(38, 2) as revenue_net_12m,
        customers.preferred_channel,
        followups.followed_up_at,
        round(date_diff('second', followups.responded_at, followups.followed_up_at) / 3600, 1)
            as hours_to_follow_up,
        followups.closed_within_48h,
        case
            when followups.followed_up_at is null
                then round(date_diff('second', followups.responded_at, getvariable('as_of')) / 3600, 1)
        end as waiting_hours
    from followups
    left join comments on comments.response_id = followups.response_id
    left join states on states.customer_id = followups.customer_id
    left join customers on customers.customer_id = followups.customer_id
    left join revenue_12m on revenue_12m.customer_id = followups.customer_id
)

select * from final order by responded_at desc, response_id
