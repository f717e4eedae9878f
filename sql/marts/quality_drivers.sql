/*
description: >
  Service quality drivers per month m and quality item (product, process, personal
  service; 1-5), over the twelve months m - 11 .. m: n, mean, top-box share and the
  Pearson correlation with the NPS score over responses that have both. Responses are
  de-duplicated as for the NPS, per month and item: the latest response of each known
  customer that carries the item's score, and every anonymous response once. The item
  with the highest correlation is the month's strongest driver of recommendation. One row
  per item and month from the first month with a survey response to the month of as_of.
columns:
  month: First day of m, the last of the twelve months.
  first_month: First day of m - 11, the first of the twelve months.
  item: product_quality, process_quality or personal_service.
  n: Responses with a score for the item in the twelve months (after de-duplication).
  mean: Mean score (1-5).
  top_box_pct: Share of those responses scoring 5.
  correlation_with_nps: Pearson correlation of the item with nps_score over the responses that have both; NULL below 3 such responses or without variance.
  pairs: Responses that have both the item and an NPS score.
  is_strongest_driver: True for the item with the highest correlation_with_nps in the month.
*/
with

monthly as (
    select * from core.quality_monthly
),

all_items as (
    select * from (values ('product_quality'), ('process_quality'), ('personal_service'))
        as t(item)
),

months as (
    select month_start::date as month
    from generate_series(
        (select min(month) from core.responses)::timestamptz,
        date_trunc('month', getvariable('as_of')),
        interval 1 month
    ) as series(month_start)
),

windows as (
    select
        months.month,
        all_items.item,
        sum(coalesce(monthly.n, 0)) over twelve as n,
        sum(monthly.x_total) over twelve as x_total,
        sum(coalesce(monthly.top_box, 0)) over twelve as top_box,
        sum(coalesce(monthly.pairs, 0)) over twelve as pairs,
        sum(monthly.pair_x) over twelve as sx,
        sum(monthly.pair_y) over twelve as sy,
        sum(monthly.pair_xx) over twelve as sxx,
        sum(monthly.pair_yy) over twelve as syy,
        sum(monthly.pair_xy) over twelve as sxy
    from months
    cross join all_items
    left join monthly on monthly.month = months.month and monthly.item = all_items.item
    window twelve as (
        partition by all_items.item order by months.month rows between 11 preceding and current row
    )
),

-- Integer scores keep the sums exact, so zero variance is exactly 0.
correlations as (
    select
        *,
        case
            when pairs >= 3 and pairs * sxx - sx * sx > 0 and pairs * syy - sy * sy > 0
                then (pairs * sxy - sx * sy)
                    / sqrt((pairs * sxx - sx * sx) * (pairs * syy - sy * sy))
        end as correlation_with_nps
    from windows
),

final as (
    select
        month,
        (month - interval 11 month)::date as first_month,
        item,
        n::bigint as n,
        x_total / nullif(n, 0) as mean,
        top_box / nullif(n, 0) as top_box_pct,
        correlation_with_nps,
        pairs::bigint as pairs,
        coalesce(
            correlation_with_nps = max(correlation_with_nps) over (partition by month),
            false
        ) as is_strongest_driver
    from correlations
)

select * from final order by month, item
