-- The time range of the data, read from validated files only (a quarantined or not yet
-- validated file influences no number, as_of included): the first and the last timestamp
-- any source holds, and the default as_of, the end (23:59:59) of the last day with data in
-- the reporting time zone, since exports cover whole days.
with

validated as (
    select file_id from audit.files where status = 'validated'
),

stamps as (
    select min(ordered_at) as first_at, max(ordered_at) as last_at from raw.orders
    where _file_id in (select file_id from validated)
    union all
    select min(returned_at), max(returned_at) from raw.returns
    where _file_id in (select file_id from validated)
    union all
    select min(occurred_at), max(occurred_at) from raw.events
    where _file_id in (select file_id from validated)
    union all
    select min(updated_at), max(updated_at) from raw.customers
    where _file_id in (select file_id from validated)
    union all
    select min(responded_at), max(responded_at) from raw.responses
    where _file_id in (select file_id from validated)
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
