/*
description: >
  marts.kpi_monthly split by a dimension of the customer: one row per month, dimension
  (country, segment, acquisition_channel) and value, for every month of kpi_monthly and
  every value any customer has. The retention, switching and NPS definitions of
  kpi_monthly, restricted to the customers of the value: summed over the values of one
  dimension, the counts equal kpi_monthly's in every month. country and segment are the
  latest CRM version at as_of, acquisition_channel the channel of the first purchase
  (core.customer_dimensions); NPS responses of anonymous respondents fall under 'unknown'.
  Rates are fractions in [0, 1]; NULL where the denominator is 0. The spells are counted
  as core.customer_flows counts them for kpi_monthly (core.spell_flows), per value.
columns:
  month: First day of the calendar month in the reporting time zone.
  is_complete: True when as_of is at or after 23:59:59 of the month's last day.
  dimension: country, segment or acquisition_channel.
  value: The customers' value of the dimension (e.g. DE, premium, app); 'unknown' where not known.
  active_customers_start: "S: customers of the value active at the first instant of the month."
  active_customers_end: "E: customers of the value active at the last instant of the month (at as_of for the month that holds as_of)."
  gained_customers: Customers of the value active at the end of the month who were not active at its start (new and won back).
  lost_customers: Customers of S not active at the end of the month; E = S + gained_customers - lost_customers.
  churned_customers: Customers of S whose churn date falls in the month.
  retention_rate: (S - lost_customers) / S.
  switching_rate: churned_customers / S.
  competitor_switching_rate: Customers of S who churned explicitly in the month with churn_reason competitor, / S.
  nps_responses: "n: the value's NPS responses of the month after de-duplication (latest per known customer, every anonymous response); 0 when none."
  promoters: Responses with a score of 9 or 10.
  detractors: Responses with a score of 0 to 6.
  nps: 100 * (promoters - detractors) / n; NULL without responses.
  nps_moe: 95 % margin of error of nps in NPS points (adjusted Wald, as in kpi_monthly); NULL without responses.
  low_sample: True when n < min_sample (default 30); never show the nps without this flag.
*/

with

months as (
    select * from core.months
),

dimensions as (
    select * from core.customer_dimensions
),

spell_flows as (
    select * from core.spell_flows
),

nps_responses as (
    select * from core.nps_responses
),

-- Spells that move the bridge alike, counted once per combination of the customer's
-- values: a few hundred thousand rows to split by dimension instead of every spell.
spell_kinds as (
    select
        dimensions.country,
        dimensions.segment,
        dimensions.acquisition_channel,
        spell_flows.start_boundary,
        spell_flows.end_boundary,
        spell_flows.start_month,
        spell_flows.end_month,
        spell_flows.churn_month,
        spell_flows.is_competitor_churn,
        spell_flows.is_rebound,
        spell_flows.is_gained,
        spell_flows.ended_at > getvariable('as_of') as is_open,
        count(*) as spells
    from spell_flows
    inner join dimensions on dimensions.customer_id = spell_flows.customer_id
    group by all
),

-- Each kind of spell once per dimension, with the number of spells it stands for.
spells as (
    from spell_kinds
    unpivot include nulls (value for dimension in (country, segment, acquisition_channel))
),

-- NPS responses counted once per month, group and combination of the customer's values.
nps_kinds as (
    select
        nps_responses.month,
        nps_responses.nps_group,
        coalesce(dimensions.country, 'unknown') as country,
        coalesce(dimensions.segment, 'unknown') as segment,
        coalesce(dimensions.acquisition_channel, 'unknown') as acquisition_channel,
        count(*) as responses
    from nps_responses
    left join dimensions on dimensions.customer_id = nps_responses.customer_id
    group by all
),

nps_groups as (
    from nps_kinds
    unpivot include nulls (value for dimension in (country, segment, acquisition_channel))
),

customer_values as (
    from (select distinct country, segment, acquisition_channel from dimensions)
    unpivot include nulls (value for dimension in (country, segment, acquisition_channel))
),

