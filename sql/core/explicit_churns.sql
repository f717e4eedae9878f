/*
description: >
  Explicit churns up to as_of: the CRM record's churned_at and every cancellation event.
  A cancellation event carries no reason; where it falls on the same day as the CRM
  churned_at both are one churn (the earlier timestamp, the CRM's reason). Other
  cancellation events have reason NULL (unknown), so they never count as switching to a
  competitor.
incremental: {scope: customers, key: customer_id}
*/
with

crm as (
    select customer_id, churned_at, churn_reason, 'crm' as source
    from core.customers
    where churned_at is not null
        and churned_at <= getvariable('as_of')
        and in_scope('customers', customer_id)
),

cancellations as (
    select customer_id, occurred_at as churned_at, null::varchar as churn_reason, 'cancellation' as source
    from staging.stg_events
    where event_type = 'cancellation'
        and occurred_at <= getvariable('as_of')
        and in_scope('customers', customer_id)
),

all_churns as (
    select * from crm
    union all
    select * from cancellations
),

final as (
    select
        customer_id,
        min(churned_at) as churned_at,
        max(churn_reason) as churn_reason,
        string_agg(distinct source, '+' order by source) as source
    from all_churns
    group by customer_id, churned_at::date
)

select * from final
