/*
description: >
  One row per month and rule that fired (and per metric for missed targets): what to tell
  people, in English and German, written from the numbers. Rules: target_missed (a
  complete month misses a target of config/targets.yaml), nps_significant_drop (the NPS
  fell by more than the combined margin of error; the message names the touchpoint of
  marts.nps_change_attribution whose own NPS pulled it down most), retention_drop
  (retention more than retention_drop_pp points below the mean of the six complete months
  before), and
  validation_quarantine (export files quarantined in the month, by their loaded_at). `loyalty
  alerts --send` and the loyalty_alerts DAG deliver each alert once per destination
  (audit.alert_deliveries).
columns:
  alert_id: "rule:metric:YYYY-MM, the alert's identity: the delivery ledger sends each once per destination."
  month: First day of the month the alert is about (for validation_quarantine the month the files were quarantined in).
  rule: target_missed, nps_significant_drop, retention_drop or validation_quarantine.
  metric: The kpi_monthly column the alert is about (quarantined_files for validation_quarantine).
  value: The metric's value in the month (a rate as a fraction, the NPS in points, a number of files).
  threshold: The target (target_missed) or the limit the value crossed (for nps_significant_drop the margin of error of the change, for validation_quarantine 0).
  baseline: What the value is compared with (the previous month's NPS, the trailing six-month mean of retention); NULL for target_missed and validation_quarantine.
  severity: warning, or critical (validation_quarantine, and targets marked critical).
  message_en: The alert in English, with the numbers.
  message_de: The alert in German, with the numbers.
*/
with

kpi as (
    select * from marts.kpi_monthly where is_complete
),

attribution as (
    select * from marts.nps_change_attribution
),

quarantined_files as (
    select file_name, loaded_at from audit.files where status = 'quarantined'
),

kpi_targets as (
    select * from marts.kpi_targets where is_complete
),

month_names as (
    select
        month,
        strftime(month, '%B %Y') as month_en,
        ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September',
            'Oktober', 'November', 'Dezember'][month(month)] || ' ' || year(month) as month_de
    from (
        select month from kpi
        union
        select date_trunc('month', loaded_at)::date from quarantined_files
    )
),

missed as (
    select
        *,
        case when unit = 'rate' then 100 else 1 end as scale,
        case when unit = 'rate' then ' %' else '' end as suffix,
        -- Two decimals where one would round the difference away (a target below 1 %).
        case
            when unit = 'rate' and target < 0.01 then '%.2f'
            when unit = 'rate' then '%.1f'
            else '%+.1f'
        end as pattern,
        case when unit = 'rate' and target < 0.01 then '%.2f' else '%.1f' end as gap_pattern
    from kpi_targets
    where not is_met
),

target_alerts as (
    select
        missed.month,
        'target_missed' as rule,
        missed.metric,
        missed.value,
        missed.target as threshold,
        null::double as baseline,
        missed.severity,
        printf(
            '%s was %s in %s: %s the target of %s %s (%s points %s).',
            missed.label_en,
            printf(missed.pattern, missed.value * missed.scale) || missed.suffix,
            month_names.month_en,
            if(missed.direction = '>=', 'below', 'above'),
            if(missed.direction = '>=', 'at least', 'at most'),
            printf(missed.pattern, missed.target * missed.scale) || missed.suffix,
            printf(missed.gap_pattern, abs(missed.value - missed.target) * missed.scale),
            if(missed.direction = '>=', 'short', 'over')
        ) as message_en,
        printf(
            '%s lag im %s bei %s: %s dem Ziel von %s %s (%s %s %s).',
            missed.label_de,
            month_names.month_de,
            replace(printf(missed.pattern, missed.value * missed.scale), '.', ',') || missed.suffix,
            if(missed.direction = '>=', 'unter', 'über'),
            if(missed.direction = '>=', 'mindestens', 'höchstens'),
            replace(printf(missed.pattern, missed.target * missed.scale), '.', ',')
                || missed.suffix,
            replace(printf(missed.gap_pattern, abs(missed.value - missed.target) * missed.scale), '.', ','),
            if(missed.unit = 'rate', 'Prozentpunkte', 'Punkte'),
            if(missed.direction = '>=', 'darunter', 'darüber')
        ) as message_de
    from missed
    inner join month_names on month_names.month = missed.month
),

-- The touchpoint whose own NPS pulled the total down most (the lowest score effect): the
-- touchpoint is where the experience happened, and a score effect is a change in how
-- customers answered, not in who answered. Another dimension only when no touchpoint has rows.
top_movers as (
    select *
    from attribution
    qualify row_number() over (
        partition by month order by dimension <> 'touchpoint', score_effect, dimension, value
    ) = 1
),

nps_drops as (
    select
        kpi.month,
        kpi.nps,
        kpi.nps_change,
        kpi.nps_change_moe,
        kpi.nps - kpi.nps_change as previous_nps,
        top_movers.dimension,
        top_movers.value as group_value,
        top_movers.score_effect,
        top_movers.nps_change as group_change,
        case top_movers.dimension
            when 'touchpoint' then 'Kontaktpunkt'
            when 'channel' then 'Kanal'
            when 'segment' then 'Segment'
            when 'country' then 'Land'
            else top_movers.dimension
        end as dimension_de
    from kpi
    left join top_movers on top_movers.month = kpi.month
    where kpi.nps_change_significant and kpi.nps_change < 0
),

