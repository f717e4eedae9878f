/*
description: >
  Activity spells: the intervals [started_at, ended_at) in which a customer is active.
  A customer is active at t when they have a purchase in (t - W days, t] and are not
  explicitly churned at t. A spell starts with a purchase when the customer was not
  active just before it: their first purchase, a purchase more than W days after the
  previous one, or the first purchase after an explicit churn (a win-back). It ends at
  the earlier of its last purchase + W days (a lapse) and the first explicit churn at or
  after its last purchase. ended_at may lie after as_of: the spell is still open then and
  churned_at is NULL. A purchase and an explicit churn at the same instant count in that
  order (the churn ends the spell).
columns:
  customer_id: The customer.
  spell_no: 1 for the first spell, 2 for the spell after the first churn (a win-back), ...
  started_at: The purchase that started the spell.
  last_purchase_at: The last purchase inside the spell (up to as_of).
  purchases: Purchases inside the spell.
  ended_at: When the spell ends if nothing else happens (may lie after as_of).
  churned_at: The churn date, when it is at or before as_of; NULL for open spells.
  churn_kind: explicit (CRM or cancellation event) or lapse (no purchase for W days); NULL while open.
  churn_reason: The CRM churn reason of an explicit churn (NULL if unknown or a lapse).
incremental: {scope: customers, key: customer_id}
*/
with

purchases as (
    select customer_id, ordered_at from core.purchases where in_scope('customers', customer_id)
),

churns as (
    select customer_id, churned_at, churn_reason from core.explicit_churns
    where in_scope('customers', customer_id)
),

timeline as (
    select customer_id, ordered_at as happened_at, 0 as is_churn from purchases
    union all
    select customer_id, churned_at as happened_at, 1 as is_churn from churns
),

-- One pass over each customer's timeline: the event just before a purchase is either the
-- previous purchase or a churn after it (purchases sort before churns at the same instant).
steps as (
    select
        *,
        lag(happened_at) over by_customer as previous_at,
        lag(is_churn) over by_customer as previous_is_churn
    from timeline
    window by_customer as (partition by customer_id order by happened_at, is_churn)
),

marked as (
    select
        customer_id,
        happened_at as ordered_at,
        case
            when previous_at is null then 1
            when previous_is_churn = 1 then 1
            -- Calendar arithmetic in the time zone is slow, so it runs only where the gap
            -- lies within a day of W (daylight saving moves it by at most that).
            when epoch_us(happened_at) - epoch_us(previous_at)
                > (getvariable('inactivity_days') + 1) * 86400000000 then 1
            when epoch_us(happened_at) - epoch_us(previous_at)
                >= (getvariable('inactivity_days') - 1) * 86400000000
                and happened_at > previous_at + to_days(getvariable('inactivity_days')) then 1
            else 0
        end as starts_spell
    from steps
    where is_churn = 0
),

numbered as (
    select
        *,
        sum(starts_spell) over (
            partition by customer_id order by ordered_at rows unbounded preceding
        ) as spell_no
    from marked
),

spells as (
    select
        customer_id,
        spell_no,
        min(ordered_at) as started_at,
        max(ordered_at) as last_purchase_at,
        count(*) as purchases
    from numbered
    group by customer_id, spell_no
),

with_next_churn as (
    select
        spells.*,
        spells.last_purchase_at + to_days(getvariable('inactivity_days')) as lapse_at,
        churns.churned_at as next_churn_at,
        churns.churn_reason as next_churn_reason
    from spells
    asof left join churns
        on churns.customer_id = spells.customer_id
        and churns.churned_at >= spells.last_purchase_at
),

ends as (
    select
        *,
        coalesce(next_churn_at < lapse_at, false) as is_explicit,
        case when next_churn_at < lapse_at then next_churn_at else lapse_at end as ended_at
    from with_next_churn
),

final as (
    select
        customer_id,
        spell_no::integer as spell_no,
        started_at,
        last_purchase_at,
        purchases,
        ended_at,
        case when ended_at <= getvariable('as_of') then ended_at end as churned_at,
        case
            when ended_at > getvariable('as_of') then null
            when is_explicit then 'explicit'
            else 'lapse'
        end as churn_kind,
        case when is_explicit and ended_at <= getvariable('as_of') then next_churn_reason end
            as churn_reason
    from ends
)

select * from final
