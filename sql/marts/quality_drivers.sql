/*
description: >
  Service quality drivers: per quality item (product, process, personal service; 1-5)
  over all responses up to as_of: n, mean, top-box share and the Pearson correlation with
  the NPS score over responses that have both. The item with the highest correlation is
  the strongest driver of recommendation.
columns:
  item: product_quality, process_quality or personal_service.
  n: Responses with a score for the item.
  mean: Mean score (1-5).
  top_box_pct: Share of those responses scoring 5.
  correlation_with_nps: Pearson correlation of the item with nps_score over responses that have both; NULL below 3 such responses or without variance.
  pairs: Responses that have both the item and an NPS score.
  is_strongest_driver: True for the item with the highest correlation_with_nps.
*/
with

responses as (
    select * from core.responses
),

items as (
    select 'product_quality' as item, product_quality as score, nps_score from responses
    union all
    select 'process_quality', process_quality, nps_score from responses
    union all
    select 'personal_service', personal_service, nps_score from responses
),

all_items as (
    select * from (values ('product_quality'), ('process_quality'), ('personal_service')) as t(item)
),

stats as (
    select
        item,
        count(score) as n,
        avg(score) as mean,
        count(*) filter (where score = 5) / nullif(count(score), 0) as top_box_pct,
        count(*) filter (where score is not null and nps_score is not null) as pairs,
        corr(score, nps_score) as correlation
    from items
    group by item
),

final as (
    select
        all_items.item,
        coalesce(stats.n, 0) as n,
        stats.mean,
        stats.top_box_pct,
        case when stats.pairs >= 3 and not isnan(stats.correlation) then stats.correlation end
            as correlation_with_nps,
        coalesce(stats.pairs, 0) as pairs,
        coalesce(
            correlation_with_nps = max(correlation_with_nps) over (),
            false
        ) as is_strongest_driver
    from all_items
    left join stats on stats.item = all_items.item
)

select * from final order by item
