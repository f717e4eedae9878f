/*
description: >
  Explicit churns up to as_of: the churns the CRM recorded and every cancellation event.
  The CRM's history counts, not only its latest version: a churn an earlier export
  recorded stays a churn (with its reason) when a later version, after a win-back, says
  active again. Consecutive versions that say churned describe one churn; the latest of
  them gives its date (churned_at, or the first such version's updated_at where no version
  has one) and reason. A cancellation event carries no reason; where it falls on the same
  day as a CRM churn both are one churn (the earlier timestamp, the CRM's reason). Other
  cancellation events have reason NULL (unknown), so they never count as switching to a
  competitor.
incremental: {scope: customers, key: customer_id}
columns:
  customer_id: The customer.
  churned_at: When the customer churned (the earliest of a CRM churn and a cancellation event on the same day in the reporting time zone), up to as_of.
  churn_reason: The CRM's churn reason (competitor, price, service, product, moved, other); NULL for a cancellation event alone or a CRM churn without a reason (unknown).
  source: Where the churn comes from - crm, cancellation, or cancellation+crm when both fall on the same day.
*/
with

versions as (
    select
        customer_id,
        updated_at,
        churned_at,
        churn_reason,
        churned_at is not null or coalesce(status = 'churned', false) as says_churned
    from staging.stg_customers
    where updated_at <= getvariable('as_of') and in_scope('customers', customer_id)
),

-- A version that does not say churned closes a run of versions that do.
runs as (
    select
        *,
        sum((not says_churned)::integer) over (
            partition by customer_id order by updated_at rows unbounded preceding
        ) as run_no
    from versions
),

crm_runs as (
    select
        customer_id,
        coalesce(arg_max(churned_at, updated_at), min(updated_at)) as churned_at,
        arg_max(churn_reason, updated_at) as churn_reason
    from runs
    where says_churned
    group by customer_id, run_no
),

crm as (
    select customer_id, churned_at, churn_reason, 'crm' as source
    from crm_runs
    where churned_at <= getvariable('as_of')
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
