-- The reporting time zone's UTC offset from hour $first_hour to hour $last_hour (hours since
-- 1970-01-01 UTC), as stretches: the first microsecond of each run of hours with one offset
-- throughout, and that offset in microseconds; NULL for an hour in which the offset changes.
-- pipelines/local_time.py turns the stretches into the macro to_local().
with

hours as (
    select unnest(range($first_hour, $last_hour + 1)) * 3600000000 as start_us
),

-- The offset at an instant: its local wall-clock time (ICU, once per hour) minus the instant.
offsets as (
    select
        start_us,
        epoch_us((to_timestamp(0) + to_microseconds(start_us))::timestamp) - start_us as at_start,
        epoch_us((to_timestamp(0) + to_microseconds(start_us + 3599999999))::timestamp)
            - (start_us + 3599999999) as at_end
    from hours
),

hourly as (
    select start_us, case when at_start = at_end then at_start end as offset_us
    from offsets
),

marked as (
    select *, lag(offset_us) over (order by start_us) as previous_offset_us,
        row_number() over (order by start_us) as hour_number
    from hourly
)

select start_us, offset_us
from marked
where hour_number = 1 or offset_us is distinct from previous_offset_us
order by start_us
