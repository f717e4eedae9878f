/*
description: >
  One row per customer known to the CRM or the shop, at as_of: purchases, revenue, state,
  latest churn, latest survey answers and referrals.
columns:
  customer_id: The customer.
  country: ISO 3166 alpha-2 country from the CRM (NULL if the CRM does not know the customer).
  segment: CRM segment.
  first_purchase_at: First purchase; NULL for prospects.
  last_purchase_at: Latest purchase up to as_of.
  purchases: Purchases (orders not cancelled) up to as_of.
  revenue_net: Net revenue up to as_of (net_amount minus returns), reporting currency.
  state: "active (active at as_of in their first spell), won_back (active at as_of after a churn), churned (not active at as_of), prospect (no purchase yet)."
  churned_at: Date of the latest churn at or before as_of (for won_back customers, the churn they were won back from); NULL if never churned.
  churn_kind: explicit (CRM churn or cancellation event) or lapse (no purchase for W days) for that churn.
  churn_reason: CRM reason of that churn when it was explicit (for won_back customers, of the churn they were won back from, also when the CRM's latest version no longer carries it); NULL for lapses and unknown reasons.
  spells: Number of active spells (1 + number of win-backs).
  last_nps: NPS score (0-10) of the customer's latest response carrying one, up to as_of.
  nps_group: promoter (9-10), passive (7-8) or detractor (0-6) of last_nps.
  last_csat: CSAT score (1-5) of the customer's latest response carrying one.
  satisfaction_tier: dissatisfied (1-2), neutral (3), satisfied (4) or delighted (5) of last_csat.
  referrals: Referral events of the customer up to as_of.
incremental: {scope: customers, key: customer_id}
*/
with

crm as (
    select customer_id, country, segment from core.customers
    where in_scope('customers', customer_id)
),

spells as (
    select * from core.activity_spells where in_scope('customers', customer_id)
),

responses as (
    select * from core.responses
    where customer_id is not null and in_scope('customers', customer_id)
),

referrals as (
    select customer_id, count(*) as referrals
    from staging.stg_events
    where event_type = 'referral'
        and occurred_at <= getvariable('as_of')
        and in_scope('customers', customer_id)
    group by customer_id
),

buying as (
    select customer_id, first_purchase_at, last_purchase_at, purchases, revenue_net
    from core.buyers
    where in_scope('customers', customer_id)
),

spell_summary as (
    select
        customer_id,
        count(*) as spells,
        arg_max(spell_no, spell_no) as last_spell_no,
        bool_or(churned_at is null) as is_active
    from spells
    group by customer_id
),

last_churn as (
    select customer_id, churned_at, churn_kind, churn_reason
    from spells
    where churned_at is not null
    qualify row_number() over (partition by customer_id order by churned_at desc) = 1
),

last_nps as (
    select customer_id, arg_max(nps_score, responded_at) as last_nps
    from responses where nps_score is not null
    group by customer_id
),

last_csat as (
    select customer_id, arg_max(csat, responded_at) as last_csat
    from responses where csat is not null
    group by customer_id
),

everyone as (
    select customer_id from crm
    union
    select customer_id from buying
),

final as (
    select
        everyone.customer_id,
        crm.country,
        crm.segment,
        buying.first_purchase_at,
        buying.last_purchase_at,
        coalesce(buying.purchases, 0) as purchases,
        coalesce(buying.revenue_net, 0)::decimal(38, 2) as revenue_net,
        case
            when buying.customer_id is null then 'prospect'
            when spell_summary.is_active and spell_summary.last_spell_no > 1 then 'won_back'
            when spell_summary.is_active then 'active'
            else 'churned'
        end as state,
        last_churn.churned_at,
        last_churn.churn_kind,
        last_churn.churn_reason,
        coalesce(spell_summary.spells, 0) as spells,
        last_nps.last_nps,
        case
            when last_nps.last_nps >= 9 then 'promoter'
            when last_nps.last_nps >= 7 then 'passive'
            when last_nps.last_nps is not null then 'detractor'
        end as nps_group,
        last_csat.last_csat,
        case
            when last_csat.last_csat = 5 then 'delighted'
            when last_csat.last_csat = 4 then 'satisfied'
            when last_csat.last_csat = 3 then 'neutral'
            when last_csat.last_csat is not null then 'dissatisfied'
        end as satisfaction_tier,
        coalesce(referrals.referrals, 0) as referrals
    from everyone
    left join crm on crm.customer_id = everyone.customer_id
    left join buying on buying.customer_id = everyone.customer_id
    left join spell_summary on spell_summary.customer_id = everyone.customer_id
    left join last_churn on last_churn.customer_id = everyone.customer_id
    left join last_nps on last_nps.customer_id = everyone.customer_id
    left join last_csat on last_csat.customer_id = everyone.customer_id
    left join referrals on referrals.customer_id = everyone.customer_id
)

select * from final
