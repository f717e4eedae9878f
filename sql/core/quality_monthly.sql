/*
description: >
  Per month and service quality item, the sums that marts.quality_drivers adds up over
  twelve months. Responses are de-duplicated as for the NPS, per month and item: the
  latest response of each known customer that carries the item's score, and every
  anonymous response once. Incremental: a month's sums change only when one of its
  responses does (scope response_months).
incremental: {scope: response_months, key: month}
columns:
  item: product_quality, process_quality or personal_service.
  month: First day of the month (reporting time zone).
  n: Responses with a score for the item in the month (after de-duplication).
  x_total: Sum of the item's scores.
  top_box: Responses scoring 5.
  pairs: Responses that also have an NPS score.
  pair_x: Sum of the item's scores over those pairs.
  pair_y: Sum of the NPS scores over those pairs.
  pair_xx: Sum of the item's squared scores over those pairs.
  pair_yy: Sum of the squared NPS scores over those pairs.
  pair_xy: Sum of the products of item and NPS score over those pairs.
*/
with

answers as (
    select
        response_id,
        customer_id,
        month,
        responded_at,
        nps_score,
        product_quality,
        process_quality,
        personal_service
    from core.responses
    where in_scope('response_months', month)
),

items as (
    select *, 'product_quality' as item, product_quality as score from answers
    where product_quality is not null
    union all
    select *, 'process_quality', process_quality from answers
    where process_quality is not null
    union all
    select *, 'personal_service', personal_service from answers
    where personal_service is not null
),

-- Most known customers answer once a month: only their repeated months need ranking.
repeated as (
    select customer_id, month from answers
    where customer_id is not null
    group by all
    having count(*) > 1
),

kept as (
    select item, month, score::double as x, nps_score::double as y
    from items
    anti join repeated using (customer_id, month)
    union all
    select item, month, score::double as x, nps_score::double as y
    from items
    semi join repeated using (customer_id, month)
    qualify row_number() over (
        partition by item, customer_id, month order by responded_at desc, response_id desc
    ) = 1
),

final as (
    select
        item,
        month,
        count(*) as n,
        sum(x) as x_total,
        count(*) filter (where x = 5) as top_box,
        count(y) as pairs,
        sum(x) filter (where y is not null) as pair_x,
        sum(y) as pair_y,
        sum(x * x) filter (where y is not null) as pair_xx,
        sum(y * y) as pair_yy,
        sum(x * y) as pair_xy
    from kept
    group by all
)

select * from final order by month, item
