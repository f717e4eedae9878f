-- The time range of the data, read from validated files only (a quarantined or not yet
-- validated file influences no number, as_of included): the first and the last timestamp
-- any source holds, and the default as_of, the end (23:59:59) of the last day with data in
-- the reporting time zone, since exports cover whole days.
with

-- Every entity's first and last timestamp (sql/templates/entity_stamps.sql, per entity).
stamps as (
    {stamps}
),

final as (
    select
        min(first_at) as first_data_at,
        date_trunc('day', max(last_at)) + interval 1 day - interval 1 second as default_as_of
    from stamps
)

select
    first_data_at,
    default_as_of,
    default_as_of + interval 1 year as latest_as_of
from final