nps_alerts as (
    select
        nps_drops.month,
        'nps_significant_drop' as rule,
        'nps' as metric,
        nps_drops.nps as value,
        nps_drops.nps_change_moe as threshold,
        nps_drops.previous_nps as baseline,
        'warning' as severity,
        printf(
            'NPS fell %.1f points to %+.1f in %s (significant: the margin of error is %.1f points)',
            -nps_drops.nps_change,
            nps_drops.nps,
            month_names.month_en,
            nps_drops.nps_change_moe
        ) || coalesce(
            printf('; the largest part came from the %s %s (', nps_drops.group_value, nps_drops.dimension)
            || coalesce(printf('its NPS %+.1f points, ', nps_drops.group_change), '')
            || printf('%+.1f points of the change)', nps_drops.score_effect),
            ''
        ) || '.' as message_en,
        printf(
            'Der NPS fiel im %s um %s Punkte auf %s (signifikant: die Fehlerspanne beträgt %s Punkte)',
            month_names.month_de,
            replace(printf('%.1f', -nps_drops.nps_change), '.', ','),
            replace(printf('%+.1f', nps_drops.nps), '.', ','),
            replace(printf('%.1f', nps_drops.nps_change_moe), '.', ',')
        ) || coalesce(
            printf('; der größte Teil kam vom %s %s (', nps_drops.dimension_de, nps_drops.group_value)
            || coalesce(
                'sein NPS ' || replace(printf('%+.1f', nps_drops.group_change), '.', ',') || ' Punkte, ',
                ''
            )
            || replace(printf('%+.1f', nps_drops.score_effect), '.', ',') || ' Punkte der Änderung)',
            ''
        ) || '.' as message_de
    from nps_drops
    inner join month_names on month_names.month = nps_drops.month
),

retention_baselines as (
    select
        month,
        retention_rate,
        avg(retention_rate) over six_before as baseline,
        count(retention_rate) over six_before as baseline_months
    from kpi
    window six_before as (order by month rows between 6 preceding and 1 preceding)
),

retention_drops as (
    select *, (baseline - retention_rate) * 100 as drop_pp
    from retention_baselines
    where baseline_months = 6
        -- Rounded so that a drop of exactly retention_drop_pp points does not fire.
        and round((baseline - retention_rate) * 100, 9) > getvariable('retention_drop_pp')
),

retention_alerts as (
    select
        retention_drops.month,
        'retention_drop' as rule,
        'retention_rate' as metric,
        retention_drops.retention_rate as value,
        retention_drops.baseline - getvariable('retention_drop_pp') / 100 as threshold,
        retention_drops.baseline,
        'warning' as severity,
        printf(
            'Retention was %.1f %% in %s, %.1f points below its six-month mean of %.1f %%.',
            retention_drops.retention_rate * 100,
            month_names.month_en,
            retention_drops.drop_pp,
            retention_drops.baseline * 100
        ) as message_en,
        printf(
            'Die Kundenbindung lag im %s bei %s %%, %s Prozentpunkte unter ihrem Sechsmonatsmittel von %s %%.',
            month_names.month_de,
            replace(printf('%.1f', retention_drops.retention_rate * 100), '.', ','),
            replace(printf('%.1f', retention_drops.drop_pp), '.', ','),
            replace(printf('%.1f', retention_drops.baseline * 100), '.', ',')
        ) as message_de
    from retention_drops
    inner join month_names on month_names.month = retention_drops.month
),

quarantines as (
    select
        date_trunc('month', loaded_at)::date as month,
        count(*) as files,
        string_agg(file_name, ', ' order by loaded_at, file_name) as file_names
    from quarantined_files
    group by all
),

quarantine_alerts as (
    select
        quarantines.month,
        'validation_quarantine' as rule,
        'quarantined_files' as metric,
        quarantines.files::double as value,
        0::double as threshold,
        null::double as baseline,
        'critical' as severity,
        printf(
            '%d export file(s) quarantined in %s (%s): the marts lack their rows until each is replaced or released (loyalty status shows what to do).',
            quarantines.files,
            month_names.month_en,
            quarantines.file_names
        ) as message_en,
        printf(
            '%d Exportdatei(en) im %s in Quarantäne (%s): ihre Zeilen fehlen in den Marts, bis jede ersetzt oder freigegeben ist (loyalty status zeigt, was zu tun ist).',
            quarantines.files,
            month_names.month_de,
            quarantines.file_names
        ) as message_de
    from quarantines
    inner join month_names on month_names.month = quarantines.month
),

all_alerts as (
    select * from target_alerts
    union all
    select * from nps_alerts
    union all
    select * from retention_alerts
    union all
    select * from quarantine_alerts
),

final as (
    select
        rule || ':' || metric || ':' || strftime(month, '%Y-%m') as alert_id,
        month,
        rule,
        metric,
        value,
        threshold,
        baseline,
        severity,
        message_en,
        message_de
    from all_alerts
)

select * from final order by month, rule, metric
