/*
description: >
  Why the NPS moved: the change of the NPS from the previous month to the month, split
  over the groups of one dimension (touchpoint, channel, segment, country) into a mix
  effect (the group's share of responses changed) and a score effect (the group's NPS
  changed). With w the group's share of the month's responses and N its NPS:
  mix_effect = (w - w_previous) * N_previous, score_effect = w * (N - N_previous). Per
  month and dimension the effects of all groups sum exactly to the total NPS change. A
  group missing in one of the two months has N = 0 and w = 0 there. Responses are
  de-duplicated as for the NPS (marts.nps_by_segment); anonymous responses and customers
  the CRM does not know form the group 'unknown'. Only months whose previous month has
  responses have rows.
columns:
  month: First day of the calendar month in the reporting time zone.
  dimension: touchpoint, channel, segment or country.
  value: The group; 'unknown' where not known.
  responses_previous: The group's responses in the previous month (0 when none).
  nps_previous: The group's NPS in the previous month; NULL without responses.
  responses: The group's responses in the month (0 when none).
  nps: The group's NPS in the month; NULL without responses.
  nps_change: nps - nps_previous; NULL when the group has no responses in one of the two months.
  change_moe: "Combined 95 % margin of error of the change: sqrt(moe^2 + moe_previous^2)."
  significant: True when |nps_change| > change_moe; false when within noise or not measurable.
  low_sample: True when either month has fewer than min_sample (default 30) responses of the group.
  share_previous: w_previous, the group's share of the previous month's responses.
  share: w, the group's share of the month's responses.
  mix_effect: (share - share_previous) * nps_previous (nps_previous taken as 0 when missing), in NPS points.
  score_effect: share * (nps - nps_previous) (a missing NPS taken as 0), in NPS points.
  contribution: mix_effect + score_effect, the group's part of the total change.
  total_nps_change: The change of the overall NPS from the previous month (kpi_monthly.nps_change); the sum of contribution over the dimension's groups.
*/
with

groups as (
    select month, dimension, value, responses, nps, nps_moe from marts.nps_by_segment
),

nps_monthly as (
    select month, nps_change from core.nps_monthly
),

totals as (
    select month, dimension, sum(responses) as month_responses
    from groups
    group by all
),

pairs as (
    select
        current_month.month,
        current_month.dimension,
        current_month.month_responses,
        previous_month.month_responses as previous_month_responses
    from totals as current_month
    inner join totals as previous_month
        on previous_month.dimension = current_month.dimension
        and previous_month.month = current_month.month - interval 1 month
),

pair_groups as (
    select pairs.month, pairs.dimension, groups.value
    from pairs
    inner join groups on groups.dimension = pairs.dimension and groups.month = pairs.month
    union
    select pairs.month, pairs.dimension, groups.value
    from pairs
    inner join groups
        on groups.dimension = pairs.dimension
        and groups.month = pairs.month - interval 1 month
),

measured as (
    select
        pair_groups.month,
        pair_groups.dimension,
        pair_groups.value,
        coalesce(previous_group.responses, 0) as responses_previous,
        previous_group.nps as nps_previous,
        previous_group.nps_moe as nps_moe_previous,
        coalesce(current_group.responses, 0) as responses,
        current_group.nps,
        current_group.nps_moe,
        coalesce(previous_group.responses, 0) / pairs.previous_month_responses as share_previous,
        coalesce(current_group.responses, 0) / pairs.month_responses as share
    from pair_groups
    inner join pairs using (month, dimension)
    left join groups as current_group
        on current_group.month = pair_groups.month
        and current_group.dimension = pair_groups.dimension
        and current_group.value = pair_groups.value
    left join groups as previous_group
        on previous_group.month = pair_groups.month - interval 1 month
        and previous_group.dimension = pair_groups.dimension
        and previous_group.value = pair_groups.value
),

final as (
    select
        measured.month,
        measured.dimension,
        measured.value,
        measured.responses_previous,
        measured.nps_previous,
        measured.responses,
        measured.nps,
        measured.nps - measured.nps_previous as nps_change,
        sqrt(power(measured.nps_moe, 2) + power(measured.nps_moe_previous, 2)) as change_moe,
        coalesce(abs(nps_change) > change_moe, false) as significant,
        measured.responses < getvariable('min_sample')
            or measured.responses_previous < getvariable('min_sample') as low_sample,
        measured.share_previous,
        measured.share,
        (measured.share - measured.share_previous) * coalesce(measured.nps_previous, 0)
            as mix_effect,
        measured.share * (coalesce(measured.nps, 0) - coalesce(measured.nps_previous, 0))
            as score_effect,
        mix_effect + score_effect as contribution,
        nps_monthly.nps_change as total_nps_change
    from measured
    left join nps_monthly on nps_monthly.month = measured.month
)

select * from final order by month, dimension, value
