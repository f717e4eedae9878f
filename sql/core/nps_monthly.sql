/*
description: >
  NPS and CSAT per month after de-duplication: per month the latest response of each
  known customer that carries the score (NPS and CSAT each on their own), and every
  anonymous response once. The active recommender rate looks at known promoters only
  (an anonymous promoter cannot be matched to a referral) and is NULL until as_of is at
  or after the end of the month plus 90 days: before that, its promoters' windows are
  still open. Incremental: a month changes only with its responses, the previous month's,
  referrals within 90 days after its responses, or as_of passing its end plus 90 days
  (scope nps_months).
incremental: {scope: nps_months, key: month}
columns:
  month: First day of the calendar month (reporting time zone) with an NPS or CSAT response.
  nps_responses: Responses the NPS counts (de-duplicated as described above); NULL in a month with CSAT answers only.
  promoters: Of those, scores 9-10.
  passives: Of those, scores 7-8.
  detractors: Of those, scores 0-6.
  nps: Promoters minus detractors as a share of nps_responses, in points (-100 to 100); NULL without NPS responses.
  nps_moe: The NPS's 95 % margin of error in points (adjusted Wald, the nps_moe macro).
  nps_low_sample: True when nps_responses is below the min_sample setting.
  nps_change: NPS minus the previous calendar month's, in points; NULL when either month has no NPS.
  nps_change_moe: The margin of error of nps_change in points (both months' margins combined in quadrature).
  nps_change_significant: True when the change exceeds its margin of error; NULL when there is no change.
  csat_responses: Responses the CSAT counts (de-duplicated as described above); NULL in a month without CSAT answers.
  csat_pct: Share of those with CSAT 4 or 5, as a fraction (0-1).
  delight_pct: Share with CSAT 5, as a fraction.
  satisfied_not_delighted_pct: Share with CSAT 4, as a fraction.
  active_recommender_rate: Share of the month's known promoters with a referral event within 90 days after their response, as a fraction; NULL until as_of reaches the month's end plus 90 days, or without known promoters.
*/
with

responses as (
    select * from core.responses
    where in_scope('nps_months', month)
),

referrals as (
    select customer_id, occurred_at
    from staging.stg_events
    where event_type = 'referral' and occurred_at <= getvariable('as_of')
),

-- The months in scope, and for the NPS change the month before each.
nps_kept as (
    select * from core.nps_responses
    where in_scope('nps_months', month)
        or in_scope('nps_months', (month + interval 1 month)::date)
),

csat_kept as (
    select * from responses
    where csat is not null
    qualify customer_id is null
        or row_number() over (
            partition by customer_id, month order by responded_at desc, response_id desc
        ) = 1
),

promoter_follow_up as (
    select
        nps_kept.month,
        nps_kept.response_id,
        bool_or(referrals.customer_id is not null) as referred
    from nps_kept
    left join referrals
        on referrals.customer_id = nps_kept.customer_id
        and referrals.occurred_at > nps_kept.responded_at
        and referrals.occurred_at <= nps_kept.responded_at + interval 90 day
    where nps_kept.nps_group = 'promoter' and nps_kept.customer_id is not null
    group by all
),

nps_counts as (
    select
        month,
        count(*) as nps_responses,
        count(*) filter (where nps_group = 'promoter') as promoters,
        count(*) filter (where nps_group = 'passive') as passives,
        count(*) filter (where nps_group = 'detractor') as detractors
    from nps_kept
    group by month
),

nps_scores as (
    select
        *,
        nps(promoters, detractors, nps_responses) as nps,
        nps_moe(promoters, detractors, nps_responses) as nps_moe,
        nps_responses < getvariable('min_sample') as nps_low_sample
    from nps_counts
),

csat_counts as (
    select
        month,
        count(*) as csat_responses,
        count(*) filter (where csat >= 4) / count(*) as csat_pct,
        count(*) filter (where csat = 5) / count(*) as delight_pct,
        count(*) filter (where csat = 4) / count(*) as satisfied_not_delighted_pct
    from csat_kept
    group by month
),

recommenders as (
    select month, avg(referred::integer) as active_recommender_rate
    from promoter_follow_up
    group by month
),

months as (
    select month from nps_counts
    union
    select month from csat_counts
),

final as (
    select
        months.month,
        nps_scores.nps_responses,
        nps_scores.promoters,
        nps_scores.passives,
        nps_scores.detractors,
        nps_scores.nps,
        nps_scores.nps_moe,
        nps_scores.nps_low_sample,
        nps_scores.nps - previous.nps as nps_change,
        sqrt(power(nps_scores.nps_moe, 2) + power(previous.nps_moe, 2)) as nps_change_moe,
        abs(nps_scores.nps - previous.nps)
            > sqrt(power(nps_scores.nps_moe, 2) + power(previous.nps_moe, 2)) as nps_change_significant,
        csat_counts.csat_responses,
        csat_counts.csat_pct,
        csat_counts.delight_pct,
        csat_counts.satisfied_not_delighted_pct,
        -- Decided per month here, not per response: the zone's calendar arithmetic is slow.
        case
            when getvariable('as_of') >= month_end(months.month) + interval 90 day
                then recommenders.active_recommender_rate
        end as active_recommender_rate
    from months
    left join nps_scores on nps_scores.month = months.month
    left join nps_scores as previous on previous.month = months.month - interval 1 month
    left join csat_counts on csat_counts.month = months.month
    left join recommenders on recommenders.month = months.month
    where in_scope('nps_months', months.month)
)

select * from final
