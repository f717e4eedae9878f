/*
description: >
  Survey responses up to as_of, with their month in the reporting time zone, NPS group
  and satisfaction tier. customer_id NULL means anonymous.
incremental: {scope: responses, key: response_id}
columns:
  response_id: The survey response.
  customer_id: The responding customer; NULL for an anonymous response.
  responded_at: When the customer responded (at or before as_of).
  month: First day of the response's calendar month (reporting time zone).
  touchpoint: What the survey asked about (post_purchase, support, relationship); NULL when not given.
  channel: The channel the survey was answered on (free text, masked); NULL when not given.
  nps_score: How likely the customer would recommend the company, 0-10; NULL when not answered.
  nps_group: promoter (9-10), passive (7-8) or detractor (0-6); NULL without an NPS score.
  csat: Satisfaction 1-5; NULL when not answered.
  satisfaction_tier: delighted (CSAT 5), satisfied (4), neutral (3), dissatisfied (1-2); NULL without CSAT.
  product_quality: Rating of the product quality, 1-5; NULL when not answered.
  process_quality: Rating of the process quality, 1-5; NULL when not answered.
  personal_service: Rating of the personal service, 1-5; NULL when not answered.
  language: The response's language as the survey tool gives it (free text); NULL when not given.
*/
with

responses as (
    select * from staging.stg_responses
    where responded_at <= getvariable('as_of') and in_scope('responses', response_id)
),

final as (
    select
        response_id,
        customer_id,
        responded_at,
        date_trunc('month', to_local(responded_at))::date as month,
        touchpoint,
        channel,
        nps_score,
        case
            when nps_score >= 9 then 'promoter'
            when nps_score >= 7 then 'passive'
            when nps_score is not null then 'detractor'
        end as nps_group,
        csat,
        case
            when csat = 5 then 'delighted'
            when csat = 4 then 'satisfied'
            when csat = 3 then 'neutral'
            when csat is not null then 'dissatisfied'
        end as satisfaction_tier,
        product_quality,
        process_quality,
        personal_service,
        language
    from responses
)

select * from final
