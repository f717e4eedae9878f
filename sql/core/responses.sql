/*
description: >
  Survey responses up to as_of, with their month in the reporting time zone, NPS group
  and satisfaction tier. customer_id NULL means anonymous.
incremental: {scope: responses, key: response_id}
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
        date_trunc('month', responded_at::timestamp)::date as month,
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
