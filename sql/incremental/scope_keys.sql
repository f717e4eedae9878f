-- The scope of an incremental build beyond the new files' own keys (every entity's, from
-- sql/templates/new_keys.sql), taken before any model changes: orders whose returns changed,
-- every customer whose rows may change, the months whose responses, NPS figures or contacts
-- change, and what moves with as_of alone (twelve-month revenue, the 48 hours to follow up
-- a detractor).
-- $new_files: the validated files the last build did not read; $previous_as_of: that
-- build's as_of.
insert into build_scope
with

new_orders as (select * from raw.orders where list_contains($new_files, _file_id)),
new_events as (select * from raw.events where list_contains($new_files, _file_id)),
new_responses as (select * from raw.responses where list_contains($new_files, _file_id)),
new_returns as (select * from raw.returns where list_contains($new_files, _file_id)),
new_customers as (select * from raw.customers where list_contains($new_files, _file_id)),

-- Orders whose returns change: the order of a new return and of its earlier version.
returned_orders as (
    select order_id from new_returns
    union
    select order_id from staging.stg_returns
    where return_id in (select return_id from new_returns)
),

-- Months whose responses change (core.quality_monthly): those of the new responses and of
-- their earlier versions.
response_months as (
    select month from core.responses
    where response_id in (select response_id from new_responses)
    union
    select date_trunc('month', to_local(responded_at))::date from new_responses
),

-- Months whose contacts change (marts.service_touchpoints): those of new contacts, of the
-- earlier versions of re-delivered ones, and of contacts resolved since the last build.
contact_months as (
    select date_trunc('month', to_local(occurred_at))::date as month
    from (
        select event_type, occurred_at from new_events
        union all
        select event_type, occurred_at from staging.stg_events
        where event_id in (select event_id from new_events)
            or (resolved_at > $previous_as_of and resolved_at <= getvariable('as_of'))
    )
    where event_type in ('support_contact', 'complaint')
    group by all
),

-- New referrals and the earlier versions of re-delivered ones.
referrals as (
    select customer_id, occurred_at from new_events where event_type = 'referral'
    union all
    select customer_id, occurred_at from staging.stg_events
    where event_type = 'referral' and event_id in (select event_id from new_events)
),

-- New and earlier versions of every re-delivered row: both customers may change.
customers as (
    select customer_id from new_orders
    union select customer_id from staging.stg_orders
        where order_id in (select order_id from new_orders)
            or order_id in (select order_id from returned_orders)
    union select customer_id from new_events
    union select referred_customer_id from new_events
    union select customer_id from staging.stg_events
        where event_id in (select event_id from new_events)
    union select customer_id from new_responses
    union select customer_id from staging.stg_responses
        where response_id in (select response_id from new_responses)
    -- What moves with as_of: spells that end, CRM churns that count, responses that now
    -- lie the outcome window's days back and open a window.
    union select customer_id from core.activity_spells
        where ended_at > $previous_as_of and ended_at <= getvariable('as_of')
    union select customer_id from staging.stg_customers
        where churned_at > $previous_as_of and churned_at <= getvariable('as_of')
    union select customer_id from core.responses
        where responded_at > $previous_as_of - to_days(getvariable('outcome_days'))
            and responded_at <= getvariable('as_of') - to_days(getvariable('outcome_days'))
)

select 'orders', order_id from returned_orders
union all select 'customers', customer_id from customers where customer_id is not null
-- Buyers a purchase of whom leaves the twelve months up to as_of (core.revenue_12m).
union all select distinct 'revenue_window', customer_id from core.purchases
    where ordered_at > $previous_as_of - interval 12 months
        and ordered_at <= getvariable('as_of') - interval 12 months
union all select 'response_months', month::varchar from response_months
-- The monthly NPS (core.nps_monthly) changes with its responses, in the month after (the
-- change from the previous month), where a referral comes or goes within 90 days after a
-- response (a day's margin for the zone's calendar), and where as_of passes a month's end
-- plus 90 days (the recommender rate appears).
union all select 'nps_months', month::varchar from response_months
union all select 'nps_months', (month + interval 1 month)::date::varchar from response_months
union all select distinct 'nps_months', responses.month::varchar
    from core.responses as responses
    inner join referrals
        on referrals.customer_id = responses.customer_id
        and responses.responded_at < referrals.occurred_at
        and responses.responded_at >= referrals.occurred_at - interval 91 day
union all select 'nps_months', month::varchar from core.nps_monthly
    where month_end(month) + interval 90 day > $previous_as_of
        and month_end(month) + interval 90 day <= getvariable('as_of')
-- The NPS by segment and country (marts.nps_by_segment) changes with its responses, and in
-- the months of responses by a customer whose CRM row is new or re-delivered.
union all select 'segment_months', month::varchar from response_months
union all select distinct 'segment_months', month::varchar from core.nps_responses
    where customer_id in (select customer_id from new_customers)
union all select 'contact_months', month::varchar from contact_months
-- Detractor responses whose 48 hours to a follow-up have passed since the last build
-- (core.detractor_followups).
union all select 'followup_window', response_id from core.detractor_followups
    where closed_within_48h is null
        and responded_at + interval 48 hours <= getvariable('as_of')
