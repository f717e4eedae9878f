/*
description: >
  One row per CRM customer: the latest version (highest updated_at) delivered with
  updated_at <= as_of. A record with status churned but no churned_at is taken as churned
  at its updated_at.
incremental: {scope: customers, key: customer_id}
*/
with

versions as (
    select * from staging.stg_customers
    where updated_at <= getvariable('as_of') and in_scope('customers', customer_id)
),

latest as (
    select * from versions
    qualify row_number() over (partition by customer_id order by updated_at desc) = 1
),

final as (
    select
        customer_id,
        created_at,
        updated_at,
        country,
        segment,
        preferred_channel,
        status,
        case
            when churned_at is not null then churned_at
            when status = 'churned' then updated_at
        end as churned_at,
        churn_reason
    from latest
)

select * from final
