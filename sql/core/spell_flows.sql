/*
description: >
  Each activity spell as the monthly customer bridge counts it (reporting time zone). A
  spell is active at the first instant of month m when start_boundary <= m < end_boundary,
  and at the last instant of m when start_month <= m < end_month; a running sum of +1 at
  one boundary and -1 at the other counts the active customers of every month without a
  customer x month join. Flags mark the spells that move a month's bridge: a churn of a
  customer active at the month's start, a win-back within the churn month (rebound), a
  spell gained in its start month.
incremental: {scope: customers, key: customer_id}
columns:
  customer_id: The customer.
  spell_no: 1 for the first spell, 2 for the spell after the first churn (a win-back), ...
  started_local: The spell's start as a wall-clock time in the reporting time zone.
  ended_at: When the spell ends if nothing else happens (may lie after as_of).
  start_boundary: The first month whose first instant lies in the spell (its start month when it starts at that month's first instant, else the next month).
  end_boundary: The first month whose first instant lies at or after the spell's end.
  start_month: The month in which the spell starts.
  end_month: The month in which the spell ends (may lie after as_of).
  churn_month: The month of the spell's churn when the customer was active at its first instant (the churn counts in kpi_monthly's churned_customers); NULL otherwise.
  is_competitor_churn: True for a churn_month churn that is explicit with churn_reason competitor.
  is_rebound: True when the customer churned in churn_month and a later spell of theirs that starts in that month is still active at its end (lost and won back within the month).
  is_gained: True when the spell starts after the first instant of its start month and is still active at that month's end (a customer gained in start_month).
*/
with

activity_spells as (
    select * from core.activity_spells where in_scope('customers', customer_id)
),

months as (
    select * from core.months
),

-- Local wall-clock times (one time zone conversion per value) keep the month arithmetic cheap.
spells as (
    select
        customer_id,
        spell_no,
        ended_at,
        churned_at,
        churn_kind,
        churn_reason,
        to_local(started_at) as started_local,
        to_local(ended_at) as ended_local,
        date_trunc('month', to_local(churned_at)) as churned_month
    from activity_spells
),

rebounds as (
    select distinct lost.customer_id, lost.spell_no
    from spells as lost
    inner join spells as back
        on back.customer_id = lost.customer_id
        and back.spell_no > lost.spell_no
        and date_trunc('month', back.started_local) = lost.churned_month
    inner join months on months.month = lost.churned_month::date
    where lost.churned_at is not null
        and lost.started_local <= lost.churned_month
        and back.ended_at > months.end_instant
),

final as (
    select
        spells.customer_id,
        spells.spell_no,
        spells.started_local,
        spells.ended_at,
        case
            when date_trunc('month', spells.started_local) = spells.started_local
                then spells.started_local
            else date_trunc('month', spells.started_local) + interval 1 month
        end::date as start_boundary,
        case
            when date_trunc('month', spells.ended_local) = spells.ended_local
                then spells.ended_local
            else date_trunc('month', spells.ended_local) + interval 1 month
        end::date as end_boundary,
        date_trunc('month', spells.started_local)::date as start_month,
        date_trunc('month', spells.ended_local)::date as end_month,
        case
            when spells.churned_at is not null and spells.started_local <= spells.churned_month
                then spells.churned_month::date
        end as churn_month,
        coalesce(
            churn_month is not null
            and spells.churn_kind = 'explicit'
            and spells.churn_reason = 'competitor',
            false
        ) as is_competitor_churn,
        rebounds.customer_id is not null as is_rebound,
        coalesce(
            spells.started_local > date_trunc('month', spells.started_local)
            and spells.ended_at > start_months.end_instant,
            false
        ) as is_gained
    from spells
    left join rebounds
        on rebounds.customer_id = spells.customer_id
        and rebounds.spell_no = spells.spell_no
    left join months as start_months
        on start_months.month = date_trunc('month', spells.started_local)::date
)

select * from final
