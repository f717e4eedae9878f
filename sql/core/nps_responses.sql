/*
description: >
  The responses every NPS counts: per month the latest response of each known customer
  that carries an NPS score, and every anonymous response once.
incremental:
  - {scope: customers, key: customer_id}
  - {scope: responses, key: response_id}
columns:
  response_id: The survey response.
  customer_id: The responding customer; NULL for an anonymous response.
  responded_at: When the customer responded.
  month: First day of the response's calendar month (reporting time zone).
  touchpoint: What the survey asked about (post_purchase, support, relationship); NULL when not given.
  channel: The channel the survey was answered on (free text, masked); NULL when not given.
  nps_score: How likely the customer would recommend the company, 0-10 (never NULL here).
  nps_group: promoter (9-10), passive (7-8) or detractor (0-6).
  csat: Satisfaction 1-5 from the same response; NULL when not answered.
  satisfaction_tier: delighted (CSAT 5), satisfied (4), neutral (3), dissatisfied (1-2); NULL without CSAT.
  product_quality: Rating of the product quality, 1-5; NULL when not answered.
  process_quality: Rating of the process quality, 1-5; NULL when not answered.
  personal_service: Rating of the personal service, 1-5; NULL when not answered.
  language: The response's language as the survey tool gives it (free text); NULL when not given.
*/
with

responses as (
    select * from core.responses
    where nps_score is not null
        and (in_scope('customers', customer_id) or in_scope('responses', response_id))
),

final as (
    select * from responses
    qualify customer_id is null
        or row_number() over (
            partition by customer_id, month order by responded_at desc, response_id desc
        ) = 1
)

select * from final