dimension_values as (
    select dimension, value from customer_values
    union
    select dimension, value from nps_groups
),

grid as (
    select months.*, dimension_values.dimension, dimension_values.value
    from months
    cross join dimension_values
),

deltas as (
    select dimension, value, start_boundary as month, spells as d_start, 0 as d_end from spells
    union all
    select dimension, value, end_boundary, -spells, 0 from spells
    union all
    select dimension, value, start_month, 0, spells from spells
    union all
    select dimension, value, end_month, 0, -spells from spells
),

deltas_by_month as (
    select dimension, value, month, sum(d_start) as d_start, sum(d_end) as d_end
    from deltas
    group by all
),

open_spells as (
    select dimension, value, sum(spells)::bigint as open_spells
    from spells
    where is_open
    group by all
),

running as (
    select
        grid.month,
        grid.is_complete,
        grid.dimension,
        grid.value,
        (sum(coalesce(deltas_by_month.d_start, 0)) over by_value)::bigint as active_start,
        -- The month that holds as_of ends at as_of: active then are the spells still open.
        case
            when grid.holds_as_of then coalesce(open_spells.open_spells, 0)
            else (sum(coalesce(deltas_by_month.d_end, 0)) over by_value)
        end::bigint as active_end
    from grid
    left join deltas_by_month
        on deltas_by_month.dimension = grid.dimension
        and deltas_by_month.value = grid.value
        and deltas_by_month.month = grid.month
    left join open_spells
        on open_spells.dimension = grid.dimension
        and open_spells.value = grid.value
    window by_value as (
        partition by grid.dimension, grid.value order by grid.month rows unbounded preceding
    )
),

churned as (
    select
        dimension,
        value,
        churn_month as month,
        sum(spells)::bigint as churned_customers,
        (sum(spells) filter (where is_competitor_churn))::bigint as competitor_churns,
        (sum(spells) filter (where is_rebound))::bigint as rebounders
    from spells
    where churn_month is not null
    group by all
),

gained as (
    select dimension, value, start_month as month, sum(spells)::bigint as gained_spells
    from spells
    where is_gained
    group by all
),

nps_counts as (
    select
        month,
        dimension,
        value,
        sum(responses)::bigint as nps_responses,
        (sum(responses) filter (where nps_group = 'promoter'))::bigint as promoters,
        (sum(responses) filter (where nps_group = 'detractor'))::bigint as detractors
    from nps_groups
    group by all
),

counts as (
    select
        running.month,
        running.is_complete,
        running.dimension,
        running.value,
        running.active_start as active_customers_start,
        running.active_end as active_customers_end,
        coalesce(gained.gained_spells, 0) - coalesce(churned.rebounders, 0) as gained_customers,
        coalesce(churned.churned_customers, 0) - coalesce(churned.rebounders, 0)
            as lost_customers,
        coalesce(churned.churned_customers, 0) as churned_customers,
        coalesce(churned.competitor_churns, 0) as competitor_churns,
        coalesce(nps_counts.nps_responses, 0) as nps_responses,
        coalesce(nps_counts.promoters, 0) as promoters,
        coalesce(nps_counts.detractors, 0) as detractors
    from running
    left join gained using (month, dimension, value)
    left join churned using (month, dimension, value)
    left join nps_counts using (month, dimension, value)
),

final as (
    select
        month,
        is_complete,
        dimension,
        value,
        active_customers_start,
        active_customers_end,
        gained_customers,
        lost_customers,
        churned_customers,
        (active_customers_start - lost_customers) / nullif(active_customers_start, 0)
            as retention_rate,
        churned_customers / nullif(active_customers_start, 0) as switching_rate,
        competitor_churns / nullif(active_customers_start, 0) as competitor_switching_rate,
        nps_responses,
        promoters,
        detractors,
        nps(promoters, detractors, nullif(nps_responses, 0)) as nps,
        case when nps_responses > 0 then nps_moe(promoters, detractors, nps_responses) end
            as nps_moe,
        nps_responses < getvariable('min_sample') as low_sample
    from counts
)

select * from final order by month, dimension, value
