-- The alerts a destination has not received: those of the latest complete month (the month
-- the report describes) and later (a quarantine is dated by when it happened), without a
-- row for the destination in the delivery ledger. Critical first. $destination names it.
with

alerts as (
    select * from marts.alerts
),

report_month as (
    select coalesce(max(month), date '1970-01-01') as month
    from marts.kpi_monthly
    where is_complete
),

delivered as (
    select alert_id from audit.alert_deliveries where destination = $destination
)

select
    alerts.alert_id,
    alerts.month,
    alerts.rule,
    alerts.metric,
    alerts.severity,
    alerts.message_en,
    alerts.message_de
from alerts
cross join report_month
where alerts.month >= report_month.month
    and alerts.alert_id not in (select alert_id from delivered)
order by alerts.severity = 'critical' desc, alerts.month, alerts.rule, alerts.metric
