/*
description: >
  Every detractor response (NPS 0-6) of a known customer up to as_of, with its follow-up:
  the first CRM event of type outreach of the same customer after the response, up to
  as_of. closed_within_48h is true when that event lies within 48 hours of the response,
  false when it came later or the 48 hours passed without one, and NULL while the 48
  hours are still open at as_of. Every detractor response counts, not only the month's
  latest per customer: each one is a customer waiting for a call. Incremental: a row
  changes when its customer is in scope, or when its 48 hours close as as_of moves on
  (scope followup_window).
incremental:
  - {scope: customers, key: customer_id}
  - {scope: followup_window, key: response_id}
columns:
  response_id: The detractor response.
  customer_id: The responding customer (never NULL here, as an anonymous response cannot be followed up).
  responded_at: When the customer responded.
  month: First day of the response's calendar month (reporting time zone).
  touchpoint: What the survey asked about (post_purchase, support, relationship); NULL when not given.
  channel: The channel the survey was answered on (free text, masked); NULL when not given.
  nps_score: The NPS score, 0-6 (a detractor).
  followed_up_at: The first outreach event of the customer after the response, up to as_of; NULL when none yet.
  closed_within_48h: True when followed up within 48 hours; false when later or the 48 hours passed without one; NULL while the 48 hours are still open at as_of.
*/
with

detractor_responses as (
    select response_id, customer_id, responded_at, month, touchpoint, channel, nps_score
    from core.responses
    where customer_id is not null and nps_group = 'detractor'
        and (in_scope('customers', customer_id) or in_scope('followup_window', response_id))
),

outreach as (
    select customer_id, occurred_at
    from staging.stg_events
    where event_type = 'outreach' and occurred_at <= getvariable('as_of')
),

first_outreach as (
    select
        detractor_responses.response_id,
        min(outreach.occurred_at) as followed_up_at
    from detractor_responses
    inner join outreach
        on outreach.customer_id = detractor_responses.customer_id
        and outreach.occurred_at > detractor_responses.responded_at
    group by detractor_responses.response_id
),

final as (
    select
        detractor_responses.*,
        first_outreach.followed_up_at,
        case
            when first_outreach.followed_up_at
                <= detractor_responses.responded_at + interval 48 hours then true
            when detractor_responses.responded_at + interval 48 hours
                <= getvariable('as_of') then false
        end as closed_within_48h
    from detractor_responses
    left join first_outreach on first_outreach.response_id = detractor_responses.response_id
)

select * from final
