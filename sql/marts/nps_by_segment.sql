/*
description: >
  NPS per month and group: by CRM segment and country (of known customers), and by the
  response's channel and touchpoint. Same de-duplication as the monthly NPS (latest
  response per known customer and month, anonymous responses once each). Anonymous
  responses and customers the CRM does not know fall in the group value 'unknown'.
  Incremental: a month changes only with its responses or the CRM rows of its
  respondents (scope segment_months).
incremental: {scope: segment_months, key: month}
columns:
  month: First day of the calendar month in the reporting time zone.
  dimension: segment, channel, touchpoint or country.
  value: The group, e.g. the segment name or the ISO country code; 'unknown' where not known.
  responses: n, the de-duplicated NPS responses of the group in the month.
  promoters: Responses with a score of 9 or 10.
  detractors: Responses with a score of 0 to 6.
  nps: 100 * (promoters - detractors) / n, in [-100, 100].
  nps_moe: "95 % margin of error of nps in NPS points, adjusted Wald: with n' = n + 3, p' = (promoters + 0.75) / n', d' = (detractors + 0.75) / n', 100 * 1.96 * sqrt((p' + d' - (p' - d')^2) / n'); never 0, never above 100."
  low_sample: True when n < min_sample (default 30); never show the nps without this flag.
*/
with

responses as (
    select * from core.nps_responses
    where in_scope('segment_months', month)
),

crm as (
    select customer_id, segment, country from core.customers
),

-- Responses counted once per month, group and combination of values, then split by
-- dimension: a few thousand rows instead of four per response.
kinds as (
    select
        responses.month,
        responses.nps_group,
        coalesce(crm.segment, 'unknown') as segment,
        coalesce(responses.channel, 'unknown') as channel,
        coalesce(responses.touchpoint, 'unknown') as touchpoint,
        coalesce(crm.country, 'unknown') as country,
        count(*) as responses
    from responses
    left join crm on crm.customer_id = responses.customer_id
    group by all
),

grouped as (
    from kinds
    unpivot (value for dimension in (segment, channel, touchpoint, country))
),

counts as (
    select
        month,
        dimension,
        value,
        sum(responses)::bigint as responses,
        coalesce(sum(responses) filter (where nps_group = 'promoter'), 0)::bigint as promoters,
        coalesce(sum(responses) filter (where nps_group = 'detractor'), 0)::bigint as detractors
    from grouped
    group by all
),

final as (
    select
        *,
        nps(promoters, detractors, responses) as nps,
        nps_moe(promoters, detractors, responses) as nps_moe,
        responses < getvariable('min_sample') as low_sample
    from counts
)

select * from final order by month, dimension, value
