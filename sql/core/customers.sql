/*
description: >
  One row per CRM customer: the latest version (highest updated_at) delivered with
  updated_at <= as_of. A record with status churned but no churned_at is taken as churned
  at its updated_at.
incremental: {scope: customers, key: customer_id}
columns:
  customer_id: The customer's id, shared by the CRM, the shop and the survey.
  created_at: When the CRM created the customer.
  updated_at: When the CRM changed the customer last, up to as_of (the version kept).
  country: Country as an ISO 3166 alpha-2 code; NULL when the CRM does not say.
  segment: Segment as the CRM names it (free text, masked); NULL when the CRM does not say.
  preferred_channel: The channel the customer prefers (web, app, store, phone, email, chat); NULL when the CRM does not say.
  status: active or churned as the latest version says; NULL when it does not say.
  churned_at: When the customer churned as the latest version says; its updated_at for a churned version without a date; NULL when it says no churn.
  churn_reason: The CRM's churn reason (competitor, price, service, product, moved, other); NULL when not given.
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
