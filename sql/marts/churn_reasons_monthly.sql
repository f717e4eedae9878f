/*
description: >
  Churn reasons per month: the churns that marts.kpi_monthly counts as churned_customers
  (customers active at the first instant of the month whose churn date falls in it), by
  kind and reason. Per month the rows sum to churned_customers. A customer who churns,
  comes back and churns again within one month counts once, under the first churn.
  Months without a churn have no rows.
columns:
  month: First day of the calendar month in the reporting time zone.
  churn_kind: explicit (CRM churn or cancellation event) or lapse (no purchase for W days).
  reason: "The CRM's churn_reason of an explicit churn (competitor, price, service, product, moved, other); unknown for an explicit churn without one; lapse for a lapse."
  churned_customers: Customers of the month's start (S) who churned in the month with this kind and reason.
*/
with

spells as (
    select
        churn_kind,
        churn_reason,
        to_local(churned_at) as churned_local,
        to_local(started_at) as started_local
    from core.activity_spells
    where churned_at is not null
),

-- The spell active at the first instant of its churn month: that churn is the customer's
-- first in the month (a spell that starts within the month belongs to a win-back).
churns as (
    select
        date_trunc('month', churned_local)::date as month,
        churn_kind,
        case
            when churn_kind = 'lapse' then 'lapse'
            else coalesce(churn_reason, 'unknown')
        end as reason
    from spells
    where started_local <= date_trunc('month', churned_local)
),

final as (
    select month, churn_kind, reason, count(*) as churned_customers
    from churns
    group by all
)

select * from final order by month, churn_kind, reason
