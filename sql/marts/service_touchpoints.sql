/*
description: >
  Service touchpoints: CRM events of type support_contact or complaint up to as_of, per
  month (of occurred_at) and channel. A contact without a handoffs value counts as 0
  handoffs; a contact is resolved when resolved_at is set and at or before as_of.
  Incremental: a month changes only when one of its contacts does or is resolved as as_of
  moves on (scope contact_months).
incremental: {scope: contact_months, key: month}
columns:
  month: First day of the calendar month in the reporting time zone.
  channel: Contact channel (web, app, store, phone, email, chat); 'unknown' where missing.
  contacts: Support contacts and complaints.
  complaints: Of them, complaints.
  customers_contacted: Distinct customers with a contact.
  first_contact_resolution_rate: Share of contacts resolved with 0 handoffs.
  median_resolution_hours: Median of resolved_at - occurred_at in hours, over resolved contacts.
  handoff_rate: Share of contacts with at least one handoff.
*/
with

contacts as (
    select
        customer_id,
        date_trunc('month', to_local(occurred_at))::date as month,
        coalesce(channel, 'unknown') as channel,
        event_type,
        occurred_at,
        case when resolved_at <= getvariable('as_of') then resolved_at end as resolved_at,
        coalesce(handoffs, 0) as handoffs
    from staging.stg_events
    where event_type in ('support_contact', 'complaint')
        and occurred_at <= getvariable('as_of')
),

final as (
    select
        month,
        channel,
        count(*) as contacts,
        count(*) filter (where event_type = 'complaint') as complaints,
        count(distinct customer_id) as customers_contacted,
        count(*) filter (where resolved_at is not null and handoffs = 0) / count(*)
            as first_contact_resolution_rate,
        median((epoch(resolved_at) - epoch(occurred_at)) / 3600.0) as median_resolution_hours,
        count(*) filter (where handoffs >= 1) / count(*) as handoff_rate
    from contacts
    where in_scope('contact_months', month)
    group by all
)

select * from final order by month, channel
